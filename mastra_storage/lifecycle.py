"""Open, closed and bound to one event loop: the life of a store, and a deadline per call.

Why in the core: every backend needs the same four promises, and a promise kept in five
adapters separately is kept in four.

* **Closed means closed.** After ``close()`` every domain call, ``init()`` and
  ``get_store()`` raises :class:`~mastra_storage.errors.StoreClosedError` before any I/O;
  ``close()`` itself is idempotent.
* **One event loop.** A store whose connections belong to an event loop
  (``binds_event_loop``: asyncpg, redis-py, PyMongo, aiobotocore) records the loop of its
  first call; a call from another loop (a second ``asyncio.run``) raises
  :class:`~mastra_storage.errors.EventLoopMismatchError` instead of the driver's
  "Event loop is closed" or a hang.
* **An overall deadline per call.** With ``operation_timeout`` set, a domain call that has
  not finished after that many seconds raises
  :class:`~mastra_storage.errors.UnavailableError`, however the time was spent (waiting for
  a pooled connection, a server that never answers, a reply trickling one byte at a time,
  retries). The call runs as its own task, so the caller gets its answer at the deadline
  even if the driver is slow to give up; the abandoned task is cancelled and reaped. A
  caller that cancels (``asyncio.wait_for``) is answered at once the same way. An adapter
  whose calls let go at once when cancelled (``cancels_promptly``: nothing it awaits after
  a cancellation waits on the server) runs them in the caller's task instead (Python
  3.11+), cancelled where it waits at the deadline: the same answer at the same time,
  without a task and a future per call, and with one timer for all of the store's calls
  (:mod:`mastra_storage.deadlines`).
* **A bounded close.** ``close()`` waits at most ``close_timeout`` seconds for the adapter
  to close politely, then drops its connections (``_abandon_connections``).

:func:`guard_domain` applies this to each domain object a store creates (the store's
``stores`` mapping does it on assignment); :class:`~mastra_storage.composite.MastraStorage`
applies it to the store's own public methods.
"""

from __future__ import annotations

import contextvars
import functools
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from .deadlines import SharedDeadlines
from .errors import EventLoopMismatchError, StoreClosedError, UnavailableError, to_upper_snake
from .logs import logged_call, wants_log

if TYPE_CHECKING:
    # ``asyncio`` is imported inside the functions that run on a loop: ``import
    # mastra_storage`` must stay light (issue 9).
    import asyncio

    from .composite import MastraStorage

T = TypeVar("T")

#: Defaults of the network adapters (seconds): overall deadline of one call, of ``init()``,
#: of waiting for a pooled connection and of ``close()`` (``docs/decisions.md``).
DEFAULT_OPERATION_TIMEOUT_S = 30.0
DEFAULT_INIT_TIMEOUT_S = 300.0
DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_POOL_TIMEOUT_S = 10.0
DEFAULT_CLOSE_TIMEOUT_S = 5.0

_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect at load
#: ``asyncio.timeout`` exists (3.11+); before, every deadline takes the task path (and an
#: adapter bounding a wait of its own falls back to its driver's timeout argument).
HAS_TIMEOUT_SCOPES = sys.version_info >= (3, 11)

#: The lifecycle whose guarded call is running: nested calls of the same store (a domain
#: method calling another, init visiting each domain) run under the outermost call's
#: deadline instead of their own. Another store's calls keep their own deadline.
_INSIDE_CALL: contextvars.ContextVar[Lifecycle | None] = contextvars.ContextVar(
    "mastra_storage_inside_call", default=None
)
_GUARDED = "_mastra_storage_lifecycle"


