"""Index management (``@mastra/pg``'s ``createIndex``/``listIndexes``/``describeIndex``/
``dropIndex``) for the store's schema.

Index, table, schema, operator-class and tablespace names are validated identifiers.
Columns are either plain column names (optionally followed by ``ASC``/``DESC``), which are
quoted, or SQL expressions such as ``metadata->>'type'``, which are written in
parentheses; expressions and ``where`` predicates are SQL written by the application (as in
Mastra), so they are checked only for statement separators and comments. In a schema other
than ``public`` index names get the ``<schema>_`` prefix, as the seed page documents.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import msgspec

from mastra_storage.errors import MastraStorageError, NotFoundError, ValidationError
from mastra_storage.validation import validate_identifier

from .connection import PgDatabase
from .errors import import_asyncpg
from .schema import prefixed_index_name, q

logger = logging.getLogger("mastra_storage_postgres")

IndexMethod = Literal["btree", "hash", "gin", "gist", "spgist", "brin"]
METHODS: tuple[str, ...] = ("btree", "hash", "gin", "gist", "spgist", "brin")
# fullmatch, not ``^...$``: ``$`` also matches before a trailing newline.
_PLAIN_COLUMN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+(ASC|DESC))?\s*", re.I)
_FORBIDDEN_SQL = re.compile(r";|--|/\*")
_STORAGE_VALUE = re.compile(r"[A-Za-z0-9_.]+")


class IndexSpec(msgspec.Struct, kw_only=True, frozen=True):
    """What :meth:`IndexManager.create_index` (and ``indexes=[...]`` at init) takes."""

    name: str
    table: str
    columns: list[str]
    unique: bool = False
    concurrent: bool = True
    where: str | None = None
    method: IndexMethod = "btree"
    opclass: str | None = None
    storage: dict[str, Any] | None = None
    tablespace: str | None = None


class IndexInfo(msgspec.Struct, kw_only=True):
    name: str
    table: str
    columns: list[str]
    unique: bool
    size: str
    definition: str


class IndexStats(IndexInfo, kw_only=True):
    method: str
    scans: int
    tuples_read: int
    tuples_fetched: int


def _sql_fragment(text: str, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(f"index {what} must be a non-empty string", id=_INVALID)
    if _FORBIDDEN_SQL.search(text):
        raise ValidationError(
            f"index {what} {text!r} may not contain ';' or SQL comments", id=_INVALID
        )
    return text.strip()


_INVALID = "MASTRA_STORAGE_PG_INDEX_INVALID_ARGS"


def _column_sql(column: str, opclass: str | None) -> str:
    match = _PLAIN_COLUMN.fullmatch(column) if isinstance(column, str) else None
    suffix = f" {q(opclass)}" if opclass else ""
    if match:
        direction = f" {match.group(2).upper()}" if match.group(2) else ""
        return f"{q(match.group(1))}{suffix}{direction}"
    return f"({_sql_fragment(column, 'column expression')}){suffix}"


def _storage_sql(storage: Mapping[str, Any]) -> str:
    parts = []
    for key, value in storage.items():
        validate_identifier(key, kind="storage parameter")
        if isinstance(value, bool):
            rendered = "true" if value else "false"
        elif isinstance(value, (int, float)):
            rendered = repr(value)
        elif isinstance(value, str) and _STORAGE_VALUE.fullmatch(value):
            rendered = value
        else:
            raise ValidationError(
                f"storage parameter {key!r} has an unsupported value {value!r}", id=_INVALID
            )
        parts.append(f"{key} = {rendered}")
    return f" WITH ({', '.join(parts)})" if parts else ""


def build_create_index(spec: IndexSpec, schema: str) -> tuple[str, str, str]:
    """``(index name, CREATE INDEX statement without CONCURRENTLY, the same with it)``."""
    if not isinstance(spec, IndexSpec):
        raise ValidationError(f"expected an IndexSpec, got {type(spec).__name__}", id=_INVALID)
    validate_identifier(spec.name, kind="index name")
    validate_identifier(spec.table, kind="table name")
    if spec.method not in METHODS:
        raise ValidationError(
            f"index method must be one of {', '.join(METHODS)}, got {spec.method!r}", id=_INVALID
        )
    if spec.opclass is not None:
        validate_identifier(spec.opclass, kind="operator class")
    if spec.tablespace is not None:
        validate_identifier(spec.tablespace, kind="tablespace")
    columns_value: Any = spec.columns
    if not columns_value or isinstance(columns_value, str):
        raise ValidationError("index columns must be a non-empty list", id=_INVALID)
    name = prefixed_index_name(spec.name, schema)
    columns = ", ".join(_column_sql(c, spec.opclass) for c in spec.columns)
    using = f" USING {spec.method}"
    storage = _storage_sql(spec.storage or {})
    tablespace = f" TABLESPACE {q(spec.tablespace)}" if spec.tablespace else ""
    where = f" WHERE {_sql_fragment(spec.where, 'where clause')}" if spec.where else ""
    unique = "UNIQUE " if spec.unique else ""
    tail = (
        f"IF NOT EXISTS {q(name)} ON {q(schema)}.{q(spec.table)}{using} ({columns})"
        f"{storage}{tablespace}{where}"
    )
    return name, f"CREATE {unique}INDEX {tail}", f"CREATE {unique}INDEX CONCURRENTLY {tail}"


_LIST_SQL = """
SELECT i.relname::text AS name, t.relname::text AS table_name,
       ARRAY(SELECT coalesce(a.attname::text, pg_get_indexdef(i.oid, k.n::int, true))
             FROM generate_subscripts(ix.indkey, 1) AS k(n)
             LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ix.indkey[k.n]
             ORDER BY k.n) AS columns,
       ix.indisunique AS is_unique,
       pg_size_pretty(pg_relation_size(i.oid)) AS size,
       pg_get_indexdef(i.oid) AS definition,
       am.amname::text AS method,
       coalesce(s.idx_scan, 0) AS scans,
       coalesce(s.idx_tup_read, 0) AS tuples_read,
       coalesce(s.idx_tup_fetch, 0) AS tuples_fetched
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_am am ON am.oid = i.relam
LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = i.oid
WHERE n.nspname = $1
"""


def _info(row: Any) -> IndexInfo:
    return IndexInfo(
        name=row["name"],
        table=row["table_name"],
        columns=list(row["columns"]),
        unique=bool(row["is_unique"]),
        size=row["size"],
        definition=row["definition"],
    )


class IndexManager:
    """Create, list, describe and drop indexes in one schema."""

    def __init__(self, db: PgDatabase, schema: str) -> None:
        self._db = db
        self.schema = schema

    async def _exists(self, name: str) -> bool:
        found = await self._db.fetchval(
            "indexExists",
            "SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = $2",
            self.schema,
            name,
        )
        return bool(found)

    async def create_index(self, spec: IndexSpec) -> str:
        """Create the index unless one with that name exists; returns the stored name.

        ``concurrent=True`` (the default, as in Mastra) uses ``CREATE INDEX CONCURRENTLY``
        and falls back to a plain ``CREATE INDEX`` where the server refuses it.
        """
        name, plain, concurrent = build_create_index(spec, self.schema)
        try:
            if await self._exists(name):
                return name
            if spec.concurrent:
                try:
                    await self._db.execute("createIndex", concurrent)
                    return name
                except MastraStorageError as exc:
                    if not _concurrency_refused(exc):
                        await self._drop_invalid(name)
                        raise
            await self._db.execute("createIndex", plain)
            return name
        except ValidationError:
            raise
        except MastraStorageError as exc:
            exc.id = "MASTRA_STORAGE_PG_INDEX_CREATE_FAILED"
            raise

    async def _drop_invalid(self, name: str) -> None:
        """A failed ``CONCURRENTLY`` build leaves an INVALID index behind; remove it."""
        try:
            await self._db.execute("dropIndex", f"DROP INDEX IF EXISTS {q(self.schema)}.{q(name)}")
        except MastraStorageError as exc:  # pragma: no cover - best effort
            logger.warning("could not drop invalid index %s: %s", name, exc)

    async def ensure_indexes(self, specs: Sequence[IndexSpec]) -> list[str]:
        """Create the ``indexes=[...]`` given at init. Failures (a missing table, bad SQL)
        are logged and skipped, as in Mastra, so a bad entry never blocks the store."""
        created = []
        for spec in specs:
            try:
                created.append(await self.create_index(spec))
            except MastraStorageError as exc:
                logger.warning(
                    "custom index %r on %r was not created: %s",
                    getattr(spec, "name", spec),
                    getattr(spec, "table", "?"),
                    exc,
                )
        return created

    async def list_indexes(self, table: str | None = None) -> list[IndexInfo]:
        sql = _LIST_SQL
        args: list[Any] = [self.schema]
        if table is not None:
            validate_identifier(table, kind="table name")
            sql += " AND t.relname = $2"
            args.append(table)
        try:
            rows = await self._db.fetch("listIndexes", sql + " ORDER BY 1", *args)
        except MastraStorageError as exc:
            exc.id = "MASTRA_STORAGE_PG_INDEX_LIST_FAILED"
            raise
        return [_info(r) for r in rows]

    async def _resolve(self, name: str) -> str:
        validate_identifier(name, kind="index name")
        prefixed = prefixed_index_name(name, self.schema)
        if prefixed != name and await self._exists(prefixed):
            return prefixed
        return name

    async def describe_index(self, name: str) -> IndexStats:
        """Definition, size and usage (scans, tuples read/fetched); NotFoundError if absent."""
        resolved = await self._resolve(name)
        try:
            row = await self._db.fetchrow("describeIndex", _LIST_SQL + " AND i.relname = $2",
                                          self.schema, resolved)  # fmt: skip
        except MastraStorageError as exc:
            exc.id = "MASTRA_STORAGE_PG_INDEX_DESCRIBE_FAILED"
            raise
        if row is None:
            raise NotFoundError(
                f"Index {name!r} not found in schema {self.schema!r}",
                id="MASTRA_STORAGE_PG_INDEX_DESCRIBE_FAILED",
                details={"index": name},
            )
        info = _info(row)
        return IndexStats(
            **msgspec.structs.asdict(info),
            method=row["method"],
            scans=int(row["scans"]),
            tuples_read=int(row["tuples_read"]),
            tuples_fetched=int(row["tuples_fetched"]),
        )

    async def drop_index(self, name: str) -> None:
        """Drop the index; a missing one is a no-op."""
        resolved = await self._resolve(name)
        try:
            if not await self._exists(resolved):
                return
            await self._db.execute(
                "dropIndex", f"DROP INDEX IF EXISTS {q(self.schema)}.{q(resolved)}"
            )
        except MastraStorageError as exc:
            exc.id = "MASTRA_STORAGE_PG_INDEX_DROP_FAILED"
            raise


def _concurrency_refused(exc: MastraStorageError) -> bool:
    asyncpg = import_asyncpg()
    return isinstance(exc.__cause__, asyncpg.exceptions.ActiveSQLTransactionError)


__all__ = ["METHODS", "IndexInfo", "IndexManager", "IndexSpec", "IndexStats", "build_create_index"]
