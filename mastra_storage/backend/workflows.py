"""The workflows backend contract: workflow run snapshots keyed by ``(workflow_name, run_id)``.

The core's :class:`~mastra_storage.domains.workflows.WorkflowsStore` holds the merge rules of
``update_workflow_results`` and ``update_workflow_state``; a backend applies them inside one
atomic read-modify-write (:meth:`WorkflowsBackend.modify_run`), so concurrent step updates
never overwrite each other.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from datetime import datetime

import msgspec

from ..pagination import Cursor
from ..records import WorkflowRun
from ..timeutil import to_epoch_ms
from .paging import PageKey, run_page

RunMutation = Callable[["WorkflowRun | None"], "WorkflowRun | None"]


class WorkflowRunQuery(msgspec.Struct, kw_only=True, frozen=True):
    """A validated ``list_workflow_runs`` request: AND of the set filters, newest first
    (``created_at`` DESC, ties by ``run_id`` DESC), then the paging fields of
    :mod:`mastra_storage.backend.paging` (``after``, ``offset``, ``limit + 1`` rows,
    ``count``). ``status`` matches ``snapshot.status``; the date bounds are inclusive on
    ``created_at``.
    """

    workflow_name: str | None
    resource_id: str | None
    status: str | None
    from_date: datetime | None
    to_date: datetime | None
    offset: int
    limit: int | None
    after: Cursor | None = None
    count: bool = True

    @staticmethod
    def key(run: WorkflowRun) -> PageKey:
        """A run's position in this order: ``(created_at ms, run_id)``, both descending."""
        return (to_epoch_ms(run.created_at), run.run_id)

    def execute(self, runs: Iterable[WorkflowRun]) -> tuple[list[WorkflowRun], int]:
        """The reference executor over runs in Python: filter, sort, count, cut after the
        cursor, slice ``limit + 1``."""
        return run_page(
            (run for run in runs if run_matches(run, self)),
            key=self.key,
            descending=True,
            after=self.after,
            offset=self.offset,
            limit=self.limit,
            count=self.count,
        )


def run_matches(run: WorkflowRun, query: WorkflowRunQuery) -> bool:
    """The ``list_workflow_runs`` filter, for adapters that filter in Python."""
    if query.workflow_name is not None and run.workflow_name != query.workflow_name:
        return False
    if query.resource_id is not None and run.resource_id != query.resource_id:
        return False
    if query.status is not None:
        snap_status = run.snapshot.get("status") if isinstance(run.snapshot, dict) else None
        if snap_status != query.status:
            return False
    if query.from_date is not None and run.created_at < query.from_date:
        return False
    return not (query.to_date is not None and run.created_at > query.to_date)


class WorkflowsBackend(ABC):
    """What a backend implements for the workflows domain. Every method is one atomic unit
    of I/O; arguments arrive validated."""

    async def init(self) -> None:
        """Create or upgrade what this domain needs. Idempotent; the default does nothing."""

    @abstractmethod
    async def dangerously_clear_all(self) -> None:
        """Delete every workflow run (meant for tests)."""

    @abstractmethod
    async def upsert_run(self, run: WorkflowRun) -> None:
        """Insert, or on ``(workflow_name, run_id)`` conflict replace snapshot, resource id
        and ``updated_at`` while keeping the stored ``created_at``."""

    @abstractmethod
    async def get_run(self, workflow_name: str, run_id: str) -> WorkflowRun | None:
        """The run with this key, or ``None``."""

    @abstractmethod
    async def modify_run(
        self, workflow_name: str, run_id: str, mutate: RunMutation
    ) -> WorkflowRun | None:
        """Atomically read the run (or ``None``); if ``mutate`` returns a run, insert or
        update it; return what ``mutate`` returned. Two concurrent calls on one run never
        lose either update. An exception from ``mutate`` aborts the write."""

    @abstractmethod
    async def query_runs(self, query: WorkflowRunQuery) -> tuple[list[WorkflowRun], int]:
        """Execute a :class:`WorkflowRunQuery`: up to ``limit + 1`` runs and the total
        (0 when ``query.count`` is false). :meth:`WorkflowRunQuery.execute` is the
        reference."""

    @abstractmethod
    async def find_run(self, run_id: str, workflow_name: str | None) -> WorkflowRun | None:
        """The newest run with this id (in this workflow when given), or ``None``."""

    @abstractmethod
    async def delete_run(self, run_id: str, workflow_name: str) -> None:
        """Delete the run; a missing run is a no-op."""


__all__ = ["RunMutation", "WorkflowRunQuery", "WorkflowsBackend", "run_matches"]
