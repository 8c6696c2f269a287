"""Workflows domain on MongoDB: ``mastra_workflow_snapshot``, one document per run.

The snapshot is a native sub-document (what ``@mastra/mongodb`` 1.19.0 writes and
queries as ``snapshot.status``); a snapshot given as a string is stored as a string,
which Mastra also reads. Every write is size-checked first: a snapshot over the BSON
limit raises :class:`~.errors.DocumentTooLargeError` and the stored one is kept.
"""

from __future__ import annotations

from typing import Any

from mastra_storage.backend.workflows import RunMutation, WorkflowRunQuery, WorkflowsBackend
from mastra_storage.layout import TABLE_WORKFLOW_SNAPSHOT
from mastra_storage.records import WorkflowRun

from .connection import Document
from .documents import eq, read_date, read_json
from .domain import MongoDomain
from .schema import WORKFLOW_INDEXES

#: ``WorkflowRunQuery``'s order: newest first, ties by ``run_id`` descending.
RUN_SORT = [("createdAt", -1), ("run_id", -1)]


def run_doc(run: WorkflowRun) -> Document:
    return {
        "workflow_name": run.workflow_name,
        "run_id": run.run_id,
        "resourceId": run.resource_id,
        "snapshot": run.snapshot,
        "createdAt": run.created_at,
        "updatedAt": run.updated_at,
    }


def run_from_doc(doc: Document) -> WorkflowRun:
    snapshot = read_json(doc.get("snapshot"))
    if snapshot is None:
        snapshot = {}
    resource_id = doc.get("resourceId")
    return WorkflowRun(
        workflow_name=str(doc["workflow_name"]),
        run_id=str(doc["run_id"]),
        snapshot=snapshot if isinstance(snapshot, (dict, str)) else str(snapshot),
        created_at=read_date(doc.get("createdAt"), field="createdAt"),
        updated_at=read_date(doc.get("updatedAt"), field="updatedAt"),
        resource_id=None if resource_id is None else str(resource_id),
    )


class MongoWorkflowsBackend(MongoDomain, WorkflowsBackend):
    """Workflow run snapshots keyed by ``(workflow_name, run_id)`` (unique index), one
    document per run: every write is one atomic single-document operation, and
    ``modify_run`` a :meth:`~.connection.MongoConnection.read_modify_write`. Driver errors
    arrive typed (:mod:`.errors`); a snapshot over the BSON limit raises
    ``DocumentTooLargeError`` before anything is written."""

    collections = (TABLE_WORKFLOW_SNAPSHOT,)
    indexes = WORKFLOW_INDEXES

    async def upsert_run(self, run: WorkflowRun) -> None:
        doc = run_doc(run)
        self._conn.check_size(doc, "persistWorkflowSnapshot")
        created = doc.pop("createdAt")
        await self._conn.guard(
            "persistWorkflowSnapshot",
            self._conn.collection(TABLE_WORKFLOW_SNAPSHOT).update_one(
                {"workflow_name": run.workflow_name, "run_id": run.run_id},
                {"$set": doc, "$setOnInsert": {"createdAt": created}},
                upsert=True,
            ),
        )

    async def get_run(self, workflow_name: str, run_id: str) -> WorkflowRun | None:
        doc = await self._conn.guard(
            "loadWorkflowSnapshot",
            self._conn.collection(TABLE_WORKFLOW_SNAPSHOT).find_one(
                {"workflow_name": workflow_name, "run_id": run_id}
            ),
        )
        return None if doc is None else run_from_doc(doc)

    async def modify_run(
        self, workflow_name: str, run_id: str, mutate: RunMutation
    ) -> WorkflowRun | None:
        def compute(doc: Document | None) -> tuple[Document | None, WorkflowRun | None]:
            updated = mutate(None if doc is None else run_from_doc(doc))
            return (None if updated is None else run_doc(updated)), updated

        return await self._conn.read_modify_write(
            "updateWorkflowState",
            TABLE_WORKFLOW_SNAPSHOT,
            {"workflow_name": workflow_name, "run_id": run_id},
            compute,
        )

    async def query_runs(self, query: WorkflowRunQuery) -> tuple[list[WorkflowRun], int]:
        match: dict[str, Any] = {}
        if query.workflow_name is not None:
            match["workflow_name"] = eq(query.workflow_name)
        if query.resource_id is not None:
            match["resourceId"] = eq(query.resource_id)
        if query.status is not None:
            match["snapshot.status"] = eq(query.status)
        created: dict[str, Any] = {}
        if query.from_date is not None:
            created["$gte"] = query.from_date
        if query.to_date is not None:
            created["$lte"] = query.to_date
        if created:
            match["createdAt"] = created
        docs, total = await self.find_page(
            "listWorkflowRuns",
            TABLE_WORKFLOW_SNAPSHOT,
            match,
            query,
            sort=RUN_SORT,
            keyset=("createdAt", "run_id"),
            ascending=False,
        )
        return [run_from_doc(d) for d in docs], total

    async def find_run(self, run_id: str, workflow_name: str | None) -> WorkflowRun | None:
        match: dict[str, Any] = {"run_id": run_id}
        if workflow_name is not None:
            match["workflow_name"] = eq(workflow_name)
        docs = await self._conn.guard(
            "getWorkflowRunById",
            self._conn.collection(TABLE_WORKFLOW_SNAPSHOT)
            .find(match)
            .sort(RUN_SORT)
            .limit(1)
            .to_list(),
        )
        return run_from_doc(docs[0]) if docs else None

    async def delete_run(self, run_id: str, workflow_name: str) -> None:
        await self._conn.guard(
            "deleteWorkflowRunById",
            self._conn.collection(TABLE_WORKFLOW_SNAPSHOT).delete_one(
                {"workflow_name": workflow_name, "run_id": run_id}
            ),
        )


__all__ = ["MongoWorkflowsBackend"]
