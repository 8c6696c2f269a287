"""The vector conformance suite on the in-memory reference store, plus parser unit tests."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import pytest

from mastra_storage.errors import ValidationError
from mastra_storage.testing.vector_conformance import FILTER_CASES, VectorConformance
from mastra_storage.vector import InMemoryVector, VectorStore, parse_filter
from mastra_storage.vector.filter import MAX_DEPTH, And, Eq, In, Not, Or, Range, Regex
from mastra_storage.vector.regex import RegexRefused, check_regex, regex_search


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


@pytest.mark.parametrize(
    "pattern",
    [
        "",
        "^Apple",
        r"\.pdf$",
        "^(draft|final)-[0-9]+$",
        r"^https?://[a-z]+\.example\.com/",
        "colou?r",
        r"[\w.-]+@example\.org",
        "x{2,3}y",
        "a{100}",
        "[-a]",
        r"[a\-z]",
        r"\(\)\[\]\{\}\|\?\*\+\^\$\.\\/",
        "(a|b|c)(d|e)x*",
    ],
)
def test_regex_subset_accepts(pattern: str) -> None:
    check_regex(pattern)
    assert parse_filter({"f": {"$regex": pattern}}) == Regex(("f",), pattern, False)


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(a|a)*b", "quantifier may follow only"),
        ("(ab)?", "quantifier may follow only"),
        ("^*", "quantifier may follow only"),
        ("a**", "cannot follow a quantifier"),
        ("a*?", "cannot follow a quantifier"),
        (r"\w*\w*x", "more than 1 repeating"),
        ("a*b{1,2}", "more than 1 repeating"),
        ("a*b?", "after a repeating"),
        ("a*(b|c)", "after a repeating"),
        ("(a|b)(c|d)(e|f)(g|h)", "more than 8 combined"),
        ("a?" * 4, "more than 8 combined"),
        ("a{101}", "above 100"),
        ("a{3,2}", "m < n"),
        ("a{", "must be a {n}"),
        ("a{1,x}", "must be a {n}"),
        ("a}", "unescaped"),
        ("a]", "unescaped"),
        (r"(a)\1", "unsupported escape"),
        (r"\bword", "unsupported escape"),
        (r"\x61", "unsupported escape"),
        ("(?i)a", "'(?'"),
        ("(?:a)", "'(?'"),
        ("[[:alpha:]]", "POSIX"),
        ("[]", "empty class"),
        ("[z-a]", "invalid range"),
        ("[abc", "missing ']'"),
        ("(a", "missing ')'"),
        ("a)", "unbalanced"),
        ("a\\", "trailing backslash"),
        ("a\x00", "NUL"),
    ],
)
def test_regex_subset_refuses(pattern: str, reason: str) -> None:
    with pytest.raises(RegexRefused, match=re.escape(reason)):
        check_regex(pattern)
    with pytest.raises(ValidationError) as info:
        parse_filter({"f": {"$regex": pattern}})
    assert info.value.id == "MASTRA_VECTOR_FILTER_INVALID"


def test_regex_is_evaluated_with_re2_loaded_lazily() -> None:
    code = (
        "import sys, mastra_storage, mastra_storage.vector; "
        "print('re2' in sys.modules); "
        "from mastra_storage.vector.regex import regex_search; "
        "print(regex_search('(a|b)x*y', 'AXXY', ignore_case=True), 're2' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True"]


def test_in_memory_regex_is_linear_even_outside_the_subset() -> None:
    # The evaluator never backtracks: the parser is the only gate, and even a pattern it
    # would refuse (here fed directly) runs in linear time on 100,000 characters.
    started = time.perf_counter()
    assert not regex_search("(a|a)*b", "a" * 100_000)
    assert not regex_search(r"^(\w+\s?)*$", "word " * 20_000 + "!")
    assert time.perf_counter() - started < 2.0
