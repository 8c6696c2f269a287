"""The versioned editor domains on PostgreSQL: one backend for all seven, parameterised by
the domain's declared tables (:data:`mastra_storage.backend.editor.EDITOR_DOMAINS`).

Rows are written as ``@mastra/pg`` 1.27.1 writes them: JSON columns as ``jsonb`` values,
every timestamp ``X`` with its ``XZ`` twin. Version numbers stay unique per entity among
our writers whatever indexes exist (agent versions have no unique index in 1.27.1, and
``skip_default_indexes`` drops the others): a version insert locks the entity's row
(``SELECT ... FOR UPDATE``) before it reads the highest number, so concurrent inserts for
one entity queue instead of colliding.
"""

from __future__ import annotations

from typing import Any

from mastra_storage.backend.concurrency import RetryPolicy
from mastra_storage.backend.editor import (
    EditorBackend,
    EditorDomain,
    EntityMutation,
    EntityQuery,
    VersionQuery,
)
from mastra_storage.editor_records import EditorEntity, EditorVersion
from mastra_storage.errors import ConflictError, NotFoundError
from mastra_storage.layout import TABLE_FAVORITES, LogicalTable
from mastra_storage.pagination import Cursor

from .domain import PgBackend, PgContext, column_slots
from .schema import q
from .sqlutil import (
    Params,
    json_param,
    json_param_required,
    json_value,
    keyset_after,
    naive,
    read_ts,
    select_columns,
)

#: Retries of an auto-numbered version insert that lost its number to a writer without the
#: row lock (a Mastra app): a handful is plenty, each retry reads the new highest number.
_VERSION_RETRY = RetryPolicy(attempts=4)


