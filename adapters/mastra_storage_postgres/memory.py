"""Memory backend on PostgreSQL: threads, messages (ordered by ``(createdAt, seq)``), resources.

Message order is ``(createdAt, message_order_key)``: ``seq``, or for rows that predate it a
fixed key derived from their id (``schema.message_order_key``).

Round trips are the point of this module:

* appending a turn (``save_messages``) is **one statement**: a CTE bumps the thread's
  ``updatedAt`` and the messages go in only if it found the thread (the status's row count
  tells a missing thread, and nothing is written); a batch spanning several threads fails
  the statement when one is missing; a batch that repeats a stored id fails that insert
  whole and runs the upserting twin (a second statement, only then);
* a page of messages (newest N for recall, or any page) and its total are one statement
  (``count(*)`` joined with a ``LATERAL`` page that walks the ``(thread_id, createdAt,
  seq)`` index, no sort);
* a page of a resource's threads and its total are one statement;
* deletes are one statement each (a CTE deletes and bumps).

Beyond the contract it has every optional capability of
:mod:`mastra_storage.backend.capabilities`: resource-scoped message queries (on the
``(resourceId, createdAt, seq)`` index), a keyset scan of resources and resource deletes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mastra_storage.backend.concurrency import RetryPolicy
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
    plan_message_updates,
)
from mastra_storage.errors import ConflictError, NotFoundError
from mastra_storage.layout import (
    MESSAGES,
    RESOURCES,
    TABLE_MESSAGES,
    TABLE_OBSERVATIONAL_MEMORY,
    TABLE_RESOURCES,
    TABLE_THREADS,
    THREADS,
)
from mastra_storage.records import (
    Message,
    MessageContent,
    Resource,
    Thread,
    content_json_of,
)

from .connection import Runner
from .domain import PgBackend, PgContext
from .errors import MISSING_THREAD_MARKER, missing_thread_error, thread_not_found
from .observational_memory import PgObservationalMemory
from .schema import message_order_key
from .sqlutil import (
    Params,
    date_range_conditions,
    json_dict,
    json_param,
    json_param_required,
    json_param_text,
    json_value_unwrapped,
    keyset_after,
    naive,
    page_limit,
    read_ts_required,
    select_columns,
    split_total,
    where_sql,
    with_total,
)

#: A missing resource is inserted with ``ON CONFLICT DO NOTHING``; losing that race means
#: the row now exists and the next try takes its lock, so a second try succeeds unless
#: the resource is deleted in between. Three tries, without a pause (the winner has
#: committed).
MODIFY_RESOURCE_RETRY = RetryPolicy(attempts=3, base_s=0.0)
# The message order tie-break (``seq``, or for rows older than it a key from their id);
# written exactly as in the order indexes so the planner walks them.
_KEY_M = message_order_key("m")
_KEY_T = message_order_key("t")

THREAD_COLUMNS = select_columns(THREADS)
RESOURCE_COLUMNS = select_columns(RESOURCES)


def offset_sql(offset: int | None, params: Params) -> str:
    """`` OFFSET $n`` for a page that skips rows, nothing for one that does not.

    Why leave it out: with an ``OFFSET`` parameter PostgreSQL's generic plan never looks
    cheaper than a custom one, so a prepared page statement is re-planned on every call
    (planning took as long as running it); without one the generic plan is reused. Keyset
    pages and first pages, the hot ones, skip nothing."""
    return f" OFFSET {params.add(offset, '::bigint')}" if offset else ""


def message_columns(alias: str = "m") -> str:
    """Mastra's message columns and the order tie-break (read by stored_message_from_row)."""
    return f"{select_columns(MESSAGES, alias)}, {message_order_key(alias)}"


def thread_from_row(row: Any, offset: int = 0) -> Thread:
    # The ``XZ`` column (aware, what this SDK writes) goes straight in: the record's
    # constructor normalises datetimes anyway, so read_ts only runs for Mastra's rows
    # without it (per-row Python work is the SDK's cost against raw asyncpg, issue 9).
    _id, resource_id, title, metadata, created, created_z, updated, updated_z = row[
        offset : offset + 8
    ]
    return Thread(
        id=_id,
        resource_id=resource_id,
        title="" if title is None else str(title),
        metadata=None if metadata is None else json_dict(metadata),
        created_at=created_z if created_z is not None else read_ts_required(None, created),
        updated_at=updated_z if updated_z is not None else read_ts_required(None, updated),
    )


