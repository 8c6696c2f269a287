"""Memory domain on SQLite: threads, messages (ordered by ``(createdAt, rowid)``), resources."""

from __future__ import annotations

import functools
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
    plan_message_updates,
)
from mastra_storage.errors import ConflictError, NotFoundError
from mastra_storage.layout import (
    TABLE_MESSAGES,
    TABLE_OBSERVATIONAL_MEMORY,
    TABLE_RESOURCES,
    TABLE_THREADS,
)
from mastra_storage.records import (
    Message,
    MessageContent,
    Resource,
    Thread,
    content_json_of,
)
from mastra_storage.timeutil import from_epoch_ms

from .domain import LibSQLDomain
from .observational_memory import LibSQLObservationalMemory
from .sqlutil import (
    INCLUDED_ROW,
    PAGE_ROW,
    date_range_conditions,
    in_list,
    json_dict,
    json_param,
    json_read,
    json_source,
    limit_offset,
    page_rows,
    parse_ts,
    ts,
    with_total,
)
from .tx import Tx, TxMode

# --------------------------------------------------------------------------- rows

THREAD_COLUMNS = f'id, "resourceId", title, {json_read("metadata")}, "createdAt", "updatedAt"'
THREAD_WIDTH = 6
UPSERT_THREAD = (
    f'INSERT INTO {TABLE_THREADS} (id, "resourceId", title, metadata, "createdAt", "updatedAt") '
    "VALUES (?, ?, ?, jsonb(?), ?, ?) "
    'ON CONFLICT(id) DO UPDATE SET "resourceId" = excluded."resourceId", '
    "title = excluded.title, metadata = excluded.metadata, "
    '"createdAt" = excluded."createdAt", "updatedAt" = excluded."updatedAt"'
)
UPDATE_THREAD = (
    f'UPDATE {TABLE_THREADS} SET "resourceId" = ?, title = ?, metadata = jsonb(?), '
    '"createdAt" = ?, "updatedAt" = ? WHERE id = ?'
)


MESSAGE_WIDTH = 8


def message_columns(alias: str = "m") -> str:
    a = alias
    return (
        f"{a}.id, {a}.thread_id, {json_read('content', a)}, {a}.role, {a}.type, "
        f'{a}."createdAt", {a}."resourceId", {a}.rowid'
    )


#: The rows of ``query_message_json``: id, role and the content as JSON text.
JSON_ROW_COLUMNS = f"m.id, m.role, {json_read('content', 'm')}"

