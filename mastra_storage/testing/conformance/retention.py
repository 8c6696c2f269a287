"""Retention: pruning by age and deleting everything of one resource."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ...composite import MastraStorage
from ...errors import NotSupportedError, ValidationError
from ...retention import RetentionPolicy, delete_resource, prune, resource_remover
from ..data import (
    BASE_TIME,
    at,
    sample_message,
    sample_resource,
    sample_span,
    sample_thread,
    uid,
)
from ._base import ConformanceBase, has_observability

CUT = at(BASE_TIME, days=10)


class RetentionTests(ConformanceBase):
    """Retention: pruning by age and deleting everything of one resource."""

    async def _world(self, storage: MastraStorage) -> dict[str, list[str]]:
        """Two resources, each with an old and a new thread; the new thread holds an old and
        a new message; old and new runs (finished and running) for each resource."""
        memory = await self.memory(storage)
        workflows = await self.workflows(storage)
        out: dict[str, list[str]] = {}
        for label in ("a", "b"):
            resource = uid(f"res-{label}")
            old = await memory.save_thread(
                sample_thread(resource_id=resource, date=at(BASE_TIME, days=1))
            )
            new = await memory.save_thread(
                sample_thread(resource_id=resource, date=at(BASE_TIME, days=20))
            )
            msgs = [
                sample_message(thread=old, created_at=at(BASE_TIME, days=1)),
                sample_message(thread=new, created_at=at(BASE_TIME, days=2)),
                sample_message(thread=new, created_at=at(BASE_TIME, days=20)),
            ]
            await memory.save_messages(msgs)  # bumps both threads' updated_at to now
            await memory.save_thread(old)  # back to its old updated_at (upsert)
            await memory.save_resource(sample_resource(id=resource))
            runs = []
            for status, days in (("success", 1), ("running", 2), ("success", 20)):
                run_id = uid("run")
                await workflows.persist_workflow_snapshot(
                    workflow_name="wf",
                    run_id=run_id,
                    snapshot={"runId": run_id, "status": status, "context": {}},
                    resource_id=resource,
                    created_at=at(BASE_TIME, days=days),
                    updated_at=at(BASE_TIME, days=days),
                )
                runs.append(run_id)
            out[label] = [resource, old.id, new.id, *(m.id for m in msgs), *runs]
        return out

    async def _state(self, storage: MastraStorage, world: dict[str, list[str]]) -> dict[str, int]:
        memory = await self.memory(storage)
        workflows = await self.workflows(storage)
        state: dict[str, int] = {}
        for label, (resource, old, new, *_rest) in world.items():
            threads = await memory.list_threads(resource_id=resource, per_page=None)
            state[f"{label}.threads"] = len(threads.items)
            msgs = await memory.list_messages(thread_id=[old, new], per_page=None)
            state[f"{label}.messages"] = len(msgs.items)
            runs = await workflows.list_workflow_runs(resource_id=resource)
            state[f"{label}.runs"] = len(runs.items)
        return state

    async def test_prune_threads_messages_and_runs_keeps_exact_survivors(
        self, storage: MastraStorage
    ) -> None:
        world = await self._world(storage)
        result = await prune(
            storage,
            threads_older_than=CUT,
            messages_older_than=CUT,
            workflow_runs_older_than=CUT,
            batch_size=1,
        )
        assert (result.threads, result.messages, result.workflow_runs) == (2, 4, 4)
        memory = await self.memory(storage)
        workflows = await self.workflows(storage)
        for resource, old, new, _m1, _m2, m3, _r1, _r2, r3 in world.values():
            assert await memory.get_thread_by_id(old) is None
            assert await memory.get_thread_by_id(new) is not None
            page = await memory.list_messages(thread_id=[old, new], per_page=None)
            assert [m.id for m in page.items] == [m3]
            runs = await workflows.list_workflow_runs(resource_id=resource)
            assert [r.run_id for r in runs.items] == [r3]
        again = await prune(
            storage,
            threads_older_than=CUT,
            messages_older_than=CUT,
            workflow_runs_older_than=CUT,
        )
        assert (again.threads, again.messages, again.workflow_runs) == (0, 0, 0)

    async def test_dry_run_counts_and_changes_nothing(self, storage: MastraStorage) -> None:
        world = await self._world(storage)
        before = await self._state(storage, world)
        result = await prune(
            storage,
            policy=RetentionPolicy(threads=timedelta(days=1)),
            messages_older_than=CUT,
            workflow_runs_older_than=CUT,
            dry_run=True,
        )
        assert result.dry_run
        # a one-day policy against data dated in 2024: every thread but the bumped ones
        assert (result.threads, result.messages, result.workflow_runs) == (2, 4, 4)
        assert await self._state(storage, world) == before

    async def test_prune_by_status_and_resource_is_scoped(self, storage: MastraStorage) -> None:
        world = await self._world(storage)
        a_resource = world["a"][0]
        result = await prune(
            storage,
            workflow_runs_older_than=CUT,
            workflow_statuses=["success"],
            threads_older_than=CUT,
            resource_id=a_resource,
        )
        assert (result.threads, result.workflow_runs) == (1, 1)
        state = await self._state(storage, world)
        assert state == {
            "a.threads": 1,
            "a.messages": 2,
            "a.runs": 2,
            "b.threads": 2,
            "b.messages": 3,
            "b.runs": 3,
        }

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"threads_older_than": datetime(2024, 1, 1)},
            {"threads_older_than": "2024-01-01"},
            {"messages_older_than": timedelta(0)},
            {},
            {"threads_older_than": CUT, "batch_size": 0},
            {"workflow_runs_older_than": CUT, "workflow_statuses": "success"},
        ],
    )
    async def test_bad_arguments_are_typed_errors_and_delete_nothing(
        self, storage: MastraStorage, kwargs: dict[str, object]
    ) -> None:
        world = await self._world(storage)
        before = await self._state(storage, world)
        with pytest.raises(ValidationError):
            await prune(storage, **kwargs)  # type: ignore[arg-type]
        assert await self._state(storage, world) == before

    async def _copied_resource_ids(self, storage: MastraStorage) -> set[str]:
        """The resource ids ``mastra-storage copy`` would read (transfer's resource scan,
        in pages of 1 so a paging position next to a deleted row is exercised)."""
        from ...transfer.source import scan_resources

        notices: list[str] = []
        ids: set[str] = set()
        async for batch in scan_resources(storage, 1, None, notices.append):
            ids.update(r.id for r in batch.records)
        return ids

    async def test_delete_resource_cascades_and_spares_other_tenants(
        self, storage: MastraStorage
    ) -> None:
        world = await self._world(storage)
        resource = world["a"][0]
        dry = await delete_resource(storage, resource, dry_run=True)
        assert (dry.threads, dry.messages, dry.workflow_runs, dry.resources) == (2, 3, 3, 1)
        result = await delete_resource(storage, resource)
        assert (result.threads, result.messages, result.workflow_runs, result.resources) == (
            2,
            3,
            3,
            1,
        )
        state = await self._state(storage, world)
        assert state == {
            "a.threads": 0,
            "a.messages": 0,
            "a.runs": 0,
            "b.threads": 2,
            "b.messages": 3,
            "b.runs": 3,
        }
        memory = await self.memory(storage)
        gone = await memory.get_resource_by_id(resource)
        if resource_remover(memory) is not None:
            assert gone is None  # the store removes the row itself
            listed = await self._copied_resource_ids(storage)
            assert resource not in listed and world["b"][0] in listed
        else:
            assert gone is not None and gone.working_memory is None and not gone.metadata
        other = await memory.get_resource_by_id(world["b"][0])
        assert other is not None and other.working_memory is not None
        again = await delete_resource(storage, resource)
        assert (again.threads, again.messages, again.workflow_runs, again.resources) == (0, 0, 0, 0)
        with pytest.raises(ValidationError):
            await delete_resource(storage, "")

    async def test_delete_resource_removes_vectors_through_memory(
        self, storage: MastraStorage
    ) -> None:
        from ...memory import HashingEmbedder, Memory
        from ...vector import InMemoryVector

        vector = InMemoryVector()
        options = {"lastMessages": 5, "semanticRecall": {"topK": 2, "messageRange": 0}}
        mem = Memory(storage, vector=vector, embedder=HashingEmbedder(), options=options)
        keep, drop = uid("keep"), uid("drop")
        for resource in (keep, drop):
            await mem.save_turn(uid("t"), resource, [Memory.message("user", f"hello {resource}")])
        (index,) = await vector.list_indexes()
        assert (await vector.describe_index(index)).count == 2
        result = await delete_resource(storage, drop, memory=mem)
        assert result.vectors_cleared and result.threads == 1
        assert (await vector.describe_index(index)).count == 1

    async def test_prune_traces_by_root_start(self, storage: MastraStorage) -> None:
        if not await has_observability(storage):
            with pytest.raises(NotSupportedError):
                await prune(storage, traces_older_than=CUT, threads_older_than=CUT)
            return
        observability = await self.observability(storage)
        old = sample_span(started_at=at(BASE_TIME, days=1))
        child = sample_span(
            trace_id=old.trace_id,
            parent_span_id=old.span_id,
            started_at=at(BASE_TIME, days=1, seconds=1),
        )
        new = sample_span(started_at=at(BASE_TIME, days=20))
        await observability.batch_create_spans([old, child, new])
        dry = await prune(storage, traces_older_than=CUT, dry_run=True)
        assert dry.traces == 1
        assert await observability.get_trace(old.trace_id) is not None
        result = await prune(storage, traces_older_than=CUT, batch_size=1)
        assert result.traces == 1
        assert await observability.get_trace(old.trace_id) is None
        assert await observability.get_span(old.trace_id, child.span_id) is None
        assert await observability.get_trace(new.trace_id) is not None
        assert (await prune(storage, traces_older_than=CUT)).traces == 0

    async def test_prune_through_memory_removes_the_vectors_of_pruned_messages(
        self, storage: MastraStorage
    ) -> None:
        from ...memory import HashingEmbedder, Memory
        from ...vector import InMemoryVector

        vector = InMemoryVector()
        options = {"lastMessages": 5, "semanticRecall": {"topK": 2, "messageRange": 0}}
        mem = Memory(storage, vector=vector, embedder=HashingEmbedder(), options=options)
        await mem.save_turn(uid("t"), uid("r"), [Memory.message("user", "hello there")])
        (index,) = await vector.list_indexes()
        assert (await vector.describe_index(index)).count == 1
        cut = at(BASE_TIME, days=365 * 100)  # far future: every message is older
        dry = await prune(storage, messages_older_than=cut, memory=mem, dry_run=True)
        assert dry.messages == 1 and not dry.vectors_cleared
        assert (await vector.describe_index(index)).count == 1
        result = await prune(storage, messages_older_than=cut, memory=mem)
        assert result.messages == 1 and result.vectors_cleared
        assert (await vector.describe_index(index)).count == 0
