"""UpstashVector: the vector conformance suite on a stand-in Upstash Vector server.

No local Upstash Vector exists, so the suite runs against ``upstash_vector_server`` (built
from Upstash's REST reference, filters evaluated with its documented semantics). The
stand-in index is 4-dimensional and cosine, as a real index is fixed at creation: the
suite's cases that need other dimensions or metrics in one store are replaced below by
their Upstash-shaped equivalents, and the filter cases Upstash's language cannot express
must raise NotSupportedError (listed by name, so the list cannot drift silently).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mastra_storage.errors import NotSupportedError, UnavailableError, ValidationError
from mastra_storage.testing.vector_conformance import (
    ALL,
    DOCS,
    VectorConformance,
    load_docs,
)
from mastra_storage.testing.vector_conformance.cases import FILTER_CASES
from mastra_storage.testing.vector_conformance.suite import INDEX
from mastra_storage.vector import InMemoryVector, score
from mastra_storage_upstash.vector import REGISTRY_NAMESPACE, UpstashVector
from tests.upstash.upstash_vector_server import StandInUpstashVector

pytestmark = pytest.mark.anyio

#: Filter cases whose meaning Upstash's filter string cannot state exactly.
UNSUPPORTED_CASES = frozenset(
    {
        "size",
        "size-zero",
        "eq-null-missing-or-null",
        "ne-null",
        "elemmatch-object",
        "elemmatch-multi",
        "elemmatch-same-element",
        "elemmatch-scalars",
        "elemmatch-none",
        "elemmatch-or",
        "not-field-level",
        "not-or",
        "date-value",
        "string-range",
    }
)


@pytest.fixture(scope="module")
def standin() -> Iterator[StandInUpstashVector]:
    server = StandInUpstashVector(4, "COSINE")
    yield server
    server.close()


@pytest.fixture(scope="module")
def shared_store(standin: StandInUpstashVector) -> UpstashVector:
    """One store for the suite: building httpx clients (TLS contexts) costs ~0.3 s each."""
    return UpstashVector(standin.url, standin.token, timeout_s=5)


class TestUpstashVector(VectorConformance):
    supports_regex = False
    metrics = ("cosine",)

    @pytest.fixture
    async def vector_store(
        self, standin: StandInUpstashVector, shared_store: UpstashVector
    ) -> UpstashVector:
        standin.reset()
        return shared_store

    async def test_create_list_describe_delete(self, vector_store: Any) -> None:
        """One Upstash index = one dimension and metric: names are namespaces of it."""
        assert await vector_store.list_indexes() == []
        await vector_store.create_index("idx_a", 4)
        await vector_store.create_index("idx_b", 4)
        with pytest.raises(ValidationError):
            await vector_store.create_index("idx_c", 5)
        with pytest.raises(ValidationError):
            await vector_store.create_index("idx_c", 4, "euclidean")
        with pytest.raises(ValidationError):
            await vector_store.create_index(REGISTRY_NAMESPACE, 4)
        assert await vector_store.list_indexes() == ["idx_a", "idx_b"]
        stats = await vector_store.describe_index("idx_a")
        assert (stats.dimension, stats.count, stats.metric) == (4, 0, "cosine")
        await vector_store.upsert("idx_a", [[1.0, 0.0, 0.0, 0.0]], ids=["x"])
        assert (await vector_store.describe_index("idx_a")).count == 1
        await vector_store.delete_index("idx_a")
        assert await vector_store.list_indexes() == ["idx_b"]
        with pytest.raises(Exception) as info:
            await vector_store.describe_index("idx_a")
        assert type(info.value).__name__ == "NotFoundError"

    @pytest.mark.parametrize("case", sorted(UNSUPPORTED_CASES))
    async def test_unsupported_case_names_exist(self, case: str) -> None:
        assert case in {c[0] for c in FILTER_CASES}

    @pytest.mark.parametrize(
        ("case", "filter", "expected"), FILTER_CASES, ids=[c[0] for c in FILTER_CASES]
    )
    async def test_filter(
        self, vector_store: Any, case: str, filter: dict[str, Any], expected: list[str]
    ) -> None:
        await load_docs(vector_store)
        query = vector_store.query(INDEX, [1.0, 1.0, 1.0, 1.0], top_k=100, filter=filter)
        if case.startswith("regex") or case in UNSUPPORTED_CASES:
            with pytest.raises(NotSupportedError):
                await query
            return
        hits = await query
        assert sorted(hit.id for hit in hits) == sorted(expected)
        for hit in hits:
            assert hit.metadata == DOCS[hit.id][1]

    @pytest.mark.parametrize(
        ("filter", "deleted"),
        [
            ({"category": "books"}, ["d3", "d4"]),
            ({"$and": [{"category": "electronics"}, {"price": {"$gt": 150}}]}, ["d2"]),
            ({"$or": [{"category": "toys"}, {"tags": {"$size": 0}}]}, None),
            ({"thread_id": {"$in": ["t1", "t4"]}}, ["d1", "d2", "d6", "d8"]),
            ({"category": "nothing"}, []),
            ({"$or": []}, []),
        ],
    )
    async def test_delete_vectors_by_filter(
        self, vector_store: Any, filter: dict[str, Any], deleted: list[str] | None
    ) -> None:
        """The suite's cases; ``$size`` (not expressible) must be refused, deleting nothing."""
        await load_docs(vector_store)
        if deleted is None:
            with pytest.raises(NotSupportedError):
                await vector_store.delete_vectors(INDEX, filter=filter)
            deleted = []
        else:
            await vector_store.delete_vectors(INDEX, filter=filter)
        hits = await vector_store.query(INDEX, [1.0, 1.0, 1.0, 1.0], top_k=100)
        assert sorted(h.id for h in hits) == [i for i in ALL if i not in deleted]

    async def test_update_by_filter(self, vector_store: Any) -> None:
        """The suite's case without ``$size`` (not expressible on Upstash)."""
        await load_docs(vector_store)
        await vector_store.update_vector(
            INDEX, filter={"category": "books"}, metadata={"category": "archive"}
        )
        hits = await vector_store.query(
            INDEX, [1.0, 1.0, 1.0, 1.0], top_k=100, filter={"category": "archive"}
        )
        assert sorted(h.id for h in hits) == ["d3", "d4"]
        with pytest.raises(NotSupportedError):
            await vector_store.update_vector(
                INDEX, filter={"tags": {"$size": 0}}, vector=[0.0, 0.0, 0.0, 1.0]
            )
        await vector_store.update_vector(INDEX, filter={"category": "none"}, metadata={"x": 1})
        assert (await vector_store.describe_index(INDEX)).count == len(DOCS)


