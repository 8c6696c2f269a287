"""Memory domain on DynamoDB: threads, messages and resources as ElectroDB items.

Access paths (none scans except ``list_threads`` without a resource, and
``scan_resources``, which copy and export use):

* a thread, message or resource: ``GetItem``/``BatchGetItem`` on its primary key;
* a resource's threads: ``Query`` on ``gsi1`` (``$mastra#entity_thread#resourceid_<r>``);
* a thread's messages: ``Query`` on ``gsi1`` (``$mastra#entity_message#threadid_<t>``),
  sorted by ``createdAt``. "Newest N" reads backwards with ``Limit`` and stops once the
  page (plus the rest of the boundary millisecond, for the ``seq`` tie-break) is in hand;
  ``total`` comes from a ``Select=COUNT`` query over the same range.

Writes that must be atomic use ``TransactWriteItems``. A batch beyond one transaction
(100 items or 4 MB) is written as consecutive transactions, each atomic; the first one
holds every thread check, so a missing thread still means nothing is written.
Read-modify-writes are optimistic (``updatedAt`` + ``rev`` conditions) and retried
(:mod:`.optimistic`).

Keys are lower-cased (ElectroDB), so every write is conditioned on the exact id
(:mod:`.identity`): a thread, message or resource whose key holds a case twin is refused
with ``KeyCollisionError`` and nothing is written; reads compare the exact id.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from mastra_storage.backend.memory import (
    CloneBuilder,
    MemoryBackend,
    MessageMutation,
    MessageQuery,
    MessageQueryResult,
    ResourceMutation,
    StoredMessage,
    ThreadMutation,
    ThreadQuery,
    context_window,
    message_sort_key,
    stored_message_key,
)
from mastra_storage.backend.paging import is_after, run_page
from mastra_storage.errors import ConflictError, NotFoundError, ValidationError
from mastra_storage.pagination import Cursor, ResolvedDateRange
from mastra_storage.records import Message, Resource, Thread
from mastra_storage.timeutil import from_epoch_ms, to_iso

from . import items as conv
from . import keys
from .domain import DynamoBackendBase
from .errors import ConditionFailed, TransactionCancelled
from .identity import holds_other, key_collision
from .observability import time_key_condition
from .observational_memory import ENTITY as OM_ENTITY
from .observational_memory import POINTER, DynamoObservationalMemory
from .optimistic import optimistic
from .resource_index import (
    INDEX as RESOURCE_INDEX,
)
from .resource_index import (
    ResourceIndexIncompleteError,
    read_state,
    resource_pk,
    resource_sk,
    with_index,
)
from .table import Expr, Item, cas_condition, check_item_size, chunk_actions, next_rev

Action = tuple[str, dict[str, Any]]


def _stored(item: Item) -> StoredMessage:
    return StoredMessage(conv.message_from_item(item), conv.message_seq(item))


def _thread_bump(table_expr: Expr, now_iso: str) -> str:
    return (
        f"SET {table_expr.n('updatedAt')} = {table_expr.v(now_iso)} "
        f"ADD {table_expr.n('rev')} {table_expr.v(1)}"
    )


class DynamoMemoryBackend(DynamoBackendBase, DynamoObservationalMemory, MemoryBackend):
    """Threads, messages and resources as ElectroDB items in the shared table.

    Capabilities: ``scan_resources``, ``delete_resource`` and ``query_resource_messages``
    (through the message-by-resource index this SDK maintains on ``gsi2``:
    :mod:`.resource_index`).
    """

    entities = ("thread", "message", "resource", OM_ENTITY, POINTER)
    #: Set once the table's state item says the resource index is complete (it stays so:
    #: only a Mastra app's later writes escape it, and those the backfill catches).
    _resource_index_complete = False

    # ---- threads -------------------------------------------------------------------------

    async def _get_thread_item(self, thread_id: str) -> Item | None:
        return await self.get_own(keys.thread_key(thread_id), thread_id)

    async def get_thread(self, thread_id: str) -> Thread | None:
        """One consistent ``GetItem``; an item of a case twin is not this thread."""
        item = await self._get_thread_item(thread_id)
        return None if item is None else conv.thread_from_item(item)

    async def upsert_thread(self, thread: Thread) -> None:
        """One conditional ``PutItem`` (atomic); a case twin under the key raises
        ``KeyCollisionError`` and nothing is written."""
        await self.put_record("thread", conv.thread_item(thread), thread.id)

    async def modify_thread(self, thread_id: str, mutate: ThreadMutation) -> Thread | None:
        """Optimistic read-modify-write (``updatedAt`` + ``rev`` condition), retried while
        other writers win; ``ConflictError`` once the retry budget is spent."""

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
            await self.table.put(item, expr=expr, condition=cas_condition(expr, old))
            return updated

        return await optimistic(
            self.table, [f"thread:{thread_id}"], attempt, what=f"update thread {thread_id}"
        )

    async def delete_thread(self, thread_id: str) -> None:
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
            actions: list[Action] = [("Delete", self.table.delete_action(k)) for k in message_keys]
            if thread is not None:
                expr = Expr()
                condition = cas_condition(expr, thread)
                key = keys.thread_key(thread_id)
                actions.append(
                    ("Delete", self.table.delete_action(key, expr=expr, condition=condition))
                )
            if len(actions) <= 100:
                await self.table.transact(actions)
                return
            # Past one transaction: the thread first, so appends fail from then on, then
            # every message found after it. An interruption leaves messages without their
            # thread; repeating delete_thread removes them (it does not need the thread).
            if thread is not None:
                await self.table.batch_write(deletes=[keys.thread_key(thread_id)])
            rows = await self._thread_message_items(thread_id, projection=True)
            await self.table.batch_write(deletes=[{"pk": i["pk"], "sk": i["sk"]} for i in rows])

        await optimistic(self.table, [], attempt, what="deleteThread")

    async def query_threads(self, query: ThreadQuery) -> tuple[list[Thread], int]:
        """A resource's threads through ``gsi1`` (without a resource: a table scan), then
        filtered, ordered and paged in memory by the core's reference executor."""
        expr = Expr()
        if query.resource_id is not None:
            found = await self.table.query_all(
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
            found = await self.table.scan_all(
                filter=f"{expr.n('__edb_e__')} = {expr.v('thread')}", expr=expr
            )
        return query.execute(map(conv.thread_from_item, found))

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
        return await self.table.query_all(**args)

    async def _thread_messages(self, thread_id: str) -> list[StoredMessage]:
        rows = [_stored(i) for i in await self._thread_message_items(thread_id)]
        return sorted(rows, key=message_sort_key)

    async def query_messages(self, query: MessageQuery) -> MessageQueryResult:
        """One thread with a page size: read from the requested end and stop early;
        several threads or no limit: read every match and page it in memory. Include
        windows read their target's thread."""
        assert query.thread_ids is not None, "the core sends only thread-scoped queries here"
        page: list[StoredMessage] = []
        total = 0
        if query.limit != 0:
            if len(query.thread_ids) == 1 and query.limit is not None:
                page, total = await self._newest_window(query, query.thread_ids[0])
            else:
                page, total = await self._full_window(query)
        included = await self._included(query)
        return MessageQueryResult(page=page, total=total, included=included)

    async def query_resource_messages(self, query: MessageQuery) -> MessageQueryResult:
        """Every message of ``query.resource_id`` through the resource index (``gsi2``,
        ordered by ``(createdAt, seq)``): a bounded page reads from the requested end (or
        the cursor) and stops after ``offset + limit + 1`` rows; ``total`` is one
        ``Select=COUNT`` query over the same range. Raises
        :class:`ResourceIndexIncompleteError` while the table's index is not known to be
        complete (messages a Mastra app wrote would be missing: run the backfill)."""
        assert query.resource_id is not None, "the core sends resource-scoped queries here"
        await self._require_resource_index()
        page: list[StoredMessage] = []
        total = 0
        if query.limit != 0:
            page, total = await self._resource_window(query, query.resource_id)
        included = await self._included(query)
        return MessageQueryResult(page=page, total=total, included=included)

    async def _require_resource_index(self) -> None:
        if self._resource_index_complete:
            return
        if not (await read_state(self.table)).complete:
            raise ResourceIndexIncompleteError(
                f"DynamoDB table {self.table.name!r}: the message-by-resource index has not "
                "been backfilled, so messages written by a Mastra app would be missing from "
                "resource-scoped queries. Run `mastra-storage dynamodb "
                f"backfill-resource-index {self.table.name}` once (resumable).",
                id="MASTRA_STORAGE_DYNAMODB_RESOURCE_INDEX_INCOMPLETE",
                details={"table": self.table.name},
            )
        self._resource_index_complete = True

    def _resource_range(
        self,
        resource_id: str,
        date_range: ResolvedDateRange | None,
        after: Cursor | None,
        descending: bool,
    ) -> dict[str, Any] | None:
        """Query arguments for a resource's messages in ``date_range`` from the cursor's
        row on (inclusive: the caller drops it); ``None`` when the range is empty."""
        at: str | None = None
        if after is not None:
            if isinstance(after.tie, bool) or not isinstance(after.tie, int):
                raise ValidationError(
                    "invalid cursor for this store", id="MASTRA_STORAGE_INVALID_CURSOR"
                )
            at = resource_sk(after.key, after.tie)
        expr = Expr()
        condition = time_key_condition(
            expr,
            RESOURCE_INDEX,
            resource_pk(resource_id),
            date_range,
            at=at,
            descending=descending,
        )
        if condition is None:
            return None
        return {
            "index": RESOURCE_INDEX,
            "key_condition": condition,
            # A Mastra update may have moved the message to another resource since it
            # was indexed: trust the attribute, not the stale entry.
            "filter": f"{expr.n('resourceId')} = {expr.v(resource_id)}",
            "expr": expr,
        }

    async def _resource_window(
        self, query: MessageQuery, resource_id: str
    ) -> tuple[list[StoredMessage], int]:
        descending = query.descending
        ranged = self._resource_range(resource_id, query.date_range, query.after, descending)
        counted = (
            self._resource_range(resource_id, query.date_range, None, descending)
            if query.count
            else None
        )
        return await self.read_range(
            ranged,
            counted,
            query,
            key=stored_message_key,
            descending=descending,
            decode=_stored,
        )

    async def _full_window(self, query: MessageQuery) -> tuple[list[StoredMessage], int]:
        """Every matching message of every thread, ordered in memory (multi-thread or all)."""
        assert query.thread_ids is not None
        batches = await asyncio.gather(
            *(
                self.table.query_all(
                    **self._message_range(Expr(), t, query.date_range, query.resource_id)
                )
                for t in query.thread_ids
            )
        )
        return query.execute_page(_stored(i) for batch in batches for i in batch)

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
            if not query.descending:
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
        counted = (
            self._message_range(Expr(), thread_id, query.date_range, query.resource_id)
            if query.count
            else None
        )
        rows: list[StoredMessage] = []
        boundary: str | None = None
        async with self.counting(counted) as total_of:
            pages = self.table.query_pages(
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
                    if not is_after(
                        stored_message_key(stored), query.after, descending=query.descending
                    ):
                        continue
                    rows.append(stored)
                    if boundary is None and len(rows) >= need:
                        boundary = item.get("gsi1sk")
                if done:
                    break
            total = await total_of()
        # ``rows`` are past the cursor already and counted separately: order, then slice.
        page, _ = run_page(
            rows,
            key=stored_message_key,
            descending=query.descending,
            after=None,
            offset=query.offset,
            limit=query.limit,
            count=False,
        )
        return page, total

    async def _included(self, query: MessageQuery) -> list[StoredMessage]:
        if not query.include:
            return []
        targets = {
            i["id"]: i
            for i in await self.table.batch_get(
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
        found = await self.table.batch_get([keys.message_key(i) for i in message_ids])
        wanted = set(message_ids)
        if refuse_twins:
            by_key = {keys.message_key(i)["pk"]: i for i in message_ids}
            for item in found:
                asked = by_key.get(str(item.get("pk")))
                if asked is not None and item.get("id") not in wanted:
                    raise key_collision("message", {"id": asked})
        return {i["id"]: i for i in found if i.get("id") in wanted}

    async def get_messages(self, message_ids: list[str]) -> list[StoredMessage]:
        """``BatchGetItem`` of the exact ids (case twins are not returned)."""
        return [_stored(i) for i in (await self._message_items(message_ids)).values()]

    # ---- message writes ------------------------------------------------------------------

    def _bump_action(self, thread_id: str, now_iso: str) -> Action:
        expr = Expr()
        return (
            "Update",
            self.table.update_action(
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
                await self.table.transact(chunk)
            except TransactionCancelled as exc:
                # report reasons by position in ``head + body``, not in the chunk
                raise TransactionCancelled(["None"] * offset + exc.reasons) from exc
            offset += len(chunk)

    async def save_messages(self, messages: list[Message], now: datetime) -> None:
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
                with_index(item)
                size = check_item_size(item, what=f"message {message.id}")
                expr = Expr()
                action = self.table.put_action(item, expr=expr, condition=cas_condition(expr, old))
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
        await optimistic(self.table, locks, attempt, what="save messages")

    async def _existing_threads(self, thread_ids: list[str]) -> set[str]:
        if not thread_ids:
            return set()
        found = await self.table.batch_get([keys.thread_key(t) for t in thread_ids])
        wanted = set(thread_ids)
        return {i["id"] for i in found if i.get("id") in wanted}

    async def modify_messages(
        self, message_ids: list[str], mutate: MessageMutation, now: datetime
    ) -> list[Message]:
        """Read the messages, then write every update and the thread bumps in one
        transaction per 100 items (the first holds the bumps), each ``Put`` conditioned on
        the item read; retried while other writers win. A move to a missing thread raises
        ``NotFoundError`` before anything is written."""
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
                self.with_ttl("message", with_index(item))
                size = check_item_size(item, what=f"message {new.id}")
                expr = Expr()
                action = self.table.put_action(item, expr=expr, condition=cas_condition(expr, old))
                body.append((("Put", action), size))
            head = [self._bump_action(t, now_iso) for t in touched if t in existing]
            await self._run_chunks(head, body)
            return [new for _, new in planned]

        locks = [f"message:{i}" for i in message_ids]
        return await optimistic(self.table, locks, attempt, what="update messages")

    async def delete_messages(self, message_ids: list[str], now: datetime) -> None:
        """Delete the messages and bump their threads in one transaction per 100 items
        (the first holds the bumps); unknown ids are ignored."""
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
                (("Delete", self.table.delete_action({"pk": i["pk"], "sk": i["sk"]})), 256)
                for i in olds.values()
            ]
            await self._run_chunks(head, body)

        locks = [f"message:{i}" for i in message_ids]
        await optimistic(self.table, locks, attempt, what="delete messages")

    # ---- resources -----------------------------------------------------------------------

    async def _get_resource_item(self, resource_id: str) -> Item | None:
        return await self.get_own(keys.resource_key(resource_id), resource_id)

    async def get_resource(self, resource_id: str) -> Resource | None:
        """One consistent ``GetItem``; an item of a case twin is not this resource."""
        item = await self._get_resource_item(resource_id)
        return None if item is None else conv.resource_from_item(item)

    async def upsert_resource(self, resource: Resource) -> None:
        """One conditional ``PutItem`` (atomic); a case twin under the key raises
        ``KeyCollisionError`` and nothing is written."""
        await self.put_record("resource", conv.resource_item(resource), resource.id)

    async def modify_resource(self, resource_id: str, mutate: ResourceMutation) -> Resource:
        """Optimistic read-modify-write (``updatedAt`` + ``rev`` condition, or
        ``attribute_not_exists`` when creating), retried while other writers win; a case
        twin under the key raises ``KeyCollisionError``."""

        async def attempt() -> Resource:
            old = await self.table.get(keys.resource_key(resource_id))
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
            await self.table.put(item, expr=expr, condition=cas_condition(expr, old))
            return updated

        return await optimistic(
            self.table, [f"resource:{resource_id}"], attempt, what=f"update resource {resource_id}"
        )

    async def delete_resource(self, resource_id: str) -> None:
        """Delete the resource's one item (its TTL is an attribute of it; it has no GSI
        entries) with one conditional ``DeleteItem``: atomic, and only when the item's
        ``id`` is exactly ``resource_id`` (keys are lower-cased, so ``"User-A"`` and
        ``"user-a"`` share one). A missing item or a case twin's item is left alone: there
        is nothing of this resource to delete."""
        expr = Expr()
        condition = f"{expr.n('id')} = {expr.v(resource_id)}"
        try:
            async with self.table.locks.hold(f"resource:{resource_id}"):
                await self.table.delete(
                    keys.resource_key(resource_id), expr=expr, condition=condition
                )
        except ConditionFailed:
            return

    async def scan_resources(
        self, position: str | None, limit: int
    ) -> tuple[list[Resource], str | None]:
        """Up to ``limit`` resources after ``position`` and the next position (``None``:
        done). Resources have no index over all of them: a table ``Scan`` filtered on the
        entity, paged by ``LastEvaluatedKey``. Reads the whole table: copy and export only."""
        found, position = await self.scan_entity("resource", position, limit)
        return [conv.resource_from_item(i) for i in found], position

    # ---- cloning -------------------------------------------------------------------------

    async def clone_thread(
        self, source_thread_id: str, new_thread_id: str, build: CloneBuilder
    ) -> tuple[Thread, list[Message]] | None:
        """Write the new thread and its message copies in one transaction per 100 items
        (the first holds the thread, conditioned on its key being free): an existing
        target raises ``ConflictError``, a case twin ``KeyCollisionError``."""
        source, target, rows = await asyncio.gather(
            self.get_thread(source_thread_id),
            self.table.get(keys.thread_key(new_thread_id)),
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
                self.table.put_action(
                    thread_item, expr=expr, condition=f"attribute_not_exists({expr.n('pk')})"
                ),
            )
        ]
        now_iso = to_iso(thread.updated_at)
        body = []
        for message in copies:
            item = self.with_ttl(
                "message",
                with_index(conv.message_item(message, seq=conv.next_seq(), updated_at=now_iso)),
            )
            # Copies get fresh ids: their keys must be free (no twin, no same id).
            expr = Expr()
            action = self.table.put_action(
                item, expr=expr, condition=f"attribute_not_exists({expr.n('pk')})"
            )
            body.append((("Put", action), check_item_size(item, what="message")))
        try:
            await self._run_chunks(head, body)
        except TransactionCancelled as exc:
            if 0 in exc.condition_failed:
                raced = await self.table.get(keys.thread_key(new_thread_id))
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


__all__ = ["DynamoMemoryBackend"]
