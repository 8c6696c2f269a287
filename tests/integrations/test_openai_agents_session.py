"""MastraSession under the real OpenAI Agents SDK Runner, with a scripted model."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mastra_storage import MastraStorage, ValidationError, connect
from mastra_storage.integrations import tool_parts as tp
from mastra_storage.integrations.openai_agents import MastraSession

agents = pytest.importorskip("agents")
from agents import Agent, Runner, function_tool  # noqa: E402
from agents.items import ModelResponse  # noqa: E402
from agents.models.interface import Model  # noqa: E402
from agents.usage import Usage  # noqa: E402
from openai.types.responses import (  # noqa: E402
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
)

pytestmark = pytest.mark.anyio
agents.set_tracing_disabled(True)  # no network, not even trace export


class ScriptedModel(Model):
    """Replies from a script (no network) and records every input it is given."""

    def __init__(self, script: list[list[Any]]) -> None:
        self.script = list(script)
        self.inputs: list[list[dict[str, Any]]] = []

    async def get_response(
        self, system_instructions: Any, input: Any, *args: Any, **kw: Any
    ) -> ModelResponse:
        self.inputs.append(
            copy.deepcopy(
                input if isinstance(input, list) else [{"role": "user", "content": input}]
            )
        )
        return ModelResponse(output=self.script.pop(0), usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kw: Any) -> Any:
        raise NotImplementedError


def say(text: str, n: int) -> ResponseOutputMessage:
    return ResponseOutputMessage(
        id=f"msg_{n}",
        type="message",
        role="assistant",
        status="completed",
        content=[ResponseOutputText(type="output_text", text=text, annotations=[])],
    )


def call(name: str, arguments: str, call_id: str) -> ResponseFunctionToolCall:
    return ResponseFunctionToolCall(
        type="function_call", name=name, arguments=arguments, call_id=call_id, id=f"fc_{call_id}"
    )


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def script() -> ScriptedModel:
    return ScriptedModel(
        [
            [call("get_weather", '{"city":"Paris"}', "call_1")],
            [say("It is sunny in Paris.", 1)],
            [call("get_weather", '{"city":"Rome"}', "call_2")],
            [say("Rome is sunny too.", 2)],
        ]
    )


async def two_turns(session: MastraSession) -> ScriptedModel:
    model = script()
    agent = Agent(name="weather", instructions="Answer briefly.", model=model, tools=[get_weather])
    first = await Runner.run(agent, "Weather in Paris?", session=session)
    assert first.final_output == "It is sunny in Paris."
    second = await Runner.run(agent, "And in Rome?", session=session)
    assert second.final_output == "Rome is sunny too."
    return model


@pytest.fixture(params=["memory", "libsql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MastraStorage]:
    url = "memory://" if request.param == "memory" else f"file:{tmp_path / 'agent.db'}"
    storage = connect(url)
    await storage.init()
    yield storage
    await storage.close()


async def test_turn_two_sees_turn_one_from_storage(store: MastraStorage) -> None:
    session = MastraSession("conv-1", store, resource_id="user-1")
    model = await two_turns(session)
    # Turn 2's first model call: turn 1 (question, tool call, output, answer), read back.
    turn2 = model.inputs[2]
    assert turn2[0] == {"content": "Weather in Paris?", "role": "user"}
    kinds = [item.get("type", "message") for item in turn2]
    assert kinds == ["message", "function_call", "function_call_output", "message", "message"]
    assert turn2[1]["call_id"] == "call_1" and turn2[1]["arguments"] == '{"city":"Paris"}'
    assert turn2[2] == {
        "type": "function_call_output",
        "call_id": "call_1",
        "output": "sunny in Paris",
    }
    assert turn2[3]["content"][0]["text"] == "It is sunny in Paris."
    assert turn2[4] == {"content": "And in Rome?", "role": "user"}
    # A fresh session object (e.g. another process) reads the same items.
    again = await MastraSession("conv-1", store, resource_id="user-1").get_items()
    assert again == await session.get_items()
    assert len(again) == 8


async def test_stored_as_mastra_messages_with_tool_invocations(store: MastraStorage) -> None:
    await two_turns(MastraSession("conv-2", store, resource_id="user-2"))
    memory = await store.require_store("memory")
    thread = await memory.get_thread_by_id("conv-2")
    assert thread is not None and thread.resource_id == "user-2"
    page = await memory.list_messages(thread_id="conv-2", per_page=None)
    # The SDK saves once per model step: the call (with its output), then the answer.
    roles = ["user", "assistant", "assistant"]
    assert [m.role for m in page.items] == roles + roles
    calls = [tp.tool_call(p) for m in page.items for p in m.content.parts if tp.is_tool_part(p)]
    assert [(c.tool_name, c.args, c.result, c.has_result) for c in calls] == [
        ("get_weather", {"city": "Paris"}, "sunny in Paris", True),
        ("get_weather", {"city": "Rome"}, "sunny in Rome", True),
    ]
    assert page.items[0].text == "Weather in Paris?"
    assert page.items[2].text == "It is sunny in Paris."


async def test_limit_pop_and_clear(store: MastraStorage) -> None:
    session = MastraSession("conv-3", store)
    await two_turns(session)
    everything = await session.get_items()
    for limit in (1, 2, 3, 5, 8, 20):
        assert await session.get_items(limit) == everything[-limit:]
    assert await session.get_items(0) == []
    # Pop the last answer, then the tool output (its call goes back to state "call").
    assert await session.pop_item() == everything[-1]
    assert await session.pop_item() == everything[-2]
    assert await session.get_items() == everything[:-2]
    memory = await store.require_store("memory")
    page = await memory.list_messages(thread_id="conv-3", per_page=None)
    last_call = [p for p in page.items[-1].content.parts if tp.is_tool_part(p)][-1]
    assert last_call["toolInvocation"]["state"] == "call"
    for expected in reversed(everything[:-2]):
        assert await session.pop_item() == expected
    assert await session.pop_item() is None
    await session.add_items([{"role": "user", "content": "again"}])
    await session.clear_session()
    assert await session.get_items() == []
    assert await memory.get_thread_by_id("conv-3") is None


async def test_output_in_a_later_batch_completes_the_stored_call(store: MastraStorage) -> None:
    session = MastraSession("conv-4", store)
    first = [
        {"role": "user", "content": "add 2 and 3"},
        {"type": "function_call", "call_id": "c", "name": "add", "arguments": '{"a":2,"b":3}'},
    ]
    later = [
        {"type": "function_call_output", "call_id": "c", "output": "5"},
        {"role": "assistant", "content": "5"},
    ]
    await session.add_items(first)
    await session.add_items(later)
    assert await session.get_items() == first + later
    memory = await store.require_store("memory")
    page = await memory.list_messages(thread_id="conv-4", per_page=None)
    assert len(page.items) == 3
    call_part = page.items[1].content.parts[0]
    assert tp.tool_call(call_part).result == "5"


async def test_bad_items_store_nothing(store: MastraStorage) -> None:
    session = MastraSession("conv-5", store)
    await session.add_items([{"role": "user", "content": "hi"}])
    bad: list[dict[str, Any]] = [{"role": "user", "content": "x"}, {"bad": object()}]
    with pytest.raises(ValidationError):
        await session.add_items(bad)
    assert await session.get_items() == [{"role": "user", "content": "hi"}]
    with pytest.raises(ValidationError):
        MastraSession("", store)


async def test_session_from_url_and_settings(tmp_path: Path) -> None:
    from agents.memory import SessionSettings

    url = f"file:{tmp_path / 's.db'}"
    async with MastraSession("conv-6", url, session_settings=SessionSettings(limit=2)) as session:
        await session.add_items([{"role": "user", "content": str(n)} for n in range(5)])
        assert [dict(i)["content"] for i in await session.get_items()] == ["3", "4"]
        assert "file:" not in repr(session)
    async with MastraSession("conv-6", url) as reopened:
        assert len(await reopened.get_items()) == 5


async def test_items_that_are_not_objects_are_rejected(store: MastraStorage) -> None:
    session = MastraSession("conv-7", store)
    bad: list[Any] = [{"role": "user", "content": "x"}, None]
    with pytest.raises(ValidationError):
        await session.add_items(bad)
    assert await session.get_items() == []


async def test_a_session_outlives_a_clear_by_another_session(store: MastraStorage) -> None:
    first = MastraSession("conv-8", store)
    await first.add_items([{"role": "user", "content": "one"}])
    await MastraSession("conv-8", store).clear_session()  # e.g. another worker
    await first.add_items([{"role": "user", "content": "two"}])
    assert await first.get_items() == [{"role": "user", "content": "two"}]


async def test_an_output_whose_stored_call_was_cleared_is_kept(store: MastraStorage) -> None:
    first = MastraSession("conv-9", store)
    await first.add_items(
        [{"type": "function_call", "call_id": "c", "name": "t", "arguments": "{}"}]
    )
    await MastraSession("conv-9", store).clear_session()
    later = [
        {"type": "function_call_output", "call_id": "c", "output": "x"},
        {"role": "assistant", "content": "done"},
    ]
    await first.add_items(later)
    assert await first.get_items() == later


async def test_sessions_of_one_process_never_share_a_millisecond(store: MastraStorage) -> None:
    """A new session object per request (web apps) must not reorder the thread (Mastra #3735)."""
    for n in range(30):
        await MastraSession("conv-10", store).add_items([{"role": "user", "content": str(n)}])
    memory = await store.require_store("memory")
    stamps = [m.created_at for m in (await memory.list_messages(thread_id="conv-10")).items]
    assert len(set(stamps)) == 30 and stamps == sorted(stamps)
