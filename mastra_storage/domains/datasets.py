"""The datasets domain: eval datasets whose items keep every version (SCD-2).

Each item mutation (add, update, delete; a batch counts as one) bumps the dataset's
``version`` by one and records a version row; the item's previous row is closed
(``valid_to``) and a new row written (a tombstone for a delete), so any past version of the
dataset can be read back (``list_items(version=...)``, ``get_item(version=...)``).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

from ..backend.datasets import (
    DatasetQuery,
    DatasetsBackend,
    ItemChanges,
    ItemMutation,
    ItemQuery,
    VersionQuery,
)
from ..errors import NotFoundError, NotSupportedError, ValidationError
from ..eval_records import (
    Dataset,
    DatasetInput,
    DatasetItem,
    DatasetUpdate,
    DatasetVersion,
    ItemInput,
    ItemUpdate,
)
from ..pagination import Page
from ..timeutil import utc_now
from ..validation import (
    check_int64,
    check_json,
    check_record_fields,
    dumps_record,
    optional_id,
    require_non_empty,
    unique_strings,
)
from .base import DomainStore
from .changes import expect, invalid, modify_touched, not_found, set_fields
from .paging import page_query

DEFAULT_PER_PAGE = 100
#: Batches up to this many items are validated inline; larger ones in a worker thread.
_INLINE_ITEMS = 32
#: Items per batch call: one transaction, one version.
MAX_BATCH_ITEMS = 10_000

_SCHEMA_FIELDS = ("input_schema", "ground_truth_schema", "request_context_schema")
_JSON_FIELDS_ITEM = (
    "input",
    "ground_truth",
    "request_context",
    "metadata",
    "source",
    "expected_trajectory",
    "tool_mocks",
)


def _schemas(dataset: Dataset) -> tuple[Any, ...]:
    return (dataset.input_schema, dataset.ground_truth_schema, dataset.request_context_schema)


def _jsonschema() -> Any:
    """The ``jsonschema`` module, imported on first use: only datasets with a schema need
    it (the ``evals`` extra)."""
    try:
        import jsonschema
        import jsonschema.validators
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise NotSupportedError(
            "validating dataset items against a JSON Schema needs the jsonschema package: "
            "pip install 'mastra-storage[evals]'",
            id="MASTRA_STORAGE_JSONSCHEMA_NOT_INSTALLED",
        ) from None
    return jsonschema


def check_schema(schema: Any, *, field: str, operation: str) -> None:
    """A JSON Schema a dataset may hold: an object the ``jsonschema`` library accepts under
    its declared (or latest) draft."""
    if schema is None:
        return
    if not isinstance(schema, dict):
        raise invalid(f"{field} must be a JSON Schema object", operation, field=field)
    check_json(schema, operation=operation, field=field)
    js = _jsonschema()
    try:
        js.validators.validator_for(schema).check_schema(schema)
    except js.exceptions.SchemaError as exc:
        raise invalid(
            f"{field} is not a valid JSON Schema: {exc.message:.200}", operation, field=field
        ) from None


def _validate_against(value: Any, schema: dict[str, Any] | None, *, field: str, op: str) -> None:
    if schema is None:
        return
    js = _jsonschema()
    validator = js.validators.validator_for(schema)(schema)
    error = js.exceptions.best_match(validator.iter_errors(value))
    if error is not None:
        path = "/".join(str(p) for p in error.absolute_path)
        raise ValidationError(
            f"{field} does not match the dataset's schema"
            + (f" at /{path:.100}" if path else "")
            + f": {error.message:.200}",
            id=f"MASTRA_STORAGE_{op}_SCHEMA_VALIDATION_FAILED",
            details={"field": field},
        )


class DatasetsStore(DomainStore[DatasetsBackend]):
    """Eval datasets and their versioned items, composed over a
    :class:`~mastra_storage.backend.datasets.DatasetsBackend`.

    Validation (types, JSON, ids, items against the dataset's ``input_schema`` and
    ``ground_truth_schema`` with the ``jsonschema`` library) happens before any write and
    raises :class:`~mastra_storage.errors.ValidationError` with nothing stored. Every
    mutation is one atomic unit of the backend: an item mutation writes its item rows, the
    version row and the dataset's new ``version`` together, and writers of one dataset are
    serialised, so no two mutations share a version.

    Errors every method may raise, besides its own: ``UnavailableError``,
    ``StoreClosedError``, ``EventLoopMismatchError``, ``BackendError`` (as for every
    domain store).
    """

    # ---- datasets ---------------------------------------------------------------------------

    async def create_dataset(self, payload: DatasetInput) -> Dataset:
        """Create a dataset at ``version`` 0 (``id``: the payload's or a new UUID).

        :raises ValidationError: a bad payload or schema, before any write.
        :raises ConflictError: a dataset with this id exists (nothing written).
        """
        op = "CREATE_DATASET"
        expect(payload, DatasetInput, op)
        require_non_empty(payload.name, field="name", operation=op)
        optional_id(payload.id, field="id", operation=op)
        for name in _SCHEMA_FIELDS:
            check_schema(getattr(payload, name), field=name, operation=op)
        now = utc_now()
        fields = {f: getattr(payload, f) for f in payload.__struct_fields__}
        fields["id"] = payload.id or str(uuid.uuid4())
        dataset = Dataset(**fields, version=0, created_at=now, updated_at=now)
        self._check(dataset, op)
        await self.backend.insert_dataset(dataset)
        return dataset

    async def get_dataset(self, dataset_id: str) -> Dataset | None:
        """The dataset, or ``None``. One read."""
        require_non_empty(dataset_id, field="dataset_id", operation="GET_DATASET")
        return await self.backend.get_dataset(dataset_id)

    async def update_dataset(self, dataset_id: str, update: DatasetUpdate) -> Dataset:
        """Change a dataset's own fields (no version bump; ``updated_at`` = now), in one
        atomic read-modify-write. A new ``input_schema`` applies to items written later.

        :raises ValidationError: a bad update, before any write.
        :raises NotFoundError: no such dataset.
        """
        op = "UPDATE_DATASET"
        require_non_empty(dataset_id, field="dataset_id", operation=op)
        expect(update, DatasetUpdate, op)
        changes = set_fields(update)
        if "name" in changes:
            require_non_empty(changes["name"], field="name", operation=op)
        for name in _SCHEMA_FIELDS:
            if name in changes:
                check_schema(changes[name], field=name, operation=op)
        result = await modify_touched(
            self.backend.modify_dataset,
            dataset_id,
            changes,
            utc_now(),
            lambda updated: self._check(updated, op),
        )
        if result is None:
            raise not_found("Dataset", "dataset_id", dataset_id, op)
        return result

    async def delete_dataset(self, dataset_id: str) -> None:
        """Delete a dataset with its items and versions (and, in the same database, the
        results of its experiments), atomically. Idempotent."""
        require_non_empty(dataset_id, field="dataset_id", operation="DELETE_DATASET")
        await self.backend.delete_dataset(dataset_id)

    async def list_datasets(
        self,
        *,
        organization_id: str | None = None,
        project_id: str | None = None,
        target_type: str | None = None,
        name: str | None = None,
        page: int = 0,
        per_page: int | None = DEFAULT_PER_PAGE,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[Dataset]:
        """Datasets, newest first; ``name`` matches a case-insensitive substring. Paging as
        every list: ``page``/``per_page``, or ``cursor``; ``include_total=False`` skips
        the count."""
        op = "LIST_DATASETS"
        for field, value in (
            ("organization_id", organization_id),
            ("project_id", project_id),
            ("target_type", target_type),
            ("name", name),
        ):
            optional_id(value, field=field, operation=op)
        query = DatasetQuery(
            organization_id=organization_id,
            project_id=project_id,
            target_type=target_type,
            name=name,
        )
        return await page_query(
            self.backend.query_datasets,
            query,
            scope=("datasets",),
            key=DatasetQuery.key,
            direction="DESC",
            page=page,
            per_page=per_page,
            cursor=cursor,
            include_total=include_total,
            operation=op,
        )

    # ---- items --------------------------------------------------------------------------

    async def add_item(self, dataset_id: str, item: ItemInput) -> DatasetItem:
        """Add one item: the dataset's version + 1, one version row, one item row.

        :raises ValidationError: a bad item, or one that does not match the dataset's
            schemas (nothing written).
        :raises NotFoundError: no such dataset.
        """
        return (await self.batch_insert_items(dataset_id, [item], operation="ADD_ITEM"))[0]

    async def batch_insert_items(
        self, dataset_id: str, items: list[ItemInput], *, operation: str = "BATCH_INSERT_ITEMS"
    ) -> list[DatasetItem]:
        """Add several items as one mutation: the version is bumped once for the batch and
        every item is written at it, atomically (all or none).

        :raises ValidationError: a bad item or one not matching the schemas (none written).
        :raises NotFoundError: no such dataset.
        """
        op = operation
        require_non_empty(dataset_id, field="dataset_id", operation=op)
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH_ITEMS:
            raise invalid(f"items must be a list of 1 to {MAX_BATCH_ITEMS} ItemInput", op)
        for item in items:
            expect(item, ItemInput, op)
            optional_id(item.external_id, field="external_id", operation=op)
        now = utc_now()
        ids = [str(uuid.uuid4()) for _ in items]

        def build(dataset: Dataset) -> list[DatasetItem]:
            rows = []
            for item_id, item in zip(ids, items, strict=True):
                row = DatasetItem(
                    id=item_id,
                    dataset_id=dataset.id,
                    dataset_version=dataset.version + 1,
                    organization_id=dataset.organization_id,
                    project_id=dataset.project_id,
                    created_at=now,
                    updated_at=now,
                    **{f: getattr(item, f) for f in item.__struct_fields__},
                )
                self._check_item(row, dataset, op)
                rows.append(row)
            return rows

        # A large batch is checked and validated against the schemas in a worker thread
        # before the write (the event loop keeps running); the write then only re-checks
        # when the dataset's schemas changed in between.
        prebuilt: list[DatasetItem] | None = None
        seen: Dataset | None = None
        if len(items) > _INLINE_ITEMS:
            seen = await self.backend.get_dataset(dataset_id)
            if seen is not None:
                prebuilt = await asyncio.to_thread(build, seen)

        def mutate(dataset: Dataset, current: dict[str, DatasetItem]) -> ItemChanges:
            if prebuilt is None or seen is None or _schemas(seen) != _schemas(dataset):
                rows = build(dataset)
            else:
                version = dataset.version + 1
                rows = [
                    r.replace(
                        dataset_version=version,
                        organization_id=dataset.organization_id,
                        project_id=dataset.project_id,
                    )
                    for r in prebuilt
                ]
            return self._changes(dataset, rows, now)

        return list(await self._write(dataset_id, [], mutate, op))

    async def update_item(self, dataset_id: str, item_id: str, update: ItemUpdate) -> DatasetItem:
        """Write the item's next row (its fields merged with ``update``) at the dataset's
        next version and close the current row, atomically.

        :raises ValidationError: a bad update or a merged item that does not match the
            dataset's schemas (nothing written).
        :raises NotFoundError: no such dataset, or no current item with this id in it
            (absent, deleted, or in another dataset).
        """
        op = "UPDATE_ITEM"
        require_non_empty(dataset_id, field="dataset_id", operation=op)
        require_non_empty(item_id, field="item_id", operation=op)
        expect(update, ItemUpdate, op)
        changes = set_fields(update)
        now = utc_now()

        def mutate(dataset: Dataset, current: dict[str, DatasetItem]) -> ItemChanges:
            row = self._current(current, item_id, dataset.id, op)
            new = row.replace(
                **changes,
                dataset_version=dataset.version + 1,
                valid_to=None,
                organization_id=dataset.organization_id,
                project_id=dataset.project_id,
                updated_at=max(now, row.updated_at),
            )
            self._check_item(new, dataset, op)
            return self._changes(dataset, [new], now)

        return (await self._write(dataset_id, [item_id], mutate, op))[0]

    async def delete_item(self, dataset_id: str, item_id: str) -> None:
        """Delete an item: close its current row and write a tombstone at the next
        version, atomically. Its history stays readable.

        :raises NotFoundError: no such dataset, or no current item with this id in it.
        """
        await self.batch_delete_items(dataset_id, [item_id], operation="DELETE_ITEM")

    async def batch_delete_items(
        self, dataset_id: str, item_ids: list[str], *, operation: str = "BATCH_DELETE_ITEMS"
    ) -> None:
        """Delete several items as one mutation (one version bump), atomically.

        :raises NotFoundError: no such dataset, or an id that is not a current item of it
            (nothing deleted).
        """
        op = operation
        require_non_empty(dataset_id, field="dataset_id", operation=op)
        ids = unique_strings(item_ids, field="item_ids", operation=op)
        if not ids or len(ids) > MAX_BATCH_ITEMS:
            raise invalid(f"item_ids must hold 1 to {MAX_BATCH_ITEMS} ids", op)
        now = utc_now()

        def mutate(dataset: Dataset, current: dict[str, DatasetItem]) -> ItemChanges:
            version = dataset.version + 1
            rows = [
                self._current(current, i, dataset.id, op).replace(
                    dataset_version=version, valid_to=None, is_deleted=True, updated_at=now
                )
                for i in ids
            ]
            return self._changes(dataset, rows, now)

        await self._write(dataset_id, ids, mutate, op)

    async def get_item(self, item_id: str, *, version: int | None = None) -> DatasetItem | None:
        """The item's current row, or the row visible at dataset ``version``; ``None``
        when absent or deleted (at that version)."""
        op = "GET_ITEM"
        require_non_empty(item_id, field="item_id", operation=op)
        if version is not None:
            check_int64(version, field="version", operation=op, minimum=0)
        return await self.backend.get_item(item_id, version)

    async def get_item_history(self, item_id: str) -> list[DatasetItem]:
        """Every row of the item, newest version first (tombstones included)."""
        require_non_empty(item_id, field="item_id", operation="GET_ITEM_HISTORY")
        return await self.backend.item_history(item_id)

    async def list_items(
        self,
        dataset_id: str,
        *,
        version: int | None = None,
        page: int = 0,
        per_page: int | None = DEFAULT_PER_PAGE,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[DatasetItem]:
        """The dataset's items now, or as they were at ``version`` (time travel), newest
        first; paging as :meth:`list_datasets`."""
        op = "LIST_ITEMS"
        require_non_empty(dataset_id, field="dataset_id", operation=op)
        if version is not None:
            check_int64(version, field="version", operation=op, minimum=0)
        query = ItemQuery(dataset_id=dataset_id, version=version)
        return await page_query(
            self.backend.query_items,
            query,
            scope=("dataset_items",),
            key=ItemQuery.key,
            direction="DESC",
            page=page,
            per_page=per_page,
            cursor=cursor,
            include_total=include_total,
            operation=op,
        )

    async def get_items_by_version(self, dataset_id: str, version: int) -> list[DatasetItem]:
        """Every item of the dataset as of ``version`` (Mastra's ``getItemsByVersion``)."""
        return (await self.list_items(dataset_id, version=version, per_page=None)).items

    async def list_dataset_versions(
        self,
        dataset_id: str,
        *,
        page: int = 0,
        per_page: int | None = DEFAULT_PER_PAGE,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[DatasetVersion]:
        """The dataset's versions, newest first; paging as :meth:`list_datasets`."""
        op = "LIST_DATASET_VERSIONS"
        require_non_empty(dataset_id, field="dataset_id", operation=op)
        query = VersionQuery(dataset_id=dataset_id)
        return await page_query(
            self.backend.query_versions,
            query,
            scope=("dataset_versions",),
            key=VersionQuery.key,
            direction="DESC",
            page=page,
            per_page=per_page,
            cursor=cursor,
            include_total=include_total,
            operation=op,
        )

    # ---- helpers ------------------------------------------------------------------------

    @staticmethod
    def _check(record: Any, op: str) -> None:
        check_record_fields(record, operation=op)
        dumps_record(record, operation=op)

    def _check_item(self, row: DatasetItem, dataset: Dataset, op: str) -> None:
        if row.input is None:
            raise invalid("input is required", op, field="input")
        self._check(row, op)
        _validate_against(row.input, dataset.input_schema, field="input", op=op)
        if row.ground_truth is not None:
            _validate_against(
                row.ground_truth, dataset.ground_truth_schema, field="ground_truth", op=op
            )
        if row.request_context is not None:
            _validate_against(
                row.request_context,
                dataset.request_context_schema,
                field="request_context",
                op=op,
            )

    @staticmethod
    def _current(
        current: dict[str, DatasetItem], item_id: str, dataset_id: str, op: str
    ) -> DatasetItem:
        row = current.get(item_id)
        if row is None or row.is_deleted or row.dataset_id != dataset_id:
            raise NotFoundError(
                f"Item {item_id} not found in dataset {dataset_id}",
                id=f"MASTRA_STORAGE_{op}_ITEM_NOT_FOUND",
                details={"item_id": item_id, "dataset_id": dataset_id},
            )
        return row

    @staticmethod
    def _changes(dataset: Dataset, rows: list[DatasetItem], now: datetime) -> ItemChanges:
        version = dataset.version + 1
        return ItemChanges(
            rows=tuple(rows),
            version=DatasetVersion(
                id=str(uuid.uuid4()), dataset_id=dataset.id, version=version, created_at=now
            ),
        )

    async def _write(
        self, dataset_id: str, item_ids: list[str], mutate: ItemMutation, op: str
    ) -> tuple[DatasetItem, ...]:
        written = await self.backend.write_items(dataset_id, item_ids, mutate)
        if written is None:
            raise not_found("Dataset", "dataset_id", dataset_id, op, suffix="DATASET")
        _, changes = written
        return changes.rows if changes is not None else ()


__all__ = ["DatasetsStore", "check_schema"]
