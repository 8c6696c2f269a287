"""The memory backend contract: what a backend implements for threads, messages and resources.

:class:`MemoryBackend` is the public contract. The core's
:class:`~mastra_storage.domains.memory.MemoryStore` is composed over one: it validates input
before any I/O, does the paging arithmetic, merges include windows, computes ``has_more``
and cursors, and merges partial updates. A backend only does I/O: each method is one atomic
unit on its backend (one transaction, one batch, one pipeline). Methods that
read-modify-write receive a pure function from the core and apply it *inside* their
transaction, so the merge rules live in the core and the atomicity lives in the backend.

Ordering contract: messages sort by ``created_at``, and messages with the same
``created_at`` keep insertion order (a backend-assigned, monotonically increasing ``seq``);
an upsert keeps a message's original ``seq`` and ``created_at``.

Optional capabilities (resource scans, resource deletes, resource-scoped message queries)
are separate protocols in :mod:`mastra_storage.backend.capabilities`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

import msgspec

from ..pagination import Cursor, ResolvedDateRange, ResolvedOrder
from ..records import Message, MessageContent, Resource, Thread
from ..timeutil import to_epoch_ms
from .paging import PageKey, run_page


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

    def matches(self, message: Message) -> bool:
        """The main set's filter, for backends that filter in Python."""
        if self.thread_ids is not None and message.thread_id not in self.thread_ids:
            return False
        if self.resource_id is not None and message.resource_id != self.resource_id:
            return False
        return self.date_range is None or self.date_range.contains(message.created_at)

    def execute_page(self, rows: Iterable[StoredMessage]) -> tuple[list[StoredMessage], int]:
        """The reference executor of the main set over stored messages (any superset):
        filter, sort, count, cut after the cursor, slice ``limit + 1``. Include windows
        are separate (:func:`context_window`). ``limit=0`` skips the main set."""
        if self.limit == 0:
            return [], 0
        return run_page(
            (row for row in rows if self.matches(row.message)),
            key=stored_message_key,
            descending=self.descending,
            after=self.after,
            offset=self.offset,
            limit=self.limit,
            count=self.count,
        )


class MessageQueryResult(msgspec.Struct, kw_only=True):
    """What ``query_messages`` returns: the page (up to ``limit + 1`` rows), the total of
    the filtered set (0 when the query did not ask for it), and the ``include`` context
    messages (the windows around the ids the query names)."""

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

    def key(self, thread: Thread) -> PageKey:
        """A thread's position in this query's order: ``(order field ms, id)``."""
        value = thread.created_at if self.order.field == "created_at" else thread.updated_at
        return (to_epoch_ms(value), thread.id)

    def execute(self, threads: Iterable[Thread]) -> tuple[list[Thread], int]:
        """The reference executor over threads in Python (any superset): filter, sort,
        count, cut after the cursor, slice ``limit + 1``."""
        return run_page(
            (t for t in threads if thread_matches(t, self.resource_id, self.metadata)),
            key=self.key,
            descending=self.order.descending,
            after=self.after,
            offset=self.offset,
            limit=self.limit,
            count=self.count,
        )


def stored_message_key(item: StoredMessage) -> PageKey:
    """A stored message's position in message order: ``(created_at ms, seq)``."""
    return (to_epoch_ms(item.message.created_at), item.seq)


ThreadMutation = Callable[[Thread], Thread]
MessageMutation = Callable[[Message], Message]
ResourceMutation = Callable[["Resource | None"], Resource]
CloneBuilder = Callable[[Thread, list[Message]], tuple[Thread, list[Message]]]


# --------------------------------------------------------------------------- helpers for backends

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


# --------------------------------------------------------------------------- the contract


