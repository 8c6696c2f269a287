"""Scores domain on DynamoDB: ``score`` items, listed through Mastra's score GSIs.

``gsi1`` by scorer, ``gsi2`` by run, ``gsi4`` by entity, ``gsi7`` by (trace, span); each
query reads every page, then filters exactly (ElectroDB keys are lower-cased) and pages in
memory with the core's reference executor (:meth:`ScoreQuery.execute`).

Copy and export enumerate scores with :meth:`DynamoScoresBackend.scan_scores` (the
``SupportsScoreScan`` capability): the GSIs need a scorer, run, entity or span, so listing
every score is a table ``Scan`` filtered on the entity, paged by ``LastEvaluatedKey``.
"""

from __future__ import annotations

from mastra_storage.backend.scores import ScoreQuery, ScoresBackend
from mastra_storage.errors import ConflictError
from mastra_storage.records import Score

from . import items as conv
from . import keys
from .domain import DynamoBackendBase
from .errors import ConditionFailed
from .identity import holds_other, key_collision
from .table import Expr, check_item_size


def _index_for(query: ScoreQuery) -> tuple[str, list[str]]:
    if query.trace_id is not None and query.span_id is not None:
        return "gsi7", [query.trace_id, query.span_id]
    if query.run_id is not None:
        return "gsi2", [query.run_id]
    if query.entity_id is not None:
        return "gsi4", [query.entity_id]
    if query.scorer_id is not None:
        return "gsi1", [query.scorer_id]
    if query.trace_id is not None:
        return "gsi3", [query.trace_id]
    raise ValueError("a score query needs scorer_id, run_id, entity_id or trace_id")


class DynamoScoresBackend(DynamoBackendBase, ScoresBackend):
    """Scores as ``score`` items; each write is one conditional ``PutItem`` (atomic)."""

    entities = ("score",)

    async def insert_score(self, score: Score) -> None:
        """Create the score; a taken key raises ``ConflictError`` (same id) or
        ``KeyCollisionError`` (a case twin) and nothing is written."""
        item = self.with_ttl("score", conv.score_item(score))
        check_item_size(item, what=f"score {score.id}")
        expr = Expr()
        try:
            await self.table.put(item, expr=expr, condition=f"attribute_not_exists({expr.n('pk')})")
        except ConditionFailed:
            # Insert-only: the key is taken, by this id or (keys are lower-cased) a twin.
            stored = await self.table.get(keys.score_key(score.id))
            if holds_other(stored, {"id": score.id}):
                raise key_collision("score", {"id": score.id}) from None
            raise ConflictError(
                f"Score with id {score.id} already exists",
                id="MASTRA_STORAGE_DYNAMODB_SCORE_EXISTS",
                details={"score_id": score.id},
            ) from None

    async def upsert_score(self, score: Score) -> None:
        """Replace the score stored under ``score.id`` (or create it) with one ``PutItem``.

        Atomic; the condition admits only this exact id, so a case twin under the same
        lower-cased key raises :class:`KeyCollisionError` and nothing is written.
        """
        item = self.with_ttl("score", conv.score_item(score))
        check_item_size(item, what=f"score {score.id}")
        await self.put_own("score", item, {"id": score.id})

    async def get_score(self, score_id: str) -> Score | None:
        """The score stored under exactly this id (a case twin under the key is not it)."""
        item = await self.table.get(keys.score_key(score_id))
        if item is None or item.get("id") != score_id:
            return None
        return conv.score_from_item(item)

    async def query_scores(self, query: ScoreQuery) -> tuple[list[Score], int]:
        """Read the narrowest GSI's partition, then filter, order and page it in memory."""
        index, values = _index_for(query)
        found = await self.query_prefix(
            (index + "pk", keys.score_gsi_pk(index, values)),
            (index + "sk", keys.sort_prefix("score", "createdAt")),
            index=index,
        )
        return query.execute(map(conv.score_from_item, found))

    async def scan_scores(self, position: str | None, limit: int) -> tuple[list[Score], str | None]:
        """Up to ``limit`` scores after ``position`` (a table ``Scan`` page) and the next
        position (``None``: done). Reads the whole table: copy and export only."""
        found, position = await self.scan_entity("score", position, limit)
        return [conv.score_from_item(i) for i in found], position


__all__ = ["DynamoScoresBackend"]
