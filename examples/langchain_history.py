"""LangChain chat history on mastra-storage, with a scripted chat model (no network).

Run it (needs ``pip install 'mastra-storage[libsql,langchain]'``)::

    python examples/langchain_history.py [URL]   # default: $MASTRA_STORAGE_URL, file:langchain.db

A three-turn conversation with a tool call goes through LangChain's
``RunnableWithMessageHistory`` and ``MastraChatMessageHistory``: each turn's model input
starts with the history read back from storage. The thread is stored as Mastra stores it
(the tool call and its result as one ``tool-invocation`` part), so a Mastra app reading
the same database shows the conversation with its tool call. The sync API is used here
(``chain.invoke`` through ``mastra_storage.sync``); ``ainvoke`` with an async store works
the same way.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables.history import RunnableWithMessageHistory

from mastra_storage import sync
from mastra_storage.integrations.langchain import MastraChatMessageHistory

# LangChain 1.x marks RunnableWithMessageHistory deprecated in favour of LangGraph
# persistence; it still works and is the documented way to use a chat message history.
warnings.filterwarnings("ignore", message="RunnableWithMessageHistory is deprecated")


def weather(city: str) -> str:
    """The example's tool."""
    return f"sunny and 24C in {city}"


def main(url: str) -> None:
    # The "model": scripted answers, the first one a tool call.
    model = FakeMessagesListChatModel(
        responses=[
            AIMessage("", tool_calls=[{"name": "weather", "args": {"city": "Paris"}, "id": "c1"}]),
            AIMessage("It is sunny and 24C in Paris."),
            AIMessage("You asked about Paris."),
        ]
    )
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "You answer weather questions."),
            MessagesPlaceholder("history"),
            MessagesPlaceholder("input"),
        ]
    )
    with sync.connect(url) as storage:

        def history_of(session_id: str) -> MastraChatMessageHistory:
            return MastraChatMessageHistory(storage, thread_id=session_id, resource_id="ada")

        chain = RunnableWithMessageHistory(
            prompt | model, history_of, input_messages_key="input", history_messages_key="history"
        )
        config: Any = {"configurable": {"session_id": "weather-chat"}}
        history_of("weather-chat").clear()  # rerunnable: start the thread afresh

        reply = chain.invoke({"input": [HumanMessage("What's the weather in Paris?")]}, config)
        for call in reply.tool_calls:
            result = weather(**call["args"])
            reply = chain.invoke(
                {"input": [ToolMessage(result, tool_call_id=call["id"], name=call["name"])]},
                config,
            )
        print("assistant:", reply.content)
        reply = chain.invoke({"input": [HumanMessage("Which city did I ask about?")]}, config)
        print("assistant:", reply.content)

        print("\nstored as Mastra messages:")
        memory = storage.require_store("memory")
        for message in memory.list_messages(thread_id="weather-chat", per_page=None).items:
            kinds = [part["type"] for part in message.content.parts]
            print(f"  {message.role:<9} {kinds} {message.text!r}")


if __name__ == "__main__":
    main(
        sys.argv[1]
        if len(sys.argv) > 1
        else os.environ.get("MASTRA_STORAGE_URL", "file:langchain.db")
    )
