"""A real Pydantic AI Agent (FunctionModel) over several turns with its history in storage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pydantic_ai")

from pydantic_ai import Agent, ModelRetry
from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from mastra_storage import MastraStorage, connect
from mastra_storage.errors import ValidationError
from mastra_storage.integrations.pydantic_ai import PydanticAIHistory
from mastra_storage.integrations.pydantic_ai_messages import IDENTITY_KEY
from mastra_storage.memory import Memory
from mastra_storage.memory.ownership import ResourceMismatchError
from tests.support.servers import ServerUnavailable, postgres_database, skip_or_fail

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["memory", "libsql", "postgres"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MastraStorage]:
    """The same conversations on the in-memory store, a libSQL file and PostgreSQL."""
    async with AsyncExitStack() as stack:
        if request.param == "memory":
            url = "memory://"
        elif request.param == "libsql":
            pytest.importorskip("apsw", reason="the libsql extra is not installed")
            url = f"file:{tmp_path / 'chat.db'}"
        else:
            pytest.importorskip("asyncpg", reason="the postgres extra is not installed")
            try:
                url = await stack.enter_async_context(postgres_database())
            except ServerUnavailable as exc:
                skip_or_fail("postgres", str(exc))
        store = connect(url)
        await store.init()
        try:
            yield store
        finally:
            await store.close()


def _plain(messages: list[ModelMessage]) -> Any:
    """The messages' JSON without the identity key the history adds."""
    dumped = ModelMessagesTypeAdapter.dump_python(messages, mode="json")
    for message in dumped:
        meta = message.get("metadata")
        if isinstance(meta, dict) and IDENTITY_KEY in meta:
            message["metadata"] = meta[IDENTITY_KEY]["metadata"]
    return dumped


class ScriptedWeather:
    """A FunctionModel script: a tool call with bad args (retried), a good call, an answer.

    It records every model input, so a test can see what history the model was given.
    """

    def __init__(self) -> None:
        self.inputs: list[list[ModelMessage]] = []

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.inputs.append(list(messages))
        last = messages[-1]
        assert isinstance(last, ModelRequest)
        prompt = next((p for p in last.parts if isinstance(p, UserPromptPart)), None)
        if prompt is not None:
            return ModelResponse(parts=[ToolCallPart("weather", {"city": ""}, "call-bad")])
        answer = last.parts[-1]
        assert isinstance(answer, ToolReturnPart)
        if answer.outcome == "retried":
            return ModelResponse(parts=[ToolCallPart("weather", {"city": "Oslo"}, "call-ok")])
        return ModelResponse(parts=[TextPart(f"It is {answer.content} in Oslo.")])


def _agent(model: ScriptedWeather) -> Agent[None, str]:
    agent = Agent(FunctionModel(model), instructions="Answer about the weather.")

    @agent.tool_plain(retries=2)
    def weather(city: str) -> str:
        if not city:
            raise ModelRetry("city must not be empty")
        return "3 degrees"

    return agent


async def test_turn_two_sees_turn_one_read_back_from_storage(storage: MastraStorage) -> None:
    model = ScriptedWeather()
    agent = _agent(model)
    first = PydanticAIHistory(storage, "thread-1", "user-1")
    turn1 = await agent.run("Weather in Oslo?", message_history=await first.load())
    saved = await first.save(turn1)
    assert saved.thread_created and turn1.output == "It is 3 degrees in Oslo."

    # A new process: nothing in memory but the storage.
    second = PydanticAIHistory(Memory(storage), "thread-1", "user-1")
    loaded = await second.load()
    assert _plain(loaded) == ModelMessagesTypeAdapter.dump_python(turn1.all_messages(), mode="json")
    model.inputs.clear()
    turn2 = await agent.run("And tomorrow?", message_history=loaded)
    await second.save(turn2)
    # The model's first input in turn 2 starts with all of turn 1, as stored.
    first_input = model.inputs[0]
    assert _plain(first_input[: len(loaded)]) == _plain(turn1.all_messages())
    assert isinstance(first_input[-1], ModelRequest)

    # Turn 3 sees turns 1 and 2, each once (the identity key keeps loaded messages whole).
    third = PydanticAIHistory(storage, "thread-1", "user-1")
    everything = await third.load()
    assert _plain(everything) == _plain(turn2.all_messages())


