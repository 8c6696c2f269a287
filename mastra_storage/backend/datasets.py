"""The datasets backend contract: datasets, their SCD-2 item rows and version rows.

The core (:class:`~mastra_storage.domains.datasets.DatasetsStore`) builds every row; a
backend stores them. The one write primitive for items, :meth:`DatasetsBackend.write_items`,
makes "close the current rows, insert the new rows, bump the dataset's version, insert the
version row" one atomic unit and serialises writers of one dataset, so two writers can never
produce the same dataset version.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from ..codec import dumps
from ..errors import NotSupportedError
from ..eval_records import (
    ITEM_PAYLOAD_FIELDS,
    RESULT_PURGED_FIELDS,
    Dataset,
    DatasetItem,
    DatasetVersion,
    ExperimentResult,
)
from ..layout import record_columns
from ..pagination import Cursor
from ..timeutil import to_epoch_ms
from .paging import PageKey, run_page


def _columns(record: type[msgspec.Struct], fields: Iterable[str]) -> tuple[str, ...]:
    by_field = dict(record_columns(record))
    return tuple(by_field[f] for f in fields if f != "metadata")


#: The item columns :meth:`DatasetsBackend.purge_item` sets to null (``input``, NOT NULL in
#: some releases, to JSON ``null`` as Mastra writes it); ``metadata`` gets the marker.
ITEM_PURGE_COLUMNS: tuple[str, ...] = _columns(DatasetItem, ITEM_PAYLOAD_FIELDS)
#: The result columns a purge sets to null; ``metadata`` gets the marker.
RESULT_PURGE_COLUMNS: tuple[str, ...] = _columns(ExperimentResult, RESULT_PURGED_FIELDS)


class ItemChanges(msgspec.Struct, kw_only=True, frozen=True):
    """What one item mutation writes: ``rows`` (each at ``version.version``, ``valid_to``
    ``None``; a tombstone has ``is_deleted``) and the new ``version`` row. The current row
    of every id in ``rows`` is closed with ``valid_to = version.version``."""

    rows: tuple[DatasetItem, ...]
    version: DatasetVersion


#: ``mutate(dataset, current)``: the dataset as stored (locked for this write) and the
#: current rows (``valid_to is None``, tombstones included) of the requested item ids,
#: whatever their dataset; returns the changes, or ``None`` to write nothing. It may raise
#: (a core error): nothing is written then.
ItemMutation = Callable[[Dataset, dict[str, DatasetItem]], "ItemChanges | None"]
DatasetMutation = Callable[[Dataset], Dataset]


class DatasetQuery(msgspec.Struct, kw_only=True, frozen=True):
    """Datasets, newest first (``created_at`` DESC, ``id`` ASC); exact-match filters
    (``None``: not filtered), ``name`` a case-insensitive substring, ``target_ids`` the
    datasets whose ``target_ids`` share at least one id with it (never empty here); paging
    as in :mod:`mastra_storage.backend.paging`."""

    organization_id: str | None = None
    project_id: str | None = None
    target_type: str | None = None
    candidate_key: str | None = None
    candidate_id: str | None = None
    name: str | None = None
    target_ids: tuple[str, ...] | None = None
    offset: int = 0
    limit: int | None = None
    after: Cursor | None = None
    count: bool = True

    def matches(self, dataset: Dataset) -> bool:
        """The filter, for backends that filter in Python."""
        for field in (
            "organization_id",
            "project_id",
            "target_type",
            "candidate_key",
            "candidate_id",
        ):
            wanted = getattr(self, field)
            if wanted is not None and getattr(dataset, field) != wanted:
                return False
        if self.target_ids and not set(self.target_ids) & set(dataset.target_ids or ()):
            return False
        return self.name is None or self.name.casefold() in dataset.name.casefold()

    @staticmethod
    def key(dataset: Dataset) -> PageKey:
        """``(created_at ms, id)``: ms descending, id ascending."""
        return (to_epoch_ms(dataset.created_at), dataset.id)

    def execute(self, datasets: Iterable[Dataset]) -> tuple[list[Dataset], int]:
        """The reference executor (filter, order, count, cursor, ``limit + 1``)."""
        return run_page(
            (d for d in datasets if self.matches(d)),
            key=self.key,
            descending=True,
            tie_descending=False,
            after=self.after,
            offset=self.offset,
            limit=self.limit,
            count=self.count,
        )


def search_text(value: Any) -> str:
    """What an item search looks into: a string value itself, anything else its compact
    JSON text, case-folded (Mastra's in-memory store; ``@mastra/pg`` matches the stored
    JSON text, so a search for a word or phrase inside a string finds the same items)."""
    return (value if isinstance(value, str) else dumps(value)).casefold()


class ItemQuery(msgspec.Struct, kw_only=True, frozen=True):
    """A dataset's items as of ``version`` (``None``: the current rows), newest first
    (``created_at`` DESC, ``id`` ASC). A row is visible at ``v`` when
    ``dataset_version <= v``, ``valid_to`` is ``None`` or ``> v``, and it is not a tombstone
    (:meth:`DatasetItem.visible_at`). ``search``: a case-insensitive substring of the
    ``input`` or ``ground_truth`` (:func:`search_text`)."""

    dataset_id: str
    version: int | None = None
    search: str | None = None
    offset: int = 0
    limit: int | None = None
    after: Cursor | None = None
    count: bool = True

    def matches(self, row: DatasetItem) -> bool:
        """The filter, for backends that filter in Python."""
        if row.dataset_id != self.dataset_id or not row.visible_at(self.version):
            return False
        if self.search is None:
            return True
        needle = self.search.casefold()
        return needle in search_text(row.input) or (
            row.ground_truth is not None and needle in search_text(row.ground_truth)
        )

    @staticmethod
    def key(row: DatasetItem) -> PageKey:
        """``(created_at ms, id)``: ms descending, id ascending."""
        return (to_epoch_ms(row.created_at), row.id)

    def execute(self, rows: Iterable[DatasetItem]) -> tuple[list[DatasetItem], int]:
        """The reference executor over item rows."""
        return run_page(
            (r for r in rows if self.matches(r)),
            key=self.key,
            descending=True,
            tie_descending=False,
            after=self.after,
            offset=self.offset,
            limit=self.limit,
            count=self.count,
        )


class VersionQuery(msgspec.Struct, kw_only=True, frozen=True):
    """A dataset's version rows, newest first (``version`` DESC)."""

    dataset_id: str
    offset: int = 0
    limit: int | None = None
    after: Cursor | None = None
    count: bool = True

    @staticmethod
    def key(row: DatasetVersion) -> PageKey:
        """``(version, id)``, both descending (versions are unique per dataset)."""
        return (row.version, row.id)

    def execute(self, rows: Iterable[DatasetVersion]) -> tuple[list[DatasetVersion], int]:
        """The reference executor over version rows."""
        return run_page(
            (r for r in rows if r.dataset_id == self.dataset_id),
            key=self.key,
            descending=True,
            after=self.after,
            offset=self.offset,
            limit=self.limit,
            count=self.count,
        )


