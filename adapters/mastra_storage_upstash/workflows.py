"""Workflows backend on Redis: Mastra's snapshot keys plus a per-run pointer and time indexes.

Mastra appends ``:resourceId:<id>`` to a run's key when it has a resource, so the key of
a run cannot be computed from ``(workflow, run id)`` alone. Mastra finds such runs by
``SCAN``; we keep ``ours:["run", workflow, run]`` -> ``{k: key, m: createdMs, r: resource}``
and read it together with the suffix-less key in one ``MGET``. Read-modify-writes (step
results, state) are optimistic transactions over the pointer and the record.

Workflow names and run ids that would make a run key ambiguous are refused before any write
(:func:`~.keys.check_run_key_ids`), and every loaded record is checked to be the run asked
for: a key a Mastra app wrote for an ambiguous id reads as absent, so it is never returned,
updated or deleted in another run's name.
"""

from __future__ import annotations

from typing import Any, TypeGuard

from redis.asyncio.client import Pipeline

from mastra_storage.backend.workflows import RunMutation, WorkflowRunQuery, WorkflowsBackend
from mastra_storage.layout import TABLE_WORKFLOW_SNAPSHOT
from mastra_storage.records import WorkflowRun

from .adopt import run_adopter, run_index_writes
from .db import RedisDB, begin, decode_json
from .errors import operation
from .indexes import (
    list_index,
    newest_first,
    run_index_keys,
    run_member,
    run_pointer,
)
from .keys import (
    check_run_key_ids,
    glob_escape,
    parse_run_tail,
    parse_timed_member,
    run_tail,
)
from .lex import HIGHEST, LOWEST, lower_from_date, upper_from_date
from .rows import run_from_json, run_to_json
from .scan import delete_matching, scan_keys


