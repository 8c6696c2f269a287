"""Deadlines of one length that share one timer: the per-call deadline without a timer per call.

Why: ``asyncio.timeout`` schedules a ``TimerHandle`` per call and cancels it when the call
returns. A cancelled handle stays in the event loop's heap until it reaches the front or
the loop rebuilds the heap, so at a few thousand calls a second every call pays heap pushes
with Python-level comparisons and a share of the rebuilds: about 45,000 client
instructions per PostgreSQL turn, a tenth of the raw driver's whole cost (issue 19).

Every call of a store under ``operation_timeout`` has the same length, so its deadline is
never earlier than those of the calls that started before it: the deadlines form a FIFO
queue, and one timer, armed for the front of the queue, serves them all. A call appends an
entry and marks it finished when it returns; finished entries are dropped from the front.
The timer is not cancelled when the queue empties (it fires once, finds nothing, and the
next call arms it again), so a store called sequentially arms it about once per
``operation_timeout``.

Expiry is what ``asyncio.timeout`` does: the waiting task is cancelled where it waits, and
:meth:`Deadline.timed_out`, on the way out, takes that cancellation back
(``Task.uncancel``) and tells a cancellation of the deadline's from the caller's own.
Python 3.11+ (``Task.uncancel``); callers check
:data:`~mastra_storage.lifecycle.HAS_TIMEOUT_SCOPES`.

:class:`SharedDeadlines` is what an owner keeps (the lifecycle of a store for its calls, an
adapter for a bounded wait such as a pool's): it hands out the queue for the running loop
and, through :meth:`SharedDeadlines.scope`, an ``async with`` block that raises
``TimeoutError`` at the deadline, as ``asyncio.timeout`` does.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

_RUNNING, _DONE, _EXPIRED = 0, 1, 2
#: Finished entries stuck behind a long call are compacted away past this many.
_COMPACT_AT = 256


class Deadline:
    """One call's deadline in a :class:`DeadlineQueue` (internal)."""

    __slots__ = ("cancelling", "state", "task", "when")

    def __init__(self, task: asyncio.Task[Any], when: float) -> None:
        self.task = task
        self.when = when
        self.cancelling = task.cancelling()  # type: ignore[attr-defined]  # 3.11+ (module doc)
        self.state = _RUNNING

    def timed_out(self, exc: BaseException | None) -> bool:
        """After :meth:`DeadlineQueue.leave`: whether the call ended because its deadline
        passed (``exc`` is the cancellation the expiry caused, not the caller's own)."""
        if self.state != _EXPIRED:
            return False
        # As asyncio.timeout: the expiry's cancellation is taken back whatever the outcome.
        from asyncio import CancelledError

        uncancelled: int = self.task.uncancel()  # type: ignore[attr-defined]  # 3.11+
        return uncancelled <= self.cancelling and isinstance(exc, CancelledError)

    @property
    def expired(self) -> bool:
        """Whether the deadline passed while the call ran."""
        return self.state == _EXPIRED


class DeadlineQueue:
    """The running calls of one loop whose deadlines are ``timeout`` seconds long.

    Not thread-safe: used from its loop's thread only (:class:`SharedDeadlines` hands a
    queue out on its own loop only).
    """

    __slots__ = ("_entries", "_live", "_timer", "loop", "timeout")

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self.loop = loop
        self.timeout = timeout
        self._entries: deque[Deadline] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._live = 0

    def enter(self, task: asyncio.Task[Any]) -> Deadline:
        """Start ``task``'s deadline, ``timeout`` seconds from now."""
        entry = Deadline(task, self.loop.time() + self.timeout)
        self._entries.append(entry)
        self._live += 1
        if self._timer is None:
            self._timer = self.loop.call_at(entry.when, self._fire)
        return entry

    def leave(self, entry: Deadline) -> None:
        """The call of ``entry`` returned (or raised): its deadline no longer applies."""
        if entry.state != _RUNNING:
            return  # expired: the timer dropped it already
        entry.state = _DONE
        self._live -= 1
        entries = self._entries
        while entries and entries[0].state != _RUNNING:
            entries.popleft()
        if len(entries) > _COMPACT_AT and len(entries) > 2 * self._live:
            # A long call at the front holds back the finished ones behind it.
            self._entries = deque(e for e in entries if e.state == _RUNNING)

    @property
    def running(self) -> int:
        """How many calls are under a deadline of this queue now."""
        return self._live

    def _fire(self) -> None:
        self._timer = None
        entries = self._entries
        now = self.loop.time()
        while entries:
            entry = entries[0]
            if entry.state != _RUNNING:
                entries.popleft()
            elif entry.when <= now:
                entries.popleft()
                entry.state = _EXPIRED
                self._live -= 1
                entry.task.cancel()
            else:
                break
        if entries:
            self._timer = self.loop.call_at(entries[0].when, self._fire)

    def cancel(self) -> None:
        """Stop the timer (the queue is replaced); only called with no call running."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class SharedDeadlines:
    """One owner's deadlines: a :class:`DeadlineQueue` for the running loop and length.

    An owner used from one loop with one length (the usual case) keeps one queue. A new
    loop (a second ``asyncio.run``) or another length gets a new queue once the old one
    has no call running; while it has, :meth:`queue` answers ``None`` and the caller falls
    back to ``asyncio.timeout``. A queue is only ever touched from its own loop's thread,
    so an owner shared by threads (each with its loop) stays correct.
    """

    __slots__ = ("_queue",)

    def __init__(self) -> None:
        self._queue: DeadlineQueue | None = None

    def queue(self, timeout: float) -> DeadlineQueue | None:
        """The queue for deadlines of ``timeout`` seconds on the running loop, or ``None``."""
        import asyncio

        loop = asyncio.get_running_loop()
        queue = self._queue
        if queue is not None and queue.loop is loop and queue.timeout == timeout:
            return queue
        if queue is None or not queue.running or queue.loop.is_closed():
            if queue is not None and queue.loop is loop:
                queue.cancel()
            queue = self._queue = DeadlineQueue(loop, timeout)
            return queue
        return None

    def scope(self, timeout: float) -> Any:
        """``async with`` block bounded by ``timeout`` seconds: ``TimeoutError`` when the
        deadline passes inside it (a cancellation from elsewhere stays a cancellation),
        and ``expired()`` afterwards, as ``asyncio.timeout``'s. Needs a current task;
        falls back to ``asyncio.timeout`` where :meth:`queue` does."""
        import asyncio

        task = asyncio.current_task()
        queue = self.queue(timeout) if task is not None else None
        if queue is None or task is None:
            return asyncio.timeout(timeout)  # type: ignore[attr-defined]  # 3.11+
        return _Scope(queue, task)


class _Scope:
    """:meth:`SharedDeadlines.scope`'s block (``expired()`` as on ``asyncio.Timeout``)."""

    __slots__ = ("_entry", "_queue", "_task")

    def __init__(self, queue: DeadlineQueue, task: asyncio.Task[Any]) -> None:
        self._queue = queue
        self._task = task

    async def __aenter__(self) -> None:
        self._entry = self._queue.enter(self._task)

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self._queue.leave(self._entry)
        if self._entry.timed_out(exc):
            raise TimeoutError from exc

    def expired(self) -> bool:
        """Whether the deadline passed inside the block."""
        return self._entry.expired


__all__ = ["Deadline", "DeadlineQueue", "SharedDeadlines"]
