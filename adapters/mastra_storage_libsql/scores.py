"""Scores domain on SQLite: ``mastra_scorers``, newest first (``createdAt`` DESC, then id)."""

from __future__ import annotations

from typing import Any

import msgspec

from mastra_storage.domains.scores import BaseScoresStore, ScoreQuery
from mastra_storage.records import Score

from .connection import Tx
from .domain import LibSQLDomain
from .schema import SCORERS
from .sqlutil import (
    json_param,
    json_read,
    json_value,
    limit_offset,
    parse_ts_opt,
    q,
    ts_opt,
)

# (attribute, column) for every Score field; all of them have a column (structuredOutput is ours).
_FIELDS: tuple[tuple[str, str], ...] = tuple(
    (f.name, f.encode_name) for f in msgspec.structs.fields(Score)
)
_JSON = SCORERS.json_columns
_DATETIMES = frozenset(Score._datetime_fields)
_COLUMN_NAMES = {c.name for c in SCORERS.all_columns}
assert all(column in _COLUMN_NAMES for _, column in _FIELDS), "Score field without a column"

SCORE_COLUMNS = ", ".join(json_read(col) if col in _JSON else q(col) for _, col in _FIELDS)
INSERT_SCORE = (
    f"INSERT INTO mastra_scorers ({', '.join(q(col) for _, col in _FIELDS)}) VALUES ("
    + ", ".join("jsonb(?)" if col in _JSON else "?" for _, col in _FIELDS)
    + ")"
)
# A supplied id replaces the stored score as a whole, in one statement (Mastra's
# delete-then-insert, made atomic); the row keeps its rowid.
UPSERT_SCORE = (
    INSERT_SCORE
    + " ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{q(col)} = excluded.{q(col)}" for _, col in _FIELDS if col != "id")
)
_FILTERS: tuple[tuple[str, str], ...] = (
    ("scorer_id", "scorerId"),
    ("run_id", "runId"),
    ("entity_id", "entityId"),
    ("entity_type", "entityType"),
    ("source", "source"),
    ("trace_id", "traceId"),
    ("span_id", "spanId"),
)


def score_params(score: Score) -> list[Any]:
    out: list[Any] = []
    for name, column in _FIELDS:
        value = getattr(score, name)
        if column in _JSON:
            out.append(json_param(value))
        elif name in _DATETIMES:
            out.append(ts_opt(value))
        elif isinstance(value, bool):
            out.append(int(value))
        else:
            out.append(value)
    return out


def score_from_row(row: tuple[Any, ...]) -> Score:
    values: dict[str, Any] = {}
    for (name, column), raw in zip(_FIELDS, row, strict=True):
        if column in _JSON:
            values[name] = json_value(raw)
        elif name in _DATETIMES:
            values[name] = parse_ts_opt(raw)
        elif name == "structured_output":
            values[name] = None if raw is None else bool(raw)
        elif name == "score":
            values[name] = None if raw is None else float(raw)
        else:
            values[name] = raw
    return Score(**values)


class LibSQLScoresStore(LibSQLDomain, BaseScoresStore):
    tables = ("mastra_scorers",)

    async def _insert_score(self, score: Score) -> None:
        params = score_params(score)

        def job(tx: Tx) -> None:
            tx.execute(INSERT_SCORE, params)

        await self._db.run("saveScore", job)

    async def _upsert_score(self, score: Score) -> None:
        params = score_params(score)

        def job(tx: Tx) -> None:
            tx.execute(UPSERT_SCORE, params)

        await self._db.run("saveScore", job)

    async def _get_score(self, score_id: str) -> Score | None:
        def job(tx: Tx) -> Score | None:
            row = tx.fetchone(
                f"SELECT {SCORE_COLUMNS} FROM mastra_scorers WHERE id = ?", (score_id,)
            )
            return None if row is None else score_from_row(row)

        return await self._db.run("getScoreById", job, mode="none")

    async def _query_scores(self, query: ScoreQuery) -> tuple[list[Score], int]:
        where: list[str] = []
        params: list[Any] = []
        for name, column in _FILTERS:
            value = getattr(query, name)
            if value is not None:
                where.append(f"{q(column)} = ?")
                params.append(value)
        where_sql = " WHERE " + " AND ".join(where) if where else ""
        limit_sql, limit_params = limit_offset(query.limit, query.offset)

        def job(tx: Tx) -> tuple[list[Score], int]:
            row = tx.fetchone(f"SELECT COUNT(*) FROM mastra_scorers{where_sql}", params)
            rows = tx.fetchall(
                f"SELECT {SCORE_COLUMNS} FROM mastra_scorers{where_sql} "
                f'ORDER BY "createdAt" DESC, id ASC{limit_sql}',
                params + limit_params,
            )
            return [score_from_row(r) for r in rows], int(row[0]) if row else 0

        return await self._db.run("listScores", job, mode="read")


__all__ = ["LibSQLScoresStore"]
