"""The memory domain: threads, messages, resources (working memory) and thread cloning.

:class:`MemoryStore` implements the domain once for every backend, composed over a
:class:`~mastra_storage.backend.MemoryBackend`: it validates input before any I/O, does
the paging arithmetic, merges include windows, sorts, computes ``has_more`` and cursors,
and merges partial updates. The backend does the I/O, each call one atomic unit (one
transaction, one batch, one pipeline); calls that read-modify-write hand the backend a pure
function that it applies *inside* its transaction, so the merge rules live here and the
atomicity lives in the backend.

Ordering contract (every backend): messages sort by ``created_at``, and messages with the
same ``created_at`` keep insertion order (a backend-assigned, monotonically increasing
``seq``); an upsert keeps a message's original ``seq`` and ``created_at``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, cast

import msgspec

from ..backend.capabilities import (
    SupportsMessageJSON,
    SupportsObservationalMemory,
    SupportsResourceMessages,
)
from ..backend.memory import (
    CloneBuilder,
    IncludeSpec,
    MemoryBackend,
    MessageFilter,
    MessageMutation,
    MessageQuery,
    MessageQueryResult,
    ResourceMutation,
    StoredMessage,
    ThreadMutation,
    ThreadQuery,
    context_window,
    json_equal,
    merge_message_content,
    message_sort_key,
    plan_message_updates,
    thread_matches,
)
from ..errors import NotFoundError, NotSupportedError, ValidationError
from ..om_records import om_lookup_key
from ..pagination import (
    MAX_SAFE_INTEGER,
    Cursor,
    DateRange,
    OrderBy,
    Page,
    decode_cursor,
    encode_cursor,
    page_window,
    parse_order_by,
    validate_page_args,
)
from ..records import (
    CheckedMessages,
    CloneResult,
    Message,
    MessageContent,
    MessageUpdate,
    Resource,
    Thread,
    content_json_bytes,
)
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
    plain_json_text,
    require_non_empty,
    unique_strings,
    validate_metadata_filter,
)
from ..versioning import NEW, check_expected_version, check_version, next_updated_at
from .base import DomainStore
from .observational_memory import ObservationalMemoryStore
from .paging import cursor_scope


class MessageParts(NamedTuple):
    """One message as :meth:`MemoryStore.list_message_parts` returns it."""

    id: str
    role: str
    parts: list[dict[str, Any]]


DEFAULT_MESSAGES_PER_PAGE = 40
DEFAULT_THREADS_PER_PAGE = 100
#: Include windows larger than this are clamped to it before reaching an adapter.
MAX_INCLUDE_WINDOW = 2**31 - 1


class _Unset:
    """Marker for "argument not given" where ``None`` is a meaningful value."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


_ROLES = ("user", "assistant", "system")


def check_message(message: Any) -> Message:
    """``message`` when it can be saved; else :class:`ValidationError` naming what is wrong."""
    checked_content_json(message)
    return cast(Message, message)  # checked to be one just now


def checked_content_json(message: Any) -> str:
    """:func:`check_message`, returning the JSON text of the message's content (which the
    check has to encode anyway)."""
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
    data = content_json_bytes(message.content)
    if data is not None and plain_json_text(data, max_depth=MAX_JSON_DEPTH - 1):
        return data.decode()  # the usual content: encoded once, straight from the struct
    return dumps_record(message.content, operation="SAVE_MESSAGES", max_depth=MAX_JSON_DEPTH - 1)


# --------------------------------------------------------------------------- the domain store


