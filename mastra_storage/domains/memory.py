"""The memory domain: threads, messages, resources (working memory) and thread cloning.

``MemoryStore`` is the public protocol. ``BaseMemoryStore`` implements it once for every
backend: it validates input before any I/O, does the pagination arithmetic, merges include
windows, sorts, computes ``has_more`` and cursors, and merges partial updates. An adapter
subclasses it and implements only the ``_``-prefixed primitives, each of which is one
atomic unit of I/O (one transaction, one batch, one pipeline) on its backend. Primitives
that read-modify-write receive a pure function from the core and apply it *inside* their
transaction, so the merge rules live here and the atomicity lives in the adapter.

Ordering contract (every adapter): messages sort by ``created_at``, and messages with the
same ``created_at`` keep insertion order (an adapter-assigned, monotonically increasing
``seq``); an upsert keeps a message's original ``seq`` and ``created_at``.
"""

from __future__ import annotations

import functools
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import msgspec

from ..codec import dumps
from ..errors import NotFoundError, ValidationError
from ..pagination import (
    MAX_SAFE_INTEGER,
    Cursor,
    DateRange,
    OrderBy,
    Page,
    ResolvedDateRange,
    ResolvedOrder,
    decode_cursor,
    encode_cursor,
    page_window,
    parse_order_by,
    validate_page_args,
)
from ..records import CloneResult, Message, MessageContent, MessageUpdate, Resource, Thread
from ..timeutil import normalize_datetime, parse_iso, to_epoch_ms, to_iso, utc_now
from ..validation import (
    MAX_JSON_DEPTH,
    check_bool,
    check_json,
    check_json_object,
    check_optional_instance,
    check_text,
    dumps_record,
    normalize_thread_ids,
    optional_id,
    require_non_empty,
    unique_strings,
    validate_metadata_filter,
)
from ..versioning import NEW, check_expected_version, check_version, next_updated_at

DEFAULT_MESSAGES_PER_PAGE = 40
DEFAULT_THREADS_PER_PAGE = 100
#: Include windows larger than this are clamped to it before reaching an adapter.
MAX_INCLUDE_WINDOW = 2**31 - 1


