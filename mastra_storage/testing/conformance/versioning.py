"""Version-checked writes of workflow snapshots and working memory.

A stale version gets a typed conflict and writes nothing; create-only fails on an
existing record; concurrent read-modify-writes through :mod:`mastra_storage.retry` lose
no update, between tasks and between processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from ...composite import MastraStorage
from ...errors import ValidationError, VersionConflictError
from ...retry import update_resource_working_memory, update_workflow_snapshot
from ...versioning import NEW
from ._base import ConformanceBase

WF = "versioned-wf"
#: Values whose JSON must survive every backend unchanged, or the version would drift.
AWKWARD = {
    "f": 0.1,
    "one": 1.0,
    "e": 1e20,
    "tiny": 5e-324,
    "big": 2**53,
    "neg": -0.5,
    "s": "é\u2603",
    "n": None,
}


def _bump(snapshot: dict[str, Any] | str | None) -> dict[str, Any]:
    count = snapshot.get("count", 0) if isinstance(snapshot, dict) else 0
    return {"count": count + 1, "runId": "r1"}


async def increment_worker(storage: MastraStorage, index: int, rounds: int) -> int:
    """One process's share of the multi-process test (module level: picklable)."""
    workflows = await storage.require_store("workflows")
    memory = await storage.require_store("memory")
    for _ in range(rounds):
        await update_workflow_snapshot(
            workflows, workflow_name=WF, run_id="mp", update=_bump, attempts=200
        )
        await update_resource_working_memory(
            memory, "mp", lambda text: str(int(text or "0") + 1), attempts=200
        )
    return rounds


