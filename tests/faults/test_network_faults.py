"""Issue 10: every network backend, with its connection cut or stalled in the middle of writes.

What must hold on each backend (PostgreSQL, Redis, sqld, DynamoDB, MongoDB):

* a call that was in flight, or made while the server is unreachable, raises
  :class:`UnavailableError` (never a raw driver exception), and a stalled server is
  answered by the configured client timeout, not a hang;
* nothing half-written is visible afterwards: a batch of messages is there entirely or
  not at all, a workflow snapshot reads back whole or not at all, a resource shows one
  update's working memory *and* metadata together;
* once the server is reachable again the *same* store object works again by itself,
  within a bounded time, including a store whose ``init()`` failed because the server was
  down.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from mastra_storage.errors import UnavailableError
from mastra_storage.testing.data import sample_message, sample_thread, uid
from tests.support.faults import Mode, wait_until

from .conftest import Faulty

pytestmark = pytest.mark.anyio

BATCH = 20
#: How long a store may take to work again once its server is back.
RECOVERY_BOUND_S = 5.0


@dataclass
class Ledger:
    """Every write attempted and whether it reported success; checked after the faults."""

    thread_id: str
    resource_id: str
    batches: list[tuple[list[str], bool]] = field(default_factory=list)
    snapshots: list[tuple[str, dict[str, Any], bool]] = field(default_factory=list)
    resource_updates: list[tuple[int, bool]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


async def _prepare(faulty: Faulty) -> tuple[Any, Any, Ledger]:
    await faulty.store.init()
    memory = faulty.store.stores["memory"]
    workflows = faulty.store.stores["workflows"]
    thread = sample_thread()
    await memory.save_thread(thread)
    return memory, workflows, Ledger(thread.id, thread.resource_id)


async def _attempt(ledger: Ledger, call: Awaitable[Any]) -> bool:
    """Run one write; a failure must be the typed unavailable error."""
    try:
        await call
    except UnavailableError as exc:
        ledger.errors.append(exc)
        return False
    except Exception as exc:  # anything else is the bug this suite looks for
        raise AssertionError(f"expected UnavailableError, got {type(exc).__name__}: {exc}") from exc
    return True


async def _write_batch(memory: Any, ledger: Ledger, tag: str) -> None:
    messages = [
        sample_message(
            thread_id=ledger.thread_id, resource_id=ledger.resource_id, text=f"{tag}-{i}"
        )
        for i in range(BATCH)
    ]
    ok = await _attempt(ledger, memory.save_messages(messages))
    ledger.batches.append(([m.id for m in messages], ok))


async def _write_snapshot(workflows: Any, ledger: Ledger) -> None:
    run_id = uid("run")
    # Large enough to span several TCP segments, so a cut can land inside it.
    snapshot = {"runId": run_id, "status": "running", "context": {"blob": "x" * 6000, "n": 1}}
    ok = await _attempt(
        ledger,
        workflows.persist_workflow_snapshot(
            workflow_name="faults", run_id=run_id, snapshot=snapshot
        ),
    )
    ledger.snapshots.append((run_id, snapshot, ok))


async def _update_resource(memory: Any, ledger: Ledger) -> None:
    n = len(ledger.resource_updates)
    call = memory.update_resource(
        ledger.resource_id, working_memory=f"wm-{n}", metadata={"n": n, "pad": "p" * 500}
    )
    ok = await _attempt(ledger, call)
    ledger.resource_updates.append((n, ok))


async def _round(memory: Any, workflows: Any, ledger: Ledger, tag: str) -> None:
    await _write_batch(memory, ledger, tag)
    await _write_snapshot(workflows, ledger)
    await _update_resource(memory, ledger)


async def _recover(faulty: Faulty, memory: Any) -> float:
    """Restore the proxy; return how long the same store took to answer a read again."""
    faulty.proxy.restore()
    _, seconds = await wait_until(
        lambda: memory.get_thread_by_id(uid("probe")), timeout_s=RECOVERY_BOUND_S
    )
    return seconds


async def _check(memory: Any, workflows: Any, ledger: Ledger, *, atomic: bool = True) -> None:
    """Nothing half-written: each batch whole or absent, each reported success visible."""
    all_ids = [i for ids, _ in ledger.batches for i in ids]
    found = {m.id for m in await memory.list_messages_by_id(all_ids)}
    for ids, ok in ledger.batches:
        present = sum(1 for i in ids if i in found)
        if ok:
            assert present == BATCH, f"a saved batch lost messages: {present}/{BATCH}"
        elif atomic:
            assert present in (0, BATCH), f"half a batch is visible: {present}/{BATCH}"
    for run_id, snapshot, ok in ledger.snapshots:
        loaded = await workflows.load_workflow_snapshot(workflow_name="faults", run_id=run_id)
        assert loaded in ((snapshot,) if ok else (None, snapshot)), loaded
    resource = await memory.get_resource_by_id(ledger.resource_id)
    succeeded = [n for n, ok in ledger.resource_updates if ok]
    if resource is None:
        assert not succeeded
        return
    n = resource.metadata["n"]
    assert resource.working_memory == f"wm-{n}", "working memory and metadata of different updates"
    assert resource.metadata["pad"] == "p" * 500
    if succeeded:
        assert n >= max(succeeded), "a reported update was lost"


async def _timed(call: Callable[[], Awaitable[Any]]) -> tuple[BaseException | None, float]:
    started = time.monotonic()
    try:
        await call()
    except BaseException as exc:  # returned for the caller's assertions
        return exc, time.monotonic() - started
    return None, time.monotonic() - started


# --------------------------------------------------------------------------- scenarios


@pytest.mark.parametrize("offset", [48, 1400])
async def test_cut_inside_a_request(faulty: Faulty, offset: int) -> None:
    """The server receives only the first ``offset`` bytes of a write, then the link dies."""
    memory, workflows, ledger = await _prepare(faulty)
    await _round(memory, workflows, ledger, "before")
    writes: list[Callable[[], Awaitable[None]]] = [
        lambda: _write_batch(memory, ledger, "cut"),
        lambda: _write_snapshot(workflows, ledger),
        lambda: _update_resource(memory, ledger),
    ]
    recoveries = []
    for write in writes:
        errors_before = len(ledger.errors)
        faulty.proxy.cut_after(offset)
        await write()
        if faulty.proxy.mode is Mode.PASS:  # the write was smaller than the offset
            faulty.proxy.cut()
        # While the server is unreachable every call fails, typed and promptly.
        error, seconds = await _timed(lambda: _write_batch(memory, ledger, "down"))
        assert error is None and len(ledger.errors) > errors_before
        assert seconds < faulty.backend.stall_bound_s
        recoveries.append(await _recover(faulty, memory))
    await _round(memory, workflows, ledger, "after")
    assert ledger.batches[-1][1], f"the store did not work again: {ledger.errors!r}"
    assert all(isinstance(e, UnavailableError) for e in ledger.errors)
    await _check(memory, workflows, ledger, atomic=faulty.backend.atomic_batches)
    assert max(recoveries) < RECOVERY_BOUND_S


async def test_cut_during_concurrent_writes(faulty: Faulty) -> None:
    """Writers run batches, snapshots and resource updates; the link dies under them."""
    memory, workflows, ledger = await _prepare(faulty)
    stop = asyncio.Event()
    restored = asyncio.Event()
    successes_after_restore: list[float] = []

    async def writer(n: int) -> None:
        rounds = 0
        while not stop.is_set():
            errors = len(ledger.errors)
            await _round(memory, workflows, ledger, f"w{n}-{rounds}")
            rounds += 1
            if restored.is_set() and len(ledger.errors) == errors:
                successes_after_restore.append(time.monotonic())
                return
            if len(ledger.errors) > errors:
                await asyncio.sleep(0.05)  # do not spin while the server is away

    async def fault() -> float:
        await asyncio.sleep(0.3)
        faulty.proxy.cut()
        await asyncio.sleep(0.4)
        faulty.proxy.restore()
        restored.set()
        return time.monotonic()

    writers = [asyncio.create_task(writer(n)) for n in range(faulty.backend.writers)]
    restored_at = await fault()
    done, pending = await asyncio.wait(writers, timeout=RECOVERY_BOUND_S + 10)
    stop.set()
    assert not pending, "a writer hung after the server came back"
    for task in done:
        task.result()  # re-raise an untyped error
    # The cut reset live connections or refused new ones; a driver that retried past the
    # outage (botocore, pymongo) may have hidden it from the caller, which is fine.
    assert faulty.proxy.stats.reset + faulty.proxy.stats.refused > 0, "the cut hit nothing"
    assert len(successes_after_restore) == faulty.backend.writers
    assert max(successes_after_restore) - restored_at < RECOVERY_BOUND_S + 5
    await _check(memory, workflows, ledger, atomic=faulty.backend.atomic_batches)


async def test_stalled_server_times_out(faulty: Faulty) -> None:
    """A server that accepts but never answers: the configured timeout ends each call."""
    memory, workflows, ledger = await _prepare(faulty)
    faulty.proxy.stall()
    for call in (
        lambda: _write_batch(memory, ledger, "stalled"),
        lambda: _update_resource(memory, ledger),
    ):
        error, seconds = await _timed(call)
        assert error is None, error
        assert seconds < faulty.backend.stall_bound_s, f"{seconds:.2f} s against a stalled server"
    read_error, seconds = await _timed(lambda: memory.get_thread_by_id(ledger.thread_id))
    assert isinstance(read_error, UnavailableError), read_error
    assert seconds < faulty.backend.stall_bound_s
    assert len(ledger.errors) == 2
    assert await _recover(faulty, memory) < RECOVERY_BOUND_S
    await _round(memory, workflows, ledger, "after")
    assert ledger.batches[-1][1], f"the store did not work again: {ledger.errors[2:]!r}"
    await _check(memory, workflows, ledger, atomic=faulty.backend.atomic_batches)


async def test_server_down_at_init(faulty: Faulty) -> None:
    """``init()`` against an unreachable server fails typed; the same object inits later."""
    faulty.proxy.cut()
    error, seconds = await _timed(faulty.store.init)
    assert isinstance(error, UnavailableError), repr(error)
    assert seconds < faulty.backend.stall_bound_s
    faulty.proxy.restore()
    _, waited = await wait_until(faulty.store.init, timeout_s=RECOVERY_BOUND_S)
    memory = faulty.store.stores["memory"]
    thread = sample_thread()
    await memory.save_thread(thread)
    assert (await memory.get_thread_by_id(thread.id)) is not None
    assert waited < RECOVERY_BOUND_S
