"""The experiments domain: runs of a target over a dataset version, and per-item results."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from ..backend.experiments import ExperimentQuery, ExperimentsBackend, ResultQuery
from ..eval_records import (
    EXPERIMENT_STATUSES,
    Experiment,
    ExperimentInput,
    ExperimentResult,
    ExperimentUpdate,
    ResultInput,
    ResultUpdate,
)
from ..pagination import Page
from ..timeutil import utc_now
from ..validation import (
    check_int64,
    check_record_fields,
    dumps_record,
    optional_datetime,
    optional_id,
    require_non_empty,
)
from .base import DomainStore
from .changes import expect, invalid, modify_touched, not_found, set_fields
from .datasets import DEFAULT_PER_PAGE
from .paging import page_query

_COUNTERS = ("total_items", "succeeded_count", "failed_count", "skipped_count")


class ExperimentsStore(DomainStore[ExperimentsBackend]):
    """Experiments and their results, composed over an
    :class:`~mastra_storage.backend.experiments.ExperimentsBackend`.

    Validates before any write (:class:`~mastra_storage.errors.ValidationError`, nothing
    stored); each write is one atomic unit (an update is a read-modify-write that loses no
    concurrent update; deleting an experiment takes its results with it).
    """

    @staticmethod
    def _check(record: Any, op: str) -> None:
        check_record_fields(record, operation=op)
        dumps_record(record, operation=op)
        if isinstance(record, Experiment):
            if record.status not in EXPERIMENT_STATUSES:
                raise invalid(f"status must be one of {', '.join(EXPERIMENT_STATUSES)}", op)
            for name in _COUNTERS:
                check_int64(getattr(record, name), field=name, operation=op, minimum=0)
        for name in ("dataset_version", "trial_index", "item_dataset_version", "attempt"):
            value = getattr(record, name, None)
            if value is not None:
                check_int64(value, field=name, operation=op, minimum=0)

    async def create_experiment(self, payload: ExperimentInput) -> Experiment:
        """Create an experiment (``pending``, counters at 0 but ``total_items``).

        :raises ValidationError: a bad payload. :raises ConflictError: the id exists.
        """
        op = "CREATE_EXPERIMENT"
        expect(payload, ExperimentInput, op)
        for name in ("id", "dataset_id", "target_id", "experiment_set_id"):
            optional_id(getattr(payload, name), field=name, operation=op)
        now = utc_now()
        fields = {f: getattr(payload, f) for f in payload.__struct_fields__}
        fields["id"] = payload.id or str(uuid.uuid4())
        experiment = Experiment(**fields, status="pending", created_at=now, updated_at=now)
        self._check(experiment, op)
        await self.backend.insert_experiment(experiment)
        return experiment

    async def get_experiment(self, experiment_id: str) -> Experiment | None:
        """The experiment, or ``None``."""
        require_non_empty(experiment_id, field="experiment_id", operation="GET_EXPERIMENT")
        return await self.backend.get_experiment(experiment_id)

    async def update_experiment(self, experiment_id: str, update: ExperimentUpdate) -> Experiment:
        """Change an experiment (status, counters, times), atomically.

        :raises ValidationError: a bad update. :raises NotFoundError: no such experiment.
        """
        op = "UPDATE_EXPERIMENT"
        require_non_empty(experiment_id, field="experiment_id", operation=op)
        expect(update, ExperimentUpdate, op)
        result = await modify_touched(
            self.backend.modify_experiment,
            experiment_id,
            set_fields(update),
            utc_now(),
            lambda updated: self._check(updated, op),
        )
        if result is None:
            raise not_found("Experiment", "experiment_id", experiment_id, op)
        return result

    async def delete_experiment(self, experiment_id: str) -> None:
        """Delete an experiment and its results, atomically. Idempotent."""
        require_non_empty(experiment_id, field="experiment_id", operation="DELETE_EXPERIMENT")
        await self.backend.delete_experiment(experiment_id)

    async def list_experiments(
        self,
        *,
        dataset_id: str | None = None,
        status: str | None = None,
        page: int = 0,
        per_page: int | None = DEFAULT_PER_PAGE,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[Experiment]:
        """Experiments, newest first, optionally of one dataset or status."""
        op = "LIST_EXPERIMENTS"
        optional_id(dataset_id, field="dataset_id", operation=op)
        optional_id(status, field="status", operation=op)
        query = ExperimentQuery(dataset_id=dataset_id, status=status)
        return await page_query(
            self.backend.query_experiments,
            query,
            scope=("experiments",),
            key=ExperimentQuery.key,
            direction="DESC",
            page=page,
            per_page=per_page,
            cursor=cursor,
            include_total=include_total,
            operation=op,
        )

    async def add_experiment_result(self, payload: ResultInput) -> ExperimentResult:
        """Store one item's result.

        :raises ValidationError: a bad payload. :raises NotFoundError: no such experiment.
        :raises ConflictError: the id exists.
        """
        op = "ADD_EXPERIMENT_RESULT"
        expect(payload, ResultInput, op)
        require_non_empty(payload.experiment_id, field="experiment_id", operation=op)
        require_non_empty(payload.item_id, field="item_id", operation=op)
        optional_id(payload.id, field="id", operation=op)
        fields = {f: getattr(payload, f) for f in payload.__struct_fields__}
        fields["id"] = payload.id or str(uuid.uuid4())
        experiment = await self.backend.get_experiment(payload.experiment_id)
        if experiment is None:
            raise not_found(
                "Experiment", "experiment_id", payload.experiment_id, op, suffix="EXPERIMENT"
            )
        result = ExperimentResult(
            **fields,
            organization_id=experiment.organization_id,
            project_id=experiment.project_id,
            created_at=utc_now(),
        )
        self._check(result, op)
        await self.backend.insert_result(result)
        return result

    async def update_experiment_result(
        self, result_id: str, update: ResultUpdate
    ) -> ExperimentResult:
        """Change a result's review fields (status, tags, comment, metadata), atomically.

        :raises NotFoundError: no such result.
        """
        op = "UPDATE_EXPERIMENT_RESULT"
        require_non_empty(result_id, field="result_id", operation=op)
        expect(update, ResultUpdate, op)
        changes = set_fields(update)

        def mutate(current: ExperimentResult) -> ExperimentResult:
            updated = current.replace(**changes)
            self._check(updated, op)
            return updated

        result = await self.backend.modify_result(result_id, mutate)
        if result is None:
            raise not_found("Experiment result", "result_id", result_id, op)
        return result

    async def get_experiment_result(self, result_id: str) -> ExperimentResult | None:
        """The result, or ``None``."""
        require_non_empty(result_id, field="result_id", operation="GET_EXPERIMENT_RESULT")
        return await self.backend.get_result(result_id)

    async def list_experiment_results(
        self,
        experiment_id: str,
        *,
        status: str | None = None,
        page: int = 0,
        per_page: int | None = DEFAULT_PER_PAGE,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[ExperimentResult]:
        """One experiment's results in run order (``started_at`` ascending)."""
        op = "LIST_EXPERIMENT_RESULTS"
        require_non_empty(experiment_id, field="experiment_id", operation=op)
        optional_id(status, field="status", operation=op)
        query = ResultQuery(experiment_id=experiment_id, status=status)
        return await page_query(
            self.backend.query_results,
            query,
            scope=("experiment_results",),
            key=ResultQuery.key,
            direction="ASC",
            page=page,
            per_page=per_page,
            cursor=cursor,
            include_total=include_total,
            operation=op,
        )

    async def delete_experiment_results(self, experiment_id: str) -> None:
        """Delete every result of an experiment (the experiment stays), atomically."""
        op = "DELETE_EXPERIMENT_RESULTS"
        require_non_empty(experiment_id, field="experiment_id", operation=op)
        await self.backend.delete_results(experiment_id)

    async def prune_experiments(self, completed_before: datetime, limit: int) -> tuple[int, int]:
        """One retention batch: delete up to ``limit`` experiments completed before
        ``completed_before`` with their results, atomically; returns ``(experiments,
        results)``. Running experiments are never pruned. Used by ``storage.prune``.

        :raises ValidationError: a naive datetime or a limit outside 1..10000.
        """
        op = "PRUNE_EXPERIMENTS"
        cut = optional_datetime(completed_before, field="completed_before", operation=op)
        if cut is None:
            raise invalid("completed_before is required", op)
        check_int64(limit, field="limit", operation=op, minimum=1)
        if limit > 10_000:
            raise invalid("limit must be at most 10000", op)
        return await self.backend.prune_experiments(cut, limit)


__all__ = ["ExperimentsStore"]
