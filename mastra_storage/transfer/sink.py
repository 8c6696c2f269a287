"""Write batches into a store idempotently, and check that they arrived.

Every write is an upsert keyed by the record's own id, with the record's own timestamps,
so running a copy twice (or resuming one) leaves the same destination. Messages are
written with ``now = thread.updated_at`` so the thread keeps its source ``updated_at``.
Scores have no upsert: an id already present is left as is. Records are validated by the
public checks before any write (an import file is untrusted input).

``verify`` reads the batch's keys back from the destination: the count check compares
what the source produced with what the destination holds, page by page (bounded memory).
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

from ..composite import MastraStorage
from ..domains.memory import MemoryStore, check_message
from ..domains.observability import ObservabilityStore
from ..domains.scores import ScoresStore
from ..domains.workflows import WorkflowsStore
from ..errors import ConfigurationError, ValidationError
from ..records import Score, Span
from ..validation import require_non_empty
from .batch import Batch

D = TypeVar("D")


class Sink:
    """The destination store's domains, resolved once."""

    def __init__(self, store: MastraStorage) -> None:
        self.store = store
        self._domains: dict[str, Any] = {}

    async def domain(self, name: str) -> Any:
        if name not in self._domains:
            self._domains[name] = await self.store.get_store(name)
        return self._domains[name]

    async def supports(self, name: str) -> bool:
        return await self.domain(name) is not None

    async def _need(self, name: str, kind: type[D]) -> D:
        """The ``name`` domain as a core store over a backend (what the sink writes
        through); a missing or custom domain raises ``ConfigurationError``."""
        domain = await self.domain(name)
        if domain is None or not isinstance(domain, kind):
            raise ConfigurationError(
                f"the destination has no writable {name} domain",
                id="MASTRA_STORAGE_TRANSFER_UNSUPPORTED",
                details={"domain": name},
            )
        return domain

    async def write(self, batch: Batch) -> None:
        if not batch.records:
            return
        kind = batch.kind
        if kind == "thread":
            memory = await self._need("memory", MemoryStore)
            for thread in batch.records:
                await memory.save_thread(thread)
        elif kind == "message":
            memory = await self._need("memory", MemoryStore)
            if batch.thread is None:
                raise ValidationError(
                    "messages need their thread", id="MASTRA_STORAGE_TRANSFER_INVALID_INPUT"
                )
            checked = [check_message(m) for m in batch.records]
            for message in checked:
                if message.thread_id != batch.thread.id:
                    raise ValidationError(
                        f"message {message.id!r} does not belong to thread {batch.thread.id!r}",
                        id="MASTRA_STORAGE_TRANSFER_INVALID_INPUT",
                    )
            await memory.backend.save_messages(checked, batch.thread.updated_at)
        elif kind == "resource":
            memory = await self._need("memory", MemoryStore)
            for resource in batch.records:
                await memory.save_resource(resource)
        elif kind == "workflow_run":
            workflows = await self._need("workflows", WorkflowsStore)
            for run in batch.records:
                await workflows.persist_workflow_snapshot(
                    workflow_name=run.workflow_name,
                    run_id=run.run_id,
                    snapshot=run.snapshot,
                    resource_id=run.resource_id,
                    created_at=run.created_at,
                    updated_at=run.updated_at,
                )
        elif kind == "score":
            scores = await self._need("scores", ScoresStore)
            for score in batch.records:
                _check_score(score)
                if await scores.backend.get_score(score.id) is None:
                    await scores.backend.insert_score(score)
        elif kind == "span":
            observability = await self._need("observability", ObservabilityStore)
            for span in batch.records:
                _check_span(span)
            await observability.backend.upsert_spans(list(batch.records))

    async def verify(self, batch: Batch) -> int:
        """How many of the batch's records the destination holds (by key)."""
        if not batch.records:
            return 0
        kind = batch.kind
        if kind in ("thread", "message", "resource"):
            memory = (await self._need("memory", MemoryStore)).backend
            if kind == "thread":
                return sum([await memory.get_thread(t.id) is not None for t in batch.records])
            if kind == "message":
                found = await memory.get_messages([m.id for m in batch.records])
                return len({row.message.id for row in found})
            return sum([await memory.get_resource(r.id) is not None for r in batch.records])
        if kind == "workflow_run":
            workflows = (await self._need("workflows", WorkflowsStore)).backend
            return sum(
                [
                    await workflows.get_run(r.workflow_name, r.run_id) is not None
                    for r in batch.records
                ]
            )
        if kind == "score":
            scores = (await self._need("scores", ScoresStore)).backend
            return sum([await scores.get_score(s.id) is not None for s in batch.records])
        observability = (await self._need("observability", ObservabilityStore)).backend
        return sum(
            [await observability.get_span(s.trace_id, s.span_id) is not None for s in batch.records]
        )


def _check_score(score: Score) -> None:
    for name in ("id", "scorer_id", "entity_id", "run_id"):
        require_non_empty(getattr(score, name), field=name, operation="IMPORT_SCORE")
    if isinstance(score.score, bool) or not math.isfinite(score.score):
        raise ValidationError(
            "score must be a finite number", id="MASTRA_STORAGE_TRANSFER_INVALID_INPUT"
        )


def _check_span(span: Span) -> None:
    for name in ("trace_id", "span_id"):
        require_non_empty(getattr(span, name), field=name, operation="IMPORT_SPAN")
