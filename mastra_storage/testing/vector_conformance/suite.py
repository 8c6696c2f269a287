"""The vector conformance tests (spec 12.12), one class every vector store subclasses.

Provide one async fixture, ``vector_store``, yielding an empty, isolated store; set
``supports_regex = False`` for a backend without ``$regex`` (its tests then require a
:class:`~mastra_storage.errors.NotSupportedError`, so the flag cannot lie).
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from typing import Any, ClassVar

import pytest

from ...errors import MastraStorageError, NotFoundError, NotSupportedError, ValidationError
from ...vector import METRICS, BaseVectorStore, InMemoryVector, Metric, parse_filter, score
from .cases import ALL, DOCS, FILTER_CASES, HOSTILE_FILTERS
from .redos import REDOS_ACCEPTED, REDOS_BOUND_S, REDOS_CORPUS, REDOS_SUBJECTS

INDEX = "test_vectors"
DIM = 4


def _refuses(filter: dict[str, Any]) -> ValidationError | None:
    """The error the shared parser raises for ``filter`` (``None``: it is accepted)."""
    try:
        parse_filter(filter)
    except ValidationError as exc:
        return exc
    return None


async def load_docs(store: BaseVectorStore, index: str = INDEX, metric: Metric = "cosine") -> None:
    await store.create_index(index, DIM, metric)
    await store.upsert(
        index,
        [vector for vector, _ in DOCS.values()],
        metadata=[metadata for _, metadata in DOCS.values()],
        ids=list(DOCS),
    )


class VectorConformance:
    """Every behaviour of the vector API. Subclass it and provide ``vector_store``."""

    pytestmark: ClassVar[list[pytest.MarkDecorator]] = [pytest.mark.anyio]

    #: The store evaluates ``$regex`` (else it must raise NotSupportedError for it).
    supports_regex: ClassVar[bool] = True
    #: Metrics the store supports (others must raise ValidationError on create_index).
    metrics: ClassVar[tuple[Metric, ...]] = METRICS

    @pytest.fixture(scope="session")
    @classmethod
    def anyio_backend(cls) -> str:
        return "asyncio"

    # ---- index lifecycle ----------------------------------------------------------------

    async def test_create_list_describe_delete(self, vector_store: BaseVectorStore) -> None:
        assert await vector_store.list_indexes() == []
        await vector_store.create_index("idx_a", 3)
        await vector_store.create_index("idx_b", 5, "euclidean")
        assert await vector_store.list_indexes() == ["idx_a", "idx_b"]
        stats = await vector_store.describe_index("idx_a")
        assert (stats.dimension, stats.count, stats.metric) == (3, 0, "cosine")
        stats_b = await vector_store.describe_index("idx_b")
        assert (stats_b.dimension, stats_b.metric) == (5, "euclidean")
        await vector_store.delete_index("idx_a")
        assert await vector_store.list_indexes() == ["idx_b"]
        with pytest.raises(NotFoundError):
            await vector_store.describe_index("idx_a")
        with pytest.raises(NotFoundError):
            await vector_store.delete_index("idx_a")

    async def test_create_index_is_idempotent(self, vector_store: BaseVectorStore) -> None:
        await vector_store.create_index(INDEX, DIM)
        await vector_store.upsert(INDEX, [[1.0, 0.0, 0.0, 0.0]], ids=["keep"])
        await vector_store.create_index(INDEX, DIM)
        await vector_store.create_index(INDEX, DIM, "euclidean")  # other metric: kept, logged
        stats = await vector_store.describe_index(INDEX)
        assert (stats.count, stats.metric) == (1, "cosine")

    async def test_create_index_other_dimension_fails(self, vector_store: BaseVectorStore) -> None:
        await vector_store.create_index(INDEX, DIM)
        with pytest.raises(ValidationError) as info:
            await vector_store.create_index(INDEX, DIM + 1)
        assert "DIMENSION_MISMATCH" in info.value.id
        assert (await vector_store.describe_index(INDEX)).dimension == DIM

    async def test_concurrent_create_index(self, vector_store: BaseVectorStore) -> None:
        await asyncio.gather(*(vector_store.create_index(INDEX, DIM) for _ in range(4)))
        assert await vector_store.list_indexes() == [INDEX]

    @pytest.mark.parametrize(
        "name", ["bad-name", "1abc", "a; DROP TABLE x", "x" * 64, "", 'a"b', None, 7]
    )
    async def test_invalid_index_name(self, vector_store: BaseVectorStore, name: Any) -> None:
        with pytest.raises(ValidationError):
            await vector_store.create_index(name, DIM)
        with pytest.raises(ValidationError):
            await vector_store.query(name, [1.0] * DIM)
        assert await vector_store.list_indexes() == []

    @pytest.mark.parametrize("dimension", [0, -1, 1.5, True, "3", None, 100_000])
    async def test_invalid_dimension(self, vector_store: BaseVectorStore, dimension: Any) -> None:
        with pytest.raises(ValidationError):
            await vector_store.create_index(INDEX, dimension)
        assert await vector_store.list_indexes() == []

    async def test_invalid_metric(self, vector_store: BaseVectorStore) -> None:
        with pytest.raises(ValidationError):
            await vector_store.create_index(INDEX, DIM, "manhattan")  # type: ignore[arg-type]
        assert await vector_store.list_indexes() == []

    async def test_missing_index_errors(self, vector_store: BaseVectorStore) -> None:
        calls = [
            vector_store.query("nope", [1.0] * DIM),
            vector_store.upsert("nope", [[1.0] * DIM]),
            vector_store.describe_index("nope"),
            vector_store.delete_index("nope"),
            vector_store.delete_vectors("nope", ids=["a"]),
            vector_store.delete_vectors("nope", filter={"a": 1}),
            vector_store.delete_vector("nope", "a"),
            vector_store.update_vector("nope", "a", metadata={"a": 1}),
        ]
        for call in calls:
            with pytest.raises(NotFoundError):
                await call

    # ---- upsert -------------------------------------------------------------------------

    async def test_upsert_generates_ids(self, vector_store: BaseVectorStore) -> None:
        await vector_store.create_index(INDEX, DIM)
        ids = await vector_store.upsert(INDEX, [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
        assert len(ids) == 2
        assert len(set(ids)) == 2
        assert all(uuid.UUID(i) for i in ids)
        assert (await vector_store.describe_index(INDEX)).count == 2
        hits = await vector_store.query(INDEX, [1.0, 0.0, 0.0, 0.0], top_k=2)
        assert hits[0].id == ids[0]
        assert hits[0].metadata == {}

    async def test_upsert_overwrites_existing_ids(self, vector_store: BaseVectorStore) -> None:
        await vector_store.create_index(INDEX, DIM)
        await vector_store.upsert(INDEX, [[1.0, 0.0, 0.0, 0.0]], [{"v": 1}], ids=["a"])
        await vector_store.upsert(INDEX, [[0.0, 1.0, 0.0, 0.0]], [{"v": 2}], ids=["a"])
        assert (await vector_store.describe_index(INDEX)).count == 1
        [hit] = await vector_store.query(INDEX, [0.0, 1.0, 0.0, 0.0], include_vector=True)
        assert (hit.id, hit.metadata, hit.vector) == ("a", {"v": 2}, [0.0, 1.0, 0.0, 0.0])

    async def test_upsert_repeated_id_in_one_call_last_wins(
        self, vector_store: BaseVectorStore
    ) -> None:
        await vector_store.create_index(INDEX, DIM)
        ids = await vector_store.upsert(
            INDEX,
            [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]],
            [{"n": 1}, {"n": 2}],
            ids=["same", "same"],
        )
        assert ids == ["same", "same"]
        [hit] = await vector_store.query(INDEX, [1.0, 1.0, 0.0, 0.0])
        assert hit.metadata == {"n": 2}

    async def test_metadata_round_trip(self, vector_store: BaseVectorStore) -> None:
        await vector_store.create_index(INDEX, DIM)
        metadata = {
            "text": "héllo ✓ \"quoted\" 'single' \\ back",
            "nested": {"list": [1, 2.5, None, True, {"k": "v"}], "empty": {}},
            "big": "x" * 200_000,
            "int": 2**53,
        }
        await vector_store.upsert(INDEX, [[1.0, 2.0, 3.0, 4.0]], [metadata], ids=["m"])
        [hit] = await vector_store.query(INDEX, [1.0, 2.0, 3.0, 4.0])
        assert hit.metadata == metadata

    @pytest.mark.parametrize(
        ("case", "vectors", "metadata", "ids"),
        [
            ("wrong-dimension", [[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0]], None, None),
            ("empty-vector", [[1.0, 0.0, 0.0, 0.0], []], None, None),
            ("no-vectors", [], None, None),
            ("nan", [[1.0, 0.0, 0.0, 0.0], [1.0, math.nan, 0.0, 0.0]], None, None),
            ("infinity", [[1.0, 0.0, 0.0, 0.0], [math.inf, 0.0, 0.0, 0.0]], None, None),
            ("float32-overflow", [[1e39, 0.0, 0.0, 0.0]], None, None),
            ("non-numeric", [[1.0, "x", 0.0, 0.0]], None, None),
            ("bool-component", [[True, 0.0, 0.0, 0.0]], None, None),
            ("not-a-list", ["1,2,3,4"], None, None),
            ("zero-vector-cosine", [[0.0, 0.0, 0.0, 0.0]], None, None),
            ("metadata-length", [[1.0, 0.0, 0.0, 0.0]] * 2, [{"a": 1}], None),
            ("ids-length", [[1.0, 0.0, 0.0, 0.0]] * 2, None, ["a"]),
            ("metadata-not-object", [[1.0, 0.0, 0.0, 0.0]], ["text"], None),
            ("metadata-function", [[1.0, 0.0, 0.0, 0.0]], [{"f": print}], None),
            ("metadata-nul", [[1.0, 0.0, 0.0, 0.0]], [{"s": "a\x00b"}], None),
            ("metadata-too-large", [[1.0, 0.0, 0.0, 0.0]], [{"s": "x" * 1_100_000}], None),
            ("blank-id", [[1.0, 0.0, 0.0, 0.0]], None, [" "]),
            ("non-string-id", [[1.0, 0.0, 0.0, 0.0]], None, [5]),
        ],
    )
    async def test_upsert_rejects_bad_input_and_writes_nothing(
        self,
        vector_store: BaseVectorStore,
        case: str,
        vectors: Any,
        metadata: Any,
        ids: Any,
    ) -> None:
        await vector_store.create_index(INDEX, DIM)
        await vector_store.upsert(INDEX, [[0.0, 0.0, 0.0, 1.0]], [{"keep": True}], ids=["keep"])
        with pytest.raises(ValidationError):
            await vector_store.upsert(INDEX, vectors, metadata, ids)
        assert (await vector_store.describe_index(INDEX)).count == 1
        [hit] = await vector_store.query(INDEX, [0.0, 0.0, 0.0, 1.0])
        assert hit.metadata == {"keep": True}

    async def test_circular_metadata_is_rejected(self, vector_store: BaseVectorStore) -> None:
        await vector_store.create_index(INDEX, DIM)
        circular: dict[str, Any] = {}
        circular["self"] = circular
        with pytest.raises(ValidationError):
            await vector_store.upsert(INDEX, [[1.0, 0.0, 0.0, 0.0]], [circular])
        assert (await vector_store.describe_index(INDEX)).count == 0

    async def test_large_batch(self, vector_store: BaseVectorStore) -> None:
        await vector_store.create_index(INDEX, DIM)
        n = 1200
        vectors = [[1.0, i / n, (i % 7) / 7, 0.5] for i in range(n)]
        metadata = [{"i": i, "half": i % 2} for i in range(n)]
        ids = await vector_store.upsert(INDEX, vectors, metadata, [f"v{i}" for i in range(n)])
        assert len(ids) == n
        assert (await vector_store.describe_index(INDEX)).count == n
        hits = await vector_store.query(INDEX, [1.0, 0.0, 0.0, 0.5], top_k=n, filter={"half": 1})
        assert len(hits) == n // 2
        assert all(hit.metadata["half"] == 1 for hit in hits)
        await vector_store.delete_vectors(INDEX, filter={"half": 0})
        assert (await vector_store.describe_index(INDEX)).count == n // 2

    # ---- query --------------------------------------------------------------------------

    async def test_query_orders_by_score(self, vector_store: BaseVectorStore) -> None:
        await load_docs(vector_store)
        hits = await vector_store.query(INDEX, [1.0, 0.0, 0.0, 0.0], top_k=3)
        assert [hit.id for hit in hits] == ["d1", "d2", "d3"]
        assert hits[0].score == pytest.approx(1.0, abs=1e-5)
        assert hits[0].score >= hits[1].score >= hits[2].score
        assert hits[0].metadata == DOCS["d1"][1]
        assert all(hit.vector is None for hit in hits)

    async def test_query_top_k(self, vector_store: BaseVectorStore) -> None:
        await load_docs(vector_store)
        assert len(await vector_store.query(INDEX, [1.0, 1.0, 1.0, 1.0], top_k=1)) == 1
        assert len(await vector_store.query(INDEX, [1.0, 1.0, 1.0, 1.0], top_k=5)) == 5
        assert len(await vector_store.query(INDEX, [1.0, 1.0, 1.0, 1.0], top_k=100)) == len(DOCS)
        assert len(await vector_store.query(INDEX, [1.0, 1.0, 1.0, 1.0])) == len(DOCS)

    @pytest.mark.parametrize("top_k", [0, -1, 1.5, True, "3", 10_001])
    async def test_query_invalid_top_k(self, vector_store: BaseVectorStore, top_k: Any) -> None:
        await load_docs(vector_store)
        with pytest.raises(ValidationError):
            await vector_store.query(INDEX, [1.0, 0.0, 0.0, 0.0], top_k=top_k)

    @pytest.mark.parametrize(
        "vector",
        [[1.0, 0.0, 0.0], [], [math.nan, 0.0, 0.0, 0.0], [0.0] * DIM, None, "abcd", [1, 2, "3", 4]],
    )
    async def test_query_invalid_vector(self, vector_store: BaseVectorStore, vector: Any) -> None:
        await load_docs(vector_store)
        with pytest.raises(ValidationError):
            await vector_store.query(INDEX, vector)

    async def test_include_vector(self, vector_store: BaseVectorStore) -> None:
        await load_docs(vector_store)
        [hit] = await vector_store.query(INDEX, [0.0, 1.0, 0.0, 0.0], top_k=1, include_vector=True)
        assert (hit.id, hit.vector) == ("d5", DOCS["d5"][0])
        [plain] = await vector_store.query(INDEX, [0.0, 1.0, 0.0, 0.0], top_k=1)
        assert plain.vector is None
        assert "vector" not in plain.to_dict()

    async def test_min_score(self, vector_store: BaseVectorStore) -> None:
        await load_docs(vector_store)
        query = [1.0, 0.0, 0.0, 0.0]
        everything = await vector_store.query(INDEX, query, top_k=100)
        floor = everything[2].score
        kept = await vector_store.query(INDEX, query, top_k=100, min_score=floor - 1e-6)
        assert [h.id for h in kept] == [h.id for h in everything if h.score >= floor - 1e-6]
        assert len(kept) >= 3
        assert await vector_store.query(INDEX, query, min_score=1.5) == []
        with pytest.raises(ValidationError):
            await vector_store.query(INDEX, query, min_score=math.nan)

    async def test_query_empty_index(self, vector_store: BaseVectorStore) -> None:
        await vector_store.create_index(INDEX, DIM)
        assert await vector_store.query(INDEX, [1.0, 0.0, 0.0, 0.0]) == []
        assert await vector_store.query(INDEX, [1.0, 0.0, 0.0, 0.0], filter={"a": 1}) == []
        assert (await vector_store.describe_index(INDEX)).count == 0
        await vector_store.delete_vectors(INDEX, filter={"a": 1})

    @pytest.mark.parametrize("metric", METRICS)
    async def test_metric(self, vector_store: BaseVectorStore, metric: Metric) -> None:
        if metric not in self.metrics:
            with pytest.raises(ValidationError):
                await vector_store.create_index(INDEX, DIM, metric)
            return
        reference = InMemoryVector()
        await load_docs(reference, metric=metric)
        await load_docs(vector_store, metric=metric)
        assert (await vector_store.describe_index(INDEX)).metric == metric
        for query in ([1.0, 0.0, 0.0, 0.0], [0.5, 2.0, 0.25, 0.0], [-1.0, 0.0, 3.0, 1.0]):
            got = await vector_store.query(INDEX, query, top_k=4)
            want = await reference.query(INDEX, query, top_k=4)
            assert [h.score for h in got] == pytest.approx([h.score for h in want], abs=1e-4)
            for hit in got:
                assert hit.score == pytest.approx(score(metric, DOCS[hit.id][0], query), abs=1e-4)
            assert [h.id for h in got][:1] == [h.id for h in want][:1]

    async def test_zero_vector_allowed_for_euclidean(self, vector_store: BaseVectorStore) -> None:
        if "euclidean" not in self.metrics:
            pytest.skip("store does not support euclidean")
        await vector_store.create_index(INDEX, DIM, "euclidean")
        await vector_store.upsert(INDEX, [[0.0] * DIM, [3.0, 4.0, 0.0, 0.0]], ids=["z", "f"])
        hits = await vector_store.query(INDEX, [0.0] * DIM, top_k=2)
        assert [h.id for h in hits] == ["z", "f"]
        assert [h.score for h in hits] == pytest.approx([1.0, 1 / 6], abs=1e-5)

    # ---- filters ------------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("case", "filter", "expected"), FILTER_CASES, ids=[c[0] for c in FILTER_CASES]
    )
    async def test_filter(
        self,
        vector_store: BaseVectorStore,
        case: str,
        filter: dict[str, Any],
        expected: list[str],
    ) -> None:
        await load_docs(vector_store)
        query = vector_store.query(INDEX, [1.0, 1.0, 1.0, 1.0], top_k=100, filter=filter)
        if case.startswith("regex") and not self.supports_regex:
            with pytest.raises(NotSupportedError):
                await query
            return
        hits = await query
        assert sorted(hit.id for hit in hits) == sorted(expected)
        for hit in hits:
            assert hit.metadata == DOCS[hit.id][1]

    async def test_filter_with_top_k_returns_best_matches(
        self, vector_store: BaseVectorStore
    ) -> None:
        await load_docs(vector_store)
        hits = await vector_store.query(
            INDEX, [1.0, 0.0, 0.0, 0.0], top_k=2, filter={"inStock": True}
        )
        assert [h.id for h in hits] == ["d1", "d3"]

    @pytest.mark.parametrize(
        ("case", "filter"), HOSTILE_FILTERS, ids=[c[0] for c in HOSTILE_FILTERS]
    )
    async def test_hostile_filter(
        self, vector_store: BaseVectorStore, case: str, filter: Any
    ) -> None:
        await load_docs(vector_store)
        with pytest.raises(ValidationError) as info:
            await vector_store.query(INDEX, [1.0, 0.0, 0.0, 0.0], filter=filter)
        assert info.value.domain == "MASTRA_VECTOR"
        with pytest.raises(ValidationError):
            await vector_store.delete_vectors(INDEX, filter=filter)
        with pytest.raises(ValidationError):
            await vector_store.update_vector(INDEX, filter=filter, metadata={"x": 1})
        assert (await vector_store.describe_index(INDEX)).count == len(DOCS)
        assert await vector_store.list_indexes() == [INDEX]

    @pytest.mark.parametrize(
        ("case", "pattern", "must_accept"),
        [(c, p, False) for c, p in REDOS_CORPUS] + [(c, p, True) for c, p in REDOS_ACCEPTED],
        ids=[c for c, _ in REDOS_CORPUS] + [f"accepted-{c}" for c, _ in REDOS_ACCEPTED],
    )
    async def test_regex_is_refused_or_fast(
        self, vector_store: BaseVectorStore, case: str, pattern: str, must_accept: bool
    ) -> None:
        """ReDoS corpus: each pattern is refused before any I/O, or every query, update and
        delete with it ends within the bound over hostile subjects (30-5000 chars)."""
        await vector_store.create_index(INDEX, DIM)
        ids = await vector_store.upsert(
            INDEX,
            [[1.0, float(i), 0.0, 1.0] for i in range(len(REDOS_SUBJECTS))],
            metadata=[{"s": subject, "n": i} for i, subject in enumerate(REDOS_SUBJECTS)],
        )
        filter = {"s": {"$regex": pattern}}
        refused = _refuses(filter)
        if refused is not None:
            assert not must_accept, f"{pattern!r} is in the subset but was refused: {refused}"
            with pytest.raises(ValidationError) as info:
                await vector_store.query(INDEX, [1.0, 0.0, 0.0, 0.0], filter=filter)
            assert info.value.domain == "MASTRA_VECTOR"
            with pytest.raises(ValidationError):
                await vector_store.delete_vectors(INDEX, filter=filter)
            assert (await vector_store.describe_index(INDEX)).count == len(ids)
            return
        if not self.supports_regex:
            with pytest.raises(NotSupportedError):
                await vector_store.query(INDEX, [1.0, 0.0, 0.0, 0.0], filter=filter)
            return
        started = time.perf_counter()
        await vector_store.query(INDEX, [1.0, 0.0, 0.0, 0.0], top_k=50, filter=filter)
        await vector_store.update_vector(INDEX, filter=filter, metadata={"seen": True})
        await vector_store.delete_vectors(INDEX, filter={"$and": [filter, {"n": -1}]})
        elapsed = time.perf_counter() - started
        assert elapsed < REDOS_BOUND_S, f"{pattern!r} took {elapsed:.2f} s"

    async def test_multi_tenant_isolation(self, vector_store: BaseVectorStore) -> None:
        await vector_store.create_index(INDEX, DIM)
        for tenant in ("acme", "globex"):
            await vector_store.upsert(
                INDEX,
                [[1.0, float(i), 0.0, 0.0] for i in range(3)],
                [{"tenant": tenant, "i": i} for i in range(3)],
                [f"{tenant}-{i}" for i in range(3)],
            )
        hits = await vector_store.query(
            INDEX, [1.0, 0.0, 0.0, 0.0], top_k=10, filter={"tenant": "acme"}
        )
        assert sorted(h.id for h in hits) == ["acme-0", "acme-1", "acme-2"]

    # ---- update -------------------------------------------------------------------------

    async def test_update_by_id(self, vector_store: BaseVectorStore) -> None:
        await load_docs(vector_store)
        await vector_store.update_vector(INDEX, "d7", metadata={"replaced": True})
        await vector_store.update_vector(INDEX, "d1", vector=[0.0, 0.0, 0.0, 1.0])
        await vector_store.update_vector(
            INDEX, "d2", vector=[0.0, 0.0, 0.0, 2.0], metadata={"both": 1}
        )
        hits = await vector_store.query(INDEX, [0.0, 0.0, 0.0, 1.0], top_k=100, include_vector=True)
        by_id = {h.id: h for h in hits}
        assert by_id["d7"].metadata == {"replaced": True}  # replaced, not merged
        assert by_id["d7"].vector == DOCS["d7"][0]  # metadata-only update keeps the vector
        assert by_id["d1"].metadata == DOCS["d1"][1]  # vector-only update keeps the metadata
        assert by_id["d1"].vector == [0.0, 0.0, 0.0, 1.0]
        assert (by_id["d2"].metadata, by_id["d2"].vector) == ({"both": 1}, [0.0, 0.0, 0.0, 2.0])
        assert {hits[0].id, hits[1].id} == {"d1", "d2"}

    async def test_update_by_filter(self, vector_store: BaseVectorStore) -> None:
        await load_docs(vector_store)
        await vector_store.update_vector(
            INDEX, filter={"category": "books"}, metadata={"category": "archive"}
        )
        hits = await vector_store.query(
            INDEX, [1.0, 1.0, 1.0, 1.0], top_k=100, filter={"category": "archive"}
        )
        assert sorted(h.id for h in hits) == ["d3", "d4"]
        await vector_store.update_vector(
            INDEX,
            filter={"$and": [{"category": "archive"}, {"$not": {"tags": {"$size": 0}}}]},
            vector=[0.0, 0.0, 0.0, 1.0],
        )
        [top] = await vector_store.query(INDEX, [0.0, 0.0, 0.0, 1.0], top_k=1)
        assert top.id == "d3"
        await vector_store.update_vector(INDEX, filter={"category": "none"}, metadata={"x": 1})
        await vector_store.update_vector(INDEX, filter={"$or": []}, metadata={"x": 1})
        assert (await vector_store.describe_index(INDEX)).count == len(DOCS)

    @pytest.mark.parametrize(
        ("kwargs", "error"),
        [
            ({"id": "d1", "filter": {"a": 1}, "metadata": {"x": 1}}, ValidationError),
            ({"metadata": {"x": 1}}, ValidationError),
            ({"id": "d1"}, ValidationError),
            ({"filter": {}, "metadata": {"x": 1}}, ValidationError),
            ({"filter": {"$and": []}, "metadata": {"x": 1}}, ValidationError),
            ({"id": "d1", "vector": [1.0, 0.0]}, ValidationError),
            ({"id": "d1", "vector": [math.nan, 0.0, 0.0, 0.0]}, ValidationError),
            ({"id": "d1", "metadata": "text"}, ValidationError),
            ({"id": "missing", "metadata": {"x": 1}}, NotFoundError),
        ],
    )
    async def test_update_rejects(
        self,
        vector_store: BaseVectorStore,
        kwargs: dict[str, Any],
        error: type[MastraStorageError],
    ) -> None:
        await load_docs(vector_store)
        with pytest.raises(error):
            await vector_store.update_vector(INDEX, **kwargs)
        [hit] = await vector_store.query(INDEX, [1.0, 0.0, 0.0, 0.0], top_k=1)
        assert (hit.id, hit.metadata) == ("d1", DOCS["d1"][1])
        assert (await vector_store.describe_index(INDEX)).count == len(DOCS)

    # ---- delete -------------------------------------------------------------------------

    async def test_delete_vector(self, vector_store: BaseVectorStore) -> None:
        await load_docs(vector_store)
        await vector_store.delete_vector(INDEX, "d1")
        await vector_store.delete_vector(INDEX, "d1")  # already gone: no error
        hits = await vector_store.query(INDEX, [1.0, 0.0, 0.0, 0.0], top_k=100)
        assert sorted(h.id for h in hits) == [i for i in ALL if i != "d1"]

    async def test_delete_vectors_by_ids(self, vector_store: BaseVectorStore) -> None:
        await load_docs(vector_store)
        await vector_store.delete_vectors(INDEX, ids=["d1", "d2", "unknown", "d1"])
        await vector_store.delete_vectors(INDEX, ids=[])
        hits = await vector_store.query(INDEX, [1.0, 0.0, 0.0, 0.0], top_k=100)
        assert sorted(h.id for h in hits) == [i for i in ALL if i not in ("d1", "d2")]

    @pytest.mark.parametrize(
        ("filter", "deleted"),
        [
            ({"category": "books"}, ["d3", "d4"]),
            ({"$and": [{"category": "electronics"}, {"price": {"$gt": 150}}]}, ["d2"]),
            ({"$or": [{"category": "toys"}, {"tags": {"$size": 0}}]}, ["d4", "d8"]),
            ({"thread_id": {"$in": ["t1", "t4"]}}, ["d1", "d2", "d6", "d8"]),
            ({"category": "nothing"}, []),
            ({"$or": []}, []),
        ],
    )
    async def test_delete_vectors_by_filter(
        self, vector_store: BaseVectorStore, filter: dict[str, Any], deleted: list[str]
    ) -> None:
        await load_docs(vector_store)
        await vector_store.delete_vectors(INDEX, filter=filter)
        hits = await vector_store.query(INDEX, [1.0, 1.0, 1.0, 1.0], top_k=100)
        assert sorted(h.id for h in hits) == [i for i in ALL if i not in deleted]

    @pytest.mark.parametrize(
        "kwargs",
        [
            {},
            {"ids": ["d1"], "filter": {"category": "books"}},
            {"filter": {}},
            {"filter": {"$nor": []}},
            {"ids": "d1"},
            {"ids": [""]},
        ],
    )
    async def test_delete_vectors_rejects(
        self, vector_store: BaseVectorStore, kwargs: dict[str, Any]
    ) -> None:
        await load_docs(vector_store)
        with pytest.raises(ValidationError):
            await vector_store.delete_vectors(INDEX, **kwargs)
        assert (await vector_store.describe_index(INDEX)).count == len(DOCS)

    # ---- concurrency and re-indexing ----------------------------------------------------

    async def test_concurrent_operations(self, vector_store: BaseVectorStore) -> None:
        await vector_store.create_index(INDEX, DIM)

        async def batch(b: int) -> list[str]:
            return await vector_store.upsert(
                INDEX,
                [[1.0, float(b), float(i), 0.5] for i in range(20)],
                [{"batch": b} for _ in range(20)],
                [f"b{b}-{i}" for i in range(20)],
            )

        results = await asyncio.gather(*(batch(b) for b in range(6)))
        assert sum(len(r) for r in results) == 120
        assert (await vector_store.describe_index(INDEX)).count == 120
        queries: list[Any] = await asyncio.gather(
            *(
                vector_store.query(INDEX, [1.0, 0.0, 0.0, 0.5], top_k=5, filter={"batch": b})
                for b in range(6)
            ),
            vector_store.delete_vectors(INDEX, filter={"batch": 5}),
            batch(6),
        )
        for b in range(5):
            assert len(queries[b]) == 5
            assert all(h.metadata == {"batch": b} for h in queries[b])
        assert (await vector_store.describe_index(INDEX)).count == 120

    async def test_reindex_workflow(self, vector_store: BaseVectorStore) -> None:
        await vector_store.create_index(INDEX, DIM)
        doc_v1 = [[1.0, 0.0, 0.0, float(i)] for i in range(3)]
        await vector_store.upsert(
            INDEX, doc_v1, [{"doc": "a", "v": 1}] * 3, [f"a-{i}" for i in range(3)]
        )
        await vector_store.upsert(INDEX, [[0.0, 1.0, 0.0, 0.0]], [{"doc": "b", "v": 1}], ["b-0"])
        await vector_store.delete_vectors(INDEX, filter={"doc": "a"})
        await vector_store.upsert(
            INDEX, doc_v1[:2], [{"doc": "a", "v": 2}] * 2, [f"a2-{i}" for i in range(2)]
        )
        hits = await vector_store.query(INDEX, [1.0, 0.0, 0.0, 0.0], top_k=10)
        assert sorted(h.id for h in hits) == ["a2-0", "a2-1", "b-0"]
        assert all(h.metadata["v"] == 2 for h in hits if h.metadata["doc"] == "a")


__all__ = ["VectorConformance", "load_docs"]
