"""Unit tests of the backend-independent core: records, time, codec, pagination, errors."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mastra_storage import (
    ConfigurationError,
    Message,
    MessageContent,
    MissingDependencyError,
    Score,
    Span,
    Thread,
    ValidationError,
    connect,
)
from mastra_storage.codec import dumps, loads, safely_parse_json
from mastra_storage.errors import storage_error_id
from mastra_storage.pagination import (
    Cursor,
    decode_cursor,
    encode_cursor,
    has_more,
    page_window,
    validate_page_args,
)
from mastra_storage.registry import scheme_of
from mastra_storage.timeutil import parse_iso, to_iso, utc_now

UTC = timezone.utc


def test_naive_datetime_is_rejected_with_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="naive datetime"):
        Thread(id="t", resource_id="r", created_at=datetime(2024, 1, 1), updated_at=utc_now())


def test_datetimes_are_normalised_to_utc_milliseconds() -> None:
    plus2 = timezone(timedelta(hours=2))
    thread = Thread(
        id="t",
        resource_id="r",
        created_at=datetime(2024, 1, 1, 2, 0, 0, 123456, tzinfo=plus2),
        updated_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    assert thread.created_at == datetime(2024, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)
    assert thread.created_at.tzinfo is UTC
    assert to_iso(thread.created_at) == "2024-01-01T00:00:00.123Z"


def test_thread_wire_names_are_mastra_camel_case_and_round_trip() -> None:
    now = utc_now()
    thread = Thread(
        id="t", resource_id="r", title="x", created_at=now, updated_at=now, metadata={"a": 1}
    )
    wire = thread.to_dict()
    assert set(wire) == {"id", "resourceId", "title", "createdAt", "updatedAt", "metadata"}
    assert wire["createdAt"].endswith("Z")
    assert Thread.from_dict(wire) == thread


def test_message_content_keeps_unknown_keys_and_part_bytes() -> None:
    raw = {
        "format": 2,
        "parts": [
            {"type": "text", "text": "hi", "providerMetadata": {"mastra": {"tokenEstimate": 3}}}
        ],
        "content": '{"json": "as text"}',
        "experimental_attachments": [{"url": "https://x"}],
        "futureField": {"kept": True},
    }
    content = MessageContent.from_dict(raw)
    assert content.extra == {"futureField": {"kept": True}}
    assert dumps(content.to_dict()["parts"]) == dumps(raw["parts"])
    assert content.to_dict()["futureField"] == {"kept": True}
    assert next(iter(content.to_dict())) == "format"
    message = Message(id="m", role="user", created_at=utc_now(), thread_id="t", content=content)
    assert Message.from_dict(message.to_dict()) == message


def test_message_from_legacy_string_content_becomes_v2() -> None:
    message = Message.from_dict(
        {"id": "m", "role": "user", "createdAt": "2024-01-01T00:00:00.000Z", "content": "hello"}
    )
    assert message.content.format == 2
    assert message.content.parts == [{"type": "text", "text": "hello"}]
    assert message.text == "hello"


def test_from_dict_reports_invalid_records_as_validation_errors() -> None:
    with pytest.raises(ValidationError):
        Thread.from_dict({"id": "t", "resourceId": "r", "createdAt": "not a date", "updatedAt": 1})
    with pytest.raises(ValidationError):
        Message.from_dict(
            {"id": "m", "role": "robot", "createdAt": "2024-01-01T00:00:00Z", "content": {}}
        )


def test_span_status_is_computed() -> None:
    start = utc_now()
    span = Span(trace_id="t", span_id="s", name="n", span_type="agent_run", started_at=start)
    assert span.status == "running"
    assert span.replace(ended_at=start).status == "success"
    assert span.replace(ended_at=start, error={"message": "x"}).status == "error"
    assert "parentSpanId" in span.to_dict()  # spans keep every field, null included


def test_score_omits_null_fields_on_the_wire() -> None:
    score = Score(
        id="s",
        scorer_id="a",
        entity_id="e",
        run_id="r",
        score=0.5,
        scorer={},
        output={},
        source="LIVE",
        created_at=utc_now(),
    )
    assert "reason" not in score.to_dict()
    assert score.to_dict()["scorerId"] == "a"


def test_parse_iso_accepts_mastra_formats() -> None:
    assert parse_iso("2024-01-01T00:00:00.000Z") == datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_iso("1970-01-01 00:00:00") == datetime(1970, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError):
        parse_iso("yesterday")


def test_utc_now_is_strictly_increasing() -> None:
    values = [utc_now() for _ in range(2000)]
    assert all(a < b for a, b in itertools.pairwise(values))


def test_codec_matches_json_stringify_and_parses_safely() -> None:
    assert dumps({"b": 1, "a": [True, None, "é"]}) == '{"b":1,"a":[true,null,"é"]}'
    # datetimes nested in JSON values are written as RFC 3339 (what JS ``new Date()`` parses)
    assert parse_iso(loads(dumps({"when": datetime(2024, 1, 1, tzinfo=UTC)}))["when"]) == datetime(
        2024, 1, 1, tzinfo=UTC
    )
    assert loads('{"x": 1}') == {"x": 1}
    assert safely_parse_json("not json") == "not json"
    assert safely_parse_json(None) == {}
    with pytest.raises(ValidationError):
        dumps({"x": object()})
    with pytest.raises(ValidationError):
        loads("{broken")


def test_pagination_arithmetic() -> None:
    assert page_window(2, 7).offset == 14
    assert page_window(0, None).limit is None
    assert has_more(0, 7, 17) and not has_more(2, 7, 17) and not has_more(0, None, 5)
    with pytest.raises(ValidationError, match="perPage must be >= 0"):
        validate_page_args(0, -5, operation="X")
    with pytest.raises(ValidationError, match="page must be >= 0"):
        validate_page_args(-1, 5, operation="X")
    with pytest.raises(ValidationError, match="page must be 0"):
        validate_page_args(1, None, operation="X")
    with pytest.raises(ValidationError, match="too large"):
        validate_page_args(2**52, 10, operation="X")


def test_cursor_round_trip_and_scope_check() -> None:
    token = encode_cursor(Cursor(123, 7, "ASC", "scope-a"))
    assert decode_cursor(token, scope="scope-a") == Cursor(123, 7, "ASC", "scope-a")
    with pytest.raises(ValidationError, match="different query"):
        decode_cursor(token, scope="scope-b")
    with pytest.raises(ValidationError, match="invalid cursor"):
        decode_cursor("!!not-a-cursor!!", scope="scope-a")


def test_error_ids_follow_mastra_convention() -> None:
    assert storage_error_id("PG", "listMessagesById", "failed") == (
        "MASTRA_STORAGE_PG_LIST_MESSAGES_BY_ID_FAILED"
    )
    assert storage_error_id("LIBSQL", "XMLParser", "x") == "MASTRA_STORAGE_LIBSQL_XML_PARSER_X"
    error = ValidationError("bad", id="MASTRA_STORAGE_X_INVALID")
    assert error.to_json()["code"] == "MASTRA_STORAGE_X_INVALID"
    assert error.category == "USER"


def test_connect_picks_adapters_by_scheme_and_names_missing_extras() -> None:
    assert scheme_of(":memory:") == "file"
    assert scheme_of("postgresql://u@h/db") == "postgresql"
    assert type(connect("memory://")).__name__ == "InMemoryStore"
    with pytest.raises(ConfigurationError, match="scheme"):
        connect("no-scheme-here")
    with pytest.raises(ConfigurationError, match="unknown storage URL scheme"):
        connect("gopher://x")


def test_connect_names_the_extra_when_the_driver_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every shipped adapter registers its spec; what can be missing is its driver (the
    extra was not installed): the error names the extra and never the URL's password."""
    import dataclasses

    import mastra_storage.registry as registry

    specs = dict(registry._scan_adapters())
    missing = dataclasses.replace(specs["postgresql"], drivers=("no_such_driver_module",))
    specs.update(dict.fromkeys(missing.schemes, missing))
    monkeypatch.setattr(registry, "_scan_adapters", lambda: specs)
    with pytest.raises(MissingDependencyError, match=r"mastra-storage\[postgres\]") as info:
        connect("postgresql://user:secret@db/app")
    assert "secret" not in str(info.value)


