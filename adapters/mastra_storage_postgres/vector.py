"""``PgVector``: vector indexes on pgvector, in ``@mastra/pg``'s layout.

Layout (Mastra's, so a Mastra app reads and writes the same indexes): one table per index,
``<schema>.<index> (id SERIAL PRIMARY KEY, vector_id TEXT UNIQUE NOT NULL, embedding
vector(<dim>), metadata JSONB DEFAULT '{}'::jsonb)``, the ANN index
``<index>_vector_idx`` (HNSW by default, IVFFlat or none on request) with the metric's
operator class (``vector_cosine_ops`` / ``vector_l2_ops`` / ``vector_ip_ops``), and optional
btree indexes on ``metadata->>'<field>'`` (Mastra's ``metadataIndexes``). The metric is
also written as the table's comment (``mastra:metric=<metric>``) so an index without an ANN
index (``index_type='flat'``) still knows its metric.

Queries: unfiltered queries order by the distance operator, which pgvector answers from
the ANN index (``hnsw.ef_search`` raised to at least ``top_k``); filtered queries order by
the score expression, an exact scan of the matching rows (the filter may use the metadata
btree indexes), so a selective filter cannot starve the result. Tables smaller than
``ann_min_rows`` are always searched exactly.

The store owns an asyncpg pool built from a URL, or uses a pool it is given (and then does
not close it). Every multi-row write is one statement (``unnest``), hence atomic.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any, Literal

from mastra_storage.codec import dumps, loads
from mastra_storage.drivers import import_driver
from mastra_storage.errors import (
    BackendError,
    ConfigurationError,
    ConflictError,
    MastraStorageError,
    UnavailableError,
)
from mastra_storage.redact import protect_logs, redact_text, redact_url, split_url, url_secrets
from mastra_storage.validation import validate_identifier
from mastra_storage.vector.base import BaseVectorStore, VectorQuery, VectorRow, VectorUpdate
from mastra_storage.vector.filter import Node
from mastra_storage.vector.records import IndexConfig, Metric, QueryResult
from mastra_storage.vector.validation import (
    VECTOR_DOMAIN,
    invalid,
    metadata_from_json,
    vector_error_id,
)

from .vector_filter import compile_filter

IndexType = Literal["hnsw", "ivfflat", "flat"]
_STORE = "PG"
_OPCLASS: dict[Metric, str] = {
    "cosine": "vector_cosine_ops",
    "euclidean": "vector_l2_ops",
    "dotproduct": "vector_ip_ops",
}
_OPERATOR: dict[Metric, str] = {"cosine": "<=>", "euclidean": "<->", "dotproduct": "<#>"}
#: pgvector's HNSW and IVFFlat indexes stop at 2,000 dimensions for ``vector``.
MAX_INDEXED_DIMENSION = 2000
ANN_MIN_ROWS = 1000


def _score_sql(metric: Metric, distance: str) -> str:
    if metric == "cosine":
        return f"(1 - ({distance}))"
    if metric == "euclidean":
        return f"(1 / (1 + ({distance})))"
    return f"(-({distance}))"  # <#> is the negative inner product


def _int_option(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigurationError(
            f"PgVector: {name} must be an integer in [{low}, {high}]",
            id="MASTRA_VECTOR_PG_INVALID_OPTION",
            domain=VECTOR_DOMAIN,
            details={"option": name},
        )
    return value


class PgIndexConfig(IndexConfig, frozen=True, kw_only=True):
    """An index's config plus its ANN index kind (``None``: exact search only)."""

    index_type: str | None = None


