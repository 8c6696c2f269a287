"""The scores backend contract: results of scorers (evals)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable

import msgspec

from ..pagination import Cursor
from ..records import Score
from ..timeutil import to_epoch_ms
from .paging import PageKey, run_page


class ScoreQuery(msgspec.Struct, kw_only=True, frozen=True):
    """Exact-match filters (``None``: not filtered), newest first (``created_at`` DESC, then
    ``id`` ascending), then the paging fields of :mod:`mastra_storage.backend.paging`
    (``after``, ``offset``, ``limit + 1`` rows, ``count``)."""

    scorer_id: str | None = None
    run_id: str | None = None
    entity_id: str | None = None
    entity_type: str | None = None
    source: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    offset: int = 0
    limit: int | None = None
    after: Cursor | None = None
    count: bool = True

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

    @staticmethod
    def key(score: Score) -> PageKey:
        """A score's position in this order: ``(created_at ms, id)`` (ms descending, id
        ascending)."""
        return (to_epoch_ms(score.created_at), score.id)

    def execute(self, scores: Iterable[Score]) -> tuple[list[Score], int]:
        """The reference executor over scores in Python: filter, sort, count, cut after
        the cursor, slice ``limit + 1``."""
        return run_page(
            (score for score in scores if self.matches(score)),
            key=self.key,
            descending=True,
            tie_descending=False,
            after=self.after,
            offset=self.offset,
            limit=self.limit,
            count=self.count,
        )


class ScoresBackend(ABC):
    """What a backend implements for the scores domain. Every method is one atomic unit of
    I/O; arguments arrive validated."""

    async def init(self) -> None:
        """Create or upgrade what this domain needs. Idempotent; the default does nothing."""

    @abstractmethod
    async def dangerously_clear_all(self) -> None:
        """Delete every score (meant for tests)."""

    @abstractmethod
    async def insert_score(self, score: Score) -> None:
        """Insert a new score; an existing id raises
        :class:`~mastra_storage.errors.ConflictError` and writes nothing."""

    @abstractmethod
    async def upsert_score(self, score: Score) -> None:
        """Store ``score``, atomically replacing a stored score with the same id (latest
        write wins)."""

    @abstractmethod
    async def get_score(self, score_id: str) -> Score | None:
        """The score with this id, or ``None``."""

    @abstractmethod
    async def query_scores(self, query: ScoreQuery) -> tuple[list[Score], int]:
        """Execute a :class:`ScoreQuery`: up to ``limit + 1`` scores and the total (0 when
        ``query.count`` is false). :meth:`ScoreQuery.execute` is the reference."""


__all__ = ["ScoreQuery", "ScoresBackend"]
