"""The shared tool-invocation helpers (mastra_storage.integrations.tool_parts)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mastra_storage import Message, MessageContent, ValidationError
from mastra_storage.integrations import tool_parts as tp


def test_call_then_result_is_one_part() -> None:
    part = tp.call_part("c1", "weather", {"city": "Paris"})
    assert part["toolInvocation"]["state"] == "call"
    assert tp.tool_call(part) == tp.ToolCall(
        tool_call_id="c1", tool_name="weather", args={"city": "Paris"}
    )
    pending = tp.PendingCalls()
    pending.add(part)
    found = pending.take("c1")
    assert found is part and pending.take("c1") is None
    tp.resolve(part, None, namespace="ns", extra={"outputId": "o1"})
    call = tp.tool_call(part)
    assert call.has_result and call.result is None
    assert part["toolInvocation"]["state"] == "result"
    assert tp.preserved(part, "ns") == {"outputId": "o1"}


def test_preserve_empty_leaves_no_trace_and_keeps_other_providers() -> None:
    part = {"type": "text", "text": "x", "providerMetadata": {"openai": {"itemId": "m"}}}
    tp.preserve(part, "ns", {"a": 1})
    assert part["providerMetadata"] == {"openai": {"itemId": "m"}, "ns": {"a": 1}}
    tp.preserve(part, "ns", {})
    assert part["providerMetadata"] == {"openai": {"itemId": "m"}}
    bare = {"type": "text", "text": "x"}
    assert tp.preserve(bare, "ns", {}) == {"type": "text", "text": "x"}


def test_opaque_part_round_trips() -> None:
    item = {"type": "web_search_call", "id": "ws", "status": "completed"}
    part = tp.opaque_part("openaiResponses", item)
    assert part["type"] == "data-openaiResponses"
    assert tp.opaque_value(part, "openaiResponses") == (True, item)
    assert tp.opaque_value(part, "langchain") == (False, None)


def test_bad_calls_are_rejected() -> None:
    with pytest.raises(ValidationError):
        tp.call_part("", "t", {})
    with pytest.raises(ValidationError):
        tp.call_part("c", "", {})
    with pytest.raises(ValidationError):
        tp.resolve({"type": "text", "text": "x"}, 1)
    with pytest.raises(ValidationError):
        tp.tool_call({"type": "text", "text": "x"})


def test_find_call_in_stored_messages() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    old = Message(
        id="m1",
        role="assistant",
        created_at=now,
        content=MessageContent(parts=[{"type": "step-start"}, tp.call_part("c9", "t", {})]),
    )
    other = Message(id="m2", role="user", created_at=now, content=MessageContent.text("hi"))
    assert tp.find_call([old, other], "c9") == (old, 1)
    assert tp.find_call([old, other], "nope") is None
