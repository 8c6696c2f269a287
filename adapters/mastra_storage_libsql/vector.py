"""``LibSQLVector``: vector indexes in libSQL's native vector columns (local or sqld/Turso).

Layout (exactly ``@mastra/libsql``'s, so a Mastra app reads and writes the same indexes):
one table per index, ``(id SERIAL PRIMARY KEY, vector_id TEXT UNIQUE NOT NULL, embedding
F32_BLOB(<dim>), metadata TEXT DEFAULT '{}')``, plus the DiskANN index
``<index>_vector_idx`` on ``libsql_vector_idx(embedding)``.

Metrics: cosine (Mastra's default index, no options), euclidean (``'metric=l2'``), and
dotproduct, which libSQL's vector index does not have: such a table carries the marker
comment ``/* mastra:metric=dotproduct */`` in its DDL, has no ANN index, and is searched
exactly, with the inner product computed from two L2 distances
(``q.v = (|v|^2 + |q|^2 - |v - q|^2) / 2``).

Queries: without a filter, the ANN index answers (``vector_top_k``, approximate; see
``docs/vector.md`` for measured recall) once the index holds ``ann_min_rows`` rows (default
1000; smaller indexes are scanned exactly), falling back to an exact scan when it returns
fewer than ``top_k`` rows. With a filter, the table is scanned exactly with
the filter as a WHERE clause, so a selective filter never starves the result (ANN
post-filtering would return fewer than ``top_k`` rows).

Where the work runs: on a local file (or ``:memory:``) every job goes to a child process
that owns a ``libsql`` connection to the same file (the only driver with libSQL's vector
functions; it holds the GIL, so in this process it would freeze the event loop; see
:meth:`.connection.LibSQLDatabase.vector_database` and ``docs/libsql-engine.md``). The jobs
are therefore module-level functions bound with :func:`functools.partial` (picklable).
Against a server each job is one request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial
from typing import Any

from mastra_storage.codec import dumps
from mastra_storage.errors import ConflictError
from mastra_storage.vector.base import BaseVectorStore, VectorQuery, VectorRow, VectorUpdate
from mastra_storage.vector.filter import Node
from mastra_storage.vector.records import IndexConfig, Metric, QueryResult
from mastra_storage.vector.validation import (
    VECTOR_DOMAIN,
    metadata_from_json,
    vector_error_id,
)

from .connection import LibSQLDatabase, Tx
from .libsql_worker import sql_fetchall
from .vector_filter import compile_filter

_DIMENSION = re.compile(r"F32_BLOB\s*\(\s*(\d+)\s*\)", re.IGNORECASE)
_DOT_MARKER = "/* mastra:metric=dotproduct */"
_STORE = "LIBSQL"
#: Below this many rows, unfiltered queries scan exactly instead of asking the ANN index.
ANN_MIN_ROWS = 1000
#: Unfiltered ANN queries fetch ``top_k * ANN_OVERFETCH`` candidates from the index.
ANN_OVERFETCH = 2


_INDEX_OPTION = re.compile(
    r"^(max_neighbors|compress_neighbors|alpha|search_l|insert_l)=[A-Za-z0-9_.]+$"
)


def _check_index_options(options: Sequence[str]) -> tuple[str, ...]:
    """DiskANN settings for new indexes (``'max_neighbors=16'``...); inlined, so checked."""
    checked = tuple(options)
    for option in checked:
        if not isinstance(option, str) or not _INDEX_OPTION.match(option):
            from mastra_storage.errors import ConfigurationError

            raise ConfigurationError(
                f"LibSQLVector: unsupported vector index option {option!r} (use max_neighbors, "
                "compress_neighbors, alpha, search_l or insert_l as 'name=value')",
                id="MASTRA_VECTOR_LIBSQL_INVALID_OPTION",
                domain=VECTOR_DOMAIN,
            )
    return checked


def _check_ann_min_rows(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        from mastra_storage.errors import ConfigurationError

        raise ConfigurationError(
            "LibSQLVector: ann_min_rows must be an integer >= 0",
            id="MASTRA_VECTOR_LIBSQL_INVALID_OPTION",
            domain=VECTOR_DOMAIN,
        )
    return value


class LibSQLIndexConfig(IndexConfig, frozen=True, kw_only=True):
    """An index's config plus the name of its ANN index (``None``: exact search only)."""

    ann_index: str | None = None