class _Rows:
    """How one table's rows map to values: the select list, the insert statement, and
    row <-> ``{column: value}`` (JSON decoded, timestamps from the ``Z`` twin first)."""

    def __init__(self, table: LogicalTable, full_name: str) -> None:
        self.table = table
        self.select = select_columns(table)
        names, placeholders = column_slots(table)
        self.insert_sql = (
            f"INSERT INTO {full_name} ({', '.join(names)}) VALUES ({', '.join(placeholders)})"
        )

    def params(self, values: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        for column in self.table.columns:
            value = values.get(column.name)
            if column.logical == "jsonb":
                out.append(
                    json_param_required(value)
                    if column.name in self.table.not_null
                    else json_param(value)
                )
            elif column.logical == "timestamp":
                out += [None if value is None else naive(value), value]
            else:
                out.append(value)
        return out

    def decode(self, row: Any, offset: int = 0) -> dict[str, Any]:
        values: dict[str, Any] = {}
        index = offset
        for column in self.table.columns:
            raw = row[index]
            index += 1
            if column.logical == "timestamp":
                values[column.name] = read_ts(row[index], raw)
                index += 1
            elif column.logical == "jsonb":
                values[column.name] = json_value(raw)
            else:
                values[column.name] = raw
        return values


class PgEditorBackend(PgBackend, EditorBackend):
    """One editor domain in its two tables (see the module docstring). Multi-row writes run
    in one transaction or one statement; errors are typed (:mod:`.errors`)."""

    def __init__(self, ctx: PgContext, domain: EditorDomain) -> None:
        PgBackend.__init__(self, ctx)
        EditorBackend.__init__(self, domain)
        self._e = self.t(domain.entity_table.name)
        self._v = self.t(domain.version_table.name)
        self._parent = q(domain.parent_column)
        self._entity = _Rows(domain.entity_table, self._e)
        self._version = _Rows(domain.version_table, self._v)
        thin = [c for c in domain.entity_table.column_names if c not in ("id", "createdAt")]
        sets = []
        for i, name in enumerate(thin, start=2):
            cast = "::jsonb" if name in domain.entity_table.json_columns else ""
            sets.append(f"{q(name)} = ${i}{cast}")
        self._update_sql = (
            f'UPDATE {self._e} SET {", ".join(sets)}, "updatedAtZ" = ${len(thin) + 2} WHERE id = $1'
        )
        self._thin = thin
        self._op = domain.name

    async def dangerously_clear_all(self) -> None:
        """Empty both tables in one statement (meant for tests)."""
        await self._db.execute(
            f"dangerouslyClearAll:{self._op}",
            f"WITH v AS (DELETE FROM {self._v}) DELETE FROM {self._e}",
        )

    # ---- conversions ----------------------------------------------------------------------

    def _entity_of(self, row: Any, offset: int = 0) -> EditorEntity:
        return self.domain.entity_from_row(self._entity.decode(row, offset))

    def _version_of(self, row: Any, offset: int = 0) -> EditorVersion:
        return self.domain.version_from_row(self._version.decode(row, offset))

    # ---- entities -------------------------------------------------------------------------

    async def insert_entity_with_version(
        self, entity: EditorEntity, version: EditorVersion
    ) -> None:
        async with self._db.transaction(f"create:{self._op}") as tx:
            await tx.execute(self._entity.insert_sql, *self._entity.params(entity.row()))
            await tx.execute(
                self._version.insert_sql,
                *self._version.params(version.row(self.domain.parent_column)),
            )

    async def get_entity(self, entity_id: str) -> EditorEntity | None:
        row = await self._db.fetchrow(
            f"getById:{self._op}",
            f"SELECT {self._entity.select} FROM {self._e} WHERE id = $1",
            entity_id,
        )
        return None if row is None else self._entity_of(row)

    async def modify_entity(self, entity_id: str, mutate: EntityMutation) -> EditorEntity | None:
        async with self._db.transaction(f"update:{self._op}") as tx:
            row = await tx.fetchrow(
                f"SELECT {self._entity.select} FROM {self._e} WHERE id = $1 FOR UPDATE", entity_id
            )
            if row is None:
                return None
            updated = mutate(self._entity_of(row))
            values = updated.row()
            params: list[Any] = [entity_id]
            for name in self._thin:
                value = values.get(name)
                if name in self.domain.entity_table.json_columns:
                    params.append(json_param(value))
                elif name == "updatedAt":
                    params.append(naive(updated.updated_at))
                else:
                    params.append(value)
            params.append(updated.updated_at)
            await tx.execute(self._update_sql, *params)
            return updated

    async def delete_entity_with_versions(self, entity_id: str) -> None:
        # one statement: the versions and the record go together or not at all
        await self._db.execute(
            f"delete:{self._op}",
            f"WITH v AS (DELETE FROM {self._v} WHERE {self._parent} = $1) "
            f"DELETE FROM {self._e} WHERE id = $1",
            entity_id,
        )

    async def query_entities(self, query: EntityQuery) -> tuple[list[EditorEntity], int]:
        p = Params()
        where = self._entity_where(query, p)
        rows, total = await self.fetch_time_page(
            f"list:{self._op}",
            p,
            query,
            select=self._entity.select,
            source=self._e,
            where=where,
            time_sql=q(query.order_field),
            descending=query.direction == "DESC",
        )
        return [self._entity_of(r, 1) for r in rows], total

    async def query_entities_favorites(
        self, query: EntityQuery, user_id: str, entity_type: str, *, favorited_only: bool
    ) -> tuple[list[EditorEntity], int]:
        """The listing LEFT JOINed with ``user_id``'s rows of ``mastra_favorites`` (as
        ``@mastra/pg`` does), in one statement: favourited rows first unless
        ``favorited_only`` keeps only them. The join sits in a subquery so the page and
        count helpers see the entity's own column names."""
        p = Params()
        flag = "mastra_storage_favorited"
        source = (
            f'(SELECT e.*, (f."userId" IS NOT NULL) AS {flag} FROM {self._e} e '
            f'LEFT JOIN {self.t(TABLE_FAVORITES)} f ON f."entityType" = {p.add(entity_type)} '
            f'AND f."entityId" = e.id AND f."userId" = {p.add(user_id)}) AS s'
        )
        where = self._entity_where(query, p)
        time_sql = q(query.order_field)
        descending = query.direction == "DESC"
        if favorited_only:
            where.append(flag)
            rows, total = await self.fetch_time_page(
                f"list:{self._op}",
                p,
                query,
                select=self._entity.select,
                source=source,
                where=where,
                time_sql=time_sql,
                descending=descending,
            )
        else:
            rows, total = await self.fetch_page(
                f"list:{self._op}",
                p,
                select=self._entity.select,
                source=source,
                where=where,
                after=None,  # the core pages a pinned listing by offset only
                order_sql=f" ORDER BY {flag} DESC, {time_sql} {query.direction}, id ASC",
                limit=query.limit,
                offset=query.offset,
                count=query.count,
            )
        return [self._entity_of(r, 1) for r in rows], total

    def _entity_where(self, query: EntityQuery, p: Params) -> list[str]:
        where: list[str] = []
        if query.status is not None:
            where.append(f"status = {p.add(query.status)}")
        if query.author_id is not None:
            where.append(f'"authorId" = {p.add(query.author_id)}')
        if query.ids is not None:
            where.append(f"id = ANY({p.add(list(query.ids), '::text[]')})")
        for key, value in (query.metadata or {}).items():
            where.append(
                f"metadata -> {p.add(key)} = {p.add(json_param_required(value), '::jsonb')}"
            )
        for key, value in (query.extra or {}).items():
            if key not in self.domain.extra_columns:
                raise ValueError(f"unknown column {key!r}")  # the core validated it already
            where.append(f"{q(key)} = {p.add(value)}")
        return where

    # ---- versions -------------------------------------------------------------------------

    async def insert_version(self, version: EditorVersion, *, assign_number: bool) -> EditorVersion:
        if not assign_number:
            return await self._insert_version(version, assign_number=False)
        for attempt in _VERSION_RETRY.tries():
            try:
                return await self._insert_version(version, assign_number=True)
            except ConflictError:
                # A Mastra writer (which takes no row lock) may have taken the number at the
                # same instant; the release's unique index refused ours: pick the next one.
                # A conflict on our own version id is final.
                taken = await self.get_versions([version.id])
                if taken or attempt == _VERSION_RETRY.attempts - 1:
                    raise
                await _VERSION_RETRY.pause(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _insert_version(
        self, version: EditorVersion, *, assign_number: bool
    ) -> EditorVersion:
        async with self._db.transaction(f"createVersion:{self._op}") as tx:
            # the entity's row lock serialises version writers of one entity
            found = await tx.fetchval(
                f"SELECT 1 FROM {self._e} WHERE id = $1 FOR UPDATE", version.parent_id
            )
            if found is None:
                raise NotFoundError(
                    f"{self.domain.name} entity {version.parent_id} not found",
                    id=f"MASTRA_STORAGE_CREATE_{self.domain.name.upper()}_VERSION_NOT_FOUND",
                    details={"id": version.parent_id},
                )
            if assign_number:
                number = await tx.fetchval(
                    f'SELECT COALESCE(MAX("versionNumber"), 0) + 1 FROM {self._v} '
                    f"WHERE {self._parent} = $1",
                    version.parent_id,
                )
                version = version.replace(version_number=int(number))
            elif await tx.fetchval(
                f'SELECT 1 FROM {self._v} WHERE {self._parent} = $1 AND "versionNumber" = $2',
                version.parent_id,
                version.version_number,
            ):
                raise ConflictError(
                    f"{self.domain.name}: version number {version.version_number} of "
                    f"{version.parent_id} already exists",
                    id=f"MASTRA_STORAGE_{self.domain.name.upper()}_CONFLICT",
                    details={
                        "parent_id": version.parent_id,
                        "version_number": version.version_number,
                    },
                )
            await tx.execute(
                self._version.insert_sql,
                *self._version.params(version.row(self.domain.parent_column)),
            )
        return version

    async def get_versions(self, version_ids: list[str]) -> list[EditorVersion]:
        rows = await self._db.fetch(
            f"getVersions:{self._op}",
            f"SELECT {self._version.select} FROM {self._v} WHERE id = ANY($1::text[])",
            version_ids,
        )
        return [self._version_of(r) for r in rows]

    async def get_version_by_number(self, parent_id: str, number: int) -> EditorVersion | None:
        row = await self._db.fetchrow(
            f"getVersionByNumber:{self._op}",
            f"SELECT {self._version.select} FROM {self._v} "
            f'WHERE {self._parent} = $1 AND "versionNumber" = $2',
            parent_id,
            number,
        )
        return None if row is None else self._version_of(row)

    async def get_latest_version(self, parent_id: str) -> EditorVersion | None:
        row = await self._db.fetchrow(
            f"getLatestVersion:{self._op}",
            f"SELECT {self._version.select} FROM {self._v} WHERE {self._parent} = $1 "
            'ORDER BY "versionNumber" DESC LIMIT 1',
            parent_id,
        )
        return None if row is None else self._version_of(row)

    async def query_versions(self, query: VersionQuery) -> tuple[list[EditorVersion], int]:
        p = Params()
        where = [f"{self._parent} = {p.add(query.parent_id)}"]
        descending = query.direction == "DESC"
        after: str | None = None
        if query.order_field == "versionNumber":
            order_col = '"versionNumber"'
            if query.after is not None:
                after = _int_after(order_col, query.after, p, descending=descending)
        else:
            order_col = '"createdAt"'
            if query.after is not None:
                after = keyset_after(
                    order_col, "id", query.after, p, descending=descending, tie_descending=False
                )
        rows, total = await self.fetch_page(
            f"listVersions:{self._op}",
            p,
            select=self._version.select,
            source=self._v,
            where=where,
            after=after,
            order_sql=f" ORDER BY {order_col} {query.direction}, id ASC",
            limit=query.limit,
            offset=query.offset,
            count=query.count,
        )
        return [self._version_of(r, 1) for r in rows], total

    async def delete_versions(self, version_ids: list[str]) -> None:
        await self._db.execute(
            f"deleteVersion:{self._op}",
            f"DELETE FROM {self._v} WHERE id = ANY($1::text[])",
            version_ids,
        )

    async def delete_versions_of(self, parent_id: str) -> None:
        await self._db.execute(
            f"deleteVersionsByParentId:{self._op}",
            f"DELETE FROM {self._v} WHERE {self._parent} = $1",
            parent_id,
        )

    async def count_versions(self, parent_id: str) -> int:
        value = await self._db.fetchval(
            f"countVersions:{self._op}",
            f"SELECT count(*) FROM {self._v} WHERE {self._parent} = $1",
            parent_id,
        )
        return int(value or 0)


def _int_after(column: str, cursor: Cursor, p: Params, *, descending: bool) -> str:
    """ "Strictly after ``cursor``" for an integer key then ``id`` ascending."""
    key = p.add(cursor.key, "::integer")
    tie = p.add(cursor.tie)
    op = "<" if descending else ">"
    return f"({column} {op} {key} OR ({column} = {key} AND id > {tie}))"


__all__ = ["PgEditorBackend"]
