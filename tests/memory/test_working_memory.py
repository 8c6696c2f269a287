"""Working memory: where it is stored, Mastra's errors, and no lost updates under contention
(tasks of one process, two Memory objects, and two OS processes on one libSQL file)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from mastra_storage import (
    ConflictError,
    MastraStorage,
    NotFoundError,
    NotSupportedError,
    ValidationError,
)
from mastra_storage.memory import Memory, StaleWorkingMemory

pytestmark = pytest.mark.anyio

RESOURCE = {"workingMemory": {"enabled": True}}
THREAD = {"workingMemory": {"enabled": True, "scope": "thread"}}


async def test_a_conflict_raised_by_mutate_reaches_the_caller(storage: MastraStorage) -> None:
    """Compare-and-set rests on this: a StaleWorkingMemory (a ConflictError) raised inside
    the atomic read-modify-write must not be mistaken for a lost write race and retried
    (MongoDB's adapter once did, surfacing a generic "gave up after 20 retries")."""

    def stale(existing: object) -> Any:
        raise StaleWorkingMemory("probe", id="MASTRA_MEMORY_WORKING_MEMORY_STALE")

    store = await storage.require_store("memory")
    with pytest.raises(StaleWorkingMemory):
        await store.backend.modify_resource("cas-probe", stale)
    assert await store.get_resource_by_id("cas-probe") is None


async def test_disabled_returns_none_and_refuses_writes(storage: MastraStorage) -> None:
    memory = Memory(storage)
    assert await memory.get_working_memory("t1", "r1") is None
    assert memory.working_memory_template() is None
    with pytest.raises(NotSupportedError, match="not enabled"):
        await memory.update_working_memory("t1", "r1", "x")


async def test_resource_scope_is_stored_on_the_resource(storage: MastraStorage) -> None:
    memory = Memory(storage, options=RESOURCE)
    assert memory.working_memory_template() is not None
    assert await memory.get_working_memory("t1", "r1") is None
    await memory.update_working_memory("t1", "r1", "# name: Ada")
    # shared by every thread of the resource
    assert await memory.get_working_memory("other-thread", "r1") == "# name: Ada"
    store = await storage.require_store("memory")
    resource = await store.get_resource_by_id("r1")
    assert resource is not None and resource.working_memory == "# name: Ada"
    with pytest.raises(ValidationError, match="no resourceId was provided"):
        await memory.get_working_memory("t1", None)


async def test_thread_scope_is_stored_in_thread_metadata(storage: MastraStorage) -> None:
    memory = Memory(storage, options=THREAD)
    with pytest.raises(NotFoundError, match="not found"):
        await memory.update_working_memory("t1", None, "x")
    await memory.create_thread(resource_id="r1", thread_id="t1", metadata={"keep": True})
    await memory.update_working_memory("t1", None, "thread notes")
    assert await memory.get_working_memory("t1") == "thread notes"
    thread = await memory.get_thread("t1")
    assert thread is not None
    assert thread.metadata == {"keep": True, "workingMemory": "thread notes"}
    # the resource scope does not see it (a partial override keeps the configured scope)
    assert await memory.get_working_memory("t1", "r1", options=RESOURCE) == "thread notes"
    as_resource = {"workingMemory": {"scope": "resource"}}
    assert await memory.get_working_memory("t1", "r1", options=as_resource) is None


async def test_thread_metadata_working_memory_propagates_to_resource(
    storage: MastraStorage,
) -> None:
    memory = Memory(storage, options=RESOURCE)
    await memory.create_thread(resource_id="r1", thread_id="t1", metadata={"workingMemory": "wm"})
    assert await memory.get_working_memory("t1", "r1") == "wm"


async def test_expected_value_is_compare_and_set(storage: MastraStorage) -> None:
    memory = Memory(storage, options=RESOURCE)
    await memory.update_working_memory("t1", "r1", "v1", expected=None)
    with pytest.raises(StaleWorkingMemory):
        await memory.update_working_memory("t1", "r1", "v2", expected="not v1")
    assert await memory.get_working_memory("t1", "r1") == "v1"  # untouched
    await memory.update_working_memory("t1", "r1", "v2", expected="v1")
    assert await memory.get_working_memory("t1", "r1") == "v2"
    # thread scope too
    await memory.create_thread(resource_id="r1", thread_id="t1")
    with pytest.raises(StaleWorkingMemory):
        await memory.update_working_memory("t1", None, "x", expected="y", options=THREAD)
    thread = await memory.get_thread("t1")
    assert thread is not None and "workingMemory" not in (thread.metadata or {})


@pytest.mark.parametrize("options", [RESOURCE, THREAD], ids=["resource", "thread"])
async def test_concurrent_modifies_lose_nothing(
    storage: MastraStorage, options: dict[str, object]
) -> None:
    # Two Memory objects do not share locks, so only the storage compare-and-set keeps
    # their interleaved read-modify-writes from losing each other's lines.
    first, second = Memory(storage, options=options), Memory(storage, options=options)
    await first.create_thread(resource_id="r1", thread_id="t1")
    calls = 0

    async def worker(memory: Memory, name: str) -> None:
        for i in range(8):

            async def append(current: str | None, line: str = f"{name}{i}") -> str:
                nonlocal calls
                calls += 1
                await anyio.sleep(0.001)
                return (current or "") + line + "\n"

            await memory.modify_working_memory("t1", "r1", append)

    async with anyio.create_task_group() as tg:
        for n in range(3):
            tg.start_soon(worker, first, f"a{n}-")
            tg.start_soon(worker, second, f"b{n}-")
    final = await first.get_working_memory("t1", "r1")
    assert final is not None
    lines = final.splitlines()
    assert sorted(lines) == sorted(f"{p}{n}-{i}" for p in "ab" for n in range(3) for i in range(8))
    assert calls > len(lines)  # some updates were retried after losing a compare-and-set


@pytest.mark.parametrize("scope", ["resource", "thread"])
async def test_two_processes_lose_nothing(tmp_path: Path, scope: str) -> None:
    pytest.importorskip("libsql")
    from mastra_storage_libsql import LibSQLStore

    path = tmp_path / "wm.db"
    async with LibSQLStore(f"file:{path}") as store:
        await Memory(store).create_thread(resource_id="r1", thread_id="t1")
    worker = Path(__file__).with_name("wm_worker.py")
    count = 20
    names = {"p": "q", "q": "p"}  # each worker waits for its peer (see wm_worker.py)

    def run_both() -> list[subprocess.CompletedProcess[str]]:
        procs = [
            subprocess.Popen(
                [sys.executable, str(worker), str(path), scope, name, str(count), peer],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name, peer in names.items()
        ]
        out = []
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=120)
            out.append(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr))
        return out

    results = await anyio.to_thread.run_sync(run_both)
    for result in results:
        assert result.returncode == 0, result.stderr
    attempts = sum(int(r.stdout.strip()) for r in results)
    assert attempts > 2 * count  # they did contend: some compare-and-sets lost and retried
    async with LibSQLStore(f"file:{path}") as store:
        final = await Memory(
            store, options={"workingMemory": {"enabled": True, "scope": scope}}
        ).get_working_memory("t1", "r1")
    assert final is not None
    assert sorted(final.splitlines()) == sorted(
        f"{name}-{i}" for name in ("p", "q") for i in range(count)
    )


