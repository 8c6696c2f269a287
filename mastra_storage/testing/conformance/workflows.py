"""Workflows domain (spec 12.8 and 6)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from ...composite import MastraStorage
from ...domains.workflows import WorkflowsStore
from ...errors import NotFoundError, ValidationError
from ...timeutil import UTC
from ..data import BASE_TIME, at, sample_workflow_snapshot, uid
from ._base import ConformanceBase


def _run_ids(runs: Any) -> list[str]:
    return [run.run_id for run in runs]


class WorkflowTests(ConformanceBase):
    """Snapshots, listing, lookup, deletion and atomic step/state updates."""

    async def _persist(
        self,
        workflows: WorkflowsStore,
        workflow_name: str,
        *,
        status: str = "success",
        created_at: datetime | None = None,
        resource_id: str | None = None,
    ) -> tuple[str, str, dict[str, Any]]:
        sample = sample_workflow_snapshot(status, created_at)
        await workflows.persist_workflow_snapshot(
            workflow_name=workflow_name,
            run_id=sample.run_id,
            snapshot=sample.snapshot,
            resource_id=resource_id,
            created_at=created_at,
            updated_at=created_at,
        )
        return sample.run_id, sample.step_id, sample.snapshot

    # ---- list_workflow_runs ----------------------------------------------------------------

    async def test_list_runs_empty(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        page = await workflows.list_workflow_runs()
        assert (page.items, page.total, page.has_more) == ([], 0, False)

    async def test_list_all_runs_newest_first(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        first, step1, _ = await self._persist(
            workflows, "wf-a", created_at=at(BASE_TIME, seconds=1)
        )
        second, step2, _ = await self._persist(
            workflows, "wf-b", status="failed", created_at=at(BASE_TIME, seconds=2)
        )
        page = await workflows.list_workflow_runs()
        assert _run_ids(page.items) == [second, first]
        assert (page.total, page.per_page, page.has_more) == (2, None, False)
        newest, oldest = page.items
        assert isinstance(newest.snapshot, dict) and isinstance(oldest.snapshot, dict)
        assert newest.snapshot["context"][step2]["status"] == "failed"
        assert oldest.snapshot["context"][step1]["status"] == "success"
        assert (newest.workflow_name, oldest.workflow_name) == ("wf-b", "wf-a")

    async def test_list_runs_by_workflow_name(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        wanted, _, _ = await self._persist(workflows, "wanted")
        await self._persist(workflows, "other")
        page = await workflows.list_workflow_runs(workflow_name="wanted")
        assert _run_ids(page.items) == [wanted]
        assert page.total == 1

    async def test_list_runs_by_status(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        ok, _, _ = await self._persist(workflows, "wf", status="success")
        await self._persist(workflows, "wf", status="failed")
        await self._persist(workflows, "wf", status="running")
        page = await workflows.list_workflow_runs(status="success")
        assert _run_ids(page.items) == [ok]
        assert page.total == 1
        assert (await workflows.list_workflow_runs(status="suspended")).total == 0

    async def test_list_runs_by_date_range(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        now = at(BASE_TIME, days=10)
        yesterday = now - timedelta(days=1)
        await self._persist(workflows, "wf", created_at=now - timedelta(days=2))
        mid, _, _ = await self._persist(workflows, "wf", created_at=yesterday)
        new, _, _ = await self._persist(workflows, "wf", created_at=now)
        page = await workflows.list_workflow_runs(from_date=yesterday, to_date=now)
        assert _run_ids(page.items) == [new, mid]
        assert page.total == 2
        only_from = await workflows.list_workflow_runs(from_date=now)
        assert _run_ids(only_from.items) == [new]
        iso = await workflows.list_workflow_runs(
            from_date="2024-01-10T00:00:00.000Z", to_date=yesterday.isoformat()
        )
        assert _run_ids(iso.items) == [mid]
        with pytest.raises(ValidationError):
            await workflows.list_workflow_runs(from_date=datetime(2024, 1, 1))

    async def test_list_runs_paginated(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        runs = [
            (await self._persist(workflows, "wf", created_at=at(BASE_TIME, seconds=i)))[0]
            for i in range(3)
        ]
        first = await workflows.list_workflow_runs(workflow_name="wf", page=0, per_page=2)
        assert _run_ids(first.items) == [runs[2], runs[1]]
        assert (first.total, first.page, first.per_page, first.has_more) == (3, 0, 2, True)
        second = await workflows.list_workflow_runs(workflow_name="wf", page=1, per_page=2)
        assert _run_ids(second.items) == [runs[0]]
        assert (second.total, second.has_more) == (3, False)
        unpaged = await workflows.list_workflow_runs(workflow_name="wf", per_page=2)
        assert (len(unpaged.items), unpaged.per_page) == (3, None)
        with pytest.raises(ValidationError):
            await workflows.list_workflow_runs(page=-1, per_page=2)

    async def test_list_runs_by_resource_id(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        resource = uid("resource")
        mine = [
            (
                await self._persist(
                    workflows, f"wf-{i}", resource_id=resource, created_at=at(BASE_TIME, seconds=i)
                )
            )[0]
            for i in range(2)
        ]
        await self._persist(workflows, "wf-x", resource_id="someone-else")
        await self._persist(workflows, "wf-y")
        page = await workflows.list_workflow_runs(resource_id=resource)
        assert _run_ids(page.items) == list(reversed(mine))
        assert all(run.resource_id == resource for run in page.items)
        none = await workflows.list_workflow_runs(resource_id="nobody")
        assert (none.items, none.total) == ([], 0)

    async def test_list_runs_combined_filters(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        resource = uid("resource")
        hit, _, _ = await self._persist(workflows, "wf", status="success", resource_id=resource)
        await self._persist(workflows, "wf", status="failed", resource_id=resource)
        await self._persist(workflows, "other", status="success", resource_id=resource)
        page = await workflows.list_workflow_runs(
            workflow_name="wf", status="success", resource_id=resource
        )
        assert _run_ids(page.items) == [hit]

    # ---- get / delete ------------------------------------------------------------------------

    async def test_get_run_by_id(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        run_id, step_id, snapshot = await self._persist(workflows, "wf", resource_id="res-1")
        run = await workflows.get_workflow_run_by_id(run_id, workflow_name="wf")
        assert run is not None
        assert (run.run_id, run.workflow_name, run.resource_id) == (run_id, "wf", "res-1")
        assert run.snapshot == snapshot
        assert isinstance(run.snapshot, dict)
        assert run.snapshot["context"][step_id]["status"] == "success"
        without_name = await workflows.get_workflow_run_by_id(run_id)
        assert without_name == run
        assert await workflows.get_workflow_run_by_id(run_id, workflow_name="other") is None

    async def test_delete_run_by_id(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        run_id, _, _ = await self._persist(workflows, "wf")
        keep, _, _ = await self._persist(workflows, "wf")
        await workflows.delete_workflow_run_by_id(run_id, workflow_name="wf")
        assert await workflows.get_workflow_run_by_id(run_id, workflow_name="wf") is None
        assert await workflows.load_workflow_snapshot(workflow_name="wf", run_id=run_id) is None
        assert _run_ids((await workflows.list_workflow_runs()).items) == [keep]
        await workflows.delete_workflow_run_by_id("missing", workflow_name="wf")

    async def test_missing_run_returns_none(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        await self._persist(workflows, "wf")
        assert await workflows.get_workflow_run_by_id("missing-run") is None
        assert await workflows.get_workflow_run_by_id("missing-run", workflow_name="wf") is None

    async def test_run_timestamps_are_valid_datetimes(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        created = datetime(2024, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
        sample = sample_workflow_snapshot("success")
        await workflows.persist_workflow_snapshot(
            workflow_name="wf",
            run_id=sample.run_id,
            snapshot=sample.snapshot,
            created_at=created,
            updated_at=created + timedelta(seconds=1),
        )
        run = await workflows.get_workflow_run_by_id(sample.run_id, workflow_name="wf")
        assert run is not None
        assert run.created_at == created
        assert run.updated_at == created + timedelta(seconds=1)
        assert run.created_at.tzinfo is not None
        (listed,) = (await workflows.list_workflow_runs()).items
        assert (listed.created_at, listed.updated_at) == (run.created_at, run.updated_at)
        assert listed.to_dict()["createdAt"] == "2024-02-03T04:05:06.789Z"

    async def test_default_timestamps_are_now(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        before = datetime.now(UTC) - timedelta(seconds=5)
        run_id, _, _ = await self._persist(workflows, "wf")
        run = await workflows.get_workflow_run_by_id(run_id, workflow_name="wf")
        assert run is not None
        assert before < run.created_at <= datetime.now(UTC) + timedelta(seconds=5)

    # ---- snapshots --------------------------------------------------------------------------

    async def test_persist_and_load_snapshot(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        run_id, _, snapshot = await self._persist(workflows, "wf")
        loaded = await workflows.load_workflow_snapshot(workflow_name="wf", run_id=run_id)
        assert loaded == snapshot

    async def test_load_missing_snapshot(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        run_id, _, _ = await self._persist(workflows, "wf")
        assert await workflows.load_workflow_snapshot(workflow_name="wf", run_id="nope") is None
        assert await workflows.load_workflow_snapshot(workflow_name="other", run_id=run_id) is None

    async def test_persist_overwrites_snapshot_and_keeps_created_at(
        self, storage: MastraStorage
    ) -> None:
        workflows = await self.workflows(storage)
        created = at(BASE_TIME, seconds=3)
        run_id, _, _ = await self._persist(workflows, "wf", created_at=created)
        replacement = {"status": "running", "context": {"new": {"status": "running"}}}
        await workflows.persist_workflow_snapshot(
            workflow_name="wf", run_id=run_id, snapshot=replacement, resource_id="res-2"
        )
        loaded = await workflows.load_workflow_snapshot(workflow_name="wf", run_id=run_id)
        assert loaded == replacement
        run = await workflows.get_workflow_run_by_id(run_id, workflow_name="wf")
        assert run is not None
        assert run.created_at == created
        assert run.updated_at > created
        assert run.resource_id == "res-2"
        assert (await workflows.list_workflow_runs()).total == 1

    async def test_same_run_id_in_two_workflows(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        for name in ("wf-1", "wf-2"):
            await workflows.persist_workflow_snapshot(
                workflow_name=name, run_id="shared", snapshot={"name": name, "context": {}}
            )
        for name in ("wf-1", "wf-2"):
            loaded = await workflows.load_workflow_snapshot(workflow_name=name, run_id="shared")
            assert loaded == {"name": name, "context": {}}
        await workflows.delete_workflow_run_by_id("shared", workflow_name="wf-1")
        assert await workflows.load_workflow_snapshot(workflow_name="wf-1", run_id="shared") is None
        assert await workflows.load_workflow_snapshot(workflow_name="wf-2", run_id="shared") == {
            "name": "wf-2",
            "context": {},
        }

    async def test_complex_snapshot_round_trips(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        snapshot: dict[str, Any] = {
            "status": "suspended",
            "context": {
                "stepResults": {"step1": {"status": "success", "output": {"data": "x" * 500}}},
                "attempts": {"step1": 1, "step2": 0},
                "triggerData": {
                    "nested": {"deep": [1, 2.5, None, True, {"k": "\u00e9\U0001f389"}]}
                },
            },
            "activePaths": [0, 1],
            "suspendedPaths": {"step2": [1]},
            "timestamp": 1_700_000_000_123,
            "emptyObject": {},
            "emptyList": [],
        }
        await workflows.persist_workflow_snapshot(
            workflow_name="complex", run_id="run-c", snapshot=snapshot
        )
        loaded = await workflows.load_workflow_snapshot(workflow_name="complex", run_id="run-c")
        assert loaded == snapshot

    async def test_string_snapshot_round_trips(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        await workflows.persist_workflow_snapshot(
            workflow_name="wf", run_id="run-s", snapshot="opaque snapshot text"
        )
        assert (
            await workflows.load_workflow_snapshot(workflow_name="wf", run_id="run-s")
            == "opaque snapshot text"
        )

    async def test_persist_resource_id(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        run_id, _, _ = await self._persist(workflows, "wf", resource_id="resource-77")
        run = await workflows.get_workflow_run_by_id(run_id, workflow_name="wf")
        assert run is not None and run.resource_id == "resource-77"
        other, _, _ = await self._persist(workflows, "wf")
        run2 = await workflows.get_workflow_run_by_id(other, workflow_name="wf")
        assert run2 is not None and run2.resource_id is None

    async def test_persist_rejects_invalid_input(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        run_id, _, snapshot = await self._persist(workflows, "wf")
        with pytest.raises(ValidationError):
            await workflows.persist_workflow_snapshot(
                workflow_name="wf", run_id=run_id, snapshot={"bad": object()}
            )
        with pytest.raises(ValidationError):
            await workflows.persist_workflow_snapshot(workflow_name="", run_id="r", snapshot={})
        with pytest.raises(ValidationError):
            await workflows.persist_workflow_snapshot(
                workflow_name="wf",
                run_id=run_id,
                snapshot=[1, 2],  # type: ignore[arg-type]
            )
        with pytest.raises(ValidationError):
            await workflows.persist_workflow_snapshot(
                workflow_name="wf",
                run_id=run_id,
                snapshot={},
                created_at=datetime(2024, 1, 1),  # naive on purpose
            )
        assert await workflows.load_workflow_snapshot(workflow_name="wf", run_id=run_id) == snapshot
        assert (await workflows.list_workflow_runs()).total == 1

    # ---- update_workflow_results / update_workflow_state ------------------------------------

    async def test_update_workflow_results(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        if not workflows.supports_concurrent_updates():
            pytest.skip("workflows domain does not support concurrent updates")
        run_id, step_id, snapshot = await self._persist(workflows, "wf")
        first = await workflows.update_workflow_results(
            workflow_name="wf",
            run_id=run_id,
            step_id="step-1",
            result={"status": "success", "output": {"v": 1}},
            request_context={"a": 1},
        )
        assert first == {**snapshot["context"], "step-1": {"status": "success", "output": {"v": 1}}}
        await workflows.update_workflow_results(
            workflow_name="wf",
            run_id=run_id,
            step_id="step-2",
            result={"status": "running"},
            request_context={"b": 2},
        )
        last = await workflows.update_workflow_results(
            workflow_name="wf",
            run_id=run_id,
            step_id="step-1",
            result={"status": "success", "output": {"v": 2}},
            request_context={"a": 3},
        )
        assert last["step-1"] == {"status": "success", "output": {"v": 2}}
        assert last["step-2"] == {"status": "running"}
        assert last[step_id] == snapshot["context"][step_id]
        loaded = await workflows.load_workflow_snapshot(workflow_name="wf", run_id=run_id)
        assert isinstance(loaded, dict)
        assert loaded["context"] == last
        assert loaded["requestContext"] == {"a": 3, "b": 2}
        assert loaded["status"] == snapshot["status"]

    async def test_update_workflow_results_creates_missing_run(
        self, storage: MastraStorage
    ) -> None:
        workflows = await self.workflows(storage)
        context = await workflows.update_workflow_results(
            workflow_name="wf",
            run_id="fresh-run",
            step_id="s1",
            result={"status": "success"},
            request_context={"r": True},
        )
        assert context == {"s1": {"status": "success"}}
        loaded = await workflows.load_workflow_snapshot(workflow_name="wf", run_id="fresh-run")
        assert isinstance(loaded, dict)
        assert loaded["status"] == "pending"
        assert loaded["runId"] == "fresh-run"
        assert loaded["requestContext"] == {"r": True}
        assert loaded["context"] == {"s1": {"status": "success"}}
        assert (await workflows.list_workflow_runs(workflow_name="wf")).total == 1

    async def test_update_workflow_state_merges_sequentially(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        run_id, _, snapshot = await self._persist(workflows, "wf", status="running")
        first = await workflows.update_workflow_state(
            workflow_name="wf",
            run_id=run_id,
            status="waiting",
            waiting_paths={"step-a": [0]},
        )
        assert first is not None
        assert first["status"] == "waiting"
        assert first["waitingPaths"] == {"step-a": [0]}
        assert first["context"] == snapshot["context"]
        second = await workflows.update_workflow_state(
            workflow_name="wf",
            run_id=run_id,
            status="success",
            result={"status": "success", "output": 42},
        )
        assert second is not None
        assert second["status"] == "success"
        assert second["waitingPaths"] == {"step-a": [0]}
        assert second["result"] == {"status": "success", "output": 42}
        loaded = await workflows.load_workflow_snapshot(workflow_name="wf", run_id=run_id)
        assert loaded == second
        assert _run_ids((await workflows.list_workflow_runs(status="success")).items) == [run_id]

    async def test_update_state_of_missing_run_returns_none(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        result = await workflows.update_workflow_state(
            workflow_name="wf", run_id="missing", status="success"
        )
        assert result is None
        assert await workflows.load_workflow_snapshot(workflow_name="wf", run_id="missing") is None
        assert (await workflows.list_workflow_runs()).total == 0

    async def test_update_state_without_context_raises(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        await workflows.persist_workflow_snapshot(
            workflow_name="wf", run_id="no-context", snapshot={"status": "running"}
        )
        with pytest.raises(NotFoundError):
            await workflows.update_workflow_state(
                workflow_name="wf", run_id="no-context", status="success"
            )
        assert await workflows.load_workflow_snapshot(workflow_name="wf", run_id="no-context") == {
            "status": "running"
        }

    async def test_update_state_rejects_unknown_fields(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        run_id, _, snapshot = await self._persist(workflows, "wf")
        with pytest.raises(ValidationError):
            await workflows.update_workflow_state(
                workflow_name="wf", run_id=run_id, status="success", bogus=1
            )
        with pytest.raises(ValidationError):
            await workflows.update_workflow_state(
                workflow_name="wf", run_id=run_id, status="success", result={"x": object()}
            )
        assert await workflows.load_workflow_snapshot(workflow_name="wf", run_id=run_id) == snapshot

    async def test_concurrent_workflow_results_updates(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        if not workflows.supports_concurrent_updates():
            pytest.skip("workflows domain does not support concurrent updates")
        run_id, step_id, _ = await self._persist(workflows, "wf")
        steps = [f"parallel-{i}" for i in range(6)]
        await asyncio.gather(
            *(
                workflows.update_workflow_results(
                    workflow_name="wf",
                    run_id=run_id,
                    step_id=step,
                    result={"status": "success", "output": i},
                    request_context={f"k{i}": i},
                )
                for i, step in enumerate(steps)
            )
        )
        loaded = await workflows.load_workflow_snapshot(workflow_name="wf", run_id=run_id)
        assert isinstance(loaded, dict)
        for i, step in enumerate(steps):
            assert loaded["context"][step] == {"status": "success", "output": i}, "lost update"
        assert step_id in loaded["context"]
        assert loaded["requestContext"] == {f"k{i}": i for i in range(6)}

    async def test_concurrent_workflow_results_on_missing_run(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        if not workflows.supports_concurrent_updates():
            pytest.skip("workflows domain does not support concurrent updates")
        await asyncio.gather(
            *(
                workflows.update_workflow_results(
                    workflow_name="wf",
                    run_id="racing",
                    step_id=f"s{i}",
                    result={"n": i},
                    request_context={},
                )
                for i in range(4)
            )
        )
        loaded = await workflows.load_workflow_snapshot(workflow_name="wf", run_id="racing")
        assert isinstance(loaded, dict)
        assert loaded["context"] == {f"s{i}": {"n": i} for i in range(4)}
        assert (await workflows.list_workflow_runs()).total == 1

    async def test_concurrent_workflow_state_updates(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        if not workflows.supports_concurrent_updates():
            pytest.skip("workflows domain does not support concurrent updates")
        run_id, _, _ = await self._persist(workflows, "wf", status="running")
        await asyncio.gather(
            workflows.update_workflow_state(
                workflow_name="wf",
                run_id=run_id,
                status="waiting",
                waiting_paths={"step-w": [1]},
            ),
            workflows.update_workflow_state(
                workflow_name="wf",
                run_id=run_id,
                status="success",
                result={"status": "success", "output": "done"},
            ),
            workflows.update_workflow_results(
                workflow_name="wf",
                run_id=run_id,
                step_id="late-step",
                result={"status": "success"},
                request_context={"x": 1},
            ),
        )
        loaded = await workflows.load_workflow_snapshot(workflow_name="wf", run_id=run_id)
        assert isinstance(loaded, dict)
        assert loaded["waitingPaths"] == {"step-w": [1]}, "lost update"
        assert loaded["result"] == {"status": "success", "output": "done"}, "lost update"
        assert loaded["context"]["late-step"] == {"status": "success"}, "lost update"
        assert loaded["status"] in ("waiting", "success")

    async def test_dangerously_clear_all_empties_workflows(self, storage: MastraStorage) -> None:
        workflows = await self.workflows(storage)
        run_id, _, _ = await self._persist(workflows, "wf")
        await workflows.dangerously_clear_all()
        assert (await workflows.list_workflow_runs()).total == 0
        assert await workflows.load_workflow_snapshot(workflow_name="wf", run_id=run_id) is None


__all__ = ["WorkflowTests"]
