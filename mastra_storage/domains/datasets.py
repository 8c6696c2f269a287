"""The datasets domain: eval datasets whose items keep every version (SCD-2).

Each item mutation (add, update, delete; a batch counts as one) bumps the dataset's
``version`` by one and records a version row; the item's previous row is closed
(``valid_to``) and a new row written (a tombstone for a delete), so any past version of the
dataset can be read back (``list_items(version=...)``, ``get_item(version=...)``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import msgspec

from ..backend.datasets import (
    DatasetQuery,
    DatasetsBackend,
    ItemChanges,
    ItemMutation,
    ItemQuery,
    VersionQuery,
)
from ..errors import ConflictError, NotFoundError, NotSupportedError, ValidationError
from ..eval_records import (
    ITEM_PAYLOAD_FIELDS,
    PURGED_KEY,
    Dataset,
    DatasetInput,
    DatasetItem,
    DatasetUpdate,
    DatasetVersion,
    ItemIdentityConflict,
    ItemInput,
    ItemUpdate,
    is_purged,
)
from ..pagination import Page
from ..timeutil import to_iso, utc_now
from ..validation import (
    check_int64,
    check_json,
    check_record_fields,
    check_text,
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
#: Plans of a batch with external ids, before giving up on a dataset other writers keep
#: changing (each try re-reads the version and the rows holding the ids).
_IDENTITY_TRIES = 16

#: Set at creation and never changed (items copy the tenancy); a caller-defined id reused
#: with other values is a conflict, with the same values the existing dataset.
_IMMUTABLE_FIELDS = ("organization_id", "project_id", "candidate_key", "candidate_id")
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


class DatasetItemIdentityConflictError(ConflictError):
    """Items of a batch could not take their ``external_id`` (Mastra's
    ``DATASET_ITEM_IDENTITY_CONFLICT``); ``conflicts`` says which and why. Nothing was
    written."""

    def __init__(self, conflicts: list[ItemIdentityConflict], operation: str) -> None:
        first = conflicts[0]
        super().__init__(
            f"{len(conflicts)} item(s) conflict with previously accepted items "
            f"(first: external_id {first.external_id[:80]!r}, {first.reason})",
            id=f"MASTRA_STORAGE_{operation}_IDENTITY_CONFLICT",
            details={"count": len(conflicts), "first_index": first.index},
        )
        self.conflicts = conflicts


class _StaleIdentities(ConflictError):
    """The dataset changed between planning external ids and the write: plan again. A
    storage error, so backends pass it through their transaction wrappers unchanged."""


def _json_same(a: Any, b: Any) -> bool:
    # Deep equality as JavaScript's fast-deep-equal sees decoded JSON: True is not 1
    # (Python's == says it is), 1 and 1.0 are the same number, object key order is free.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_json_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


def _same_payload(item: ItemInput | DatasetItem, accepted: ItemInput | DatasetItem) -> bool:
    return all(_json_same(getattr(item, f), getattr(accepted, f)) for f in ITEM_PAYLOAD_FIELDS)


class _IdentityPlan(msgspec.Struct, kw_only=True):
    """Which new ids to insert, which stored items the batch resolves to, and the item id
    of each input in order."""

    inserts: set[str]
    existing: set[str]
    resolved: list[str]


def _plan_identities(
    items: list[ItemInput], ids: list[str], history: list[DatasetItem], op: str
) -> _IdentityPlan:
    """Mastra's rule: an external id belongs to the item that first took it; reuse with
    the payload it was *first* accepted with resolves to that item while it is not
    deleted; anything else conflicts. The whole batch is checked before raising."""
    accepted: dict[str, tuple[DatasetItem, DatasetItem | None]] = {}
    for row in sorted(history, key=lambda r: r.dataset_version):
        ext = row.external_id
        if ext is None:
            continue
        entry = accepted.get(ext)
        if entry is not None and entry[0].id != row.id:
            raise ConflictError(
                f"external_id {ext[:80]!r} is held by two items ({entry[0].id}, {row.id})",
                id="MASTRA_STORAGE_DATASET_ITEM_IDENTITY_CORRUPT",
                details={"external_id": ext[:80]},
            )
        first, current = entry if entry is not None else (row, None)
        if row.valid_to is None:
            current = None if row.is_deleted else row
        accepted[ext] = (first, current)
    plan = _IdentityPlan(inserts=set(), existing=set(), resolved=[])
    conflicts: list[ItemIdentityConflict] = []
    local: dict[str, tuple[str, ItemInput]] = {}
    for index, (new_id, item) in enumerate(zip(ids, items, strict=True)):
        ext = item.external_id
        holder: str | None = None
        reason: Literal["payload_mismatch", "deleted"] | None = None
        if ext is not None and ext in accepted:
            first, current = accepted[ext]
            holder = first.id
            if current is None:
                reason = "deleted"
            elif not _same_payload(item, first):
                reason = "payload_mismatch"
            else:
                plan.existing.add(holder)
        elif ext is not None and ext in local:
            holder, earlier = local[ext]
            if not _same_payload(item, earlier):
                reason = "payload_mismatch"
        else:
            holder = new_id
            plan.inserts.add(new_id)
            if ext is not None:
                local[ext] = (new_id, item)
        if reason is not None and ext is not None:
            conflicts.append(
                ItemIdentityConflict(
                    index=index, external_id=ext, existing_item_id=holder, reason=reason
                )
            )
        plan.resolved.append(holder)
    if conflicts:
        raise DatasetItemIdentityConflictError(conflicts, op)
    return plan


class _IdentityWrite:
    """The ``mutate`` of :meth:`DatasetsStore.batch_insert_items`: checks the plan still
    holds (else :class:`_StaleIdentities`), keeps the resolved stored items, and builds the
    rows to insert (none: nothing written, no version)."""

    def __init__(
        self,
        store: DatasetsStore,
        seen: Dataset | None,
        plan: _IdentityPlan | None,
        prebuilt: list[DatasetItem] | None,
        build: Callable[[Dataset], list[DatasetItem]],
        existing: dict[str, DatasetItem],
        now: datetime,
    ) -> None:
        self._store, self._seen, self._plan = store, seen, plan
        self._prebuilt, self._build, self._existing, self._now = prebuilt, build, existing, now

    def __call__(self, dataset: Dataset, current: dict[str, DatasetItem]) -> ItemChanges | None:
        seen, plan = self._seen, self._plan
        if plan is not None:
            assert seen is not None  # planned from a dataset read
            if dataset.version != seen.version:
                raise _StaleIdentities("the dataset changed", id="MASTRA_STORAGE_STALE")
            for item_id in plan.existing:
                row = current.get(item_id)
                # a purge rewrites rows without a version bump: plan again to see it
                if row is None or row.is_deleted or is_purged(row.metadata):
                    raise _StaleIdentities("an item changed", id="MASTRA_STORAGE_STALE")
                self._existing[item_id] = row
        if self._prebuilt is None or seen is None or _schemas(seen) != _schemas(dataset):
            rows = self._build(dataset)
        else:
            version = dataset.version + 1
            rows = [
                r.replace(
                    dataset_version=version,
                    organization_id=dataset.organization_id,
                    project_id=dataset.project_id,
                )
                for r in self._prebuilt
            ]
        if plan is not None:
            rows = [r for r in rows if r.id in plan.inserts]
        return self._store._changes(dataset, rows, self._now) if rows else None


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

        A caller-defined ``id`` is a durable identity, as in Mastra 1.71: when a dataset
        already has it and agrees on the fields that never change after creation
        (``organization_id``, ``project_id``, ``candidate_key``, ``candidate_id``), that
        dataset is returned as stored and nothing is written, so two services can both
        "create" a shared dataset.

        :raises ValidationError: a bad payload or schema, before any write.
        :raises ConflictError: a dataset with this id exists with other immutable fields
            (nothing written).
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
        if payload.id is None:
            await self.backend.insert_dataset(dataset)
            return dataset
        # Insert first (one statement, atomic) and look only on a conflict; the second try
        # covers a dataset deleted between our conflict and our read.
        for _ in range(2):
            try:
                await self.backend.insert_dataset(dataset)
                return dataset
            except ConflictError:
                existing = await self.backend.get_dataset(dataset.id)
            if existing is None:
                continue
            clash = [f for f in _IMMUTABLE_FIELDS if getattr(existing, f) != getattr(dataset, f)]
            if clash:
                raise ConflictError(
                    f"Dataset {dataset.id} exists with other {', '.join(clash)}",
                    id=f"MASTRA_STORAGE_{op}_ID_CONFLICT",
                    details={"dataset_id": dataset.id, "fields": ",".join(clash)},
                )
            return existing
        raise ConflictError(
            f"Dataset {dataset.id} kept appearing and disappearing; try again",
            id=f"MASTRA_STORAGE_{op}_ID_CONFLICT",
            details={"dataset_id": dataset.id},
        )

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
        candidate_key: str | None = None,
        candidate_id: str | None = None,
        target_ids: list[str] | None = None,
        name: str | None = None,
        page: int = 0,
        per_page: int | None = DEFAULT_PER_PAGE,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[Dataset]:
        """Datasets, newest first, filtered as Mastra's ``listDatasets``: exact
        ``organization_id``, ``project_id``, ``target_type``, ``candidate_key``,
        ``candidate_id``; ``target_ids``: datasets targeting any of these ids (an empty list
        filters nothing, as in Mastra); ``name``: a case-insensitive substring. Paging as
        every list: ``page``/``per_page``, or ``cursor``; ``include_total=False`` skips
        the count."""
        op = "LIST_DATASETS"
        for field, value in (
            ("organization_id", organization_id),
            ("project_id", project_id),
            ("target_type", target_type),
            ("candidate_key", candidate_key),
            ("candidate_id", candidate_id),
            ("name", name),
        ):
            optional_id(value, field=field, operation=op)
        targets = None
        if target_ids is not None:
            targets = tuple(unique_strings(target_ids, field="target_ids", operation=op)) or None
        query = DatasetQuery(
            organization_id=organization_id,
            project_id=project_id,
            target_type=target_type,
            candidate_key=candidate_key,
            candidate_id=candidate_id,
            target_ids=targets,
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
        every item is written at it, atomically (all or none). Returns one item per input,
        in order.

        An ``external_id`` is the item's caller-defined identity within the dataset, as in
        Mastra: reusing one with the payload it was first accepted with is idempotent (that
        item is returned as it is now, nothing written; a batch of only such items bumps no
        version), and a batch repeating one with the same payload gets one item.

        :raises ValidationError: a bad item or one not matching the schemas (none written).
        :raises DatasetItemIdentityConflictError: an ``external_id`` first accepted with
            another payload, or whose item is deleted (``conflicts`` lists each; none
            written).
        :raises NotFoundError: no such dataset.
        """
        op = operation
        require_non_empty(dataset_id, field="dataset_id", operation=op)
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH_ITEMS:
            raise invalid(f"items must be a list of 1 to {MAX_BATCH_ITEMS} ItemInput", op)
        for item in items:
            expect(item, ItemInput, op)
            optional_id(item.external_id, field="external_id", operation=op)
        external = list(dict.fromkeys(i.external_id for i in items if i.external_id is not None))
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

        # External ids are resolved optimistically: read the dataset's version, then the
        # rows holding those ids, plan, and write only if the version is still the one
        # read (every item mutation bumps it, so nothing can have taken an id meanwhile).
        # A batch without external ids needs no plan and is written at the first try.
        for _ in range(_IDENTITY_TRIES if external else 1):
            seen: Dataset | None = None
            plan: _IdentityPlan | None = None
            if external or len(items) > _INLINE_ITEMS:
                seen = await self.backend.get_dataset(dataset_id)
                if seen is None:
                    raise not_found("Dataset", "dataset_id", dataset_id, op, suffix="DATASET")
            if external:
                history = await self.backend.external_id_rows(dataset_id, external)
                plan = _plan_identities(items, ids, history, op)
            # A large batch is checked and validated against the schemas in a worker thread
            # before the write (the event loop keeps running); the write then only
            # re-checks when the dataset's schemas changed in between.
            prebuilt: list[DatasetItem] | None = None
            if seen is not None and len(items) > _INLINE_ITEMS:
                prebuilt = await asyncio.to_thread(build, seen)
            existing: dict[str, DatasetItem] = {}
            write = _IdentityWrite(self, seen, plan, prebuilt, build, existing, now)
            try:
                written = await self.backend.write_items(
                    dataset_id, sorted(plan.existing) if plan else [], write
                )
            except _StaleIdentities:
                continue
            if written is None:
                raise not_found("Dataset", "dataset_id", dataset_id, op, suffix="DATASET")
            new = {r.id: r for r in (written[1].rows if written[1] is not None else ())}
            return [new[i] if i in new else existing[i] for i in (plan.resolved if plan else ids)]
        raise ConflictError(
            f"Dataset {dataset_id} kept changing while its items' external ids were "
            f"resolved ({_IDENTITY_TRIES} tries); try again",
            id=f"MASTRA_STORAGE_{op}_BUSY",
            details={"dataset_id": dataset_id},
        )

    async def update_item(self, dataset_id: str, item_id: str, update: ItemUpdate) -> DatasetItem:
        """Write the item's next row (its fields merged with ``update``) at the dataset's
        next version and close the current row, atomically.

        :raises ValidationError: a bad update or a merged item that does not match the
            dataset's schemas (nothing written).
        :raises NotFoundError: no such dataset, or no current item with this id in it
            (absent, deleted, or in another dataset).
        :raises ConflictError: the item was purged (:meth:`purge_item`); nothing written.
        """
        op = "UPDATE_ITEM"
        require_non_empty(dataset_id, field="dataset_id", operation=op)
        require_non_empty(item_id, field="item_id", operation=op)
        expect(update, ItemUpdate, op)
        changes = set_fields(update)
        now = utc_now()

        def mutate(dataset: Dataset, current: dict[str, DatasetItem]) -> ItemChanges:
            row = self._current(current, item_id, dataset.id, op)
            if is_purged(row.metadata):
                raise ConflictError(
                    f"Item {item_id} was purged and cannot be updated",
                    id=f"MASTRA_STORAGE_{op}_PURGED",
                    details={"item_id": item_id, "dataset_id": dataset.id},
                )
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

    async def purge_item(self, dataset_id: str, item_id: str) -> bool:
        """Erase an item's content for good (Mastra's ``purgeItem``), e.g. to honour a
        deletion request: every row of its history keeps its id, versions and times but
        loses its payload (``input`` and the other payload fields become ``None``) and gets
        ``metadata = {"__purged": True, "purgedAt": <ISO time>}``; the results of this
        dataset's experiments for the item are scrubbed the same way. One atomic write,
        serialised with the dataset's writers; no version is added, so time travel still
        lists the item, empty. Idempotent; returns whether the item had rows in the
        dataset. A purged item can still be deleted, but not updated.

        :raises ValidationError: an empty or non-string id, before any I/O.
        """
        op = "PURGE_ITEM"
        require_non_empty(dataset_id, field="dataset_id", operation=op)
        require_non_empty(item_id, field="item_id", operation=op)
        marker = {PURGED_KEY: True, "purgedAt": to_iso(utc_now())}
        return await self.backend.purge_item(dataset_id, item_id, marker)

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
        search: str | None = None,
        page: int = 0,
        per_page: int | None = DEFAULT_PER_PAGE,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[DatasetItem]:
        """The dataset's items now, or as they were at ``version`` (time travel), newest
        first; ``search``: only items whose ``input`` or ``ground_truth`` contains this
        text, case-insensitively (Mastra's item search: a word or phrase inside their
        strings; an empty search filters nothing); paging as :meth:`list_datasets`."""
        op = "LIST_ITEMS"
        require_non_empty(dataset_id, field="dataset_id", operation=op)
        if version is not None:
            check_int64(version, field="version", operation=op, minimum=0)
        if search is not None:
            check_text(search, field="search", operation=op)
        query = ItemQuery(dataset_id=dataset_id, version=version, search=search or None)
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


__all__ = ["DatasetItemIdentityConflictError", "DatasetsStore", "check_schema"]
