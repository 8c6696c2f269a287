"""Scores backend on Redis: ``mastra_scorers:id:<id>`` plus one time index per way of listing.

Mastra ``SCAN``s every score for every list call; here each list reads one index set
(by scorer, run, entity or span), newest first, ties by id ascending.
"""

from __future__ import annotations

from typing import Any, TypeGuard

from redis.asyncio.client import Pipeline

from mastra_storage.backend.scores import ScoreQuery, ScoresBackend
from mastra_storage.layout import TABLE_SCORERS
from mastra_storage.records import Score

from .adopt import score_adopter
from .db import RedisDB, begin, decode_json
from .errors import operation
from .indexes import (
    list_index,
    score_index_keys,
    score_member,
)
from .keys import parse_timed_member
from .lex import HIGHEST, LOWEST
from .rows import score_from_json, score_to_json
from .scan import delete_matching


class UpstashScoresBackend(ScoresBackend):
    """Scores as Mastra stores them, with our time indexes; also enumerates every score
    for copies (:class:`~mastra_storage.backend.SupportsScoreScan`)."""

    def __init__(self, db: RedisDB) -> None:
        self._db = db
        self._k = db.keys
        #: Indexes scores a Mastra app saved, a bounded step per listing (adopt.py).
        self.adopter = score_adopter(db)

    @operation("saveScore")
    async def insert_score(self, score: Score) -> None:
        """Write the score and its index entries in one ``MULTI`` (generated ids are new,
        so nothing is read first)."""
        member = score_member(score)
        async with self._db.client.pipeline(transaction=True) as pipe:
            self._db.set_json(pipe, self._k.score(score.id), score_to_json(score), "score")
            for key in score_index_keys(self._db, score):
                self._db.zadd(pipe, key, [member], "score")
            await pipe.execute()

    @operation("saveScore")
    async def upsert_score(self, score: Score) -> None:
        """A score with a supplied id: replace a stored one and its index entries in one
        optimistic transaction (``WATCH`` the key, ``GET`` it, then ``MULTI``: the old
        entries out, the new record and entries in)."""
        key = self._k.score(score.id)
        member = score_member(score)

        async def body(pipe: Pipeline) -> None:
            row = decode_json(await pipe.get(key))
            old = score_from_json(row) if _is_score(row, score.id) else None
            begin(pipe)
            if old is not None:
                old_member = score_member(old)
                for index_key in score_index_keys(self._db, old):
                    pipe.zrem(index_key, old_member)
            self._db.set_json(pipe, key, score_to_json(score), "score")
            for index_key in score_index_keys(self._db, score):
                self._db.zadd(pipe, index_key, [member], "score")

        await self._db.transaction([key], body)

    @operation("getScoreById")
    async def get_score(self, score_id: str) -> Score | None:
        """One ``MGET`` of the score's key."""
        rows = await self._db.mget_json([self._k.score(score_id)])
        return score_from_json(rows[0]) if _is_score(rows[0], score_id) else None

    async def _load(self, members: list[str]) -> list[Score | None]:
        ids = [parse_timed_member(m)[1] for m in members]
        rows = await self._db.mget_json([self._k.score(i) for i in ids])
        return [
            score_from_json(r) if _is_score(r, i) else None for r, i in zip(rows, ids, strict=True)
        ]

    @operation("listScores")
    async def query_scores(self, query: ScoreQuery) -> tuple[list[Score], int]:
        """One index answers the query (scorer, run, entity or span); filters it cannot
        express (entity or source on a scorer's listing) read that index whole and run
        :meth:`ScoreQuery.execute`."""
        await self.adopter.step()  # scores a Mastra app saved (1 DBSIZE when quiet)
        k = self._k
        residual = False
        if query.scorer_id is not None:
            key = k.scores_by("scorer", query.scorer_id)
            residual = bool(query.entity_id or query.entity_type or query.source)
        elif query.run_id is not None:
            key = k.scores_by("run", query.run_id)
        elif query.entity_id is not None:
            key = k.scores_by("entity", query.entity_id, query.entity_type or "")
        elif query.trace_id is not None and query.span_id is not None:
            key = k.scores_by("span", query.trace_id, query.span_id)
        else:  # pragma: no cover - the domain always sets one of the above
            raise AssertionError("unsupported score query")
        return await list_index(
            self._db,
            key,
            (LOWEST, HIGHEST),
            self._load,
            query,
            residual=residual,
            execute=query.execute,
            ties_ascending=True,
        )

    async def scan_scores(self, position: str | None, limit: int) -> tuple[list[Score], str | None]:
        """Every score, for copies: scores are only indexed by scorer, run, entity and span,
        so this walks the ``mastra_scorers:id:*`` keys with ``SCAN`` (maintenance only).
        The position is the SCAN cursor: every key present for the whole walk is returned;
        a key may come twice, which the copy's idempotent sink absorbs."""
        prefix = self._k.score("")
        cursor, keys = await self._db.client.scan(
            cursor=int(position or 0), match=self._k.table_pattern(TABLE_SCORERS), count=limit
        )
        rows = await self._db.mget_json([str(k) for k in keys if str(k).startswith(prefix)])
        scores = [score_from_json(r) for r in rows if isinstance(r, dict)]
        return scores, None if int(cursor) == 0 else str(cursor)

    @operation("dangerouslyClearAll")
    async def dangerously_clear_all(self) -> None:
        """Delete every score key and score index (SCAN: maintenance only)."""
        for pattern in (self._k.table_pattern(TABLE_SCORERS), self._k.ours_pattern("scores")):
            await delete_matching(self._db.client, pattern)


def _is_score(row: Any, score_id: str) -> TypeGuard[dict[str, Any]]:
    """Whether a loaded row is score ``score_id`` (score keys are unambiguous; this guards
    against a record written under the wrong key by something other than this adapter)."""
    return isinstance(row, dict) and row.get("id") == score_id


__all__ = ["UpstashScoresBackend"]
