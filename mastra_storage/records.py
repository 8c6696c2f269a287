"""Typed records: threads, messages, resources, workflow runs, scores and spans.

Python attributes are snake_case; :meth:`Record.to_dict` and :meth:`Record.from_dict`
speak Mastra's camelCase wire names, so JSON written here is what a Mastra TypeScript app
writes. One rule for unset fields: ``to_dict`` leaves out an optional field that is
``None`` (``Span`` excepted: Mastra's ``SpanRecord`` has every key, nullable), and
``from_dict`` reads a ``null`` like a missing key. Every datetime is normalised on
construction (UTC, millisecond precision) and a naive datetime is rejected, so a record
that exists is a record that round-trips.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal, TypeVar

import msgspec

from .codec import dumps, parse_json_column
from .errors import ValidationError
from .parts import Part, parse_part, part_to_dict
from .timeutil import UTC, normalize_datetime, parse_iso, to_iso
from .versioning import version_token

JSON = Any
Role = Literal["user", "assistant", "system"]
ScoreSource = Literal["LIVE", "TEST"]
RunStatus = Literal[
    "running",
    "success",
    "failed",
    "tripwire",
    "suspended",
    "waiting",
    "pending",
    "canceled",
    "bailed",
    "paused",
]
SpanStatus = Literal["success", "error", "running"]
#: Every :data:`RunStatus` value (what ``update_workflow_state(status=...)`` accepts).
RUN_STATUSES: tuple[str, ...] = typing.get_args(RunStatus)

R = TypeVar("R", bound="Record")


class Record(msgspec.Struct, kw_only=True, rename="camel", omit_defaults=True):
    """Base of every stored record.

    Subclasses list their datetime fields in ``_datetime_fields``; they are normalised on
    construction (and on decode), so equality after a round trip is exact.
    """

    _datetime_fields: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for name in self._datetime_fields:
            value = getattr(self, name)
            # The check inline: almost every value is already normalised (decoded rows,
            # ``utc_now()``), and a call per field was a visible share of decoding a page.
            if value is not None and (
                type(value) is not datetime or value.tzinfo is not UTC or value.microsecond % 1000
            ):
                setattr(self, name, normalize_datetime(value, field=name))

    def to_dict(self) -> dict[str, Any]:
        """The record under Mastra's camelCase names; datetimes as ISO strings."""
        data: dict[str, Any] = _builtins(self, builtin_types=(datetime,))
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = to_iso(value)
        return data

    @classmethod
    def from_dict(cls: type[R], data: Mapping[str, Any]) -> R:
        """Build a record from Mastra's camelCase JSON shape (ISO strings or datetimes)."""
        try:
            return msgspec.convert(_parse_dates(cls, data), cls, strict=False)
        except msgspec.ValidationError as exc:
            raise ValidationError(
                f"invalid {cls.__name__}: {exc}", id="MASTRA_STORAGE_INVALID_RECORD"
            ) from exc

    def replace(self: R, **changes: Any) -> R:
        """A copy with some attributes changed (records are values; don't mutate shared ones)."""
        return msgspec.structs.replace(self, **changes)


def _builtins(record: msgspec.Struct, **options: Any) -> dict[str, Any]:
    """``msgspec.to_builtins`` that reports non-JSON values as a :class:`ValidationError`."""
    try:
        data: dict[str, Any] = msgspec.to_builtins(record, **options)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"{type(record).__name__} holds a value that is not JSON-serialisable: {exc}",
            id="MASTRA_STORAGE_INVALID_JSON",
        ) from exc
    return data


@functools.cache
def _encode_names(cls: type[Record]) -> dict[str, str]:
    """Attribute -> wire name of a record class, computed once per class.

    Why cached: ``msgspec.structs.fields`` resolves type hints on every call, which made it
    the dominant cost of decoding records (about 75% of a 40-message recall, issue 9).
    """
    return {f.name: f.encode_name for f in msgspec.structs.fields(cls)}


