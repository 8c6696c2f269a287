"""Memory domain on DynamoDB: threads, messages and resources as ElectroDB items.

Access paths (none scans except ``list_threads`` without a resource):

* a thread, message or resource: ``GetItem``/``BatchGetItem`` on its primary key;
* a resource's threads: ``Query`` on ``gsi1`` (``$mastra#entity_thread#resourceid_<r>``);
* a thread's messages: ``Query`` on ``gsi1`` (``$mastra#entity_message#threadid_<t>``),
  sorted by ``createdAt``. "Newest N" reads backwards with ``Limit`` and stops once the
  page (plus the rest of the boundary millisecond, for the ``seq`` tie-break) is in hand;
  ``total`` comes from a ``Select=COUNT`` query over the same range.

Writes that must be atomic use ``TransactWriteItems``. A batch beyond one transaction
(100 items or 4 MB) is written as consecutive transactions, each atomic; the first one
holds every thread check, so a missing thread still means nothing is written.
Read-modify-writes are optimistic (``updatedAt`` + ``rev`` conditions) and retried.

Keys are lower-cased (ElectroDB), so every write is conditioned on the exact id
(:mod:`.identity`): a thread, message or resource whose key holds a case twin is refused
with ``KeyCollisionError`` and nothing is written; reads compare the exact id.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from mastra_storage.domains.memory import (
    BaseMemoryStore,
    CloneBuilder,
    MessageMutation,
    MessageQuery,
    MessageQueryResult,
    ResourceMutation,
    StoredMessage,
    ThreadMutation,
    ThreadQuery,
    context_window,
    message_sort_key,
    thread_matches,
)
from mastra_storage.errors import ConflictError, NotFoundError, NotSupportedError
from mastra_storage.pagination import Cursor, ResolvedDateRange
from mastra_storage.records import Message, Resource, Thread
from mastra_storage.timeutil import from_epoch_ms, to_epoch_ms, to_iso

from . import items as conv
from . import keys
from .domain import DynamoDomain
from .identity import holds_other, key_collision, same_record_condition
from .resource_delete import DynamoResourceDelete
from .table import (
    ConditionFailed,
    DynamoTable,
    Expr,
    Item,
    TransactionCancelled,
    cas_condition,
    check_item_size,
    chunk_actions,
    next_rev,
)
from .transfer_scan import DynamoResourceScan

T = TypeVar("T")
Action = tuple[str, dict[str, Any]]
_CAS_ATTEMPTS = 12


async def optimistic(
    table: DynamoTable, locks: list[str], attempt: Callable[[], Awaitable[T]], *, what: str
) -> T:
    """Run a read-modify-write until its condition holds (bounded, with jittered backoff),
    holding this process's locks on ``locks`` (see :meth:`DynamoTable.locked`)."""
    for n in range(_CAS_ATTEMPTS):
        try:
            async with table.locked(*locks):
                return await attempt()
        except ConditionFailed:
            pass
        except TransactionCancelled as exc:
            if not exc.condition_failed and "TransactionConflict" not in exc.reasons:
                raise
        await asyncio.sleep(0.005 * 2 ** min(n, 6) * (1 + random.random()))
    raise ConflictError(
        f"{what}: the item kept changing under concurrent writers; giving up",
        id="MASTRA_STORAGE_DYNAMODB_WRITE_CONFLICT",
    )


def _stored(item: Item) -> StoredMessage:
    return StoredMessage(conv.message_from_item(item), conv.message_seq(item))


def _thread_bump(table_expr: Expr, now_iso: str) -> str:
    return (
        f"SET {table_expr.n('updatedAt')} = {table_expr.v(now_iso)} "
        f"ADD {table_expr.n('rev')} {table_expr.v(1)}"
    )


def _after(stored: StoredMessage, cursor: Cursor | None) -> bool:
    if cursor is None:
        return True
    key = (to_epoch_ms(stored.message.created_at), stored.seq)
    position = (cursor.key, cursor.tie)
    return key > position if cursor.direction == "ASC" else key < position


