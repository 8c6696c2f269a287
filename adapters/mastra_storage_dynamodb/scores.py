"""Scores domain on DynamoDB: ``score`` items, listed through Mastra's score GSIs.

``gsi1`` by scorer, ``gsi2`` by run, ``gsi4`` by entity, ``gsi7`` by (trace, span); each
query reads every page, then filters exactly (ElectroDB keys are lower-cased), sorts
newest first and slices in memory.
"""

from __future__ import annotations

from mastra_storage.domains.scores import BaseScoresStore, ScoreQuery
from mastra_storage.errors import ConflictError
from mastra_storage.records import Score
from mastra_storage.timeutil import to_epoch_ms

from . import items as conv
from . import keys
from .domain import DynamoDomain
from .identity import holds_other, key_collision, same_record_condition
from .table import ConditionFailed, Expr, check_item_size
from .transfer_scan import DynamoScoreScan


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


class DynamoScoresStore(DynamoScoreScan, DynamoDomain, BaseScoresStore):
    entities = ("score",)

    async def _insert_score(self, score: Score) -> None:
        item = self.with_ttl("score", conv.score_item(score))
        check_item_size(item, what=f"score {score.id}")
        expr = Expr()
        try:
            await self._table.put(
                item, expr=expr, condition=f"attribute_not_exists({expr.n('pk')})"
            )
        except ConditionFailed:
            # Insert-only: the key is taken, by this id or (keys are lower-cased) a twin.
            stored = await self._table.get(keys.score_key(score.id))
            if holds_other(stored, {"id": score.id}):
                raise key_collision("score", {"id": score.id}) from None
            raise ConflictError(
                f"Score with id {score.id} already exists",
                id="MASTRA_STORAGE_DYNAMODB_SCORE_EXISTS",
                details={"score_id": score.id},
            ) from None

    async def _upsert_score(self, score: Score) -> None:
        """Replace the score stored under ``score.id`` (or create it) with one ``PutItem``.

        Atomic; the condition admits only this exact id, so a case twin under the same
        lower-cased key raises :class:`KeyCollisionError` and nothing is written.
        """
        item = self.with_ttl("score", conv.score_item(score))
        check_item_size(item, what=f"score {score.id}")
        expr = Expr()
        identity = {"id": score.id}
        try:
            await self._table.put(item, expr=expr, condition=same_record_condition(expr, identity))
        except ConditionFailed:
            raise key_collision("score", identity) from None

    async def _get_score(self, score_id: str) -> Score | None:
        item = await self._table.get(keys.score_key(score_id))
        if item is None or item.get("id") != score_id:
            return None
        return conv.score_from_item(item)

    async def _query_scores(self, query: ScoreQuery) -> tuple[list[Score], int]:
        index, values = _index_for(query)
        expr = Expr()
        found = await self._table.query_all(
            index=index,
            key_condition=(
                f"{expr.n(index + 'pk')} = {expr.v(keys.score_gsi_pk(index, values))} AND "
                f"begins_with({expr.n(index + 'sk')}, "
                f"{expr.v(keys.sort_prefix('score', 'createdAt'))})"
            ),
            expr=expr,
        )
        scores = sorted(
            (s for s in map(conv.score_from_item, found) if query.matches(s)),
            key=lambda s: (-to_epoch_ms(s.created_at), s.id),
        )
        end = None if query.limit is None else query.offset + query.limit
        return scores[query.offset : end], len(scores)


__all__ = ["DynamoScoresStore"]
