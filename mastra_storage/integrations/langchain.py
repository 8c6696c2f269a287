"""LangChain chat history on mastra-storage: ``MastraChatMessageHistory``.

A ``BaseChatMessageHistory`` for one Mastra thread, with native async methods
(``aget_messages``, ``aadd_messages``, ``aclear``) and the sync ones LangChain's sync API
calls (``messages``, ``add_messages``, ``clear``) through :mod:`mastra_storage.sync`::

    async with connect("file:mastra.db") as storage:
        history = MastraChatMessageHistory(storage, thread_id="t1", resource_id="user-42")
        chain = RunnableWithMessageHistory(model, lambda session_id: history)

Messages are stored as Mastra V2 messages (tool calls and their results as one
``tool-invocation`` part), so a Mastra app reading the thread shows the conversation with
its tool calls; :mod:`.langchain_convert` holds the mapping. Needs the ``langchain`` extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..composite import MastraStorage
from ..errors import MissingDependencyError, NotFoundError, ValidationError

try:
    from langchain_core.chat_history import BaseChatMessageHistory
except ImportError as exc:  # the extra is not installed: say which one
    raise MissingDependencyError(
        "the LangChain integration needs langchain-core: pip install 'mastra-storage[langchain]'",
        id="MASTRA_STORAGE_MISSING_DEPENDENCY",
        details={"extra": "langchain"},
    ) from exc

from ..memory import Memory
from ..memory.sanitize import clean_message
from ..pagination import OrderBy
from ..sync import SyncStorage
from .langchain_convert import from_mastra, to_mastra

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

    from ..domains.memory import MemoryStore

__all__ = ["MastraChatMessageHistory"]

_NEWEST_FIRST = OrderBy(field="created_at", direction="DESC")
_THREAD_NOT_FOUND_ON_SAVE = "MASTRA_STORAGE_SAVE_MESSAGES_THREAD_NOT_FOUND"
#: How many stored messages a tool result may look back through to find its call.
TOOL_CALL_LOOKBACK = 20


class MastraChatMessageHistory(BaseChatMessageHistory):
    """The messages of Mastra thread ``thread_id`` owned by ``resource_id``.

    ``storage``: an async :class:`~mastra_storage.MastraStorage` (native async methods; the
    sync ones drive it on a private :mod:`~mastra_storage.sync` portal thread, which needs
    a store not bound to another event loop) or a :class:`~mastra_storage.sync.SyncStorage`
    (sync methods direct; async ones wait for it in a worker thread).
    ``last_messages``: read only the newest N (``None``: the whole thread).

    Writes: one atomic ``save_messages`` per call. The first write goes through
    :meth:`Memory.save_turn` (the thread created on first use, another resource's thread
    refused with ``ResourceMismatchError``, nothing written on error); once the thread is
    known to be this resource's, a batch whose messages carry no ids of their own skips
    those ownership reads (one round trip), and messages with explicit ids are always
    checked.
    """

    def __init__(
        self,
        storage: MastraStorage | SyncStorage,
        thread_id: str,
        resource_id: str,
        *,
        last_messages: int | None = None,
    ) -> None:
        if not isinstance(thread_id, str) or not thread_id:
            raise ValidationError(
                "thread_id must be a non-empty string", id="MASTRA_LANGCHAIN_INVALID_ARGS"
            )
        if not isinstance(resource_id, str) or not resource_id:
            raise ValidationError(
                "resource_id must be a non-empty string", id="MASTRA_LANGCHAIN_INVALID_ARGS"
            )
        if last_messages is not None and (not isinstance(last_messages, int) or last_messages < 0):
            raise ValidationError(
                "last_messages must be None or >= 0", id="MASTRA_LANGCHAIN_INVALID_ARGS"
            )
        self.thread_id = thread_id
        self.resource_id = resource_id
        self.last_messages = last_messages
        self._facade: SyncStorage | None = storage if isinstance(storage, SyncStorage) else None
        self._owns_facade = False
        self._storage: MastraStorage = (
            storage.async_storage if isinstance(storage, SyncStorage) else storage
        )
        self._memory = Memory(self._storage)
        #: Set once a write found (or created) the thread as this resource's.
        self._owned = False
        self._memory_store: MemoryStore | None = None

    # ---- the async core ---------------------------------------------------------------------

    async def _store(self) -> MemoryStore:
        # Looked up once: require_store goes through the store's init and lifecycle checks.
        if self._memory_store is None:
            self._memory_store = await self._storage.require_store("memory")
        return self._memory_store

    async def _read(self) -> list[BaseMessage]:
        store = await self._store()
        if self.last_messages == 0:
            return []
        page = await store.list_messages(
            thread_id=self.thread_id,
            resource_id=self.resource_id,
            per_page=self.last_messages,
            order_by=_NEWEST_FIRST,
            include_total=False,
        )
        return from_mastra(
            reversed(page.items), thread_id=self.thread_id, resource_id=self.resource_id
        )

    async def _write(self, messages: Sequence[BaseMessage]) -> None:
        stored: list[Any] = []
        if any(m.type == "tool" for m in messages):
            # A tool result whose call is in an earlier write resolves that stored call.
            store = await self._store()
            page = await store.list_messages(
                thread_id=self.thread_id,
                resource_id=self.resource_id,
                per_page=TOOL_CALL_LOOKBACK,
                order_by=_NEWEST_FIRST,
                include_total=False,
            )
            stored = list(reversed(page.items))
        batch = to_mastra(
            messages, thread_id=self.thread_id, resource_id=self.resource_id, stored=stored
        )
        if not batch:
            return
        if self._owned and all(m.id is None for m in messages):
            # Fast path, one round trip: the thread was checked to be this resource's and
            # every id is freshly generated (updated stored messages were read by thread and
            # resource), so no ownership read is needed. A thread deleted since falls back.
            cleaned = [c for c in (clean_message(m) for m in batch) if c is not None]
            store = await self._store()
            try:
                if cleaned:
                    await store.save_messages(cleaned)
                return
            except NotFoundError as exc:
                if exc.id != _THREAD_NOT_FOUND_ON_SAVE:
                    raise
                self._owned = False
        await self._memory.save_turn(self.thread_id, self.resource_id, batch)
        self._owned = True

    async def _clear(self) -> None:
        store = await self._store()
        page = await store.list_messages(
            thread_id=self.thread_id,
            resource_id=self.resource_id,
            per_page=None,
            include_total=False,
        )
        if page.items:
            await store.delete_messages([m.id for m in page.items])

    # ---- async API ----------------------------------------------------------------------------

    async def aget_messages(self) -> list[BaseMessage]:
        """The thread's messages, oldest first (one ``list_messages``)."""
        if self._facade is not None:
            read: list[BaseMessage] = await _in_worker(self._facade.run, self._read)
            return read
        return await self._read()

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append ``messages`` in one atomic write (see the class docstring)."""
        if self._facade is not None:
            await _in_worker(self._facade.run, self._write, list(messages))
            return
        await self._write(list(messages))

    async def aclear(self) -> None:
        """Delete the thread's messages (the thread itself stays)."""
        if self._facade is not None:
            await _in_worker(self._facade.run, self._clear)
            return
        await self._clear()

    # ---- sync API -----------------------------------------------------------------------------

    def _sync(self) -> SyncStorage:
        if self._facade is None:
            self._facade = SyncStorage(self._storage)
            self._owns_facade = True
        return self._facade

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """The thread's messages, oldest first (blocking)."""
        return self._sync().run(self._read)

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append ``messages`` in one atomic write (blocking)."""
        self._sync().run(self._write, list(messages))

    def clear(self) -> None:
        """Delete the thread's messages (blocking)."""
        self._sync().run(self._clear)

    def close(self) -> None:
        """Stop the portal thread the sync methods started for an async store (the store
        itself stays open: it belongs to the caller)."""
        if self._owns_facade and self._facade is not None:
            self._facade.stop_portal()
            self._facade = None
            self._owns_facade = False


async def _in_worker(func: Any, *args: Any) -> Any:
    import anyio.to_thread

    return await anyio.to_thread.run_sync(func, *args)
