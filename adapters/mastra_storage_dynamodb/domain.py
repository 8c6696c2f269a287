"""What every DynamoDB backend shares: the table handle, TTL, and clearing its entities."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, ClassVar, TypeVar

from mastra_storage.backend.paging import PageKey, PageRequest, run_page

from .config import EntityTtl, ttl_fields
from .errors import ConditionFailed
from .identity import Identity, key_collision, same_record_condition
from .table import DynamoTable, Expr, Item, check_item_size

T = TypeVar("T")


class DynamoBackendBase:
    """The table and TTL settings of one domain's backend; listed *before* the contract's
    base class, so :meth:`dangerously_clear_all` implements it.

    ``entities`` lists the ElectroDB entities ``dangerously_clear_all`` removes.
    """

    entities: ClassVar[tuple[str, ...]] = ()

    def __init__(self, table: DynamoTable, ttl: Mapping[str, EntityTtl]) -> None:
        self.table = table
        self.ttl = dict(ttl)

    def with_ttl(self, entity: str, item: dict[str, Any]) -> dict[str, Any]:
        """``item`` plus the TTL attribute when TTL is enabled for ``entity``."""
        item.update(ttl_fields(self.ttl, entity))
        return item

    async def get_own(self, key: Mapping[str, str], record_id: str) -> Item | None:
        """The item under ``key`` (one consistent ``GetItem``) when it is the record
        ``record_id`` itself, else ``None``."""
        item = await self.table.get(key)
        # ElectroDB lower-cases key values: "T1" and "t1" share a key; trust only exact ids.
        return item if item is not None and item.get("id") == record_id else None

    async def put_record(self, kind: str, item: dict[str, Any], record_id: str) -> None:
        """:meth:`put_own` of the record ``record_id`` of entity ``kind``, with its TTL
        attribute, after checking the item's size (``ItemTooLargeError``; nothing written)."""
        self.with_ttl(kind, item)
        check_item_size(item, what=f"{kind} {record_id}")
        await self.put_own(kind, item, {"id": record_id})

    async def put_own(self, kind: str, item: Item, identity: Identity) -> None:
        """Create ``item`` or replace the record with exactly this ``identity`` in one
        conditional ``PutItem`` (atomic). A case twin under the lower-cased key raises
        :class:`~mastra_storage.errors.KeyCollisionError` naming ``kind``; nothing is
        written."""
        expr = Expr()
        try:
            await self.table.put(item, expr=expr, condition=same_record_condition(expr, identity))
        except ConditionFailed:
            raise key_collision(kind, identity) from None

    async def query_prefix(
        self,
        partition: tuple[str, str],
        sort_prefix: tuple[str, str],
        *,
        index: str | None = None,
        equal: Mapping[str, Any] | None = None,
    ) -> list[Item]:
        """Every item of one partition (``(key attribute, value)``, of the table or of
        ``index``) whose sort key begins with ``sort_prefix`` (``(attribute, prefix)``),
        kept only where each ``equal`` attribute has exactly that value (keys are
        lower-cased, so a case twin shares the partition). All pages, read in turn."""
        expr = Expr()
        (pk, pk_value), (sk, prefix) = partition, sort_prefix
        args: dict[str, Any] = {
            "key_condition": (
                f"{expr.n(pk)} = {expr.v(pk_value)} AND begins_with({expr.n(sk)}, {expr.v(prefix)})"
            ),
            "expr": expr,
        }
        if index is not None:
            args["index"] = index
        if equal:
            args["filter"] = " AND ".join(
                f"{expr.n(name)} = {expr.v(value)}" for name, value in equal.items()
            )
        return await self.table.query_all(**args)

    async def scan_all_of(self, entity: str) -> list[Item]:
        """Every item of ``entity`` (a filtered full-table ``Scan``): listings with no
        partition to read."""
        expr = Expr()
        return await self.table.scan_all(
            filter=f"{expr.n('__edb_e__')} = {expr.v(entity)}", expr=expr
        )

    @contextlib.asynccontextmanager
    async def counting(
        self, counted: Mapping[str, Any] | None
    ) -> AsyncIterator[Callable[[], Awaitable[int]]]:
        """Start the ``COUNT`` ``Query`` of ``counted`` (``query_count`` arguments;
        ``None``: no count, total 0) so it runs while the block reads its page; the block
        awaits the total through the callable it gets. Leaving the block early (an error)
        cancels the count."""
        task = (
            asyncio.ensure_future(self.table.query_count(**counted))
            if counted is not None
            else None
        )

        async def total() -> int:
            return 0 if task is None else await task

        try:
            yield total
        finally:
            if task is not None and not task.done():
                task.cancel()

    async def read_range(
        self,
        ranged: Mapping[str, Any] | None,
        counted: Mapping[str, Any] | None,
        page: PageRequest,
        *,
        key: Callable[[T], PageKey],
        descending: bool,
        decode: Callable[[Item], T | None],
        min_page_size: int = 0,
    ) -> tuple[list[T], int]:
        """One page under the paging contract from one ``Query`` range (``ranged``:
        ``query_pages`` arguments that start at the cursor's own row, inclusive; ``None``:
        an empty range), walked in the listing's direction only as far as the page needs,
        items ``decode`` maps to ``None`` skipped, then cut by :func:`run_page`; and, read
        at the same time, the ``COUNT`` of ``counted`` (``None``: 0). The count stops
        with the read when the read fails. ``min_page_size``: the smallest ``Limit`` per
        call (DynamoDB applies it before the filter, so a filtered range wants more)."""
        # The cursor's own row is read again (inclusive bound) and dropped by run_page.
        need = (
            None if page.limit is None else page.offset + page.limit + 1 + (page.after is not None)
        )
        page_size = None if need is None else min(max(need, min_page_size), 1000)
        rows: list[T] = []
        async with self.counting(counted) as total_of:
            if ranged is not None:
                async for items, _ in self.table.query_pages(
                    **ranged, forward=not descending, page_size=page_size
                ):
                    rows.extend(r for r in map(decode, items) if r is not None)
                    if need is not None and len(rows) >= need:
                        break
            total = await total_of()
        cut, _ = run_page(
            rows,
            key=key,
            descending=descending,
            after=page.after,
            offset=page.offset,
            limit=page.limit,
            count=False,
        )
        return cut, total

    async def dangerously_clear_all(self) -> None:
        """Scan for this domain's entities and delete them in batches of 25 (tests only;
        not atomic)."""
        expr = Expr()
        names = ", ".join(expr.v(e) for e in self.entities)
        items = await self.table.scan_all(filter=f"{expr.n('__edb_e__')} IN ({names})", expr=expr)
        await self.table.batch_write(deletes=[{"pk": i["pk"], "sk": i["sk"]} for i in items])

    async def scan_entity(
        self, entity: str, position: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of every item of ``entity`` (a filtered table ``Scan``) and the next
        position: the copy/export walk for entities without an index over all of them."""
        expr = Expr()
        return await self.table.scan_page(
            filter=f"{expr.n('__edb_e__')} = {expr.v(entity)}",
            expr=expr,
            position=position,
            limit=limit,
        )


__all__ = ["DynamoBackendBase"]
