"""Pydantic AI ModelMessages <-> Mastra V2 messages: exact round trips both ways."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import pytest

pytest.importorskip("pydantic_ai")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_ai.messages import (
    BinaryContent,
    FilePart,
    ImageUrl,
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
    NativeToolCallPart,
    NativeToolReturnPart,
    RetryFeedbackPart,
    RetryInfo,
    RetryPromptPart,
    SystemPromptPart,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from mastra_storage.errors import ValidationError
from mastra_storage.integrations.pydantic_ai_messages import (
    DATA_PART_TYPE,
    IDENTITY_KEY,
    from_pydantic_ai,
    to_pydantic_ai,
)
from mastra_storage.records import Message, MessageContent

ROUND_TRIPS = 300

texts = st.text(max_size=20)
names = st.text(alphabet="abcdefghij_", min_size=1, max_size=8)
ids = st.text(alphabet="0123456789abcdef-", min_size=1, max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
stamps = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(timezone.utc)
)
metadata = st.none() | st.dictionaries(names, json_values, max_size=2)


def _dump(messages: list[ModelMessage]) -> Any:
    return ModelMessagesTypeAdapter.dump_python(messages, mode="json")


@st.composite
def request_parts(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["user", "user-list", "user-media", "system", "retry"]))
    stamp = draw(stamps)
    if kind == "user":
        return UserPromptPart(draw(texts), timestamp=stamp)
    if kind == "user-list":
        return UserPromptPart(draw(st.lists(texts, min_size=1, max_size=2)), timestamp=stamp)
    if kind == "user-media":
        media: list[Any] = [
            draw(texts),
            ImageUrl(url=f"https://example.com/{draw(names)}.png"),
            BinaryContent(data=draw(st.binary(max_size=16)), media_type="image/png"),
        ]
        return UserPromptPart(media, timestamp=stamp)
    if kind == "system":
        return SystemPromptPart(draw(texts), timestamp=stamp)
    cause: Literal["validation_error", "no_output", "model_retry"] = draw(
        st.sampled_from(["validation_error", "no_output", "model_retry"])
    )
    return RetryFeedbackPart(draw(texts), retry=RetryInfo(cause=cause), timestamp=stamp)


@st.composite
def response_parts(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["text", "thinking", "call", "call-json", "file", "native"]))
    if kind == "text":
        return TextPart(draw(texts), id=draw(st.none() | ids))
    if kind == "thinking":
        return ThinkingPart(draw(texts), signature=draw(st.none() | texts))
    if kind == "file":
        return FilePart(BinaryContent(data=draw(st.binary(max_size=16)), media_type="image/png"))
    if kind == "native":
        if draw(st.booleans()):
            return NativeToolCallPart("web_search", {"query": draw(texts)}, draw(ids))
        return NativeToolReturnPart("web_search", draw(json_values), draw(ids))
    args: Any = draw(st.dictionaries(names, json_values, max_size=3))
    if kind == "call-json":
        args = draw(st.sampled_from(['{"a": 1}', "not json", '{"b":[1,2]}', "[1]", ""]))
    return ToolCallPart(draw(names), args, draw(ids))


@st.composite
def conversations(draw: st.DrawFn) -> list[ModelMessage]:
    """Turns of requests and responses; a response's tool calls are often answered by the
    next request (returns and tool retries, any order, some unanswered)."""
    out: list[ModelMessage] = []
    for _ in range(draw(st.integers(1, 5))):
        out.append(
            ModelRequest(
                parts=draw(st.lists(request_parts(), max_size=3)),
                timestamp=draw(st.none() | stamps),
                instructions=draw(st.none() | texts),
                run_id=draw(st.none() | ids),
                metadata=draw(metadata),
            )
        )
        for _ in range(draw(st.integers(0, 2))):
            parts = draw(st.lists(response_parts(), max_size=4))
            out.append(
                ModelResponse(
                    parts=parts,
                    timestamp=draw(stamps),
                    model_name=draw(st.none() | names),
                    provider_response_id=draw(st.none() | ids),
                    metadata=draw(metadata),
                )
            )
            calls = [p for p in parts if isinstance(p, ToolCallPart)]
            answered = draw(st.permutations(calls))[: draw(st.integers(0, len(calls)))]
            if answered:
                answers: list[Any] = []
                for call in answered:
                    answers.append(
                        ToolReturnPart(
                            call.tool_name,
                            draw(json_values),
                            call.tool_call_id,
                            timestamp=draw(stamps),
                            outcome=draw(st.sampled_from(["success", "failed", "retried"])),
                        )
                    )
                out.append(ModelRequest(parts=answers, timestamp=draw(stamps)))
    return out


_SETTINGS = settings(
    max_examples=ROUND_TRIPS, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@_SETTINGS
@given(conversations())
def test_pydantic_ai_to_mastra_and_back_is_exact(messages: list[ModelMessage]) -> None:
    converted = from_pydantic_ai(messages)
    back = to_pydantic_ai(converted, keep_identity=False)
    assert _dump(back) == _dump(messages)
    # Mastra orders a thread by createdAt: strictly increasing, whatever the timestamps.
    created = [m.created_at for m in converted]
    assert created == sorted(created) and len(set(created)) == len(created)


@_SETTINGS
@given(conversations())
def test_converted_messages_survive_mastra_json(messages: list[ModelMessage]) -> None:
    """What storage writes (the message JSON) rebuilds the same framework messages."""
    stored = [Message.from_dict(m.to_dict()) for m in from_pydantic_ai(messages)]
    assert _dump(to_pydantic_ai(stored, keep_identity=False)) == _dump(messages)


@_SETTINGS
@given(conversations())
def test_loaded_history_converts_back_to_the_stored_messages(
    messages: list[ModelMessage],
) -> None:
    stored = from_pydantic_ai(messages)
    loaded = to_pydantic_ai(stored)
    expected = [m.to_dict() for m in stored]
    assert [m.to_dict() for m in from_pydantic_ai(loaded, stored=stored)] == expected
    # Without the stored messages too: same ids and createdAt, same content.
    assert [m.to_dict() for m in from_pydantic_ai(loaded)] == expected


# ---- Mastra-written messages ----------------------------------------------------------------


@st.composite
def mastra_parts(draw: st.DrawFn, role: str) -> dict[str, Any]:
    kinds = ["text", "file", "data", "step-start", "source"]
    if role == "assistant":
        kinds += ["reasoning", "call", "result"]
    kind = draw(st.sampled_from(kinds))
    if kind == "text":
        return {"type": "text", "text": draw(texts)}
    if kind == "file":
        return {"type": "file", "mimeType": "image/png", "data": draw(texts)}
    if kind == "data":
        return {"type": "data-progress", "data": draw(json_values)}
    if kind == "step-start":
        return {"type": "step-start"}
    if kind == "source":
        return {"type": "source", "source": {"sourceType": "url", "id": "s", "url": "https://x"}}
    if kind == "reasoning":
        text = draw(texts)
        return {"type": "reasoning", "reasoning": text, "details": [{"type": "text", "text": text}]}
    invocation: dict[str, Any] = {
        "state": "call",
        "toolCallId": draw(ids),
        "toolName": draw(names),
        "args": draw(st.dictionaries(names, json_values, max_size=2)),
    }
    if kind == "result":
        invocation["state"] = "result"
        invocation["result"] = draw(json_values)
    part: dict[str, Any] = {"type": "tool-invocation", "toolInvocation": invocation}
    if draw(st.booleans()):
        part["providerMetadata"] = {"openai": {"itemId": draw(ids)}}
    return part


@st.composite
def mastra_threads(draw: st.DrawFn) -> list[Message]:
    start = draw(stamps).replace(microsecond=0)
    out = []
    for index in range(draw(st.integers(1, 6))):
        role: Literal["user", "assistant", "system"] = draw(
            st.sampled_from(["user", "assistant", "assistant", "system"])
        )
        parts = draw(st.lists(mastra_parts(role), min_size=1, max_size=5))
        content = MessageContent(parts=parts, content=draw(st.none() | texts))
        out.append(
            Message(
                id=f"m{index}-{draw(ids)}",
                role=role,
                created_at=start + timedelta(milliseconds=index * draw(st.integers(1, 5000))),
                thread_id="t1",
                resource_id="r1",
                content=content,
            )
        )
    return out


@_SETTINGS
@given(mastra_threads())
def test_mastra_to_pydantic_ai_and_back_is_exact(messages: list[Message]) -> None:
    back = from_pydantic_ai(to_pydantic_ai(messages), stored=messages)
    assert [m.to_dict() for m in back] == [m.to_dict() for m in messages]
    # Without them, each message keeps its id and createdAt (updated in place when saved).
    again = from_pydantic_ai(to_pydantic_ai(messages))
    firsts = {m.id: m.created_at for m in again}
    assert all(firsts.get(m.id) == m.created_at for m in messages)


def test_a_mastra_tool_result_is_a_call_and_its_return() -> None:
    stamp = datetime(2026, 1, 1, tzinfo=timezone.utc)
    parts: list[dict[str, Any]] = [
        {"type": "step-start"},
        {
            "type": "tool-invocation",
            "toolInvocation": {
                "state": "result",
                "toolCallId": "c1",
                "toolName": "weather",
                "args": {"city": "Oslo"},
                "result": {"temp": 3},
            },
        },
        {"type": "text", "text": "It is 3 degrees."},
    ]
    message = Message(
        id="a1", role="assistant", created_at=stamp, content=MessageContent(parts=parts)
    )
    view = to_pydantic_ai([message], keep_identity=False)
    assert [type(m) for m in view] == [ModelResponse, ModelRequest, ModelResponse]
    call = view[0].parts[0]
    assert isinstance(call, ToolCallPart) and call.args == {"city": "Oslo"}
    answer = view[1].parts[0]
    assert isinstance(answer, ToolReturnPart)
    assert (answer.tool_call_id, answer.content) == ("c1", {"temp": 3})
    assert isinstance(view[2].parts[0], TextPart)


def test_a_tool_call_and_its_return_are_one_mastra_part() -> None:
    call = ToolCallPart("add", {"a": 1}, "c1")
    messages: list[ModelMessage] = [
        ModelRequest(parts=[SystemPromptPart("be brief"), UserPromptPart("1+?")]),
        ModelResponse(parts=[call]),
        ModelRequest(parts=[ToolReturnPart("add", 2, "c1")]),
        ModelResponse(parts=[TextPart("2")]),
    ]
    user, assistant, answer = from_pydantic_ai(messages)
    assert user.role == "user" and [p["type"] for p in user.content.parts] == [
        DATA_PART_TYPE,
        "text",
    ]
    (part,) = assistant.content.parts
    assert part["toolInvocation"] == {
        "state": "result",
        "toolCallId": "c1",
        "toolName": "add",
        "args": {"a": 1},
        "result": 2,
    }
    assert answer.role == "assistant" and answer.text == "2"


def test_a_tool_retry_is_the_failed_call_result() -> None:
    retry = ToolReturnPart("add", "a must be an int", "c1", outcome="retried")
    messages: list[ModelMessage] = [
        ModelResponse(parts=[ToolCallPart("add", {"a": "x"}, "c1")]),
        ModelRequest(parts=[retry]),
    ]
    (assistant,) = from_pydantic_ai(messages)
    invocation = assistant.content.parts[0]["toolInvocation"]
    assert invocation["state"] == "result" and invocation["result"] == "a must be an int"
    assert _dump(to_pydantic_ai([assistant], keep_identity=False)) == _dump(messages)


@pytest.mark.filterwarnings("ignore:`RetryPromptPart` is deprecated")
def test_a_legacy_retry_prompt_reads_back_as_pydantic_ai_reads_its_own_json() -> None:
    """Pydantic AI itself upgrades a stored ``RetryPromptPart`` when it loads JSON."""
    messages: list[ModelMessage] = [
        ModelResponse(parts=[ToolCallPart("add", {"a": "x"}, "c1")]),
        ModelRequest(parts=[RetryPromptPart("bad", tool_name="add", tool_call_id="c1")]),
        ModelRequest(parts=[RetryPromptPart("no output")]),
    ]
    own = ModelMessagesTypeAdapter.validate_python(_dump(messages))
    back = to_pydantic_ai(from_pydantic_ai(messages), keep_identity=False)
    assert _dump(back) == _dump(own)


def test_an_edited_loaded_message_replaces_its_stored_message() -> None:
    stored = from_pydantic_ai([ModelRequest(parts=[UserPromptPart("hello")])])
    (loaded,) = to_pydantic_ai(stored)
    assert loaded.metadata is not None and IDENTITY_KEY in loaded.metadata
    assert isinstance(loaded, ModelRequest)
    edited = dataclasses.replace(loaded, parts=[UserPromptPart("changed")])
    (again,) = from_pydantic_ai([edited], stored=stored)
    assert (again.id, again.created_at) == (stored[0].id, stored[0].created_at)
    assert again.text == "changed"
    # The identity key does not leak into what is stored.
    envelope = again.content.provider_metadata["pydanticAi"]["messages"][0]  # type: ignore[index]
    assert envelope["metadata"] is None


def test_not_a_model_message_is_rejected() -> None:
    with pytest.raises(ValidationError):
        from_pydantic_ai([{"kind": "request", "parts": []}])  # type: ignore[list-item]


def test_a_message_whose_metadata_was_damaged_loads_as_its_mastra_parts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    (stored,) = from_pydantic_ai([ModelRequest(parts=[UserPromptPart("hello")])])
    added = {"type": "text", "text": "added by another tool"}  # no slot of ours
    broken = stored.replace(content=stored.content.replace(parts=[*stored.content.parts, added]))
    with caplog.at_level("WARNING", logger="mastra_storage"):
        (loaded,) = to_pydantic_ai([broken], keep_identity=False)
    assert isinstance(loaded, ModelRequest)
    assert [p.content for p in loaded.parts] == ["hello", "added by another tool"]  # type: ignore[union-attr]
    assert stored.id in caplog.text and "hello" not in caplog.text