def thread_params(thread: Thread) -> tuple[Any, ...]:
    return (
        thread.id,
        thread.resource_id,
        thread.title or "",
        json_param(thread.metadata),
        naive(thread.created_at),
        thread.created_at,
        naive(thread.updated_at),
        thread.updated_at,
    )


def stored_message_from_row(row: Any, offset: int = 0) -> StoredMessage:
    message_id, thread_id, content, role, type_, created, created_z, resource_id, seq = row[
        offset : offset + 9
    ]
    message = Message(
        id=message_id,
        role=role,
        # Aware ``createdAtZ`` as is (the constructor normalises), see thread_from_row.
        created_at=created_z if created_z is not None else read_ts_required(None, created),
        thread_id=thread_id,
        resource_id=resource_id,
        type=None if not type_ or type_ == "v2" else type_,
        content=MessageContent.from_column(content),
    )
    return StoredMessage(message, seq)


def resource_from_row(row: Any) -> Resource:
    resource_id, working_memory = row[0], row[1]
    metadata = json_value_unwrapped(row[2])
    return Resource(
        id=resource_id,
        working_memory=None if working_memory is None else str(working_memory),
        metadata=metadata if isinstance(metadata, dict) else None,
        created_at=read_ts_required(row[4], row[3]),
        updated_at=read_ts_required(row[6], row[5]),
    )


def resource_params(resource: Resource) -> tuple[Any, ...]:
    return (
        resource.id,
        resource.working_memory,
        None if resource.metadata is None else json_param_text(resource.metadata),
        naive(resource.created_at),
        resource.created_at,
        naive(resource.updated_at),
        resource.updated_at,
    )


class _MessageArrays:
    """Messages as parallel arrays for ``unnest`` (one fixed statement for any batch)."""

    def __init__(self, messages: list[Message]) -> None:
        self.ids = [m.id for m in messages]
        self.thread_ids = [str(m.thread_id) for m in messages]
        self.contents = content_json_of(messages)
        self.roles = [m.role for m in messages]
        self.types = [m.type or "v2" for m in messages]
        self.created = [naive(m.created_at) for m in messages]
        self.created_z = [m.created_at for m in messages]
        self.resource_ids = [m.resource_id for m in messages]

    def args(self) -> tuple[Any, ...]:
        return (
            self.ids,
            self.thread_ids,
            self.contents,
            self.roles,
            self.types,
            self.created,
            self.created_z,
            self.resource_ids,
        )


_UNNEST_MESSAGES = (
    "unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamp[], "
    "$7::timestamptz[], $8::text[]) WITH ORDINALITY "
    "AS i(id, thread_id, content, role, type, created, created_z, resource_id, ord)"
)


#: Batches up to this many messages (and threads) take the scalar-parameter statement
#: of ``PgMemoryBackend._save_sql``; larger ones the fixed ``unnest`` statement.
_SMALL_BATCH = 8
_ON_CONFLICT_MESSAGES = (
    "ON CONFLICT (id) DO UPDATE SET thread_id = EXCLUDED.thread_id, "
    "content = EXCLUDED.content, role = EXCLUDED.role, type = EXCLUDED.type, "
    '"resourceId" = EXCLUDED."resourceId" '
)