class MemoryStore(DomainStore[MemoryBackend]):
    """Threads, messages and resources: the memory domain, composed over a backend.

    Validates input before any I/O, does the paging arithmetic, merges include windows,
    sorts, computes ``has_more`` and cursors, and merges partial updates; the
    :class:`~mastra_storage.backend.MemoryBackend` it wraps does the I/O, one atomic unit
    per call. Every method is a coroutine; bad input raises
    :class:`~mastra_storage.errors.ValidationError` before anything is read or written.

    Errors every method may raise, besides those its own docstring names:
    :class:`~mastra_storage.errors.UnavailableError` (the backend cannot be reached, or
    did not answer within ``operation_timeout``; a write that fails this way was either
    applied whole or not at all), :class:`~mastra_storage.errors.StoreClosedError` (the
    store was closed), :class:`~mastra_storage.errors.EventLoopMismatchError` (called
    from another event loop than the store's) and
    :class:`~mastra_storage.errors.BackendError` (an unexpected backend failure).
    """

    @property
    def supports_resource_scoped_queries(self) -> bool:
        """Whether the backend can list one resource's messages across its threads
        (:class:`~mastra_storage.backend.SupportsResourceMessages`)."""
        return isinstance(self.backend, SupportsResourceMessages)

    @property
    def observational_memory(self) -> ObservationalMemoryStore:
        """The observational memory store over this backend; raises
        :class:`~mastra_storage.errors.NotSupportedError` when the backend lacks
        :class:`~mastra_storage.backend.capabilities.SupportsObservationalMemory`."""
        if not isinstance(self.backend, SupportsObservationalMemory):
            raise NotSupportedError(
                f"{type(self.backend).__name__} does not store observational memory",
                id="MASTRA_STORAGE_OBSERVATIONAL_MEMORY_NOT_SUPPORTED",
            )
        return ObservationalMemoryStore(self.backend)

    @property
    def message_seq_kind(self) -> type[int] | type[str]:
        """The kind of the backend's message insertion sequence (cursor tie-break)."""
        return self.backend.message_seq_kind

    # ---- threads --------------------------------------------------------------------------

    async def get_thread_by_id(self, thread_id: str) -> Thread | None:
        """The thread with this id, or ``None``. One read.

        :raises ValidationError: an empty or non-string ``thread_id``, before any I/O.
        :raises UnavailableError: the backend cannot be reached or did not answer in time.
        """
        require_non_empty(thread_id, field="thread_id", operation="GET_THREAD_BY_ID")
        return await self.backend.get_thread(thread_id)

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
        await self.backend.upsert_thread(thread)
        return thread

    async def update_thread(
        self,
        thread_id: str,
        *,
        title: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        check: Callable[[Thread], None] | None = None,
    ) -> Thread:
        """Replace the title (when given) and shallow-merge metadata; bumps ``updated_at``.

        One atomic read-modify-write. ``check``, when given, sees the stored thread inside
        it; an exception it raises aborts the update and propagates (``Memory`` checks the
        thread's owner this way). Raises :class:`NotFoundError` when the thread does not
        exist.
        """
        require_non_empty(thread_id, field="thread_id", operation="UPDATE_THREAD")
        if title is not None:
            check_text(title, field="title", operation="UPDATE_THREAD")
        if metadata is not None:
            check_json_object(metadata, field="metadata", operation="UPDATE_THREAD")
        now = utc_now()

        def mutate(thread: Thread) -> Thread:
            if check is not None:
                check(thread)
            merged = {**(thread.metadata or {}), **(metadata or {})}
            return thread.replace(
                title=thread.title if title is None else title,
                metadata=merged if (metadata is not None or thread.metadata is not None) else None,
                updated_at=max(now, thread.updated_at),
            )

        updated = await self.backend.modify_thread(thread_id, mutate)
        if updated is None:
            raise NotFoundError(
                f"Thread {thread_id} not found",
                id="MASTRA_STORAGE_UPDATE_THREAD_NOT_FOUND",
                details={"thread_id": thread_id},
            )
        return updated

    async def delete_thread(self, thread_id: str) -> None:
        """Delete a thread and all its messages (atomically); a missing thread is a no-op.
        Then its thread-scoped observational memory, so a deleted conversation's notes do
        not outlive it (a failure there leaves the thread deleted; calling again finishes)."""
        require_non_empty(thread_id, field="thread_id", operation="DELETE_THREAD")
        await self.backend.delete_thread(thread_id)
        if isinstance(self.backend, SupportsObservationalMemory):
            await self.backend.delete_om_records(om_lookup_key(thread_id, None))

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
        scope = cursor_scope(
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
        threads, total = await self.backend.query_threads(query)
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
        scope = cursor_scope(
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
        if thread_ids is not None:
            result = await self.backend.query_messages(query)
        elif isinstance(self.backend, SupportsResourceMessages):
            result = await self.backend.query_resource_messages(query)
        else:
            raise NotSupportedError(
                f"{type(self.backend).__name__} cannot list a resource's messages across "
                "threads (no SupportsResourceMessages capability)",
                id="MASTRA_STORAGE_LIST_MESSAGES_BY_RESOURCE_ID_NOT_SUPPORTED",
                details={"resource_id": resource_id or ""},
            )
        page_rows = result.page
        more_after = window.limit is not None and len(page_rows) > window.limit
        if window.limit is not None:
            page_rows = page_rows[: window.limit]

        if result.included:
            merged: dict[str, StoredMessage] = {item.message.id: item for item in page_rows}
            for item in result.included:
                # A resource filter scopes included messages too: include ids must never
                # reveal another tenant's messages (Mastra PR #20902).
                if resource_id is None or item.message.resource_id == resource_id:
                    merged.setdefault(item.message.id, item)
            ordered = sorted(merged.values(), key=message_sort_key, reverse=order.descending)
            messages = [item.message for item in ordered]
        else:
            # The page alone is already in this order (the backend's contract, which the
            # trimming above and the cursor below rely on too): no merge, no sort.
            messages = [item.message for item in page_rows]

        total: int | None = result.total if not fast_path else 0
        if per_page is None or fast_path:
            more = False
        elif after is not None or not more_after or not result.included:
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
        found = await self.backend.get_messages(ids)
        return [item.message for item in sorted(found, key=message_sort_key)]

    async def list_message_parts(
        self, thread_id: str, *, limit: int | None = None
    ) -> list[MessageParts]:
        """The parts of a thread's newest ``limit`` messages (``None``: all), oldest first.

        What a framework session's recall needs, without the message records: each entry
        is ``(id, role, parts)`` with the parts decoded fresh from storage (nothing is
        shared with any other result; the caller may mutate them). The same messages, in
        the same order, as ``list_messages(thread_id=..., per_page=limit, order_by=newest
        first)`` reversed. One read. Raises :class:`~mastra_storage.errors.ValidationError`
        (before any I/O) for a blank ``thread_id`` or a negative ``limit``.
        """
        require_non_empty(thread_id, field="thread_id", operation="LIST_MESSAGE_PARTS")
        if limit is not None and (type(limit) is not int or limit < 0):
            raise ValidationError(
                "limit must be a non-negative integer or None",
                id="MASTRA_STORAGE_LIST_MESSAGE_PARTS_INVALID_ARGS",
            )
        if limit == 0:
            return []
        newest_first = limit is not None
        query = MessageQuery(
            thread_ids=[thread_id],
            resource_id=None,
            date_range=None,
            descending=newest_first,
            offset=0,
            limit=limit,
            after=None,
            count=False,
            include=[],
        )
        backend = self.backend
        json_rows = self.__dict__.get("_json_rows")
        if json_rows is None:  # a protocol isinstance costs microseconds: once per store
            json_rows = self.__dict__["_json_rows"] = isinstance(backend, SupportsMessageJSON)
        if json_rows:
            rows = await backend.query_message_json(query)  # type: ignore[attr-defined]
            if newest_first:
                del rows[limit:]
                rows.reverse()
            decoded = MessageContent.parts_from_columns([row[2] for row in rows])
            new = tuple.__new__  # MessageParts without its keyword-handling constructor
            return [
                new(MessageParts, (row[0], row[1], parts))
                for row, parts in zip(rows, decoded, strict=True)
            ]
        page = (await backend.query_messages(query)).page
        if newest_first:
            page = page[:limit]
            page.reverse()
        messages = [item.message for item in page]
        # One msgspec round trip detaches every part from the records (cheaper than a
        # deep copy per part).
        copied: list[list[dict[str, Any]]] = msgspec.json.decode(
            msgspec.json.encode([m.content.parts for m in messages])
        )
        return [
            MessageParts(m.id, m.role, parts) for m, parts in zip(messages, copied, strict=True)
        ]

    async def save_messages(self, messages: Sequence[Message]) -> list[Message]:
        """Insert or update messages (upsert by id) and bump their threads' ``updated_at``.

        All-or-nothing: every message is validated first, every thread must exist, and the
        batch is written atomically. A message whose id exists in another thread moves.
        Repeated ids in one batch collapse to the last occurrence.
        """
        if isinstance(messages, Message):
            messages = [messages]
        checked = list(messages)
        texts = [checked_content_json(m) for m in checked]
        if not checked:
            return []
        if len({m.id for m in checked}) == len(checked):
            batch = CheckedMessages(checked, texts)
        else:
            by_id: dict[str, tuple[Message, str]] = {}
            for message, text in zip(checked, texts, strict=True):
                by_id.pop(message.id, None)
                by_id[message.id] = (message, text)
            kept = list(by_id.values())
            batch = CheckedMessages([m for m, _ in kept], [t for _, t in kept])
        # The content texts go along, so the backend does not encode them again.
        await self.backend.save_messages(batch, utc_now())
        return checked

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

        return await self.backend.modify_messages(list(by_id), mutate, utc_now())

    async def delete_messages(self, message_ids: Sequence[str]) -> None:
        """Delete messages by id (any threads) and bump their threads; unknown ids are ignored."""
        if isinstance(message_ids, str):
            raise ValidationError(
                "message_ids must be a list of ids, not a string",
                id="MASTRA_STORAGE_DELETE_MESSAGES_INVALID_ARGS",
            )
        ids = unique_strings(message_ids, field="message_ids", operation="DELETE_MESSAGES")
        if ids:
            await self.backend.delete_messages(ids, utc_now())

    # ---- resources ------------------------------------------------------------------------

    async def get_resource_by_id(self, resource_id: str) -> Resource | None:
        """The resource (a user's working memory and metadata), or ``None``. One read.

        :raises ValidationError: an empty or non-string ``resource_id``, before any I/O.
        :raises UnavailableError: the backend cannot be reached or did not answer in time.
        """
        require_non_empty(resource_id, field="resource_id", operation="GET_RESOURCE_BY_ID")
        return await self.backend.get_resource(resource_id)

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
        await self.backend.upsert_resource(resource)
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

        return await self.backend.modify_resource(resource_id, mutate)

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

        result = await self.backend.clone_thread(source_thread_id, target_id, build)
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
    "CloneBuilder",
    "IncludeSpec",
    "MemoryBackend",
    "MemoryStore",
    "MessageFilter",
    "MessageMutation",
    "MessageParts",
    "MessageQuery",
    "MessageQueryResult",
    "ResourceMutation",
    "StoredMessage",
    "ThreadMutation",
    "ThreadQuery",
    "check_message",
    "checked_content_json",
    "context_window",
    "json_equal",
    "merge_message_content",
    "message_sort_key",
    "plan_message_updates",
    "thread_matches",
]
