"""The unit the transfer engine moves: a page of records of one kind, plus its resume key.

Sources yield :class:`Batch` objects; sinks write them. ``key`` is what the checkpoint
stores once the batch (and every batch before it in the same domain) is safely written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..records import Message, Resource, Score, Span, Thread, WorkflowRun

DEFAULT_PAGE_SIZE = 100

Kind = Literal["thread", "message", "resource", "workflow_run", "score", "span"]
KINDS: tuple[Kind, ...] = ("thread", "message", "resource", "workflow_run", "score", "span")

#: The domain (checkpoint section, progress label) each kind belongs to.
DOMAIN_OF: dict[Kind, str] = {
    "thread": "memory",
    "message": "memory",
    "resource": "resources",
    "workflow_run": "workflows",
    "score": "scores",
    "span": "observability",
}
DOMAINS: tuple[str, ...] = ("memory", "resources", "workflows", "scores", "observability")

RECORD_TYPES: dict[Kind, type[Any]] = {
    "thread": Thread,
    "message": Message,
    "resource": Resource,
    "workflow_run": WorkflowRun,
    "score": Score,
    "span": Span,
}


@dataclass
class Batch:
    """Records of one ``kind`` (at most one page). ``thread`` is the owner of a message
    batch (its ``updated_at`` is restored after the messages are written). ``key`` is the
    checkpoint position after this batch, ``None`` for batches inside a larger unit (the
    messages of a thread are checkpointed with the thread page)."""

    kind: Kind
    records: list[Any]
    key: Any = None
    thread: Thread | None = None
    extra: dict[str, Any] = field(default_factory=dict)
