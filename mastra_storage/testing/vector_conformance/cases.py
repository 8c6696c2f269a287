"""Data for the vector conformance suite: a small catalogue, filters with their expected
matches, and hostile filters every store must refuse.

Expected ids are written out by hand (not computed by the reference evaluator), so the
in-memory reference is tested by the same table as every backend.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

#: id -> (vector, metadata). Vectors are exact in float32, so stored vectors compare equal.
DOCS: dict[str, tuple[list[float], dict[str, Any]]] = {
    "d1": (
        [1.0, 0.0, 0.0, 0.0],
        {
            "category": "electronics",
            "price": 100,
            "rating": 4.5,
            "inStock": True,
            "tags": ["new", "sale"],
            "thread_id": "t1",
            "resource_id": "r1",
            "details": {"color": "red", "size": {"h": 10}},
            "reviews": [{"user": "a", "score": 5}, {"user": "b", "score": 3}],
            "title": "Apple iPhone",
        },
    ),
    "d2": (
        [0.75, 0.25, 0.0, 0.0],
        {
            "category": "electronics",
            "price": 200,
            "rating": 3.75,
            "inStock": False,
            "tags": ["old"],
            "thread_id": "t1",
            "resource_id": "r1",
            "details": {"color": "blue"},
            "reviews": [{"user": "c", "score": 2}],
            "title": "Samsung Galaxy",
        },
    ),
    "d3": (
        [0.5, 0.5, 0.0, 0.0],
        {
            "category": "books",
            "price": 15,
            "rating": 4.875,
            "inStock": True,
            "tags": ["new", "bestseller", "sale"],
            "thread_id": "t2",
            "resource_id": "r1",
            "details": {"color": "red"},
            "reviews": [],
            "title": "python cookbook",
        },
    ),
    "d4": (
        [0.25, 0.75, 0.0, 0.0],
        {
            "category": "books",
            "price": 25.5,
            "inStock": True,
            "tags": [],
            "thread_id": "t3",
            "resource_id": "r2",
            "optional": None,
            "title": "The Apple Tree",
        },
    ),
    "d5": (
        [0.0, 1.0, 0.0, 0.0],
        {
            "category": "clothing",
            "price": 50,
            "rating": 4.0,
            "inStock": False,
            "thread_id": "t3",
            "resource_id": "r2",
            "details": {"color": "green", "size": {"h": 5}},
            "scores": [80, 85, 90],
            "code": "1",
        },
    ),
    "d6": (
        [0.0, 0.5, 0.5, 0.0],
        {
            "category": "clothing",
            "price": "cheap",
            "rating": 2,
            "inStock": True,
            "tags": ["sale"],
            "thread_id": "t4",
            "resource_id": "r3",
            "scores": [60, 70],
            "code": 1,
            "optional": "x",
        },
    ),
    "d7": ([0.0, 0.0, 1.0, 0.0], {}),
    "d8": (
        [0.0, 0.0, 0.5, 0.5],
        {
            "category": "toys",
            "price": 0,
            "rating": -1.5,
            "inStock": True,
            "tags": ["new"],
            "thread_id": "t4",
            "resource_id": "r3",
            "createdAt": "2024-01-15T00:00:00.000Z",
        },
    ),
}
ALL = sorted(DOCS)


def _but(*ids: str) -> list[str]:
    return [i for i in ALL if i not in ids]


#: (case id, filter, expected ids). Regex cases are marked by the id prefix ``regex``.
FILTER_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("implicit-eq", {"category": "electronics"}, ["d1", "d2"]),
    ("eq", {"category": {"$eq": "books"}}, ["d3", "d4"]),
    ("ne-includes-missing", {"category": {"$ne": "books"}}, _but("d3", "d4")),
    ("gt-number-skips-strings", {"price": {"$gt": 50}}, ["d1", "d2"]),
    ("gte", {"price": {"$gte": 50}}, ["d1", "d2", "d5"]),
    ("lt-float", {"price": {"$lt": 25.5}}, ["d3", "d8"]),
    ("lte-float", {"price": {"$lte": 25.5}}, ["d3", "d4", "d8"]),
    ("range", {"price": {"$gte": 15, "$lte": 50}}, ["d3", "d4", "d5"]),
    ("gt-rating", {"rating": {"$gt": 4.0}}, ["d1", "d3"]),
    ("negative-range", {"rating": {"$gt": -2, "$lt": 0}}, ["d8"]),
    ("bool-true", {"inStock": True}, ["d1", "d3", "d4", "d6", "d8"]),
    ("ne-bool", {"inStock": {"$ne": True}}, ["d2", "d5", "d7"]),
    ("ne-number", {"price": {"$ne": 100}}, _but("d1")),
    ("int-equals-float", {"price": 100.0}, ["d1"]),
    ("in-strings", {"category": {"$in": ["books", "toys"]}}, ["d3", "d4", "d8"]),
    ("nin-strings", {"category": {"$nin": ["books", "toys"]}}, ["d1", "d2", "d5", "d6", "d7"]),
    ("in-numbers", {"price": {"$in": [15, 200]}}, ["d2", "d3"]),
    ("in-zero-not-false", {"price": {"$in": [0]}}, ["d8"]),
    ("in-false-not-zero", {"inStock": {"$in": [False]}}, ["d2", "d5"]),
    ("in-array-field", {"tags": {"$in": ["bestseller", "old"]}}, ["d2", "d3"]),
    ("implicit-in-list", {"category": ["clothing", "toys"]}, ["d5", "d6", "d8"]),
    ("nin-array-field", {"tags": {"$nin": ["new"]}}, ["d2", "d4", "d5", "d6", "d7"]),
    ("all", {"tags": {"$all": ["new", "sale"]}}, ["d1", "d3"]),
    ("all-single", {"tags": {"$all": ["sale"]}}, ["d1", "d3", "d6"]),
    ("all-numbers", {"scores": {"$all": [80, 90]}}, ["d5"]),
    ("eq-scalar-on-array-field", {"tags": "sale"}, []),
    ("exists-true", {"tags": {"$exists": True}}, ["d1", "d2", "d3", "d4", "d6", "d8"]),
    ("exists-false", {"tags": {"$exists": False}}, ["d5", "d7"]),
    ("exists-counts-null", {"optional": {"$exists": True}}, ["d4", "d6"]),
    ("eq-null-missing-or-null", {"optional": None}, _but("d6")),
    ("ne-null", {"optional": {"$ne": None}}, ["d6"]),
    ("type-strict-string", {"code": "1"}, ["d5"]),
    ("type-strict-number", {"code": 1}, ["d6"]),
    ("nested-dot", {"details.color": "red"}, ["d1", "d3"]),
    ("nested-object-shorthand", {"details": {"color": "red"}}, ["d1", "d3"]),
    ("nested-deep", {"details.size.h": {"$gt": 6}}, ["d1"]),
    ("nested-exists", {"details.size": {"$exists": True}}, ["d1", "d5"]),
    ("metadata-prefix", {"metadata.thread_id": "t3"}, ["d4", "d5"]),
    ("size", {"tags": {"$size": 1}}, ["d2", "d6", "d8"]),
    ("size-zero", {"tags": {"$size": 0}}, ["d4"]),
    ("elemmatch-object", {"reviews": {"$elemMatch": {"score": {"$gte": 4}}}}, ["d1"]),
    (
        "elemmatch-multi",
        {"reviews": {"$elemMatch": {"user": "c", "score": {"$lt": 3}}}},
        ["d2"],
    ),
    ("elemmatch-same-element", {"reviews": {"$elemMatch": {"user": "a", "score": 3}}}, []),
    ("elemmatch-scalars", {"scores": {"$elemMatch": {"$gte": 80, "$lt": 85}}}, ["d5"]),
    ("elemmatch-none", {"scores": {"$elemMatch": {"$gt": 95}}}, []),
    (
        "elemmatch-or",
        {"reviews": {"$elemMatch": {"$or": [{"user": "a"}, {"score": 2}]}}},
        ["d1", "d2"],
    ),
    ("regex", {"title": {"$regex": "^Apple"}}, ["d1"]),
    ("regex-options-i", {"title": {"$regex": "apple", "$options": "i"}}, ["d1", "d4"]),
    ("regex-class", {"title": {"$regex": "[0-9]"}}, []),
    ("and", {"$and": [{"category": "electronics"}, {"price": {"$lt": 150}}]}, ["d1"]),
    ("or", {"$or": [{"category": "toys"}, {"rating": {"$lt": 3}}]}, ["d6", "d8"]),
    (
        "nor",
        {"$nor": [{"category": "electronics"}, {"category": "books"}]},
        ["d5", "d6", "d7", "d8"],
    ),
    ("not-top-level", {"$not": {"category": "electronics"}}, _but("d1", "d2")),
    ("not-field-level", {"price": {"$not": {"$gt": 50}}}, _but("d1", "d2")),
    ("not-in", {"category": {"$not": {"$in": ["books", "clothing"]}}}, ["d1", "d2", "d7", "d8"]),
    ("not-ne-double-negation", {"category": {"$not": {"$ne": "toys"}}}, ["d8"]),
    (
        "not-or",
        {"$not": {"$or": [{"price": {"$gt": 100}}, {"price": {"$lt": 20}}]}},
        ["d1", "d4", "d5", "d6", "d7"],
    ),
    ("not-exists", {"tags": {"$not": {"$exists": True}}}, ["d5", "d7"]),
    ("not-all", {"tags": {"$not": {"$all": ["new", "sale"]}}}, _but("d1", "d3")),
    ("implicit-and", {"category": "clothing", "inStock": False}, ["d5"]),
    (
        "memory-thread-and-resource",
        {"$and": [{"$or": [{"thread_id": "t1"}, {"thread_id": "t2"}]}, {"resource_id": "r1"}]},
        ["d1", "d2", "d3"],
    ),
    ("memory-unknown-thread", {"thread_id": "nope"}, []),
    (
        "date-value",
        {"createdAt": {"$gt": datetime(2024, 1, 1, tzinfo=timezone.utc)}},
        ["d8"],
    ),
    ("string-range", {"category": {"$gte": "clothing", "$lt": "f"}}, ["d1", "d2", "d5", "d6"]),
    ("empty-and", {"$and": []}, ALL),
    ("empty-or", {"$or": []}, []),
    ("empty-nor", {"$nor": []}, ALL),
    ("nested-empty", {"$and": [{"$or": []}, {"category": "toys"}]}, []),
    (
        "multiple-logical-at-root",
        {"$or": [{"price": {"$lt": 20}}, {"price": {"$gt": 150}}], "$nor": [{"category": "toys"}]},
        ["d2", "d3"],
    ),
]


def _deep(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = {"a": 1}
    for _ in range(levels):
        node = {"$and": [node]}
    return node


#: (case id, filter): every one must raise ValidationError and change nothing.
HOSTILE_FILTERS: list[tuple[str, Any]] = [
    ("where", {"$where": "sleep(1000)"}),
    ("expr", {"$expr": {"$gt": ["$a", 1]}}),
    ("unknown-operator", {"a": {"$foo": 1}}),
    ("sql-in-field-name", {"a') OR 1=1; DROP TABLE x; --": 1}),
    ("quote-in-field-name", {'a"b': 1}),
    ("dollar-in-path", {"a.$b": 1}),
    ("empty-segment", {"a..b": 1}),
    ("proto", {"__proto__": 1}),
    ("too-many-in", {"a": {"$in": list(range(1001))}}),
    ("deep-nesting", _deep(40)),
    ("top-level-field-op", {"$gt": 1}),
    ("logical-at-field-level", {"a": {"$and": [{"b": 1}]}}),
    ("direct-operators-in-and", {"$and": [{"$gt": 1}]}),
    ("and-not-array", {"$and": {"a": 1}}),
    ("elemmatch-not-object", {"a": {"$elemMatch": 5}}),
    ("empty-not", {"a": {"$not": {}}}),
    ("empty-top-not", {"$not": {}}),
    ("in-not-array", {"a": {"$in": "x"}}),
    ("exists-not-bool", {"a": {"$exists": "yes"}}),
    ("gt-null", {"a": {"$gt": None}}),
    ("eq-object", {"a": {"$eq": {"b": 1}}}),
    ("nan", {"a": float("nan")}),
    ("infinity", {"a": {"$lt": float("inf")}}),
    ("non-string-key", {1: "x"}),
    ("mixed-ops-and-fields", {"a": {"$gt": 1, "b": 2}}),
    ("size-negative", {"a": {"$size": -1}}),
    ("regex-catastrophic", {"a": {"$regex": "(a+)+$"}}),
    ("regex-inline-flags", {"a": {"$regex": "(?i)x"}}),
    ("regex-bad-option", {"a": {"$regex": "x", "$options": "g"}}),
    ("regex-invalid", {"a": {"$regex": "("}}),
    ("options-without-regex", {"a": {"$options": "i"}}),
    ("huge-string", {"a": "x" * 10_000}),
    ("not-a-dict", ["a"]),
    ("object-value-type", {"a": {"$in": [object()]}}),
]


__all__ = ["ALL", "DOCS", "FILTER_CASES", "HOSTILE_FILTERS"]
