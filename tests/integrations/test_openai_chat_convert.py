"""OpenAI Chat Completions messages <-> Mastra V2 messages: lossless both ways."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mastra_storage import Message
from mastra_storage.integrations import openai_chat as conv
from mastra_storage.integrations import tool_parts as tp
from mastra_storage.integrations.openai_responses import compact_json

ROUND_TRIPS = 300

json_leaf = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
text = st.text(max_size=20)
ids = st.sampled_from(["c1", "c2", "c3"]) | st.text("abcdef0123456789", min_size=1, max_size=6)
text_parts = st.lists(
    st.fixed_dictionaries({"type": st.just("text"), "text": text}, optional={"x": json_leaf}),
    max_size=3,
)


@st.composite
def plain(draw: st.DrawFn) -> dict[str, Any]:
    role = draw(st.sampled_from(["user", "system", "developer"]))
    message = {"role": role, "content": draw(text | text_parts)}
    if draw(st.booleans()):
        message["name"] = draw(text)
    return message


@st.composite
def tool_call(draw: st.DrawFn) -> dict[str, Any]:
    arguments = draw(
        json_value.map(compact_json)
        | st.dictionaries(st.text(max_size=4), json_leaf).map(json.dumps)
        | text
    )
    call: dict[str, Any] = {
        "id": draw(ids),
        "type": draw(st.sampled_from(["function", "function", "custom"])),
        "function": {"name": draw(st.sampled_from(["add", "weather"])), "arguments": arguments},
    }
    if draw(st.integers(0, 4)) == 0:
        call["function"]["extra"] = draw(json_leaf)
    return call


@st.composite
def assistant(draw: st.DrawFn) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant"}
    content = draw(st.sampled_from(["absent", "none", "empty", "text", "parts"]))
    if content == "none":
        message["content"] = None
    elif content == "empty":
        message["content"] = ""
    elif content == "text":
        message["content"] = draw(text)
    elif content == "parts":
        message["content"] = draw(text_parts)
    calls = draw(st.sampled_from(["absent", "empty", "some"]))
    if calls == "empty":
        message["tool_calls"] = []
    elif calls == "some":
        message["tool_calls"] = draw(st.lists(tool_call(), min_size=1, max_size=3))
    if draw(st.integers(0, 3)) == 0:
        message["refusal"] = draw(text | st.none())
    return message


@st.composite
def tool_message(draw: st.DrawFn) -> dict[str, Any]:
    message = {"role": "tool", "tool_call_id": draw(ids), "content": draw(text | text_parts)}
    if draw(st.integers(0, 4)) == 0:
        del message["content"]
    return message


other = st.one_of(
    st.just({"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]}),
    st.fixed_dictionaries({"role": st.just("function"), "name": text, "content": text}),
    st.dictionaries(st.text(max_size=5), json_value, max_size=3),
)
chats = st.lists(
    st.one_of(plain(), assistant(), tool_message(), tool_message(), other), max_size=12
)


@settings(max_examples=ROUND_TRIPS, deadline=None)
@given(chats)
def test_chat_round_trips_through_mastra(xs: list[dict[str, Any]]) -> None:
    messages = conv.chat_to_messages(xs, thread_id="t", resource_id="r")
    stored = [Message.from_dict(m.to_dict()) for m in messages]
    assert conv.messages_to_chat(stored) == xs
    for draft in conv.chat_to_drafts(xs):  # each message alone, too
        assert len(conv.parts_to_chat(draft.parts, draft.role)) == draft.item_count


def test_a_tool_round_is_one_mastra_message_with_one_part_per_call() -> None:
    xs: list[dict[str, Any]] = [
        {"role": "user", "content": "2+3?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c", "type": "function", "function": {"name": "add", "arguments": '{"a":2}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "c", "content": "5"},
        {"role": "assistant", "content": "5"},
    ]
    messages = conv.chat_to_messages(xs, thread_id="t", resource_id="r")
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[1].content.parts == [
        {
            "type": "tool-invocation",
            "toolInvocation": {
                "state": "result",
                "toolCallId": "c",
                "toolName": "add",
                "args": {"a": 2},
                "result": "5",
            },
        },
        {"type": "text", "text": "5"},
    ]
    assert conv.messages_to_chat(messages) == xs


mastra_text = text.map(lambda t: {"type": "text", "text": t})


@st.composite
def mastra_tool(draw: st.DrawFn) -> dict[str, Any]:
    args = draw(st.dictionaries(st.text(max_size=4), json_leaf))
    part = tp.call_part(draw(ids), draw(st.sampled_from(["weather", "add"])), args)
    if draw(st.booleans()):
        tp.resolve(part, draw(text))
    return part


def _call_id(part: dict[str, Any]) -> object:
    """Tool call ids are unique within a Mastra message (other parts never clash)."""
    return part["toolInvocation"]["toolCallId"] if tp.is_tool_part(part) else object()


@st.composite
def mastra_messages(draw: st.DrawFn) -> list[Message]:
    out = []
    for index in range(draw(st.integers(0, 5))):
        role = draw(st.sampled_from(["user", "assistant", "system"]))
        if role == "assistant":
            parts = draw(
                st.lists(mastra_text | mastra_tool(), min_size=1, max_size=4, unique_by=_call_id)
            )
        else:
            parts = [draw(mastra_text)]
        out.append(
            Message.from_dict(
                {
                    "id": f"m{index}",
                    "role": role,
                    "createdAt": f"2026-01-01T00:00:0{index}.000Z",
                    "threadId": "t",
                    "resourceId": "r",
                    "content": {"format": 2, "parts": parts},
                }
            )
        )
    return out


@settings(max_examples=ROUND_TRIPS, deadline=None)
@given(mastra_messages())
def test_mastra_messages_round_trip_through_chat(messages: list[Message]) -> None:
    """Mastra -> chat -> Mastra keeps each message's parts (text and tool invocations)."""
    for message in messages:
        chat = conv.parts_to_chat(message.content.parts, message.role)
        again = conv.chat_to_drafts(chat)
        assert [p for d in again for p in d.parts] == message.content.parts