@pytest.mark.parametrize(
    ("similarity", "metric"), [("EUCLIDEAN", "euclidean"), ("DOT_PRODUCT", "dotproduct")]
)
async def test_scores_of_other_similarity_functions(similarity: str, metric: Any) -> None:
    """Upstash's normalised scores are mapped back to the shared convention."""
    server = StandInUpstashVector(4, similarity)
    store = UpstashVector(server.url, server.token, timeout_s=5)
    try:
        with pytest.raises(ValidationError):
            await store.create_index(INDEX, 4, "cosine")
        reference = InMemoryVector()
        await load_docs(reference, metric=metric)
        await load_docs(store, metric=metric)
        assert (await store.describe_index(INDEX)).metric == metric
        for query in ([1.0, 0.0, 0.0, 0.0], [0.5, 2.0, 0.25, 0.0]):
            got = await store.query(INDEX, query, top_k=4)
            want = await reference.query(INDEX, query, top_k=4)
            assert [h.score for h in got] == pytest.approx([h.score for h in want], abs=1e-4)
            for hit in got:
                assert hit.score == pytest.approx(score(metric, DOCS[hit.id][0], query), abs=1e-4)
    finally:
        await store.close()
        server.close()


async def test_unreachable_service_is_bounded_and_typed() -> None:
    store = UpstashVector("http://127.0.0.1:9", "secret-token-value", timeout_s=1)
    try:
        with pytest.raises(UnavailableError) as info:
            await store.list_indexes()
        assert "secret-token-value" not in str(info.value)
        assert "secret-token-value" not in repr(store)
    finally:
        await store.close()


async def test_wrong_token_is_a_typed_error(standin: StandInUpstashVector) -> None:
    store = UpstashVector(standin.url, "wrong", timeout_s=5)
    try:
        with pytest.raises(Exception) as info:
            await store.list_indexes()
        assert type(info.value).__name__ == "BackendError"
    finally:
        await store.close()
