"""The vector conformance suite on the in-memory reference store, plus parser unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mastra_storage.errors import ValidationError
from mastra_storage.testing.vector_conformance import FILTER_CASES, VectorConformance
from mastra_storage.vector import InMemoryVector, VectorStore, parse_filter
from mastra_storage.vector.filter import MAX_DEPTH, And, Eq, In, Not, Or, Range


class TestInMemoryVector(VectorConformance):
    @pytest.fixture
    async def vector_store(self) -> AsyncIterator[InMemoryVector]:
        store = InMemoryVector()
        yield store
        await store.close()


def test_in_memory_vector_satisfies_the_protocol() -> None:
    assert isinstance(InMemoryVector(), VectorStore)


def test_parser_desugars_to_few_node_kinds() -> None:
    node = parse_filter(
        {"a": {"$ne": 1}, "b": {"$nin": [1, 2]}, "$nor": [{"c": 1}], "d": {"$gte": 2}}
    )
    assert node == And(
        (
            Not(Eq(("a",), 1)),
            Not(In(("b",), (1, 2))),
            Not(Eq(("c",), 1)),
            Range(("d",), "$gte", 2),
        )
    )


def test_parser_folds_constants_and_strips_metadata_prefix() -> None:
    assert parse_filter({}) is None
    assert parse_filter(None) is None
    assert parse_filter({"$or": [{"metadata.x": 1}, {"y": -0.0}]}) == Or(
        (Eq(("x",), 1), Eq(("y",), 0.0))
    )
    assert parse_filter({"$and": [{"$or": []}, {"x": 1}]}) == parse_filter({"$or": []})


def test_depth_limit_is_exact() -> None:
    def nest(levels: int) -> dict[str, object]:
        node: dict[str, object] = {"a": 1}
        for _ in range(levels):
            node = {"$and": [node]}
        return node

    assert parse_filter(nest(MAX_DEPTH - 1)) == Eq(("a",), 1)
    with pytest.raises(ValidationError, match="deeper"):
        parse_filter(nest(MAX_DEPTH + 1))


def test_filter_cases_cover_every_operator() -> None:
    text = repr([case[1] for case in FILTER_CASES])
    operators = (
        "$eq $ne $gt $gte $lt $lte $in $nin $all $elemMatch $exists $regex $options "
        "$and $or $not $nor $size"
    )
    for op in operators.split():
        assert f"'{op}'" in text, op
