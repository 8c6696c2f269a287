"""Records <-> DynamoDB items, attribute for attribute as ``@mastra/dynamodb`` writes them.

JSON-valued attributes (thread/resource ``metadata``, message ``content``, ``snapshot``,
the score's JSON fields) are strings encoded and decoded by the release's own rules
(:func:`mastra_set` / :func:`mastra_get`; ``snapshot`` is plain JSON both ways), unset
optional attributes are absent (ElectroDB never stores NULL), timestamps are ISO strings
(``2024-01-01T00:00:00.000Z``), and keys come from :mod:`.keys`. Three attributes are ours:
``seq`` on messages (the insertion-order tie-break for equal ``createdAt``; Mastra-written
messages lack it and sort as 0), ``untyped`` on messages saved without a ``type`` (stored as
Mastra's default ``"text"``) and ``rev`` (an optimistic-concurrency counter). ElectroDB
ignores attributes outside its schema, so Mastra reads these items unchanged.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import Any

from mastra_storage.codec import dumps, parse_json_column
from mastra_storage.layout import SCORERS, record_columns
from mastra_storage.records import Message, MessageContent, Resource, Score, Thread, WorkflowRun
from mastra_storage.timeutil import parse_iso, to_iso

from . import keys

Item = dict[str, Any]


class _SeqClock:
    """Message ``seq``: microseconds since the epoch, strictly increasing in this process.

    A shared counter item would cost a write per append; a clock keeps insertion order
    within a process and across processes up to clock skew (ties then fall back to
    ``createdAt``, which is the contract's primary order anyway).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def next(self) -> int:
        with self._lock:
            value = max(time.time_ns() // 1000, self._last + 1)
            self._last = value
            return value


next_seq = _SeqClock().next


#: A message's ``type`` when the writer gives none: the default of Mastra's message entity.
DEFAULT_MESSAGE_TYPE = "text"


def _no_constant(name: str) -> Any:
    # JSON.parse rejects NaN/Infinity; so does the release's getter (it then keeps the text).
    raise ValueError(name)


def mastra_set(value: Any) -> str | None:
    """A JSON-like attribute as ``@mastra/dynamodb`` stores it: a string as it is, any other
    value as its JSON text, ``None`` as no attribute at all (ElectroDB never writes NULL)."""
    if value is None or isinstance(value, str):
        return value
    return dumps(value)


def mastra_get(raw: Any) -> Any:
    """A JSON-like attribute as ``@mastra/dynamodb`` reads it: only a string starting with
    ``{`` or ``[`` is parsed (and kept as text when it is not valid JSON); every other
    string, ``"123"`` and ``"null"`` included, stays the string it is."""
    if isinstance(raw, str) and raw.startswith(("{", "[")):
        try:
            return json.loads(raw, parse_constant=_no_constant)
        except ValueError:
            return raw
    return raw


def _dict_or_none(raw: Any) -> dict[str, Any] | None:
    value = mastra_get(raw)
    return value if isinstance(value, dict) else None


# ---- threads -----------------------------------------------------------------------------


def thread_item(thread: Thread) -> Item:
    created = to_iso(thread.created_at)
    return {
        **keys.thread_key(thread.id),
        **keys.ownership("thread"),
        "id": thread.id,
        "resourceId": thread.resource_id,
        "title": thread.title,
        "metadata": mastra_set(thread.metadata),
        "createdAt": created,
        "updatedAt": to_iso(thread.updated_at),
        "gsi1pk": keys.thread_gsi1pk(thread.resource_id),
        "gsi1sk": keys.created_sort_key("thread", created),
    }


def thread_from_item(item: Mapping[str, Any]) -> Thread:
    return Thread(
        id=item["id"],
        resource_id=item.get("resourceId", ""),
        title=item.get("title") or "",
        metadata=_dict_or_none(item.get("metadata")),
        created_at=parse_iso(item["createdAt"]),
        updated_at=parse_iso(item.get("updatedAt") or item["createdAt"]),
    )


# ---- messages ----------------------------------------------------------------------------


def message_fields(message: Message) -> Item:
    """Every attribute a save replaces (not ``createdAt``/``gsi1sk``/``seq``, kept on upsert).

    A message without ``type`` is stored as ``"text"``, as Mastra's entity default does, and
    marked ``untyped`` (ours) so that we read it back as it was saved: without a type.
    """
    assert message.thread_id is not None
    untyped = message.type is None
    return {
        **keys.ownership("message"),
        "id": message.id,
        "threadId": message.thread_id,
        "resourceId": message.resource_id,
        "role": message.role,
        "type": DEFAULT_MESSAGE_TYPE if untyped else message.type,
        # None removes a marker an older version of the item had (None is never stored).
        "untyped": True if untyped else None,
        "content": dumps(message.content.to_dict()),
        "gsi1pk": keys.message_gsi1pk(message.thread_id),
    }


def message_item(message: Message, *, seq: int, updated_at: str) -> Item:
    created = to_iso(message.created_at)
    return {
        **keys.message_key(message.id),
        **message_fields(message),
        "createdAt": created,
        "updatedAt": updated_at,
        "gsi1sk": keys.created_sort_key("message", created),
        "seq": seq,
    }


def message_seq(item: Mapping[str, Any]) -> int:
    value = item.get("seq")
    return int(value) if isinstance(value, (int, float)) else 0


def message_type(item: Mapping[str, Any]) -> str | None:
    """The stored ``type``; ``None`` for the ``"text"`` we stored for a message saved without
    one. Mastra rewriting the type (an update to ``"v2"``, or a fresh put, which drops our
    marker) shows through."""
    kind = item.get("type")
    if item.get("untyped") is True and kind == DEFAULT_MESSAGE_TYPE:
        return None
    return kind if isinstance(kind, str) else None


def message_from_item(item: Mapping[str, Any]) -> Message:
    content = mastra_get(item.get("content"))
    if not isinstance(content, dict):
        # Mastra's own listMessages skips such items; we keep legacy text as a text part.
        text = content if isinstance(content, str) else ""
        content = {"format": 2, "content": text, "parts": [{"type": "text", "text": text}]}
    return Message(
        id=item["id"],
        role=item.get("role", "user"),
        created_at=parse_iso(item["createdAt"]),
        thread_id=item.get("threadId"),
        resource_id=item.get("resourceId"),
        type=message_type(item),
        content=MessageContent.from_dict(content),
    )


# ---- resources ---------------------------------------------------------------------------


def resource_item(resource: Resource) -> Item:
    return {
        **keys.resource_key(resource.id),
        **keys.ownership("resource"),
        "id": resource.id,
        "workingMemory": resource.working_memory,
        "metadata": mastra_set(resource.metadata),
        "createdAt": to_iso(resource.created_at),
        "updatedAt": to_iso(resource.updated_at),
    }


def resource_from_item(item: Mapping[str, Any]) -> Resource:
    return Resource(
        id=item["id"],
        working_memory=item.get("workingMemory"),
        metadata=_dict_or_none(item.get("metadata")),
        created_at=parse_iso(item["createdAt"]),
        updated_at=parse_iso(item.get("updatedAt") or item["createdAt"]),
    )


# ---- workflow runs -----------------------------------------------------------------------


def run_item(run: WorkflowRun) -> Item:
    return {
        **keys.run_key(run.workflow_name, run.run_id),
        **keys.ownership("workflow_snapshot"),
        **keys.run_gsi2(run.workflow_name, run.run_id),
        "workflow_name": run.workflow_name,
        "run_id": run.run_id,
        "snapshot": dumps(run.snapshot),
        "resourceId": run.resource_id,
        "createdAt": to_iso(run.created_at),
        "updatedAt": to_iso(run.updated_at),
    }


def run_from_item(item: Mapping[str, Any]) -> WorkflowRun:
    snapshot = parse_json_column(item.get("snapshot"))
    return WorkflowRun(
        workflow_name=item["workflow_name"],
        run_id=item["run_id"],
        snapshot=snapshot if isinstance(snapshot, (dict, str)) else {},
        resource_id=item.get("resourceId") or None,
        created_at=parse_iso(item["createdAt"]),
        updated_at=parse_iso(item.get("updatedAt") or item["createdAt"]),
    )


# ---- scores ------------------------------------------------------------------------------

_SCORE_FIELDS = dict(record_columns(Score))
#: Score fields stored as JSON strings: Mastra's JSON columns of the scorers table
#: (``entity`` lives in ``entityData``, as in Mastra).
_SCORE_JSON = frozenset(
    name for name, column in _SCORE_FIELDS.items() if column in SCORERS.json_columns
)
#: Optional ids Mastra stores as ``""`` when absent (every score GSI key is then defined).
_SCORE_BLANK = frozenset({"trace_id", "span_id", "resource_id", "thread_id"})
_SCORE_SKIP = frozenset({"id", "created_at", "updated_at"})


def _score_attribute(name: str) -> str:
    return "entityData" if name == "entity" else _SCORE_FIELDS[name]


def score_item(score: Score) -> Item:
    created = to_iso(score.created_at)
    item: Item = {
        **keys.score_key(score.id),
        **keys.ownership("score"),
        "id": score.id,
        "createdAt": created,
        "updatedAt": to_iso(score.updated_at or score.created_at),
    }
    for name in _SCORE_FIELDS:
        if name in _SCORE_SKIP:
            continue
        value = getattr(score, name)
        if name in _SCORE_JSON:
            value = mastra_set(value)
        elif name in _SCORE_BLANK and value is None:
            value = ""
        item[_score_attribute(name)] = value
    for index, composite in keys.SCORE_INDEXES.items():
        item[f"{index}pk"] = keys.score_gsi_pk(index, [str(item[c] or "") for c in composite])
        item[f"{index}sk"] = keys.created_sort_key("score", created)
    return item


def score_from_item(item: Mapping[str, Any]) -> Score:
    values: dict[str, Any] = {
        "id": item["id"],
        "created_at": parse_iso(item["createdAt"]),
        "updated_at": parse_iso(item["updatedAt"]) if item.get("updatedAt") else None,
    }
    for name in _SCORE_FIELDS:
        if name in _SCORE_SKIP:
            continue
        raw = item.get(_score_attribute(name))
        if name in _SCORE_JSON:
            raw = mastra_get(raw)
        elif name in _SCORE_BLANK and raw == "":
            raw = None
        elif name == "score" and raw is not None:
            raw = float(raw)
        values[name] = raw
    return Score(**values)


__all__ = [
    "DEFAULT_MESSAGE_TYPE",
    "mastra_get",
    "mastra_set",
    "message_fields",
    "message_from_item",
    "message_item",
    "message_seq",
    "message_type",
    "next_seq",
    "resource_from_item",
    "resource_item",
    "run_from_item",
    "run_item",
    "score_from_item",
    "score_item",
    "thread_from_item",
    "thread_item",
]
