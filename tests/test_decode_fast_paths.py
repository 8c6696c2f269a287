"""The decode fast paths of issue 9 give exactly what the general paths give.

``MessageContent.from_column`` decodes JSON text straight into the known keys and falls
back to the general path (which keeps unknown keys in ``extra``) whenever that fails;
``MessageContent.from_dict`` converts dicts with only known keys in one call; ``parse_iso``
returns ``fromisoformat``'s result as is when it is already UTC at millisecond precision.
Each test compares the fast result with a reference that follows the general algorithm.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest

from mastra_storage import Message, MessageContent, ValidationError
from mastra_storage.timeutil import parse_iso


def _reference_content(data: dict[str, Any]) -> MessageContent:
    """The general algorithm: known non-null keys converted, every other key in ``extra``."""
    known_keys = MessageContent._known
    known = {k: v for k, v in data.items() if k in known_keys and v is not None}
    known.setdefault("format", 2)
    known.setdefault("parts", [])
    content = msgspec.convert(known, MessageContent, strict=False)
    content.extra = {k: v for k, v in data.items() if k not in known_keys}
    return content


TEXT_PART = {"type": "text", "text": "hi"}
CONTENT_SHAPES: list[dict[str, Any]] = [
    {"format": 2, "parts": [TEXT_PART], "content": "hi"},
    {"format": 2, "parts": [TEXT_PART]},
    {"parts": [TEXT_PART]},
    {"format": 2},
    {},
    {"format": 2, "parts": [], "content": None, "reasoning": None, "metadata": None},
    {"format": None, "parts": [TEXT_PART]},
    {"format": 2, "parts": None, "content": "legacy"},
    {
        "format": 2,
        "parts": [TEXT_PART, {"type": "tool-invocation", "toolInvocation": {"state": "call"}}],
        "content": "hi",
        "experimental_attachments": [{"url": "https://x/y.png"}],
        "toolInvocations": [{"toolCallId": "c1"}],
        "reasoning": "because",
        "annotations": [{"a": 1}],
        "metadata": {"k": [1, 2.5, None, True]},
        "providerMetadata": {"openai": {"id": "r1"}},
    },
    {"format": 2, "parts": [TEXT_PART], "newerMastraField": {"x": 1}},
    {"format": 2, "parts": [TEXT_PART], "extra": "a key named like the attribute"},
    {"format": 2, "parts": [TEXT_PART], "unknownNull": None},
    {"format": 2, "parts": [TEXT_PART], "content": "hi", "big": 2**70, "float": 1e300},
]


@pytest.mark.parametrize("shape", CONTENT_SHAPES)
def test_content_fast_paths_equal_the_general_path(shape: dict[str, Any]) -> None:
    expected = _reference_content(shape)
    text = msgspec.json.encode(shape).decode()
    assert MessageContent.from_column(text) == expected
    assert MessageContent.from_column(text.encode()) == expected
    assert MessageContent.from_dict(shape) == expected
    assert MessageContent.from_column(dict(shape)) == expected


def test_unknown_keys_survive_the_round_trip() -> None:
    shape = {"format": 2, "parts": [TEXT_PART], "content": "hi", "newerMastraField": [1]}
    content = MessageContent.from_column(msgspec.json.encode(shape).decode())
    assert content.extra == {"newerMastraField": [1]}
    assert content.to_dict() == shape


@pytest.mark.parametrize(
    "shape",
    [
        {"format": 3, "parts": []},
        {"format": 2, "parts": "not a list"},
        {"format": 2, "parts": ["not an object"]},
        {"format": 2, "parts": [], "metadata": "not an object"},
    ],
)
def test_invalid_content_is_rejected_on_both_paths(shape: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        MessageContent.from_dict(shape)
    with pytest.raises(ValidationError):
        MessageContent.from_column(msgspec.json.encode(shape).decode())


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("plain legacy text", "plain legacy text"),
        ('"a JSON string"', '"a JSON string"'),
        ("[1, 2]", "[1, 2]"),
        ("{not json", "{not json"),
    ],
)
def test_non_object_columns_read_as_one_text_part(raw: str, text: str) -> None:
    assert MessageContent.from_column(raw) == MessageContent.text(text)


def test_message_from_dict_keeps_the_callers_dict_and_the_content_extras() -> None:
    data = {
        "id": "m1",
        "role": "user",
        "createdAt": "2024-05-01T10:00:00.123456+02:00",
        "threadId": "t1",
        "content": {"format": 2, "parts": [TEXT_PART], "x-new": 1},
    }
    before = msgspec.json.encode(data)
    message = Message.from_dict(data)
    assert msgspec.json.encode(data) == before
    assert message.created_at == datetime(2024, 5, 1, 8, 0, 0, 123000, tzinfo=timezone.utc)
    assert message.content.extra == {"x-new": 1}
    assert Message.from_dict(message.to_dict()) == message


def _reference_parse_iso(value: str) -> datetime:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    parsed = parsed.astimezone(timezone.utc)
    return parsed.replace(microsecond=parsed.microsecond - parsed.microsecond % 1000)


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-01T00:00:00.000Z",
        "2024-01-01T00:00:00.123Z",
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00.123456Z",
        "2024-01-01T00:00:00.999999+00:00",
        "2024-01-01T02:30:00.500+02:30",
        "2023-12-31T23:59:59.999-05:00",
        "2024-01-01 00:00:00",
        "1970-01-01 00:00:00",
        " 2024-01-01T00:00:00.001Z ",
        "2024-01-01T00:00:00.001z",
    ],
)
def test_parse_iso_fast_path_equals_the_general_path(value: str) -> None:
    parsed = parse_iso(value)
    assert parsed == _reference_parse_iso(value)
    assert parsed.tzinfo is timezone.utc
    assert parsed.microsecond % 1000 == 0
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", ["", "yesterday", "2024-13-01T00:00:00Z"])
def test_parse_iso_rejects_what_is_not_a_timestamp(value: str) -> None:
    with pytest.raises(ValidationError):
        parse_iso(value)


def test_import_loads_neither_asyncio_nor_the_domain_modules() -> None:
    code = (
        "import sys, mastra_storage;"
        "print(sorted(m for m in ('asyncio', 'ssl', 'concurrent.futures', "
        "'mastra_storage.domains') if m in sys.modules));"
        "from mastra_storage import connect, MastraStorage, Message, Thread, MemoryStore;"
        "import mastra_storage.domains.memory as dm;"
        "print(MemoryStore is dm.MemoryStore, 'IncludeSpec' in dir(mastra_storage));"
        "print(hasattr(mastra_storage, 'NoSuchName'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:3] == ["[]", "True True", "False"]


@pytest.mark.parametrize("shape", CONTENT_SHAPES)
def test_message_from_dict_content_equals_the_general_path(shape: dict[str, Any]) -> None:
    data = {"id": "m1", "role": "assistant", "createdAt": "2024-01-01T00:00:00.000Z"}
    message = Message.from_dict({**data, "content": shape})
    assert message.content == _reference_content(shape)
    assert message.created_at == datetime(2024, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("changes", "error_id"),
    [
        ({"role": "robot"}, "MASTRA_STORAGE_INVALID_RECORD"),
        ({"createdAt": None}, "MASTRA_STORAGE_INVALID_RECORD"),
        ({"content": {"format": 2, "parts": "x"}}, "MASTRA_STORAGE_INVALID_MESSAGE"),
        ({"content": {"format": 3}}, "MASTRA_STORAGE_INVALID_MESSAGE"),
    ],
)
def test_message_from_dict_errors_keep_their_ids(changes: dict[str, Any], error_id: str) -> None:
    data = {
        "id": "m1",
        "role": "user",
        "createdAt": "2024-01-01T00:00:00.000Z",
        "content": {"format": 2, "parts": [TEXT_PART]},
        **changes,
    }
    with pytest.raises(ValidationError) as caught:
        Message.from_dict(data)
    assert caught.value.id == error_id