def _table_sql(name: str, dimension: int, metric: Metric) -> str:
    marker = f" {_DOT_MARKER}" if metric == "dotproduct" else ""
    return (
        f"CREATE TABLE IF NOT EXISTS {name} (id SERIAL PRIMARY KEY,{marker} "
        f"vector_id TEXT UNIQUE NOT NULL, embedding F32_BLOB({dimension}), "
        "metadata TEXT DEFAULT '{}')"
    )


def _index_sql(name: str, metric: Metric, extra: Sequence[str] = ()) -> str | None:
    if metric == "dotproduct":
        return None
    settings = (["metric=l2"] if metric == "euclidean" else []) + list(extra)
    options = "".join(f", '{setting}'" for setting in settings)
    return (
        f"CREATE INDEX IF NOT EXISTS {name}_vector_idx "
        f"ON {name} (libsql_vector_idx(embedding{options}))"
    )


def _parse_config(rows: list[tuple[Any, ...]], name: str) -> LibSQLIndexConfig | None:
    table_sql = next((str(sql) for kind, sql in rows if kind == "table" and sql), None)
    if table_sql is None:
        return None
    match = _DIMENSION.search(table_sql)
    if match is None:
        return None  # a table of that name, but not a vector index
    index_sql = next((str(sql) for kind, sql in rows if kind == "index" and sql), None)
    metric: Metric = "cosine"
    if _DOT_MARKER in table_sql:
        metric = "dotproduct"
    elif index_sql is not None and "metric=l2" in index_sql.replace(" ", "").lower():
        metric = "euclidean"
    ann = f"{name}_vector_idx" if index_sql is not None and metric != "dotproduct" else None
    return LibSQLIndexConfig(dimension=int(match.group(1)), metric=metric, ann_index=ann)


# ---- jobs (module-level, so they can be sent to the vector worker process) ---------------


def _name_taken(index_name: str) -> BaseException:
    return ConflictError(
        f'a table named "{index_name}" exists and is not a vector index',
        id=vector_error_id(_STORE, "createIndex", "name taken"),
        domain=VECTOR_DOMAIN,
        details={"indexName": index_name},
    )


def _create_index_job(index_name: str, table_sql: str, index_sql: str | None, tx: Tx) -> None:
    tx.guard(
        "SELECT NOT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? "
        "COLLATE NOCASE AND sql NOT LIKE '%F32_BLOB%')",
        (index_name,),
        partial(_name_taken, index_name),
    )
    tx.execute(table_sql)
    if index_sql is not None:
        tx.execute(index_sql)


def _count_job(index_name: str, tx: Tx) -> int:
    row = tx.fetchone(f"SELECT COUNT(*) FROM {index_name}")
    return int(row[0]) if row else 0


def _drop_index_job(index_name: str, tx: Tx) -> bool:
    row = tx.fetchone(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ? "
        "COLLATE NOCASE AND sql LIKE '%F32_BLOB%'",
        (index_name,),
    )
    if not row or not row[0]:
        return False
    tx.execute(f"DROP TABLE IF EXISTS {index_name}")
    return True


def _executemany_job(sql: str, rows: list[tuple[Any, ...]], tx: Tx) -> None:
    tx.executemany(sql, rows)


def _returned_rows_job(sql: str, params: list[Any], tx: Tx) -> int:
    return len(tx.fetchall(sql, params))


Statement = tuple[str, list[Any]]


def _query_job(
    index_name: str,
    first: Statement,
    exact: Statement | None,
    threshold: int,
    top_k: int,
    tx: Tx,
) -> list[tuple[Any, ...]]:
    if exact is not None:
        # Small indexes are searched exactly: cheap, and DiskANN's graph is least
        # reliable when it is small (or after many updates of few rows).
        row = tx.fetchone(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {index_name} LIMIT ?)", (threshold,)
        )
        if row is not None and int(row[0]) < threshold:
            return tx.fetchall(*exact)
    rows = tx.fetchall(*first)
    if exact is not None and len(rows) < top_k:
        # DiskANN can miss rows of small or heavily edited graphs; when it returns
        # fewer than top_k, an exact scan gives the true answer (the index is small,
        # or min_score cut the list, and the scan is cheap or equally correct).
        rows = tx.fetchall(*exact)
    return rows


