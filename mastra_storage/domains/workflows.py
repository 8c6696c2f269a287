"""The workflows domain: workflow run snapshots, keyed by ``(workflow_name, run_id)``.

``WorkflowsStore`` holds the merge rules of ``update_workflow_results`` and
``update_workflow_state``; backends apply them inside one atomic read-modify-write
(``modify_run``), so concurrent step updates never overwrite each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec

from ..backend.workflows import RunMutation, WorkflowRunQuery, WorkflowsBackend, run_matches
from ..codec import copy_json
from ..errors import NotFoundError, ValidationError
from ..pagination import Cursor, Page, validate_page_args
from ..records import RUN_STATUSES, RunStatus, WorkflowRun
from ..timeutil import parse_iso, to_epoch_ms, utc_now
from ..validation import (
    MAX_JSON_DEPTH,
    check_json,
    check_json_object,
    check_text,
    optional_datetime,
    optional_id,
    require_non_empty,
)
from ..versioning import NEW, check_expected_version, check_version, next_updated_at
from .base import DomainStore
from .paging import cursor_scope, fetch_page


def default_snapshot(run_id: str) -> dict[str, Any]:
    """The snapshot ``update_workflow_results`` starts from when the run does not exist yet."""
    return {
        "context": {},
        "activePaths": [],
        "activeStepsPath": {},
        "timestamp": to_epoch_ms(utc_now()),
        "suspendedPaths": {},
        "resumeLabels": {},
        "serializedStepGraph": [],
        "value": {},
        "waitingPaths": {},
        "status": "pending",
        "runId": run_id,
        "requestContext": {},
    }


_STATE_FIELDS = {
    "result": "result",
    "error": "error",
    "suspended_paths": "suspendedPaths",
    "waiting_paths": "waitingPaths",
    "resume_labels": "resumeLabels",
    "tracing_context": "tracingContext",
}


class WorkflowsStore(DomainStore[WorkflowsBackend]):
    """Workflow run snapshots, composed over a :class:`~mastra_storage.backend.WorkflowsBackend`.

    Validates input, holds the merge rules of ``update_workflow_results`` and
    ``update_workflow_state`` and hands them to the backend's atomic ``modify_run``, so
    concurrent step updates never overwrite each other.

    Errors every method may raise, besides those its own docstring names:
    :class:`~mastra_storage.errors.UnavailableError` (the backend cannot be reached, or
    did not answer within ``operation_timeout``; a write that fails this way was either
    applied whole or not at all), :class:`~mastra_storage.errors.StoreClosedError` (the
    store was closed), :class:`~mastra_storage.errors.EventLoopMismatchError` (called
    from another event loop than the store's) and
    :class:`~mastra_storage.errors.BackendError` (an unexpected backend failure).
    """

    def supports_concurrent_updates(self) -> bool:
        """Always ``True``: ``update_workflow_results`` and ``update_workflow_state`` are atomic
        read-modify-writes on every backend, so parallel steps may update one run (Mastra's
        ``supportsConcurrentUpdates``).
        """
        return True

    async def persist_workflow_snapshot(
        self,
        *,
        workflow_name: str,
        run_id: str,
        snapshot: Mapping[str, Any] | str,
        resource_id: str | None = None,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
        expected_version: str | None = None,
    ) -> str:
        """Insert or replace a run's snapshot (upsert); an existing run keeps its ``created_at``.

        Returns the run's new version. With ``expected_version`` (a version from
        :meth:`load_workflow_snapshot_versioned` or ``WorkflowRun.version``, or
        :data:`~mastra_storage.versioning.NEW` for create-only) the write happens only if
        the stored run is still at that version, else :class:`VersionConflictError` and
        nothing is written. ``None`` (the default) writes blindly, as before.
        """
        expected = check_expected_version(expected_version, operation="PERSIST_WORKFLOW_SNAPSHOT")
        require_non_empty(
            workflow_name, field="workflow_name", operation="PERSIST_WORKFLOW_SNAPSHOT"
        )
        require_non_empty(run_id, field="run_id", operation="PERSIST_WORKFLOW_SNAPSHOT")
        if not isinstance(snapshot, (Mapping, str)):
            raise ValidationError(
                "snapshot must be a JSON object (or a JSON string)",
                id="MASTRA_STORAGE_PERSIST_WORKFLOW_SNAPSHOT_INVALID_ARGS",
            )
        optional_id(resource_id, field="resource_id", operation="PERSIST_WORKFLOW_SNAPSHOT")
        created_at = optional_datetime(
            created_at, field="created_at", operation="PERSIST_WORKFLOW_SNAPSHOT"
        )
        updated_at = optional_datetime(
            updated_at, field="updated_at", operation="PERSIST_WORKFLOW_SNAPSHOT"
        )
        body: dict[str, Any] | str = dict(snapshot) if isinstance(snapshot, Mapping) else snapshot
        if isinstance(body, dict):
            check_json_object(body, field="snapshot", operation="PERSIST_WORKFLOW_SNAPSHOT")
        else:
            check_text(body, field="snapshot", operation="PERSIST_WORKFLOW_SNAPSHOT")
        now = utc_now()
        if expected is None:
            run = WorkflowRun(
                workflow_name=workflow_name,
                run_id=run_id,
                snapshot=body,
                resource_id=resource_id,
                created_at=created_at or now,
                updated_at=updated_at or now,
            )
            await self.backend.upsert_run(run)
            return run.version

        def mutate(stored: WorkflowRun | None) -> WorkflowRun:
            check_version(
                NEW if stored is None else stored.version,
                expected,
                operation="PERSIST_WORKFLOW_SNAPSHOT",
                details={"workflow_name": workflow_name, "run_id": run_id},
            )
            previous = None if stored is None else stored.updated_at
            return WorkflowRun(
                workflow_name=workflow_name,
                run_id=run_id,
                snapshot=body,
                resource_id=resource_id,
                created_at=(created_at or now) if stored is None else stored.created_at,
                updated_at=updated_at or next_updated_at(previous, now),
            )

        written = await self.backend.modify_run(workflow_name, run_id, mutate)
        assert written is not None
        return written.version

    async def load_workflow_snapshot(
        self, *, workflow_name: str, run_id: str
    ) -> dict[str, Any] | str | None:
        """The stored snapshot of a run (a dict, or the string a Mastra app stored), or ``None``
        when the run does not exist. One read. :meth:`load_workflow_snapshot_versioned` also
        returns the version token for a version-checked write.

        :raises ValidationError: an empty ``workflow_name`` or ``run_id``, before any I/O.
        :raises UnavailableError: the backend cannot be reached or did not answer in time.
        """
        run = await self._load_run(workflow_name, run_id)
        return None if run is None else run.snapshot

    async def load_workflow_snapshot_versioned(
        self, *, workflow_name: str, run_id: str
    ) -> tuple[dict[str, Any] | str | None, str]:
        """``(snapshot, version)``; ``(None, NEW)`` when the run does not exist, so a
        read-modify-write that creates the run is version-checked too."""
        run = await self._load_run(workflow_name, run_id)
        return (None, NEW) if run is None else (run.snapshot, run.version)

    async def _load_run(self, workflow_name: str, run_id: str) -> WorkflowRun | None:
        require_non_empty(workflow_name, field="workflow_name", operation="LOAD_WORKFLOW_SNAPSHOT")
        require_non_empty(run_id, field="run_id", operation="LOAD_WORKFLOW_SNAPSHOT")
        return await self.backend.get_run(workflow_name, run_id)

    async def update_workflow_results(
        self,
        *,
        workflow_name: str,
        run_id: str,
        step_id: str,
        result: Mapping[str, Any],
        request_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Atomically set ``snapshot.context[step_id] = result`` and merge ``request_context``.

        Creates the run from the default snapshot when it does not exist. Returns the whole
        ``context`` after the update.
        """
        require_non_empty(workflow_name, field="workflow_name", operation="UPDATE_WORKFLOW_RESULTS")
        require_non_empty(run_id, field="run_id", operation="UPDATE_WORKFLOW_RESULTS")
        require_non_empty(step_id, field="step_id", operation="UPDATE_WORKFLOW_RESULTS")
        # Depth budgets: the result lands at run -> snapshot -> context -> step, the
        # request context's entries at run -> snapshot -> requestContext -> key.
        check_json_object(
            result,
            field="result",
            operation="UPDATE_WORKFLOW_RESULTS",
            max_depth=MAX_JSON_DEPTH - 3,
        )
        if request_context is not None:
            check_json_object(
                request_context,
                field="request_context",
                operation="UPDATE_WORKFLOW_RESULTS",
                max_depth=MAX_JSON_DEPTH - 2,
            )
        now = utc_now()

        def mutate(run: WorkflowRun | None) -> WorkflowRun:
            if run is None or not isinstance(run.snapshot, dict):
                snapshot = default_snapshot(run_id)
            else:
                snapshot = copy_json(run.snapshot)
            context = snapshot.get("context")
            if not isinstance(context, dict):
                context = {}
            context[step_id] = dict(result)
            snapshot["context"] = context
            existing_rc = snapshot.get("requestContext")
            snapshot["requestContext"] = {
                **(existing_rc if isinstance(existing_rc, dict) else {}),
                **dict(request_context or {}),
            }
            if run is None:
                return WorkflowRun(
                    workflow_name=workflow_name,
                    run_id=run_id,
                    snapshot=snapshot,
                    created_at=now,
                    updated_at=now,
                )
            return run.replace(snapshot=snapshot, updated_at=max(now, run.updated_at))

        updated = await self.backend.modify_run(workflow_name, run_id, mutate)
        assert updated is not None and isinstance(updated.snapshot, dict)
        context = updated.snapshot["context"]
        assert isinstance(context, dict)
        return copy_json(context)  # type: ignore[no-any-return]

    async def update_workflow_state(
        self, *, workflow_name: str, run_id: str, status: RunStatus, **fields: Any
    ) -> dict[str, Any] | None:
        """Atomically shallow-merge ``status`` and the given fields into the snapshot.

        Fields: ``result``, ``error``, ``suspended_paths``, ``waiting_paths``,
        ``resume_labels``, ``tracing_context``. Returns the merged snapshot, or ``None`` when
        the run does not exist (nothing is created).
        """
        require_non_empty(workflow_name, field="workflow_name", operation="UPDATE_WORKFLOW_STATE")
        require_non_empty(run_id, field="run_id", operation="UPDATE_WORKFLOW_STATE")
        if status not in RUN_STATUSES:
            raise ValidationError(
                f"status must be one of {', '.join(RUN_STATUSES)}, got {status!r:.80}",
                id="MASTRA_STORAGE_UPDATE_WORKFLOW_STATE_INVALID_ARGS",
                details={"field": "status"},
            )
        unknown = set(fields) - set(_STATE_FIELDS)
        if unknown:
            raise ValidationError(
                f"unknown workflow state fields: {sorted(unknown)}",
                id="MASTRA_STORAGE_UPDATE_WORKFLOW_STATE_INVALID_ARGS",
            )
        changes: dict[str, Any] = {"status": status}
        for name, value in fields.items():
            changes[_STATE_FIELDS[name]] = value
        # The changes are merged into the snapshot, one level below the run.
        check_json(changes, operation="UPDATE_WORKFLOW_STATE", max_depth=MAX_JSON_DEPTH - 1)
        now = utc_now()
        missing_context = False

        def mutate(run: WorkflowRun | None) -> WorkflowRun | None:
            nonlocal missing_context
            if run is None:
                return None
            if not isinstance(run.snapshot, dict) or "context" not in run.snapshot:
                missing_context = True
                return None
            snapshot = {**copy_json(run.snapshot), **copy_json(changes)}
            return run.replace(snapshot=snapshot, updated_at=max(now, run.updated_at))

        updated = await self.backend.modify_run(workflow_name, run_id, mutate)
        if missing_context:
            raise NotFoundError(
                f"Snapshot not found for runId {run_id}",
                id="MASTRA_STORAGE_UPDATE_WORKFLOW_STATE_NOT_FOUND",
            )
        if updated is None:
            return None
        assert isinstance(updated.snapshot, dict)
        return copy_json(updated.snapshot)  # type: ignore[no-any-return]

    async def list_workflow_runs(
        self,
        *,
        workflow_name: str | None = None,
        resource_id: str | None = None,
        status: str | None = None,
        from_date: datetime | str | None = None,
        to_date: datetime | str | None = None,
        page: int | None = None,
        per_page: int | None = None,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[WorkflowRun]:
        """Runs, newest first. Paged only when both ``page`` and ``per_page`` are given;
        ``cursor`` (a previous page's ``next_cursor``) continues after that page by key,
        ``include_total=False`` skips the count (``total`` is then ``None``)."""
        paged = page is not None and per_page is not None
        if page is not None:
            validate_page_args(page, per_page, operation="LIST_WORKFLOW_RUNS")
        if per_page is not None:
            validate_page_args(page or 0, per_page, operation="LIST_WORKFLOW_RUNS")
        for name, value in (
            ("workflow_name", workflow_name),
            ("resource_id", resource_id),
            ("status", status),
        ):
            optional_id(value, field=name, operation="LIST_WORKFLOW_RUNS")
        base = WorkflowRunQuery(
            workflow_name=workflow_name,
            resource_id=resource_id,
            status=status,
            from_date=parse_iso(from_date, field="from_date") if from_date is not None else None,
            to_date=parse_iso(to_date, field="to_date") if to_date is not None else None,
            offset=0,
            limit=None,
        )

        async def run(
            offset: int, limit: int | None, after: Cursor | None, count: bool
        ) -> tuple[list[WorkflowRun], int]:
            return await self.backend.query_runs(
                msgspec.structs.replace(base, offset=offset, limit=limit, after=after, count=count)
            )

        result = await fetch_page(
            run,
            page=page or 0 if paged else 0,
            per_page=per_page if paged else None,
            cursor=cursor,
            include_total=include_total,
            scope=cursor_scope("runs", msgspec.to_builtins(base), per_page if paged else None),
            key=WorkflowRunQuery.key,
            direction="DESC",
            operation="LIST_WORKFLOW_RUNS",
        )
        return result

    async def get_workflow_run_by_id(
        self, run_id: str, *, workflow_name: str | None = None
    ) -> WorkflowRun | None:
        """The run with this id (its snapshot, status, timestamps and ``version``), or ``None``.
        Without ``workflow_name`` the newest run with this id, in any workflow. One read.

        :raises ValidationError: an empty ``run_id`` or ``workflow_name``, before any I/O.
        :raises UnavailableError: the backend cannot be reached or did not answer in time.
        """
        require_non_empty(run_id, field="run_id", operation="GET_WORKFLOW_RUN_BY_ID")
        optional_id(workflow_name, field="workflow_name", operation="GET_WORKFLOW_RUN_BY_ID")
        return await self.backend.find_run(run_id, workflow_name)

    async def delete_workflow_run_by_id(self, run_id: str, *, workflow_name: str) -> None:
        """Delete one run and its snapshot; a missing run is a no-op. One atomic write.

        :raises ValidationError: an empty ``run_id`` or ``workflow_name``, before any write.
        :raises UnavailableError: the backend cannot be reached or did not answer in time.
        """
        require_non_empty(run_id, field="run_id", operation="DELETE_WORKFLOW_RUN_BY_ID")
        require_non_empty(
            workflow_name, field="workflow_name", operation="DELETE_WORKFLOW_RUN_BY_ID"
        )
        await self.backend.delete_run(run_id, workflow_name)


__all__ = [
    "RunMutation",
    "WorkflowRunQuery",
    "WorkflowsBackend",
    "WorkflowsStore",
    "default_snapshot",
    "run_matches",
]
