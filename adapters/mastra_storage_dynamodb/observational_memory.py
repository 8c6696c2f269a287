"""Observational memory on DynamoDB: our layout (``@mastra/dynamodb`` stores none).

Two item kinds in the shared table, keyed in the adapter's ElectroDB style
(``docs/dynamodb-layout.md``, "Observational memory"):

* **generation** (entity ``observational_memory``): one item per record, in the partition
  of its memory, so every read of a memory is one strongly consistent ``Query`` on the
  primary key, newest first, stopping after ``limit`` items:

  - pk ``$mastra#entity_observational_memory#lookupkey_<thread:id | resource:id>``
  - sk ``$observational_memory_1#generationcount_<20 digits>#createdat_<iso>#id_<id>``

* **id pointer** (entity ``observational_memory_id``): pk
  ``$mastra#entity_observational_memory_id#id_<id>``, sk ``$observational_memory_id_1``,
  holding the exact id and the generation's pk/sk: "by id" is two ``GetItem`` without any
  GSI (a GSI read is eventually consistent; a flag set right after ``initialize`` must see
  the record).

Attributes are the record's camelCase fields (absent when unset); ``config``,
``metadata``, ``bufferedObservationChunks``, ``observedMessageIds`` and
``bufferedMessageIds`` are JSON text (exact round trip of any JSON, no Decimal or
number-range surprises); ``rev`` is the optimistic-concurrency counter.

Writes that touch more than one item are one ``TransactWriteItems``: an insert puts the
generation and its pointer; a modify puts the record on condition that ``rev`` is unchanged
and, with a new generation, puts that and its pointer in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mastra_storage.backend.capabilities import OMMutation
from mastra_storage.codec import dumps, loads
from mastra_storage.errors import ValidationError
from mastra_storage.om_records import ObservationalMemoryRecord, om_record_exists
from mastra_storage.timeutil import to_iso

from .errors import TransactionCancelled
from .keys import ownership, partition_key, sort_key, sort_prefix
from .optimistic import optimistic
from .table import (
    MAX_TRANSACTION_ITEMS,
    DynamoTable,
    Expr,
    Item,
    cas_condition,
    check_item_size,
    next_rev,
)

ENTITY = "observational_memory"
POINTER = "observational_memory_id"
#: Attributes stored as JSON text.
JSON_FIELDS = (
    "config",
    "metadata",
    "bufferedObservationChunks",
    "observedMessageIds",
    "bufferedMessageIds",
)
_NOT_RECORD = frozenset({"pk", "sk", "lookupKey", "rev", "entity", "__edb_e__", "__edb_v__"})
#: Generations per delete transaction: two items each (the generation and its pointer).
_DELETE_BATCH = MAX_TRANSACTION_ITEMS // 2


def memory_partition(lookup_key: str) -> str:
    """The pk every generation of one memory shares."""
    return partition_key(ENTITY, [("lookupKey", lookup_key)])


def generation_key(record: ObservationalMemoryRecord) -> dict[str, str]:
    """pk/sk of a generation; the sk sorts by generation, then creation time, then id."""
    return {
        "pk": memory_partition(record.lookup_key),
        "sk": sort_key(
            ENTITY,
            [
                ("generationCount", f"{record.generation_count:020d}"),
                ("createdAt", to_iso(record.created_at)),
                ("id", record.id),
            ],
        ),
    }


def pointer_key(record_id: str) -> dict[str, str]:
    return {"pk": partition_key(POINTER, [("id", record_id)]), "sk": sort_key(POINTER)}


def record_item(record: ObservationalMemoryRecord, *, rev: int) -> Item:
    """The generation item (ownership attributes, keys, ``lookupKey``, ``rev``, fields)."""
    data = record.to_dict()
    for name in JSON_FIELDS:
        if name in data:
            data[name] = dumps(data[name])
    return {
        **generation_key(record),
        **ownership(ENTITY),
        "lookupKey": record.lookup_key,
        "rev": rev,
        **data,
    }


def pointer_item(record: ObservationalMemoryRecord) -> Item:
    key = generation_key(record)
    return {
        **pointer_key(record.id),
        **ownership(POINTER),
        "id": record.id,
        "recordPk": key["pk"],
        "recordSk": key["sk"],
    }


def record_from_item(item: Mapping[str, Any]) -> ObservationalMemoryRecord:
    data = {k: v for k, v in item.items() if k not in _NOT_RECORD}
    for name in JSON_FIELDS:
        if isinstance(data.get(name), str):
            data[name] = loads(data[name])
    return ObservationalMemoryRecord.from_dict(data)


class _IdTaken(Exception):
    """A new generation's id exists: not a lost race, so not retried."""


