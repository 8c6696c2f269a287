"""A Mastra app (@mastra/memory over @mastra/libsql, run by node) reads a LangChain
conversation saved through MastraChatMessageHistory, tool calls included, and LangChain
continues a conversation a Mastra app wrote. Uses the shared memory harness."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("apsw", reason="the libsql extra is not installed")

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from mastra_storage import connect
from mastra_storage.integrations.langchain import MastraChatMessageHistory
from tests.support.compat import Harness, harness_runner

from .test_langchain_history import TOOL_RESULT, TURN_1, TURN_2, scripted_chain

HARNESS = Path(__file__).resolve().parents[1] / "compat" / "mastra_memory_pydantic_harness.mjs"
PACKAGES = ("@mastra/memory@1.31.0", "@mastra/libsql@1.23.1", "@mastra/core@1.71.0")

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings("ignore:RunnableWithMessageHistory is deprecated"),
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def mastra() -> Harness:
    return harness_runner(HARNESS, PACKAGES)


async def test_mastra_reads_a_langchain_conversation_with_its_tool_call(
    tmp_path: Path, mastra: Harness
) -> None:
    file = tmp_path / "chat.db"
    seen_inputs: list[Any] = []
    async with connect(f"file:{file}") as storage:
        chain = scripted_chain(
            seen_inputs, lambda sid: MastraChatMessageHistory(storage, sid, "user-1")
        )
        config: Any = {"configurable": {"session_id": "lc-thread"}}
        for turn in (TURN_1, TOOL_RESULT, TURN_2):
            await chain.ainvoke({"input": turn}, config)
        memory = await storage.require_store("memory")
        ours = [m.to_dict() for m in (await memory.list_messages(thread_id="lc-thread")).items]

    seen = mastra("read", str(file), "lc-thread", "user-1")
    assert [m["id"] for m in seen["messages"]] == [m["id"] for m in ours]
    for theirs, mine in zip(seen["messages"], ours, strict=True):
        assert theirs["content"] == mine["content"]
        assert (theirs["role"], theirs["createdAt"]) == (mine["role"], mine["createdAt"])

    # As a Mastra UI shows it: the tool call with its output, then the answers.
    tools = [
        (p["toolCallId"], p["state"], p.get("input"), p.get("output"))
        for m in seen["ui"]
        for p in m["parts"]
        if p["type"] == "tool-weather"
    ]
    assert tools == [("call-1", "output-available", {"city": "Paris"}, "sunny, 24C")]
    texts = [p["text"] for m in seen["ui"] for p in m["parts"] if p["type"] == "text"]
    assert texts == ["Weather in Paris?", "It is sunny in Paris.", "And tomorrow?", "Tomorrow too."]

    # As a Mastra agent would prompt its model: the call, then its result.
    model = seen["model"]
    calls = [
        c["toolCallId"]
        for m in model
        if m["role"] == "assistant"
        for c in m["content"]
        if isinstance(c, dict) and c.get("type") == "tool-call"
    ]
    results = [c["toolCallId"] for m in model if m["role"] == "tool" for c in m["content"]]
    assert calls == results == ["call-1"]


async def test_langchain_continues_a_mastra_conversation(tmp_path: Path, mastra: Harness) -> None:
    file = tmp_path / "chat.db"
    mastra("write", str(file), "m-thread", "user-1")
    async with connect(f"file:{file}") as storage:
        history = MastraChatMessageHistory(storage, "m-thread", "user-1")
        loaded = await history.aget_messages()
        # Mastra's one assistant message (call, result, answer) reads as LangChain's steps.
        assert [type(m) for m in loaded] == [HumanMessage, AIMessage, ToolMessage, AIMessage]
        call, tool, answer = loaded[1], loaded[2], loaded[3]
        assert isinstance(call, AIMessage) and isinstance(tool, ToolMessage)
        assert call.tool_calls[0]["id"] == "mastra-call-1" and call.content == ""
        assert call.tool_calls[0]["args"] == {"city": "Oslo"}
        assert (tool.tool_call_id, tool.content) == ("mastra-call-1", "3 degrees")
        assert answer.content == "It is 3 degrees in Oslo." and not answer.tool_calls  # type: ignore[attr-defined]
        await history.aadd_messages([HumanMessage("And Bergen?"), AIMessage("Rain.")])

    seen = mastra("read", str(file), "m-thread", "user-1")
    assert [m["id"] for m in seen["messages"]][:2] == ["mastra-user-1", "mastra-assistant-1"]
    texts = [p["text"] for m in seen["ui"] for p in m["parts"] if p["type"] == "text"]
    assert texts[-2:] == ["And Bergen?", "Rain."]
    # The Mastra-written assistant message is unchanged by being read through LangChain.
    first_assistant = seen["messages"][1]["content"]["parts"]
    assert [p["type"] for p in first_assistant] == [
        "step-start",
        "tool-invocation",
        "step-start",
        "text",
    ]