# Upserts keep the row (so its rowid, our insertion sequence) and the stored createdAt.
UPSERT_MESSAGE = (
    f'INSERT INTO {TABLE_MESSAGES} (id, thread_id, content, role, type, "createdAt", "resourceId") '
    "VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(id) DO UPDATE SET thread_id = excluded.thread_id, "
    "content = excluded.content, role = excluded.role, type = excluded.type, "
    '"resourceId" = excluded."resourceId"'
)
INSERT_MESSAGE = (
    f'INSERT INTO {TABLE_MESSAGES} (id, thread_id, content, role, type, "createdAt", "resourceId") '
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
UPDATE_MESSAGE = (
    f'UPDATE {TABLE_MESSAGES} SET thread_id = ?, content = ?, role = ?, type = ?, "resourceId" = ? '
    "WHERE id = ?"
)
RESOURCE_COLUMNS = f'id, "workingMemory", {json_read("metadata")}, "createdAt", "updatedAt"'
UPSERT_RESOURCE = (
    f'INSERT INTO {TABLE_RESOURCES} (id, "workingMemory", metadata, "createdAt", "updatedAt") '
    "VALUES (?, ?, jsonb(?), ?, ?) "
    'ON CONFLICT(id) DO UPDATE SET "workingMemory" = excluded."workingMemory", '
    'metadata = excluded.metadata, "createdAt" = excluded."createdAt", '
    '"updatedAt" = excluded."updatedAt"'
)
BUMP_THREADS = f'UPDATE {TABLE_THREADS} SET "updatedAt" = MAX("updatedAt", ?) WHERE '


def thread_from_row(row: tuple[Any, ...]) -> Thread:
    thread_id, resource_id, title, metadata, created, updated = row
    return Thread(
        id=thread_id,
        resource_id=resource_id,
        title="" if title is None else str(title),
        metadata=json_dict(metadata),
        created_at=parse_ts(created),
        updated_at=parse_ts(updated),
    )


def thread_params(thread: Thread) -> tuple[Any, ...]:
    return (
        thread.id,
        thread.resource_id,
        thread.title or "",
        json_param(thread.metadata),
        ts(thread.created_at),
        ts(thread.updated_at),
    )


def stored_message_from_row(row: tuple[Any, ...]) -> StoredMessage:
    message_id, thread_id, content, role, type_, created, resource_id, seq = row
    message = Message(
        id=message_id,
        role=role,
        created_at=parse_ts(created),
        thread_id=thread_id,
        resource_id=resource_id,
        type=None if not type_ or type_ == "v2" else type_,
        content=MessageContent.from_column(content),
    )
    return StoredMessage(message, seq if type(seq) is int else int(seq))


def message_params(message: Message, content: str | None = None) -> tuple[Any, ...]:
    """A message's column values; ``content``: its content's JSON text when already
    encoded (see :func:`~mastra_storage.records.content_json_of`)."""
    return (
        message.id,
        message.thread_id,
        content if content is not None else json_param(message.content.to_dict()),
        message.role,
        message.type or "v2",
        ts(message.created_at),
        message.resource_id,
    )


def resource_from_row(row: tuple[Any, ...]) -> Resource:
    resource_id, working_memory, metadata, created, updated = row
    return Resource(
        id=resource_id,
        working_memory=None if working_memory is None else str(working_memory),
        metadata=json_dict(metadata),
        created_at=parse_ts(created),
        updated_at=parse_ts(updated),
    )


def resource_params(resource: Resource) -> tuple[Any, ...]:
    return (
        resource.id,
        resource.working_memory,
        json_param(resource.metadata),
        ts(resource.created_at),
        ts(resource.updated_at),
    )


# --------------------------------------------------------------------------- SQL builders


def _json_scalar_condition(column: str, path: str, value: Any) -> tuple[str, list[Any]] | None:
    """Strict JSON equality of ``column -> path`` with a scalar (``None`` for non-scalars)."""
    if value is None:
        return f"json_type({column}, ?) = 'null'", [path]
    if isinstance(value, bool):
        return f"json_type({column}, ?) = ?", [path, "true" if value else "false"]
    if isinstance(value, (int, float)):
        return (
            f"json_type({column}, ?) IN ('integer', 'real') AND json_extract({column}, ?) = ?",
            [path, path, value],
        )
    if isinstance(value, str):
        return (
            f"json_type({column}, ?) = 'text' AND json_extract({column}, ?) = ?",
            [path, path, value],
        )
    return None


def _threads_not_found(thread_ids: list[str]) -> NotFoundError:
    """The error of a save whose thread is missing (which one is only known for one)."""
    if len(thread_ids) == 1:
        text = f"Thread {thread_ids[0]} not found"
    else:
        text = f"Thread not found: one of {', '.join(thread_ids)}"
    return NotFoundError(
        text,
        id="MASTRA_STORAGE_SAVE_MESSAGES_THREAD_NOT_FOUND",
        details={"thread_id": thread_ids[0] if len(thread_ids) == 1 else ", ".join(thread_ids)},
    )


# --------------------------------------------------------------------------- the domain


class LibSQLMemoryBackend(LibSQLDomain, LibSQLObservationalMemory, MemoryBackend):
    """Threads, messages and resources in ``mastra_threads``/``_messages``/``_resources``.

    Every method is one job on the store's worker thread: writes are one ``BEGIN
    IMMEDIATE`` transaction, reads one statement (its own snapshot) or one read
    transaction. Messages order by ``(createdAt, rowid)``; an upsert keeps the row, so
    the rowid is the insertion sequence. Capabilities: resource-scoped message queries,
    resource scans and resource deletes. Driver errors surface as the typed errors of
    :func:`~mastra_storage_libsql.errors.translate`.
    """

    tables = (TABLE_MESSAGES, TABLE_THREADS, TABLE_RESOURCES, TABLE_OBSERVATIONAL_MEMORY)

    # ---- threads ----------------------------------------------------------------------

    async def get_thread(self, thread_id: str) -> Thread | None:
        def job(tx: Tx) -> Thread | None:
            row = tx.fetchone(
                f"SELECT {THREAD_COLUMNS} FROM {TABLE_THREADS} WHERE id = ?", (thread_id,)
            )
            return None if row is None else thread_from_row(row)

        return await self.db.run("getThreadById", job, mode="none")

    async def upsert_thread(self, thread: Thread) -> None:
        params = thread_params(thread)

        def job(tx: Tx) -> None:
            tx.execute(UPSERT_THREAD, params)

        await self.db.run("saveThread", job)

    async def modify_thread(self, thread_id: str, mutate: ThreadMutation) -> Thread | None:
        def job(tx: Tx) -> Thread | None:
            row = tx.fetchone(
                f"SELECT {THREAD_COLUMNS} FROM {TABLE_THREADS} WHERE id = ?", (thread_id,)
            )
            if row is None:
                return None
            updated = mutate(thread_from_row(row))
            params = thread_params(updated)
            tx.execute(UPDATE_THREAD, (*params[1:], thread_id))
            return updated

        return await self.db.run("updateThread", job)

    async def delete_thread(self, thread_id: str) -> None:
        def job(tx: Tx) -> None:
            tx.execute(f"DELETE FROM {TABLE_MESSAGES} WHERE thread_id = ?", (thread_id,))
            tx.execute(f"DELETE FROM {TABLE_THREADS} WHERE id = ?", (thread_id,))

        await self.db.run("deleteThread", job)

    async def query_threads(self, query: ThreadQuery) -> tuple[list[Thread], int]:
        where: list[str] = []
        params: list[Any] = []
        if query.resource_id is not None:
            where.append('"resourceId" = ?')
            params.append(query.resource_id)
        in_python = False
        metadata = json_source("metadata")
        for key, value in (query.metadata or {}).items():
            path = f'$."{key}"'  # keys are validated identifiers; the path is bound anyway
            condition = _json_scalar_condition(metadata, path, value)
            if condition is None:
                # Objects/arrays: SQL narrows by type, Python checks JSON equality (key order
                # and 1 == 1.0 inside nested values), and then pages.
                kind = "object" if isinstance(value, dict) else "array"
                where.append(f"json_type({metadata}, ?) = ?")
                params.extend([path, kind])
                in_python = True
            else:
                where.append(condition[0])
                params.extend(condition[1])
        field = query.order.field
        column = '"createdAt"' if field == "created_at" else '"updatedAt"'
        direction = "DESC" if query.order.descending else "ASC"
        order = f" ORDER BY {column} {direction}, id {direction}"
        where_sql = (" WHERE " + " AND ".join(where)) if where else ""
        after = query.after

        def job(tx: Tx) -> tuple[list[Thread], int]:
            base = f"SELECT {THREAD_COLUMNS} FROM {TABLE_THREADS}{where_sql}"
            if in_python:
                return query.execute(map(thread_from_row, tx.fetchall(base, params)))
            if plain:
                return [thread_from_row(row) for row in tx.fetchall(page_sql, page_params)], 0
            page: list[Thread] = []
            total = 0
            for row in tx.fetchall(page_sql, page_params):
                if row[0] == PAGE_ROW:
                    page.append(thread_from_row(row[1:]))
                else:  # the TOTAL_ROW
                    total = int(row[1])
            return page, total

        page_sql, page_params, plain = "", list(params), False
        if not in_python:
            page_where = where_sql
            if after is not None:
                op = "<" if query.order.descending else ">"
                clause = f"({column}, id) {op} (?, ?)"
                page_where = f"{page_where} AND {clause}" if page_where else f" WHERE {clause}"
                page_params.extend([ts(from_epoch_ms(after.key)), str(after.tie)])
            limit_sql, limit_params = limit_offset(query.limit, query.offset, extra=1)
            rows_sql = f"SELECT {THREAD_COLUMNS} FROM {TABLE_THREADS}{page_where}{order}{limit_sql}"
            if query.count:
                count_sql = f"SELECT COUNT(*) FROM {TABLE_THREADS}{where_sql}"
                page_sql = with_total(count_sql, rows_sql, THREAD_WIDTH)
                page_params = [*params, *page_params, *limit_params]
            else:
                # No count: the page alone, without the row-kind wrapper (which made
                # SQLite copy the page through a subquery, a quarter of a small page).
                page_sql, plain = rows_sql, True
                page_params = [*page_params, *limit_params]
        # One statement either way: an autocommit SELECT is its own consistent snapshot.
        return await self.db.run("listThreads", job, mode="none")

    # ---- messages ---------------------------------------------------------------------

    async def query_messages(self, query: MessageQuery) -> MessageQueryResult:
        """A thread-scoped ``list_messages``: page, total and include windows in one
        statement (one snapshot) for up to 100 include specs, else one read transaction."""
        return await self._message_query(query)

    async def query_resource_messages(self, query: MessageQuery) -> MessageQueryResult:
        """The :class:`~mastra_storage.backend.SupportsResourceMessages` capability: every
        message of ``query.resource_id`` (``thread_ids`` is ``None``), with the same
        statements, snapshot and paging as :meth:`query_messages`."""
        return await self._message_query(query)

    async def _message_query(self, query: MessageQuery) -> MessageQueryResult:
        if not query.count and not query.include and query.limit != 0:
            # The plain page (a recall): one statement, no row kinds, no total, no windows.
            sql, params = _plain_page(query)

            def plain_job(tx: Tx) -> MessageQueryResult:
                rows = tx.fetchall(sql, params)
                return MessageQueryResult(
                    page=[stored_message_from_row(row) for row in rows], total=0, included=[]
                )

            return await self.db.run("listMessages", plain_job, mode="none")
        statements = _message_statements(query)

        def job(tx: Tx) -> MessageQueryResult:
            page: list[StoredMessage] = []
            total = 0
            included: list[StoredMessage] = []
            for sql, params in statements:
                for row in tx.fetchall(sql, params):
                    kind = row[0]
                    if kind == PAGE_ROW:
                        page.append(stored_message_from_row(row[1:]))
                    elif kind == INCLUDED_ROW:
                        included.append(stored_message_from_row(row[1:]))
                    else:
                        total = int(row[1])
            return MessageQueryResult(page=page, total=total, included=included)

        # One statement (page, total and the first 100 include windows) is its own
        # snapshot; more include windows than that need a read transaction around them.
        mode: TxMode = "read" if len(statements) > 1 else "none"
        return await self.db.run("listMessages", job, mode=mode)

    async def query_message_json(self, query: MessageQuery) -> list[tuple[str, str, Any]]:
        """The :class:`~mastra_storage.backend.SupportsMessageJSON` capability: the plain
        page's ``(id, role, content JSON text)`` rows, one statement."""
        where, params = _page_filter(query)
        sql, page_params = _page_select(query, where, params, columns=JSON_ROW_COLUMNS)
        return await self.db.run(
            "listMessages", lambda tx: tx.fetchall(sql, page_params), mode="none"
        )

    async def get_messages(self, message_ids: list[str]) -> list[StoredMessage]:
        clause, params = in_list("m.id", message_ids)

        def job(tx: Tx) -> list[StoredMessage]:
            rows = tx.fetchall(
                f"SELECT {message_columns()} FROM {TABLE_MESSAGES} m WHERE {clause}", params
            )
            return [stored_message_from_row(r) for r in rows]

        return await self.db.run("listMessagesById", job, mode="none")

    async def save_messages(self, messages: list[Message], now: datetime) -> None:
        thread_ids = list(dict.fromkeys(m.thread_id for m in messages if m.thread_id))
        # The texts the domain's check encoded (``CheckedMessages``), not a second time.
        rows = [
            message_params(m, content)
            for m, content in zip(messages, content_json_of(messages), strict=True)
        ]
        now_text = ts(now)
        thread_clause, thread_params = in_list("id", thread_ids)

        def job(tx: Tx) -> None:
            if thread_ids:
                # The bump is the existence check: it must touch every thread of the batch,
                # else the job raises and its transaction (bump included) rolls back.
                tx.execute_expecting(
                    BUMP_THREADS + thread_clause,
                    [now_text, *thread_params],
                    len(thread_ids),
                    lambda: _threads_not_found(thread_ids),
                )
            if len(rows) == 1:
                tx.execute(UPSERT_MESSAGE, rows[0])
            else:
                tx.executemany(UPSERT_MESSAGE, rows)

        await self.db.run("saveMessages", job)

    async def modify_messages(
        self, message_ids: list[str], mutate: MessageMutation, now: datetime
    ) -> list[Message]:
        clause, params = in_list("m.id", message_ids)
        now_text = ts(now)

        def job(tx: Tx) -> list[Message]:
            rows = tx.fetchall(
                f"SELECT {message_columns()} FROM {TABLE_MESSAGES} m WHERE {clause}", params
            )
            current = {s.message.id: s.message for s in map(stored_message_from_row, rows)}
            planned = plan_message_updates(message_ids, current, mutate)
            if not planned:
                return []
            targets = list(dict.fromkeys(str(u.thread_id) for _, u in planned))
            target_clause, target_params = in_list("id", targets)
            found = {
                r[0]
                for r in tx.fetchall(
                    f"SELECT id FROM {TABLE_THREADS} WHERE {target_clause}", target_params
                )
            }
            for _, updated in planned:
                if updated.thread_id not in found:
                    raise NotFoundError(
                        f"Thread {updated.thread_id} not found",
                        id="MASTRA_STORAGE_UPDATE_MESSAGES_THREAD_NOT_FOUND",
                        details={"thread_id": updated.thread_id},
                    )
            tx.executemany(
                UPDATE_MESSAGE,
                [(*message_params(u)[1:5], u.resource_id, u.id) for _, u in planned],
            )
            touched = list(
                dict.fromkeys(
                    t for old, new in planned for t in (old.thread_id, new.thread_id) if t
                )
            )
            touched_clause, touched_params = in_list("id", touched)
            tx.execute(BUMP_THREADS + touched_clause, [now_text, *touched_params])
            return [updated for _, updated in planned]

        return await self.db.run("updateMessages", job)

    async def delete_messages(self, message_ids: list[str], now: datetime) -> None:
        clause, params = in_list("id", message_ids)
        now_text = ts(now)

        def job(tx: Tx) -> None:
            tx.execute(
                BUMP_THREADS + f"id IN (SELECT thread_id FROM {TABLE_MESSAGES} WHERE {clause})",
                [now_text, *params],
            )
            tx.execute(f"DELETE FROM {TABLE_MESSAGES} WHERE {clause}", params)

        await self.db.run("deleteMessages", job)

    # ---- resources --------------------------------------------------------------------

    async def get_resource(self, resource_id: str) -> Resource | None:
        def job(tx: Tx) -> Resource | None:
            row = tx.fetchone(
                f"SELECT {RESOURCE_COLUMNS} FROM {TABLE_RESOURCES} WHERE id = ?", (resource_id,)
            )
            return None if row is None else resource_from_row(row)

        return await self.db.run("getResourceById", job, mode="none")

    async def upsert_resource(self, resource: Resource) -> None:
        params = resource_params(resource)

        def job(tx: Tx) -> None:
            tx.execute(UPSERT_RESOURCE, params)

        await self.db.run("saveResource", job)

    async def delete_resource(self, resource_id: str) -> None:
        """The :class:`~mastra_storage.backend.SupportsResourceDelete` capability: delete
        the resource row in one statement (threads and messages are not touched)."""

        def job(tx: Tx) -> None:
            tx.execute(f"DELETE FROM {TABLE_RESOURCES} WHERE id = ?", (resource_id,))

        await self.db.run("deleteResource", job)

    async def modify_resource(self, resource_id: str, mutate: ResourceMutation) -> Resource:
        def job(tx: Tx) -> Resource:
            row = tx.fetchone(
                f"SELECT {RESOURCE_COLUMNS} FROM {TABLE_RESOURCES} WHERE id = ?", (resource_id,)
            )
            updated = mutate(None if row is None else resource_from_row(row))
            tx.execute(UPSERT_RESOURCE, resource_params(updated))
            return updated

        return await self.db.run("updateResource", job)

    async def scan_resources(
        self, position: str | None, limit: int
    ) -> tuple[list[Resource], str | None]:
        """The :class:`~mastra_storage.backend.SupportsResourceScan` capability: keyset
        pages on the primary key (``id > ? ORDER BY id``), so concurrent writes never
        shift a page; one statement each."""

        def job(tx: Tx) -> list[Resource]:
            select = f"SELECT {RESOURCE_COLUMNS} FROM {TABLE_RESOURCES}"
            if position is None:
                rows = tx.fetchall(f"{select} ORDER BY id LIMIT ?", (limit,))
            else:
                rows = tx.fetchall(f"{select} WHERE id > ? ORDER BY id LIMIT ?", (position, limit))
            return [resource_from_row(row) for row in rows]

        found = await self.db.run("scanResources", job, mode="none")
        return found, found[-1].id if len(found) == limit else None

    # ---- cloning ----------------------------------------------------------------------

    async def clone_thread(
        self, source_thread_id: str, new_thread_id: str, build: CloneBuilder
    ) -> tuple[Thread, list[Message]] | None:
        def job(tx: Tx) -> tuple[Thread, list[Message]] | None:
            row = tx.fetchone(
                f"SELECT {THREAD_COLUMNS} FROM {TABLE_THREADS} WHERE id = ?", (source_thread_id,)
            )
            if row is None:
                return None
            if tx.fetchone(f"SELECT 1 FROM {TABLE_THREADS} WHERE id = ?", (new_thread_id,)):
                raise ConflictError(
                    f"Thread with id {new_thread_id} already exists",
                    id="MASTRA_STORAGE_CLONE_THREAD_THREAD_EXISTS",
                    details={"thread_id": new_thread_id},
                )
            source = thread_from_row(row)
            rows = tx.fetchall(
                f"SELECT {message_columns()} FROM {TABLE_MESSAGES} m WHERE m.thread_id = ? "
                'ORDER BY m."createdAt" ASC, m.rowid ASC',
                (source_thread_id,),
            )
            messages = [stored_message_from_row(r).message for r in rows]
            thread, copies = build(source, messages)
            tx.execute(UPSERT_THREAD, thread_params(thread))
            tx.executemany(INSERT_MESSAGE, [message_params(m) for m in copies])
            return thread, copies

        return await self.db.run("cloneThread", job)


def _page_filter(query: MessageQuery) -> tuple[list[str], list[Any]]:
    """The main set's ``WHERE`` conditions and their parameters."""
    where: list[str] = []
    params: list[Any] = []
    if query.thread_ids is not None:
        clause, values = in_list("m.thread_id", query.thread_ids)
        where.append(clause)
        params.extend(values)
    if query.resource_id is not None:
        where.append('m."resourceId" = ?')
        params.append(query.resource_id)
    range_where, range_params = date_range_conditions('m."createdAt"', query.date_range)
    where.extend(range_where)
    params.extend(range_params)
    return where, params


def _page_select(
    query: MessageQuery, where: list[str], params: list[Any], *, columns: str | None = None
) -> tuple[str, list[Any]]:
    """The page's ``SELECT`` (cursor, order, ``limit + 1``) over the main set's filter,
    of ``columns`` (default: the message row)."""
    page_where = list(where)
    page_params = list(params)
    if query.after is not None:
        op = "<" if query.descending else ">"
        page_where.append(f'(m."createdAt", m.rowid) {op} (?, ?)')
        page_params.extend([ts(from_epoch_ms(query.after.key)), int(query.after.tie)])
    limit_sql, limit_params = limit_offset(query.limit, query.offset, extra=1)
    sql = _page_sql(_where(page_where), query.descending, limit_sql, columns)
    return sql, [*page_params, *limit_params]


@functools.lru_cache(maxsize=256)
def _page_sql(where_sql: str, descending: bool, limit_sql: str, columns: str | None) -> str:
    """The page statement's text, built once per shape (filters, direction, columns)."""
    direction = "DESC" if descending else "ASC"
    return (
        f"SELECT {columns or message_columns()} FROM {TABLE_MESSAGES} m{where_sql}"
        f' ORDER BY m."createdAt" {direction}, m.rowid {direction}{limit_sql}'
    )


def _plain_page(query: MessageQuery) -> tuple[str, list[Any]]:
    """A page without total or include windows: its rows are plain message rows."""
    where, params = _page_filter(query)
    return _page_select(query, where, params)


def _message_statements(query: MessageQuery) -> list[tuple[str, list[Any]]]:
    """``list_messages`` as few statements as possible (usually one).

    Every row starts with its kind (``PAGE_ROW``, ``INCLUDED_ROW``, ``TOTAL_ROW``). The
    page, its total and the include windows of up to 100 specs are one ``UNION ALL``
    statement; each further 100 specs add one.
    """
    where, params = _page_filter(query)
    parts: list[str] = []
    all_params: list[Any] = []
    if query.limit != 0:
        page_sql, page_params = _page_select(query, where, params)
        if query.count:
            count_sql = f"SELECT COUNT(*) FROM {TABLE_MESSAGES} m{_where(where)}"
            parts.append(with_total(count_sql, page_sql, MESSAGE_WIDTH))
            all_params.extend(params)
        else:
            parts.append(page_rows(page_sql))
        all_params.extend(page_params)
    statements: list[tuple[str, list[Any]]] = []
    for sql, include_params in _include_parts(query):
        statements.append((" UNION ALL ".join([*parts, sql]), [*all_params, *include_params]))
        parts, all_params = [], []
    if parts:
        statements.append((parts[0], all_params))
    return statements


def _where(conditions: list[str]) -> str:
    return " WHERE " + " AND ".join(conditions) if conditions else ""


def _include_parts(query: MessageQuery) -> list[tuple[str, list[Any]]]:
    """The include windows as ``UNION ALL`` selects of ``INCLUDED_ROW`` rows, per 100 specs.

    Per spec: the target (by id, any thread), up to ``n`` rows before it and ``m`` after it
    in the target's own thread by ``(createdAt, rowid)``.
    """
    chunks: list[tuple[str, list[Any]]] = []
    specs = list(query.include)
    for start in range(0, len(specs), 100):
        parts: list[str] = []
        params: list[Any] = []
        for spec in specs[start : start + 100]:
            parts.append(
                f"SELECT {INCLUDED_ROW}, x.* FROM (SELECT {message_columns()} "
                f"FROM {TABLE_MESSAGES} m WHERE m.id = ?) x"
            )
            params.append(spec.id)
            for count, op, direction in (
                (spec.with_previous_messages, "<", "DESC"),
                (spec.with_next_messages, ">", "ASC"),
            ):
                if count <= 0:
                    continue
                parts.append(
                    f"SELECT {INCLUDED_ROW}, x.* FROM (SELECT {message_columns()} "
                    f"FROM {TABLE_MESSAGES} t JOIN {TABLE_MESSAGES} m ON m.thread_id = t.thread_id "
                    f'AND (m."createdAt", m.rowid) {op} (t."createdAt", t.rowid) '
                    f'WHERE t.id = ? ORDER BY m."createdAt" {direction}, m.rowid {direction} '
                    "LIMIT ?) x"
                )
                params.extend([spec.id, count])
        chunks.append((" UNION ALL ".join(parts), params))
    return chunks


__all__ = ["LibSQLMemoryBackend"]