class PgMemoryBackend(PgBackend, PgObservationalMemory, MemoryBackend):
    """Threads, messages and resources in ``mastra_threads``/``_messages``/``_resources``.

    Each method is one statement or one transaction (module docstring); driver errors
    are typed by :mod:`.errors`, and a missing thread is a
    :class:`~mastra_storage.errors.NotFoundError`."""

    tables = (TABLE_MESSAGES, TABLE_THREADS, TABLE_RESOURCES, TABLE_OBSERVATIONAL_MEMORY)

    def __init__(self, ctx: PgContext) -> None:
        super().__init__(ctx)
        threads = self.t(TABLE_THREADS)
        messages = self.t(TABLE_MESSAGES)
        resources = self.t(TABLE_RESOURCES)
        self._threads = threads
        self._messages = messages
        self._resources = resources
        self._upsert_thread_sql = (
            f'INSERT INTO {threads} (id, "resourceId", title, metadata, "createdAt", '
            '"createdAtZ", "updatedAt", "updatedAtZ") '
            "VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8) "
            'ON CONFLICT (id) DO UPDATE SET "resourceId" = EXCLUDED."resourceId", '
            "title = EXCLUDED.title, metadata = EXCLUDED.metadata, "
            '"createdAt" = EXCLUDED."createdAt", "createdAtZ" = EXCLUDED."createdAtZ", '
            '"updatedAt" = EXCLUDED."updatedAt", "updatedAtZ" = EXCLUDED."updatedAtZ"'
        )
        self._upsert_resource_sql = (
            f'INSERT INTO {resources} (id, "workingMemory", metadata, "createdAt", '
            '"createdAtZ", "updatedAt", "updatedAtZ") VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7) '
            'ON CONFLICT (id) DO UPDATE SET "workingMemory" = EXCLUDED."workingMemory", '
            'metadata = EXCLUDED.metadata, "createdAt" = EXCLUDED."createdAt", '
            '"createdAtZ" = EXCLUDED."createdAtZ", "updatedAt" = EXCLUDED."updatedAt", '
            '"updatedAtZ" = EXCLUDED."updatedAtZ"'
        )
        # One statement per turn: bump the threads, upsert the rows (keeping createdAt and
        # seq of existing ids), and fail (rolling everything back) if a thread is missing.
        self._save_messages_sql = (
            f"WITH bumped AS (UPDATE {threads} t SET "
            '"updatedAt" = GREATEST(t."updatedAt", $9::timestamp), '
            '"updatedAtZ" = GREATEST(t."updatedAtZ", $10::timestamptz) '
            "WHERE t.id = ANY($11::text[]) RETURNING t.id), "
            f"upserted AS (INSERT INTO {messages} "
            '(id, thread_id, content, role, type, "createdAt", "createdAtZ", "resourceId") '
            "SELECT i.id, i.thread_id, i.content, i.role, i.type, i.created, i.created_z, "
            f"i.resource_id FROM {_UNNEST_MESSAGES} ORDER BY i.ord "
            f"{_ON_CONFLICT_MESSAGES}RETURNING 1) "
            "SELECT (SELECT count(*) FROM upserted), "
            f"(SELECT CAST('{MISSING_THREAD_MARKER}' || x AS integer) "
            "FROM unnest($11::text[]) AS x WHERE x NOT IN (SELECT id FROM bumped) LIMIT 1)"
        )
        # The same statement without ``ON CONFLICT``: what a turn of new messages runs.
        # An upsert is a speculative insertion (an extra unique-index probe and a second
        # WAL record per row, ~15% of the statement's server time); new ids never need it,
        # and a duplicate id fails this statement whole (autocommit: nothing is written),
        # after which the upsert above runs on the same connection.
        self._insert_messages_sql = self._save_messages_sql.replace(_ON_CONFLICT_MESSAGES, "")
        self._small_save_sql: dict[tuple[int, int, bool], str] = {}
        self._bump_sql = (
            f'UPDATE {threads} SET "updatedAt" = GREATEST("updatedAt", $1::timestamp), '
            '"updatedAtZ" = GREATEST("updatedAtZ", $2::timestamptz) WHERE id = ANY($3::text[]) '
            "RETURNING id"
        )

    # ---- threads ----------------------------------------------------------------------

    async def get_thread(self, thread_id: str) -> Thread | None:
        """The thread with this id, or ``None``."""
        row = await self._db.fetchrow(
            "getThreadById",
            f"SELECT {THREAD_COLUMNS} FROM {self._threads} WHERE id = $1",
            thread_id,
        )
        return None if row is None else thread_from_row(row)

    async def upsert_thread(self, thread: Thread) -> None:
        """One ``INSERT ... ON CONFLICT DO UPDATE`` of the thread row."""
        await self._db.execute("saveThread", self._upsert_thread_sql, *thread_params(thread))

    async def modify_thread(self, thread_id: str, mutate: ThreadMutation) -> Thread | None:
        """Read under ``FOR UPDATE``, mutate, write: one transaction."""
        async with self._db.transaction("updateThread") as tx:
            row = await tx.fetchrow(
                f"SELECT {THREAD_COLUMNS} FROM {self._threads} WHERE id = $1 FOR UPDATE",
                thread_id,
            )
            if row is None:
                return None
            updated = mutate(thread_from_row(row))
            params = thread_params(updated)
            await tx.execute(
                f'UPDATE {self._threads} SET "resourceId" = $2, title = $3, metadata = $4::jsonb, '
                '"createdAt" = $5, "createdAtZ" = $6, "updatedAt" = $7, "updatedAtZ" = $8 '
                "WHERE id = $1",
                *params,
            )
            return updated

    async def delete_thread(self, thread_id: str) -> None:
        """The thread and its messages in one transaction (see the comment below)."""
        # Two statements in one transaction. The first deletes the thread and the messages
        # its snapshot sees; under READ COMMITTED that snapshot can predate a save_messages
        # in flight, whose messages it misses while it waits for the save's lock on the
        # thread row. The second statement takes a new snapshot, after the thread row is
        # ours: it sees every save that committed, and later saves find no thread (and
        # fail), so no message outlives its thread.
        delete_messages = f"DELETE FROM {self._messages} WHERE thread_id = $1"
        async with self._db.transaction("deleteThread") as tx:
            await tx.execute(
                f"WITH gone AS ({delete_messages}) DELETE FROM {self._threads} WHERE id = $1",
                thread_id,
            )
            await tx.execute(delete_messages, thread_id)

    async def query_threads(self, query: ThreadQuery) -> tuple[list[Thread], int]:
        """One statement: the keyset/offset page (up to ``limit + 1`` threads) and, when
        ``query.count``, the total of the filtered set."""
        p = Params()
        where: list[str] = []
        if query.resource_id is not None:
            where.append(f'"resourceId" = {p.add(query.resource_id)}')
        for key, value in (query.metadata or {}).items():
            # jsonb equality is JSON equality: true is not 1, 1 = 1.0, key order ignored.
            where.append(
                f"(metadata -> {p.add(key)}::text) = {p.add(json_param_required(value))}::jsonb"
            )
        column = '"createdAt"' if query.order.field == "created_at" else '"updatedAt"'
        direction = "DESC" if query.order.descending else "ASC"
        page_where = list(where)
        if query.after is not None:
            page_where.append(
                keyset_after(
                    column,
                    "id",
                    query.after,
                    p,
                    descending=query.order.descending,
                )
            )
        limit = p.add(page_limit(query.limit), "::bigint")
        page = (
            f"SELECT {THREAD_COLUMNS} FROM {self._threads}{where_sql(page_where)} "
            f"ORDER BY {column} {direction}, id {direction} LIMIT {limit}"
            f"{offset_sql(query.offset, p)}"
        )
        if not query.count:
            # The bare page: no row-kind column to add, no subquery for the server to copy.
            rows = await self._db.fetch("listThreads", page, *p.values)
            return [thread_from_row(r) for r in rows], 0
        sql = with_total(f"{self._threads}{where_sql(where)}", page, count=True)
        rows, total = split_total(await self._db.fetch("listThreads", sql, *p.values))
        return [thread_from_row(r, 1) for r in rows], total

    # ---- messages ---------------------------------------------------------------------

    def message_page_sql(
        self, query: MessageQuery, *, columns: str | None = None
    ) -> tuple[str, list[Any]]:
        """The one statement of a message page and its total, with its parameters (what
        :meth:`query_messages` runs; public so a test can ``EXPLAIN`` it). With
        ``columns``, the bare page of those columns; without ``query.count``, the bare
        page of the message columns (no total column in either)."""
        p = Params()
        where: list[str] = []
        if query.thread_ids is not None:
            if len(query.thread_ids) == 1:
                where.append(f"m.thread_id = {p.add(query.thread_ids[0])}")
            else:
                where.append(f"m.thread_id = ANY({p.add(list(query.thread_ids))}::text[])")
        if query.resource_id is not None:
            where.append(f'm."resourceId" = {p.add(query.resource_id)}')
        where.extend(date_range_conditions('m."createdAt"', query.date_range, p))
        direction = "DESC" if query.descending else "ASC"
        page_where = list(where)
        if query.after is not None:
            after = query.after  # its tie is an int: the core refuses other kinds
            page_where.append(
                keyset_after(
                    'm."createdAt"',
                    _KEY_M,
                    after,
                    p,
                    descending=query.descending,
                    tie_cast="::bigint",
                )
            )
        limit = p.add(page_limit(query.limit), "::bigint")
        page = (
            f"SELECT {columns or message_columns()} FROM {self._messages} m"
            f'{where_sql(page_where)} ORDER BY m."createdAt" {direction}, {_KEY_M} {direction} '
            f"LIMIT {limit}{offset_sql(query.offset, p)}"
        )
        if columns is not None or not query.count:
            return page, p.values
        count_from = f"{self._messages} m{where_sql(where)}"
        return with_total(count_from, page, count=True), p.values

    def _include_sql(self) -> str:
        cols = message_columns("m")
        return (
            "SELECT x.* FROM unnest($1::text[], $2::int[], $3::int[]) AS s(id, prev, next) "
            "CROSS JOIN LATERAL ("
            f"(SELECT {cols} FROM {self._messages} m WHERE m.id = s.id) "
            f"UNION ALL (SELECT {cols} FROM {self._messages} t JOIN {self._messages} m "
            "ON m.thread_id = t.thread_id "
            f'AND (m."createdAt", {_KEY_M}) < (t."createdAt", {_KEY_T}) '
            f'WHERE t.id = s.id AND s.prev > 0 ORDER BY m."createdAt" DESC, {_KEY_M} DESC '
            "LIMIT s.prev) "
            f"UNION ALL (SELECT {cols} FROM {self._messages} t JOIN {self._messages} m "
            "ON m.thread_id = t.thread_id "
            f'AND (m."createdAt", {_KEY_M}) > (t."createdAt", {_KEY_T}) '
            f'WHERE t.id = s.id AND s.next > 0 ORDER BY m."createdAt" ASC, {_KEY_M} ASC '
            "LIMIT s.next)) x"
        )

    async def query_messages(self, query: MessageQuery) -> MessageQueryResult:
        """Thread-scoped: the page and its total in one statement (on the
        ``(thread_id, createdAt, seq)`` index), the include windows in a second."""
        return await self._run_message_query(query)

    async def query_resource_messages(self, query: MessageQuery) -> MessageQueryResult:
        """Resource-scoped (``thread_ids is None``): the same statements, the page on the
        ``(resourceId, createdAt, seq)`` index."""
        return await self._run_message_query(query)

    async def _run_message_query(self, query: MessageQuery) -> MessageQueryResult:
        page: list[StoredMessage] = []
        total = 0
        included: list[StoredMessage] = []
        async with self._db.connection("listMessages") as conn:
            if query.limit != 0:
                sql, params = self.message_page_sql(query)
                if query.count:
                    rows, total = split_total(await conn.fetch(sql, *params))
                    page = [stored_message_from_row(r, 1) for r in rows]
                else:  # the bare page (see message_page_sql)
                    page = [stored_message_from_row(r) for r in await conn.fetch(sql, *params)]
            if query.include:
                specs = query.include
                rows = await conn.fetch(
                    self._include_sql(),
                    [s.id for s in specs],
                    [s.with_previous_messages for s in specs],
                    [s.with_next_messages for s in specs],
                )
                included = [stored_message_from_row(r) for r in rows]
        return MessageQueryResult(page=page, total=total, included=included)

    async def query_message_json(self, query: MessageQuery) -> list[Any]:
        """The :class:`~mastra_storage.backend.SupportsMessageJSON` capability: the plain
        page's ``(id, role, content text)`` rows, one statement, no record built."""
        sql, params = self.message_page_sql(query, columns="m.id, m.role, m.content")
        rows: list[Any] = await self._db.fetch("listMessages", sql, *params)
        return rows

    async def get_messages(self, message_ids: list[str]) -> list[StoredMessage]:
        """Messages with these ids, in any thread, in one statement."""
        rows = await self._db.fetch(
            "listMessagesById",
            f"SELECT {message_columns()} FROM {self._messages} m WHERE m.id = ANY($1::text[])",
            message_ids,
        )
        return [stored_message_from_row(r) for r in rows]

    def _save_sql(self, messages: int, threads: int, upsert: bool) -> str:
        """The save statement for a small batch, with one scalar parameter per value.

        Why not the ``unnest`` form: the planner cannot see an array parameter's length,
        so its generic plan (costed for 100 rows) never beats a custom one and PostgreSQL
        re-plans the statement on every call (about as long as running it). With the
        rows spelled out, the generic plan is the custom plan and is reused."""
        key = (messages, threads, upsert)
        sql = self._small_save_sql.get(key)
        if sql is not None:
            return sql
        rows = ", ".join(
            f"(${8 * i + 1}::text, ${8 * i + 2}::text, ${8 * i + 3}::text, ${8 * i + 4}::text, "
            f"${8 * i + 5}::text, ${8 * i + 6}::timestamp, ${8 * i + 7}::timestamptz, "
            f"${8 * i + 8}::text, {i})"
            for i in range(messages)
        )
        at = 8 * messages
        values = (
            f"SELECT i.id, i.thread_id, i.content, i.role, i.type, i.created, i.created_z, "
            f"i.resource_id FROM (VALUES {rows}) AS i(id, thread_id, content, role, type, "
            "created, created_z, resource_id, ord)"
        )
        columns = (
            f"INSERT INTO {self._messages} "
            '(id, thread_id, content, role, type, "createdAt", "createdAtZ", "resourceId") '
        )
        bump = (
            f"UPDATE {self._threads} t SET "
            f'"updatedAt" = GREATEST(t."updatedAt", ${at + 1}::timestamp), '
            f'"updatedAtZ" = GREATEST(t."updatedAtZ", ${at + 2}::timestamptz) '
        )
        conflict = _ON_CONFLICT_MESSAGES if upsert else ""
        if threads == 1:
            # One thread (a turn): the rows go in only if the bump found the thread, so
            # the status's row count tells a missing thread (0) without a second query.
            sql = (
                f"WITH bumped AS ({bump}WHERE t.id = ${at + 3}::text RETURNING 1) "
                f"{columns}{values} WHERE EXISTS (SELECT 1 FROM bumped) ORDER BY i.ord "
                f"{conflict}"
            ).rstrip()
        else:
            ids = [f"${at + 3 + j}::text" for j in range(threads)]
            sql = (
                f"WITH bumped AS ({bump}WHERE t.id IN ({', '.join(ids)}) RETURNING t.id), "
                f"upserted AS ({columns}{values} ORDER BY i.ord {conflict}RETURNING 1) "
                "SELECT (SELECT count(*) FROM upserted), "
                f"(SELECT CAST('{MISSING_THREAD_MARKER}' || x AS integer) "
                # unnest, not VALUES: a VALUES row of constants would be folded at
                # planning, raising the marker error before the WHERE clause could filter
                # it out.
                f"FROM unnest(ARRAY[{', '.join(ids)}]) AS x "
                "WHERE x NOT IN (SELECT id FROM bumped) LIMIT 1)"
            )
        if len(self._small_save_sql) < 256:
            self._small_save_sql[key] = sql
        return sql

    async def save_messages(self, messages: list[Message], now: datetime) -> None:
        """One statement (module docstring); a missing thread fails it, writing
        nothing, as :class:`~mastra_storage.errors.NotFoundError`."""
        thread_ids = list(dict.fromkeys(str(m.thread_id) for m in messages))
        args: tuple[Any, ...]
        # The one-thread statement (``_save_sql``) writes no row when its thread is
        # missing, which its status tells (``INSERT 0 0``); the others fail instead.
        counts_rows = False
        if len(messages) <= _SMALL_BATCH and len(thread_ids) <= _SMALL_BATCH:
            values: list[Any] = []
            # The texts the domain's check encoded (``CheckedMessages``), not a second time.
            for m, content in zip(messages, content_json_of(messages), strict=True):
                values += (
                    m.id,
                    m.thread_id,
                    content,
                    m.role,
                    m.type or "v2",
                    naive(m.created_at),
                    m.created_at,
                    m.resource_id,
                )
            args = (*values, naive(now), now, *thread_ids)
            insert = self._save_sql(len(messages), len(thread_ids), False)
            upsert = self._save_sql(len(messages), len(thread_ids), True)
            counts_rows = len(thread_ids) == 1
        else:
            args = (*_MessageArrays(messages).args(), naive(now), now, thread_ids)
            insert, upsert = self._insert_messages_sql, self._save_messages_sql
        try:
            async with self._db.connection("saveMessages") as conn:
                try:
                    status = await conn.execute(insert, *args)
                except Exception as exc:
                    if getattr(exc, "sqlstate", None) != "23505":
                        raise
                    # An id that exists already: the insert wrote nothing; upsert instead.
                    status = await conn.execute(upsert, *args)
        except Exception as exc:
            missing = missing_thread_error(exc, "SAVE_MESSAGES")
            if missing is not None:
                raise missing from None
            raise
        if counts_rows and status.endswith(" 0"):
            raise thread_not_found(thread_ids[0], "SAVE_MESSAGES")

    async def modify_messages(
        self, message_ids: list[str], mutate: MessageMutation, now: datetime
    ) -> list[Message]:
        """Rows locked ``FOR UPDATE``, target threads checked, rows updated and
        threads bumped: one transaction."""
        async with self._db.transaction("updateMessages") as tx:
            rows = await tx.fetch(
                f"SELECT {message_columns()} FROM {self._messages} m "
                "WHERE m.id = ANY($1::text[]) FOR UPDATE",
                message_ids,
            )
            current = {s.message.id: s.message for s in map(stored_message_from_row, rows)}
            planned = plan_message_updates(message_ids, current, mutate)
            if not planned:
                return []
            targets = list(dict.fromkeys(str(u.thread_id) for _, u in planned))
            found = {
                r[0]
                for r in await tx.fetch(
                    f"SELECT id FROM {self._threads} WHERE id = ANY($1::text[])", targets
                )
            }
            for _, updated in planned:
                if updated.thread_id not in found:
                    raise NotFoundError(
                        f"Thread {updated.thread_id} not found",
                        id="MASTRA_STORAGE_UPDATE_MESSAGES_THREAD_NOT_FOUND",
                        details={"thread_id": updated.thread_id},
                    )
            news = [u for _, u in planned]
            await tx.execute(
                f"UPDATE {self._messages} m SET thread_id = i.thread_id, content = i.content, "
                'role = i.role, type = i.type, "resourceId" = i.resource_id '
                "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
                "$6::text[]) AS i(id, thread_id, content, role, type, resource_id) "
                "WHERE m.id = i.id",
                [u.id for u in news],
                [str(u.thread_id) for u in news],
                [json_param(u.content.to_dict()) for u in news],
                [u.role for u in news],
                [u.type or "v2" for u in news],
                [u.resource_id for u in news],
            )
            touched = list(
                dict.fromkeys(
                    t for old, new in planned for t in (old.thread_id, new.thread_id) if t
                )
            )
            bumped = {r[0] for r in await tx.fetch(self._bump_sql, naive(now), now, touched)}
            # A target thread deleted since the check above (its delete committed while
            # we waited for the row lock): moving a message there would orphan it.
            gone = [t for t in targets if t not in bumped]
            if gone:
                raise NotFoundError(
                    f"Thread {gone[0]} not found",
                    id="MASTRA_STORAGE_UPDATE_MESSAGES_THREAD_NOT_FOUND",
                    details={"thread_id": gone[0]},
                )
            return news

    async def delete_messages(self, message_ids: list[str], now: datetime) -> None:
        """One statement: a CTE deletes the rows and bumps their threads."""
        await self._db.execute(
            "deleteMessages",
            f"WITH gone AS (DELETE FROM {self._messages} WHERE id = ANY($1::text[]) "
            f"RETURNING thread_id) UPDATE {self._threads} SET "
            '"updatedAt" = GREATEST("updatedAt", $2::timestamp), '
            '"updatedAtZ" = GREATEST("updatedAtZ", $3::timestamptz) '
            "WHERE id IN (SELECT thread_id FROM gone)",
            message_ids,
            naive(now),
            now,
        )

    # ---- resources --------------------------------------------------------------------

    async def get_resource(self, resource_id: str) -> Resource | None:
        """The resource with this id, or ``None``."""
        row = await self._db.fetchrow(
            "getResourceById",
            f"SELECT {RESOURCE_COLUMNS} FROM {self._resources} WHERE id = $1",
            resource_id,
        )
        return None if row is None else resource_from_row(row)

    async def upsert_resource(self, resource: Resource) -> None:
        """One ``INSERT ... ON CONFLICT DO UPDATE`` of the resource row."""
        await self._db.execute(
            "saveResource", self._upsert_resource_sql, *resource_params(resource)
        )

    async def modify_resource(self, resource_id: str, mutate: ResourceMutation) -> Resource:
        """Read-modify-write under the row lock, or insert-if-absent retried under
        the lock (:data:`MODIFY_RESOURCE_RETRY`; then
        :class:`~mastra_storage.errors.ConflictError`)."""
        # Row lock when the resource exists; when it does not, insert-if-absent and retry
        # under the lock if another writer created it meanwhile (no lost update).
        for attempt in MODIFY_RESOURCE_RETRY.tries():
            async with self._db.transaction("updateResource") as tx:
                row = await tx.fetchrow(
                    f"SELECT {RESOURCE_COLUMNS} FROM {self._resources} WHERE id = $1 FOR UPDATE",
                    resource_id,
                )
                updated = mutate(None if row is None else resource_from_row(row))
                params = resource_params(updated)
                if row is not None:
                    await tx.execute(self._upsert_resource_sql, *params)
                    return updated
                inserted = await tx.fetchval(
                    f'INSERT INTO {self._resources} (id, "workingMemory", metadata, "createdAt", '
                    '"createdAtZ", "updatedAt", "updatedAtZ") '
                    "VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7) "
                    "ON CONFLICT (id) DO NOTHING RETURNING 1",
                    *params,
                )
                if inserted:
                    return updated
            await MODIFY_RESOURCE_RETRY.pause(attempt)
        raise ConflictError(
            f"resource {resource_id} kept changing during update",
            id="MASTRA_STORAGE_PG_UPDATE_RESOURCE_CONFLICT",
        )

    async def delete_resource(self, resource_id: str) -> None:
        """One ``DELETE`` of the resource row (a missing id deletes nothing); threads and
        messages are not touched (retention removes them through the domain first)."""
        await self._db.execute(
            "deleteResource", f"DELETE FROM {self._resources} WHERE id = $1", resource_id
        )

    async def scan_resources(
        self, position: str | None, limit: int
    ) -> tuple[list[Resource], str | None]:
        """Keyset pages on the primary key (``id > $1 ORDER BY id``): concurrent inserts
        and deletes never shift a page, and each page is one index range scan."""
        select = f"SELECT {RESOURCE_COLUMNS} FROM {self._resources}"
        args: list[Any]
        if position is None:
            sql, args = f"{select} ORDER BY id LIMIT $1", [limit]
        else:  # a separate statement, so the plan is always an index range scan
            sql, args = f"{select} WHERE id > $1 ORDER BY id LIMIT $2", [position, limit]
        rows = await self._db.fetch("scanResources", sql, *args)
        found = [resource_from_row(row) for row in rows]
        return found, found[-1].id if len(found) == limit else None

    # ---- cloning ----------------------------------------------------------------------

    async def clone_thread(
        self, source_thread_id: str, new_thread_id: str, build: CloneBuilder
    ) -> tuple[Thread, list[Message]] | None:
        """Read the source and its messages, check the new id, insert the copy: one
        transaction."""
        async with self._db.transaction("cloneThread") as tx:
            row = await tx.fetchrow(
                f"SELECT {THREAD_COLUMNS} FROM {self._threads} WHERE id = $1", source_thread_id
            )
            if row is None:
                return None
            if await tx.fetchval(f"SELECT 1 FROM {self._threads} WHERE id = $1", new_thread_id):
                raise ConflictError(
                    f"Thread with id {new_thread_id} already exists",
                    id="MASTRA_STORAGE_CLONE_THREAD_THREAD_EXISTS",
                    details={"thread_id": new_thread_id},
                )
            source = thread_from_row(row)
            rows = await tx.fetch(
                f"SELECT {message_columns()} FROM {self._messages} m WHERE m.thread_id = $1 "
                f'ORDER BY m."createdAt" ASC, {_KEY_M} ASC',
                source_thread_id,
            )
            messages = [stored_message_from_row(r).message for r in rows]
            thread, copies = build(source, messages)
            await tx.execute(self._upsert_thread_sql, *thread_params(thread))
            if copies:
                await _insert_messages(tx, self._messages, copies)
            return thread, copies


async def _insert_messages(tx: Runner, table: str, messages: list[Message]) -> None:
    arrays = _MessageArrays(messages)
    await tx.execute(
        f"INSERT INTO {table} "
        '(id, thread_id, content, role, type, "createdAt", "createdAtZ", "resourceId") '
        "SELECT i.id, i.thread_id, i.content, i.role, i.type, i.created, i.created_z, "
        f"i.resource_id FROM {_UNNEST_MESSAGES} ORDER BY i.ord",
        *arrays.args(),
    )


__all__ = ["MODIFY_RESOURCE_RETRY", "PgMemoryBackend"]
