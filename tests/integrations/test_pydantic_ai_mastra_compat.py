"""A Mastra app (@mastra/memory over @mastra/libsql, run by node) reads what a Pydantic AI
agent saved through PydanticAIHistory, tool calls included, and the other way round."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pydantic_ai")
pytest.importorskip("apsw", reason="the libsql extra is not installed")

from pydantic_ai.messages import (
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from mastra_storage import connect
from mastra_storage.integrations.pydantic_ai import PydanticAIHistory
from tests.support.compat import Harness, harness_runner

from .test_pydantic_ai_history import ScriptedWeather, _agent

HARNESS = Path(__file__).resolve().parents[1] / "compat" / "mastra_memory_pydantic_harness.mjs"
PACKAGES = ("@mastra/memory@1.31.0", "@mastra/libsql@1.23.1", "@mastra/core@1.71.0")

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def mastra() -> Harness:
    return harness_runner(HARNESS, PACKAGES)


async def _two_turns(url: str) -> list[dict[str, Any]]:
    agent = _agent(ScriptedWeather())
    async with connect(url) as storage:
        for question in ("Weather in Oslo?", "And tomorrow?"):
            history = PydanticAIHistory(storage, "py-thread", "user-1")
            await history.save(await agent.run(question, message_history=await history.load()))
        stored = await PydanticAIHistory(storage, "py-thread", "user-1").messages()
    return [m.to_dict() for m in stored]


async def test_mastra_reads_a_pydantic_ai_conversation_with_its_tool_calls(
    tmp_path: Path, mastra: Harness
) -> None:
    file = tmp_path / "chat.db"
    ours = await _two_turns(f"file:{file}")
    seen = mastra("read", str(file), "py-thread", "user-1")

    # Mastra's Memory.recall gives back the very messages we stored.
    assert [m["id"] for m in seen["messages"]] == [m["id"] for m in ours]
    for theirs, mine in zip(seen["messages"], ours, strict=True):
        assert theirs["content"] == mine["content"]
        assert (theirs["role"], theirs["createdAt"]) == (mine["role"], mine["createdAt"])

    # As a Mastra UI shows them: each tool call with its output, then the answer.
    tools = [
        (p["toolCallId"], p["state"], p.get("output"))
        for m in seen["ui"]
        for p in m["parts"]
        if p["type"] == "tool-weather"
    ]
    assert (
        tools
        == [
            ("call-bad", "output-available", "city must not be empty"),
            ("call-ok", "output-available", "3 degrees"),
        ]
        * 2
    )
    texts = [p["text"] for m in seen["ui"] for p in m["parts"] if p["type"] == "text"]
    answer = "It is 3 degrees in Oslo."
    assert texts == ["Weather in Oslo?", answer, "And tomorrow?", answer]

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
    assert calls == results == ["call-bad", "call-ok"] * 2


async def test_a_pydantic_ai_agent_continues_a_mastra_conversation(
    tmp_path: Path, mastra: Harness
) -> None:
    file = tmp_path / "chat.db"
    mastra("write", str(file), "m-thread", "user-1")
    model = ScriptedWeather()
    async with connect(f"file:{file}") as storage:
        history = PydanticAIHistory(storage, "m-thread", "user-1")
        loaded = await history.load()
        assert [type(m) for m in loaded] == [
            ModelRequest,
            ModelResponse,
            ModelRequest,
            ModelResponse,
        ]
        assert isinstance(loaded[0].parts[0], UserPromptPart)
        call, answer = loaded[1].parts[0], loaded[2].parts[0]
        assert isinstance(call, ToolCallPart) and isinstance(answer, ToolReturnPart)
        assert (call.tool_call_id, call.args, answer.content) == (
            "mastra-call-1",
            {"city": "Oslo"},
            "3 degrees",
        )
        assert isinstance(loaded[3].parts[0], TextPart)
        result = await _agent(model).run("And tomorrow?", message_history=loaded)
        await history.save(result)
    # The model saw the Mastra turn; Mastra sees its own messages unchanged, then ours.
    assert any(
        isinstance(p, ToolReturnPart) and p.tool_call_id == "mastra-call-1"
        for m in model.inputs[0]
        for p in m.parts
    )
    seen = mastra("read", str(file), "m-thread", "user-1")
    ids = [m["id"] for m in seen["messages"]]
    assert ids[:2] == ["mastra-user-1", "mastra-assistant-1"] and len(ids) == 6
    assert seen["messages"][1]["content"]["parts"][0] == {"type": "step-start"}