async def test_a_mastra_app_sees_each_tool_call_with_its_result(storage: MastraStorage) -> None:
    agent = _agent(ScriptedWeather())
    history = PydanticAIHistory(storage, "thread-2", "user-1")
    await history.save(await agent.run("Weather in Oslo?"))
    stored = await history.messages()
    assert [m.role for m in stored] == ["user", "assistant", "assistant", "assistant"]
    assert stored[0].text == "Weather in Oslo?"
    invocations = [
        p["toolInvocation"]
        for m in stored
        for p in m.content.parts
        if p["type"] == "tool-invocation"
    ]
    assert [(i["toolCallId"], i["state"], i["result"]) for i in invocations] == [
        ("call-bad", "result", "city must not be empty"),
        ("call-ok", "result", "3 degrees"),
    ]
    assert stored[-1].text == "It is 3 degrees in Oslo."
    created = [m.created_at for m in stored]
    assert created == sorted(created) and len(set(created)) == len(created)


async def test_saving_all_messages_again_does_not_duplicate(storage: MastraStorage) -> None:
    agent = _agent(ScriptedWeather())
    history = PydanticAIHistory(storage, "thread-3", "user-1")
    await history.save(await agent.run("Weather in Oslo?"))
    turn2 = await agent.run("Again?", message_history=await history.load())
    await history.save(turn2.all_messages())  # history included, by mistake or on purpose
    assert _plain(await history.load()) == _plain(turn2.all_messages())


async def test_load_is_bounded_by_last_messages(storage: MastraStorage) -> None:
    history = PydanticAIHistory(storage, "thread-4", "user-1", last_messages=2)
    for n in range(3):
        await history.save([ModelRequest(parts=[UserPromptPart(f"q{n}")])])
        await history.save([ModelResponse(parts=[TextPart(f"a{n}")])])
    loaded = await history.load()
    assert [p.content for m in loaded for p in m.parts] == ["q2", "a2"]  # type: ignore[union-attr]


async def test_another_resources_thread_is_refused_and_left_alone(
    storage: MastraStorage,
) -> None:
    mine = PydanticAIHistory(storage, "thread-5", "user-1")
    await mine.save([ModelRequest(parts=[UserPromptPart("mine")])])
    theirs = PydanticAIHistory(storage, "thread-5", "user-2")
    with pytest.raises(ResourceMismatchError):
        await theirs.load()
    with pytest.raises(ResourceMismatchError):
        await theirs.save([ModelRequest(parts=[UserPromptPart("theirs")])])
    assert [m.text for m in await mine.messages()] == ["mine"]


async def test_bad_input_is_a_validation_error(storage: MastraStorage) -> None:
    history = PydanticAIHistory(storage, "thread-6", "user-1")
    with pytest.raises(ValidationError):
        await history.save("hello")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        await history.save([{"kind": "request"}])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        PydanticAIHistory(storage, "", "user-1")
    with pytest.raises(ValidationError):
        PydanticAIHistory(storage, "t", "user-1", last_messages=-1)
    assert await history.load() == []


async def test_clear_deletes_the_thread(storage: MastraStorage) -> None:
    history = PydanticAIHistory(storage, "thread-7", "user-1")
    await history.save([ModelRequest(parts=[UserPromptPart("hi")])])
    await history.clear()
    assert await history.load() == []


async def test_a_mastra_written_message_survives_a_run_and_save_all(
    storage: MastraStorage,
) -> None:
    """A message a Mastra app wrote (with a file part a model never sees) stays as written."""
    from datetime import datetime, timezone

    from mastra_storage.records import Message, MessageContent

    memory = Memory(storage)
    parts = [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "file", "mimeType": "image/png", "data": "aGVsbG8="},
    ]
    written = Message(
        id="mastra-1",
        role="user",
        created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        content=MessageContent(parts=parts, metadata={"from": "mastra"}),
    )
    await memory.save_turn("thread-8", "user-1", [written])
    history = PydanticAIHistory(memory, "thread-8", "user-1")
    model = ScriptedWeather()
    result = await _agent(model).run("Weather in Oslo?", message_history=await history.load())
    first = model.inputs[0][0]
    assert isinstance(first, ModelRequest)
    # The model gets the text (Pydantic AI merges it with the new prompt), not the file.
    contents = [p.content for p in first.parts]  # type: ignore[union-attr]
    assert contents == ["What is in this picture?", "Weather in Oslo?"]
    await history.save(result.all_messages())
    stored = await history.messages()
    assert stored[0].to_dict() == {
        **written.to_dict(),
        "threadId": "thread-8",
        "resourceId": "user-1",
    }
    assert len(stored) == 5
