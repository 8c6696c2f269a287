"""The scores domain: results of scorers (evals), listed by scorer, run, entity or span."""

from __future__ import annotations

import math
import uuid
from abc import ABC, abstractmethod
from typing import Any, Protocol, runtime_checkable

import msgspec

from ..errors import ValidationError
from ..pagination import Page, has_more, page_window, validate_page_args
from ..records import Score, ScorePayload, ScoreSource
from ..timeutil import utc_now
from ..validation import (
    check_record_fields,
    dumps_record,
    optional_id,
    require_non_empty,
)

DEFAULT_SCORES_PER_PAGE = 100


class ScoreQuery(msgspec.Struct, kw_only=True, frozen=True):
    """Exact-match filters (``None``: not filtered), newest first (``created_at`` DESC, then
    ``id``), then ``offset``/``limit`` (``None``: all). Returns the page and the match count."""

    scorer_id: str | None = None
    run_id: str | None = None
    entity_id: str | None = None
    entity_type: str | None = None
    source: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    offset: int = 0
    limit: int | None = None

    def matches(self, score: Score) -> bool:
        """The filter, for adapters that filter in Python."""
        for name in (
            "scorer_id",
            "run_id",
            "entity_id",
            "entity_type",
            "source",
            "trace_id",
            "span_id",
        ):
            wanted = getattr(self, name)
            if wanted is not None and getattr(score, name) != wanted:
                return False
        return True


@runtime_checkable
class ScoresStore(Protocol):
    async def init(self) -> None: ...
    async def dangerously_clear_all(self) -> None: ...
    async def save_score(self, payload: ScorePayload) -> Score: ...
    async def get_score_by_id(self, score_id: str) -> Score | None: ...
    async def list_scores_by_scorer_id(
        self,
        scorer_id: str,
        *,
        entity_id: str | None = None,
        entity_type: str | None = None,
        source: ScoreSource | None = None,
        page: int = 0,
        per_page: int | None = DEFAULT_SCORES_PER_PAGE,
    ) -> Page[Score]: ...
    async def list_scores_by_run_id(
        self, run_id: str, *, page: int = 0, per_page: int | None = DEFAULT_SCORES_PER_PAGE
    ) -> Page[Score]: ...
    async def list_scores_by_entity_id(
        self,
        entity_id: str,
        *,
        entity_type: str,
        page: int = 0,
        per_page: int | None = DEFAULT_SCORES_PER_PAGE,
    ) -> Page[Score]: ...
    async def list_scores_by_span(
        self,
        *,
        trace_id: str,
        span_id: str,
        page: int = 0,
        per_page: int | None = DEFAULT_SCORES_PER_PAGE,
    ) -> Page[Score]: ...


