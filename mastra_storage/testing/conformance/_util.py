"""Small helpers shared by the conformance test modules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from ...domains.memory import MemoryStore
from ...records import Message, Thread
from ..data import at, sample_message, sample_thread


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


def ids(items: Iterable[_HasId]) -> list[str]:
    return [item.id for item in items]


def texts(messages: Iterable[Message]) -> list[str]:
    return [m.text for m in messages]


async def all_messages(
    memory: MemoryStore, thread_id: str | Sequence[str], **kwargs: Any
) -> list[Message]:
    """Every message of the thread(s), oldest first (``per_page=None``)."""
    page = await memory.list_messages(thread_id=thread_id, per_page=None, **kwargs)
    return page.items


async def thread_with_messages(
    memory: MemoryStore,
    count: int,
    *,
    base: datetime,
    step_seconds: float = 1,
    prefix: str = "Message",
    resource_id: str | None = None,
) -> tuple[Thread, list[Message]]:
    """A saved thread and ``count`` messages ``"<prefix> 1"``... at ``base + i*step``."""
    thread = await memory.save_thread(sample_thread(resource_id=resource_id))
    messages = [
        sample_message(
            thread=thread,
            text=f"{prefix} {i + 1}",
            created_at=at(base, seconds=(i + 1) * step_seconds),
            role="user" if i % 2 == 0 else "assistant",
        )
        for i in range(count)
    ]
    if messages:
        await memory.save_messages(messages)
    return thread, messages


__all__ = ["all_messages", "ids", "texts", "thread_with_messages"]