class _Unset:
    """Marker for "argument not given" where ``None`` is a meaningful value."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


class IncludeSpec(msgspec.Struct, kw_only=True, frozen=True):
    """Bring message ``id`` (from any thread) and its neighbours into a ``list_messages`` result."""

    id: str
    thread_id: str | None = None
    with_previous_messages: int = 0
    with_next_messages: int = 0


class MessageFilter(msgspec.Struct, kw_only=True, frozen=True):
    """Which source messages ``clone_thread`` copies."""

    start_date: datetime | None = None
    end_date: datetime | None = None
    message_ids: list[str] | None = None


# --------------------------------------------------------------------------- primitives I/O


class StoredMessage(msgspec.Struct, frozen=True):
    """A message plus its storage insertion sequence (the tie-break for equal timestamps).

    ``seq`` is an int, or a string that sorts in insertion order (e.g. a document store's
    fixed-width hex ObjectId); one adapter always uses one kind, and it becomes the cursor
    tie-break as is.
    """

    message: Message
    seq: int | str


class MessageQuery(msgspec.Struct, kw_only=True, frozen=True):
    """A validated ``list_messages`` request, as the adapter executes it.

    Main set: messages in ``thread_ids`` (or, when ``thread_ids`` is ``None``, every message
    of ``resource_id``), filtered by ``resource_id`` and ``date_range``, ordered by
    ``(created_at, seq)`` (descending when ``descending``). When ``after`` is set, only rows
    strictly after that position in this order. Then ``offset``/``limit`` (``limit=None``:
    no limit; ``limit=0``: skip the main query). The adapter returns up to ``limit + 1``
    rows so the core can tell whether more follow. ``total`` is the size of the filtered set
    ignoring ``after``/``offset``/``limit`` (0 when ``count`` is false).

    Includes: for each spec, the target message (looked up by id in any thread; skipped
    when missing), up to ``with_previous_messages`` messages before it and up to
    ``with_next_messages`` after it *in the target's own thread*, by ``(created_at, seq)``.
    The adapter applies no filter to included messages (the core drops those of another
    resource when ``resource_id`` is set).
    """

    thread_ids: list[str] | None
    resource_id: str | None
    date_range: ResolvedDateRange | None
    descending: bool
    offset: int
    limit: int | None
    after: Cursor | None
    count: bool
    include: list[IncludeSpec]


class MessageQueryResult(msgspec.Struct, kw_only=True):
    page: list[StoredMessage]
    total: int
    included: list[StoredMessage]


class ThreadQuery(msgspec.Struct, kw_only=True, frozen=True):
    """A validated ``list_threads`` request.

    Filter by ``resource_id`` and by ``metadata`` (every key must be present and equal, JSON
    equality: ``True`` is not ``1``). Order by ``order.field`` then ``id`` (both in
    ``order.direction``); ``after`` continues after a cursor position ``(field ms, id)``.
    Return up to ``limit + 1`` threads after skipping ``offset``, and the total match count
    (ignoring ``after``/``offset``/``limit``). When ``count`` is false the caller does not
    want the total: skip the count (it is the dearest part of a small page) and return 0.
    """

    resource_id: str | None
    metadata: dict[str, Any] | None
    order: ResolvedOrder
    offset: int
    limit: int | None
    after: Cursor | None
    count: bool


ThreadMutation = Callable[[Thread], Thread]
MessageMutation = Callable[[Message], Message]
ResourceMutation = Callable[["Resource | None"], Resource]
CloneBuilder = Callable[[Thread, list[Message]], tuple[Thread, list[Message]]]


# --------------------------------------------------------------------------- public protocol


@runtime_checkable
class MemoryStore(Protocol):
    """Threads, messages and resources. Every method is a coroutine."""

    supports_resource_scoped_queries: bool

    async def init(self) -> None: ...
    async def dangerously_clear_all(self) -> None: ...

    async def get_thread_by_id(self, thread_id: str) -> Thread | None: ...
    async def save_thread(self, thread: Thread) -> Thread: ...
    async def update_thread(
        self, thread_id: str, *, title: str | None = None, metadata: Mapping[str, Any] | None = None
    ) -> Thread: ...
    async def delete_thread(self, thread_id: str) -> None: ...
    async def list_threads(
        self,
        *,
        resource_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        page: int = 0,
        per_page: int | None = DEFAULT_THREADS_PER_PAGE,
        order_by: OrderBy | None = None,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[Thread]: ...

    async def list_messages(
        self,
        *,
        thread_id: str | Sequence[str],
        resource_id: str | None = None,
        include: Sequence[IncludeSpec] | None = None,
        page: int = 0,
        per_page: int | None = DEFAULT_MESSAGES_PER_PAGE,
        date_range: DateRange | None = None,
        order_by: OrderBy | None = None,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[Message]: ...
    async def list_messages_by_resource_id(
        self,
        *,
        resource_id: str,
        include: Sequence[IncludeSpec] | None = None,
        page: int = 0,
        per_page: int | None = DEFAULT_MESSAGES_PER_PAGE,
        date_range: DateRange | None = None,
        order_by: OrderBy | None = None,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[Message]: ...
    async def list_messages_by_id(self, message_ids: Sequence[str]) -> list[Message]: ...
    async def save_messages(self, messages: Sequence[Message]) -> list[Message]: ...
    async def update_messages(self, updates: Sequence[MessageUpdate]) -> list[Message]: ...
    async def delete_messages(self, message_ids: Sequence[str]) -> None: ...

    async def get_resource_by_id(self, resource_id: str) -> Resource | None: ...
    async def save_resource(self, resource: Resource) -> Resource: ...
    async def update_resource(
        self,
        resource_id: str,
        *,
        working_memory: str | None = UNSET,
        metadata: Mapping[str, Any] | None = None,
        expected_version: str | None = None,
    ) -> Resource: ...

    async def clone_thread(
        self,
        source_thread_id: str,
        *,
        new_thread_id: str | None = None,
        resource_id: str | None = None,
        title: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        message_limit: int | None = None,
        message_filter: MessageFilter | None = None,
    ) -> CloneResult: ...


# --------------------------------------------------------------------------- shared helpers


def message_sort_key(item: StoredMessage) -> tuple[datetime, int | str]:
    return (item.message.created_at, item.seq)


def plan_message_updates(
    message_ids: Sequence[str], current: Mapping[str, Message], mutate: MessageMutation
) -> list[tuple[Message, Message]]:
    """``(stored, updated)`` pairs in ``message_ids`` order; ids not in ``current`` are
    skipped. For adapters' ``_modify_messages`` once they hold the stored messages."""
    return [
        (existing, mutate(existing))
        for existing in (current.get(message_id) for message_id in message_ids)
        if existing is not None
    ]