def test_importing_the_package_imports_no_database_driver() -> None:
    code = (
        "import sys, mastra_storage, mastra_storage.inmemory, mastra_storage.registry;"
        "import mastra_storage_libsql.plugin;"
        "drivers = {'libsql', 'asyncpg', 'pymongo', 'aioboto3', 'redis', 'sqlite3'};"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in drivers))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


async def _composite_checks() -> None:
    from mastra_storage import MastraStorage, NotSupportedError
    from mastra_storage.inmemory import InMemoryStore

    base = InMemoryStore()
    only_memory = MastraStorage(domains={"memory": base.stores["memory"]})
    assert await only_memory.require_store("memory") is base.stores["memory"]
    assert await only_memory.get_store("scores") is None
    with pytest.raises(NotSupportedError, match="no 'scores' domain"):
        await only_memory.require_store("scores")


def test_require_store_returns_the_domain_or_raises() -> None:
    import asyncio

    asyncio.run(_composite_checks())


RAW_PARTS = [
    {"type": "text", "text": "hi", "providerMetadata": {"mastra": {"tokenEstimate": 1}}},
    {"type": "reasoning", "reasoning": "r", "details": [{"type": "text", "text": "t"}]},
    {
        "type": "tool-invocation",
        "toolInvocation": {
            "state": "result",
            "toolCallId": "c1",
            "toolName": "weather",
            "args": {"city": "Lisbon"},
            "result": {"temp": 21},
            "step": 0,
        },
    },
    {
        "type": "source",
        "source": {"sourceType": "url", "id": "s", "url": "https://x", "title": "X"},
    },
    {"type": "file", "mimeType": "image/png", "data": "aGk="},
    {"type": "step-start"},
    {"type": "data-weather", "id": "w1", "data": {"temp": 21}},
    {"type": "future-part", "whatever": [1, 2]},
    {"type": "text", "text": "with an unknown key", "state": "done"},
]


