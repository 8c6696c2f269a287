"""Closed means closed, and a store belongs to one event loop (issue 15, point 11).

What every backend must do:

* after ``close()``, every domain call (memory, workflows, scores, observability),
  ``init()`` and ``get_store()`` raises :class:`StoreClosedError` and nothing runs;
  ``close()`` again is a no-op and ``close()`` returns within the store's ``close_timeout``;
* a store whose connections belong to an event loop (``binds_event_loop``) called from
  another loop raises :class:`EventLoopMismatchError` (not the driver's "Event loop is
  closed", a ``BackendError`` or a hang); a store without loop-bound connections works from
  any loop;
* a call cancelled by its caller (``asyncio.wait_for``) ends promptly and the store keeps
  working.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ...composite import MastraStorage
from ...errors import EventLoopMismatchError, StoreClosedError
from ..data import sample_message, sample_thread, uid
from ._base import ConformanceBase


def _in_other_loop(call: Callable[[], Awaitable[Any]]) -> BaseException | None:
    """Run ``call()`` in a fresh event loop on another thread; return what it raised."""
    outcome: list[BaseException | None] = []

    async def main() -> None:
        await call()

    def target() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # returned for the test's assertions
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(30)
    assert outcome, "the call from another event loop did not finish within 30 s"
    return outcome[0]


class LifecycleTests(ConformanceBase):
    """Closed stores refuse work; stores refuse foreign event loops; cancel is prompt."""

    async def _closed_calls(self, storage: MastraStorage) -> list[Callable[[], Awaitable[Any]]]:
        memory = await self.memory(storage)
        workflows = await self.workflows(storage)
        scores = await self.scores(storage)
        thread = sample_thread()
        calls: list[Callable[[], Awaitable[Any]]] = [
            lambda: memory.get_thread_by_id(thread.id),
            lambda: memory.save_thread(thread),
            lambda: memory.list_messages(thread_id=thread.id),
            lambda: memory.save_messages([sample_message(thread=thread)]),
            lambda: memory.get_resource_by_id(uid("res")),
            lambda: workflows.load_workflow_snapshot(workflow_name="w", run_id=uid("run")),
            lambda: workflows.persist_workflow_snapshot(
                workflow_name="w", run_id=uid("run"), snapshot={"status": "running"}
            ),
            lambda: scores.get_score_by_id(uid("score")),
            lambda: memory.dangerously_clear_all(),
            storage.init,
            lambda: storage.get_store("memory"),
        ]
        observability = await self.observability_or_none(storage)
        if observability is not None:
            calls.append(lambda: observability.get_trace(uid("trace")))
        return calls

    async def test_closed_store_refuses_every_call(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = sample_thread()
        await memory.save_thread(thread)
        calls = await self._closed_calls(storage)
        started = time.monotonic()
        await storage.close()
        assert time.monotonic() - started < storage.close_timeout + 1.0
        assert storage.closed
        for call in calls:
            with pytest.raises(StoreClosedError, match="closed"):
                await call()
        await storage.close()  # idempotent

    async def test_closed_error_is_typed_and_says_so(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        await storage.close()
        with pytest.raises(StoreClosedError) as info:
            await memory.get_thread_by_id("t1")
        assert info.value.category == "USER"
        assert "closed" in str(info.value) and "get_thread_by_id" in str(info.value)

    async def test_store_from_another_event_loop(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = sample_thread()
        await memory.save_thread(thread)
        error = _in_other_loop(lambda: memory.get_thread_by_id(thread.id))
        if storage.binds_event_loop:
            assert isinstance(error, EventLoopMismatchError), repr(error)
            assert "event loop" in str(error)
        else:
            assert error is None, repr(error)
        # The store still works on its own loop.
        loaded = await memory.get_thread_by_id(thread.id)
        assert loaded is not None and loaded.id == thread.id

    async def test_cancelled_call_returns_promptly(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = sample_thread()
        await memory.save_thread(thread)
        messages = [sample_message(thread=thread) for _ in range(50)]
        started = time.monotonic()
        task = asyncio.ensure_future(memory.save_messages(messages))
        await asyncio.sleep(0)
        task.cancel()
        # A store that finishes without awaiting I/O (in memory) may complete anyway.
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < 2.0
        # Still usable afterwards, and the cancelled batch is all there or not at all.
        page = await memory.list_messages(thread_id=thread.id, per_page=None)
        assert len(page.items) in (0, len(messages))
        await memory.save_messages(messages[:1])
        assert await memory.get_thread_by_id(thread.id) is not None


__all__ = ["LifecycleTests"]
