"""The five operations every workload is built from, as one interface for SDK and raw driver.

Why one interface: a workload is written once and runs unchanged against the SDK and against
each backend's hand-written raw equivalent, so both sides do the same amount of work on the
same data and the ratio between them measures only the SDK's cost.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mastra_storage import MastraStorage, Message, MessageContent, OrderBy
from mastra_storage.domains import MemoryStore, WorkflowsStore


@dataclass(frozen=True)
class MessageData:
    """One message as plain data; each side turns it into its own stored form (timed)."""

    id: str
    role: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class Turn:
    """A user message and the assistant's answer, appended together to one thread."""

    thread_id: str
    resource_id: str
    user: MessageData
    assistant: MessageData


class Ops(ABC):
    """What a workload may call. Reads return ids so the runner can check both sides agree."""

    @abstractmethod
    async def append_turn(self, turn: Turn) -> None:
        """Store both messages of ``turn`` atomically and bump the thread's ``updatedAt``."""

    @abstractmethod
    async def recall(self, thread_id: str, limit: int) -> Sequence[str]:
        """The newest ``limit`` messages of a thread, decoded, oldest first (their ids)."""

    @abstractmethod
    async def list_threads(self, resource_id: str, limit: int) -> Sequence[str]:
        """The first page of a resource's threads, newest first, decoded (their ids)."""

    @abstractmethod
    async def persist_snapshot(
        self, workflow_name: str, run_id: str, snapshot: dict[str, Any]
    ) -> None:
        """Insert or replace a workflow run's snapshot."""

    @abstractmethod
    async def load_snapshot(self, workflow_name: str, run_id: str) -> dict[str, Any] | None:
        """The stored snapshot of a run, decoded."""

    def statements(self) -> int | None:
        """Statements/commands issued so far, when this side can count them (else None)."""
        return None

    def with_total(self) -> Ops:
        """This side with its list pages counting their ``total`` (a raw side never counts,
        so it stays as it is)."""
        return self

    async def close(self) -> None:
        """Release what the ops opened (the SDK store is closed by its backend)."""


NEWEST_FIRST = OrderBy(field="created_at", direction="DESC")


def sdk_message(data: MessageData, turn: Turn) -> Message:
    return Message(
        id=data.id,
        role="user" if data.role == "user" else "assistant",
        created_at=data.created_at,
        thread_id=turn.thread_id,
        resource_id=turn.resource_id,
        content=MessageContent.text(data.text),
    )


class SdkOps(Ops):
    """The operations through the public API, as an application would call them.

    List pages skip their ``total`` (``include_total=False``) unless ``include_total`` is
    set: the raw side does not count either, so that is the like-for-like comparison; the
    ``W2t``/``W3t`` rows keep the count to show what it costs.
    """

    def __init__(
        self,
        store: MastraStorage,
        memory: MemoryStore,
        workflows: WorkflowsStore,
        *,
        include_total: bool = False,
    ):
        self.store = store
        self.memory = memory
        self.workflows = workflows
        self.include_total = include_total

    def with_total(self) -> SdkOps:
        """The same store, its list pages counting their ``total`` as well."""
        return SdkOps(self.store, self.memory, self.workflows, include_total=True)

    @classmethod
    async def open(cls, store: MastraStorage) -> SdkOps:
        memory = await store.require_store("memory")
        workflows = await store.require_store("workflows")
        return cls(store, memory, workflows)

    async def append_turn(self, turn: Turn) -> None:
        await self.memory.save_messages(
            [sdk_message(turn.user, turn), sdk_message(turn.assistant, turn)]
        )

    async def recall(self, thread_id: str, limit: int) -> Sequence[str]:
        page = await self.memory.list_messages(
            thread_id=thread_id,
            per_page=limit,
            order_by=NEWEST_FIRST,
            include_total=self.include_total,
        )
        return [m.id for m in reversed(page.items)]

    async def list_threads(self, resource_id: str, limit: int) -> Sequence[str]:
        page = await self.memory.list_threads(
            resource_id=resource_id, per_page=limit, include_total=self.include_total
        )
        return [t.id for t in page.items]

    async def persist_snapshot(
        self, workflow_name: str, run_id: str, snapshot: dict[str, Any]
    ) -> None:
        await self.workflows.persist_workflow_snapshot(
            workflow_name=workflow_name, run_id=run_id, snapshot=snapshot
        )

    async def load_snapshot(self, workflow_name: str, run_id: str) -> dict[str, Any] | None:
        value = await self.workflows.load_workflow_snapshot(
            workflow_name=workflow_name, run_id=run_id
        )
        return value if isinstance(value, dict) else None

    def statements(self) -> int | None:
        counted = getattr(self.store, "statements_executed", None)
        return counted if isinstance(counted, int) else None
