"""The experiments backend contract: experiments and their per-item results."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from datetime import datetime

import msgspec

from ..eval_records import Experiment, ExperimentResult
from ..pagination import Cursor
from ..timeutil import to_epoch_ms
from .paging import PageKey, run_page

ExperimentMutation = Callable[[Experiment], Experiment]
ResultMutation = Callable[[ExperimentResult], ExperimentResult]


class ExperimentQuery(msgspec.Struct, kw_only=True, frozen=True):
    """Experiments, newest first (``created_at`` DESC, ``id`` ASC); exact-match filters."""

    dataset_id: str | None = None
    status: str | None = None
    offset: int = 0
    limit: int | None = None
    after: Cursor | None = None
    count: bool = True

    def matches(self, experiment: Experiment) -> bool:
        """The filter, for backends that filter in Python."""
        return (self.dataset_id is None or experiment.dataset_id == self.dataset_id) and (
            self.status is None or experiment.status == self.status
        )

    @staticmethod
    def key(experiment: Experiment) -> PageKey:
        """``(created_at ms, id)``: ms descending, id ascending."""
        return (to_epoch_ms(experiment.created_at), experiment.id)

    def execute(self, experiments: Iterable[Experiment]) -> tuple[list[Experiment], int]:
        """The reference executor."""
        return run_page(
            (e for e in experiments if self.matches(e)),
            key=self.key,
            descending=True,
            tie_descending=False,
            after=self.after,
            offset=self.offset,
            limit=self.limit,
            count=self.count,
        )


class ResultQuery(msgspec.Struct, kw_only=True, frozen=True):
    """One experiment's results in run order (``started_at`` ASC, ``id`` ASC)."""

    experiment_id: str
    status: str | None = None
    offset: int = 0
    limit: int | None = None
    after: Cursor | None = None
    count: bool = True

    def matches(self, result: ExperimentResult) -> bool:
        """The filter, for backends that filter in Python."""
        return result.experiment_id == self.experiment_id and (
            self.status is None or result.status == self.status
        )

    @staticmethod
    def key(result: ExperimentResult) -> PageKey:
        """``(started_at ms, id)``, both ascending."""
        return (to_epoch_ms(result.started_at), result.id)

    def execute(self, results: Iterable[ExperimentResult]) -> tuple[list[ExperimentResult], int]:
        """The reference executor."""
        return run_page(
            (r for r in results if self.matches(r)),
            key=self.key,
            descending=False,
            after=self.after,
            offset=self.offset,
            limit=self.limit,
            count=self.count,
        )


class ExperimentsBackend(ABC):
    """What a backend implements for the experiments domain. Every method is one atomic
    unit of I/O; arguments arrive validated and records fully built by the core."""

    async def init(self) -> None:
        """Create or upgrade what this domain needs. Idempotent; the default does nothing."""

    @abstractmethod
    async def dangerously_clear_all(self) -> None:
        """Delete every experiment and result (meant for tests)."""

    @abstractmethod
    async def insert_experiment(self, experiment: Experiment) -> None:
        """Insert a new experiment; an existing id raises
        :class:`~mastra_storage.errors.ConflictError` and writes nothing."""

    @abstractmethod
    async def get_experiment(self, experiment_id: str) -> Experiment | None:
        """The experiment with this id, or ``None``."""

    @abstractmethod
    async def modify_experiment(
        self, experiment_id: str, mutate: ExperimentMutation
    ) -> Experiment | None:
        """Atomically replace the experiment with ``mutate(current)`` (a concurrent
        modification is not lost); ``None`` when it does not exist."""

    @abstractmethod
    async def delete_experiment(self, experiment_id: str) -> None:
        """Delete the experiment and its results in one atomic unit (no-op when absent)."""

    @abstractmethod
    async def query_experiments(self, query: ExperimentQuery) -> tuple[list[Experiment], int]:
        """Execute an :class:`ExperimentQuery` (``execute`` is the reference)."""

    @abstractmethod
    async def insert_result(self, result: ExperimentResult) -> None:
        """Insert a new result; an existing id raises ``ConflictError`` and writes
        nothing."""

    @abstractmethod
    async def get_result(self, result_id: str) -> ExperimentResult | None:
        """The result with this id, or ``None``."""

    @abstractmethod
    async def modify_result(
        self, result_id: str, mutate: ResultMutation
    ) -> ExperimentResult | None:
        """Atomically replace the result with ``mutate(current)``; ``None`` when absent."""

    @abstractmethod
    async def query_results(self, query: ResultQuery) -> tuple[list[ExperimentResult], int]:
        """Execute a :class:`ResultQuery` (``execute`` is the reference)."""

    @abstractmethod
    async def delete_results(self, experiment_id: str) -> None:
        """Delete every result of the experiment (one atomic unit)."""

    @abstractmethod
    async def prune_experiments(self, completed_before: datetime, limit: int) -> tuple[int, int]:
        """Delete up to ``limit`` experiments completed before ``completed_before`` (a
        running experiment, ``completed_at`` ``None``, never goes) with their results, as
        one atomic unit; returns ``(experiments, results)`` deleted. Fewer than ``limit``
        experiments means none is left."""


__all__ = [
    "ExperimentMutation",
    "ExperimentQuery",
    "ExperimentsBackend",
    "ResultMutation",
    "ResultQuery",
]
