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
Python 3.11+ (``Task.uncancel``); the lifecycle checks it.
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

    Not thread-safe: used from its loop's thread only (the lifecycle checks the loop).
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
        """Stop the timer (the store closed); running calls keep their cancellation path."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


__all__ = ["Deadline", "DeadlineQueue"]