class PgVector(BaseVectorStore):
    """The vector API on PostgreSQL + pgvector.

    ``PgVector("postgresql://...")`` builds (lazily) and owns an asyncpg pool;
    ``PgVector(pool=pool)`` shares one. ``schema`` is where index tables live (created on
    first ``create_index``). ``ef_search`` is HNSW's candidate list size for unfiltered
    queries (raised to ``top_k`` when smaller); ``probes`` IVFFlat's lists to visit.
    """

    store_name = _STORE

    def __init__(
        self,
        url: str | None = None,
        *,
        pool: Any = None,
        schema: str = "public",
        min_pool_size: int = 1,
        max_pool_size: int = 10,
        ef_search: int = 100,
        probes: int = 10,
        ann_min_rows: int = ANN_MIN_ROWS,
    ) -> None:
        if (url is None) == (pool is None):
            raise ConfigurationError(
                "PgVector: pass exactly one of url and pool",
                id="MASTRA_VECTOR_PG_INVALID_OPTION",
                domain=VECTOR_DOMAIN,
            )
        if url is not None and (not isinstance(url, str) or not url.strip()):
            raise ConfigurationError(
                "PgVector: url must be a non-empty string",
                id="MASTRA_VECTOR_PG_INVALID_OPTION",
                domain=VECTOR_DOMAIN,
            )
        if url is not None:
            if split_url(url) is None:
                raise ConfigurationError(
                    f"PgVector: invalid URL {redact_url(url)!r}: bad port, or a password with "
                    "an unencoded '/', '#', '?' or '@' (percent-encode it)",
                    id="MASTRA_VECTOR_PG_INVALID_OPTION",
                    domain=VECTOR_DOMAIN,
                )
            protect_logs(self, url_secrets(url))  # no driver may log the password
        self._url = url
        self._display = redact_url(url) if url is not None else "<pool>"
        self.schema = validate_identifier(schema, kind="schema name")
        self._min = _int_option("min_pool_size", min_pool_size, 0, 1000)
        self._max = _int_option("max_pool_size", max_pool_size, max(1, self._min), 1000)
        self.ef_search = _int_option("ef_search", ef_search, 1, 1000)
        self.probes = _int_option("probes", probes, 1, 100_000)
        self.ann_min_rows = _int_option("ann_min_rows", ann_min_rows, 0, 10**9)
        self._pool: Any = pool
        self._owns_pool = pool is None
        self._pool_lock = asyncio.Lock()
        self._extension_ready = False

    @classmethod
    def from_url(cls, url: str, **options: Any) -> PgVector:
        return cls(url, **options)

    def __repr__(self) -> str:
        return f"PgVector(url={self._display!r}, schema={self.schema!r})"

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None and self._owns_pool:
            await pool.close()

    # ---- plumbing ---------------------------------------------------------------------

    async def _get_pool(self) -> Any:
        if self._pool is not None:
            return self._pool
        async with self._pool_lock:
            if self._pool is None:
                asyncpg = import_driver(
                    "asyncpg",
                    needs="PgVector needs asyncpg",
                    extra="postgres",
                    details={"adapter": "postgres", "extra": "postgres"},
                )
                try:
                    self._pool = await asyncpg.create_pool(
                        self._url, min_size=self._min, max_size=self._max
                    )
                except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as exc:
                    raise UnavailableError(
                        f"PgVector: cannot connect to {self._display}: "
                        f"{redact_text(str(exc), self._url)}",
                        id=vector_error_id(_STORE, "connect", "failed"),
                        domain=VECTOR_DOMAIN,
                    ) from exc
            return self._pool

    def _error(self, operation: str, exc: BaseException) -> MastraStorageError:
        text = redact_text(str(exc), self._url) if self._url else str(exc)
        error_id = vector_error_id(_STORE, operation, "failed")
        if isinstance(exc, (OSError, asyncio.TimeoutError)) or type(exc).__name__ in (
            "ConnectionDoesNotExistError",
            "InterfaceError",
            "CannotConnectNowError",
            "TooManyConnectionsError",
        ):
            return UnavailableError(f"{operation}: {text}", id=error_id, domain=VECTOR_DOMAIN)
        if type(exc).__name__ == "UniqueViolationError":
            return ConflictError(f"{operation}: {text}", id=error_id, domain=VECTOR_DOMAIN)
        return BackendError(f"{operation}: {text}", id=error_id, domain=VECTOR_DOMAIN)

    async def _run(self, operation: str, job: Any) -> Any:
        """Run ``job(conn)`` in a transaction; driver errors become typed errors."""
        pool = await self._get_pool()
        try:
            async with pool.acquire() as conn, conn.transaction():
                return await job(conn)
        except MastraStorageError:
            raise
        except Exception as exc:
            raise self._error(operation, exc) from exc

    def _table(self, name: str) -> str:
        """Quoted, as ``@mastra/pg`` writes them (names are validated: no quotes inside)."""
        return f'"{self.schema}"."{name}"'

    # ---- create (with pgvector's index options) ---------------------------------------

    async def create_index(
        self,
        index_name: str,
        dimension: int,
        metric: Metric = "cosine",
        *,
        index_type: IndexType = "hnsw",
        m: int = 16,
        ef_construction: int = 64,
        lists: int = 100,
        metadata_indexes: Sequence[str] = (),
    ) -> None:
        """Create the index (idempotent). ``index_type``: ``hnsw`` (default), ``ivfflat``
        (build it after loading data: its lists are trained on the rows present) or
        ``flat`` (no ANN index). ``metadata_indexes``: top-level metadata fields to index
        with btree on ``metadata->>'<field>'`` (Memory uses thread_id and resource_id).
        """
        name, dim, chosen = self._check_create(index_name, dimension, metric)
        if index_type not in ("hnsw", "ivfflat", "flat"):
            raise invalid(
                _STORE, "createIndex", "invalid args", "index_type must be hnsw, ivfflat or flat"
            )
        if index_type != "flat" and dim > MAX_INDEXED_DIMENSION:
            raise invalid(
                _STORE,
                "createIndex",
                "invalid args",
                f"pgvector's {index_type} index supports at most {MAX_INDEXED_DIMENSION} "
                "dimensions; use index_type='flat'",
            )
        m = _int_option("m", m, 2, 100)
        ef_construction = _int_option("ef_construction", ef_construction, 4, 1000)
        lists = _int_option("lists", lists, 1, 32768)
        fields = [validate_identifier(f, kind="metadata index field") for f in metadata_indexes]
        existing = await self._index_config(name)
        if existing is None:
            await self._create(name, dim, chosen, index_type, m, ef_construction, lists)
            existing = await self._index_config(name)
            if existing is None:
                raise invalid(_STORE, "createIndex", "failed", f'index "{name}" vanished')
        self._check_existing(name, existing, dim, chosen)
        if fields:
            await self._metadata_indexes(name, fields)

    async def _create_index(self, index_name: str, dimension: int, metric: Metric) -> None:
        await self._create(index_name, dimension, metric, "hnsw", 16, 64, 100)

    async def _ensure_extension(self) -> None:
        if self._extension_ready:
            return

        async def job(conn: Any) -> None:
            if await conn.fetchval("SELECT 1 FROM pg_extension WHERE extname = 'vector'"):
                return
            available = await conn.fetchval(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
            )
            if not available:
                raise ConfigurationError(
                    "PgVector: the pgvector extension is not installed on this server",
                    id=vector_error_id(_STORE, "createIndex", "extension missing"),
                    domain=VECTOR_DOMAIN,
                )
            await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")

        with contextlib.suppress(ConflictError):  # created concurrently elsewhere
            await self._run("createIndex", job)
        self._extension_ready = True

    async def _create(
        self,
        name: str,
        dimension: int,
        metric: Metric,
        index_type: str,
        m: int,
        ef_construction: int,
        lists: int,
    ) -> None:
        await self._ensure_extension()
        table = self._table(name)

        async def job(conn: Any) -> None:
            taken = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table)
            if taken:
                raise ConflictError(
                    f'a table named "{name}" exists in schema {self.schema} and is not a '
                    "vector index",
                    id=vector_error_id(_STORE, "createIndex", "name taken"),
                    domain=VECTOR_DOMAIN,
                )
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {table} (id SERIAL PRIMARY KEY, "
                f"vector_id TEXT UNIQUE NOT NULL, embedding vector({dimension}), "
                "metadata JSONB DEFAULT '{}'::jsonb)"
            )
            await conn.execute(f"COMMENT ON TABLE {table} IS 'mastra:metric={metric}'")
            opclass = _OPCLASS[metric]
            if index_type == "hnsw":
                await conn.execute(
                    f'CREATE INDEX IF NOT EXISTS "{name}_vector_idx" ON {table} USING hnsw '
                    f"(embedding {opclass}) WITH (m = {m}, ef_construction = {ef_construction})"
                )
            elif index_type == "ivfflat":
                await conn.execute(
                    f'CREATE INDEX IF NOT EXISTS "{name}_vector_idx" ON {table} USING ivfflat '
                    f"(embedding {opclass}) WITH (lists = {lists})"
                )

        try:
            await self._run("createIndex", job)
        except ConflictError:
            if await self._index_config(name) is None:
                raise  # a real name clash, not a concurrent create of the same index

    async def _metadata_indexes(self, name: str, fields: list[str]) -> None:
        async def job(conn: Any) -> None:
            for field in fields:
                await conn.execute(
                    f'CREATE INDEX IF NOT EXISTS "{name}_md_{field}_idx" ON {self._table(name)} '
                    f"((metadata ->> '{field}'))"
                )

        await self._run("createIndex", job)

    # ---- primitives -------------------------------------------------------------------

    async def _index_config(self, index_name: str) -> PgIndexConfig | None:
        sql = """
            SELECT a.atttypmod, obj_description(c.oid, 'pg_class'),
                   (SELECT opc.opcname FROM pg_index i
                      JOIN pg_class ic ON ic.oid = i.indexrelid
                      JOIN pg_opclass opc ON opc.oid = i.indclass[0]
                     WHERE i.indrelid = c.oid AND ic.relname = $3),
                   (SELECT am.amname FROM pg_index i
                      JOIN pg_class ic ON ic.oid = i.indexrelid
                      JOIN pg_am am ON am.oid = ic.relam
                     WHERE i.indrelid = c.oid AND ic.relname = $3)
              FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'embedding'
              JOIN pg_type t ON t.oid = a.atttypid AND t.typname = 'vector'
             WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind = 'r'
        """
        ann_index = f"{index_name}_vector_idx"[:63]  # PostgreSQL truncates longer names

        async def job(conn: Any) -> Any:
            return await conn.fetchrow(sql, self.schema, index_name, ann_index)

        row = await self._run("describeIndex", job)
        if row is None:
            return None
        typmod, comment, opclass, method = row
        metric: Metric = "cosine"
        if comment and str(comment).startswith("mastra:metric="):
            tagged = str(comment).removeprefix("mastra:metric=")
            if tagged in _OPCLASS:
                metric = tagged
        elif opclass:
            if "l2" in opclass:
                metric = "euclidean"
            elif "ip" in opclass:
                metric = "dotproduct"
        return PgIndexConfig(dimension=int(typmod), metric=metric, index_type=method)

    async def _count(self, index_name: str) -> int:
        async def job(conn: Any) -> int:
            return int(await conn.fetchval(f"SELECT count(*) FROM {self._table(index_name)}"))

        result: int = await self._run("describeIndex", job)
        return result

    async def _list_indexes(self) -> list[str]:
        sql = """
            SELECT c.relname FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'embedding'
              JOIN pg_type t ON t.oid = a.atttypid AND t.typname = 'vector'
             WHERE n.nspname = $1 AND c.relkind = 'r'
        """

        async def job(conn: Any) -> list[str]:
            return [str(r[0]) for r in await conn.fetch(sql, self.schema)]

        result: list[str] = await self._run("listIndexes", job)
        return result

    async def _drop_index(self, index_name: str) -> bool:
        if await self._index_config(index_name) is None:
            return False

        async def job(conn: Any) -> None:
            await conn.execute(f"DROP TABLE IF EXISTS {self._table(index_name)}")

        await self._run("deleteIndex", job)
        return True

    async def _upsert(self, index_name: str, config: IndexConfig, rows: list[VectorRow]) -> None:
        sql = (
            f"INSERT INTO {self._table(index_name)} (vector_id, embedding, metadata) "
            "SELECT u.id, u.emb::vector, u.meta::jsonb "
            "FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, emb, meta) "
            "ON CONFLICT (vector_id) DO UPDATE SET embedding = EXCLUDED.embedding, "
            "metadata = EXCLUDED.metadata"
        )
        ids = [r.id for r in rows]
        vectors = [dumps(r.vector) for r in rows]
        metadata = [r.metadata_json for r in rows]

        async def job(conn: Any) -> None:
            await conn.execute(sql, ids, vectors, metadata)

        await self._run("upsert", job)

    async def _query(
        self, index_name: str, config: IndexConfig, query: VectorQuery
    ) -> list[QueryResult]:
        table = self._table(index_name)
        distance = f"(embedding {_OPERATOR[config.metric]} $1::vector)"
        score = _score_sql(config.metric, distance)
        vec_col = ", embedding::text AS vec" if query.include_vector else ""
        index_type = config.index_type if isinstance(config, PgIndexConfig) else None
        base = f"SELECT vector_id AS id, {score} AS score, metadata::text AS metadata{vec_col} "
        query_text = dumps(query.vector)

        def wrap(inner: str, params: list[Any]) -> tuple[str, list[Any]]:
            if query.min_score is None:
                return inner, params
            n = len(params) + 1
            return (
                f"SELECT * FROM ({inner}) AS hits WHERE score >= ${n} ORDER BY score DESC, id",
                [*params, query.min_score],
            )

        if query.condition is not None:
            where, filter_params = compile_filter(query.condition, "metadata", first_param=3)
            exact = wrap(
                f"{base}FROM {table} WHERE {where} ORDER BY score DESC, vector_id LIMIT $2",
                [query_text, query.top_k, *filter_params],
            )
            ann = None
        else:
            exact = wrap(
                f"{base}FROM {table} ORDER BY score DESC, vector_id LIMIT $2",
                [query_text, query.top_k],
            )
            ann = (
                wrap(
                    # the distance operator alone: any extra sort key (even a tiebreak)
                    # makes the planner sort a sequential scan instead of using the index
                    f"{base}FROM {table} ORDER BY {distance} LIMIT $2",
                    [query_text, query.top_k],
                )
                if index_type in ("hnsw", "ivfflat")
                else None
            )
        threshold = self.ann_min_rows
        ef_search = str(max(self.ef_search, query.top_k))
        probes = str(self.probes)

        async def job(conn: Any) -> list[Any]:
            if ann is not None:
                small = await conn.fetchval(
                    f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT $1) AS s", threshold
                )
                if small >= threshold:
                    if index_type == "hnsw":
                        await conn.execute(
                            "SELECT set_config('hnsw.ef_search', $1, true)", ef_search
                        )
                    else:
                        await conn.execute("SELECT set_config('ivfflat.probes', $1, true)", probes)
                    rows: list[Any] = await conn.fetch(ann[0], *ann[1])
                    if len(rows) >= query.top_k:
                        return rows
            return list(await conn.fetch(exact[0], *exact[1]))

        rows = await self._run("query", job)
        hits = [
            QueryResult(
                id=str(r["id"]),
                score=float(r["score"]),
                metadata=metadata_from_json(r["metadata"]),
                vector=[float(x) for x in loads(r["vec"])] if query.include_vector else None,
            )
            for r in rows
        ]
        hits.sort(key=lambda hit: (-hit.score, hit.id))  # same order on every path
        return hits

    async def _update(self, index_name: str, config: IndexConfig, update: VectorUpdate) -> int:
        sets: list[str] = []
        params: list[Any] = []
        if update.vector is not None:
            params.append(dumps(update.vector))
            sets.append(f"embedding = ${len(params)}::vector")
        if update.metadata_json is not None:
            params.append(update.metadata_json)
            sets.append(f"metadata = ${len(params)}::jsonb")
        where, where_params = self._where(update.target, len(params) + 1)
        sql = (
            f"UPDATE {self._table(index_name)} SET {', '.join(sets)} WHERE {where} "
            "RETURNING vector_id"
        )

        async def job(conn: Any) -> int:
            return len(await conn.fetch(sql, *params, *where_params))

        result: int = await self._run("updateVector", job)
        return result

    async def _delete(self, index_name: str, target: list[str] | Node) -> int:
        where, params = self._where(target, 1)
        sql = f"DELETE FROM {self._table(index_name)} WHERE {where} RETURNING vector_id"

        async def job(conn: Any) -> int:
            return len(await conn.fetch(sql, *params))

        result: int = await self._run("deleteVectors", job)
        return result

    @staticmethod
    def _where(target: str | list[str] | Node, first: int) -> tuple[str, list[Any]]:
        if isinstance(target, str):
            return f"vector_id = ${first}", [target]
        if isinstance(target, list):
            return f"vector_id = ANY(${first}::text[])", [target]
        return compile_filter(target, "metadata", first_param=first)


__all__ = ["MAX_INDEXED_DIMENSION", "PgIndexConfig", "PgVector"]
