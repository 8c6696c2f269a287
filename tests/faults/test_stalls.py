"""Issue 15, points 10 and 11: stalled servers, cancelled calls, closing, a second loop.

Every network backend (PostgreSQL, Redis, sqld, DynamoDB, MongoDB) is built with its
*default* client settings plus a short overall ``operation_timeout`` and ``close_timeout``
(no driver socket timeouts set for the test), then its server stops answering in one of
three ways (:class:`~tests.support.faults.FaultProxy`):

* ``before_first_byte``: requests reach the server, no reply byte comes back;
* ``mid_reply``: each connection gets three more reply bytes, then nothing;
* ``trickle``: replies arrive one byte every 0.2 s (every socket read succeeds before any
  per-read timeout, so only an overall deadline per call ends the wait).

Required: each call ends with ``UnavailableError`` within the bound, the same store works
again once the server answers, and ``close()`` returns within its bound even while the
server is stalled. A call cancelled by its caller returns promptly. A store used from a
second ``asyncio.run`` raises ``EventLoopMismatchError`` (or works, for a store without
loop-bound connections), and after ``close()`` every call raises ``StoreClosedError``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from mastra_storage.composite import MastraStorage
from mastra_storage.errors import EventLoopMismatchError, StoreClosedError, UnavailableError
from mastra_storage.testing.data import sample_message, sample_thread
from tests.support.faults import FaultProxy, wait_until

from .conftest import Backend

pytestmark = pytest.mark.anyio

OPERATION_TIMEOUT_S = 1.0
CLOSE_TIMEOUT_S = 1.0
#: Scheduling slack on a loaded two-core machine (seven test runs share it).
SLACK_S = 1.5
RECOVERY_S = 10.0
#: Backends whose connections belong to an event loop.
LOOP_BOUND = {"postgres", "redis", "dynamodb", "mongodb"}

MODES: dict[str, Callable[[FaultProxy], None]] = {
    "before_first_byte": lambda proxy: proxy.stall_replies(),
    "mid_reply": lambda proxy: proxy.stall_replies_after(3),
    "trickle": lambda proxy: proxy.trickle(0.2),
}


async def _timed(call: Callable[[], Awaitable[Any]]) -> tuple[BaseException | None, float]:
    started = time.monotonic()
    try:
        await call()
    except BaseException as exc:  # returned for the caller's assertions
        return exc, time.monotonic() - started
    return None, time.monotonic() - started


def _make(backend: Backend, proxy: FaultProxy, **options: Any) -> MastraStorage:
    assert backend.plain is not None
    return backend.plain(proxy, close_timeout=CLOSE_TIMEOUT_S, **options)


async def _seed(store: MastraStorage) -> tuple[Any, Any]:
    await store.init()
    memory = await store.require_store("memory")
    thread = sample_thread()
    await memory.save_thread(thread)
    # Replies of a few kilobytes, so a reply cut after three bytes is cut inside.
    await memory.save_messages([sample_message(thread=thread, text="x" * 4000) for _ in range(3)])
    return memory, thread


@pytest.mark.parametrize("mode", list(MODES))
async def test_stalled_server_bounds_calls_and_close(backend: Backend, mode: str) -> None:
    with FaultProxy(backend.host, backend.port) as proxy:
        # Seeded under the default deadline: a cold moto or SecantusDB may take more than
        # the short test deadline to store three 4 kB messages, and that is not a stall.
        seeder = _make(backend, proxy)
        try:
            _, thread = await _seed(seeder)
        finally:
            await seeder.close()
        store = _make(backend, proxy, operation_timeout=OPERATION_TIMEOUT_S)
        try:
            await store.init()
            memory = await store.require_store("memory")
            # The store's own connections are open (and answering) before the stall.
            await wait_until(lambda: memory.get_thread_by_id(thread.id), timeout_s=RECOVERY_S)
            MODES[mode](proxy)
            read_error, read_s = await _timed(
                lambda: memory.list_messages(thread_id=thread.id, per_page=None)
            )
            write_error, write_s = await _timed(
                lambda: memory.save_messages([sample_message(thread=thread)])
            )
            for error, seconds in ((read_error, read_s), (write_error, write_s)):
                assert isinstance(error, UnavailableError), repr(error)
                assert seconds < OPERATION_TIMEOUT_S + SLACK_S, f"{seconds:.2f} s"
            # The same store answers again once the server does.
            proxy.restore()
            _, recovered_s = await wait_until(
                lambda: memory.get_thread_by_id(thread.id), timeout_s=RECOVERY_S
            )
            MODES[mode](proxy)
            stalled_read, _ = await _timed(lambda: memory.get_thread_by_id(thread.id))
            assert isinstance(stalled_read, UnavailableError), repr(stalled_read)
        finally:
            close_error, close_s = await _timed(store.close)
        assert close_error is None, repr(close_error)
        assert close_s < CLOSE_TIMEOUT_S + SLACK_S, f"close() took {close_s:.2f} s"
        print(
            f"\nSTALL {backend.name:8} {mode:17} read {read_s:.2f} s, write {write_s:.2f} s, "
            f"recovered {recovered_s:.2f} s, close {close_s:.2f} s"
        )
        closed_error, _ = await _timed(lambda: memory.get_thread_by_id(thread.id))
        assert isinstance(closed_error, StoreClosedError), repr(closed_error)


async def test_cancelled_call_returns_promptly(backend: Backend) -> None:
    """``asyncio.wait_for`` around a call to a stalled server ends at its own timeout, with
    the default operation timeout (30 s) still far away."""
    with FaultProxy(backend.host, backend.port) as proxy:
        store = _make(backend, proxy)
        try:
            memory, thread = await _seed(store)
            proxy.stall_replies()
            error, seconds = await _timed(
                lambda: asyncio.wait_for(memory.get_thread_by_id(thread.id), 0.5)
            )
            assert isinstance(error, asyncio.TimeoutError), repr(error)
            assert seconds < 0.5 + SLACK_S, f"cancelled call took {seconds:.2f} s"
            wait_for_s = seconds
            task = asyncio.ensure_future(memory.save_thread(sample_thread()))
            await asyncio.sleep(0.2)
            task.cancel()
            error, seconds = await _timed(lambda: task)
            assert isinstance(error, asyncio.CancelledError), repr(error)
            assert seconds < SLACK_S
        finally:
            close_error, close_s = await _timed(store.close)
        assert close_error is None and close_s < CLOSE_TIMEOUT_S + SLACK_S, close_s
        print(
            f"\nCANCEL {backend.name:8} wait_for(0.5) ended after {wait_for_s:.2f} s, "
            f"task.cancel() after {seconds:.2f} s"
        )


async def test_init_against_stalled_server(backend: Backend) -> None:
    """``init()`` has its own deadline (``init_timeout``, default 300 s; 1 s here)."""
    with FaultProxy(backend.host, backend.port) as proxy:
        proxy.stall_replies()
        store = _make(backend, proxy, init_timeout=OPERATION_TIMEOUT_S)
        try:
            error, seconds = await _timed(store.init)
            assert isinstance(error, UnavailableError), repr(error)
            assert seconds < OPERATION_TIMEOUT_S + SLACK_S, f"init took {seconds:.2f} s"
            proxy.restore()
            await wait_until(store.init, timeout_s=RECOVERY_S)
        finally:
            close_error, close_s = await _timed(store.close)
        assert close_error is None and close_s < CLOSE_TIMEOUT_S + SLACK_S, close_s


def _run_in_new_loop(call: Callable[[], Awaitable[Any]]) -> BaseException | None:
    """``asyncio.run(call())`` on a fresh thread (so the test's own loop keeps running)."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        async def main() -> None:
            await call()

        try:
            asyncio.run(main())
        except BaseException as exc:  # returned for the assertions
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(60)
    assert outcome, "asyncio.run did not finish"
    return outcome[0]


async def test_second_asyncio_run(backend: Backend) -> None:
    """The issue's scenario: a store used by one ``asyncio.run``, then by a second one."""
    with FaultProxy(backend.host, backend.port) as proxy:
        store = _make(backend, proxy)
        thread = sample_thread()

        async def first() -> None:
            await store.init()
            memory = await store.require_store("memory")
            await memory.save_thread(thread)

        async def second() -> None:
            memory = store.stores["memory"]
            assert await memory.get_thread_by_id(thread.id) is not None  # type: ignore[attr-defined]

        assert _run_in_new_loop(first) is None
        error = _run_in_new_loop(second)
        assert store.binds_event_loop is (backend.name in LOOP_BOUND)
        if store.binds_event_loop:
            assert isinstance(error, EventLoopMismatchError), repr(error)
            assert "now closed" in str(error)
        else:
            assert error is None, repr(error)
        # Closing from yet another loop neither hangs nor raises "Event loop is closed".
        close_error, close_s = await _timed(store.close)
        assert close_error is None, repr(close_error)
        assert close_s < CLOSE_TIMEOUT_S + SLACK_S
        error = _run_in_new_loop(second)
        assert isinstance(error, StoreClosedError), repr(error)
        closed_error, _ = await _timed(lambda: store.stores["memory"].get_thread_by_id("x"))  # type: ignore[attr-defined]
        assert isinstance(closed_error, StoreClosedError), repr(closed_error)
