"""A Mastra app (@mastra/memory over @mastra/libsql, run by node) reads a conversation an
OpenAI Agents SDK agent saved through MastraSession, tool calls included; and an agent
continues a Mastra-written conversation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("agents")
pytest.importorskip("apsw", reason="the libsql extra is not installed")

from mastra_storage import connect
from mastra_storage.integrations.openai_agents import MastraSession
from tests.support.compat import Harness, harness_runner

from .test_openai_agents_session import two_turns

HARNESS = Path(__file__).resolve().parents[1] / "compat" / "mastra_memory_pydantic_harness.mjs"
PACKAGES = ("@mastra/memory@1.31.0", "@mastra/libsql@1.23.1", "@mastra/core@1.71.0")

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def mastra() -> Harness:
    return harness_runner(HARNESS, PACKAGES)


async def test_mastra_reads_an_openai_agents_conversation_with_its_tool_calls(
    tmp_path: Path, mastra: Harness
) -> None:
    file = tmp_path / "chat.db"
    async with connect(f"file:{file}") as storage:
        await two_turns(MastraSession("oa-thread", storage, resource_id="user-1"))
        memory = await storage.require_store("memory")
        ours = [m.to_dict() for m in (await memory.list_messages(thread_id="oa-thread")).items]
    seen = mastra("read", str(file), "oa-thread", "user-1")

    # Mastra's Memory.recall gives back the very messages the session stored.
    assert [m["id"] for m in seen["messages"]] == [m["id"] for m in ours]
    for theirs, mine in zip(seen["messages"], ours, strict=True):
        assert (theirs["role"], theirs["content"]) == (mine["role"], mine["content"])

    # As a Mastra UI shows them: each tool call with its output, and the texts.
    tools = [
        (p["toolCallId"], p["state"], p.get("input"), p.get("output"))
        for m in seen["ui"]
        for p in m["parts"]
        if p["type"] == "tool-get_weather"
    ]
    assert tools == [
        ("call_1", "output-available", {"city": "Paris"}, "sunny in Paris"),
        ("call_2", "output-available", {"city": "Rome"}, "sunny in Rome"),
    ]
    texts = [p["text"] for m in seen["ui"] for p in m["parts"] if p["type"] == "text"]
    assert texts == [
        "Weather in Paris?",
        "It is sunny in Paris.",
        "And in Rome?",
        "Rome is sunny too.",
    ]

    # As a Mastra agent would prompt its model: each call followed by its result.
    model = seen["model"]
    calls = [
        c["toolCallId"]
        for m in model
        if m["role"] == "assistant"
        for c in m["content"]
        if isinstance(c, dict) and c.get("type") == "tool-call"
    ]
    results = [c["toolCallId"] for m in model if m["role"] == "tool" for c in m["content"]]
    assert calls == results == ["call_1", "call_2"]


async def test_a_session_continues_a_mastra_conversation(tmp_path: Path, mastra: Harness) -> None:
    file = tmp_path / "chat.db"
    mastra("write", str(file), "m-thread", "user-1")
    async with connect(f"file:{file}") as storage:
        session = MastraSession("m-thread", storage)  # the resource is the thread's
        items: list[Any] = await session.get_items()
        assert items == [
            {"role": "user", "content": "Weather in Oslo?"},
            {
                "type": "function_call",
                "call_id": "mastra-call-1",
                "name": "weather",
                "arguments": '{"city":"Oslo"}',
            },
            {"type": "function_call_output", "call_id": "mastra-call-1", "output": "3 degrees"},
            {"role": "assistant", "content": "It is 3 degrees in Oslo."},
        ]
        await session.add_items([{"role": "user", "content": "And tomorrow?"}])
        assert session.resource_id == "user-1"
    seen = mastra("read", str(file), "m-thread", "user-1")
    assert [m["id"] for m in seen["messages"]][:2] == ["mastra-user-1", "mastra-assistant-1"]
    assert seen["messages"][1]["content"]["parts"][0] == {"type": "step-start"}
    assert seen["messages"][-1]["content"]["parts"] == [{"type": "text", "text": "And tomorrow?"}]
