"""Memory's use of a vector store: Mastra's index names, metadata keys and cleanup.

Everything here follows spec 14.1/14.6 so a Mastra app and a Python service share the
same vector indexes: the index is ``memory<sep>messages`` for 1536-dimensional
embeddings and ``memory<sep>messages<sep><dim>`` otherwise (``<sep>`` is the store's
``index_separator``), and every vector carries ``{message_id, thread_id, resource_id}``.
Unlike Mastra, the vector id is the message id, so re-saving a message overwrites its
vector instead of adding a duplicate, and deletes are awaited (not fire-and-forget).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from ..records import Message
from .options import Scope

DEFAULT_DIMENSION = 1536
INDEX_BASE = ("memory", "messages")
DELETE_BATCH = 100


class RecallHit(msgspec.Struct, frozen=True):
    """One semantic match: which message, in which thread, how close."""

    message_id: str
    thread_id: str
    score: float


def index_name(dimension: int, separator: str = "_") -> str:
    """Mastra's ``getEmbeddingIndexName``."""
    base = separator.join(INDEX_BASE)
    return base if dimension == DEFAULT_DIMENSION else f"{base}{separator}{dimension}"


def recall_filter(scope: Scope, thread_id: str, resource_id: str | None) -> dict[str, Any]:
    """Resource scope searches every thread of the resource; thread scope only this one."""
    if scope == "resource" and resource_id:
        return {"resource_id": resource_id}
    return {"thread_id": thread_id}


def message_text(message: Message) -> str:
    """What Mastra embeds: ``content.content``, else the text parts joined by spaces."""
    if message.content.content:
        return message.content.content
    texts = [
        str(p.get("text", ""))
        for p in message.content.parts
        if isinstance(p, Mapping) and p.get("type") == "text"
    ]
    return " ".join(t for t in texts if t)


def vector_metadata(message: Message) -> dict[str, Any]:
    return {
        "message_id": message.id,
        "thread_id": message.thread_id or "",
        "resource_id": message.resource_id or "",
    }


def batches(ids: Sequence[str], size: int = DELETE_BATCH) -> list[list[str]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


__all__ = [
    "DEFAULT_DIMENSION",
    "DELETE_BATCH",
    "RecallHit",
    "batches",
    "index_name",
    "message_text",
    "recall_filter",
    "vector_metadata",
]