async def test_modify_gives_up_with_a_typed_error(storage: MastraStorage) -> None:
    memory, rival = Memory(storage, options=RESOURCE), Memory(storage, options=RESOURCE)
    calls = 0

    async def always_overtaken(current: str | None) -> str:
        nonlocal calls
        calls += 1
        await rival.update_working_memory("t1", "r1", f"rival {calls}")
        return "mine"

    with pytest.raises(ConflictError, match="kept changing") as info:
        await memory.modify_working_memory("t1", "r1", always_overtaken, max_attempts=3)
    assert info.value.id == "MASTRA_MEMORY_WORKING_MEMORY_CONTENDED"
    assert calls == 3
    assert await memory.get_working_memory("t1", "r1") == "rival 3"  # never overwritten


async def test_modify_accepts_sync_functions_and_rejects_non_strings(
    storage: MastraStorage,
) -> None:
    memory = Memory(storage, options=RESOURCE)
    assert await memory.modify_working_memory("t1", "r1", lambda cur: (cur or "") + "a") == "a"
    with pytest.raises(ValidationError, match="must return a string"):
        await memory.modify_working_memory("t1", "r1", lambda cur: 42)  # type: ignore[arg-type,return-value]
    assert await memory.get_working_memory("t1", "r1") == "a"


async def test_expected_version_conflicts_on_every_backend(storage: MastraStorage) -> None:
    """Memory.update_working_memory(expected_version=...) is the store's version check:
    a stale version raises VersionConflictError and leaves the stored text alone."""
    from mastra_storage.errors import VersionConflictError
    from mastra_storage.versioning import NEW

    memory = Memory(storage, options=RESOURCE)
    store = await storage.require_store("memory")
    await memory.update_working_memory("t1", "r1", "v1", expected_version=NEW)
    first = await store.get_resource_by_id("r1")
    assert first is not None
    await memory.update_working_memory("t1", "r1", "v2", expected_version=first.version)
    with pytest.raises(VersionConflictError):
        await memory.update_working_memory("t1", "r1", "lost", expected_version=first.version)
    with pytest.raises(VersionConflictError):
        await memory.update_working_memory("t1", "r1", "lost", expected_version=NEW)
    assert await memory.get_working_memory("t1", "r1") == "v2"
    with pytest.raises(ValidationError):
        await memory.update_working_memory("t1", None, "x", expected_version=NEW, options=THREAD)
    with pytest.raises(ValidationError):
        await memory.update_working_memory("t1", "r1", "x", expected_version="bogus")
    assert await memory.get_working_memory("t1", "r1") == "v2"
