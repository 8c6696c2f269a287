"""Pydantic AI message history kept in a Mastra thread.

Pydantic AI leaves persistence to the caller: pass ``message_history=`` to a run and store
``result.new_messages()`` after it. :class:`PydanticAIHistory` does both on any storage URL,
as Mastra V2 messages a Mastra app reads as its own (tool calls with their results)::

    history = PydanticAIHistory(memory, thread_id="t1", resource_id="user-1")
    result = await agent.run("Hi", message_history=await history.load())
    await history.save(result)

Needs the ``pydantic-ai`` extra (``pip install 'mastra-storage[pydantic-ai]'``); importing
this module imports Pydantic AI, the rest of the SDK never does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

try:
    from pydantic_ai.messages import ModelMessage
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "mastra_storage.integrations.pydantic_ai needs Pydantic AI: "
        "pip install 'mastra-storage[pydantic-ai]'"
    ) from exc

from ..composite import MastraStorage
from ..errors import ValidationError
from ..memory import Memory
from ..memory.results import SaveTurnResult
from ..records import Message
from .pydantic_ai_messages import from_pydantic_ai, to_pydantic_ai

__all__ = ["PydanticAIHistory", "RunResultLike"]

logger = logging.getLogger("mastra_storage.integrations.pydantic_ai")


@runtime_checkable
class RunResultLike(Protocol):
    """What :meth:`PydanticAIHistory.save` takes from a run: ``new_messages()``
    (``AgentRunResult``, ``StreamedRunResult`` and ``AgentRun`` all have it)."""

    def new_messages(self) -> list[ModelMessage]: ...


class PydanticAIHistory:
    """One Mastra thread as a Pydantic AI message history.

    ``memory`` is a :class:`~mastra_storage.memory.Memory` or a
    :class:`~mastra_storage.MastraStorage` (wrapped in a ``Memory``). ``last_messages``
    bounds what :meth:`load` reads (the newest Mastra messages; one holds a model response
    and the tool returns answering it), ``None`` for the memory's ``lastMessages`` option.
    The thread is created by the first :meth:`save`, owned by ``resource_id``.
    """

    def __init__(
        self,
        memory: Memory | MastraStorage,
        thread_id: str,
        resource_id: str,
        *,
        last_messages: int | None = None,
    ) -> None:
        if not isinstance(thread_id, str) or not thread_id:
            raise ValidationError("thread_id must be a non-empty string", id="MASTRA_INVALID_ID")
        if not isinstance(resource_id, str) or not resource_id:
            raise ValidationError("resource_id must be a non-empty string", id="MASTRA_INVALID_ID")
        if last_messages is not None and (
            isinstance(last_messages, bool)
            or not isinstance(last_messages, int)
            or last_messages < 0
        ):
            raise ValidationError(
                "last_messages must be a non-negative integer or None",
                id="MASTRA_MEMORY_INVALID_OPTIONS",
            )
        self.memory = memory if isinstance(memory, Memory) else Memory(memory)
        self.thread_id = thread_id
        self.resource_id = resource_id
        self.last_messages = last_messages
        self._newest: datetime | None = None
        # What the last load() read: a loaded message saved back unchanged is kept exactly.
        self._loaded: list[Message] = []

    def __repr__(self) -> str:
        return f"PydanticAIHistory(thread_id={self.thread_id!r}, resource_id={self.resource_id!r})"

    def _options(self) -> dict[str, Any] | None:
        return None if self.last_messages is None else {"lastMessages": self.last_messages}

    async def messages(self) -> list[Message]:
        """The thread's newest stored Mastra messages, oldest first (one ``recall``).

        Raises :class:`~mastra_storage.memory.ownership.ResourceMismatchError` when the
        thread belongs to another resource.
        """
        recalled = await self.memory.recall(
            self.thread_id, self.resource_id, options=self._options()
        )
        if recalled.history:
            self._newest = max(m.created_at for m in recalled.history)
        self._loaded = recalled.history
        return recalled.history

    async def load(self) -> list[ModelMessage]:
        """The history to pass as ``message_history=`` (``[]`` for a new thread).

        Each message carries its stored id and createdAt under ``metadata["mastra"]`` (not
        sent to a model), so saving ``all_messages()`` later rewrites those messages in place
        instead of duplicating them (unchanged ones exactly as stored). Raises
        :class:`~mastra_storage.errors.ValidationError` for a stored message whose Pydantic
        AI metadata was damaged.
        """
        return to_pydantic_ai(await self.messages())

    async def save(
        self, run: RunResultLike | Sequence[ModelMessage], *, title: str = ""
    ) -> SaveTurnResult:
        """Store a run's ``new_messages()`` (or the given messages) as one turn.

        Atomic as ``Memory.save_turn``: one ``save_messages`` (with the thread's creation on
        its first turn); on any error nothing is written. Messages get ``createdAt`` after
        the newest one this object loaded or saved, so the thread keeps the run's order.
        Raises :class:`~mastra_storage.errors.ValidationError` for anything but Pydantic AI
        messages, ``ResourceMismatchError`` for another resource's thread.
        """
        given: object = run  # checked at run time: callers are not always typed
        if isinstance(given, RunResultLike):
            items = given.new_messages()
        elif isinstance(given, Sequence) and not isinstance(given, (str, bytes)):
            items = list(given)
        else:
            raise ValidationError(
                f"save() takes a run result or a list of ModelMessage, got {type(given).__name__}",
                id="MASTRA_MEMORY_SAVE_TURN_INVALID_ARGS",
            )
        messages = from_pydantic_ai(items, not_before=self._newest, stored=self._loaded)
        result = await self.memory.save_turn(
            self.thread_id, self.resource_id, messages, thread_title=title
        )
        if result.saved:
            newest = max(m.created_at for m in result.saved)
            self._newest = newest if self._newest is None else max(self._newest, newest)
        logger.debug("saved %d message(s) to thread %s", len(result.saved), self.thread_id)
        return result

    async def clear(self) -> None:
        """Delete the thread and its messages (one ``delete_thread``)."""
        await self.memory.delete_thread(self.thread_id, resource_id=self.resource_id)
        self._newest = None
        self._loaded = []
