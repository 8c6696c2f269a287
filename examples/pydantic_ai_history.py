"""A Pydantic AI agent whose conversation lives in mastra-storage (no network, no API key).

Two turns with a tool call; the second run gets the first from storage, as a new process
would. The thread is stored as Mastra messages, so a Mastra app can show it.

    python examples/pydantic_ai_history.py [STORAGE_URL]    # default: memory://

Needs ``pip install 'mastra-storage[pydantic-ai]'`` (plus the backend's extra for a URL
such as ``libsql:///tmp/chat.db``).
"""

from __future__ import annotations

import asyncio
import sys

from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from mastra_storage import connect
from mastra_storage.integrations.pydantic_ai import PydanticAIHistory


def scripted_model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Stands in for an LLM: asks the tool once per question, then answers with its result."""
    last = messages[-1].parts[-1]
    if last.part_kind == "tool-return":
        return ModelResponse(parts=[TextPart(f"It is {last.content} in Oslo.")])
    earlier = sum(1 for m in messages if isinstance(m, ModelResponse))
    return ModelResponse(parts=[ToolCallPart("weather", {"day": earlier // 2})])


agent = Agent(FunctionModel(scripted_model), instructions="Answer about the weather.")


@agent.tool_plain
def weather(day: int) -> str:
    """The forecast for a day (0 is today)."""
    return ["3 degrees", "5 degrees"][day % 2]


async def main(url: str = "memory://") -> list[str]:
    """Runs two turns and returns the answers."""
    storage = connect(url)
    await storage.init()
    try:
        answers = []
        for question in ["Weather in Oslo?", "And tomorrow?"]:
            history = PydanticAIHistory(storage, thread_id="oslo", resource_id="user-1")
            result = await agent.run(question, message_history=await history.load())
            await history.save(result)
            answers.append(result.output)
            print(f"> {question}\n{result.output}")
        stored = await PydanticAIHistory(storage, "oslo", "user-1").messages()
        print(f"{len(stored)} Mastra messages in thread 'oslo':")
        for message in stored:
            kinds = ", ".join(part["type"] for part in message.content.parts)
            print(f"  {message.role:9} {kinds}")
        return answers
    finally:
        await storage.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
