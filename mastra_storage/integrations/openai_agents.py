"""An OpenAI Agents SDK ``Session`` stored as a Mastra thread.

::

    from agents import Agent, Runner
    from mastra_storage.integrations.openai_agents import MastraSession

    session = MastraSession("conversation-1", "file:agent.db", resource_id="user-42")
    result = await Runner.run(agent, "Hi", session=session)

The session's items (``TResponseInputItem`` dicts) are stored as Mastra V2 messages of the
thread ``session_id`` (owned by ``resource_id``), converted by
:mod:`mastra_storage.integrations.openai_responses`: a Mastra app reading that thread sees
the user and assistant messages and each tool call with its result, and
:meth:`MastraSession.get_items` gives back exactly the items that were added.

It implements the SDK's ``Session`` protocol structurally, so this module imports nothing
from ``agents`` (the ``openai-agents`` extra is only needed to run agents).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, cast

from ..composite import MastraStorage
from ..domains.memory import MemoryStore
from ..errors import NotFoundError, ValidationError
from ..pagination import OrderBy
from ..records import Message, MessageContent, Thread
from . import openai_responses as conv
from . import tool_parts as tp

if TYPE_CHECKING:  # the SDK's item type, for type checkers only: no import at run time
    from agents.items import TResponseInputItem
else:
    TResponseInputItem = dict[str, Any]

__all__ = ["MastraSession"]

_NEWEST_FIRST = OrderBy(field="created_at", direction="DESC")
#: How many of the newest stored messages are searched for the call of a tool output
#: that arrives in a later ``add_items`` than its call.
_CALL_SEARCH_DEPTH = 20


class MastraSession:
    """OpenAI Agents SDK session (``get_items``/``add_items``/``pop_item``/``clear_session``).

    ``storage`` is a :class:`~mastra_storage.MastraStorage` (shared, not closed here) or a
    storage URL (connected on first use and closed by :meth:`close` / ``async with``).
    ``resource_id`` owns the thread (default: ``session_id``); ``title`` is the thread's
    title when this session creates it. ``session_settings`` is the SDK's
    ``SessionSettings`` (its ``limit`` is the default of :meth:`get_items`).

    Each ``add_items`` is one atomic ``save_messages`` call. Errors are the storage's
    (:mod:`mastra_storage.errors`); an item that is not a JSON object raises
    :class:`~mastra_storage.errors.ValidationError` and stores nothing.
    """

    session_settings: Any = None

    def __init__(
        self,
        session_id: str,
        storage: MastraStorage | str,
        *,
        resource_id: str | None = None,
        title: str = "",
        session_settings: Any = None,
    ) -> None:
        if not isinstance(session_id, str) or not session_id:
            raise ValidationError(
                "session_id must be a non-empty string", id="MASTRA_STORAGE_INVALID_THREAD"
            )
        self.session_id = session_id
        self.resource_id = resource_id or session_id
        self._resource_given = resource_id is not None
        self.title = title
        self.session_settings = session_settings
        self._url = storage if isinstance(storage, str) else None
        self._storage = None if isinstance(storage, str) else storage
        self._memory: MemoryStore | None = None
        self._thread_known = False

    def __repr__(self) -> str:  # never the URL: it may hold a secret
        return f"MastraSession(session_id={self.session_id!r}, resource_id={self.resource_id!r})"

    async def _store(self) -> MemoryStore:
        if self._memory is None:
            if self._storage is None:
                from ..registry import connect

                assert self._url is not None
                self._storage = connect(self._url)
            self._memory = await self._storage.require_store("memory")
        return self._memory

    async def close(self) -> None:
        """Close the storage if this session opened it from a URL (bounded; idempotent)."""
        if self._url is not None and self._storage is not None:
            storage, self._storage, self._memory = self._storage, None, None
            await storage.close()

    async def __aenter__(self) -> MastraSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ the Session protocol

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        """The session's items, oldest first; with ``limit``, only the newest ``limit``.

        Reads only as many messages as the newest ``limit`` items can span (each message
        holds at least one item), in one read, without counting the thread.
        """
        if limit is None:
            limit = getattr(self.session_settings, "limit", None)
        if limit is not None and limit <= 0:
            return []
        memory = await self._store()
        # Parts decoded straight from storage, owned by this call: no records, no copy.
        rows = await memory.list_message_parts(self.session_id, limit=limit)
        items = conv.owned_parts_to_items(rows)
        if limit is not None and len(items) > limit:
            del items[:-limit]
        return cast("list[TResponseInputItem]", items)

    async def add_items(
        self, items: Sequence[TResponseInputItem] | Sequence[Mapping[str, Any]]
    ) -> None:
        """Append items: new messages, and tool outputs merged into their stored calls.

        A ``function_call_output`` at the start of ``items`` whose call was stored by an
        earlier ``add_items`` completes that call's ``tool-invocation`` part (state
        ``result``), in the same atomic write as the new messages.
        """
        await self._add_items(items, _retried=False)

    async def _add_items(
        self, items: Sequence[TResponseInputItem] | Sequence[Mapping[str, Any]], *, _retried: bool
    ) -> None:
        if not items:
            return
        if not all(isinstance(item, Mapping) for item in items):
            raise ValidationError(
                "session items must be JSON objects", id="MASTRA_STORAGE_INVALID_MESSAGE"
            )
        memory = await self._store()
        batch_calls = {item.get("call_id") for item in items if item.get("type") == "function_call"}
        orphans = [
            item
            for item in items
            if item.get("type") == "function_call_output" and item.get("call_id") not in batch_calls
        ]
        updated: dict[str, Message] = {}
        if orphans:
            await self._ensure_thread(memory)
            page = await memory.list_messages(
                thread_id=self.session_id,
                per_page=_CALL_SEARCH_DEPTH,
                order_by=_NEWEST_FIRST,
                include_total=False,
            )
            stored = list(reversed(page.items))

            def resolve_stored(item: dict[str, Any], leading: bool) -> bool:
                if not leading:  # resolving it there would move it before earlier items
                    return False
                candidates = [updated.get(m.id, m) for m in stored]
                found = tp.find_call(candidates, item["call_id"])
                if found is None:
                    return False
                message, index = found
                parts = [dict(p) for p in message.content.parts]
                position = len(conv.message_to_items(message))
                extra = conv.output_extra(item, position, call_index=-2)  # always placed
                tp.resolve(parts[index], item.get("output"), namespace=conv.NAMESPACE, extra=extra)
                content = MessageContent.from_dict({**message.content.to_dict(), "parts": parts})
                updated[message.id] = message.replace(content=content)
                return True

            drafts = conv.items_to_drafts(items, on_orphan=resolve_stored)
        else:
            drafts = conv.items_to_drafts(items)
            await self._ensure_thread(memory)
        created = self._next_times(len(drafts))
        messages = list(updated.values()) + [
            Message(
                id=_new_id(),
                role=draft.role,
                created_at=when,
                thread_id=self.session_id,
                resource_id=self.resource_id,
                content=MessageContent(parts=draft.parts),
            )
            for draft, when in zip(drafts, created, strict=True)
        ]
        if not messages:
            return
        try:
            await memory.save_messages(messages)
        except NotFoundError:
            if not self._thread_known or _retried:
                raise
            # The thread was deleted since this session checked it (another session's
            # clear_session): convert again (stored calls went with it) and retry once.
            self._thread_known = False
            await self._add_items(items, _retried=True)

    async def pop_item(self) -> TResponseInputItem | None:
        """Remove and return the newest item (``None`` when the session has none).

        The newest message loses its last item (rewritten, or deleted when that was its
        only item); a tool output popped leaves its call in state ``call``.
        """
        memory = await self._store()
        cursor: str | None = None
        while True:
            page = await memory.list_messages(
                thread_id=self.session_id,
                per_page=10,
                order_by=_NEWEST_FIRST,
                cursor=cursor,
                include_total=False,
            )
            for message in page.items:
                items = conv.message_to_items(message)
                if not items:
                    continue  # a Mastra message with nothing an item can express
                popped, rest = items[-1], items[:-1]
                drafts = conv.items_to_drafts(rest)
                if len(drafts) == 1 and drafts[0].role == message.role:
                    content = MessageContent.from_dict(
                        {**message.content.to_dict(), "parts": drafts[0].parts}
                    )
                    await memory.save_messages([message.replace(content=content)])
                else:
                    await memory.delete_messages([message.id])
                    if drafts:
                        await memory.save_messages(
                            [
                                Message(
                                    id=_new_id(),
                                    role=draft.role,
                                    created_at=message.created_at + timedelta(milliseconds=n),
                                    thread_id=self.session_id,
                                    resource_id=self.resource_id,
                                    content=MessageContent(parts=draft.parts),
                                )
                                for n, draft in enumerate(drafts)
                            ]
                        )
                return cast("TResponseInputItem", popped)
            cursor = page.next_cursor
            if cursor is None or not page.items:
                return None

    async def clear_session(self) -> None:
        """Delete the session's thread and all its messages (atomic, per the backend)."""
        memory = await self._store()
        await memory.delete_thread(self.session_id)
        self._thread_known = False

    # ------------------------------------------------------------------------------ helpers

    async def _ensure_thread(self, memory: MemoryStore) -> None:
        """Create the thread on the first write (checked once per session object)."""
        if self._thread_known:
            return
        existing = await memory.get_thread_by_id(self.session_id)
        if existing is None:
            now = datetime.now(timezone.utc)
            await memory.save_thread(
                Thread(
                    id=self.session_id,
                    resource_id=self.resource_id,
                    title=self.title,
                    created_at=now,
                    updated_at=now,
                )
            )
        elif existing.resource_id != self.resource_id:
            if self._resource_given:
                raise ValidationError(
                    f"thread {self.session_id!r} belongs to another resource",
                    id="MASTRA_STORAGE_INVALID_THREAD",
                )
            self.resource_id = existing.resource_id  # a thread a Mastra app created
        self._thread_known = True

    def _next_times(self, count: int) -> list[datetime]:
        """``count`` creation times, a millisecond apart, after any this process issued."""
        return _CLOCK.next(count)


class _MillisecondClock:
    """Strictly increasing millisecond timestamps for every session of this process.

    Why: stores order messages by ``createdAt`` at millisecond precision, and a web app
    typically builds a new session object per request; two messages in one millisecond
    could read back swapped (a tool result before its call: Mastra issue #3735).
    """

    def __init__(self) -> None:
        self._last: datetime | None = None
        self._lock = threading.Lock()  # sessions may live on several event-loop threads

    def next(self, count: int) -> list[datetime]:
        now = datetime.now(timezone.utc)
        start = now.replace(microsecond=now.microsecond // 1000 * 1000)
        with self._lock:
            if self._last is not None and start <= self._last:
                start = self._last + timedelta(milliseconds=1)
            times = [start + timedelta(milliseconds=n) for n in range(count)]
            if times:
                self._last = times[-1]
        return times


_CLOCK = _MillisecondClock()


def _new_id() -> str:
    return str(uuid.uuid4())