class Lifecycle:
    """The open/closed state, the bound event loop and the deadlines of one store.

    Timeouts are read from the owning store at each call (``operation_timeout``,
    ``init_timeout``), so an adapter may set them after construction.
    """

    def __init__(self, owner: MastraStorage) -> None:
        self.owner = owner
        self.closed = False
        self.loop: asyncio.AbstractEventLoop | None = None
        #: Calls abandoned at their deadline that have not finished yet (reaped by close).
        self.stragglers: set[asyncio.Task[Any]] = set()
        #: The deadlines of the calls running in their callers' tasks (``cancels_promptly``).
        self._deadlines = SharedDeadlines()

    # ---- checks ----------------------------------------------------------------------

    def check(self, operation: str) -> None:
        """Raise if the store is closed or bound to another event loop; bind it otherwise."""
        import asyncio

        name = self.owner.name
        if self.closed:
            raise StoreClosedError(
                f"{name} is closed: {operation} was not run (create a new store to continue)",
                id=f"MASTRA_STORAGE_{to_upper_snake(name)}_{to_upper_snake(operation)}_CLOSED",
                details={"operation": operation},
            )
        if not self.owner.binds_event_loop:
            return
        running = asyncio.get_running_loop()
        if self.loop is None:
            self.loop = running
        elif self.loop is not running:
            state = "closed" if self.loop.is_closed() else "still running"
            raise EventLoopMismatchError(
                f"{name} was first used on another event loop (now {state}), so its "
                f"connections belong to that loop; {operation} was not run. Create the store "
                "inside the event loop that uses it (e.g. inside the function given to "
                "asyncio.run, or in the application's lifespan), one store per loop.",
                id=f"MASTRA_STORAGE_{to_upper_snake(name)}_EVENT_LOOP_MISMATCH",
                details={"operation": operation, "bound_loop": state},
            )

    def timeout_for(self, operation: str) -> float | None:
        """``init_timeout`` for schema work (``long_operations``), else ``operation_timeout``."""
        if operation in self.owner.long_operations:
            return self.owner.init_timeout
        return self.owner.operation_timeout

    # ---- running a call ---------------------------------------------------------------

    async def call(
        self,
        operation: str,
        func: Callable[..., Coroutine[Any, Any, T]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> T:
        """Run ``func(*args, **kwargs)`` after :meth:`check`, under the call's deadline.

        A call nested in one of this store's calls (or in its ``close()``) runs as is: it
        was checked with the outer call, which may finish after ``close()`` began.
        """
        import asyncio

        if _INSIDE_CALL.get() is self:
            return await func(*args, **kwargs)
        self.check(operation)
        if wants_log(operation):  # off: two cached level checks; values are never logged
            func = logged_call(self.owner.name, operation, func, args, kwargs)
        timeout = self.timeout_for(operation)
        if timeout is None:
            token = _INSIDE_CALL.set(self)
            try:
                return await func(*args, **kwargs)
            finally:
                _INSIDE_CALL.reset(token)
        if self.owner.cancels_promptly and HAS_TIMEOUT_SCOPES:
            return await self._call_inline(operation, timeout, func, args, kwargs)
        loop = asyncio.get_running_loop()
        # The caller waits on one future, resolved by whichever comes first: the call (from
        # inside its own task, which saves the loop iteration a done-callback costs) or
        # the deadline.
        waiter: asyncio.Future[T] = loop.create_future()

        async def run() -> None:
            try:
                result = await func(*args, **kwargs)
            except asyncio.CancelledError:
                if not waiter.done():
                    waiter.cancel()
                raise
            except BaseException as exc:
                if not waiter.done():
                    waiter.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                if not waiter.done():
                    waiter.set_result(result)

        token = _INSIDE_CALL.set(self)
        try:
            # The task copies the context now, so calls inside it see _INSIDE_CALL.
            task = loop.create_task(run())
        finally:
            _INSIDE_CALL.reset(token)
        timer = loop.call_later(timeout, _expire, waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.cancelled() and task.done():
                raise  # the call itself was cancelled (not by its caller)
            # The caller gave up (wait_for, a cancelled request): answer it now; the
            # driver's cleanup finishes in the background.
            self._abandon(task)
            raise
        except _Expired:
            self._abandon(task)
        finally:
            timer.cancel()
        raise self._timed_out(operation, timeout)

    async def _call_inline(
        self,
        operation: str,
        timeout: float,
        func: Callable[..., Coroutine[Any, Any, T]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> T:
        """:meth:`call`'s deadline for a ``cancels_promptly`` store: the call runs in the
        caller's task, whose cancellation at the deadline ends it where it waits.

        Why it may: such an adapter re-raises a cancellation without awaiting the server
        (``tests/faults/test_stalls.py`` holds it to the same bounds as the task path), so
        the caller is answered as soon as the call unwinds. The deadline is a scope of
        the store's :class:`~mastra_storage.deadlines.SharedDeadlines` (one timer for
        every call of the same length).
        """
        import asyncio

        token = _INSIDE_CALL.set(self)
        scope = self._deadlines.scope(timeout)
        try:
            async with scope:
                return await func(*args, **kwargs)
        except BaseException as exc:
            expired = scope.expired()
            if expired or isinstance(exc, asyncio.CancelledError):
                self.owner._on_call_abandoned()
            # A TimeoutError of the call's own (a driver's timeout) is the call's answer.
            if not (expired and isinstance(exc, TimeoutError)):
                raise
        finally:
            _INSIDE_CALL.reset(token)
        raise self._timed_out(operation, timeout)

    def _timed_out(self, operation: str, timeout: float) -> UnavailableError:
        option = "init_timeout" if operation in self.owner.long_operations else "operation_timeout"
        return UnavailableError(
            f"{self.owner.name} {operation}: no answer within {timeout:g} s "
            f"({option}); the server may be overloaded, stalled or unreachable",
            id=f"MASTRA_STORAGE_{to_upper_snake(self.owner.name)}_"
            f"{to_upper_snake(operation)}_TIMEOUT",
            details={"operation": operation, "timeout_s": timeout},
        )

    def _abandon(self, task: asyncio.Task[Any]) -> None:
        task.cancel()
        self.owner._on_call_abandoned()
        self.stragglers.add(task)
        task.add_done_callback(self._reap)

    def _reap(self, task: asyncio.Task[Any]) -> None:
        self.stragglers.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: an abandoned call's error is not "never retrieved"

    # ---- closing ----------------------------------------------------------------------

    async def close(self, close: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Mark closed, then run the adapter's ``close`` within ``close_timeout``.

        From another event loop than the store's, the adapter cannot await its connections
        (their loop may be gone): they are dropped (``_abandon_connections``), or closed on
        their own loop when it still runs in another thread.
        """
        import asyncio
        import logging

        if self.closed:
            return
        self.closed = True
        owner = self.owner
        logging.getLogger("mastra_storage").info("%s(id=%r): closing", owner.name, owner.id)
        bound = owner.close_timeout
        for task in list(self.stragglers):
            task.cancel()
        running = asyncio.get_running_loop()
        if self.loop is not None and self.loop is not running:
            if self.loop.is_running():
                future = asyncio.run_coroutine_threadsafe(close(), self.loop)
                try:
                    await asyncio.wait_for(asyncio.wrap_future(future), bound)
                    return
                except Exception:  # timed out or failed: fall back to dropping the connections
                    future.cancel()
            owner._abandon_connections()
            return
        token = _INSIDE_CALL.set(self)  # the adapter's close may use the store's own calls
        try:
            task = asyncio.ensure_future(close())
        finally:
            _INSIDE_CALL.reset(token)
        try:
            done, _ = await asyncio.wait({task}, timeout=bound)
        except asyncio.CancelledError:
            task.cancel()
            owner._abandon_connections()
            raise
        if done:
            task.result()
            return
        task.cancel()
        task.add_done_callback(self._reap)
        owner._abandon_connections()
        logging.getLogger("mastra_storage").warning(
            "%s: close() did not finish within %g s (close_timeout); connections dropped",
            owner.name,
            bound,
        )


class _Expired(Exception):
    """The deadline of a call passed (internal: becomes ``UnavailableError``)."""


def _expire(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_exception(_Expired())


def check_timeout(owner: str, name: str, value: Any, *, optional: bool = True) -> float | None:
    """A timeout option as float seconds (> 0), ``None`` when allowed; else
    :class:`~mastra_storage.errors.ConfigurationError` naming the option."""
    from .errors import ConfigurationError

    if value is None and optional:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not value > 0
        or value == float("inf")
    ):
        raise ConfigurationError(
            f"{owner}: {name} must be a number of seconds > 0"
            + (" (or None for no limit)" if optional else ""),
            id="MASTRA_STORAGE_INVALID_TIMEOUT",
            details={"option": name},
        )
    return float(value)


def guarded(
    func: Callable[..., Coroutine[Any, Any, T]], lifecycle_of: Callable[[Any], Lifecycle | None]
) -> Callable[..., Coroutine[Any, Any, T]]:
    """``func`` (a method) run through its object's :class:`Lifecycle` when it has one."""
    operation = func.__name__

    @functools.wraps(func)
    async def run(self: Any, *args: Any, **kwargs: Any) -> T:
        lifecycle = lifecycle_of(self)
        if lifecycle is None:
            return await func(self, *args, **kwargs)
        return await lifecycle.call(operation, func, (self, *args), kwargs)

    return run


def guard_domain(domain: Any, lifecycle: Lifecycle) -> None:
    """Route every public coroutine method of ``domain`` through ``lifecycle``.

    The wrappers are set on the instance, so the domain classes stay plain; a domain
    already guarded (by the store that created it) keeps its owner's lifecycle.
    """
    if getattr(domain, _GUARDED, None) is not None:
        return
    for name in dir(type(domain)):
        if name.startswith("_"):
            continue
        attr = _static_attr(type(domain), name)
        if not is_coroutine_function(attr):
            continue
        bound = getattr(domain, name)
        setattr(domain, name, _bound_call(lifecycle, name, bound))
    setattr(domain, _GUARDED, lifecycle)


def is_coroutine_function(attr: Any) -> bool:
    """Whether ``attr`` is a plain ``async def`` function (not a static/class method)."""
    code = getattr(attr, "__code__", None)
    return isinstance(attr, type(is_coroutine_function)) and bool(
        code is not None and code.co_flags & _CO_COROUTINE
    )


def _static_attr(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return None


def _bound_call(
    lifecycle: Lifecycle, operation: str, bound: Callable[..., Coroutine[Any, Any, T]]
) -> Callable[..., Coroutine[Any, Any, T]]:
    @functools.wraps(bound)
    async def run(*args: Any, **kwargs: Any) -> T:
        return await lifecycle.call(operation, bound, args, kwargs)

    return run


def lifecycle_of(domain: Any) -> Lifecycle | None:
    """The lifecycle guarding ``domain`` (``None`` for a domain no store created)."""
    found: Lifecycle | None = getattr(domain, _GUARDED, None)
    return found


__all__ = [
    "DEFAULT_CLOSE_TIMEOUT_S",
    "DEFAULT_CONNECT_TIMEOUT_S",
    "DEFAULT_INIT_TIMEOUT_S",
    "DEFAULT_OPERATION_TIMEOUT_S",
    "DEFAULT_POOL_TIMEOUT_S",
    "HAS_TIMEOUT_SCOPES",
    "Lifecycle",
    "check_timeout",
    "guard_domain",
    "guarded",
    "is_coroutine_function",
    "lifecycle_of",
]
