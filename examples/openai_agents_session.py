"""An OpenAI Agents SDK agent whose conversation lives in mastra-storage.

Two turns with a tool call each; turn 2 needs turn 1, which the session reads back from
storage. The model is scripted (no API key, no network): it answers "which city?" from the
history it is given. Any storage URL works; a Mastra app reading the same database sees
the thread with its tool calls and results.

    pip install 'mastra-storage[libsql,openai-agents]'
    python examples/openai_agents_session.py [storage-url]     # default: file:agents.db
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from agents import Agent, Runner, function_tool, set_tracing_disabled
from agents.items import ModelResponse
from agents.models.interface import Model
from agents.usage import Usage
from openai.types.responses import (
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
)

from mastra_storage import connect
from mastra_storage.integrations.openai_agents import MastraSession


@function_tool
def temperature(city: str) -> str:
    """Today's temperature in a city, in degrees Celsius."""
    return {"Oslo": "3", "Lisbon": "17"}.get(city, "unknown")


class ScriptedModel(Model):
    """Calls ``temperature`` for the newest city the user named, then reports it.

    "There?" means "the city we talked about": it is found only in the history.
    """

    async def get_response(
        self, system_instructions: Any, input: Any, *_: Any, **__: Any
    ) -> ModelResponse:
        items = input if isinstance(input, list) else [{"role": "user", "content": input}]
        last = items[-1]
        if last.get("type") == "function_call_output":
            city = json.loads(_last_call(items)["arguments"])["city"]
            text = f"It is {last['output']} degrees in {city}."
            out: Any = ResponseOutputMessage(
                id=f"msg_{len(items)}",
                type="message",
                role="assistant",
                status="completed",
                content=[ResponseOutputText(type="output_text", text=text, annotations=[])],
            )
        else:
            city = _newest_city(items)
            out = ResponseFunctionToolCall(
                type="function_call",
                call_id=f"call_{len(items)}",
                name="temperature",
                arguments=json.dumps({"city": city}, separators=(",", ":")),
            )
        return ModelResponse(output=[out], usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("this example does not stream")


def _last_call(items: list[Any]) -> dict[str, Any]:
    return next(i for i in reversed(items) if i.get("type") == "function_call")


def _newest_city(items: list[Any]) -> str:
    for item in reversed(items):
        if item.get("role") == "user" and isinstance(item.get("content"), str):
            for city in ("Oslo", "Lisbon"):
                if city in item["content"]:
                    return city
    raise LookupError("no city in the conversation")


async def main(url: str) -> None:
    set_tracing_disabled(True)
    agent = Agent(
        name="weather", instructions="Be brief.", model=ScriptedModel(), tools=[temperature]
    )
    storage = connect(url)
    async with storage:
        session = MastraSession("trip-chat", storage, resource_id="traveller-1", title="Trip")
        await session.clear_session()  # start the example afresh
        for question in ("How warm is Oslo today?", "And tomorrow there?"):
            result = await Runner.run(agent, question, session=session)
            print(f"user: {question}\nagent: {result.final_output}")

        # What a Mastra app sees in the same database: messages with tool invocations.
        memory = await storage.require_store("memory")
        page = await memory.list_messages(thread_id="trip-chat", per_page=None)
        print(f"{len(page.items)} Mastra messages:")
        for message in page.items:
            kinds = " ".join(part["type"] for part in message.content.parts)
            print(f"  {message.role} {kinds}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "file:agents.db"))