def _parse_dates(cls: type[Record], data: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(data)
    info = _encode_names(cls)
    for name in cls._datetime_fields:
        key = info[name]
        value = out.get(key)
        if isinstance(value, str):
            out[key] = parse_iso(value, field=name)
    return out


class Thread(Record, kw_only=True):
    """A conversation thread (``StorageThreadType``), owned by a resource (a user).

    Like every record, :meth:`to_dict` leaves out an unset (``None``) ``metadata``;
    ``title`` is always present (``""`` when untitled).
    """

    _datetime_fields = ("created_at", "updated_at")

    id: str
    resource_id: str
    title: str = ""
    created_at: datetime
    updated_at: datetime
    metadata: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        # Record's loop, unrolled: a thread is built per listed row (see Record).
        value = self.created_at
        if type(value) is not datetime or value.tzinfo is not UTC or value.microsecond % 1000:
            self.created_at = normalize_datetime(value, field="created_at")
        value = self.updated_at
        if type(value) is not datetime or value.tzinfo is not UTC or value.microsecond % 1000:
            self.updated_at = normalize_datetime(value, field="updated_at")

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.setdefault("title", self.title)  # a default "" is still the thread's title
        return data


class MessageContent(Record, kw_only=True):
    """``MastraMessageContentV2``: ``{format: 2, parts, content?, ...}``.

    Keys this SDK does not know are kept in ``extra`` and written back unchanged, so a
    newer Mastra's fields survive a round trip through Python.
    """

    format: Literal[2] = 2
    parts: list[dict[str, Any]] = msgspec.field(default_factory=list)
    content: str | None = None
    experimental_attachments: list[Any] | None = msgspec.field(
        default=None, name="experimental_attachments"
    )
    tool_invocations: list[Any] | None = None
    reasoning: str | None = None
    annotations: list[Any] | None = None
    metadata: dict[str, Any] | None = None
    provider_metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        """No datetime fields: nothing to normalise (skips Record's loop per message)."""

    _known: ClassVar[frozenset[str]] = frozenset(
        {
            "format",
            "parts",
            "content",
            "experimental_attachments",
            "toolInvocations",
            "reasoning",
            "annotations",
            "metadata",
            "providerMetadata",
        }
    )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format": 2}
        data.update(_builtins(self))
        extra = data.pop("extra", None) or {}
        for key, value in extra.items():
            data.setdefault(key, value)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MessageContent:
        if cls._known.issuperset(data):
            # Fast path: only known keys (the common ``{format, parts, content}``). A null
            # known key means "absent", which the struct's defaults already say, except
            # for ``format``/``parts``: those fail the conversion and take the slow path.
            try:
                return msgspec.convert(data, cls, strict=False)
            except msgspec.ValidationError:
                pass
        known = {k: v for k, v in data.items() if k in cls._known and v is not None}
        extra = {k: v for k, v in data.items() if k not in cls._known}
        known.setdefault("format", 2)
        known.setdefault("parts", [])
        try:
            content = msgspec.convert(known, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise ValidationError(
                f"invalid message content: {exc}", id="MASTRA_STORAGE_INVALID_MESSAGE"
            ) from exc
        content.extra = extra
        return content

    @classmethod
    def text(cls, text: str) -> MessageContent:
        """Content holding one text part (the common case)."""
        return cls(parts=[{"type": "text", "text": text}], content=text)

    @classmethod
    def from_column(cls, raw: Any) -> MessageContent:
        """Content read from a stored ``content`` column (JSON text, bytes or decoded).

        Older rows may hold plain text, not JSON: they read as one text part, as Mastra's
        adapters read them.
        """
        if isinstance(raw, (str, bytes)):
            try:
                wire = _content_wire_decoder.decode(raw)
            except (msgspec.DecodeError, RecursionError):
                # Unknown keys, nulls, legacy text, bad JSON, or nesting deeper than the
                # decoder can follow (written by another client): the general path,
                # whose decoder handles any depth.
                pass
            else:
                return wire.to_content()
        value = parse_json_column(raw)
        if isinstance(value, dict):
            return cls.from_dict(value)
        return cls.text(raw if isinstance(raw, str) else str(value))

    @classmethod
    def parts_from_column(cls, raw: Any) -> list[dict[str, Any]]:
        """Only the parts of a stored ``content`` column: ``from_column(raw).parts``
        without building the record, decoded fresh (nothing shared; the caller owns them).

        Why: a framework session's recall needs the parts alone, and one typed decode that
        skips the other keys costs a fraction of the record. Raises like
        :meth:`from_column` on content whose parts are malformed.
        """
        if isinstance(raw, (str, bytes)):
            try:
                return _parts_wire_decoder.decode(raw).parts
            except (msgspec.DecodeError, RecursionError):
                pass  # null parts, legacy text, bad JSON, deep nesting: the general path
        return cls.from_column(raw).parts

    @classmethod
    def parts_from_columns(cls, raws: Sequence[Any]) -> list[list[dict[str, Any]]]:
        """:meth:`parts_from_column` of each stored column, in order (a page at once: one
        loop without a call per row when every row is current JSON, the usual case)."""
        decode = _parts_wire_decoder.decode
        try:
            return [decode(raw).parts for raw in raws]
        except (msgspec.DecodeError, RecursionError, TypeError):
            # Some row is not current JSON (or not text): each row its own way.
            return [cls.parts_from_column(raw) for raw in raws]

    @classmethod
    def from_parts(
        cls, parts: Sequence[Part | Mapping[str, Any]], *, content: str | None = None
    ) -> MessageContent:
        """Content built from typed parts (see :mod:`mastra_storage.parts`) or plain dicts."""
        return cls(parts=[part_to_dict(p) for p in parts], content=content)

    def typed_parts(self) -> list[Part]:
        """The parts as typed structs (unknown shapes as ``UnknownPart``, nothing lost)."""
        return [parse_part(p) for p in self.parts]


#: No ``enc_hook``: a value :func:`~mastra_storage.codec.dumps` would only take through its
#: fallbacks makes :func:`content_json_bytes` answer ``None`` instead.
_plain_encoder = msgspec.json.Encoder()


def content_json_bytes(content: MessageContent) -> bytes | None:
    """``dumps(content.to_dict())`` as UTF-8, encoded straight from the struct (no dict
    built in between: a third of the cost), or ``None`` when that is not certain to be
    the same text: keys in ``extra``, or a value msgspec cannot encode as is (the caller
    then takes the general path and its exact errors).

    The same text because ``to_dict`` is ``{"format": 2}`` followed by the struct's
    builtins (declaration order, defaults omitted), which is what encoding the struct
    writes after its ``format`` (a default, so omitted there).
    """
    if content.extra:
        return None
    try:
        raw = _plain_encoder.encode(content)
    except Exception:  # not JSON as is (a set, a lone surrogate, ...): the general path
        return None
    return b'{"format":2,' + raw[1:] if len(raw) > 2 else b'{"format":2}'


class CheckedMessages(list["Message"]):
    """Messages checked for saving, each with its content's JSON text (``content_json``,
    in the same order): the check encodes the content anyway (to refuse what cannot be
    stored), so a backend writes those bytes instead of encoding them a second time.

    Made by :meth:`~mastra_storage.domains.memory.MemoryStore.save_messages` for one call
    of the backend's ``save_messages``; read it through :func:`content_json_of`, which
    encodes when given a plain list.
    """

    __slots__ = ("content_json",)

    def __init__(self, messages: Sequence[Message], content_json: list[str]) -> None:
        super().__init__(messages)
        self.content_json = content_json


def content_json_of(messages: Sequence[Message]) -> list[str]:
    """The JSON text of each message's content, in order: the checked texts when
    ``messages`` is :class:`CheckedMessages`, else encoded now (``dumps(to_dict())``, the
    same text)."""
    if type(messages) is CheckedMessages:
        return messages.content_json
    return [dumps(m.content.to_dict()) for m in messages]


class _ContentWire(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """The known keys of :class:`MessageContent`, decoded straight from JSON text.

    Why: reading a message's ``content`` column as a dict and converting it costs several
    times more than one typed decode (issue 9). Any key this struct does not know, a null
    ``format``/``parts`` or a wrong type makes the decode fail, and
    :meth:`MessageContent.from_column` then takes the general path that keeps unknown keys
    in ``extra``, so both paths give equal records.
    """

    format: Literal[2] = 2
    parts: list[dict[str, Any]] = msgspec.field(default_factory=list)
    content: str | None = None
    experimental_attachments: list[Any] | None = msgspec.field(
        default=None, name="experimental_attachments"
    )
    tool_invocations: list[Any] | None = None
    reasoning: str | None = None
    annotations: list[Any] | None = None
    metadata: dict[str, Any] | None = None
    provider_metadata: dict[str, Any] | None = None

    def to_content(self) -> MessageContent:
        return MessageContent(
            parts=self.parts,
            content=self.content,
            experimental_attachments=self.experimental_attachments,
            tool_invocations=self.tool_invocations,
            reasoning=self.reasoning,
            annotations=self.annotations,
            metadata=self.metadata,
            provider_metadata=self.provider_metadata,
        )


_content_wire_decoder = msgspec.json.Decoder(_ContentWire)


class _PartsWire(msgspec.Struct):
    """The parts of a content column; other keys are skipped unread (they may be anything
    :class:`MessageContent` accepts), a ``format`` other than 2 fails as it does there."""

    format: Literal[2] = 2
    parts: list[dict[str, Any]] = msgspec.field(default_factory=list)


_parts_wire_decoder = msgspec.json.Decoder(_PartsWire)


class Message(Record, kw_only=True):
    """A message in Mastra's V2 (``MastraDBMessage``) format."""

    _datetime_fields = ("created_at",)

    id: str
    role: Role
    created_at: datetime
    thread_id: str | None = None
    resource_id: str | None = None
    type: str | None = None
    content: MessageContent

    def __post_init__(self) -> None:
        # Record's loop, unrolled: a message is built per recalled row (see Record).
        value = self.created_at
        if type(value) is not datetime or value.tzinfo is not UTC or value.microsecond % 1000:
            self.created_at = normalize_datetime(value, field="created_at")

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["content"] = self.content.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        content = data.get("content")
        if isinstance(content, str):
            content = {
                "format": 2,
                "content": content,
                "parts": [{"type": "text", "text": content}],
            }
        if not isinstance(content, Mapping):
            raise ValidationError(
                "message content must be an object", id="MASTRA_STORAGE_INVALID_MESSAGE"
            )
        raw = _parse_dates(cls, data)  # a copy: the caller's dict is left alone
        if type(content) is dict and MessageContent._known.issuperset(content):
            # Fast path: content with known keys only converts with the message in one
            # call; any failure falls through to the general path and its exact error.
            raw["content"] = content
            try:
                return msgspec.convert(raw, cls, strict=False)
            except msgspec.ValidationError:
                pass
        raw["content"] = {}
        try:
            message = msgspec.convert(raw, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise ValidationError(
                f"invalid {cls.__name__}: {exc}", id="MASTRA_STORAGE_INVALID_RECORD"
            ) from exc
        message.content = MessageContent.from_dict(content)
        return message

    @property
    def text(self) -> str:
        """Concatenated text of the message's text parts (or ``content.content``)."""
        texts = [p.get("text", "") for p in self.content.parts if p.get("type") == "text"]
        if texts:
            return "".join(str(t) for t in texts)
        return self.content.content or ""


class MessageUpdate(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A partial message update for ``update_messages``: only set fields change.

    ``content`` is merged into the stored content (``metadata`` one level deeper).
    """

    id: str
    role: Role | None = None
    type: str | None = None
    thread_id: str | None = None
    resource_id: str | None = None
    content: dict[str, Any] | None = None


class Resource(Record, kw_only=True):
    """A resource (usually a user) and its resource-scoped working memory."""

    _datetime_fields = ("created_at", "updated_at")

    id: str
    working_memory: str | None = None
    metadata: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def version(self) -> str:
        """Version token of the stored state (``update_resource(expected_version=...)``)."""
        return version_token(self.updated_at, self.working_memory, self.metadata)


class WorkflowRun(Record, kw_only=True):
    """One workflow run and its snapshot (the ``mastra_workflow_snapshot`` row)."""

    _datetime_fields = ("created_at", "updated_at")

    workflow_name: str
    run_id: str
    snapshot: dict[str, Any] | str
    created_at: datetime
    updated_at: datetime
    resource_id: str | None = None

    @property
    def version(self) -> str:
        """Version token of the stored run (``persist_workflow_snapshot(expected_version=)``)."""
        return version_token(self.updated_at, self.snapshot, self.resource_id)


class ScoreFields(Record, kw_only=True):
    """Fields shared by a score payload and a stored score (``ScoreRowData``)."""

    scorer_id: str
    entity_id: str
    run_id: str
    score: float
    scorer: dict[str, Any]
    output: JSON
    source: ScoreSource
    entity: dict[str, Any] | None = None
    entity_type: str | None = None
    input: JSON = None
    additional_context: dict[str, Any] | None = None
    request_context: dict[str, Any] | None = None
    extract_step_result: dict[str, Any] | None = None
    extract_prompt: str | None = None
    analyze_step_result: dict[str, Any] | None = None
    analyze_prompt: str | None = None
    preprocess_step_result: dict[str, Any] | None = None
    preprocess_prompt: str | None = None
    generate_score_prompt: str | None = None
    generate_reason_prompt: str | None = None
    reason: str | None = None
    reason_prompt: str | None = None
    metadata: dict[str, Any] | None = None
    structured_output: bool | None = None
    trace_id: str | None = None
    span_id: str | None = None
    resource_id: str | None = None
    thread_id: str | None = None


class ScorePayload(ScoreFields, kw_only=True):
    """What ``save_score`` takes: a score without timestamps.

    ``id`` is optional: a supplied id is kept (a score already stored under it is replaced,
    latest write wins, as Mastra's adapters do); ``None`` asks storage for a new UUID.
    """

    id: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScorePayload:
        """Build a payload from Mastra's camelCase shape; ``null`` means "absent".

        Raises :class:`ValidationError` for a key this SDK does not model (say ``traceID``
        for ``traceId``): dropping it silently would lose the caller's data.
        """
        unknown = sorted(str(k) for k in data if k not in _encode_names(cls).values())
        if unknown:
            raise ValidationError(
                f"unknown ScorePayload key(s): {', '.join(repr(k[:60]) for k in unknown[:10])}",
                id="MASTRA_STORAGE_INVALID_RECORD",
                details={"keys": ", ".join(unknown[:10])},
            )
        return super().from_dict(data)


class Score(ScoreFields, kw_only=True):
    """A stored score; ``id`` and ``created_at`` are assigned by storage."""

    _datetime_fields = ("created_at", "updated_at")

    id: str
    created_at: datetime
    updated_at: datetime | None = None


SPAN_CONTEXT_FIELDS: tuple[str, ...] = (
    "entity_type",
    "entity_id",
    "entity_name",
    "parent_entity_type",
    "parent_entity_id",
    "parent_entity_name",
    "root_entity_type",
    "root_entity_id",
    "root_entity_name",
    "user_id",
    "organization_id",
    "resource_id",
    "run_id",
    "session_id",
    "thread_id",
    "request_id",
    "environment",
    "source",
    "service_name",
    "experiment_id",
)
SPAN_JSON_FIELDS: tuple[str, ...] = (
    "scope",
    "metadata",
    "tags",
    "attributes",
    "links",
    "input",
    "output",
    "error",
    "request_context",
)


class Span(Record, kw_only=True, omit_defaults=False):
    """An AI-tracing span (``SpanRecord``). Every optional field is present, possibly null."""

    _datetime_fields = ("started_at", "ended_at", "created_at", "updated_at")

    trace_id: str
    span_id: str
    name: str
    span_type: str
    is_event: bool = False
    started_at: datetime
    parent_span_id: str | None = None
    ended_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    entity_name: str | None = None
    parent_entity_type: str | None = None
    parent_entity_id: str | None = None
    parent_entity_name: str | None = None
    root_entity_type: str | None = None
    root_entity_id: str | None = None
    root_entity_name: str | None = None
    user_id: str | None = None
    organization_id: str | None = None
    resource_id: str | None = None
    run_id: str | None = None
    session_id: str | None = None
    thread_id: str | None = None
    request_id: str | None = None
    environment: str | None = None
    source: str | None = None
    service_name: str | None = None
    experiment_id: str | None = None
    scope: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    tags: list[str] | None = None
    attributes: dict[str, Any] | None = None
    links: list[Any] | None = None
    input: JSON = None
    output: JSON = None
    error: JSON = None
    request_context: dict[str, Any] | None = None

    @property
    def status(self) -> SpanStatus:
        """``error`` if the span failed, ``running`` until it ends, else ``success``."""
        if self.error is not None:
            return "error"
        if self.ended_at is None:
            return "running"
        return "success"


class Trace(msgspec.Struct, kw_only=True):
    """All spans of one trace, ordered by ``started_at``."""

    trace_id: str
    spans: list[Span]


class CloneResult(msgspec.Struct, kw_only=True):
    """What ``clone_thread`` returns: the new thread, its messages and the id mapping."""

    thread: Thread
    cloned_messages: list[Message]
    message_id_map: dict[str, str]


__all__ = [
    "RUN_STATUSES",
    "SPAN_CONTEXT_FIELDS",
    "SPAN_JSON_FIELDS",
    "CloneResult",
    "Message",
    "MessageContent",
    "MessageUpdate",
    "Record",
    "Resource",
    "Role",
    "RunStatus",
    "Score",
    "ScorePayload",
    "ScoreSource",
    "Span",
    "SpanStatus",
    "Thread",
    "Trace",
    "WorkflowRun",
]
