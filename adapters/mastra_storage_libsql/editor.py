"""The seven versioned editor domains on SQLite / libSQL (agents, prompt blocks, scorer
definitions, MCP clients, MCP servers, workspaces, skills).

Tables are ``@mastra/libsql`` 1.23.1's (:mod:`mastra_storage_libsql.schema`): a thin record
table and a versions table per domain, JSON columns written with ``jsonb(?)`` and read
through ``json()``, timestamps as ISO-8601 text, booleans as 0/1.

Version numbers stay unique per entity under concurrent writers, even on
``mastra_agent_versions``, which the release leaves without a unique index: every write
is one ``BEGIN IMMEDIATE`` transaction (SQLite and sqld admit one writer at a time), and
the number is checked or assigned inside it. The other six version tables also have the
release's unique ``(parent, versionNumber)`` index, which catches a writer that skips
these transactions (an older Mastra, a hand-written script).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import msgspec

from mastra_storage.backend.editor import (
    EditorBackend,
    EditorDomain,
    EntityMutation,
    EntityQuery,
    VersionQuery,
)
from mastra_storage.codec import dumps
from mastra_storage.editor_records import EditorEntity, EditorVersion
from mastra_storage.errors import ConflictError, NotFoundError
from mastra_storage.layout import TABLE_FAVORITES, LogicalTable

from .connection import LibSQLDatabase
from .domain import LibSQLDomain
from .sqlutil import in_list, json_param, json_read, json_value, parse_ts, q, ts
from .tx import Tx

T = TypeVar("T")

# Text columns that Mastra fills with JSON when the value is not a string (an agent's
# ``instructions`` may be a list of message parts; ``@mastra/libsql`` stores it as JSON text).
_JSON_WHEN_NOT_TEXT = frozenset({"instructions"})


class RowCodec:
    """One table's rows as dicts keyed by Mastra's column names, in and out of SQL.

    Write: JSON columns as ``jsonb(?)``, timestamps as ISO text, booleans as 0/1. Read:
    every column selected (JSON through ``json()``) and decoded back.
    """

    def __init__(self, table: LogicalTable) -> None:
        self.table = table.name
        self.columns = table.column_names
        self._logical = {c.name: c.logical for c in table.columns}
        self.select = ", ".join(
            json_read(c) + f" AS {q(c)}" if self._logical[c] == "jsonb" else q(c)
            for c in self.columns
        )
        self._values = ", ".join(
            "jsonb(?)" if self._logical[c] == "jsonb" else "?" for c in self.columns
        )
        self.insert = (
            f"INSERT INTO {table.name} ({', '.join(q(c) for c in self.columns)}) "
            f"VALUES ({self._values})"
        )
        rest = [c for c in self.columns if c != "id"]
        self.update_by_id = (
            f"UPDATE {table.name} SET "
            + ", ".join(
                f"{q(c)} = jsonb(?)" if self._logical[c] == "jsonb" else f"{q(c)} = ?" for c in rest
            )
            + " WHERE id = ?"
        )
        self._rest = tuple(rest)
        # NOT NULL JSON columns store None as JSON null, as Mastra does (a purged dataset
        # item's ``input``), instead of failing the constraint.
        self._json_required = frozenset(
            c.name for c in table.columns if c.logical == "jsonb" and c.name in table.not_null
        )

    def encode_value(self, column: str, value: Any) -> Any:
        logical = self._logical[column]
        if value is None:
            return "null" if column in self._json_required else None
        if logical == "jsonb":
            return json_param(value)
        if logical == "timestamp":
            return ts(value)
        if logical == "boolean":
            return int(bool(value))
        if logical == "text" and not isinstance(value, str) and column in _JSON_WHEN_NOT_TEXT:
            return dumps(value)
        return value

    def params(self, row: dict[str, Any]) -> list[Any]:
        """Parameters of :attr:`insert` (columns missing from ``row`` are NULL)."""
        return [self.encode_value(c, row.get(c)) for c in self.columns]

    def update_params(self, row: dict[str, Any]) -> list[Any]:
        """Parameters of :attr:`update_by_id`."""
        return [self.encode_value(c, row.get(c)) for c in self._rest] + [row["id"]]

    def decode(self, raw: Sequence[Any]) -> dict[str, Any]:
        """A selected row (:attr:`select`) as ``{column: value}``."""
        out: dict[str, Any] = {}
        for column, value in zip(self.columns, raw, strict=True):
            logical = self._logical[column]
            if value is None:
                out[column] = None
            elif logical == "jsonb":
                out[column] = json_value(value)
            elif logical == "timestamp":
                out[column] = parse_ts(value)
            elif logical == "boolean":
                out[column] = bool(value)
            elif logical in ("integer", "bigint"):
                out[column] = int(value)
            elif logical == "float":
                out[column] = float(value)
            elif column in _JSON_WHEN_NOT_TEXT and isinstance(value, str) and value[:1] == "[":
                decoded = json_value(value)
                out[column] = decoded if isinstance(decoded, list) else value
            else:
                out[column] = value
        return out


def _column_filters(query: EntityQuery) -> tuple[list[str], list[Any]]:
    """The SQL conditions (and their parameters) of a listing's filters on the columns
    every editor table has: status, author and ids."""
    where: list[str] = []
    params: list[Any] = []
    if query.status is not None:
        where.append("status = ?")
        params.append(query.status)
    if query.author_id is not None:
        where.append('"authorId" = ?')
        params.append(query.author_id)
    if query.ids is not None:
        cond, ids = in_list("id", query.ids)
        where.append(cond)
        params += ids
    return where, params


class LibSQLEditorBackend(LibSQLDomain, EditorBackend):
    """One editor domain (``domain``) on the store's database. Every method is one job:
    one ``BEGIN IMMEDIATE`` transaction for writes, one snapshot for a counted page.
    Constraint violations surface as :class:`ConflictError`; nothing is written then."""

    def __init__(self, db: LibSQLDatabase, domain: EditorDomain) -> None:
        LibSQLDomain.__init__(self, db)
        EditorBackend.__init__(self, domain)
        self.entities = RowCodec(domain.entity_table)
        self.versions = RowCodec(domain.version_table)
        self._parent = q(domain.parent_column)

    async def dangerously_clear_all(self) -> None:
        """Delete every version and entity of this domain in one transaction."""
        versions, entities = self.versions.table, self.entities.table

        def job(tx: Tx) -> None:
            tx.execute(f"DELETE FROM {versions}")
            tx.execute(f"DELETE FROM {entities}")

        await self.db.run("dangerouslyClearAll", job)

    # ---- helpers ------------------------------------------------------------------------

    def _entity(self, raw: Sequence[Any]) -> EditorEntity:
        return self.domain.entity_from_row(self.entities.decode(raw))

    def _version(self, raw: Sequence[Any]) -> EditorVersion:
        return self.domain.version_from_row(self.versions.decode(raw))

    def _number_taken(self, parent_id: str, number: int) -> tuple[str, list[Any]]:
        return (
            f"NOT EXISTS (SELECT 1 FROM {self.versions.table} "
            f'WHERE {self._parent} = ? AND "versionNumber" = ?)',
            [parent_id, number],
        )

    def _conflict(self, version: EditorVersion) -> Callable[[], BaseException]:
        name = self.domain.name
        return lambda: ConflictError(
            f"{name}: version {version.version_number} of {version.parent_id!r} already exists",
            id="MASTRA_STORAGE_EDITOR_VERSION_NUMBER_EXISTS",
            details={"parentId": version.parent_id, "versionNumber": version.version_number},
        )

    # ---- entities -------------------------------------------------------------------------

    async def insert_entity_with_version(
        self, entity: EditorEntity, version: EditorVersion
    ) -> None:
        """Insert the entity and its first version in one transaction (both or neither);
        an existing entity id, version id or version number is a ``ConflictError``."""
        entity_params = self.entities.params(entity.row())
        version_params = self.versions.params(version.row(self.domain.parent_column))
        check, check_params = self._number_taken(version.parent_id, version.version_number)

        def job(tx: Tx) -> None:
            tx.execute(self.entities.insert, entity_params)
            tx.guard(f"SELECT {check}", check_params, self._conflict(version))
            tx.execute(self.versions.insert, version_params)

        await self.db.run("create", job)

    async def get_entity(self, entity_id: str) -> EditorEntity | None:
        sql = f"SELECT {self.entities.select} FROM {self.entities.table} WHERE id = ?"

        def job(tx: Tx) -> EditorEntity | None:
            row = tx.fetchone(sql, (entity_id,))
            return None if row is None else self._entity(row)

        return await self.db.run("getById", job, mode="none")

    async def modify_entity(self, entity_id: str, mutate: EntityMutation) -> EditorEntity | None:
        """Read, ``mutate`` and write back in one ``BEGIN IMMEDIATE`` transaction, so
        concurrent modifications are serialised and none is lost."""
        sql = f"SELECT {self.entities.select} FROM {self.entities.table} WHERE id = ?"

        def job(tx: Tx) -> EditorEntity | None:
            row = tx.fetchone(sql, (entity_id,))
            if row is None:
                return None
            updated = mutate(self._entity(row))
            tx.execute(self.entities.update_by_id, self.entities.update_params(updated.row()))
            return updated

        return await self.db.run("update", job)

    async def delete_entity_with_versions(self, entity_id: str) -> None:
        versions, entities, parent = self.versions.table, self.entities.table, self._parent

        def job(tx: Tx) -> None:
            tx.execute(f"DELETE FROM {versions} WHERE {parent} = ?", (entity_id,))
            tx.execute(f"DELETE FROM {entities} WHERE id = ?", (entity_id,))

        await self.db.run("delete", job)

    async def query_entities(self, query: EntityQuery) -> tuple[list[EditorEntity], int]:
        """Filters on real columns run in SQL; a ``metadata`` filter (exact JSON equality
        per key) runs through :meth:`EntityQuery.execute` over the SQL-filtered rows."""
        where, params = _column_filters(query)
        for column, value in (query.extra or {}).items():
            if column not in self.domain.extra_columns:
                return [], 0  # an undeclared column matches nothing (no such column)
            where.append(f"{q(column)} IS ?")
            params.append(self.entities.encode_value(column, value))
        base = f"SELECT {self.entities.select} FROM {self.entities.table}"
        if query.metadata:
            sql = base + (" WHERE " + " AND ".join(where) if where else "")

            def python_job(tx: Tx) -> tuple[list[EditorEntity], int]:
                return query.execute(self._entity(r) for r in tx.fetchall(sql, params))

            return await self.db.run("list", python_job, mode="none")
        return await self.read_ordered(
            "list",
            query,
            select=self.entities.select,
            source=self.entities.table,
            where=where,
            params=params,
            column=query.order_field,
            descending=query.direction == "DESC",
            from_row=self._entity,
        )

    async def query_entities_favorites(
        self, query: EntityQuery, user_id: str, entity_type: str, *, favorited_only: bool
    ) -> tuple[list[EditorEntity], int]:
        """The listing with ``user_id``'s favourites, in one read transaction (one
        snapshot): the SQL-filtered records and the user's favourite ids, ordered and paged
        by :meth:`EntityQuery.execute_favorites` (favourited first, or only them)."""
        # The other filters (declared columns, metadata) run in ``execute_favorites``.
        where, params = _column_filters(query)
        sql = f"SELECT {self.entities.select} FROM {self.entities.table}" + (
            " WHERE " + " AND ".join(where) if where else ""
        )
        favorites_sql = (
            f'SELECT "entityId" FROM {TABLE_FAVORITES} WHERE "userId" = ? AND "entityType" = ?'
        )

        def job(tx: Tx) -> tuple[list[EditorEntity], int]:
            rows = tx.fetchall(sql, params)
            mine = {r[0] for r in tx.fetchall(favorites_sql, (user_id, entity_type))}
            return query.execute_favorites(
                (self._entity(r) for r in rows), mine, favorited_only=favorited_only
            )

        return await self.db.run("list", job, mode="read")

    # ---- versions -------------------------------------------------------------------------

    async def insert_version(self, version: EditorVersion, *, assign_number: bool) -> EditorVersion:
        """Insert a version in one ``BEGIN IMMEDIATE`` transaction: the entity must exist
        (else ``NotFoundError``); the number is the highest + 1 (``assign_number``) or must
        be free (else ``ConflictError``), decided inside the transaction."""
        parent_column = self.domain.parent_column
        entities, versions, parent = self.entities.table, self.versions.table, self._parent
        name = self.domain.name

        def missing() -> BaseException:
            return NotFoundError(
                f"{name}: {version.parent_id!r} not found",
                id="MASTRA_STORAGE_EDITOR_ENTITY_NOT_FOUND",
                details={"parentId": version.parent_id},
            )

        def job(tx: Tx) -> EditorVersion:
            stored = version
            if assign_number:
                row = tx.fetchone(
                    f"SELECT (SELECT COUNT(*) FROM {entities} WHERE id = ?), "
                    f'(SELECT COALESCE(MAX("versionNumber"), 0) FROM {versions} '
                    f"WHERE {parent} = ?)",
                    (version.parent_id, version.parent_id),
                )
                if row is None or not row[0]:
                    raise missing()
                stored = msgspec.structs.replace(version, version_number=int(row[1]) + 1)
            else:
                tx.guard(
                    f"SELECT EXISTS (SELECT 1 FROM {entities} WHERE id = ?)",
                    (version.parent_id,),
                    missing,
                )
                check, check_params = self._number_taken(version.parent_id, version.version_number)
                tx.guard(f"SELECT {check}", check_params, self._conflict(version))
            tx.execute(self.versions.insert, self.versions.params(stored.row(parent_column)))
            return stored

        return await self.db.run("createVersion", job)

    async def get_versions(self, version_ids: list[str]) -> list[EditorVersion]:
        if not version_ids:
            return []
        cond, params = in_list("id", version_ids)
        sql = f"SELECT {self.versions.select} FROM {self.versions.table} WHERE {cond}"

        def job(tx: Tx) -> list[EditorVersion]:
            return [self._version(r) for r in tx.fetchall(sql, params)]

        return await self.db.run("getVersions", job, mode="none")

    async def _one_version(
        self, where: str, params: Sequence[Any], operation: str
    ) -> EditorVersion | None:
        sql = f"SELECT {self.versions.select} FROM {self.versions.table} {where}"

        def job(tx: Tx) -> EditorVersion | None:
            row = tx.fetchone(sql, params)
            return None if row is None else self._version(row)

        return await self.db.run(operation, job, mode="none")

    async def get_version_by_number(self, parent_id: str, number: int) -> EditorVersion | None:
        return await self._one_version(
            f'WHERE {self._parent} = ? AND "versionNumber" = ? ORDER BY id LIMIT 1',
            (parent_id, number),
            "getVersionByNumber",
        )

    async def get_latest_version(self, parent_id: str) -> EditorVersion | None:
        return await self._one_version(
            f'WHERE {self._parent} = ? ORDER BY "versionNumber" DESC, id ASC LIMIT 1',
            (parent_id,),
            "getLatestVersion",
        )

    async def query_versions(self, query: VersionQuery) -> tuple[list[EditorVersion], int]:
        return await self.read_ordered(
            "listVersions",
            query,
            select=self.versions.select,
            source=self.versions.table,
            where=[f"{self._parent} = ?"],
            params=[query.parent_id],
            column=query.order_field,
            descending=query.direction == "DESC",
            from_row=self._version,
            timestamp=query.order_field == "createdAt",
        )

    async def delete_versions(self, version_ids: list[str]) -> None:
        if not version_ids:
            return
        cond, params = in_list("id", version_ids)
        sql = f"DELETE FROM {self.versions.table} WHERE {cond}"

        def job(tx: Tx) -> None:
            tx.execute(sql, params)

        await self.db.run("deleteVersion", job)

    async def delete_versions_of(self, parent_id: str) -> None:
        sql = f"DELETE FROM {self.versions.table} WHERE {self._parent} = ?"

        def job(tx: Tx) -> None:
            tx.execute(sql, (parent_id,))

        await self.db.run("deleteVersionsByParentId", job)

    async def count_versions(self, parent_id: str) -> int:
        sql = f"SELECT COUNT(*) FROM {self.versions.table} WHERE {self._parent} = ?"

        def job(tx: Tx) -> int:
            row = tx.fetchone(sql, (parent_id,))
            return int(row[0]) if row else 0

        return await self.db.run("countVersions", job, mode="none")


__all__ = ["LibSQLEditorBackend", "RowCodec"]
