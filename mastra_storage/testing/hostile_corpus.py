"""The hostile-input corpus: named values and the outcome every adapter must give (issue 10).

Why data and not tests: the same values are thrown at every entry point (ids, titles,
metadata, message content, working memory, snapshots, filters, pagination, include windows,
date ranges) on every adapter by :mod:`mastra_storage.testing.conformance.hostile`; keeping
them here makes the corpus reviewable in one place and reusable by an adapter's own tests.

Each :class:`HostileCase` says what must happen:

* ``ROUND_TRIP``: accepted, and reading it back gives exactly the value written;
* ``REJECT``: :class:`~mastra_storage.errors.ValidationError` before any I/O, nothing written;
* ``LIMIT``: round trip, unless the value is larger than the store's declared
  ``max_record_bytes`` (DynamoDB 400 KB, MongoDB 16 MB): then a ``ValidationError``
  subclass (``ItemTooLargeError``, ``DocumentTooLargeError``) and nothing written;
* ``NORMALISED``: accepted and stored in the documented normal form ``normalised``
  (``NaN``/``Infinity`` inside JSON become ``null``, as ``JSON.stringify`` writes them, so a
  Mastra reader and a Python reader see the same row).

Not in the corpus, by decision: ``datetime`` objects nested inside JSON values (pass ISO
strings; JSON has no date type, and each backend's driver renders them its own way).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ..pagination import MAX_SAFE_INTEGER
from ..timeutil import MAX_EPOCH_MS, MIN_EPOCH_MS
from ..validation import MAX_ID_BYTES, MAX_JSON_DEPTH


class Expect(enum.Enum):
    ROUND_TRIP = "round trip"
    REJECT = "typed error"
    LIMIT = "round trip or typed size error"
    NORMALISED = "stored normalised"


@dataclass(frozen=True)
class HostileCase:
    """One hostile value and the outcome it must get."""

    name: str
    value: Any
    expect: Expect
    normalised: Any = None


RT, REJECT, LIMIT, NORM = Expect.ROUND_TRIP, Expect.REJECT, Expect.LIMIT, Expect.NORMALISED

#: A payload over DynamoDB's 400 KB item limit (and under MongoDB's 16 MB).
HUGE_TEXT = "h" * (500 * 1024)


def _nested_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


def nested(depth: int) -> dict[str, Any]:
    """``{"n": {"n": ... {"leaf": true}}}``: an object ``depth`` levels deep."""
    value: dict[str, Any] = {"leaf": True}
    for _ in range(depth - 1):
        value = {"n": value}
    return value


def nested_text(depth: int) -> str:
    """:func:`nested` as JSON text, built without recursion (for raw inserts deeper than
    any recursive encoder goes)."""
    return '{"n":' * (depth - 1) + '{"leaf":true}' + "}" * (depth - 1)


def nesting_depth(value: Any) -> int:
    """How deep a :func:`nested` value read back is (counted without recursion)."""
    levels = 0
    while isinstance(value, dict):
        value = value.get("n", value.get("leaf"))
        levels += 1
    return levels


# ---- strings used as ids (thread, message, resource, run, workflow, scorer, entity, span)

ID_CASES: tuple[HostileCase, ...] = (
    HostileCase("colon", "a:b", RT),
    HostileCase("hash", "a#b", RT),
    HostileCase("dynamo-key-prefix", "THREAD#x#MSG#y", RT),
    HostileCase("slash", "a/b/../c", RT),
    HostileCase("redis-glob-star", "a*", RT),
    HostileCase("redis-glob-question", "a?b", RT),
    HostileCase("redis-glob-class", "[a-z]", RT),
    HostileCase("redis-key-pattern", "mastra:thread:*", RT),
    HostileCase("like-percent", "%", RT),
    HostileCase("like-underscore", "_", RT),
    HostileCase("like-mixed", "a%b_c\\", RT),
    HostileCase("regex-dot-star", ".*", RT),
    HostileCase("regex-anchors", "^(a|b)$", RT),
    HostileCase("mongo-operator", "$gt", RT),
    HostileCase("mongo-operator-json", '{"$ne": null}', RT),
    HostileCase("mongo-dotted", "a.b", RT),
    HostileCase("sql-injection", "x'; DROP TABLE mastra_threads; --", RT),
    HostileCase("sql-injection-dq", '" OR "1"="1', RT),
    HostileCase("redis-command", "\r\nFLUSHALL\r\n", RT),
    HostileCase("control-chars", "a\x01\x1f\x7fb", RT),
    HostileCase("tab-newline", "a\tb\nc", RT),
    HostileCase("unicode", "日本語-🙂-\u202eevil-\u200d", RT),
    HostileCase("proto", "__proto__", RT),
    HostileCase("spaces-around", " x ", RT),
    HostileCase("max-length", "x" * MAX_ID_BYTES, RT),
    HostileCase("max-length-multibyte", "é" * (MAX_ID_BYTES // 2), RT),
    HostileCase("too-long", "x" * (MAX_ID_BYTES + 1), REJECT),
    HostileCase("too-long-multibyte", "é" * (MAX_ID_BYTES // 2 + 1), REJECT),
    HostileCase("huge", HUGE_TEXT, REJECT),
    HostileCase("empty", "", REJECT),
    HostileCase("blank", "  \t", REJECT),
    HostileCase("nul", "a\x00b", REJECT),
    HostileCase("lone-surrogate", "a\ud800b", REJECT),
    HostileCase("none", None, REJECT),
    HostileCase("int", 123, REJECT),
    HostileCase("bytes", b"abc", REJECT),
    HostileCase("list", ["a"], REJECT),
)

# ---- free text (titles, working memory, message text)

TEXT_CASES: tuple[HostileCase, ...] = (
    HostileCase("empty", "", RT),
    HostileCase("control-chars", "a\x01\x08\x1b[31m\x7fb", RT),
    HostileCase("line-separators", "a\r\nb\u2028c\u2029d", RT),
    HostileCase("unicode", "日本語 🙂 e\u0301 \u202eevil \ufeff", RT),
    HostileCase("sql-injection", "'); DELETE FROM mastra_messages; --", RT),
    HostileCase("template-injection", "${jndi:ldap://x} {{7*7}} <script>", RT),
    HostileCase("json-looking", '{"$where": "sleep(1000)"}', RT),
    HostileCase("huge", HUGE_TEXT, LIMIT),
    HostileCase("nul", "a\x00b", REJECT),
    HostileCase("lone-surrogate", "a\udfffb", REJECT),
    HostileCase("int", 42, REJECT),
    HostileCase("bytes", b"abc", REJECT),
)

# ---- JSON values (metadata values, snapshot fields, message content extras)

JSON_VALUE_CASES: tuple[HostileCase, ...] = (
    HostileCase("mongo-operators", {"$where": "1", "$gt": ""}, RT),
    HostileCase("dotted-keys", {"a.b": {"c.d": 1}}, RT),
    HostileCase("bool-vs-int", [True, 1, 0, False, 1.5], RT),
    HostileCase("safe-int-edges", [2**53 - 1, -(2**53 - 1)], RT),
    HostileCase("int64-edges", [2**63 - 1, -(2**63)], RT),
    HostileCase("float-edges", [5e-324, -0.5, 1.5, 1e-7], RT),
    HostileCase("float-integral-huge", [1e300], RT),
    HostileCase("empty-containers", {"a": {}, "b": [], "c": ""}, RT),
    HostileCase("unicode", {"日本": "🙂", "k": "\u202e\x01"}, RT),
    HostileCase("nested-20", nested(20), RT),
    HostileCase("wide-list", list(range(5000)), RT),
    HostileCase("huge", {"blob": HUGE_TEXT}, LIMIT),
    HostileCase("nan", float("nan"), NORM, None),
    HostileCase("infinity", [float("inf"), float("-inf")], NORM, [None, None]),
    HostileCase("nested-too-deep", nested(5000), REJECT),
    # Issue 15: 600-900 levels passed the encoder but broke MongoDB reads and the in-memory
    # store; anything past MAX_JSON_DEPTH is refused before I/O.
    HostileCase("nested-101", nested(MAX_JSON_DEPTH + 1), REJECT),
    HostileCase("nested-600", nested(600), REJECT),
    HostileCase("nested-900-list", _nested_list(900), REJECT),
    HostileCase("nul-string", {"k": "a\x00b"}, REJECT),
    HostileCase("lone-surrogate", {"k": "\ud800"}, REJECT),
    HostileCase("int-over-int64", 2**63, REJECT),
    HostileCase("int-under-int64", [-(2**63) - 1], REJECT),
    HostileCase("digits-in-string", {"k": "1" * 40}, RT),
    HostileCase("object", object(), REJECT),
)

# ---- keys inside stored metadata (not filters)

METADATA_KEY_CASES: tuple[HostileCase, ...] = (
    HostileCase("mongo-operator", "$where", RT),
    HostileCase("dotted", "a.b", RT),
    HostileCase("empty", "", RT),
    HostileCase("sql", "k'); --", RT),
    HostileCase("unicode", "日本🙂", RT),
    HostileCase("proto", "__proto__", RT),
    HostileCase("nul", "a\x00b", REJECT),
    HostileCase("lone-surrogate", "\ud800", REJECT),
    HostileCase("int", 1, REJECT),
    HostileCase("tuple", ("a",), REJECT),
)

# ---- keys of a list_threads metadata filter (they may reach SQL JSON paths)

FILTER_KEY_CASES: tuple[HostileCase, ...] = (
    HostileCase("identifier", "key", RT),
    HostileCase("underscore", "_k1", RT),
    HostileCase("dotted", "a.b", REJECT),
    HostileCase("mongo-operator", "$where", REJECT),
    HostileCase("sql-path", "key') OR 1=1 --", REJECT),
    HostileCase("json-path", "$.key", REJECT),
    HostileCase("empty", "", REJECT),
    HostileCase("proto", "__proto__", REJECT),
    HostileCase("too-long", "k" * 129, REJECT),
    HostileCase("int", 1, REJECT),
)

# ---- pagination (``page``; ``per_page``; include window sizes)

PAGE_CASES: tuple[HostileCase, ...] = (
    HostileCase("zero", 0, RT),
    HostileCase("far", 10**6, RT),
    HostileCase("max-safe", MAX_SAFE_INTEGER // 10, RT),
    HostileCase("negative", -1, REJECT),
    HostileCase("bool", True, REJECT),
    HostileCase("float", 1.0, REJECT),
    HostileCase("string", "1", REJECT),
    HostileCase("none", None, REJECT),
    HostileCase("unsafe", MAX_SAFE_INTEGER + 1, REJECT),
    HostileCase("overflow", 2**64, REJECT),
)

PER_PAGE_CASES: tuple[HostileCase, ...] = (
    HostileCase("zero", 0, RT),
    HostileCase("one", 1, RT),
    HostileCase("none-means-all", None, RT),
    HostileCase("huge", 10**9, RT),
    HostileCase("max-safe", MAX_SAFE_INTEGER, RT),
    HostileCase("negative", -1, REJECT),
    HostileCase("bool", True, REJECT),
    HostileCase("float", 10.0, REJECT),
    HostileCase("string", "10", REJECT),
    HostileCase("unsafe", MAX_SAFE_INTEGER + 1, REJECT),
    HostileCase("overflow", 2**64, REJECT),
)

#: ``page`` x ``per_page`` pairs whose offset overflows a 53-bit integer.
PAGE_PRODUCT_CASES: tuple[HostileCase, ...] = (
    HostileCase("offset-overflow", (2**40, 2**20), REJECT),
    HostileCase("offset-int64-overflow", (2**52, 2**52), REJECT),
)

WINDOW_CASES: tuple[HostileCase, ...] = (
    HostileCase("zero", 0, RT),
    HostileCase("huge", 10**9, RT),
    HostileCase("max-safe", MAX_SAFE_INTEGER, RT),
    HostileCase("negative", -1, REJECT),
    HostileCase("bool", True, REJECT),
    HostileCase("float", 2.0, REJECT),
    HostileCase("string", "2", REJECT),
    HostileCase("unsafe", MAX_SAFE_INTEGER + 1, REJECT),
    HostileCase("overflow", 2**64, REJECT),
)

# ---- date-range bounds (list_messages date_range, list_workflow_runs from/to)

_UTC = timezone.utc
DATETIME_CASES: tuple[HostileCase, ...] = (
    HostileCase("aware-utc", datetime(2020, 1, 1, tzinfo=_UTC), RT),
    HostileCase("aware-offset", datetime(2020, 1, 1, tzinfo=timezone(timedelta(hours=-6))), RT),
    HostileCase("year-1", datetime(1, 1, 2, tzinfo=_UTC), RT),
    HostileCase("year-9999", datetime(9999, 12, 30, tzinfo=_UTC), RT),
    HostileCase("iso-string", "2020-01-01T00:00:00.000Z", RT),
    HostileCase("naive", datetime(2020, 1, 1), REJECT),
    # Aware, but before year 1 / after year 9999 once converted to UTC.
    HostileCase(
        "year-1-east-of-utc", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))), REJECT
    ),
    HostileCase(
        "year-9999-west-of-utc",
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
        REJECT,
    ),
    HostileCase("garbage-string", "yesterday; DROP TABLE x", REJECT),
    HostileCase("empty-string", "", REJECT),
    HostileCase("int", 1_700_000_000, REJECT),
)

#: Forged cursors: each field of a real cursor replaced (the scope kept, so only the forged
#: field can be wrong), and raw tokens that are not cursors. All must be ValidationError.
FORGED_CURSOR_KEYS: tuple[HostileCase, ...] = (
    HostileCase("key-int64-max", 2**63 - 1, REJECT),
    HostileCase("key-int64-min", -(2**63), REJECT),
    HostileCase("key-uint64-max", 2**64 - 1, REJECT),
    HostileCase("key-after-year-9999", MAX_EPOCH_MS + 1, REJECT),
    HostileCase("key-before-year-1", MIN_EPOCH_MS - 1, REJECT),
)
FORGED_CURSOR_TIES: tuple[HostileCase, ...] = (
    HostileCase("tie-uint64-max", 2**64 - 1, REJECT),
    HostileCase("tie-empty", "", REJECT),
    HostileCase("tie-nul", "a\x00b", REJECT),
    HostileCase("tie-too-long", "t" * 300, REJECT),
)
FORGED_CURSOR_TOKENS: tuple[HostileCase, ...] = (
    HostileCase("int", 5, REJECT),
    HostileCase("bytes", b"abc", REJECT),
    HostileCase("list", ["a"], REJECT),
    HostileCase("bad-base64", "!!not base64!!", REJECT),
    HostileCase("not-msgpack", "AAAA", REJECT),
    HostileCase("huge", "A" * 100_000, REJECT),
    HostileCase("wrong-shape", "kQE", REJECT),  # msgpack [1]
)

#: Resource ids chosen to collide in key encodings, glob/LIKE/regex patterns and prefixes.
#: No call given one of them may return another one's rows.
COLLIDING_RESOURCE_IDS: tuple[str, ...] = (
    "user1",
    "user10",
    "user1:",
    "a:b",
    "a",
    "b",
    "a#b",
    "a#",
    "a*",
    "a?",
    "[ab]",
    "%",
    "_",
    "a.b",
    "a.+",
    "^a",
    "user1\\",
)

#: Schema, table and index names that must never reach SQL (identifier injection, quoting
#: breakouts, dotted names, over-long names, wrong types). Every one is a typed error.
HOSTILE_SQL_IDENTIFIERS: tuple[Any, ...] = (
    'x"; DROP TABLE mastra_threads; --',
    "x'; DROP TABLE mastra_threads; --",
    'public"',
    "a b",
    "a.b",
    "a-b",
    "a;b",
    "a)b",
    "1abc",
    "$1",
    "ü",
    "a\x00b",
    "",
    "x" * 64,
    "mastra\n",  # a regex with ``$`` instead of ``\Z`` accepted this
    None,
    123,
)

#: MongoDB database names the server forbids or that could address another database.
HOSTILE_MONGO_DB_NAMES: tuple[Any, ...] = (
    "a.b",
    "a/b",
    "a\\b",
    'a"b',
    "a$b",
    "a b",
    "a*",
    "a\x00b",
    "",
    " ",
    "x" * 64,
    "mastra\n",
    None,
    123,
)

#: Upstash/Redis key prefixes that are rejected (whitespace and control characters would
#: corrupt the keys; non-strings and over-long prefixes are mistakes).
HOSTILE_KEY_PREFIXES: tuple[Any, ...] = (
    "a b",
    "a\nb",
    "mastra\n",
    "a\x00",
    "a\tb",
    "x" * 201,
    123,
    None,
)

#: DynamoDB table names outside the service's rules (3-255 of ``[A-Za-z0-9_.-]``).
HOSTILE_DYNAMODB_TABLE_NAMES: tuple[Any, ...] = (
    "ab",
    "a b",
    "a:b",
    "a/b",
    "a#b",
    "a\x00b",
    "x" * 256,
    "table\n",
    "",
    None,
    123,
)

ALL_GROUPS: dict[str, tuple[HostileCase, ...]] = {
    "ids": ID_CASES,
    "text": TEXT_CASES,
    "json": JSON_VALUE_CASES,
    "metadata_keys": METADATA_KEY_CASES,
    "filter_keys": FILTER_KEY_CASES,
    "page": PAGE_CASES,
    "per_page": PER_PAGE_CASES,
    "page_product": PAGE_PRODUCT_CASES,
    "windows": WINDOW_CASES,
    "datetimes": DATETIME_CASES,
}

__all__ = [
    "ALL_GROUPS",
    "COLLIDING_RESOURCE_IDS",
    "DATETIME_CASES",
    "FILTER_KEY_CASES",
    "FORGED_CURSOR_KEYS",
    "FORGED_CURSOR_TIES",
    "FORGED_CURSOR_TOKENS",
    "HOSTILE_DYNAMODB_TABLE_NAMES",
    "HOSTILE_KEY_PREFIXES",
    "HOSTILE_MONGO_DB_NAMES",
    "HOSTILE_SQL_IDENTIFIERS",
    "HUGE_TEXT",
    "ID_CASES",
    "JSON_VALUE_CASES",
    "METADATA_KEY_CASES",
    "PAGE_CASES",
    "PAGE_PRODUCT_CASES",
    "PER_PAGE_CASES",
    "TEXT_CASES",
    "WINDOW_CASES",
    "Expect",
    "HostileCase",
    "nested",
    "nested_text",
    "nesting_depth",
]
