"""Validate import records with the stores' own checks, without touching any store.

The first pass of an import must reject every record the writing pass would reject, so
the file is refused before anything is written. Rather than re-stating the domain rules
here (they would drift), each record goes through the public write method of a core domain
store composed over a backend whose methods do nothing: ``save_thread``, ``save_messages``,
``save_resource``, ``persist_workflow_snapshot``, ``save_score`` and
``batch_create_spans`` run their validation exactly as on a real store, then "write"
into a no-op. Backend-specific limits (record size, key rules) are only known to the
adapter at write time; see docs/transfer.md for what that means for an import.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

from ..backend.memory import MemoryBackend
from ..backend.observability import ObservabilityBackend
from ..backend.scores import ScoresBackend
from ..backend.workflows import WorkflowsBackend
from ..domains.memory import MemoryStore
from ..domains.observability import ObservabilityStore
from ..domains.scores import ScoresStore
from ..domains.workflows import WorkflowsStore
from ..errors import ValidationError
from ..records import Message, Resource, Score, ScorePayload, Span, Thread, WorkflowRun
from ..validation import require_non_empty


async def _nothing(*_args: Any, **_kwargs: Any) -> None:
    """Every method of a checking backend: validation already ran, store nothing."""
    return None


def _checking(contract: type[Any]) -> Any:
    """An instance of the backend contract ``contract`` whose abstract methods are no-ops."""
    methods: frozenset[str] = getattr(contract, "__abstractmethods__", frozenset())
    namespace: dict[str, Callable[..., Any]] = {name: _nothing for name in methods}
    cls = type(f"Checking{contract.__name__}", (contract,), namespace)
    return cls()


_SCORE_PAYLOAD_FIELDS = tuple(f for f in ScorePayload.__struct_fields__)


class RecordChecker:
    """``await checker.check(kind, records)`` raises the ``ValidationError`` the store would."""

    def __init__(self) -> None:
        self.memory = MemoryStore(_checking(MemoryBackend))
        self.workflows = WorkflowsStore(_checking(WorkflowsBackend))
        self.scores = ScoresStore(_checking(ScoresBackend))
        self.observability = ObservabilityStore(_checking(ObservabilityBackend))

    async def check(self, kind: str, record: Any) -> None:
        """Run the domain's own validation for one record; raises ``ValidationError``."""
        if kind == "thread":
            await self.memory.save_thread(_expect(record, Thread))
        elif kind == "message":
            await self.memory.save_messages([_expect(record, Message)])
        elif kind == "resource":
            await self.memory.save_resource(_expect(record, Resource))
        elif kind == "workflow_run":
            run = _expect(record, WorkflowRun)
            await self.workflows.persist_workflow_snapshot(
                workflow_name=run.workflow_name,
                run_id=run.run_id,
                snapshot=run.snapshot,
                resource_id=run.resource_id,
                created_at=run.created_at,
                updated_at=run.updated_at,
            )
        elif kind == "score":
            score = _expect(record, Score)
            check_score(score)
            payload = ScorePayload(**{f: getattr(score, f) for f in _SCORE_PAYLOAD_FIELDS})
            await self.scores.save_score(payload)
        elif kind == "span":
            await self.observability.batch_create_spans([_expect(record, Span)])
        else:
            raise ValidationError(
                f"unknown record kind {kind!r}", id="MASTRA_STORAGE_TRANSFER_INVALID_INPUT"
            )


RecordT = TypeVar("RecordT")


def _expect(record: Any, cls: type[RecordT]) -> RecordT:
    if not isinstance(record, cls):
        raise ValidationError(
            f"expected a {cls.__name__}, got {type(record).__name__}",
            id="MASTRA_STORAGE_TRANSFER_INVALID_INPUT",
        )
    return record


def check_score(score: Score) -> None:
    """What a stored score needs beyond ``save_score``'s checks: its own id."""
    require_non_empty(score.id, field="id", operation="IMPORT_SCORE")
    if isinstance(score.score, bool) or not math.isfinite(score.score):
        raise ValidationError(
            "score must be a finite number", id="MASTRA_STORAGE_TRANSFER_INVALID_INPUT"
        )


__all__ = ["RecordChecker", "check_score"]