class MemoryBackend(ABC):
    """What a backend implements for the memory domain (threads, messages, resources).

    Every method is a coroutine and one atomic unit of I/O. Arguments arrive validated
    (ids non-empty, records well formed, JSON checked): a backend does not re-validate
    them. Records a backend returns are the caller's: mutating them must not change what
    is stored.
    """

    #: The kind of :attr:`StoredMessage.seq` this backend assigns (``int``, or ``str`` for a
    #: sequence that sorts as text): a message cursor whose tie-break is of another kind is
    #: refused before it reaches a query.
    message_seq_kind: ClassVar[type[int] | type[str]] = int

    async def init(self) -> None:
        """Create or upgrade what this domain needs (tables, indexes). Idempotent; the
        default does nothing."""

    @abstractmethod
    async def dangerously_clear_all(self) -> None:
        """Delete every thread, message and resource (meant for tests)."""

    @abstractmethod
    async def get_thread(self, thread_id: str) -> Thread | None:
        """The thread with this id, or ``None``."""

    @abstractmethod
    async def upsert_thread(self, thread: Thread) -> None:
        """Insert or fully replace the thread row (its messages are untouched)."""

    @abstractmethod
    async def modify_thread(self, thread_id: str, mutate: ThreadMutation) -> Thread | None:
        """Atomically read the thread, write ``mutate(thread)`` and return it (``None``,
        writing nothing, when the thread is missing). An exception from ``mutate`` aborts
        the write and propagates."""

    @abstractmethod
    async def delete_thread(self, thread_id: str) -> None:
        """Delete the thread and all its messages atomically; a missing thread is a no-op."""

    @abstractmethod
    async def query_threads(self, query: ThreadQuery) -> tuple[list[Thread], int]:
        """Execute a :class:`ThreadQuery`: up to ``limit + 1`` threads and the total
        (0 when ``query.count`` is false). :meth:`ThreadQuery.execute` is the reference."""

    @abstractmethod
    async def query_messages(self, query: MessageQuery) -> MessageQueryResult:
        """Execute a thread-scoped :class:`MessageQuery` (``thread_ids`` is set): up to
        ``limit + 1`` page rows, the total and the include windows."""

    @abstractmethod
    async def get_messages(self, message_ids: list[str]) -> list[StoredMessage]:
        """Messages with these ids, in any thread, in any order; unknown ids are ignored."""

    @abstractmethod
    async def save_messages(self, messages: list[Message], now: datetime) -> None:
        """Atomically upsert ``messages`` (keyed by id; a message may move thread).

        On conflict keep the stored ``created_at`` and ``seq``; replace thread, resource,
        role, type and content. Set ``updated_at = now`` on every distinct thread of the
        batch. If any of those threads does not exist, raise
        :class:`~mastra_storage.errors.NotFoundError` and write nothing. Ids in the batch
        are distinct (the core collapses repeats).
        """

    @abstractmethod
    async def modify_messages(
        self, message_ids: list[str], mutate: MessageMutation, now: datetime
    ) -> list[Message]:
        """Atomically load these messages (unknown ids are skipped), write
        ``mutate(message)`` for each keeping its ``seq`` (``mutate`` never changes ``id``
        or ``created_at``), set ``updated_at = now`` on each message's old and new thread,
        and return the results in ``message_ids`` order. If a message would move to a
        thread that does not exist, raise :class:`~mastra_storage.errors.NotFoundError` and
        write nothing."""

    @abstractmethod
    async def delete_messages(self, message_ids: list[str], now: datetime) -> None:
        """Atomically delete these messages (unknown ids are ignored) and set
        ``updated_at = now`` on their threads."""

    @abstractmethod
    async def get_resource(self, resource_id: str) -> Resource | None:
        """The resource with this id, or ``None``."""

    @abstractmethod
    async def upsert_resource(self, resource: Resource) -> None:
        """Insert or fully replace the resource."""

    @abstractmethod
    async def modify_resource(self, resource_id: str, mutate: ResourceMutation) -> Resource:
        """Atomically read the resource (or ``None``), write ``mutate(it)`` and return it.
        An exception from ``mutate`` aborts the write and propagates."""

    @abstractmethod
    async def clone_thread(
        self, source_thread_id: str, new_thread_id: str, build: CloneBuilder
    ) -> tuple[Thread, list[Message]] | None:
        """In one transaction: read the source thread (``None`` if missing, writing
        nothing) and its messages in ``(created_at, seq)`` order; if ``new_thread_id``
        exists raise :class:`~mastra_storage.errors.ConflictError`; insert and return
        ``build(source, messages)``."""


__all__ = [
    "CloneBuilder",
    "IncludeSpec",
    "MemoryBackend",
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
    "plan_message_updates",
    "stored_message_key",
    "thread_matches",
]
