"""OpenAI Responses / Agents SDK items <-> Mastra V2 messages: lossless both ways."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mastra_storage import Message
from mastra_storage.integrations import openai_responses as conv
from mastra_storage.integrations import tool_parts as tp

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
extra_fields = st.dictionaries(st.sampled_from(["id", "status", "x_extra"]), json_value, max_size=2)


@st.composite
def message_item(draw: st.DrawFn) -> dict[str, Any]:
    role = draw(st.sampled_from(["user", "assistant", "system", "developer"]))
    if draw(st.booleans()):
        content: Any = draw(text)
    else:
        kind = "output_text" if role == "assistant" else "input_text"
        content = draw(
            st.lists(
                st.fixed_dictionaries(
                    {"type": st.just(kind), "text": text},
                    optional={"annotations": st.just([]), "logprobs": json_value},
                ),
                max_size=3,
            )
        )
    item = {"role": role, "content": content, **draw(extra_fields)}
    if draw(st.booleans()):
        item["type"] = "message"
    return item


@st.composite
def function_call(draw: st.DrawFn) -> dict[str, Any]:
    arguments = draw(
        st.one_of(
            json_value.map(conv.compact_json),
            st.dictionaries(st.text(max_size=4), json_leaf).map(json.dumps),  # spaced JSON
            text,
        )
    )
    return {
        "type": "function_call",
        "call_id": draw(ids),
        "name": draw(st.sampled_from(["weather", "search", "add"])),
        "arguments": arguments,
        **draw(extra_fields),
    }


@st.composite
def function_output(draw: st.DrawFn) -> dict[str, Any]:
    output = draw(
        st.one_of(
            text,
            st.lists(
                st.fixed_dictionaries({"type": st.just("input_text"), "text": text}), max_size=2
            ),
        )
    )
    return {
        "type": "function_call_output",
        "call_id": draw(ids),
        "output": output,
        **draw(extra_fields),
    }


reasoning = st.fixed_dictionaries(
    {
        "type": st.just("reasoning"),
        "id": ids,
        "summary": st.one_of(
            st.lists(
                st.fixed_dictionaries({"type": st.just("summary_text"), "text": text}), max_size=2
            ),
            st.lists(json_value, max_size=2),
        ),
    },
    optional={"encrypted_content": text, "status": st.just("completed")},
)
other_items = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("web_search_call"), "id": ids, "status": st.just("completed")}
    ),
    st.fixed_dictionaries({"type": st.just("item_reference"), "id": ids}),
    st.fixed_dictionaries(
        {
            "role": st.just("user"),
            "content": st.just([{"type": "input_image", "image_url": "data:,"}]),
        }
    ),
    st.dictionaries(st.text(max_size=5), json_value, max_size=3),
)
items = st.lists(
    st.one_of(message_item(), function_call(), function_output(), reasoning, other_items),
    max_size=12,
)


@settings(max_examples=ROUND_TRIPS, deadline=None)
@given(items)
def test_items_round_trip_through_mastra(xs: list[dict[str, Any]]) -> None:
    messages = conv.items_to_messages(xs, thread_id="t", resource_id="r")
    stored = [Message.from_dict(m.to_dict()) for m in messages]  # as a store reads them back
    assert conv.messages_to_items(stored) == xs


@settings(max_examples=ROUND_TRIPS, deadline=None)
@given(items)
def test_items_round_trip_per_message(xs: list[dict[str, Any]]) -> None:
    """Each message converts back alone (what pop_item and a limited read rely on)."""
    drafts = conv.items_to_drafts(xs)
    assert sum(d.item_count for d in drafts) == len(xs)
    out: list[dict[str, Any]] = []
    for draft in drafts:
        back = conv.parts_to_items(draft.parts, draft.role)
        assert len(back) == draft.item_count
        out.extend(back)
    assert out == xs


@settings(max_examples=ROUND_TRIPS, deadline=None)
@given(items)
def test_owned_parts_convert_like_messages(xs: list[dict[str, Any]]) -> None:
    """The recall path (parts freshly decoded, taken over) gives what the records path
    gives, and shares no object between items."""
    messages = conv.items_to_messages(xs, thread_id="t", resource_id="r")
    rows = [(m.id, m.role, json.loads(json.dumps(m.content.parts))) for m in messages]
    got = conv.owned_parts_to_items(rows)
    assert got == conv.messages_to_items(messages) == xs
    seen: set[int] = set()

    def containers(value: Any) -> None:
        if isinstance(value, (dict, list)):
            assert id(value) not in seen
            seen.add(id(value))
            for child in value.values() if isinstance(value, dict) else value:
                containers(child)

    containers(got)


# Mastra-written messages: text, tool invocations (string results), as a Mastra app writes.
mastra_text = text.map(lambda t: {"type": "text", "text": t})


@st.composite
def mastra_tool(draw: st.DrawFn) -> dict[str, Any]:
    part = tp.call_part(
        draw(ids),
        draw(st.sampled_from(["weather", "add"])),
        draw(st.dictionaries(st.text(max_size=4), json_leaf)),
    )
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
def test_mastra_messages_round_trip_through_items(messages: list[Message]) -> None:
    """Mastra -> items -> Mastra keeps every part, for the parts items can express."""
    items_back = conv.messages_to_items(messages)
    again = conv.items_to_drafts(items_back)
    flat_parts = [p for m in messages for p in m.content.parts]
    assert [p for d in again for p in d.parts] == flat_parts


def test_output_after_a_later_message_keeps_its_place() -> None:
    """An output that follows a user message stays after it (not pulled into its call)."""
    xs = [
        {"type": "function_call", "call_id": "c1", "name": "add", "arguments": "{}"},
        {"role": "user", "content": "still there?"},
        {"type": "function_call_output", "call_id": "c1", "output": "3"},
    ]
    messages = conv.items_to_messages(xs, thread_id="t", resource_id="r")
    assert conv.messages_to_items(messages) == xs
