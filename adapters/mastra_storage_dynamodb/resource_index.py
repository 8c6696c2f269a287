"""The message-by-resource index this SDK maintains on ``gsi2``, its state item and backfill.

``@mastra/dynamodb`` indexes messages by thread only (``gsi1``). Every message this adapter
writes also carries ``gsi2pk = $mastra_storage#resource_messages#<resourceId>`` (the id
exact, not lower-cased) and ``gsi2sk = <createdAt ms, fixed width>#<seq, 20 digits>``,
written in the same ``PutItem``/transaction as the message, so one ``Query`` on ``gsi2``
lists a resource's messages in ``(createdAt, seq)`` order. ``gsi2`` is free for messages
(Mastra uses it for workflow runs and scores, under other partition keys).

Messages a Mastra app writes lack these attributes (and a Mastra update that moves a
message to another resource leaves them stale). So the index is only trusted once the
table's state item (``pk = $mastra_storage#resource_index``, ``sk = state``) says it is
complete: :func:`~.schema.create_table` marks a table it creates complete (it is empty),
and :func:`backfill_resource_index` marks it complete when a full pass ends. Until then a
resource-scoped query raises :class:`ResourceIndexIncompleteError` instead of silently
missing messages. Queries also check each entry's ``resourceId``, so a stale entry is
never returned under the wrong resource.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import msgspec

from mastra_storage.errors import ConfigurationError, ValidationError
from mastra_storage.timeutil import parse_iso, to_epoch_ms, to_iso, utc_now

from .errors import ConditionFailed
from .observability import time_key
from .table import DynamoTable, Expr, Item

INDEX = "gsi2"
PREFIX = "$mastra_storage#resource_messages#"
STATE_KEY = {"pk": "$mastra_storage#resource_index", "sk": "state"}
_SEQ_WIDTH = 20
#: Conditional updates of one backfill page in flight at once.
_WRITE_CONCURRENCY = 8


class ResourceIndexIncompleteError(ConfigurationError):
    """The table may hold messages outside the resource index (written by a Mastra app
    before the index was backfilled); run ``mastra-storage dynamodb
    backfill-resource-index TABLE``."""


def resource_pk(resource_id: str) -> str:
    return PREFIX + resource_id


def resource_sk(ms: int, seq: int) -> str:
    return f"{time_key(ms)}#{max(seq, 0):0{_SEQ_WIDTH}d}"


def index_fields(item: Mapping[str, Any]) -> dict[str, str | None]:
    """The ``gsi2pk``/``gsi2sk`` a message item should carry (``None``: none, for a
    message without a resource)."""
    resource_id = item.get("resourceId")
    created = item.get("createdAt")
    if not isinstance(resource_id, str) or not resource_id or not isinstance(created, str):
        return {"gsi2pk": None, "gsi2sk": None}
    seq = item.get("seq")
    seq_value = int(seq) if isinstance(seq, (int, float)) else 0
    return {
        "gsi2pk": resource_pk(resource_id),
        "gsi2sk": resource_sk(to_epoch_ms(parse_iso(created)), seq_value),
    }


def with_index(item: Item) -> Item:
    """``item`` (a message about to be put whole) with its index attributes set or
    removed (``None`` attributes are not written)."""
    item.update(index_fields(item))
    return item


# ---- state ----------------------------------------------------------------------------------


class IndexState(msgspec.Struct, kw_only=True):
    """The state item: whether the index covers every message, and a running backfill's
    checkpoint (the scan position after the last page it finished)."""

    complete: bool = False
    completed_at: str | None = None
    position: str | None = None
    messages: int = 0
    updated: int = 0


async def read_state(table: DynamoTable) -> IndexState:
    item = await table.get(STATE_KEY)
    if item is None:
        return IndexState()
    return IndexState(
        complete=item.get("complete") is True,
        completed_at=item.get("completedAt"),
        position=item.get("position"),
        messages=int(item.get("messages") or 0),
        updated=int(item.get("updated") or 0),
    )


async def write_state(table: DynamoTable, state: IndexState) -> None:
    await table.put(
        {
            **STATE_KEY,
            "entity": "mastra_storage_state",
            "complete": state.complete,
            "completedAt": state.completed_at,
            "position": state.position,
            "messages": state.messages,
            "updated": state.updated,
        }
    )


async def mark_complete(table: DynamoTable) -> None:
    """Record that every message is indexed (a new, empty table; a finished backfill)."""
    await write_state(table, IndexState(complete=True, completed_at=to_iso(utc_now())))


# ---- backfill -------------------------------------------------------------------------------


class BackfillReport(msgspec.Struct, kw_only=True):
    """What one :func:`backfill_resource_index` call did (this call only, not the earlier
    runs it resumed), what DynamoDB reported it cost, and whether the pass is finished."""

    pages: int = 0
    messages: int = 0
    updated: int = 0
    skipped: int = 0
    requests: int = 0
    read_units: float = 0.0
    write_units: float = 0.0
    seconds: float = 0.0
    done: bool = False
    resumed: bool = False


def _positive(name: str, value: int | float | None) -> None:
    if value is not None and (isinstance(value, bool) or value <= 0):
        raise ValidationError(
            f"backfill-resource-index: {name} must be positive, got {value!r}",
            id="MASTRA_STORAGE_DYNAMODB_INVALID_BACKFILL_OPTION",
        )


async def _index_one(table: DynamoTable, item: Item) -> bool:
    """Set one message's index attributes, on condition that the attributes they derive
    from are unchanged since the scan (a concurrent writer wins; ours index it
    themselves). Returns whether it wrote."""
    fields = index_fields(item)
    expr = Expr()
    guard = [f"attribute_exists({expr.n('pk')})"]
    for name in ("resourceId", "createdAt", "seq"):
        if name in item:
            guard.append(f"{expr.n(name)} = {expr.v(item[name])}")
        else:
            guard.append(f"attribute_not_exists({expr.n(name)})")
    if fields["gsi2pk"] is None:
        update = f"REMOVE {expr.n('gsi2pk')}, {expr.n('gsi2sk')}"
    else:
        update = (
            f"SET {expr.n('gsi2pk')} = {expr.v(fields['gsi2pk'])}, "
            f"{expr.n('gsi2sk')} = {expr.v(fields['gsi2sk'])}"
        )
    try:
        await table.update(
            {"pk": item["pk"], "sk": item["sk"]}, update, expr, condition=" AND ".join(guard)
        )
    except ConditionFailed:
        return False
    return True


async def backfill_resource_index(
    table: DynamoTable,
    *,
    batch: int = 100,
    max_items: int | None = None,
    max_writes_per_second: float | None = None,
    restart: bool = False,
) -> BackfillReport:
    """Index every message that lacks (or has a stale) resource-index entry: a paged,
    filtered ``Scan`` of the message items, then one conditional ``UpdateItem`` per
    message to fix (at most 8 in flight).

    Resumable: after each page the scan position is saved in the state item, and a later
    call continues from there (``restart`` starts a new pass). Bounded: ``max_items``
    stops after the page that reaches that many messages, ``max_writes_per_second``
    paces the updates. Idempotent: a message already indexed is not written again; each
    update is conditioned on the message being unchanged since the scan. When a pass
    reaches the end of the table the state item records the index as complete.
    Not atomic as a whole (each message's update is).
    """
    _positive("batch", batch)
    _positive("max_items", max_items)
    _positive("max_writes_per_second", max_writes_per_second)
    if batch > 1000:
        raise ValidationError(
            "backfill-resource-index: batch is at most 1000",
            id="MASTRA_STORAGE_DYNAMODB_INVALID_BACKFILL_OPTION",
        )
    meter = table.capacity
    start = (meter.requests, meter.read_units, meter.write_units)
    began = time.monotonic()
    state = await read_state(table)
    report = BackfillReport(resumed=state.position is not None and not restart)
    position = None if restart else state.position
    if restart or state.position is None:
        state.messages = state.updated = 0
    gate = asyncio.Semaphore(_WRITE_CONCURRENCY)

    async def fix(item: Item) -> bool:
        async with gate:
            return await _index_one(table, item)

    while True:
        expr = Expr()
        entity = f"{expr.n('__edb_e__')} = {expr.v('message')}"
        found, position = await table.scan_page(
            filter=entity, expr=expr, position=position, limit=batch
        )
        report.pages += 1
        report.messages += len(found)
        stale = [i for i in found if {k: i.get(k) for k in ("gsi2pk", "gsi2sk")} != index_fields(i)]
        written = sum(await asyncio.gather(*(fix(i) for i in stale)))
        report.updated += written
        report.skipped += len(stale) - written
        state.messages += len(found)
        state.updated += written
        if position is None:
            state.position = None
            state.complete = True
            state.completed_at = to_iso(utc_now())
            await write_state(table, state)
            report.done = True
            break
        state.position = position
        await write_state(table, state)
        if max_writes_per_second is not None and written:
            # Pace the whole run: sleep until the writes so far fit the rate.
            ahead = report.updated / max_writes_per_second - (time.monotonic() - began)
            if ahead > 0:
                await asyncio.sleep(ahead)
        if max_items is not None and report.messages >= max_items:
            break
    report.requests = meter.requests - start[0]
    report.read_units = meter.read_units - start[1]
    report.write_units = meter.write_units - start[2]
    report.seconds = time.monotonic() - began
    return report


__all__ = [
    "INDEX",
    "STATE_KEY",
    "BackfillReport",
    "IndexState",
    "ResourceIndexIncompleteError",
    "backfill_resource_index",
    "index_fields",
    "mark_complete",
    "read_state",
    "resource_pk",
    "resource_sk",
    "with_index",
    "write_state",
]
