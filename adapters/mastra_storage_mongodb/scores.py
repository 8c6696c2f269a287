"""Scores domain on MongoDB: ``mastra_scorers``, one camelCase document per score.

JSON fields (scorer, input, output, entity, ...) are native sub-documents and the
timestamps BSON dates, as ``@mastra/mongodb`` 1.19.0 stores them (so its TTL/retention
works on ``createdAt``). Lists are newest first, ties by ``id`` ascending.
"""

from __future__ import annotations

from typing import Any

from mastra_storage.backend.scores import ScoreQuery, ScoresBackend
from mastra_storage.layout import SCORE_FILTER_COLUMNS, SCORERS, TABLE_SCORERS
from mastra_storage.records import Score
from mastra_storage.validation import MAX_JSON_DEPTH, json_depth_exceeds

from .connection import Document
from .documents import (
    eq,
    plain,
    read_date,
    read_json,
    read_object,
    read_optional_date,
)
from .domain import MongoDomain
from .schema import SCORE_INDEXES

#: Object-valued fields an older writer may have stored as JSON strings: every JSON
#: column but ``input``/``output``, which may hold any JSON value (read below).
_OBJECT_FIELDS = SCORERS.json_columns - {"input", "output"}
#: ``ScoreQuery``'s order: newest first, ties by ``id`` ascending.
SCORE_SORT = [("createdAt", -1), ("id", 1)]
#: Fields @mastra/mongodb 1.19.0 always writes (``null`` when unset) and, when given a
#: string, stores as the JSON it parses to (``safelyParseJSON``: ``"123"`` is stored as the
#: number 123, ``"hello"`` as the string). Every other unset score field has no key.
_PARSED_FIELDS = (
    "input",
    "output",
    "scorer",
    "entity",
    "requestContext",
    "preprocessStepResult",
    "analyzeStepResult",
)


def _as_mastra_stores(value: Any) -> Any:
    """A string ``input``/``output`` as the release stores it: the JSON value it parses
    to, or the string itself when it is not JSON (or nests deeper than a document may)."""
    if not isinstance(value, str) or json_depth_exceeds(value, MAX_JSON_DEPTH - 2):
        return value
    return read_json(value)


def score_doc(score: Score) -> Document:
    """The document @mastra/mongodb 1.19.0 writes for this score (docs/decisions.md,
    "Null versus absent")."""
    doc = score.to_dict()
    for name in _PARSED_FIELDS:
        doc[name] = _as_mastra_stores(doc.get(name))
    doc["createdAt"] = score.created_at
    if score.updated_at is not None:
        doc["updatedAt"] = score.updated_at
    return doc


def score_from_doc(doc: Document) -> Score:
    data: dict[str, Any] = {
        k: v if k in ("createdAt", "updatedAt") else plain(v) for k, v in doc.items() if k != "_id"
    }
    for name in _OBJECT_FIELDS:
        if isinstance(data.get(name), str):
            data[name] = read_object(data[name])
    for name in ("input", "output"):  # a string stored by an older writer reads as Mastra's
        data[name] = _as_mastra_stores(data.get(name))
    data["createdAt"] = read_date(data.get("createdAt"), field="createdAt")
    data["updatedAt"] = read_optional_date(data.get("updatedAt"), field="updatedAt")
    return Score.from_dict(data)


class MongoScoresBackend(MongoDomain, ScoresBackend):
    """Scorer results, one document per score (unique ``id`` index): every write is one
    atomic single-document operation. A duplicate insert raises ``ConflictError``; driver
    errors arrive typed (:mod:`.errors`)."""

    collections = (TABLE_SCORERS,)
    indexes = SCORE_INDEXES

    async def insert_score(self, score: Score) -> None:
        doc = score_doc(score)
        self._conn.check_size(doc, "saveScore")
        await self._conn.guard("saveScore", self._conn.collection(TABLE_SCORERS).insert_one(doc))

    async def upsert_score(self, score: Score) -> None:
        # As @mastra/mongodb 1.19.0 saves a supplied id: replaceOne(upsert), one atomic
        # document write.
        doc = score_doc(score)
        self._conn.check_size(doc, "saveScore")
        await self._conn.guard(
            "saveScore",
            self._conn.collection(TABLE_SCORERS).replace_one({"id": score.id}, doc, upsert=True),
        )

    async def get_score(self, score_id: str) -> Score | None:
        doc = await self._conn.guard(
            "getScoreById", self._conn.collection(TABLE_SCORERS).find_one({"id": score_id})
        )
        return None if doc is None else score_from_doc(doc)

    async def query_scores(self, query: ScoreQuery) -> tuple[list[Score], int]:
        match: dict[str, Any] = {}
        for name, field in SCORE_FILTER_COLUMNS.items():
            value = getattr(query, name)
            if value is not None:
                match[field] = eq(value)
        docs, total = await self.find_page(
            "listScores",
            TABLE_SCORERS,
            match,
            query,
            sort=SCORE_SORT,
            keyset=("createdAt", "id"),
            ascending=False,
            tie_ascending=True,
        )
        return [score_from_doc(d) for d in docs], total


__all__ = ["MongoScoresBackend"]