class LibSQLVector(BaseVectorStore):
    """The vector API on a libSQL database: a file, ``:memory:``, or sqld/Turso.

    ``LibSQLVector(url, auth_token=...)`` opens its own connection (same URLs and options as
    :class:`~mastra_storage_libsql.store.LibSQLStore`); :meth:`from_store` uses a store's
    database instead (on a server, the store's connection; on a local file, the store's
    vector worker process, which the store closes). Local vector work runs in a child
    process on the same file, so it never freezes the event loop; ``:memory:`` vectors live
    in that process's private database.
    """

    store_name = _STORE

    def __init__(
        self,
        url: str = "file:mastra.db",
        *,
        auth_token: str | None = None,
        busy_timeout_ms: int = 5000,
        max_retries: int = 5,
        initial_backoff_ms: int = 100,
        ann_min_rows: int = ANN_MIN_ROWS,
        vector_index_options: Sequence[str] = (),
    ) -> None:
        from .store import LibSQLStore  # URL parsing and option checks live there

        store = LibSQLStore(
            url,
            auth_token=auth_token,
            busy_timeout_ms=busy_timeout_ms,
            max_retries=max_retries,
            initial_backoff_ms=initial_backoff_ms,
            disable_init=True,
        )
        self._owner: LibSQLDatabase | None = store.database
        self._db: LibSQLDatabase = store.database.vector_database()
        self._owns_db = True
        self.ann_min_rows = _check_ann_min_rows(ann_min_rows)
        self.vector_index_options = _check_index_options(vector_index_options)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> LibSQLVector:
        return cls(url, **options)

    @classmethod
    def from_store(cls, store: Any, *, ann_min_rows: int = 0) -> LibSQLVector:
        """Share a :class:`LibSQLStore`'s connection; closing the vector store leaves it open."""
        vector = cls.__new__(cls)
        vector._owner = None
        vector._db = store.database.vector_database()
        vector._owns_db = False
        vector.ann_min_rows = _check_ann_min_rows(ann_min_rows or ANN_MIN_ROWS)
        vector.vector_index_options = ()
        return vector

    def _supports(self, node: Node) -> bool:
        """sqld has no ``REGEXP`` function (the embedded engine has): no ``$regex`` remotely."""
        return self._db.target.remote is None or not self.contains_regex(node)

    @property
    def database(self) -> LibSQLDatabase:
        return self._db

    def __repr__(self) -> str:
        return f"LibSQLVector(url={self._db.target.display!r})"

    async def close(self) -> None:
        """Close the connection (and the vector worker process) unless a store lent them."""
        if self._owner is not None:
            await self._owner.close()  # closes its vector database (this one) too
        elif self._owns_db:
            await self._db.close()

    # ---- primitives -------------------------------------------------------------------

    async def _index_config(self, index_name: str) -> LibSQLIndexConfig | None:
        job = sql_fetchall(
            "SELECT type, sql FROM sqlite_master WHERE (type = 'table' AND name = ? "
            "COLLATE NOCASE) OR (type = 'index' AND name = ? COLLATE NOCASE)",
            (index_name, f"{index_name}_vector_idx"),
        )
        rows = await self._db.run("describeIndex", job, mode="none")
        return _parse_config(rows, index_name)

    async def _create_index(self, index_name: str, dimension: int, metric: Metric) -> None:
        job = partial(
            _create_index_job,
            index_name,
            _table_sql(index_name, dimension, metric),
            _index_sql(index_name, metric, self.vector_index_options),
        )
        await self._db.run("createIndex", job)

    async def _count(self, index_name: str) -> int:
        return await self._db.run("describeIndex", partial(_count_job, index_name), mode="none")

    async def _list_indexes(self) -> list[str]:
        rows = await self._db.run(
            "listIndexes",
            sql_fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%F32_BLOB%'"
            ),
            mode="none",
        )
        return [str(row[0]) for row in rows]

    async def _drop_index(self, index_name: str) -> bool:
        return await self._db.run("deleteIndex", partial(_drop_index_job, index_name))

    async def _upsert(self, index_name: str, config: IndexConfig, rows: list[VectorRow]) -> None:
        sql = (
            f"INSERT INTO {index_name} (vector_id, embedding, metadata) "
            "VALUES (?, vector32(?), ?) ON CONFLICT(vector_id) DO UPDATE SET "
            "embedding = excluded.embedding, metadata = excluded.metadata"
        )
        params = [(row.id, dumps(row.vector), row.metadata_json) for row in rows]
        await self._db.run("upsert", partial(_executemany_job, sql, params))

    async def _query(
        self, index_name: str, config: IndexConfig, query: VectorQuery
    ) -> list[QueryResult]:
        query_json = dumps(query.vector)
        ann = config.ann_index if isinstance(config, LibSQLIndexConfig) else None
        # Parameters are collected per clause and joined in the order the "?" marks
        # appear in the final text: outer score, inner score, source, filter, floor, limit.
        if config.metric == "dotproduct":
            inner_score = (
                "vector_distance_l2(t.embedding, vector32(?)) AS dq, "
                "vector_distance_l2(t.embedding, vector32(?)) AS dz"
            )
            inner_params: list[Any] = [query_json, dumps([0.0] * config.dimension)]
            score_sql = "(dz * dz + ? - dq * dq) / 2.0"
            score_params: list[Any] = [sum(x * x for x in query.vector)]
        else:
            distance = "cos" if config.metric == "cosine" else "l2"
            expr = f"vector_distance_{distance}(t.embedding, vector32(?))"
            inner_score = (
                f"1.0 - {expr} AS d" if config.metric == "cosine" else f"1.0 / (1.0 + {expr}) AS d"
            )
            inner_params = [query_json]
            score_sql, score_params = "d", []
        extra = ", vector_extract(t.embedding) AS vec" if query.include_vector else ""
        outer_where = ""
        floor_params: list[Any] = []
        if query.min_score is not None:
            outer_where = f" WHERE {score_sql} >= ?"
            floor_params = [*score_params, query.min_score]
        vec_col = ", vec" if query.include_vector else ""

        def statement(use_ann: bool) -> tuple[str, list[Any]]:
            source_params: list[Any] = []
            filter_params: list[Any] = []
            where = ""
            if use_ann:
                source = (
                    f"vector_top_k('{ann}', vector32(?), ?) AS v JOIN {index_name} AS t "
                    "ON t.rowid = v.id"
                )
                # ask the index for more candidates than needed and keep the best top_k
                # by exact score (as Mastra does): better recall for little extra work
                source_params = [query_json, query.top_k * ANN_OVERFETCH]
            else:
                source = f"{index_name} AS t"
                if query.condition is not None:
                    filter_sql, filter_params = compile_filter(query.condition, "t.metadata")
                    where = f" WHERE {filter_sql}"
            inner = (
                f"SELECT t.vector_id AS id, {inner_score}, t.metadata AS metadata{extra} "
                f"FROM {source}{where}"
            )
            sql = (
                f"SELECT id, {score_sql} AS score, metadata{vec_col} FROM ({inner})"
                f"{outer_where} ORDER BY score DESC, id LIMIT ?"
            )
            params = [
                *score_params,
                *inner_params,
                *source_params,
                *filter_params,
                *floor_params,
                query.top_k,
            ]
            return sql, params

        use_ann = query.condition is None and ann is not None
        first = statement(use_ann)
        exact = statement(False) if use_ann else None
        job = partial(_query_job, index_name, first, exact, self.ann_min_rows, query.top_k)
        rows = await self._db.run("query", job, mode="none")
        return [
            QueryResult(
                id=str(row[0]),
                score=float(row[1]),
                metadata=metadata_from_json(row[2]),
                vector=_parse_vector(row[3]) if query.include_vector else None,
            )
            for row in rows
        ]

    async def _update(self, index_name: str, config: IndexConfig, update: VectorUpdate) -> int:
        sets: list[str] = []
        params: list[Any] = []
        if update.vector is not None:
            sets.append("embedding = vector32(?)")
            params.append(dumps(update.vector))
        if update.metadata_json is not None:
            sets.append("metadata = ?")
            params.append(update.metadata_json)
        where, where_params = self._where(update.target)
        sql = f"UPDATE {index_name} SET {', '.join(sets)} WHERE {where} RETURNING vector_id"
        params += where_params
        return await self._db.run("updateVector", partial(_returned_rows_job, sql, params))

    async def _delete(self, index_name: str, target: list[str] | Node) -> int:
        where, params = self._where(target)
        sql = f"DELETE FROM {index_name} WHERE {where} RETURNING vector_id"
        return await self._db.run("deleteVectors", partial(_returned_rows_job, sql, params))

    @staticmethod
    def _where(target: str | list[str] | Node) -> tuple[str, list[Any]]:
        if isinstance(target, str):
            return "vector_id = ?", [target]
        if isinstance(target, list):
            return "vector_id IN (SELECT value FROM json_each(?))", [dumps(target)]
        return compile_filter(target, "metadata")


def _parse_vector(value: Any) -> list[float]:
    from mastra_storage.codec import loads

    parsed = loads(value) if isinstance(value, (str, bytes)) else value
    return [float(x) for x in parsed]


__all__ = ["LibSQLIndexConfig", "LibSQLVector"]