class UpstashWorkflowsBackend(WorkflowsBackend):
    """Workflow runs as Mastra stores them, with a per-run pointer and time indexes (see
    the module docstring)."""

    def __init__(self, db: RedisDB) -> None:
        self._db = db
        self._k = db.keys
        #: Indexes runs a Mastra app persisted, a bounded step per listing (adopt.py).
        self.adopter = run_adopter(db)

    def _index_entries(self, run: WorkflowRun) -> set[tuple[str, str]]:
        member = run_member(run)
        return {(key, member) for key in run_index_keys(self._db, run)}

    def _write(self, pipe: Pipeline, old: WorkflowRun | None, new: WorkflowRun | None) -> None:
        db, k = self._db, self._k
        before = self._index_entries(old) if old is not None else set()
        after = self._index_entries(new) if new is not None else set()
        if old is not None:
            old_key = k.workflow(old.workflow_name, old.run_id, old.resource_id)
            if new is None or old_key != k.workflow(new.workflow_name, new.run_id, new.resource_id):
                pipe.delete(old_key)
        for key, member in sorted(before - after):
            pipe.zrem(key, member)
        if new is None:
            if old is not None:
                pipe.delete(k.run_meta(old.workflow_name, old.run_id))
            return
        record_key = k.workflow(new.workflow_name, new.run_id, new.resource_id)
        db.set_json(pipe, record_key, run_to_json(new), "workflow_snapshot")
        meta = run_pointer(record_key, new)
        db.set_json(pipe, k.run_meta(new.workflow_name, new.run_id), meta, "workflow_snapshot")
        refresh = after if db.ttl.get("workflow_snapshot") else after - before
        for key, member in sorted(refresh):
            db.zadd(pipe, key, [member], "workflow_snapshot")

    async def _read(
        self, reader: Any, workflow_name: str, run_id: str, *, adopt: bool = False
    ) -> WorkflowRun | None:
        """Pointer and suffix-less key in one ``MGET``; a second ``GET`` only for runs
        stored under a resource suffix."""
        k = self._k
        plain_key = k.workflow(workflow_name, run_id, None)
        meta_raw, plain_raw = await reader.mget([k.run_meta(workflow_name, run_id), plain_key])
        meta = decode_json(meta_raw)
        record: Any = None
        if isinstance(meta, dict) and isinstance(meta.get("k"), str):
            record = decode_json(
                plain_raw if meta["k"] == plain_key else await reader.get(meta["k"])
            )
        elif meta is None:
            record = decode_json(plain_raw)  # written by Mastra, not indexed yet
            if record is None and adopt:  # loads by id only: never inside a write
                record = await self._find_foreign_run(workflow_name, run_id)
        return run_from_json(record) if _is_run(record, workflow_name, run_id) else None

    async def _find_foreign_run(self, workflow_name: str, run_id: str) -> dict[str, Any] | None:
        """A run a Mastra app stored under a resource suffix we cannot know, found as Mastra
        finds it (``SCAN`` for ``...:run_id:<run>:resourceId:*``), but only while the
        adoption detector says un-indexed runs may exist: on a quiet database a missing run
        costs one ``DBSIZE``. A run found is indexed at once (its pointer makes the next load
        one ``MGET`` + ``GET``)."""
        if not await self.adopter.pending():
            return None
        base = self._k.workflow(workflow_name, run_id, None)
        pattern = glob_escape(f"{base}:resourceId:") + "*"
        found: list[tuple[str, dict[str, Any]]] = []
        async for batch in scan_keys(self._db.client, pattern):
            for key, row in zip(batch, await self._db.mget_json(batch), strict=True):
                if _is_run(row, workflow_name, run_id) and key == self._k.workflow(
                    workflow_name, run_id, row.get("resourceId")
                ):
                    found.append((key, row))
        if not found:
            return None
        key, row = max(found, key=lambda item: str(item[1].get("updatedAt") or ""))
        async with self._db.client.pipeline(transaction=False) as pipe:
            run_index_writes(self._db, pipe, key, run_from_json(row))
            await pipe.execute()
        return row

    @operation("persistWorkflowSnapshot")
    async def upsert_run(self, run: WorkflowRun) -> None:
        """One optimistic transaction over the pointer and the record (a stored run keeps
        its ``created_at``). Raises ``ValidationError`` for ids that would make the key
        ambiguous, before any write."""
        check_run_key_ids(run.workflow_name, run.run_id, operation="PERSIST_WORKFLOW_SNAPSHOT")
        meta_key = self._k.run_meta(run.workflow_name, run.run_id)

        async def body(pipe: Pipeline) -> None:
            old = await self._read(pipe, run.workflow_name, run.run_id)
            new = run if old is None else run.replace(created_at=old.created_at)
            begin(pipe)
            self._write(pipe, old, new)

        await self._db.transaction(
            [meta_key, self._k.workflow(run.workflow_name, run.run_id, None)], body
        )

    @operation("loadWorkflowSnapshot")
    async def get_run(self, workflow_name: str, run_id: str) -> WorkflowRun | None:
        """Pointer and suffix-less key in one ``MGET`` (see :meth:`_read`)."""
        return await self._read(self._db.client, workflow_name, run_id, adopt=True)

    @operation("updateWorkflowRun")
    async def modify_run(
        self, workflow_name: str, run_id: str, mutate: RunMutation
    ) -> WorkflowRun | None:
        """``mutate`` applied inside one optimistic transaction watching the pointer and
        the record, so concurrent step updates never overwrite each other."""
        check_run_key_ids(workflow_name, run_id, operation="UPDATE_WORKFLOW_RUN")
        k = self._k
        meta_key = k.run_meta(workflow_name, run_id)

        async def body(pipe: Pipeline) -> WorkflowRun | None:
            old = await self._read(pipe, workflow_name, run_id)
            if old is not None:
                await pipe.watch(k.workflow(workflow_name, run_id, old.resource_id))
                old = await self._read(pipe, workflow_name, run_id)
            new = mutate(old)
            if new is not None:
                if old is not None:
                    new = new.replace(created_at=old.created_at)
                begin(pipe)
                self._write(pipe, old, new)
            return new

        return await self._db.transaction([meta_key, k.workflow(workflow_name, run_id, None)], body)

    @operation("listWorkflowRuns")
    async def query_runs(self, query: WorkflowRunQuery) -> tuple[list[WorkflowRun], int]:
        """One time index answers the query (by workflow, resource, or all runs; dates are
        index bounds); filters it cannot express (status, or a resource within a workflow)
        read that index between the bounds and run :meth:`WorkflowRunQuery.execute`."""
        await self.adopter.step()  # runs a Mastra app persisted (1 DBSIZE when quiet)
        k = self._k
        residual = query.status is not None
        if query.workflow_name is not None:
            key = k.runs_by("workflow", query.workflow_name)
            residual = residual or query.resource_id is not None
        elif query.resource_id is not None:
            key = k.runs_by("resource", query.resource_id)
        else:
            key = k.runs_by("all", None)
        lower = LOWEST if query.from_date is None else lower_from_date(query.from_date, False)
        upper = HIGHEST if query.to_date is None else upper_from_date(query.to_date, False)
        return await list_index(
            self._db,
            key,
            (lower, upper),
            self._load,
            query,
            residual=residual,
            execute=query.execute,
            # (ms, run_id) DESC: members below "<ms>:<run_id>\0" (every workflow of that run)
            cursor_tail=lambda tie: run_tail("", str(tie)),
        )

    async def _load(self, members: list[str]) -> list[WorkflowRun | None]:
        """Index members -> runs: one ``MGET`` of pointers, one of records."""
        names = [parse_run_tail(parse_timed_member(m)[1]) for m in members]
        metas = await self._db.mget_json([self._k.run_meta(w, r) for w, r in names])
        keys = [m.get("k") if isinstance(m, dict) else None for m in metas]
        wanted = [key for key in keys if isinstance(key, str)]
        rows = dict(zip(wanted, await self._db.mget_json(wanted), strict=True))
        out: list[WorkflowRun | None] = []
        for key, (workflow_name, run_id) in zip(keys, names, strict=True):
            row = rows.get(key) if isinstance(key, str) else None
            out.append(run_from_json(row) if _is_run(row, workflow_name, run_id) else None)
        return out

    @operation("getWorkflowRunById")
    async def find_run(self, run_id: str, workflow_name: str | None) -> WorkflowRun | None:
        """By key when the workflow is known, else the newest entry of the run's index."""
        if workflow_name is not None:
            return await self._read(self._db.client, workflow_name, run_id, adopt=True)
        await self.adopter.step()  # runs a Mastra app persisted (1 DBSIZE when quiet)
        key = self._k.runs_by("run", run_id)
        runs, _ = await newest_first(
            self._db, key, (LOWEST, HIGHEST), self._load, limit=1, count=False
        )
        return runs[0] if runs else None

    @operation("deleteWorkflowRunById")
    async def delete_run(self, run_id: str, workflow_name: str) -> None:
        """Record, pointer and index entries in one optimistic transaction."""
        k = self._k

        async def body(pipe: Pipeline) -> None:
            old = await self._read(pipe, workflow_name, run_id)
            if old is None:
                return
            begin(pipe)
            self._write(pipe, old, None)

        await self._db.transaction(
            [k.run_meta(workflow_name, run_id), k.workflow(workflow_name, run_id, None)], body
        )

    @operation("dangerouslyClearAll")
    async def dangerously_clear_all(self) -> None:
        """Delete every run key and run index (SCAN: maintenance only)."""
        for pattern in (
            self._k.table_pattern(TABLE_WORKFLOW_SNAPSHOT),
            self._k.ours_pattern("run"),
            self._k.ours_pattern("runs"),
        ):
            await delete_matching(self._db.client, pattern)


def _is_run(row: Any, workflow_name: str, run_id: str) -> TypeGuard[dict[str, Any]]:
    """Whether a loaded row is run ``run_id`` of ``workflow_name`` (not another run whose
    ambiguous ids a Mastra app mapped to the same key)."""
    return (
        isinstance(row, dict)
        and row.get("workflow_name") == workflow_name
        and row.get("run_id") == run_id
    )


__all__ = ["UpstashWorkflowsBackend"]
