"""Filter compilation to Upstash Vector's filter string: every operator, escaping, nesting,
refusals, and agreement with the reference evaluator under the stand-in's semantics."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_storage.errors import NotSupportedError, ValidationError
from mastra_storage.testing.vector_conformance.cases import DOCS, FILTER_CASES
from mastra_storage.vector import parse_filter
from mastra_storage.vector.evaluate import matches
from mastra_storage_upstash.vector_filter import compile_filter, literal, quote
from tests.upstash.upstash_vector_server import evaluate
from tests.upstash.upstash_vector_server import parse_filter as parse_upstash


def c(raw: dict[str, Any]) -> str:
    node = parse_filter(raw)
    assert node is not None
    return compile_filter(node)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"a": "x"}, "a = 'x'"),
        ({"a": {"$eq": 3}}, "a = 3"),
        ({"a": {"$ne": True}}, "(HAS NOT FIELD a OR a != true)"),
        ({"a": {"$gt": 1}}, "a > 1"),
        ({"a": {"$gte": 1.5}}, "a >= 1.5"),
        ({"a": {"$lt": -2}}, "a < -2"),
        ({"a": {"$lte": 0}}, "a <= 0"),
        ({"a": {"$in": ["x", 1]}}, "(a IN ('x', 1) OR a CONTAINS 'x' OR a CONTAINS 1)"),
        (
            {"a": {"$nin": ["x"]}},
            "(HAS NOT FIELD a OR (a NOT IN ('x') AND a NOT CONTAINS 'x'))",
        ),
        ({"a": {"$all": ["x", "y"]}}, "(a CONTAINS 'x' AND a CONTAINS 'y')"),
        ({"a": {"$exists": True}}, "HAS FIELD a"),
        ({"a": {"$exists": False}}, "HAS NOT FIELD a"),
        ({"a": {"$elemMatch": {"$eq": "x"}}}, "a CONTAINS 'x'"),
        ({"a.b.c": 1}, "a.b.c = 1"),
        ({"a": {"b": 1}}, "a.b = 1"),
        ({"metadata.a": 1}, "a = 1"),
        ({"a": 1, "b": 2}, "(a = 1 AND b = 2)"),
        ({"$or": [{"a": 1}, {"b": 2}]}, "(a = 1 OR b = 2)"),
        ({"$and": [{"a": 1}, {"$or": [{"b": 2}, {"c": 3}]}]}, "(a = 1 AND (b = 2 OR c = 3))"),
        (
            {"$nor": [{"a": 1}, {"b": {"$gt": 2}}]},
            None,  # a negated range: refused (checked below)
        ),
        (
            {"$nor": [{"a": 1}, {"b": "x"}]},
            "((HAS NOT FIELD a OR a != 1) AND (HAS NOT FIELD b OR b != 'x'))",
        ),
        (
            {"$not": {"a": 1, "b": {"$exists": True}}},
            "((HAS NOT FIELD a OR a != 1) OR HAS NOT FIELD b)",
        ),
        ({"a": {"$not": {"$in": [1]}}}, "(HAS NOT FIELD a OR (a NOT IN (1) AND a NOT CONTAINS 1))"),
        (
            {"a": {"$not": {"$all": [1, 2]}}},
            "(HAS NOT FIELD a OR (a NOT CONTAINS 1 OR a NOT CONTAINS 2))",
        ),
        ({"$not": {"a": {"$elemMatch": {"$eq": 2}}}}, "(HAS NOT FIELD a OR a NOT CONTAINS 2)"),
        ({"kebab-case_x": False}, "kebab-case_x = false"),
    ],
)
def test_every_operator(raw: dict[str, Any], expected: str | None) -> None:
    if expected is None:
        with pytest.raises(NotSupportedError):
            c(raw)
        return
    assert c(raw) == expected
    parse_upstash(expected)  # valid syntax for the stand-in's parser


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", "'plain'"),
        ("it's", "'it\\'s'"),
        ('say "hi"', "'say \"hi\"'"),
        ("back\\slash", "'back\\\\slash'"),
        ("both ' and \\'", "'both \\' and \\\\\\''"),
        ("' OR HAS FIELD x OR a = '", "'\\' OR HAS FIELD x OR a = \\''"),
        ("ünïcødé ✓", "'ünïcødé ✓'"),
        ("", "''"),
        (1e-7, "0.0000001"),
        (1e21, "1000000000000000000000"),
        (2.5, "2.5"),
        (-0.0, "0"),
        (2**63 - 1, str(2**63 - 1)),
        (True, "true"),
    ],
)
def test_literals_are_escaped(value: Any, text: str) -> None:
    node = parse_filter({"a": value})
    assert node is not None
    assert compile_filter(node) == f"a = {text}"
    tree = parse_upstash(f"a = {text}")
    assert tree[3] == (0 if value == 0 else value)  # round trip through the lexer


def test_injection_attempts_stay_literals() -> None:
    hostile = "x' OR a != 'y"
    text = c({"a": hostile})
    assert evaluate(parse_upstash(text), {"a": hostile})
    assert not evaluate(parse_upstash(text), {"a": "x"})
    assert quote("'") == "'\\''"
    assert literal(0.1) == "0.1"


@pytest.mark.parametrize(
    "raw",
    [
        {"a": None},
        {"a": {"$ne": None}},
        {"a": {"$in": ["x", None]}},
        {"a": {"$nin": [None]}},
        {"a": {"$all": [None]}},
        {"a": {"$gt": "2024-01-01"}},
        {"a": {"$not": {"$gt": 1}}},
        {"a": {"$size": 2}},
        {"a": {"$regex": "^x"}},
        {"a": {"$elemMatch": {"b": 1}}},
        {"a": {"$elemMatch": {"$gt": 1}}},
        {"AND": 1},
        {"x.has": 1},
        {"True": 1},
        {"$or": [{"a": 1}, {"b": {"$size": 0}}]},
    ],
)
def test_inexpressible_filters_are_refused(raw: dict[str, Any]) -> None:
    with pytest.raises(NotSupportedError) as info:
        c(raw)
    assert info.value.id == "MASTRA_VECTOR_UPSTASH_FILTER_UNSUPPORTED"


@pytest.mark.parametrize(
    "raw",
    [{"$where": "1"}, {"a'": 1}, {"a b": 1}, {"a": {"$eq": {"b": 1}}}, {"a": float("nan")}],
)
def test_invalid_filters_fail_in_the_shared_parser(raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_filter(raw)


@pytest.mark.parametrize(
    ("case", "raw", "expected"), FILTER_CASES, ids=[x[0] for x in FILTER_CASES]
)
def test_compiled_filters_agree_with_the_reference(
    case: str, raw: dict[str, Any], expected: list[str]
) -> None:
    """Every expressible suite filter selects the reference's documents on the stand-in."""
    node = parse_filter(raw)
    if node is None or not hasattr(node, "__struct_fields__") or type(node).__name__ == "Const":
        return
    try:
        text = compile_filter(node)
    except NotSupportedError:
        return
    tree = parse_upstash(text)
    got = sorted(i for i, (_, meta) in DOCS.items() if evaluate(tree, meta))
    want = sorted(i for i, (_, meta) in DOCS.items() if matches(node, meta))
    assert got == want == sorted(expected), (case, text)