class DynamoMemoryStore(DynamoResourceDelete, DynamoResourceScan, DynamoDomain, BaseMemoryStore):
    entities = ("thread", "message", "resource")
    #: Mastra's layout has no message-by-resource index; answering it would need a scan.
    supports_resource_scoped_queries = False

    # ---- threads -------------------------------------------------------------------------

    async def _get_thread_item(self, thread_id: str) -> Item | None:
        item = await self._table.get(keys.thread_key(thread_id))
        # ElectroDB lower-cases key values: "T1" and "t1" share a key; trust only exact ids.
        return item if item is not None and item.get("id") == thread_id else None

    async def _get_thread(self, thread_id: str) -> Thread | None:
        item = await self._get_thread_item(thread_id)
        return None if item is None else conv.thread_from_item(item)

    async def _upsert_thread(self, thread: Thread) -> None:
        item = self.with_ttl("thread", conv.thread_item(thread))
        check_item_size(item, what=f"thread {thread.id}")
        expr = Expr()
        identity = {"id": thread.id}
        try:
            await self._table.put(item, expr=expr, condition=same_record_condition(expr, identity))
        except ConditionFailed:
            raise key_collision("thread", identity) from None

    async def _modify_thread(self, thread_id: str, mutate: ThreadMutation) -> Thread | None:
        async def attempt() -> Thread | None:
            old = await self._get_thread_item(thread_id)
            if old is None:
                return None
            updated = mutate(conv.thread_from_item(old))
            item = {**old, **conv.thread_item(updated), "rev": next_rev(old)}
            if updated.metadata is None:
                item.pop("metadata", None)
            self.with_ttl("thread", item)
            check_item_size(item, what=f"thread {thread_id}")
            expr = Expr()
            await self._table.put(item, expr=expr, condition=cas_condition(expr, old))
            return updated

        return await optimistic(
            self._table, [f"thread:{thread_id}"], attempt, what=f"update thread {thread_id}"
        )

    async def _delete_thread(self, thread_id: str) -> None:
        """One transaction deleting the messages read and the thread, on condition that the
        thread is unchanged since the read: every ``save_messages`` bumps the thread's
        ``rev`` in its own transaction, so a message appended between the read and the
        delete fails the condition and the delete starts over (it is never orphaned)."""

        async def attempt() -> None:
            thread, rows = await asyncio.gather(
                self._get_thread_item(thread_id),
                self._thread_message_items(thread_id, projection=True),
            )
            message_keys = [{"pk": i["pk"], "sk": i["sk"]} for i in rows]
            actions: list[Action] = [("Delete", self._table.delete_action(k)) for k in message_keys]
            if thread is not None:
                expr = Expr()
                condition = cas_condition(expr, thread)
                key = keys.thread_key(thread_id)
                actions.append(
                    ("Delete", self._table.delete_action(key, expr=expr, condition=condition))
                )
            if len(actions) <= 100:
                await self._table.transact(actions)
                return
            # Past one transaction: the thread first, so appends fail from then on, then
            # every message found after it. An interruption leaves messages without their
            # thread; repeating delete_thread removes them (it does not need the thread).
            if thread is not None:
                await self._table.batch_write(deletes=[keys.thread_key(thread_id)])
            rows = await self._thread_message_items(thread_id, projection=True)
            await self._table.batch_write(deletes=[{"pk": i["pk"], "sk": i["sk"]} for i in rows])

        await optimistic(self._table, [], attempt, what="deleteThread")

    async def _query_threads(self, query: ThreadQuery) -> tuple[list[Thread], int]:
        expr = Expr()
        if query.resource_id is not None:
            found = await self._table.query_all(
                index="gsi1",
                key_condition=(
                    f"{expr.n('gsi1pk')} = {expr.v(keys.thread_gsi1pk(query.resource_id))} AND "
                    f"begins_with({expr.n('gsi1sk')}, "
                    f"{expr.v(keys.sort_prefix('thread', 'createdAt'))})"
                ),
                filter=f"{expr.n('resourceId')} = {expr.v(query.resource_id)}",
                expr=expr,
            )
        else:
            found = await self._table.scan_all(
                filter=f"{expr.n('__edb_e__')} = {expr.v('thread')}", expr=expr
            )
        threads = [
            t
            for t in (conv.thread_from_item(i) for i in found)
            if thread_matches(t, query.resource_id, query.metadata)
        ]
        field = query.order.field

        def key(t: Thread) -> tuple[int, str]:
            return (to_epoch_ms(t.created_at if field == "created_at" else t.updated_at), t.id)

        threads.sort(key=key, reverse=query.order.descending)
        total = len(threads)
        if query.after is not None:
            position = (query.after.key, query.after.tie)
            threads = [
                t
                for t in threads
                if (key(t) > position if query.after.direction == "ASC" else key(t) < position)
            ]
        end = None if query.limit is None else query.offset + query.limit + 1
        return threads[query.offset : end], total

    # ---- message queries -----------------------------------------------------------------

    def _message_range(
        self,
        expr: Expr,
        thread_id: str,
        date_range: ResolvedDateRange | None,
        resource_id: str | None,
    ) -> dict[str, Any]:
        """Query arguments for a thread's messages within ``date_range`` (exact bounds)."""
        pk = f"{expr.n('gsi1pk')} = {expr.v(keys.message_gsi1pk(thread_id))}"
        sk = expr.n("gsi1sk")
        start = date_range.start if date_range else None
        end = date_range.end if date_range else None

        def bound(value: datetime) -> str:
            return expr.v(keys.created_sort_key("message", to_iso(value)))

        if start is not None and end is not None:
            condition = f"{pk} AND {sk} BETWEEN {bound(start)} AND {bound(end)}"
        elif start is not None:
            condition = f"{pk} AND {sk} >= {bound(start)}"
        elif end is not None:
            condition = f"{pk} AND {sk} <= {bound(end)}"
        else:
            prefix = expr.v(keys.sort_prefix("message", "createdAt"))
            condition = f"{pk} AND begins_with({sk}, {prefix})"
        filters = [f"{expr.n('threadId')} = {expr.v(thread_id)}"]
        if resource_id is not None:
            filters.append(f"{expr.n('resourceId')} = {expr.v(resource_id)}")
        if start is not None and date_range is not None and date_range.start_exclusive:
            filters.append(f"{expr.n('createdAt')} > {expr.v(to_iso(start))}")
        if end is not None and date_range is not None and date_range.end_exclusive:
            filters.append(f"{expr.n('createdAt')} < {expr.v(to_iso(end))}")
        return {
            "index": "gsi1",
            "key_condition": condition,
            "filter": " AND ".join(filters),
            "expr": expr,
        }

    async def _thread_message_items(
        self, thread_id: str, *, projection: bool = False
    ) -> list[Item]:
        expr = Expr()
        args = self._message_range(expr, thread_id, None, None)
        if projection:
            args["projection"] = ", ".join(expr.n(a) for a in ("pk", "sk", "id", "threadId"))
        return await self._table.query_all(**args)

    async def _thread_messages(self, thread_id: str) -> list[StoredMessage]:
        rows = [_stored(i) for i in await self._thread_message_items(thread_id)]
        return sorted(rows, key=message_sort_key)

    async def _query_messages(self, query: MessageQuery) -> MessageQueryResult:
        if query.thread_ids is None:
            raise NotSupportedError(
                "DynamoDBStore cannot list a resource's messages: Mastra's table layout has no "
                "message-by-resource index, and a table scan is not an acceptable query path. "
                "List the resource's threads, then their messages.",
                id="MASTRA_STORAGE_DYNAMODB_RESOURCE_SCOPED_NOT_SUPPORTED",
            )
        page: list[StoredMessage] = []
        total = 0
        if query.limit != 0:
            if len(query.thread_ids) == 1 and query.limit is not None:
                page, total = await self._newest_window(query, query.thread_ids[0])
            else:
                page, total = await self._full_window(query)
        included = await self._included(query)
        return MessageQueryResult(page=page, total=total, included=included)

    async def _full_window(self, query: MessageQuery) -> tuple[list[StoredMessage], int]:
        """Every matching message of every thread, ordered in memory (multi-thread or all)."""
        assert query.thread_ids is not None
        batches = await asyncio.gather(
            *(
                self._table.query_all(
                    **self._message_range(Expr(), t, query.date_range, query.resource_id)
                )
                for t in query.thread_ids
            )
        )
        rows = [_stored(i) for batch in batches for i in batch]
        rows.sort(key=message_sort_key, reverse=query.descending)
        total = len(rows) if query.count else 0
        rows = [r for r in rows if _after(r, query.after)]
        end = None if query.limit is None else query.offset + query.limit + 1
        return rows[query.offset : end], total

    async def _newest_window(
        self, query: MessageQuery, thread_id: str
    ) -> tuple[list[StoredMessage], int]:
        """One thread, bounded page: read in the requested direction and stop early.

        DynamoDB orders equal ``gsi1sk`` values arbitrarily, so after ``offset + limit + 1``
        rows the read continues to the end of the boundary millisecond and the ``seq``
        tie-break is applied in memory.
        """
        assert query.limit is not None
        need = query.offset + query.limit + 1
        date_range = query.date_range
        if query.after is not None:
            # Narrow the key range to the cursor's millisecond onwards (inclusive; the
            # seq part of the cursor is applied per row).
            at = from_epoch_ms(query.after.key)
            start, end = (date_range.start, date_range.end) if date_range else (None, None)
            if query.after.direction == "ASC":
                start = at if start is None or at > start else start
            else:
                end = at if end is None or at < end else end
            date_range = ResolvedDateRange(
                start=start,
                end=end,
                start_exclusive=bool(
                    date_range and date_range.start_exclusive and start == date_range.start
                ),
                end_exclusive=bool(
                    date_range and date_range.end_exclusive and end == date_range.end
                ),
            )
        count_task = (
            asyncio.ensure_future(
                self._table.query_count(
                    **self._message_range(Expr(), thread_id, query.date_range, query.resource_id)
                )
            )
            if query.count
            else None
        )
        rows: list[StoredMessage] = []
        boundary: str | None = None
        try:
            pages = self._table.query_pages(
                **self._message_range(Expr(), thread_id, date_range, query.resource_id),
                forward=not query.descending,
                page_size=min(need + 1, 1000),
            )
            done = False
            async for items, _ in pages:
                for item in items:
                    if boundary is not None and item.get("gsi1sk") != boundary:
                        done = True
                        break
                    stored = _stored(item)
                    if not _after(stored, query.after):
                        continue
                    rows.append(stored)
                    if boundary is None and len(rows) >= need:
                        boundary = item.get("gsi1sk")
                if done:
                    break
            total = await count_task if count_task is not None else 0
        finally:
            if count_task is not None and not count_task.done():
                count_task.cancel()
        rows.sort(key=message_sort_key, reverse=query.descending)
        return rows[query.offset : need], total

    async def _included(self, query: MessageQuery) -> list[StoredMessage]:
        if not query.include:
            return []
        targets = {
            i["id"]: i
            for i in await self._table.batch_get(
                [keys.message_key(spec.id) for spec in query.include]
            )
        }
        threads: dict[str, list[StoredMessage]] = {}
        out: list[StoredMessage] = []
        for spec in query.include:
            target = targets.get(spec.id)
            if target is None or not target.get("threadId"):
                continue
            if spec.with_previous_messages == 0 and spec.with_next_messages == 0:
                out.append(_stored(target))
                continue
            thread_id = target["threadId"]
            if thread_id not in threads:
                threads[thread_id] = await self._thread_messages(thread_id)
            out.extend(
                context_window(
                    threads[thread_id],
                    spec.id,
                    spec.with_previous_messages,
                    spec.with_next_messages,
                )
            )
        return out

    async def _message_items(
        self, message_ids: list[str], *, refuse_twins: bool = False
    ) -> dict[str, Item]:
        """The stored items of these exact ids. With ``refuse_twins``, a key holding a case
        twin of a wanted id raises :class:`KeyCollisionError` (the caller is about to write)."""
        found = await self._table.batch_get([keys.message_key(i) for i in message_ids])
        wanted = set(message_ids)
        if refuse_twins:
            by_key = {keys.message_key(i)["pk"]: i for i in message_ids}
            for item in found:
                asked = by_key.get(str(item.get("pk")))
                if asked is not None and item.get("id") not in wanted:
                    raise key_collision("message", {"id": asked})
        return {i["id"]: i for i in found if i.get("id") in wanted}

    async def _get_messages(self, message_ids: list[str]) -> list[StoredMessage]:
        return [_stored(i) for i in (await self._message_items(message_ids)).values()]

    # ---- message writes ------------------------------------------------------------------

    def _bump_action(self, thread_id: str, now_iso: str) -> Action:
        expr = Expr()
        return (
            "Update",
            self._table.update_action(
                keys.thread_key(thread_id),
                _thread_bump(expr, now_iso),
                expr,
                condition=(
                    f"attribute_exists({expr.n('pk')}) AND {expr.n('id')} = {expr.v(thread_id)}"
                ),
            ),
        )

    async def _run_chunks(
        self,
        head: list[tuple[str, dict[str, Any]]],
        body: list[tuple[tuple[str, dict[str, Any]], int]],
    ) -> None:
        """Thread checks/bumps (``head``) go in the first transaction with as many body
        actions as fit; the rest follow in further transactions."""
        actions = head + [a for a, _ in body]
        sizes = [512] * len(head) + [s for _, s in body]
        offset = 0
        for chunk in chunk_actions(actions, sizes):
            try:
                await self._table.transact(chunk)
            except TransactionCancelled as exc:
                # report reasons by position in ``head + body``, not in the chunk
                raise TransactionCancelled(["None"] * offset + exc.reasons) from exc
            offset += len(chunk)

    async def _save_messages(self, messages: list[Message], now: datetime) -> None:
        """Append fast, upsert correctly.

        First attempt: one transaction of thread bumps plus a ``Put`` per message guarded
        by ``attribute_not_exists`` (the append case: one round trip, no read). If some
        messages already exist, the retry reads them (``BatchGetItem``) and replaces each
        with a ``Put`` guarded by its ``updatedAt``/``rev``, keeping the stored
        ``createdAt``, ``seq`` and any attribute Mastra wrote that we do not model.
        """
        now_iso = to_iso(now)
        thread_ids = list(dict.fromkeys(m.thread_id for m in messages if m.thread_id))
        ids = [m.id for m in messages]
        planned = [
            (m, self.with_ttl("message", conv.message_item(m, seq=0, updated_at=now_iso)))
            for m in messages
        ]
        for message, item in planned:
            check_item_size(item, what=f"message {message.id}")
        read_first = False

        async def attempt() -> None:
            nonlocal read_first
            olds = await self._message_items(ids, refuse_twins=True) if read_first else {}
            body: list[tuple[Action, int]] = []
            for message, fresh in planned:
                old = olds.get(message.id)
                if old is None:
                    item = {**fresh, "seq": conv.next_seq()}
                else:
                    item = {
                        **old,
                        **fresh,
                        "createdAt": old.get("createdAt", fresh["createdAt"]),
                        "gsi1sk": old.get("gsi1sk", fresh["gsi1sk"]),
                        "seq": old["seq"] if "seq" in old else conv.next_seq(),
                        "rev": next_rev(old),
                    }
                size = check_item_size(item, what=f"message {message.id}")
                expr = Expr()
                action = self._table.put_action(item, expr=expr, condition=cas_condition(expr, old))
                body.append((("Put", action), size))
            head = [self._bump_action(t, now_iso) for t in thread_ids]
            try:
                await self._run_chunks(head, body)
            except TransactionCancelled as exc:
                failed = [i for i in exc.condition_failed if i < len(head)]
                if failed:
                    missing = thread_ids[failed[0]]
                    raise NotFoundError(
                        f"Thread {missing} not found",
                        id="MASTRA_STORAGE_SAVE_MESSAGES_THREAD_NOT_FOUND",
                        details={"thread_id": missing},
                    ) from None
                read_first = True  # some messages exist (or changed): read, then replace
                raise

        locks = [f"message:{i}" for i in ids]
        await optimistic(self._table, locks, attempt, what="save messages")

    async def _existing_threads(self, thread_ids: list[str]) -> set[str]:
        if not thread_ids:
            return set()
        found = await self._table.batch_get([keys.thread_key(t) for t in thread_ids])
        wanted = set(thread_ids)
        return {i["id"] for i in found if i.get("id") in wanted}

    async def _modify_messages(
        self, message_ids: list[str], mutate: MessageMutation, now: datetime
    ) -> list[Message]:
        now_iso = to_iso(now)

        async def attempt() -> list[Message]:
            olds = await self._message_items(message_ids)
            planned: list[tuple[Item, Message]] = []
            for message_id in message_ids:
                old = olds.get(message_id)
                if old is not None:
                    planned.append((old, mutate(conv.message_from_item(old))))
            if not planned:
                return []
            touched = list(
                dict.fromkeys(
                    t
                    for old, new in planned
                    for t in (old.get("threadId"), new.thread_id)
                    if isinstance(t, str) and t
                )
            )
            existing = await self._existing_threads(touched)
            for _, new in planned:
                if new.thread_id not in existing:
                    raise NotFoundError(
                        f"Thread {new.thread_id} not found",
                        id="MASTRA_STORAGE_UPDATE_MESSAGES_THREAD_NOT_FOUND",
                        details={"thread_id": new.thread_id},
                    )
            body = []
            for old, new in planned:
                item = {
                    **old,
                    **conv.message_fields(new),
                    "updatedAt": now_iso,
                    "rev": next_rev(old),
                }
                if new.type is None and "type" not in old:
                    # Like Mastra's update: an item stored without ``type`` keeps none.
                    item.pop("type", None)
                    item.pop("untyped", None)
                self.with_ttl("message", item)
                size = check_item_size(item, what=f"message {new.id}")
                expr = Expr()
                action = self._table.put_action(item, expr=expr, condition=cas_condition(expr, old))
                body.append((("Put", action), size))
            head = [self._bump_action(t, now_iso) for t in touched if t in existing]
            await self._run_chunks(head, body)
            return [new for _, new in planned]

        locks = [f"message:{i}" for i in message_ids]
        return await optimistic(self._table, locks, attempt, what="update messages")

    async def _delete_messages(self, message_ids: list[str], now: datetime) -> None:
        now_iso = to_iso(now)

        async def attempt() -> None:
            olds = await self._message_items(message_ids)
            if not olds:
                return
            touched = list(
                dict.fromkeys(t for i in olds.values() if isinstance(t := i.get("threadId"), str))
            )
            existing = await self._existing_threads(touched)
            head = [self._bump_action(t, now_iso) for t in touched if t in existing]
            body = [
                (("Delete", self._table.delete_action({"pk": i["pk"], "sk": i["sk"]})), 256)
                for i in olds.values()
            ]
            await self._run_chunks(head, body)

        locks = [f"message:{i}" for i in message_ids]
        await optimistic(self._table, locks, attempt, what="delete messages")

    # ---- resources -----------------------------------------------------------------------

    async def _get_resource_item(self, resource_id: str) -> Item | None:
        item = await self._table.get(keys.resource_key(resource_id))
        return item if item is not None and item.get("id") == resource_id else None

    async def _get_resource(self, resource_id: str) -> Resource | None:
        item = await self._get_resource_item(resource_id)
        return None if item is None else conv.resource_from_item(item)

    async def _upsert_resource(self, resource: Resource) -> None:
        item = self.with_ttl("resource", conv.resource_item(resource))
        check_item_size(item, what=f"resource {resource.id}")
        expr = Expr()
        identity = {"id": resource.id}
        try:
            await self._table.put(item, expr=expr, condition=same_record_condition(expr, identity))
        except ConditionFailed:
            raise key_collision("resource", identity) from None

    async def _modify_resource(self, resource_id: str, mutate: ResourceMutation) -> Resource:
        async def attempt() -> Resource:
            old = await self._table.get(keys.resource_key(resource_id))
            if holds_other(old, {"id": resource_id}):
                raise key_collision("resource", {"id": resource_id})
            updated = mutate(None if old is None else conv.resource_from_item(old))
            item = {**(old or {}), **conv.resource_item(updated), "rev": next_rev(old)}
            for name in ("workingMemory", "metadata"):
                if item.get(name) is None:
                    item.pop(name, None)
            self.with_ttl("resource", item)
            check_item_size(item, what=f"resource {resource_id}")
            expr = Expr()
            await self._table.put(item, expr=expr, condition=cas_condition(expr, old))
            return updated

        return await optimistic(
            self._table, [f"resource:{resource_id}"], attempt, what=f"update resource {resource_id}"
        )

    # ---- cloning -------------------------------------------------------------------------

    async def _clone_thread(
        self, source_thread_id: str, new_thread_id: str, build: CloneBuilder
    ) -> tuple[Thread, list[Message]] | None:
        source, target, rows = await asyncio.gather(
            self._get_thread(source_thread_id),
            self._table.get(keys.thread_key(new_thread_id)),
            self._thread_messages(source_thread_id),
        )
        if source is None:
            return None
        if holds_other(target, {"id": new_thread_id}):
            raise key_collision("thread", {"id": new_thread_id})
        if target is not None:
            raise ConflictError(
                f"Thread with id {new_thread_id} already exists",
                id="MASTRA_STORAGE_CLONE_THREAD_THREAD_EXISTS",
                details={"thread_id": new_thread_id},
            )
        thread, copies = build(source, [r.message for r in rows])
        thread_item = self.with_ttl("thread", conv.thread_item(thread))
        check_item_size(thread_item, what=f"thread {thread.id}")
        expr = Expr()
        head = [
            (
                "Put",
                self._table.put_action(
                    thread_item, expr=expr, condition=f"attribute_not_exists({expr.n('pk')})"
                ),
            )
        ]
        now_iso = to_iso(thread.updated_at)
        body = []
        for message in copies:
            item = self.with_ttl(
                "message", conv.message_item(message, seq=conv.next_seq(), updated_at=now_iso)
            )
            # Copies get fresh ids: their keys must be free (no twin, no same id).
            expr = Expr()
            action = self._table.put_action(
                item, expr=expr, condition=f"attribute_not_exists({expr.n('pk')})"
            )
            body.append((("Put", action), check_item_size(item, what="message")))
        try:
            await self._run_chunks(head, body)
        except TransactionCancelled as exc:
            if 0 in exc.condition_failed:
                raced = await self._table.get(keys.thread_key(new_thread_id))
                if holds_other(raced, {"id": new_thread_id}):
                    raise key_collision("thread", {"id": new_thread_id}) from None
                raise ConflictError(
                    f"Thread with id {new_thread_id} already exists",
                    id="MASTRA_STORAGE_CLONE_THREAD_THREAD_EXISTS",
                    details={"thread_id": new_thread_id},
                ) from None
            if exc.condition_failed:
                copy = copies[exc.condition_failed[0] - len(head)]
                raise key_collision("message", {"id": copy.id}) from None
            raise
        return thread, copies


__all__ = ["DynamoMemoryStore", "optimistic"]