class DatasetsBackend(ABC):
    """What a backend implements for the datasets domain. Every method is one atomic unit of
    I/O; arguments arrive validated and rows fully built by the core."""

    async def init(self) -> None:
        """Create or upgrade what this domain needs. Idempotent; the default does nothing."""

    @abstractmethod
    async def dangerously_clear_all(self) -> None:
        """Delete every dataset, item row and version row (meant for tests)."""

    @abstractmethod
    async def insert_dataset(self, dataset: Dataset) -> None:
        """Insert a new dataset; an existing id raises
        :class:`~mastra_storage.errors.ConflictError` and writes nothing."""

    @abstractmethod
    async def get_dataset(self, dataset_id: str) -> Dataset | None:
        """The dataset with this id, or ``None``."""

    @abstractmethod
    async def modify_dataset(self, dataset_id: str, mutate: DatasetMutation) -> Dataset | None:
        """Atomically replace the dataset with ``mutate(current)`` (never its ``version``:
        the backend keeps the stored one); ``None`` when it does not exist."""

    @abstractmethod
    async def delete_dataset(self, dataset_id: str) -> None:
        """Delete the dataset, its item rows and its version rows in one atomic unit (no-op
        when absent). When the same database holds the experiments domain, the results of
        experiments on this dataset go too and those experiments keep their row with
        ``dataset_id``/``dataset_version`` cleared, in the same unit (as Mastra does)."""

    @abstractmethod
    async def query_datasets(self, query: DatasetQuery) -> tuple[list[Dataset], int]:
        """Execute a :class:`DatasetQuery` (:meth:`DatasetQuery.execute` is the reference)."""

    @abstractmethod
    async def write_items(
        self, dataset_id: str, item_ids: list[str], mutate: ItemMutation
    ) -> tuple[Dataset, ItemChanges | None] | None:
        """One item mutation, atomically and serialised per dataset: lock the dataset
        (``None`` when it does not exist), read the current rows of ``item_ids``, call
        ``mutate``; when it returns changes, close the current row of each id in
        ``changes.rows`` (``valid_to = changes.version.version``; tombstones stay as they
        are), insert the rows and the version row, and set the dataset's ``version`` to
        ``changes.version.version``. Returns the dataset after the write and the changes
        (``None``: nothing written). An exception from ``mutate`` writes nothing.
        A duplicate ``(dataset_id, version)`` raises
        :class:`~mastra_storage.errors.ConflictError` and writes nothing."""

    async def external_id_rows(self, dataset_id: str, external_ids: list[str]) -> list[DatasetItem]:
        """Every row (whole histories, tombstones included; any order) of the dataset's
        items whose ``external_id`` is one of ``external_ids``: what an insert with external
        ids is planned from. One read; it need not lock anything (the core re-checks the
        dataset's version inside :meth:`write_items`).

        The default raises :class:`~mastra_storage.errors.NotSupportedError`: a backend
        without it cannot take items with an ``external_id``."""
        raise NotSupportedError(
            f"{type(self).__name__} cannot resolve dataset item external ids",
            id="MASTRA_STORAGE_DATASET_EXTERNAL_ID_NOT_SUPPORTED",
        )

    async def purge_item(self, dataset_id: str, item_id: str, marker: dict[str, Any]) -> bool:
        """Scrub an item in one atomic unit, serialised with the dataset's writers: on every
        row of ``item_id`` in ``dataset_id`` (its whole history), set the payload fields
        (:data:`~mastra_storage.eval_records.ITEM_PAYLOAD_FIELDS`) to ``None`` and
        ``metadata`` to ``marker``; on every result of an experiment of this dataset for
        this item, set :data:`~mastra_storage.eval_records.RESULT_PURGED_FIELDS` to ``None``
        and ``metadata`` to ``marker`` (when the same database holds experiments). No
        version is written. Returns whether the item had rows in the dataset.

        The default raises :class:`~mastra_storage.errors.NotSupportedError`."""
        raise NotSupportedError(
            f"{type(self).__name__} cannot purge dataset items",
            id="MASTRA_STORAGE_PURGE_ITEM_NOT_SUPPORTED",
        )

    @abstractmethod
    async def get_item(self, item_id: str, version: int | None) -> DatasetItem | None:
        """The row of the item visible at ``version`` (``None``: the current row, not a
        tombstone), or ``None``."""

    @abstractmethod
    async def item_history(self, item_id: str) -> list[DatasetItem]:
        """Every row of the item, tombstones included, ``dataset_version`` DESC."""

    @abstractmethod
    async def query_items(self, query: ItemQuery) -> tuple[list[DatasetItem], int]:
        """Execute an :class:`ItemQuery` (:meth:`ItemQuery.execute` is the reference)."""

    @abstractmethod
    async def query_versions(self, query: VersionQuery) -> tuple[list[DatasetVersion], int]:
        """Execute a :class:`VersionQuery` (:meth:`VersionQuery.execute` is the reference)."""


__all__ = [
    "ITEM_PURGE_COLUMNS",
    "RESULT_PURGE_COLUMNS",
    "DatasetMutation",
    "DatasetQuery",
    "DatasetsBackend",
    "ItemChanges",
    "ItemMutation",
    "ItemQuery",
    "VersionQuery",
    "search_text",
]