def test_typed_parts_round_trip_every_part_shape_exactly() -> None:
    from mastra_storage.parts import (
        DataPart,
        FilePart,
        ReasoningPart,
        SourcePart,
        StepStartPart,
        TextPart,
        ToolInvocationPart,
        UnknownPart,
    )

    content = MessageContent.from_dict({"format": 2, "parts": RAW_PARTS})
    typed = content.typed_parts()
    assert [type(p) for p in typed] == [
        TextPart,
        ReasoningPart,
        ToolInvocationPart,
        SourcePart,
        FilePart,
        StepStartPart,
        DataPart,
        UnknownPart,
        UnknownPart,  # an extra key would be lost by the typed view, so it stays raw
    ]
    tool = typed[2]
    assert isinstance(tool, ToolInvocationPart)
    assert tool.tool_invocation.tool_name == "weather"
    rebuilt = MessageContent.from_parts(typed)
    assert [dict(p) for p in rebuilt.parts] == RAW_PARTS
    assert MessageContent.from_parts([TextPart(text="x")]).parts == [{"type": "text", "text": "x"}]


def test_message_content_from_column_reads_json_bytes_and_legacy_plain_text() -> None:
    stored = {"format": 2, "parts": [{"type": "text", "text": "hi"}], "content": "hi"}
    assert MessageContent.from_column(dumps(stored)).to_dict() == stored
    assert MessageContent.from_column(dumps(stored).encode()).to_dict() == stored
    assert MessageContent.from_column(stored).to_dict() == stored
    legacy = MessageContent.from_column("just text, not JSON")
    assert legacy.parts == [{"type": "text", "text": "just text, not JSON"}]
    assert legacy.content == "just text, not JSON"


def test_plan_message_updates_keeps_order_and_skips_unknown_ids() -> None:
    from datetime import datetime, timezone

    from mastra_storage import Message
    from mastra_storage.domains.memory import plan_message_updates

    at = datetime(2024, 1, 1, tzinfo=timezone.utc)
    stored = {
        i: Message(id=i, role="user", created_at=at, thread_id="t", content=MessageContent.text(i))
        for i in ("a", "b")
    }
    plan = plan_message_updates(["b", "x", "a"], stored, lambda m: m.replace(role="assistant"))
    assert [(old.id, new.id, new.role) for old, new in plan] == [
        ("b", "b", "assistant"),
        ("a", "a", "assistant"),
    ]
    assert all(new.created_at == old.created_at for old, new in plan)


@pytest.mark.parametrize(
    ("value", "rejected"),
    [
        ({"n": 2**63}, True),
        ({"deep": [{"n": -(2**63) - 1}]}, True),
        ({"n": 2**63 - 1}, False),
        ({"n": -(2**63)}, False),
        ({"s": "12345678901234567890", "t": "é" + "9" * 30}, False),  # digits in strings
        ({"n": 123456789012345678, "s": "x" * 5000}, False),
    ],
)
def test_check_json_rejects_integers_outside_int64_only(value: object, rejected: bool) -> None:
    from mastra_storage.validation import check_json

    if rejected:
        with pytest.raises(ValidationError, match="64 bits"):
            check_json(value, operation="TEST")
    else:
        assert loads(check_json(value, operation="TEST")) == value


def test_long_digit_run_detection() -> None:
    from mastra_storage.validation import _has_long_digit_run

    assert _has_long_digit_run("9" * 19)
    assert _has_long_digit_run('{"a":"x' + "1" * 25 + 'y"}')
    assert not _has_long_digit_run("1" * 18 + "a" + "1" * 18)
    assert not _has_long_digit_run("\u0661" * 30)  # Arabic-Indic digits: no JSON number
    assert not _has_long_digit_run("")


# ---- issue 15: JSON depth, deep stored JSON, forged cursors, typed errors -----------------