class DynamoObservationalMemory:
    """:class:`~mastra_storage.backend.capabilities.SupportsObservationalMemory` on the
    shared table; mixed into the DynamoDB memory backend (which owns ``table``)."""

    table: DynamoTable

    def _new_actions(self, record: ObservationalMemoryRecord) -> list[tuple[str, dict[str, Any]]]:
        """Put the generation and its pointer, each only if its key is free."""
        actions = []
        for item in (pointer_item(record), record_item(record, rev=1)):
            check_item_size(item, what=f"observational memory record {record.id}")
            expr = Expr()
            condition = f"attribute_not_exists({expr.n('pk')})"
            actions.append(("Put", self.table.put_action(item, expr=expr, condition=condition)))
        return actions

    async def insert_om_record(self, record: ObservationalMemoryRecord) -> None:
        """One ``TransactWriteItems`` (pointer + generation, both ``attribute_not_exists``).
        Raises :class:`ConflictError`, writing nothing, when the id exists (or a record
        whose id differs only in case: keys are lower-cased)."""
        try:
            await self.table.transact(self._new_actions(record))
        except TransactionCancelled as exc:
            if exc.condition_failed:
                raise om_record_exists(record.id) from None
            raise

    async def list_om_records(
        self, lookup_key: str, limit: int | None
    ) -> list[ObservationalMemoryRecord]:
        """One strongly consistent ``Query`` of the memory's partition, newest first, with
        ``Limit = limit`` (continued only past items of a lookup key differing in case,
        which share the lower-cased partition). Reads only."""
        if limit is not None and limit <= 0:
            return []
        expr = Expr()
        condition = (
            f"{expr.n('pk')} = {expr.v(memory_partition(lookup_key))} AND "
            f"begins_with({expr.n('sk')}, {expr.v(sort_prefix(ENTITY, 'generationCount'))})"
        )
        exact = f"{expr.n('lookupKey')} = {expr.v(lookup_key)}"
        out: list[ObservationalMemoryRecord] = []
        async for items, _ in self.table.query_pages(
            key_condition=condition,
            expr=expr,
            filter=exact,
            forward=False,
            page_size=limit,
            consistent=True,
        ):
            out.extend(record_from_item(item) for item in items)
            if limit is not None and len(out) >= limit:
                return out[:limit]
        return out

    async def _current(self, record_id: str) -> Item | None:
        """The generation item with exactly this id: pointer ``GetItem``, then the
        generation's (both strongly consistent). A pointer whose generation is gone (an
        interrupted large delete) reads as absent."""
        pointer = await self.table.get(pointer_key(record_id))
        if pointer is None or pointer.get("id") != record_id:
            return None
        item = await self.table.get({"pk": pointer["recordPk"], "sk": pointer["recordSk"]})
        return item if item is not None and item.get("id") == record_id else None

    async def modify_om_record(
        self, record_id: str, mutate: OMMutation
    ) -> ObservationalMemoryRecord | None:
        """Optimistic read-modify-write: read (2 ``GetItem``), apply ``mutate``, write on
        condition that ``rev`` (and ``updatedAt``) are unchanged: one ``PutItem``, or one
        ``TransactWriteItems`` when a new generation is inserted too (or the record's key
        attributes changed). A lost race runs again (the adapter's ``WRITE_RETRY``), then
        :class:`ConflictError`; a new generation whose id exists raises
        :class:`ConflictError` at once, writing nothing."""

        async def attempt() -> ObservationalMemoryRecord | None:
            old = await self._current(record_id)
            if old is None:
                return None
            before = record_from_item(old)
            update = mutate(before)
            if update.record.id != record_id:
                raise ValidationError(
                    "a modification must keep the record's id",
                    id="MASTRA_STORAGE_MODIFY_OBSERVATIONAL_MEMORY_INVALID_ARGS",
                )
            if update.new_generation is None and update.record == before:
                return before
            item = record_item(update.record, rev=next_rev(old))
            check_item_size(item, what=f"observational memory record {record_id}")
            expr = Expr()
            guard = cas_condition(expr, old)
            moved = (item["pk"], item["sk"]) != (old["pk"], old["sk"])
            if update.new_generation is None and not moved:
                await self.table.put(item, expr=expr, condition=guard)
                return update.record
            actions: list[tuple[str, dict[str, Any]]] = []
            if moved:
                old_key = {"pk": old["pk"], "sk": old["sk"]}
                actions.append(
                    ("Delete", self.table.delete_action(old_key, expr=expr, condition=guard))
                )
                fresh = Expr()
                actions.append(
                    (
                        "Put",
                        self.table.put_action(
                            item, expr=fresh, condition=f"attribute_not_exists({fresh.n('pk')})"
                        ),
                    )
                )
                actions.append(("Put", self.table.put_action(pointer_item(update.record))))
            else:
                actions.append(("Put", self.table.put_action(item, expr=expr, condition=guard)))
            guarded = len(actions)
            if update.new_generation is not None:
                actions.extend(self._new_actions(update.new_generation))
            try:
                await self.table.transact(actions)
            except TransactionCancelled as exc:
                if any(i >= guarded for i in exc.condition_failed) and not any(
                    i < guarded for i in exc.condition_failed
                ):
                    assert update.new_generation is not None  # only its actions are past guarded
                    raise _IdTaken(update.new_generation.id) from None
                raise
            return update.record

        try:
            return await optimistic(
                self.table,
                [f"om:{record_id}"],
                attempt,
                what=f"update observational memory record {record_id}",
            )
        except _IdTaken as taken:
            raise om_record_exists(str(taken)) from None

    async def delete_om_records(self, lookup_key: str) -> None:
        """``Query`` the memory's partition (keys only), then one ``TransactWriteItems``
        per 50 generations deleting each generation with its pointer. Atomic for up to 50
        generations (any realistic memory: one generation per reflection); beyond, each
        transaction is, every generation goes with its pointer, and a repeated call
        finishes an interrupted one."""
        expr = Expr()
        condition = (
            f"{expr.n('pk')} = {expr.v(memory_partition(lookup_key))} AND "
            f"begins_with({expr.n('sk')}, {expr.v(sort_prefix(ENTITY, 'generationCount'))})"
        )
        items = await self.table.query_all(
            key_condition=condition,
            expr=expr,
            filter=f"{expr.n('lookupKey')} = {expr.v(lookup_key)}",
            projection=f"{expr.n('pk')}, {expr.n('sk')}, {expr.n('id')}",
            consistent=True,
        )
        for start in range(0, len(items), _DELETE_BATCH):
            actions: list[tuple[str, dict[str, Any]]] = []
            for item in items[start : start + _DELETE_BATCH]:
                actions.append(
                    ("Delete", self.table.delete_action({"pk": item["pk"], "sk": item["sk"]}))
                )
                actions.append(("Delete", self.table.delete_action(pointer_key(str(item["id"])))))
            await self.table.transact(actions)


__all__ = [
    "ENTITY",
    "POINTER",
    "DynamoObservationalMemory",
    "generation_key",
    "memory_partition",
    "pointer_key",
    "record_from_item",
    "record_item",
]
