"""A blocking facade over the async core, for Celery tasks, Django views, notebooks and
LangChain's sync API.

Not a second implementation: every call runs the same async store (or ``Memory``) on a
private event loop in one background thread per :class:`SyncStorage` (an anyio blocking
portal), and the calling thread waits for the result::

    from mastra_storage import sync

    with sync.connect("file:mastra.db") as storage:      # init() on enter, close() on exit
        memory = storage.require_store("memory")          # blocking proxy of the domain
        page = memory.list_messages(thread_id="t1", per_page=40)
        agent_memory = sync.Memory(storage, options={"lastMessages": 10})
        agent_memory.recall("t1", "user-42")

Limits (docs/sync.md): a blocking call made from a thread that runs an event loop raises
:class:`~mastra_storage.errors.EventLoopMismatchError` (it would stall that loop; use the
async API there). The facade is thread-safe: calls from several threads run concurrently as
tasks on the portal's loop, as concurrent coroutines would. ``close()`` is bounded by the
store's own close bound plus :data:`PORTAL_STOP_TIMEOUT`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import threading
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import EventLoopMismatchError, StoreClosedError

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal

    from .composite import DoctorReport, MastraStorage

T = TypeVar("T")

#: Seconds ``close()`` waits for the portal thread to finish after the store has closed.
PORTAL_STOP_TIMEOUT = 5.0


def _refuse_inside_event_loop(what: str, allowed: bool = False) -> None:
    """Raise if the calling thread runs an event loop (unless ``allowed``): blocking it
    would stall every task."""
    if allowed:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise EventLoopMismatchError(
        f"mastra_storage.sync: {what} was called from a running event loop; blocking "
        "calls would stall it. Use the async API (mastra_storage.connect) there, or "
        "sync.connect(..., allow_running_loop=True) in a notebook (docs/sync.md).",
        id="MASTRA_STORAGE_SYNC_IN_EVENT_LOOP",
    )


class _Portal:
    """One event-loop thread and the way in: ``run(fn, ...)`` runs ``fn`` there and waits."""

    def __init__(self, allow_running_loop: bool = False) -> None:
        from anyio.from_thread import start_blocking_portal

        self.allow_running_loop = allow_running_loop
        self._exit = contextlib.ExitStack()
        self._portal: BlockingPortal = self._exit.enter_context(
            start_blocking_portal(name="mastra-storage-sync")
        )
        self._thread = self._portal.call(threading.current_thread)
        self._lock = threading.Lock()
        self.closed = False

    def run(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``func(*args, **kwargs)`` on the portal loop (awaited if it is a coroutine)."""
        _refuse_inside_event_loop(
            getattr(func, "__qualname__", "a storage call"), self.allow_running_loop
        )
        if self.closed:
            raise StoreClosedError(
                "mastra_storage.sync: the store is closed", id="MASTRA_STORAGE_CLOSED"
            )
        return self._portal.call(_call_and_await, functools.partial(func, *args, **kwargs))

    def stop(self) -> None:
        """Stop the loop (cancelling what still runs) and join its thread, bounded."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
        with contextlib.suppress(RuntimeError):
            self._portal.call(self._portal.stop, True)
        # The context manager's exit joins the (now finished) thread without a bound: only
        # enter it once the thread is known to have ended.
        self._thread.join(PORTAL_STOP_TIMEOUT)
        if not self._thread.is_alive():
            self._exit.close()


async def _call_and_await(call: Callable[[], Any]) -> Any:
    result = call()
    if inspect.isawaitable(result):
        return await result
    return result


class SyncProxy:
    """A blocking view of one async object (a domain store, ``Memory``, ...).

    Attribute access returns the object's attribute; calling a method runs it on the
    portal's loop and waits: coroutine results are awaited there, plain results returned.
    Errors are the async core's own (:mod:`mastra_storage.errors`).
    """

    __slots__ = ("_portal", "_target")

    def __init__(self, target: Any, portal: _Portal) -> None:
        self._target = target
        self._portal = portal

    @property
    def async_object(self) -> Any:
        """The wrapped async object (for code that runs on the portal loop itself)."""
        return self._target

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr) or not _is_async_callable(attr):
            return attr

        @functools.wraps(attr)
        def blocking(*args: Any, **kwargs: Any) -> Any:
            return self._portal.run(attr, *args, **kwargs)

        return blocking

    def __repr__(self) -> str:
        return f"SyncProxy({self._target!r})"


def _is_async_callable(attr: Any) -> bool:
    func = getattr(attr, "__func__", attr)
    return inspect.iscoroutinefunction(func) or bool(getattr(func, "__wrapped_by_lifecycle__", 0))


class SyncStorage:
    """A :class:`~mastra_storage.MastraStorage` driven from blocking code.

    Owns one event-loop thread. ``init()`` is idempotent; ``close()`` closes the store and
    stops the thread (bounded; idempotent). ``with`` runs both.
    """

    def __init__(
        self,
        storage: MastraStorage | Callable[[], MastraStorage],
        *,
        allow_running_loop: bool = False,
    ) -> None:
        """``storage``: a store, or a zero-argument callable building one (called on the
        portal's loop, so a driver that binds to its creating loop binds to that one).
        ``allow_running_loop``: accept blocking calls from a thread running an event loop
        (a Jupyter kernel runs every cell inside one), stalling that loop while they run."""
        _refuse_inside_event_loop("SyncStorage()", allow_running_loop)
        self._portal = _Portal(allow_running_loop)
        try:
            self._storage: MastraStorage = (
                self._portal.run(storage) if callable(storage) else storage
            )
        except BaseException:
            self._portal.stop()
            raise

    @property
    def async_storage(self) -> MastraStorage:
        """The underlying async store."""
        return self._storage

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._portal.closed

    def run(self, func: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run an async callable on this facade's loop and return its result (for async
        helpers the facade does not proxy)."""
        result: T = self._portal.run(func, *args, **kwargs)
        return result

    def init(self) -> None:
        """Create or upgrade the schema (idempotent)."""
        self._portal.run(self._storage.init)

    def doctor(self) -> DoctorReport:
        """The store's health report (reads only)."""
        report: DoctorReport = self._portal.run(self._storage.doctor)
        return report

    def get_store(self, name: str) -> SyncProxy | None:
        """The blocking view of domain ``name``, or ``None`` if the store has none."""
        domain = self._portal.run(self._storage.get_store, name)
        return None if domain is None else SyncProxy(domain, self._portal)

    def require_store(self, name: str) -> SyncProxy:
        """The blocking view of domain ``name``; ``NotSupportedError`` if absent."""
        return SyncProxy(self._portal.run(self._storage.require_store, name), self._portal)

    def wrap(self, obj: Any) -> SyncProxy:
        """A blocking view of any async object that uses this store (it runs on this
        facade's loop)."""
        return SyncProxy(obj, self._portal)

    def close(self) -> None:
        """Close the store (bounded by its ``close_timeout``) and stop the loop thread."""
        if self._portal.closed:
            return
        _refuse_inside_event_loop("SyncStorage.close()", self._portal.allow_running_loop)
        try:
            self._portal.run(self._storage.close)
        finally:
            self._portal.stop()

    def stop_portal(self) -> None:
        """Stop the loop thread without closing the store (for a facade lent to an async
        store its owner closes); later blocking calls raise ``StoreClosedError``."""
        self._portal.stop()

    def __enter__(self) -> SyncStorage:
        self.init()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SyncStorage({self._storage!r})"


def connect(
    url: str | None = None, *, allow_running_loop: bool = False, **options: Any
) -> SyncStorage:
    """The blocking counterpart of :func:`mastra_storage.connect` (same URLs and options;
    without ``url``, ``$MASTRA_STORAGE_URL``). Not yet initialised: use ``with`` or call
    ``init()``. ``allow_running_loop``: see :class:`SyncStorage` (for notebooks)."""
    from .registry import connect as connect_async
    from .registry import url_from_env

    resolved = url_from_env(url)  # raise the ConfigurationError before starting a thread
    return SyncStorage(
        functools.partial(connect_async, resolved, **options),
        allow_running_loop=allow_running_loop,
    )


class Memory(SyncProxy):
    """A blocking :class:`mastra_storage.memory.Memory` on ``storage`` (same keyword
    arguments: ``vector=``, ``embedder=``, ``options=``); every method blocks."""

    __slots__ = ()

    def __init__(self, storage: SyncStorage, **kwargs: Any) -> None:
        from .memory import Memory as AsyncMemory

        super().__init__(AsyncMemory(storage.async_storage, **kwargs), storage._portal)


__all__ = ["PORTAL_STOP_TIMEOUT", "Memory", "SyncProxy", "SyncStorage", "connect"]
