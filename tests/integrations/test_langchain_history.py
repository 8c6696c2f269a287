"""MastraChatMessageHistory driven by real LangChain (RunnableWithMessageHistory and a fake
chat model with tool calls), async and sync, over several turns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain_core")

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import RunnableLambda
from langchain_core.runnables.history import RunnableWithMessageHistory

from mastra_storage import MastraStorage, sync
from mastra_storage.integrations.langchain import MastraChatMessageHistory
from mastra_storage.memory import ResourceMismatchError

pytestmark = [
    pytest.mark.anyio,
    # What the brief and LangChain's docs still show for chat history; deprecated in favour
    # of LangGraph persistence, which is a separate piece of work.
    pytest.mark.filterwarnings("ignore:RunnableWithMessageHistory is deprecated"),
]

WEATHER_CALL = {"name": "weather", "args": {"city": "Paris"}, "id": "call-1"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def scripted_chain(seen: list[list[BaseMessage]], history_of: Any) -> RunnableWithMessageHistory:
    """A chat "agent": prompt with history -> recorder -> fake model with a tool call."""
    model = FakeMessagesListChatModel(
        responses=[
            AIMessage("", tool_calls=[WEATHER_CALL]),
            AIMessage("It is sunny in Paris."),
            AIMessage("Tomorrow too."),
        ]
    )
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "You answer weather questions."),
            MessagesPlaceholder("history"),
            MessagesPlaceholder("input"),
        ]
    )

    def record(value: Any) -> Any:
        seen.append(value.to_messages())
        return value

    return RunnableWithMessageHistory(
        prompt | RunnableLambda(record) | model,
        history_of,
        input_messages_key="input",
        history_messages_key="history",
    )


TURN_1 = [HumanMessage("Weather in Paris?")]
TOOL_RESULT = [ToolMessage("sunny, 24C", tool_call_id="call-1", name="weather")]
TURN_2 = [HumanMessage("And tomorrow?")]


def check_turn_two_input(seen: list[list[BaseMessage]]) -> None:
    # Turn 2's model input holds turn 1 (the call, its result, the answer) read from storage.
    last = seen[-1]
    assert [m.type for m in last] == ["system", "human", "ai", "tool", "ai", "human"]
    assert last[2].tool_calls[0]["id"] == "call-1"  # type: ignore[attr-defined]
    assert last[3].content == "sunny, 24C" and last[4].content == "It is sunny in Paris."


async def test_multi_turn_async_run_reads_turn_one_back(storage: MastraStorage) -> None:
    seen: list[list[BaseMessage]] = []
    chain = scripted_chain(
        seen, lambda session_id: MastraChatMessageHistory(storage, session_id, "user-1")
    )
    config: Any = {"configurable": {"session_id": "thread-a"}}
    await chain.ainvoke({"input": TURN_1}, config)
    await chain.ainvoke({"input": TOOL_RESULT}, config)
    await chain.ainvoke({"input": TURN_2}, config)
    check_turn_two_input(seen)

    # Stored as Mastra stores tool use: one assistant message, one part in state "result".
    memory = await storage.require_store("memory")
    page = await memory.list_messages(thread_id="thread-a", per_page=None)
    assert [m.role for m in page.items] == ["user", "assistant", "assistant", "user", "assistant"]
    tool = page.items[1].content.parts[0]["toolInvocation"]
    assert tool["state"] == "result" and tool["result"] == "sunny, 24C"
    assert tool["toolName"] == "weather" and tool["args"] == {"city": "Paris"}


def test_multi_turn_sync_run_through_the_facade(tmp_path: Path) -> None:
    seen: list[list[BaseMessage]] = []
    with sync.connect(f"file:{tmp_path / 'lc.db'}") as storage:
        chain = scripted_chain(
            seen, lambda session_id: MastraChatMessageHistory(storage, session_id, "user-1")
        )
        config: Any = {"configurable": {"session_id": "thread-s"}}
        chain.invoke({"input": TURN_1}, config)
        chain.invoke({"input": TOOL_RESULT}, config)
        chain.invoke({"input": TURN_2}, config)
        check_turn_two_input(seen)
        history = MastraChatMessageHistory(storage, "thread-s", "user-1", last_messages=2)
        assert [m.content for m in history.messages] == ["And tomorrow?", "Tomorrow too."]
        history.clear()
        assert history.messages == []


async def test_async_methods_on_a_sync_facade_and_sync_methods_on_an_async_store(
    tmp_path: Path, storage: MastraStorage
) -> None:
    facade = await _in_thread(sync.connect, "memory://")
    await _in_thread(facade.init)
    try:
        history = MastraChatMessageHistory(facade, "t", "u")
        await history.aadd_messages([HumanMessage("hi", id="h1")])
        assert await history.aget_messages() == [HumanMessage("hi", id="h1")]
        await history.aclear()
        assert await history.aget_messages() == []
    finally:
        await _in_thread(facade.close)
    # The other way round: the sync API of a history over the async in-memory store,
    # called from a worker thread (no event loop there).
    on_async = MastraChatMessageHistory(storage, "t2", "u")
    await _in_thread(on_async.add_messages, [HumanMessage("sync")])
    assert [m.content for m in await on_async.aget_messages()] == ["sync"]
    assert [m.content for m in await _in_thread(lambda: on_async.messages)] == ["sync"]
    on_async.close()


async def test_another_resources_thread_is_refused_and_untouched(storage: MastraStorage) -> None:
    owner = MastraChatMessageHistory(storage, "private", "alice")
    await owner.aadd_messages([HumanMessage("secret")])
    intruder = MastraChatMessageHistory(storage, "private", "mallory")
    with pytest.raises(ResourceMismatchError):
        await intruder.aadd_messages([HumanMessage("overwrite")])
    assert await intruder.aget_messages() == []
    assert [m.content for m in await owner.aget_messages()] == ["secret"]


async def _in_thread(func: Any, *args: Any) -> Any:
    import anyio.to_thread

    return await anyio.to_thread.run_sync(func, *args)


@pytest.fixture(autouse=True)
def _no_leaked_portals() -> Iterator[None]:
    import threading

    before = {t.ident for t in threading.enumerate()}
    yield
    leaked = [
        t.name
        for t in threading.enumerate()
        if t.ident not in before and t.name == "mastra-storage-sync"
    ]
    assert leaked == []


async def test_later_writes_still_recreate_a_deleted_thread_and_check_explicit_ids(
    storage: MastraStorage,
) -> None:
    alice = MastraChatMessageHistory(storage, "t-own", "alice")
    await alice.aadd_messages([HumanMessage("one")])
    memory = await storage.require_store("memory")
    await memory.delete_thread("t-own")  # e.g. a Mastra app deleted it
    await alice.aadd_messages([HumanMessage("two")])
    assert [m.content for m in await alice.aget_messages()] == ["two"]
    thread = await memory.get_thread_by_id("t-own")
    assert thread is not None and thread.resource_id == "alice"

    bob = MastraChatMessageHistory(storage, "t-bob", "bob")
    await bob.aadd_messages([HumanMessage("bob's", id="shared-id")])
    await alice.aadd_messages([HumanMessage("three")])  # alice's history is on its fast path
    with pytest.raises(ResourceMismatchError):
        await alice.aadd_messages([HumanMessage("take it", id="shared-id")])
    assert [m.content for m in await bob.aget_messages()] == ["bob's"]


def test_without_langchain_the_import_names_the_extra_and_the_core_never_loads_it() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import mastra_storage, mastra_storage.sync, mastra_storage.integrations\n"
        "assert 'langchain_core' not in sys.modules\n"
        "sys.modules['langchain_core'] = None  # as if the extra were not installed\n"
        "from mastra_storage.errors import MissingDependencyError\n"
        "try:\n"
        "    import mastra_storage.integrations.langchain\n"
        "except MissingDependencyError as exc:\n"
        "    assert 'mastra-storage[langchain]' in str(exc), exc\n"
        "else:\n"
        "    raise SystemExit('imported without langchain-core')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