class VersionedWriteTests(ConformanceBase):
    """Version-checked writes of workflow snapshots and working memory."""

    async def test_persist_returns_the_version_that_loads_back(
        self, storage: MastraStorage
    ) -> None:
        wf = await self.workflows(storage)
        assert await wf.load_workflow_snapshot_versioned(workflow_name=WF, run_id="r1") == (
            None,
            NEW,
        )
        v1 = await wf.persist_workflow_snapshot(
            workflow_name=WF, run_id="r1", snapshot={"a": AWKWARD}, expected_version=NEW
        )
        snap, loaded = await wf.load_workflow_snapshot_versioned(workflow_name=WF, run_id="r1")
        assert loaded == v1 and snap == {"a": AWKWARD}
        run = await wf.get_workflow_run_by_id("r1", workflow_name=WF)
        assert run is not None and run.version == v1
        blind = await wf.persist_workflow_snapshot(workflow_name=WF, run_id="r1", snapshot={"a": 2})
        assert blind != v1
        assert (await wf.load_workflow_snapshot_versioned(workflow_name=WF, run_id="r1"))[
            1
        ] == blind
        # A version-checked write changes the version even with identical content.
        v3 = await wf.persist_workflow_snapshot(
            workflow_name=WF, run_id="r1", snapshot={"a": 2}, expected_version=blind
        )
        assert v3 != blind
        assert (await wf.load_workflow_snapshot_versioned(workflow_name=WF, run_id="r1"))[1] == v3

    async def test_stale_version_conflicts_and_writes_nothing(self, storage: MastraStorage) -> None:
        wf = await self.workflows(storage)
        v1 = await wf.persist_workflow_snapshot(workflow_name=WF, run_id="r1", snapshot={"n": 1})
        v2 = await wf.persist_workflow_snapshot(
            workflow_name=WF, run_id="r1", snapshot={"n": 2}, expected_version=v1
        )
        with pytest.raises(VersionConflictError) as info:
            await wf.persist_workflow_snapshot(
                workflow_name=WF, run_id="r1", snapshot={"n": 99}, expected_version=v1
            )
        assert info.value.id == "MASTRA_STORAGE_PERSIST_WORKFLOW_SNAPSHOT_VERSION_CONFLICT"
        assert info.value.details["actual_version"] == v2
        assert await wf.load_workflow_snapshot_versioned(workflow_name=WF, run_id="r1") == (
            {"n": 2},
            v2,
        )
        with pytest.raises(VersionConflictError):  # create-only on an existing run
            await wf.persist_workflow_snapshot(
                workflow_name=WF, run_id="r1", snapshot={"n": 3}, expected_version=NEW
            )
        with pytest.raises(VersionConflictError):  # a version for a run that is gone
            await wf.persist_workflow_snapshot(
                workflow_name=WF, run_id="other", snapshot={"n": 3}, expected_version=v2
            )
        assert await wf.load_workflow_snapshot(workflow_name=WF, run_id="other") is None
        assert await wf.load_workflow_snapshot(workflow_name=WF, run_id="r1") == {"n": 2}

    @pytest.mark.parametrize("bad", [1, b"x", ["v"], "", "not-a-version", "1.XYZ"])
    async def test_bad_expected_version_is_a_validation_error(
        self, storage: MastraStorage, bad: object
    ) -> None:
        wf = await self.workflows(storage)
        memory = await self.memory(storage)
        with pytest.raises(ValidationError):
            await wf.persist_workflow_snapshot(
                workflow_name=WF,
                run_id="r1",
                snapshot={},
                expected_version=bad,  # type: ignore[arg-type]
            )
        with pytest.raises(ValidationError):
            await memory.update_resource(
                "u1",
                working_memory="x",
                expected_version=bad,  # type: ignore[arg-type]
            )
        assert await wf.load_workflow_snapshot(workflow_name=WF, run_id="r1") is None
        assert await memory.get_resource_by_id("u1") is None

    async def test_working_memory_versions(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        created = await memory.update_resource("u1", working_memory="a", expected_version=NEW)
        stored = await memory.get_resource_by_id("u1")
        assert stored is not None and stored.version == created.version
        second = await memory.update_resource(
            "u1", working_memory="b", expected_version=created.version
        )
        assert second.version != created.version
        with pytest.raises(VersionConflictError) as info:
            await memory.update_resource(
                "u1", working_memory="lost", expected_version=created.version
            )
        assert info.value.id == "MASTRA_STORAGE_UPDATE_RESOURCE_VERSION_CONFLICT"
        with pytest.raises(VersionConflictError):
            await memory.update_resource("u1", working_memory="x", expected_version=NEW)
        after = await memory.get_resource_by_id("u1")
        assert after is not None and after.working_memory == "b"
        assert after.version == second.version

    async def test_concurrent_tasks_lose_no_update(self, storage: MastraStorage) -> None:
        wf = await self.workflows(storage)
        memory = await self.memory(storage)
        n = 6
        await asyncio.gather(
            *(
                update_workflow_snapshot(
                    wf, workflow_name=WF, run_id="r1", update=_bump, attempts=100
                )
                for _ in range(n)
            ),
            *(
                update_resource_working_memory(
                    memory, "u1", lambda text: str(int(text or "0") + 1), attempts=100
                )
                for _ in range(n)
            ),
        )
        assert await wf.load_workflow_snapshot(workflow_name=WF, run_id="r1") == {
            "count": n,
            "runId": "r1",
        }
        resource = await memory.get_resource_by_id("u1")
        assert resource is not None and resource.working_memory == str(n)

    async def test_processes_lose_no_update(
        self, storage: MastraStorage, storage_opener: Callable[[], MastraStorage]
    ) -> None:
        from ..processes import run_in_processes, values

        processes, rounds = 3, 5
        results = await run_in_processes(
            storage_opener, increment_worker, processes, args=(rounds,), timeout=120
        )
        assert values(results) == [rounds] * processes
        wf = await self.workflows(storage)
        snapshot = await wf.load_workflow_snapshot(workflow_name=WF, run_id="mp")
        assert snapshot == {"count": processes * rounds, "runId": "r1"}
        resource = await (await self.memory(storage)).get_resource_by_id("mp")
        assert resource is not None and resource.working_memory == str(processes * rounds)
