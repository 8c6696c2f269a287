"""In-memory reference backends of the datasets, experiments and blobs domains.

Every method runs without an ``await`` in the middle, so each is atomic with respect to
other tasks on the event loop (which also serialises the writers of one dataset). Records
are deep-copied in and out; an exception from a mutation callback leaves state untouched
because nothing is assigned before the callback returns.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, TypeVar

from ..backend.blobs import BlobsBackend
from ..backend.datasets import (
    DatasetMutation,
    DatasetQuery,
    DatasetsBackend,
    ItemChanges,
    ItemMutation,
    ItemQuery,
    VersionQuery,
)
from ..backend.experiments import (
    ExperimentMutation,
    ExperimentQuery,
    ExperimentsBackend,
    ResultMutation,
    ResultQuery,
)
from ..errors import ConflictError
from ..eval_records import (
    ITEM_PAYLOAD_FIELDS,
    RESULT_PURGED_FIELDS,
    Blob,
    Dataset,
    DatasetItem,
    DatasetVersion,
    Experiment,
    ExperimentResult,
)

T = TypeVar("T")


def _copy(value: T) -> T:
    return copy.deepcopy(value)


class EvalsDB:
    """The shared state of the three domains (one database: a dataset delete reaches the
    experiments, as in the SQL adapters)."""

    def __init__(self) -> None:
        self.datasets: dict[str, Dataset] = {}
        self.items: dict[tuple[str, int], DatasetItem] = {}
        self.versions: dict[str, DatasetVersion] = {}
        self.experiments: dict[str, Experiment] = {}
        self.results: dict[str, ExperimentResult] = {}
        self.blobs: dict[str, Blob] = {}


class InMemoryDatasetsBackend(DatasetsBackend):
    """The reference :class:`DatasetsBackend`."""

    def __init__(self, db: EvalsDB) -> None:
        self._db = db

    async def dangerously_clear_all(self) -> None:
        self._db.datasets.clear()
        self._db.items.clear()
        self._db.versions.clear()

    async def insert_dataset(self, dataset: Dataset) -> None:
        if dataset.id in self._db.datasets:
            raise ConflictError(
                f"Dataset {dataset.id} already exists",
                id="MASTRA_STORAGE_CREATE_DATASET_EXISTS",
                details={"dataset_id": dataset.id},
            )
        self._db.datasets[dataset.id] = _copy(dataset)

    async def get_dataset(self, dataset_id: str) -> Dataset | None:
        return _copy(self._db.datasets.get(dataset_id))

    async def modify_dataset(self, dataset_id: str, mutate: DatasetMutation) -> Dataset | None:
        current = self._db.datasets.get(dataset_id)
        if current is None:
            return None
        updated = mutate(_copy(current)).replace(version=current.version)
        self._db.datasets[dataset_id] = _copy(updated)
        return updated

    async def delete_dataset(self, dataset_id: str) -> None:
        db = self._db
        if db.datasets.pop(dataset_id, None) is None:
            return
        for item_key in [k for k, r in db.items.items() if r.dataset_id == dataset_id]:
            del db.items[item_key]
        for version_id in [k for k, v in db.versions.items() if v.dataset_id == dataset_id]:
            del db.versions[version_id]
        for exp in [e for e in db.experiments.values() if e.dataset_id == dataset_id]:
            for key in [k for k, r in db.results.items() if r.experiment_id == exp.id]:
                del db.results[key]
            db.experiments[exp.id] = exp.replace(dataset_id=None, dataset_version=None)

    async def query_datasets(self, query: DatasetQuery) -> tuple[list[Dataset], int]:
        found, total = query.execute(self._db.datasets.values())
        return _copy(found), total

    async def write_items(
        self, dataset_id: str, item_ids: list[str], mutate: ItemMutation
    ) -> tuple[Dataset, ItemChanges | None] | None:
        db = self._db
        dataset = db.datasets.get(dataset_id)
        if dataset is None:
            return None
        wanted = set(item_ids)
        current = {r.id: r for r in db.items.values() if r.id in wanted and r.valid_to is None}
        changes = mutate(_copy(dataset), _copy(current))
        if changes is None or not changes.rows:
            return _copy(dataset), None
        version = changes.version.version
        if any(
            v.dataset_id == dataset_id and v.version == version for v in db.versions.values()
        ) or any((r.id, version) in db.items for r in changes.rows):
            raise ConflictError(
                f"Dataset {dataset_id} version {version} exists",
                id="MASTRA_STORAGE_DATASET_VERSION_CONFLICT",
                details={"dataset_id": dataset_id},
            )
        closing = {r.id for r in changes.rows}
        for key, row in list(db.items.items()):
            if row.id in closing and row.valid_to is None and not row.is_deleted:
                db.items[key] = row.replace(valid_to=version)
        for row in changes.rows:
            db.items[(row.id, row.dataset_version)] = _copy(row)
        db.versions[changes.version.id] = _copy(changes.version)
        updated = dataset.replace(version=version)
        db.datasets[dataset_id] = updated
        return _copy(updated), _copy(changes)

    async def external_id_rows(self, dataset_id: str, external_ids: list[str]) -> list[DatasetItem]:
        wanted = set(external_ids)
        return _copy(
            [
                r
                for r in self._db.items.values()
                if r.dataset_id == dataset_id and r.external_id in wanted
            ]
        )

    async def purge_item(self, dataset_id: str, item_id: str, marker: dict[str, Any]) -> bool:
        db = self._db
        if dataset_id not in db.datasets:
            return False
        keys = [k for k, r in db.items.items() if r.id == item_id and r.dataset_id == dataset_id]
        if not keys:
            return False
        scrub = dict.fromkeys(ITEM_PAYLOAD_FIELDS)
        for key in keys:
            db.items[key] = db.items[key].replace(**{**scrub, "metadata": _copy(marker)})
        cleared = dict.fromkeys(RESULT_PURGED_FIELDS)
        for result_id, result in list(db.results.items()):
            experiment = db.experiments.get(result.experiment_id)
            if result.item_id == item_id and experiment and experiment.dataset_id == dataset_id:
                db.results[result_id] = result.replace(**{**cleared, "metadata": _copy(marker)})
        return True

    async def get_item(self, item_id: str, version: int | None) -> DatasetItem | None:
        rows = [r for r in self._db.items.values() if r.id == item_id and r.visible_at(version)]
        rows.sort(key=lambda r: r.dataset_version, reverse=True)
        return _copy(rows[0]) if rows else None

    async def item_history(self, item_id: str) -> list[DatasetItem]:
        rows = [r for r in self._db.items.values() if r.id == item_id]
        return _copy(sorted(rows, key=lambda r: r.dataset_version, reverse=True))

    async def query_items(self, query: ItemQuery) -> tuple[list[DatasetItem], int]:
        found, total = query.execute(self._db.items.values())
        return _copy(found), total

    async def query_versions(self, query: VersionQuery) -> tuple[list[DatasetVersion], int]:
        found, total = query.execute(self._db.versions.values())
        return _copy(found), total


class InMemoryExperimentsBackend(ExperimentsBackend):
    """The reference :class:`ExperimentsBackend`."""

    def __init__(self, db: EvalsDB) -> None:
        self._db = db

    async def dangerously_clear_all(self) -> None:
        self._db.experiments.clear()
        self._db.results.clear()

    async def insert_experiment(self, experiment: Experiment) -> None:
        if experiment.id in self._db.experiments:
            raise ConflictError(
                f"Experiment {experiment.id} already exists",
                id="MASTRA_STORAGE_CREATE_EXPERIMENT_EXISTS",
                details={"experiment_id": experiment.id},
            )
        self._db.experiments[experiment.id] = _copy(experiment)

    async def get_experiment(self, experiment_id: str) -> Experiment | None:
        return _copy(self._db.experiments.get(experiment_id))

    async def modify_experiment(
        self, experiment_id: str, mutate: ExperimentMutation
    ) -> Experiment | None:
        current = self._db.experiments.get(experiment_id)
        if current is None:
            return None
        updated = mutate(_copy(current))
        self._db.experiments[experiment_id] = _copy(updated)
        return updated

    def _drop_results(self, experiment_ids: set[str]) -> int:
        keys = [k for k, r in self._db.results.items() if r.experiment_id in experiment_ids]
        for key in keys:
            del self._db.results[key]
        return len(keys)

    async def delete_experiment(self, experiment_id: str) -> None:
        if self._db.experiments.pop(experiment_id, None) is not None:
            self._drop_results({experiment_id})

    async def query_experiments(self, query: ExperimentQuery) -> tuple[list[Experiment], int]:
        found, total = query.execute(self._db.experiments.values())
        return _copy(found), total

    async def insert_result(self, result: ExperimentResult) -> None:
        if result.id in self._db.results:
            raise ConflictError(
                f"Experiment result {result.id} already exists",
                id="MASTRA_STORAGE_ADD_EXPERIMENT_RESULT_EXISTS",
                details={"result_id": result.id},
            )
        self._db.results[result.id] = _copy(result)

    async def get_result(self, result_id: str) -> ExperimentResult | None:
        return _copy(self._db.results.get(result_id))

    async def modify_result(
        self, result_id: str, mutate: ResultMutation
    ) -> ExperimentResult | None:
        current = self._db.results.get(result_id)
        if current is None:
            return None
        updated = mutate(_copy(current))
        self._db.results[result_id] = _copy(updated)
        return updated

    async def query_results(self, query: ResultQuery) -> tuple[list[ExperimentResult], int]:
        found, total = query.execute(self._db.results.values())
        return _copy(found), total

    async def delete_results(self, experiment_id: str) -> None:
        self._drop_results({experiment_id})

    async def prune_experiments(self, completed_before: datetime, limit: int) -> tuple[int, int]:
        old = [
            e.id
            for e in self._db.experiments.values()
            if e.completed_at is not None and e.completed_at < completed_before
        ][:limit]
        for experiment_id in old:
            del self._db.experiments[experiment_id]
        return len(old), self._drop_results(set(old))


class InMemoryBlobsBackend(BlobsBackend):
    """The reference :class:`BlobsBackend`."""

    def __init__(self, db: EvalsDB) -> None:
        self._db = db

    async def dangerously_clear_all(self) -> None:
        self._db.blobs.clear()

    async def put_blobs(self, blobs: list[Blob]) -> None:
        for blob in blobs:
            self._db.blobs.setdefault(blob.hash, _copy(blob))

    async def get_blobs(self, hashes: list[str]) -> dict[str, Blob]:
        return {h: _copy(self._db.blobs[h]) for h in hashes if h in self._db.blobs}

    async def delete_blob(self, blob_hash: str) -> bool:
        return self._db.blobs.pop(blob_hash, None) is not None


def evals_domains(db: EvalsDB) -> dict[str, Any]:
    """The three domain stores over ``db`` (what an in-memory store adds to ``stores``)."""
    from ..domains.blobs import BlobsStore
    from ..domains.datasets import DatasetsStore
    from ..domains.experiments import ExperimentsStore

    return {
        "datasets": DatasetsStore(InMemoryDatasetsBackend(db)),
        "experiments": ExperimentsStore(InMemoryExperimentsBackend(db)),
        "blobs": BlobsStore(InMemoryBlobsBackend(db)),
    }


__all__ = [
    "EvalsDB",
    "InMemoryBlobsBackend",
    "InMemoryDatasetsBackend",
    "InMemoryExperimentsBackend",
    "evals_domains",
]