def json_equal(a: Any, b: Any) -> bool:
    """JSON value equality: ``True`` is not ``1``, ``1`` equals ``1.0``, dicts ignore key order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=False))
    return type(a) is type(b) and bool(a == b)


def thread_matches(
    thread: Thread, resource_id: str | None, metadata: Mapping[str, Any] | None
) -> bool:
    """The ``list_threads`` filter, for adapters that filter in Python."""
    if resource_id is not None and thread.resource_id != resource_id:
        return False
    if metadata:
        stored = thread.metadata or {}
        for key, value in metadata.items():
            if key not in stored or not json_equal(stored[key], value):
                return False
    return True


def context_window(
    ordered: Sequence[StoredMessage], target_id: str, before: int, after: int
) -> list[StoredMessage]:
    """Target plus up to ``before``/``after`` neighbours in a thread sorted by (created_at, seq)."""
    for index, item in enumerate(ordered):
        if item.message.id == target_id:
            return list(ordered[max(0, index - before) : index + after + 1])
    return []


def merge_message_content(existing: MessageContent, update: Mapping[str, Any]) -> MessageContent:
    """``{...existing, ...update}``, with ``metadata`` merged one level deeper."""
    merged = existing.to_dict()
    old_meta = merged.get("metadata")
    merged.update(update)
    new_meta = update.get("metadata")
    if isinstance(old_meta, dict) and isinstance(new_meta, dict):
        merged["metadata"] = {**old_meta, **new_meta}
    return MessageContent.from_dict(merged)


_ROLES = ("user", "assistant", "system")


def _check_message(message: Any) -> Message:
    if not isinstance(message, Message):
        raise ValidationError(
            f"expected a Message, got {type(message).__name__}",
            id="MASTRA_STORAGE_SAVE_MESSAGES_INVALID_ARGS",
        )
    if not isinstance(message.thread_id, str) or not message.thread_id.strip():
        raise ValidationError(
            "Thread ID is required",
            id="MASTRA_STORAGE_SAVE_MESSAGES_INVALID_ARGS",
            details={"message_id": message.id},
        )
    if not isinstance(message.resource_id, str) or not message.resource_id.strip():
        raise ValidationError(
            "Expected to find a resourceId for message, but couldn't find one.",
            id="MASTRA_STORAGE_SAVE_MESSAGES_INVALID_ARGS",
            details={"message_id": message.id},
        )
    require_non_empty(message.id, field="message.id", operation="SAVE_MESSAGES")
    require_non_empty(message.thread_id, field="message.thread_id", operation="SAVE_MESSAGES")
    require_non_empty(message.resource_id, field="message.resource_id", operation="SAVE_MESSAGES")
    if message.type is not None:
        check_text(message.type, field="message.type", operation="SAVE_MESSAGES")
    if message.role not in _ROLES:
        raise ValidationError(
            f"invalid role {message.role!r}", id="MASTRA_STORAGE_SAVE_MESSAGES_INVALID_ARGS"
        )
    if not isinstance(message.content, MessageContent):
        raise ValidationError(
            f"message.content must be a MessageContent, got {type(message.content).__name__}",
            id="MASTRA_STORAGE_SAVE_MESSAGES_INVALID_ARGS",
            details={"message_id": message.id},
        )
    normalize_datetime(message.created_at, field="message.created_at")
    # must be JSON-serialisable (and not too deep) before anything is written; the
    # content sits one level below the message record
    dumps_record(message.content, operation="SAVE_MESSAGES", max_depth=MAX_JSON_DEPTH - 1)
    return message


def _cursor_scope(*parts: Any) -> str:
    return _scope_of(dumps(list(parts)))


@functools.lru_cache(maxsize=1024)
def _scope_of(query: str) -> str:
    # Cached: a page read repeats the same query, and uuid5 was ~40% of list_threads'
    # own Python time (issue 9). Same value as before, so issued cursors stay valid.
    return str(uuid.uuid5(uuid.NAMESPACE_OID, query))


# --------------------------------------------------------------------------- base class


class BaseMemoryStore(ABC):
    """Implements :class:`MemoryStore` on top of a handful of backend primitives."""

    supports_resource_scoped_queries: bool = True
    #: The kind of this store's message ``seq`` (``StoredMessage.seq``): a message cursor
    #: whose tie-break is of another kind is refused before it reaches a query.
    message_seq_kind: type[int] | type[str] = int

    async def init(self) -> None:
        """Create tables/indexes; adapters override. Must be idempotent."""

    # ---- primitives every adapter implements -------------------------------------------

    @abstractmethod
    async def dangerously_clear_all(self) -> None: ...

    @abstractmethod
    async def _get_thread(self, thread_id: str) -> Thread | None: ...

    @abstractmethod
    async def _upsert_thread(self, thread: Thread) -> None:
        """Insert or fully replace the thread row (messages untouched)."""

    @abstractmethod
    async def _modify_thread(self, thread_id: str, mutate: ThreadMutation) -> Thread | None:
        """Atomically read the thread, write ``mutate(thread)``, return it (``None`` if missing)."""

    @abstractmethod
    async def _delete_thread(self, thread_id: str) -> None:
        """Delete the thread and all its messages atomically; missing is a no-op."""

    @abstractmethod
    async def _query_threads(self, query: ThreadQuery) -> tuple[list[Thread], int]: ...

    @abstractmethod
    async def _query_messages(self, query: MessageQuery) -> MessageQueryResult: ...

    @abstractmethod
    async def _get_messages(self, message_ids: list[str]) -> list[StoredMessage]:
        """Messages with these ids, in any thread; unknown ids are ignored."""

    @abstractmethod
    async def _save_messages(self, messages: list[Message], now: datetime) -> None:
        """Atomically upsert ``messages`` (keyed by id; a message may move thread).

        On conflict keep the stored ``created_at`` and ``seq``; replace thread, resource,
        role, type and content. Set ``updated_at = now`` on every distinct thread of the
        batch. If any of those threads does not exist, raise :class:`NotFoundError` and write
        nothing.
        """

    @abstractmethod
    async def _modify_messages(
        self, message_ids: list[str], mutate: MessageMutation, now: datetime
    ) -> list[Message]:
        """Atomically load these messages (unknown ids are skipped), write
        ``mutate(message)`` for each keeping its ``seq`` (``mutate`` never changes ``id``
        or ``created_at``: see :meth:`update_messages`), set
        ``updated_at = now`` on each message's old and new thread, return the results in
        ``message_ids`` order. If a message would move to a thread that does not exist,
        raise :class:`NotFoundError` and write nothing."""

    @abstractmethod
    async def _delete_messages(self, message_ids: list[str], now: datetime) -> None:
        """Atomically delete these messages and set ``updated_at = now`` on their threads."""

    @abstractmethod
    async def _get_resource(self, resource_id: str) -> Resource | None: ...

    @abstractmethod
    async def _upsert_resource(self, resource: Resource) -> None: ...

    @abstractmethod
    async def _modify_resource(self, resource_id: str, mutate: ResourceMutation) -> Resource:
        """Atomically read the resource (or ``None``), write and return ``mutate(it)``."""

    @abstractmethod
    async def _clone_thread(
        self, source_thread_id: str, new_thread_id: str, build: CloneBuilder
    ) -> tuple[Thread, list[Message]] | None:
        """In one transaction: read the source thread (``None`` if missing) and its messages
        in ``(created_at, seq)`` order; if ``new_thread_id`` exists raise
        :class:`~mastra_storage.errors.ConflictError`; insert ``build(source, messages)``."""

    async def _scan_resources(
        self, position: str | None, limit: int
    ) -> tuple[list[Resource], str | None]:
        """Optional enumeration primitive (used by ``mastra_storage.transfer``): up to
        ``limit`` resources after the opaque ``position`` (``None``: from the start) and
        the next position (``None``: done). Positions are keys (the last id, a scan
        cursor), never offsets, so concurrent writes do not shift a page. Without it a
        copy only finds resources through their threads."""
        raise NotImplementedError

    # ---- threads --------------------------------------------------------------------------

    async def get_thread_by_id(self, thread_id: str) -> Thread | None:
        require_non_empty(thread_id, field="thread_id", operation="GET_THREAD_BY_ID")
        return await self._get_thread(thread_id)

    async def save_thread(self, thread: Thread) -> Thread:
        """Insert or replace a thread (upsert by id); returns ``thread`` unchanged."""
        if not isinstance(thread, Thread):
            raise ValidationError(
                f"expected a Thread, got {type(thread).__name__}",
                id="MASTRA_STORAGE_SAVE_THREAD_INVALID_ARGS",
            )
        require_non_empty(thread.id, field="thread.id", operation="SAVE_THREAD")
        require_non_empty(thread.resource_id, field="thread.resource_id", operation="SAVE_THREAD")
        check_text(thread.title, field="title", operation="SAVE_THREAD")
        for name in ("created_at", "updated_at"):
            normalize_datetime(getattr(thread, name), field=f"thread.{name}")
        if thread.metadata is not None:
            check_json_object(thread.metadata, field="thread.metadata", operation="SAVE_THREAD")
        await self._upsert_thread(thread)
        return thread

    async def update_thread(
        self,
        thread_id: str,
        *,
        title: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Thread:
        """Replace the title (when given) and shallow-merge metadata; bumps ``updated_at``.

        Raises :class:`NotFoundError` when the thread does not exist.
        """
        require_non_empty(thread_id, field="thread_id", operation="UPDATE_THREAD")
        if title is not None:
            check_text(title, field="title", operation="UPDATE_THREAD")
        if metadata is not None:
            check_json_object(metadata, field="metadata", operation="UPDATE_THREAD")
        now = utc_now()

        def mutate(thread: Thread) -> Thread:
            merged = {**(thread.metadata or {}), **(metadata or {})}
            return thread.replace(
                title=thread.title if title is None else title,
                metadata=merged if (metadata is not None or thread.metadata is not None) else None,
                updated_at=max(now, thread.updated_at),
            )

        updated = await self._modify_thread(thread_id, mutate)
        if updated is None:
            raise NotFoundError(
                f"Thread {thread_id} not found",
                id="MASTRA_STORAGE_UPDATE_THREAD_NOT_FOUND",
                details={"thread_id": thread_id},
            )
        return updated

    async def delete_thread(self, thread_id: str) -> None:
        """Delete a thread and all its messages (atomically); a missing thread is a no-op."""
        require_non_empty(thread_id, field="thread_id", operation="DELETE_THREAD")
        await self._delete_thread(thread_id)

    async def list_threads(
        self,
        *,
        resource_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        page: int = 0,
        per_page: int | None = DEFAULT_THREADS_PER_PAGE,
        order_by: OrderBy | None = None,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[Thread]:
        """Threads filtered by resource and metadata (AND, exact JSON equality), paginated.

        Default order ``created_at`` DESC, ties by ``id``. ``cursor`` (from ``next_cursor``)
        continues after the previous page instead of using ``page``. ``include_total=False``
        skips the count (``total`` is then ``None``): ``has_more`` and ``next_cursor`` come
        from the page's extra row, so they are the same either way.
        """
        validate_page_args(page, per_page, operation="LIST_THREADS")
        optional_id(resource_id, field="resource_id", operation="LIST_THREADS")
        check_optional_instance(order_by, OrderBy, field="order_by", operation="LIST_THREADS")
        check_bool(include_total, field="include_total", operation="LIST_THREADS")
        if metadata is not None and not isinstance(metadata, Mapping):
            raise ValidationError(
                "metadata filter must be a mapping",
                id="MASTRA_STORAGE_LIST_THREADS_INVALID_METADATA_KEY",
            )
        if metadata:
            validate_metadata_filter(metadata, operation="LIST_THREADS")
            check_json(dict(metadata), operation="LIST_THREADS", field="metadata")
        order = parse_order_by(order_by)
        scope = _cursor_scope(
            "threads", resource_id, dict(metadata or {}), order.field, order.direction, per_page
        )
        after = (
            decode_cursor(cursor, scope=scope, tie_kind=str)
            if cursor is not None and cursor != ""
            else None
        )
        window = page_window(page, per_page)
        query = ThreadQuery(
            resource_id=resource_id,
            metadata=dict(metadata) if metadata else None,
            order=order,
            offset=0 if after else window.offset,
            limit=window.limit,
            after=after,
            count=include_total,
        )
        threads, total = await self._query_threads(query)
        # ``offset + per_page < total`` holds exactly when the extra row came back, so the
        # flag never needs the count (``per_page=0`` fetches one row for the same reason).
        more = len(threads) > window.limit if window.limit is not None else False
        threads = threads[: window.limit] if window.limit is not None else threads
        next_cursor = None
        if more and threads and window.limit:
            last = threads[-1]
            key = to_epoch_ms(last.created_at if order.field == "created_at" else last.updated_at)
            next_cursor = encode_cursor(Cursor(key, last.id, order.direction, scope))
        return Page(
            items=threads,
            total=total if include_total else None,
            page=page,
            per_page=per_page,
            has_more=more,
            next_cursor=next_cursor,
        )

    # ---- messages -------------------------------------------------------------------------

    async def list_messages(
        self,
        *,
        thread_id: str | Sequence[str],
        resource_id: str | None = None,
        include: Sequence[IncludeSpec] | None = None,
        page: int = 0,
        per_page: int | None = DEFAULT_MESSAGES_PER_PAGE,
        date_range: DateRange | None = None,
        order_by: OrderBy | None = None,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[Message]:
        """Messages of one or more threads, oldest first by default, plus ``include`` windows.

        ``per_page=0`` with ``include`` returns only the included messages (the semantic
        recall fast path) with ``total == 0``. ``cursor`` continues after the previous page.
        When ``resource_id`` is given, included messages of other resources are dropped.
        ``include_total=False`` skips the count (``total`` is ``None``); ``has_more`` and
        ``next_cursor`` are the same either way.
        """
        thread_ids = normalize_thread_ids(thread_id)
        return await self._list_messages(
            thread_ids=thread_ids,
            resource_id=resource_id,
            include=include,
            page=page,
            per_page=per_page,
            date_range=date_range,
            order_by=order_by,
            cursor=cursor,
            include_total=include_total,
        )

    async def list_messages_by_resource_id(
        self,
        *,
        resource_id: str,
        include: Sequence[IncludeSpec] | None = None,
        page: int = 0,
        per_page: int | None = DEFAULT_MESSAGES_PER_PAGE,
        date_range: DateRange | None = None,
        order_by: OrderBy | None = None,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[Message]:
        """Every message of a resource, across its threads (same options as ``list_messages``)."""
        require_non_empty(
            resource_id, field="resource_id", operation="LIST_MESSAGES_BY_RESOURCE_ID"
        )
        return await self._list_messages(
            thread_ids=None,
            resource_id=resource_id,
            include=include,
            page=page,
            per_page=per_page,
            date_range=date_range,
            order_by=order_by,
            cursor=cursor,
            include_total=include_total,
        )

    async def _list_messages(
        self,
        *,
        thread_ids: list[str] | None,
        resource_id: str | None,
        include: Sequence[IncludeSpec] | None,
        page: int,
        per_page: int | None,
        date_range: DateRange | None,
        order_by: OrderBy | None,
        cursor: str | None,
        include_total: bool,
    ) -> Page[Message]:
        validate_page_args(page, per_page, operation="LIST_MESSAGES")
        optional_id(resource_id, field="resource_id", operation="LIST_MESSAGES")
        check_optional_instance(order_by, OrderBy, field="order_by", operation="LIST_MESSAGES")
        check_optional_instance(
            date_range, DateRange, field="date_range", operation="LIST_MESSAGES"
        )
        check_bool(include_total, field="include_total", operation="LIST_MESSAGES")
        includes = _validate_includes(include)
        order = parse_order_by(order_by, default_direction="ASC", allowed_fields=("created_at",))
        resolved_range = date_range.resolved() if date_range is not None else None
        scope = _cursor_scope(
            "messages",
            thread_ids,
            resource_id,
            msgspec.to_builtins(resolved_range) if resolved_range else None,
            order.direction,
            per_page,
        )
        after = (
            decode_cursor(cursor, scope=scope, tie_kind=self.message_seq_kind)
            if cursor is not None and cursor != ""
            else None
        )
        window = page_window(page, per_page)
        fast_path = per_page == 0
        if fast_path and not includes:
            return Page(
                items=[], total=0 if include_total else None, page=page, per_page=0, has_more=False
            )
        query = MessageQuery(
            thread_ids=thread_ids,
            resource_id=resource_id,
            date_range=resolved_range,
            descending=order.descending,
            offset=0 if after else window.offset,
            limit=window.limit,
            after=after,
            # Page mode with include windows: whether the windows already brought back the
            # whole set (then ``has_more`` is false) takes its size, so that count stays.
            count=not fast_path
            and (include_total or (bool(includes) and after is None and per_page is not None)),
            include=includes,
        )
        result = await self._query_messages(query)
        page_rows = result.page
        more_after = window.limit is not None and len(page_rows) > window.limit
        if window.limit is not None:
            page_rows = page_rows[: window.limit]

        merged: dict[str, StoredMessage] = {item.message.id: item for item in page_rows}
        for item in result.included:
            # A resource filter scopes included messages too: include ids must never
            # reveal another tenant's messages (Mastra PR #20902).
            if resource_id is None or item.message.resource_id == resource_id:
                merged.setdefault(item.message.id, item)
        ordered = sorted(merged.values(), key=message_sort_key, reverse=order.descending)
        messages = [item.message for item in ordered]

        total: int | None = result.total if not fast_path else 0
        if per_page is None or fast_path:
            more = False
        elif after is not None or not more_after:
            more = more_after
        else:
            # ``offset + per_page < total`` is ``more_after``; but when the include windows
            # brought back every message of the set, there is nothing more to page to.
            wanted = set(thread_ids) if thread_ids is not None else None
            returned = sum(
                1
                for m in messages
                if (wanted is None and m.resource_id == resource_id)
                or (wanted is not None and m.thread_id in wanted)
            )
            # Only include windows can push ``returned`` past the rows up to this page, and
            # then the query counted (see ``count`` above).
            more = returned < result.total if returned > window.offset + len(page_rows) else True
        if not include_total:
            total = None
        next_cursor = None
        if more and page_rows and not fast_path:
            last = page_rows[-1]
            next_cursor = encode_cursor(
                Cursor(to_epoch_ms(last.message.created_at), last.seq, order.direction, scope)
            )
        return Page(
            items=messages,
            total=total,
            page=page,
            per_page=per_page,
            has_more=more,
            next_cursor=next_cursor,
        )

    async def list_messages_by_id(self, message_ids: Sequence[str]) -> list[Message]:
        """Messages with these ids from any thread, oldest first; unknown ids are ignored."""
        if isinstance(message_ids, str):
            raise ValidationError(
                "message_ids must be a list of ids, not a string",
                id="MASTRA_STORAGE_LIST_MESSAGES_BY_ID_INVALID_ARGS",
            )
        ids = unique_strings(message_ids, field="message_ids", operation="LIST_MESSAGES_BY_ID")
        if not ids:
            return []
        found = await self._get_messages(ids)
        return [item.message for item in sorted(found, key=message_sort_key)]

    async def save_messages(self, messages: Sequence[Message]) -> list[Message]:
        """Insert or update messages (upsert by id) and bump their threads' ``updated_at``.

        All-or-nothing: every message is validated first, every thread must exist, and the
        batch is written atomically. A message whose id exists in another thread moves.
        Repeated ids in one batch collapse to the last occurrence.
        """
        if isinstance(messages, Message):
            messages = [messages]
        checked = [_check_message(m) for m in messages]
        if not checked:
            return []
        by_id: dict[str, Message] = {}
        for message in checked:
            by_id.pop(message.id, None)
            by_id[message.id] = message
        await self._save_messages(list(by_id.values()), utc_now())
        return list(checked)

    async def update_messages(self, updates: Sequence[MessageUpdate]) -> list[Message]:
        """Partially update messages; ``content`` is merged. Unknown ids are ignored."""
        if isinstance(updates, MessageUpdate):
            updates = [updates]
        by_id: dict[str, MessageUpdate] = {}
        for update in updates:
            if not isinstance(update, MessageUpdate):
                raise ValidationError(
                    f"expected a MessageUpdate, got {type(update).__name__}",
                    id="MASTRA_STORAGE_UPDATE_MESSAGES_INVALID_ARGS",
                )
            require_non_empty(update.id, field="id", operation="UPDATE_MESSAGES")
            if update.role is not None and update.role not in _ROLES:
                raise ValidationError(
                    f"invalid role {update.role!r}",
                    id="MASTRA_STORAGE_UPDATE_MESSAGES_INVALID_ARGS",
                )
            if update.thread_id is not None:
                require_non_empty(update.thread_id, field="thread_id", operation="UPDATE_MESSAGES")
            optional_id(update.resource_id, field="resource_id", operation="UPDATE_MESSAGES")
            if update.type is not None:
                check_text(update.type, field="type", operation="UPDATE_MESSAGES")
            if update.content is not None:
                # merged into the stored content, one level below the message record
                check_json_object(update.content, field="content", operation="UPDATE_MESSAGES")
            by_id[update.id] = update
        if not by_id:
            return []

        def mutate(message: Message) -> Message:
            update = by_id[message.id]
            changes: dict[str, Any] = {}
            for name in ("role", "type", "thread_id", "resource_id"):
                value = getattr(update, name)
                if value is not None:
                    changes[name] = value
            if update.content is not None:
                changes["content"] = merge_message_content(message.content, update.content)
            return message.replace(**changes)

        return await self._modify_messages(list(by_id), mutate, utc_now())

    async def delete_messages(self, message_ids: Sequence[str]) -> None:
        """Delete messages by id (any threads) and bump their threads; unknown ids are ignored."""
        if isinstance(message_ids, str):
            raise ValidationError(
                "message_ids must be a list of ids, not a string",
                id="MASTRA_STORAGE_DELETE_MESSAGES_INVALID_ARGS",
            )
        ids = unique_strings(message_ids, field="message_ids", operation="DELETE_MESSAGES")
        if ids:
            await self._delete_messages(ids, utc_now())

    # ---- resources ------------------------------------------------------------------------

    async def get_resource_by_id(self, resource_id: str) -> Resource | None:
        require_non_empty(resource_id, field="resource_id", operation="GET_RESOURCE_BY_ID")
        return await self._get_resource(resource_id)

    async def save_resource(self, resource: Resource) -> Resource:
        """Insert or replace a resource (upsert by id); returns it unchanged."""
        if not isinstance(resource, Resource):
            raise ValidationError(
                f"expected a Resource, got {type(resource).__name__}",
                id="MASTRA_STORAGE_SAVE_RESOURCE_INVALID_ARGS",
            )
        require_non_empty(resource.id, field="resource.id", operation="SAVE_RESOURCE")
        for name in ("created_at", "updated_at"):
            normalize_datetime(getattr(resource, name), field=f"resource.{name}")
        if resource.working_memory is not None:
            check_text(resource.working_memory, field="working_memory", operation="SAVE_RESOURCE")
        if resource.metadata is not None:
            check_json_object(
                resource.metadata, field="resource.metadata", operation="SAVE_RESOURCE"
            )
        await self._upsert_resource(resource)
        return resource

    async def update_resource(
        self,
        resource_id: str,
        *,
        working_memory: str | None = UNSET,
        metadata: Mapping[str, Any] | None = None,
        expected_version: str | None = None,
    ) -> Resource:
        """Upsert working memory and shallow-merge metadata, atomically (no lost updates).

        With ``expected_version`` (``Resource.version`` of what the caller read, or
        :data:`~mastra_storage.versioning.NEW` for create-only) the update happens only if
        the stored resource is still at that version, else :class:`VersionConflictError`
        and nothing is written. The returned resource carries the new ``version``.
        """
        require_non_empty(resource_id, field="resource_id", operation="UPDATE_RESOURCE")
        expected = check_expected_version(expected_version, operation="UPDATE_RESOURCE")
        if working_memory is not UNSET and working_memory is not None:
            check_text(working_memory, field="working_memory", operation="UPDATE_RESOURCE")
        if metadata is not None:
            check_json_object(metadata, field="metadata", operation="UPDATE_RESOURCE")
        now = utc_now()

        def mutate(existing: Resource | None) -> Resource:
            if expected is not None:
                check_version(
                    NEW if existing is None else existing.version,
                    expected,
                    operation="UPDATE_RESOURCE",
                    details={"resource_id": resource_id},
                )
            if existing is None:
                return Resource(
                    id=resource_id,
                    working_memory=None if working_memory is UNSET else working_memory,
                    metadata=dict(metadata or {}),
                    created_at=now,
                    updated_at=now,
                )
            updated_at = (
                max(now, existing.updated_at)
                if expected is None
                else next_updated_at(existing.updated_at, now)
            )
            return existing.replace(
                working_memory=(
                    existing.working_memory if working_memory is UNSET else working_memory
                ),
                metadata={**(existing.metadata or {}), **(metadata or {})},
                updated_at=updated_at,
            )

        return await self._modify_resource(resource_id, mutate)

    # ---- cloning --------------------------------------------------------------------------

    async def clone_thread(
        self,
        source_thread_id: str,
        *,
        new_thread_id: str | None = None,
        resource_id: str | None = None,
        title: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        message_limit: int | None = None,
        message_filter: MessageFilter | None = None,
    ) -> CloneResult:
        """Copy a thread and (a filtered subset of) its messages under new ids, atomically."""
        require_non_empty(source_thread_id, field="source_thread_id", operation="CLONE_THREAD")
        target_id = new_thread_id if new_thread_id is not None else str(uuid.uuid4())
        require_non_empty(target_id, field="new_thread_id", operation="CLONE_THREAD")
        optional_id(resource_id, field="resource_id", operation="CLONE_THREAD")
        if title is not None:
            check_text(title, field="title", operation="CLONE_THREAD")
        if message_limit is not None and (
            isinstance(message_limit, bool)
            or not isinstance(message_limit, int)
            or not 0 <= message_limit <= MAX_SAFE_INTEGER
        ):
            raise ValidationError(
                f"message_limit must be an integer from 0 to {MAX_SAFE_INTEGER}",
                id="MASTRA_STORAGE_CLONE_THREAD_INVALID_ARGS",
            )
        if metadata is not None:
            # the clone adds its own "clone" entry beside the caller's keys
            check_json_object(metadata, field="metadata", operation="CLONE_THREAD")
        check_optional_instance(
            message_filter, MessageFilter, field="message_filter", operation="CLONE_THREAD"
        )
        if message_filter is not None and message_filter.message_ids is not None:
            unique_strings(
                message_filter.message_ids,
                field="message_filter.message_ids",
                operation="CLONE_THREAD",
            )
        start = (
            parse_iso(message_filter.start_date)
            if message_filter and message_filter.start_date
            else None
        )
        end = (
            parse_iso(message_filter.end_date)
            if message_filter and message_filter.end_date
            else None
        )
        wanted_ids = (
            set(message_filter.message_ids)
            if message_filter and message_filter.message_ids is not None
            else None
        )
        now = utc_now()
        id_map: dict[str, str] = {}

        def build(source: Thread, messages: list[Message]) -> tuple[Thread, list[Message]]:
            selected = [
                m
                for m in messages
                if (wanted_ids is None or m.id in wanted_ids)
                and (start is None or m.created_at >= start)
                and (end is None or m.created_at <= end)
            ]
            if message_limit:
                selected = selected[-message_limit:]
            target_resource = resource_id if resource_id is not None else source.resource_id
            clone_info: dict[str, Any] = {
                "sourceThreadId": source.id,
                "clonedAt": to_iso(now),
            }
            if selected:
                clone_info["lastMessageId"] = selected[-1].id
            thread = Thread(
                id=target_id,
                resource_id=target_resource,
                title=title
                if title is not None
                else f"Clone of {source.title}"
                if source.title
                else "",
                metadata={**dict(metadata or {}), "clone": clone_info},
                created_at=now,
                updated_at=now,
            )
            copies = []
            id_map.clear()
            for m in selected:
                new_id = str(uuid.uuid4())
                id_map[m.id] = new_id
                copies.append(
                    m.replace(id=new_id, thread_id=target_id, resource_id=target_resource)
                )
            return thread, copies

        result = await self._clone_thread(source_thread_id, target_id, build)
        if result is None:
            raise NotFoundError(
                f"Source thread with id {source_thread_id} not found",
                id="MASTRA_STORAGE_CLONE_THREAD_SOURCE_NOT_FOUND",
                details={"source_thread_id": source_thread_id},
            )
        thread, copies = result
        return CloneResult(thread=thread, cloned_messages=copies, message_id_map=dict(id_map))


def _validate_includes(include: Sequence[IncludeSpec] | None) -> list[IncludeSpec]:
    out: list[IncludeSpec] = []
    for spec in include or ():
        if not isinstance(spec, IncludeSpec):
            raise ValidationError(
                f"include entries must be IncludeSpec, got {type(spec).__name__}",
                id="MASTRA_STORAGE_LIST_MESSAGES_INVALID_INCLUDE",
            )
        require_non_empty(spec.id, field="include.id", operation="LIST_MESSAGES")
        optional_id(spec.thread_id, field="include.thread_id", operation="LIST_MESSAGES")
        for name in ("with_previous_messages", "with_next_messages"):
            value = getattr(spec, name)
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or not 0 <= value <= MAX_SAFE_INTEGER
            ):
                raise ValidationError(
                    f"include.{name} must be an integer from 0 to {MAX_SAFE_INTEGER}",
                    id="MASTRA_STORAGE_LIST_MESSAGES_INVALID_INCLUDE",
                )
        if max(spec.with_previous_messages, spec.with_next_messages) > MAX_INCLUDE_WINDOW:
            # Same result (no thread holds 2**31 messages), and SQL drivers bind int32.
            spec = msgspec.structs.replace(
                spec,
                with_previous_messages=min(spec.with_previous_messages, MAX_INCLUDE_WINDOW),
                with_next_messages=min(spec.with_next_messages, MAX_INCLUDE_WINDOW),
            )
        out.append(spec)
    return out


__all__ = [
    "DEFAULT_MESSAGES_PER_PAGE",
    "DEFAULT_THREADS_PER_PAGE",
    "UNSET",
    "BaseMemoryStore",
    "CloneBuilder",
    "IncludeSpec",
    "MemoryStore",
    "MessageFilter",
    "MessageMutation",
    "MessageQuery",
    "MessageQueryResult",
    "ResourceMutation",
    "StoredMessage",
    "ThreadMutation",
    "ThreadQuery",
    "context_window",
    "json_equal",
    "merge_message_content",
    "message_sort_key",
    "thread_matches",
]