def test_json_depth_exceeds_matches_a_recursive_count() -> None:
    import json
    import random

    from mastra_storage.validation import json_depth_exceeds, nesting_exceeds

    def depth(v: Any) -> int:
        if isinstance(v, dict):
            return 1 + max([depth(x) for x in v.values()], default=0)
        if isinstance(v, list):
            return 1 + max([depth(x) for x in v], default=0)
        return 0

    rng = random.Random(7)

    def gen(d: int) -> Any:
        if d == 0 or rng.random() < 0.2:
            return rng.choice([1, 'a{["', "]]}}\\", '"', None, 'x\\\\"[{'])
        if rng.random() < 0.5:
            return {rng.choice(["k", "{", '\\"', "]"]) + str(i): gen(d - 1) for i in range(3)}
        return [gen(d - 1) for _ in range(rng.randint(0, 3))]

    for _ in range(500):
        value = gen(rng.randint(0, 10))
        text = json.dumps(value)
        for limit in range(0, 11):
            want = depth(value) > limit
            assert json_depth_exceeds(text, limit) is want
            assert nesting_exceeds(value, limit) is want


def test_check_json_refuses_past_max_depth_without_recursion() -> None:
    from mastra_storage.validation import MAX_JSON_DEPTH, check_json

    def nested(levels: int) -> Any:
        value: Any = {"leaf": True}
        for _ in range(levels - 1):
            value = {"n": value}
        return value

    check_json(nested(MAX_JSON_DEPTH), operation="T")
    for levels in (MAX_JSON_DEPTH + 1, 900, 100_000):
        with pytest.raises(ValidationError):
            check_json(nested(levels), operation="T")


def test_deep_json_text_decodes_iteratively() -> None:
    from mastra_storage.codec import copy_json, loads, parse_json_column, safely_parse_json

    text = '{"n":' * 5000 + '[1,"x"]' + "}" * 5000
    for decode in (loads, parse_json_column, safely_parse_json):
        value = decode(text)
        copied = copy_json(value)
        levels = 0
        while isinstance(copied, dict):
            copied = copied["n"]
            levels += 1
        assert levels == 5000 and copied == [1, "x"]


def test_forged_cursors_are_validation_errors() -> None:
    import msgspec

    from mastra_storage.pagination import Cursor, decode_cursor, encode_cursor

    good = encode_cursor(Cursor(1_700_000_000_000, 3, "ASC", "s"))
    assert decode_cursor(good, scope="s", tie_kind=int).tie == 3
    forged = [
        encode_cursor(Cursor(2**63 - 1, 3, "ASC", "s")),
        encode_cursor(Cursor(-(2**62), 3, "ASC", "s")),
        encode_cursor(Cursor(0, 2**64 - 1, "ASC", "s")),
        encode_cursor(Cursor(0, "", "ASC", "s")),
        encode_cursor(Cursor(0, "a\x00", "ASC", "s")),
        encode_cursor(msgspec.structs.replace(Cursor(0, "id", "ASC", "s"))),  # wrong kind
        "!!!",
        "A" * 10_000,
        5,
        b"x",
    ]
    for token in forged:
        with pytest.raises(ValidationError):
            decode_cursor(token, scope="s", tie_kind=int)  # type: ignore[arg-type]


def test_identifiers_refuse_a_trailing_newline() -> None:
    from mastra_storage.validation import validate_identifier, validate_metadata_filter

    with pytest.raises(ValidationError):
        validate_identifier("mastra\n")
    with pytest.raises(ValidationError):
        validate_metadata_filter({"key\n": 1}, operation="T")


def test_prune_age_before_year_one_is_a_validation_error() -> None:
    from datetime import timedelta

    from mastra_storage.retention import resolve_cutoff
    from mastra_storage.timeutil import utc_now

    with pytest.raises(ValidationError):
        resolve_cutoff(timedelta(days=999_999_999), now=utc_now(), name="threads_older_than")


def test_cli_prune_age_out_of_range_is_a_validation_error() -> None:
    from mastra_storage.cli_prune import parse_age

    for text in ("99999999999w", "1" * 40 + "d", "30d\nx"):
        with pytest.raises(ValidationError):
            parse_age(text)
    assert parse_age("30d") == timedelta(days=30)


def test_long_digit_run_ignores_float_fractions_but_not_integers() -> None:
    from mastra_storage.validation import _has_long_digit_run, check_json

    assert not _has_long_digit_run("[0.0042661869127905705,1.5e-7]")
    assert _has_long_digit_run("[-9223372036854775809]")
    assert _has_long_digit_run("[12345678901234567890.5]")
    for big in (2**63, -(2**63) - 1):
        with pytest.raises(ValidationError):
            check_json({"a": [0.0042661869127905705, big]}, operation="T")
    check_json({"a": [0.0042661869127905705, 2**63 - 1, -(2**63)]}, operation="T")
