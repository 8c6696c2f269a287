"""mastra_storage.testing.processes: workers in separate processes, started together."""

from __future__ import annotations

import asyncio
import functools
import os
import time
from pathlib import Path

import pytest

from mastra_storage import MastraStorage
from mastra_storage.testing.data import sample_thread
from mastra_storage.testing.processes import (
    ProcessWorkerError,
    run_in_processes,
    values,
)
from mastra_storage_libsql import LibSQLStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def save_own_thread(storage: MastraStorage, index: int, tag: str) -> tuple[int, int, str]:
    """Save thread ``<tag>-<index>``; return the index, this process id and the tag."""
    memory = await storage.require_store("memory")
    await memory.save_thread(sample_thread(id=f"{tag}-{index}", resource_id="r"))
    return index, os.getpid(), tag


async def fail_in_first(storage: MastraStorage, index: int) -> int:
    if index == 0:
        raise ValueError("worker zero gave up")
    return index


async def sleep_forever(storage: MastraStorage, index: int) -> None:
    await asyncio.sleep(3600)


async def test_workers_run_in_separate_processes_and_results_come_back_in_order(
    tmp_path: Path,
) -> None:
    opener = functools.partial(LibSQLStore, f"file:{tmp_path / 'p.db'}")
    results = await run_in_processes(opener, save_own_thread, 3, args=("t",))
    got = values(results)
    assert [index for index, _, _ in got] == [0, 1, 2]
    assert {tag for _, _, tag in got} == {"t"}
    pids = {pid for _, pid, _ in got}
    assert len(pids) == 3 and os.getpid() not in pids
    async with opener() as storage:
        memory = await storage.require_store("memory")
        for index in range(3):
            assert await memory.get_thread_by_id(f"t-{index}") is not None


async def test_a_failing_worker_is_reported_with_its_traceback_and_others_finish(
    tmp_path: Path,
) -> None:
    opener = functools.partial(LibSQLStore, f"file:{tmp_path / 'p.db'}")
    results = await run_in_processes(opener, fail_in_first, 2)
    assert not results[0].ok
    assert results[0].error_type == "builtins.ValueError"
    assert "worker zero gave up" in results[0].error and "fail_in_first" in results[0].error
    assert results[1].ok and results[1].value == 1
    with pytest.raises(ProcessWorkerError, match="worker zero gave up"):
        values(results)


async def test_a_process_failing_before_the_barrier_releases_the_others(tmp_path: Path) -> None:
    bad = functools.partial(LibSQLStore, "nosuchscheme://x")
    started = time.monotonic()
    results = await run_in_processes(bad, fail_in_first, 2, timeout=30)
    assert time.monotonic() - started < 20
    assert [r.error_type for r in results] == ["mastra_storage.errors.ConfigurationError"] * 2


async def test_a_worker_still_running_after_the_timeout_is_killed(tmp_path: Path) -> None:
    opener = functools.partial(LibSQLStore, f"file:{tmp_path / 'p.db'}")
    started = time.monotonic()
    results = await run_in_processes(opener, sleep_forever, 1, timeout=1)
    assert time.monotonic() - started < 10
    assert results[0].error_type == "TimeoutError"


async def test_count_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        await run_in_processes(functools.partial(LibSQLStore, ":memory:"), fail_in_first, 0)
