"""LangChain messages <-> Mastra V2 messages: exact round trips both ways (hypothesis),
and the Mastra shape of tool use (one ``tool-invocation`` part per call and result)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

pytest.importorskip("langchain_core")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from mastra_storage.errors import ValidationError
from mastra_storage.integrations.langchain_convert import from_mastra, to_mastra
from mastra_storage.records import Message, MessageContent, Role

ROUND_TRIPS = 300
THREAD, RESOURCE = "t1", "r1"

# ---- strategies ----------------------------------------------------------------------------

words = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
ids = st.text("abcdef0123456789-", min_size=1, max_size=10)
json_scalars = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | words
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(words, inner, max_size=3),
    max_leaves=6,
)
json_objects = st.dictionaries(words.filter(lambda k: k != "mastra"), json_values, max_size=3)
blocks = st.one_of(
    st.builds(lambda t: {"type": "text", "text": t}, words),
    st.builds(lambda u: {"type": "image", "url": u}, words),
    words,  # a bare string block
)
contents = words | st.lists(blocks, max_size=3)


@st.composite
def conversations(draw: st.DrawFn) -> list[BaseMessage]:
    out: list[BaseMessage] = []
    used: set[str] = set()
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["human", "system", "ai", "ai_tools", "chat"]))
        common: dict[str, Any] = {
            "id": draw(st.none() | ids.filter(lambda i: i not in used)),
            "name": draw(st.none() | words),
            "additional_kwargs": draw(json_objects),
            "response_metadata": draw(json_objects),
        }
        if common["id"]:
            used.add(common["id"])
        if kind == "human":
            out.append(HumanMessage(content=draw(contents), **common))
        elif kind == "system":
            out.append(SystemMessage(content=draw(contents), **common))
        elif kind == "chat":
            out.append(ChatMessage(content=draw(words), role="critic", **common))
        elif kind == "ai":
            out.append(AIMessage(content=draw(contents), **common))
        else:
            calls = []
            for _ in range(draw(st.integers(1, 3))):
                call_id = draw(ids.filter(lambda i: i not in used))
                used.add(call_id)
                calls.append({"name": draw(ids), "args": draw(json_objects), "id": call_id})
            usage = draw(
                st.none()
                | st.builds(
                    lambda a, b: {"input_tokens": a, "output_tokens": b, "total_tokens": a + b},
                    st.integers(0, 999),
                    st.integers(0, 999),
                )
            )
            out.append(
                AIMessage(content=draw(contents), tool_calls=calls, usage_metadata=usage, **common)
            )
            answered = draw(st.permutations(calls))[: draw(st.integers(0, len(calls)))]
            for call in answered:
                out.append(
                    ToolMessage(
                        content=draw(words | st.lists(blocks, max_size=2)),
                        tool_call_id=call["id"],
                        status=draw(st.sampled_from(["success", "error"])),
                        artifact=draw(st.none() | json_values),
                        name=draw(st.none() | words),
                        id=draw(st.none() | ids),
                    )
                )
    return out


base_time = datetime(2026, 12, 6, tzinfo=timezone.utc)
times = st.integers(0, 10**9).map(lambda ms: base_time + timedelta(milliseconds=ms))


@st.composite
def tool_parts(draw: st.DrawFn) -> dict[str, Any]:
    invocation: dict[str, Any] = {
        "state": "call",
        "toolCallId": draw(ids),
        "toolName": draw(ids),
        "args": draw(json_objects),
    }
    if draw(st.booleans()):
        invocation["state"] = "result"
        invocation["result"] = draw(json_values)
    return {"type": "tool-invocation", "toolInvocation": invocation}


other_parts = st.one_of(
    st.builds(lambda t: {"type": "text", "text": t}, words),
    st.builds(lambda t: {"type": "reasoning", "reasoning": t, "details": []}, words),
    st.just({"type": "step-start"}),
    st.builds(lambda u: {"type": "file", "mimeType": "image/png", "data": u}, words),
    st.builds(lambda v: {"type": "data-progress", "data": v}, json_values),
    st.builds(
        lambda t, m: {"type": "text", "text": t, "providerMetadata": {"openai": m}},
        words,
        json_objects,
    ),
)


@st.composite
def mastra_messages(draw: st.DrawFn) -> list[Message]:
    out: list[Message] = []
    call_ids: set[str] = set()
    for i in range(draw(st.integers(0, 5))):
        role: Role = draw(st.sampled_from(["user", "assistant", "system"]))
        parts = draw(st.lists(other_parts, max_size=4))
        if role == "assistant":
            for part in draw(st.lists(tool_parts(), max_size=3)):
                if part["toolInvocation"]["toolCallId"] in call_ids:
                    continue
                call_ids.add(part["toolInvocation"]["toolCallId"])
                parts.insert(draw(st.integers(0, len(parts))), part)
        metadata = draw(st.none() | json_objects.filter(lambda d: "langchain" not in d))
        content = MessageContent(
            parts=parts,
            content=draw(st.none() | words),
            metadata=metadata,
            reasoning=draw(st.none() | words),
        )
        out.append(
            Message(
                id=f"m{i}",
                role=role,
                created_at=draw(times),
                thread_id=draw(st.sampled_from([THREAD, "other-thread"])),
                resource_id=RESOURCE,
                type=draw(st.none() | st.just("v2")),
                content=content,
            )
        )
    return out


# ---- round trips ---------------------------------------------------------------------------


@settings(max_examples=ROUND_TRIPS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations())
def test_langchain_to_mastra_and_back_is_exact(messages: list[BaseMessage]) -> None:
    stored = to_mastra(messages, thread_id=THREAD, resource_id=RESOURCE)
    # Through JSON, as storage keeps them.
    stored = [Message.from_dict(m.to_dict()) for m in stored]
    assert from_mastra(stored, thread_id=THREAD, resource_id=RESOURCE) == messages


@settings(max_examples=ROUND_TRIPS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mastra_messages())
def test_mastra_to_langchain_and_back_is_exact(messages: list[Message]) -> None:
    converted = from_mastra(messages, thread_id=THREAD, resource_id=RESOURCE)
    assert to_mastra(converted, thread_id=THREAD, resource_id=RESOURCE) == messages


# ---- the Mastra shape ------------------------------------------------------------------------


def test_a_tool_call_and_its_result_are_one_tool_invocation_part() -> None:
    messages = [
        HumanMessage("weather in Paris?"),
        AIMessage("", tool_calls=[{"name": "weather", "args": {"city": "Paris"}, "id": "c1"}]),
        ToolMessage("sunny", tool_call_id="c1"),
        AIMessage("It is sunny."),
    ]
    user, assistant, answer = to_mastra(messages, thread_id=THREAD, resource_id=RESOURCE)
    assert user.role == "user" and answer.role == "assistant"
    assert assistant.content.parts == [
        {
            "type": "tool-invocation",
            "toolInvocation": {
                "state": "result",
                "toolCallId": "c1",
                "toolName": "weather",
                "args": {"city": "Paris"},
                "result": "sunny",
            },
        }
    ]
    assert user.created_at < assistant.created_at < answer.created_at


def test_a_result_resolves_a_stored_call_and_returns_that_message_updated() -> None:
    first = to_mastra(
        [AIMessage("", tool_calls=[{"name": "f", "args": {}, "id": "c9"}])],
        thread_id=THREAD,
        resource_id=RESOURCE,
    )
    later = to_mastra(
        [ToolMessage("42", tool_call_id="c9")],
        thread_id=THREAD,
        resource_id=RESOURCE,
        stored=first,
    )
    assert [m.id for m in later] == [first[0].id]
    assert later[0].content.parts[0]["toolInvocation"]["state"] == "result"
    assert first[0].content.parts[0]["toolInvocation"]["state"] == "call"  # input untouched


def test_a_result_without_any_call_is_kept_and_reads_back() -> None:
    orphan = ToolMessage("x", tool_call_id="nowhere", name="lookup")
    stored = to_mastra([orphan], thread_id=THREAD, resource_id=RESOURCE)
    assert stored[0].content.parts[0]["toolInvocation"]["state"] == "result"
    assert from_mastra(stored, thread_id=THREAD, resource_id=RESOURCE) == [orphan]


def test_a_value_storage_cannot_keep_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        to_mastra(
            [HumanMessage("hi", additional_kwargs={"when": object()})],
            thread_id=THREAD,
            resource_id=RESOURCE,
        )


def test_a_mastra_multi_step_message_reads_as_langchain_steps_and_joins_back() -> None:
    mastra = Message(
        id="a1",
        role="assistant",
        created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        thread_id=THREAD,
        resource_id=RESOURCE,
        content=MessageContent(
            parts=[
                {"type": "step-start"},
                {
                    "type": "tool-invocation",
                    "toolInvocation": {
                        "state": "result",
                        "toolCallId": "c1",
                        "toolName": "weather",
                        "args": {"city": "Oslo"},
                        "result": "3 degrees",
                    },
                },
                {"type": "step-start"},
                {"type": "text", "text": "It is 3 degrees."},
            ]
        ),
    )
    call, result, answer = from_mastra([mastra], thread_id=THREAD, resource_id=RESOURCE)
    assert isinstance(call, AIMessage) and call.tool_calls[0]["id"] == "c1"
    assert isinstance(result, ToolMessage) and result.content == "3 degrees"
    assert isinstance(answer, AIMessage) and answer.content == "It is 3 degrees."
    assert to_mastra([call, result, answer], thread_id=THREAD, resource_id=RESOURCE) == [mastra]