class BaseScoresStore(ABC):
    """Implements :class:`ScoresStore` on top of backend primitives."""

    async def init(self) -> None:
        """Create tables/indexes; adapters override. Must be idempotent."""

    @abstractmethod
    async def dangerously_clear_all(self) -> None: ...

    @abstractmethod
    async def _insert_score(self, score: Score) -> None: ...

    @abstractmethod
    async def _get_score(self, score_id: str) -> Score | None: ...

    @abstractmethod
    async def _query_scores(self, query: ScoreQuery) -> tuple[list[Score], int]: ...

    async def _upsert_score(self, score: Score) -> None:
        """Store ``score``, atomically replacing a stored score with the same id (a
        ``save_score`` with a supplied id). This default only inserts, so an existing id
        raises :class:`ConflictError`; adapters override it with an atomic replace."""
        await self._insert_score(score)

    async def _scan_scores(
        self, position: str | None, limit: int
    ) -> tuple[list[Score], str | None]:
        """Optional enumeration primitive (used by ``mastra_storage.transfer``): up to
        ``limit`` scores after the opaque ``position`` (``None``: from the start) and the
        next position (``None``: done). This default pages the unfiltered score query by
        offset, newest first: a concurrent insert only repeats a row; adapters whose score
        query needs a filter (or that can walk by key) override it."""
        offset = int(position or 0)
        scores, _ = await self._query_scores(ScoreQuery(offset=offset, limit=limit))
        scores = scores[:limit]
        return scores, str(offset + len(scores)) if len(scores) == limit else None

    async def save_score(self, payload: ScorePayload) -> Score:
        """Store a score with ``created_at = updated_at = now`` and return it.

        The payload's ``id`` is kept when given: a score already stored under that id is
        replaced as a whole, in one atomic write (latest write wins, as Mastra's adapters
        do). Without an id a new UUID is generated. Raises :class:`ValidationError` for an
        invalid payload, before anything is written."""
        if not isinstance(payload, ScorePayload):
            raise ValidationError(
                f"expected a ScorePayload, got {type(payload).__name__}",
                id="MASTRA_STORAGE_SAVE_SCORE_VALIDATION_FAILED",
            )
        for name in ("scorer_id", "entity_id", "run_id"):
            require_non_empty(getattr(payload, name), field=name, operation="SAVE_SCORE")
        if (
            not isinstance(payload.score, (int, float))
            or isinstance(payload.score, bool)
            or not math.isfinite(payload.score)
        ):
            raise ValidationError(
                "score must be a finite number",
                id="MASTRA_STORAGE_SAVE_SCORE_VALIDATION_FAILED",
            )
        for name in ("id", "entity_type", "trace_id", "span_id", "resource_id", "thread_id"):
            optional_id(getattr(payload, name), field=name, operation="SAVE_SCORE")
        check_record_fields(payload, operation="SAVE_SCORE")
        fields: dict[str, Any] = {
            f.name: getattr(payload, f.name) for f in msgspec.structs.fields(payload)
        }
        dumps_record(payload, operation="SAVE_SCORE")  # JSON-serialisable before any write
        now = utc_now()
        fields["score"] = float(payload.score)
        fields["id"] = payload.id if payload.id is not None else str(uuid.uuid4())
        score = Score(created_at=now, updated_at=now, **fields)
        if payload.id is None:
            await self._insert_score(score)
        else:
            await self._upsert_score(score)
        return score

    async def get_score_by_id(self, score_id: str) -> Score | None:
        require_non_empty(score_id, field="score_id", operation="GET_SCORE_BY_ID")
        return await self._get_score(score_id)

    async def _list(self, query: ScoreQuery, page: int, per_page: int | None) -> Page[Score]:
        validate_page_args(page, per_page, operation="LIST_SCORES")
        window = page_window(page, per_page)
        scores, total = await self._query_scores(
            msgspec.structs.replace(query, offset=window.offset, limit=window.limit)
        )
        return Page(
            items=scores,
            total=total,
            page=page,
            per_page=per_page,
            has_more=has_more(page, per_page, total),
        )

    async def list_scores_by_scorer_id(
        self,
        scorer_id: str,
        *,
        entity_id: str | None = None,
        entity_type: str | None = None,
        source: ScoreSource | None = None,
        page: int = 0,
        per_page: int | None = DEFAULT_SCORES_PER_PAGE,
    ) -> Page[Score]:
        require_non_empty(scorer_id, field="scorer_id", operation="LIST_SCORES_BY_SCORER_ID")
        for name, value in (("entity_id", entity_id), ("entity_type", entity_type)):
            optional_id(value, field=name, operation="LIST_SCORES_BY_SCORER_ID")
        if source is not None and source not in ("LIVE", "TEST"):
            raise ValidationError(
                f"source must be 'LIVE', 'TEST' or None, got {source!r:.40}",
                id="MASTRA_STORAGE_LIST_SCORES_BY_SCORER_ID_INVALID_ARGS",
            )
        query = ScoreQuery(
            scorer_id=scorer_id, entity_id=entity_id, entity_type=entity_type, source=source
        )
        return await self._list(query, page, per_page)

    async def list_scores_by_run_id(
        self, run_id: str, *, page: int = 0, per_page: int | None = DEFAULT_SCORES_PER_PAGE
    ) -> Page[Score]:
        require_non_empty(run_id, field="run_id", operation="LIST_SCORES_BY_RUN_ID")
        return await self._list(ScoreQuery(run_id=run_id), page, per_page)

    async def list_scores_by_entity_id(
        self,
        entity_id: str,
        *,
        entity_type: str,
        page: int = 0,
        per_page: int | None = DEFAULT_SCORES_PER_PAGE,
    ) -> Page[Score]:
        require_non_empty(entity_id, field="entity_id", operation="LIST_SCORES_BY_ENTITY_ID")
        require_non_empty(entity_type, field="entity_type", operation="LIST_SCORES_BY_ENTITY_ID")
        return await self._list(
            ScoreQuery(entity_id=entity_id, entity_type=entity_type), page, per_page
        )

    async def list_scores_by_span(
        self,
        *,
        trace_id: str,
        span_id: str,
        page: int = 0,
        per_page: int | None = DEFAULT_SCORES_PER_PAGE,
    ) -> Page[Score]:
        require_non_empty(trace_id, field="trace_id", operation="LIST_SCORES_BY_SPAN")
        require_non_empty(span_id, field="span_id", operation="LIST_SCORES_BY_SPAN")
        return await self._list(ScoreQuery(trace_id=trace_id, span_id=span_id), page, per_page)


__all__ = ["DEFAULT_SCORES_PER_PAGE", "BaseScoresStore", "ScoreQuery", "ScoresStore"]
