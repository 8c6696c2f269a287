"""save_turn does not persist working-memory plumbing or incomplete tool calls (Mastra's
MessageHistory filter), on every storage backend."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_storage import MastraStorage, Message, MessageContent
from mastra_storage.memory import Memory
from mastra_storage.memory.sanitize import clean_message, strip_working_memory_tags
from mastra_storage.timeutil import utc_now

pytestmark = pytest.mark.anyio


def tool(name: str, state: str) -> dict[str, Any]:
    return {
        "type": "tool-invocation",
        "toolInvocation": {"toolName": name, "state": state, "toolCallId": f"{name}-{state}"},
    }


def assistant(parts: list[dict[str, Any]], msg_id: str, text: str | None = None) -> Message:
    return Message(
        id=msg_id,
        role="assistant",
        created_at=utc_now(),
        content=MessageContent(parts=parts, content=text),
    )


def test_strip_tags() -> None:
    assert strip_working_memory_tags("a<working_memory>x</working_memory>b") == "ab"
    assert (
        strip_working_memory_tags(
            "<working_memory>1</working_memory>-<working_memory>2</working_memory>"
        )
        == "-"
    )
    assert (
        strip_working_memory_tags("keep <working_memory>unclosed")
        == "keep <working_memory>unclosed"
    )
    assert strip_working_memory_tags("plain") == "plain"


def test_untouched_messages_are_returned_as_is() -> None:
    message = Memory.message("user", "hello")
    assert clean_message(message) is message


async def test_save_turn_filters_what_mastra_filters(storage: MastraStorage) -> None:
    memory = Memory(storage)
    messages = [
        Memory.message("user", "My name is Ada", id="u1"),
        assistant(
            [
                {
                    "type": "text",
                    "text": "Nice to meet you!<working_memory># Name: Ada</working_memory>",
                },
                tool("updateWorkingMemory", "result"),
                tool("search", "partial-call"),
                tool("search", "result"),
            ],
            "a1",
        ),
        assistant([tool("updateWorkingMemory", "call")], "a2"),  # nothing left: not saved
        assistant(
            [{"type": "text", "text": "<working_memory>only this</working_memory>"}],
            "a3",
            text="<working_memory>only this</working_memory>",
        ),
    ]
    result = await memory.save_turn("t1", "r1", messages)
    assert [m.id for m in result.saved] == ["u1", "a1"]
    stored = (await memory.recall("t1", "r1")).history
    assert [m.id for m in stored] == ["u1", "a1"]
    a1 = stored[1]
    assert a1.content.parts == [
        {"type": "text", "text": "Nice to meet you!"},
        tool("search", "result"),
    ]
