"""MongoDBVector: filter semantics checked on a real server, the store's non-search
operations, and the whole vector suite where Atlas Vector Search exists.

The local test server (SecantusDB, via :mod:`tests.support.servers`) speaks the
MongoDB query language but has no search indexes or ``$vectorSearch``. So, locally:

* every case of the shared filter table is translated and run with ``find`` on the real
  server, and must select exactly the expected documents (the translation's semantics);
* upsert/describe/update/delete/list run against an index whose metadata document is
  written directly (what ``create_index`` writes after creating the search index);
* ``create_index`` and ``query`` must raise ``NotSupportedError`` there.

With ``MASTRA_TEST_MONGODB_VECTOR_URI`` (an Atlas or Atlas-local deployment) the vector
conformance suite runs too; without it that class reports one skip with the reason.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from mastra_storage.errors import NotSupportedError, ValidationError
from mastra_storage.testing.vector_conformance import (
    DOCS,
    FILTER_CASES,
    HOSTILE_FILTERS,
    VectorConformance,
)
from mastra_storage.testing.vector_conformance.redos import (
    REDOS_ACCEPTED,
    REDOS_BOUND_S,
    REDOS_CORPUS,
    REDOS_SUBJECTS,
)
from mastra_storage.vector import parse_filter
from tests.support.servers import ServerUnavailable, mongodb_uri, skip_or_fail

pytestmark = pytest.mark.anyio
VECTOR_URI_ENV = "MASTRA_TEST_MONGODB_VECTOR_URI"

try:
    from pymongo import AsyncMongoClient

    from mastra_storage_mongodb.vector import META_ID, MongoDBVector
    from mastra_storage_mongodb.vector_filter import translate_filter

    DRIVER_MISSING = ""
except ImportError as exc:  # pragma: no cover - depends on the environment
    DRIVER_MISSING = f"pymongo is not installed: {exc}"


@pytest.fixture(scope="module")
def server_uri() -> str:
    if DRIVER_MISSING:
        skip_or_fail("mongodb", DRIVER_MISSING)
    try:
        return mongodb_uri()
    except ServerUnavailable as exc:
        skip_or_fail("mongodb", exc.reason)


@pytest.fixture
async def database(server_uri: str) -> AsyncIterator[tuple[Any, str]]:
    client: Any = AsyncMongoClient(server_uri)
    name = f"mastra_vec_{secrets.token_hex(5)}"
    try:
        yield client, name
    finally:
        await client.drop_database(name)
        await client.close()


@pytest.fixture
async def catalogue(database: tuple[Any, str]) -> Any:
    client, name = database
    collection = client[name]["catalogue"]
    await collection.insert_many(
        [{"_id": i, "embedding": v, "metadata": m} for i, (v, m) in DOCS.items()]
    )
    return collection


@pytest.mark.parametrize(
    ("case", "filter", "expected"), FILTER_CASES, ids=[c[0] for c in FILTER_CASES]
)
async def test_translated_filter_selects_expected_documents(
    catalogue: Any, case: str, filter: dict[str, Any], expected: list[str]
) -> None:
    node = parse_filter(filter)
    assert node is not None
    query = translate_filter(node)
    found = sorted(d["_id"] for d in await catalogue.find(query, {"_id": 1}).to_list())
    assert found == sorted(expected), query


def test_translation_guards_against_array_traversal() -> None:
    node = parse_filter({"details.size.h": 10, "tags": "x"})
    assert node is not None
    assert translate_filter(node) == {
        "metadata.details": {"$not": {"$type": "array"}},
        "metadata.details.size": {"$not": {"$type": "array"}},
        "metadata.details.size.h": {"$eq": 10, "$not": {"$type": "array"}},
        "metadata.tags": {"$eq": "x", "$not": {"$type": "array"}},
    }


def test_element_or_is_reported_unsupported() -> None:
    node = parse_filter({"scores": {"$elemMatch": {"$not": {"$gt": 1, "$lt": 5}}}})
    assert node is not None
    with pytest.raises(NotSupportedError):
        translate_filter(node)


def test_hostile_values_stay_values() -> None:
    node = parse_filter({"name": {"$in": ["$where", "{$gt: ''}"]}})
    assert node is not None
    assert translate_filter(node) == {"metadata.name": {"$in": ["$where", "{$gt: ''}"]}}


# --------------------------------------------------------------------------- the store


@pytest.fixture
async def store(database: tuple[Any, str]) -> AsyncIterator[MongoDBVector]:
    client, name = database
    vectors = MongoDBVector(client=client, db_name=name, index_ready_timeout_s=0)
    yield vectors
    await vectors.close()


async def _fake_index(database: tuple[Any, str], index: str, dim: int, metric: str) -> None:
    """What create_index leaves besides the search index: the metadata document."""
    client, name = database
    await client[name][index].insert_one({"_id": META_ID, "dimension": dim, "metric": metric})


async def test_create_index_needs_atlas_search(store: MongoDBVector) -> None:
    with pytest.raises(NotSupportedError) as info:
        await store.create_index("docs", 4)
    assert "Atlas Vector Search" in info.value.message
    assert await store.list_indexes() == []


async def test_writes_without_search(store: MongoDBVector, database: tuple[Any, str]) -> None:
    await _fake_index(database, "docs", 4, "euclidean")
    assert await store.list_indexes() == ["docs"]
    stats = await store.describe_index("docs")
    assert (stats.dimension, stats.count, stats.metric) == (4, 0, "euclidean")
    ids = list(DOCS)
    await store.upsert("docs", [v for v, _ in DOCS.values()], [m for _, m in DOCS.values()], ids)
    assert (await store.describe_index("docs")).count == len(DOCS)
    with pytest.raises(ValidationError):  # wrong dimension: nothing written
        await store.upsert("docs", [[1.0, 0.0, 0.0, 0.0], [1.0]], ids=["n1", "n2"])
    assert (await store.describe_index("docs")).count == len(DOCS)
    await store.update_vector("docs", filter={"category": "books"}, metadata={"category": "x"})
    await store.update_vector("docs", "d1", vector=[0.0, 0.0, 0.0, 1.0])
    client, name = database
    d1 = await client[name]["docs"].find_one({"_id": "d1"})
    assert d1["embedding"] == [0.0, 0.0, 0.0, 1.0]
    assert d1["metadata"] == DOCS["d1"][1]
    moved = await client[name]["docs"].count_documents({"metadata.category": "x"})
    assert moved == 2
    await store.delete_vectors("docs", filter={"category": "x"})
    await store.delete_vectors("docs", ids=["d1", "nope"])
    await store.delete_vector("docs", "d2")
    assert (await store.describe_index("docs")).count == len(DOCS) - 4
    records = await store.upsert_records("docs", [{"id": "r1", "values": [1.0, 1.0, 1.0, 1.0]}])
    assert records == ["r1"]
    with pytest.raises(NotSupportedError):
        await store.query("docs", [1.0, 0.0, 0.0, 0.0])
    await store.delete_index("docs")
    assert await store.list_indexes() == []


@pytest.mark.parametrize(("case", "filter"), HOSTILE_FILTERS, ids=[c[0] for c in HOSTILE_FILTERS])
async def test_hostile_filters_rejected_before_io(
    store: MongoDBVector, database: tuple[Any, str], case: str, filter: Any
) -> None:
    await _fake_index(database, "docs", 4, "cosine")
    with pytest.raises(ValidationError):
        await store.delete_vectors("docs", filter=filter)
    with pytest.raises(ValidationError):
        await store.query("docs", [1.0, 0.0, 0.0, 0.0], filter=filter)


@pytest.mark.parametrize(
    ("case", "pattern", "must_accept"),
    [(c, p, False) for c, p in REDOS_CORPUS] + [(c, p, True) for c, p in REDOS_ACCEPTED],
    ids=[c for c, _ in REDOS_CORPUS] + [f"accepted-{c}" for c, _ in REDOS_ACCEPTED],
)
async def test_regex_is_refused_or_fast_on_the_server(
    store: MongoDBVector, database: tuple[Any, str], case: str, pattern: str, must_accept: bool
) -> None:
    """The ReDoS corpus against the server's own regex engine (a backtracking one: PCRE on
    MongoDB, Python ``re`` on SecantusDB), through the filter paths that reach it locally
    (update and delete by filter; ``query`` needs Atlas): refused before I/O, or fast."""
    await _fake_index(database, "docs", 4, "cosine")
    vectors = [[1.0, float(i), 0.0, 1.0] for i in range(len(REDOS_SUBJECTS))]
    metadata = [{"s": subject, "n": i} for i, subject in enumerate(REDOS_SUBJECTS)]
    await store.upsert("docs", vectors, metadata)
    regex = {"s": {"$regex": pattern}}
    try:
        parse_filter(regex)
    except ValidationError:
        assert not must_accept, pattern
        with pytest.raises(ValidationError):
            await store.update_vector("docs", filter=regex, metadata={"seen": True})
        with pytest.raises(ValidationError):
            await store.delete_vectors("docs", filter=regex)
        assert (await store.describe_index("docs")).count == len(REDOS_SUBJECTS)
        return
    started = time.perf_counter()
    await store.update_vector("docs", filter=regex, metadata={"seen": True})
    await store.delete_vectors("docs", filter={"$and": [regex, {"n": -1}]})
    elapsed = time.perf_counter() - started
    assert elapsed < REDOS_BOUND_S, f"{pattern!r} took {elapsed:.2f} s"


def test_repr_hides_the_password() -> None:
    store = MongoDBVector("mongodb://user:hunter2@db.example:27017", "mastra")
    assert "hunter2" not in repr(store)


# --------------------------------------------------------------------------- Atlas


ATLAS_URI = os.environ.get(VECTOR_URI_ENV, "").strip()


def test_atlas_vector_suite_is_configured() -> None:
    """Says in the report when the Atlas suite below did not run (it is defined only then)."""
    if not ATLAS_URI:
        pytest.skip(f"{VECTOR_URI_ENV} is not set: the vector suite needs Atlas Vector Search")
    assert ATLAS_URI.startswith(("mongodb://", "mongodb+srv://"))


if ATLAS_URI:

    class TestMongoDBVectorAtlas(VectorConformance):
        """The whole suite where ``$vectorSearch`` exists (``MASTRA_TEST_MONGODB_VECTOR_URI``)."""

        @pytest.fixture
        async def vector_store(self) -> AsyncIterator[MongoDBVector]:
            store = MongoDBVector(ATLAS_URI, f"mastra_vec_{secrets.token_hex(5)}")
            yield store
            client: Any = AsyncMongoClient(ATLAS_URI)
            try:
                await client.drop_database(store.db_name)
            finally:
                await client.close()
                await store.close()
