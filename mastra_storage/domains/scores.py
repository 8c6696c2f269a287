"""The scores domain: results of scorers (evals), listed by scorer, run, entity or span."""

from __future__ import annotations

import math
import uuid
from typing import Any

import msgspec

from ..backend.scores import ScoreQuery, ScoresBackend
from ..errors import ValidationError
from ..pagination import Page
from ..records import Score, ScorePayload, ScoreSource
from ..timeutil import utc_now
from ..validation import (
    check_record_fields,
    dumps_record,
    optional_id,
    require_non_empty,
)
from .base import DomainStore
from .paging import page_query

DEFAULT_SCORES_PER_PAGE = 100


class ScoresStore(DomainStore[ScoresBackend]):
    """Scorer results (evals), composed over a :class:`~mastra_storage.backend.ScoresBackend`.

    Validates payloads before any I/O (:class:`~mastra_storage.errors.ValidationError`,
    nothing written) and pages the backend's queries. Each write is one atomic unit.

    Errors every method may raise, besides those its own docstring names:
    :class:`~mastra_storage.errors.UnavailableError` (the backend cannot be reached, or
    did not answer within ``operation_timeout``; a write that fails this way was either
    applied whole or not at all), :class:`~mastra_storage.errors.StoreClosedError` (the
    store was closed), :class:`~mastra_storage.errors.EventLoopMismatchError` (called
    from another event loop than the store's) and
    :class:`~mastra_storage.errors.BackendError` (an unexpected backend failure).
    """

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
            await self.backend.insert_score(score)
        else:
            await self.backend.upsert_score(score)
        return score

    async def get_score_by_id(self, score_id: str) -> Score | None:
        """The score with this id, or ``None``. One read.

        :raises ValidationError: an empty or non-string ``score_id``, before any I/O.
        :raises UnavailableError: the backend cannot be reached or did not answer in time.
        """
        require_non_empty(score_id, field="score_id", operation="GET_SCORE_BY_ID")
        return await self.backend.get_score(score_id)

    async def _list(
        self,
        query: ScoreQuery,
        page: int,
        per_page: int | None,
        cursor: str | None,
        include_total: bool,
    ) -> Page[Score]:
        return await page_query(
            self.backend.query_scores,
            query,
            scope=("scores",),
            key=ScoreQuery.key,
            direction="DESC",
            page=page,
            per_page=per_page,
            cursor=cursor,
            include_total=include_total,
            operation="LIST_SCORES",
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
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[Score]:
        """A scorer's scores, newest first, optionally narrowed to one entity (``entity_id``,
        ``entity_type``) and one ``source`` (``"LIVE"`` or ``"TEST"``).

        Paging is the same for every list: ``page``/``per_page`` (``None``: all), or ``cursor``
        (the previous page's ``next_cursor``, stable while rows are added); ``include_total=False``
        skips the count. One read (a page and its total come from one snapshot where the backend
        allows).

        :raises ValidationError: an empty id, a bad ``source``, bad paging arguments or a cursor
            from another query, before any I/O.
        :raises UnavailableError: the backend cannot be reached or did not answer in time.
        """
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
        return await self._list(query, page, per_page, cursor, include_total)

    async def list_scores_by_run_id(
        self,
        run_id: str,
        *,
        page: int = 0,
        per_page: int | None = DEFAULT_SCORES_PER_PAGE,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[Score]:
        """The scores of one run (agent or workflow run id), newest first; paging as in
        :meth:`list_scores_by_scorer_id`.

        :raises ValidationError: an empty ``run_id`` or bad paging arguments, before any I/O.
        :raises UnavailableError: the backend cannot be reached or did not answer in time.
        """
        require_non_empty(run_id, field="run_id", operation="LIST_SCORES_BY_RUN_ID")
        return await self._list(ScoreQuery(run_id=run_id), page, per_page, cursor, include_total)

    async def list_scores_by_entity_id(
        self,
        entity_id: str,
        *,
        entity_type: str,
        page: int = 0,
        per_page: int | None = DEFAULT_SCORES_PER_PAGE,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[Score]:
        """The scores of one entity (an agent or workflow: ``entity_id`` with its
        ``entity_type``), newest first; paging as in :meth:`list_scores_by_scorer_id`.

        :raises ValidationError: an empty id or type, or bad paging arguments, before any I/O.
        :raises UnavailableError: the backend cannot be reached or did not answer in time.
        """
        require_non_empty(entity_id, field="entity_id", operation="LIST_SCORES_BY_ENTITY_ID")
        require_non_empty(entity_type, field="entity_type", operation="LIST_SCORES_BY_ENTITY_ID")
        return await self._list(
            ScoreQuery(entity_id=entity_id, entity_type=entity_type),
            page,
            per_page,
            cursor,
            include_total,
        )

    async def list_scores_by_span(
        self,
        *,
        trace_id: str,
        span_id: str,
        page: int = 0,
        per_page: int | None = DEFAULT_SCORES_PER_PAGE,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[Score]:
        """The scores attached to one span (``trace_id`` and ``span_id``), newest first; paging
        as in :meth:`list_scores_by_scorer_id`.

        :raises ValidationError: an empty id or bad paging arguments, before any I/O.
        :raises UnavailableError: the backend cannot be reached or did not answer in time.
        """
        require_non_empty(trace_id, field="trace_id", operation="LIST_SCORES_BY_SPAN")
        require_non_empty(span_id, field="span_id", operation="LIST_SCORES_BY_SPAN")
        return await self._list(
            ScoreQuery(trace_id=trace_id, span_id=span_id), page, per_page, cursor, include_total
        )


__all__ = ["DEFAULT_SCORES_PER_PAGE", "ScoreQuery", "ScoresBackend", "ScoresStore"]
