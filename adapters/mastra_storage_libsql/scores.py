"""Scores domain on SQLite: ``mastra_scorers``, newest first (``createdAt`` DESC, then id)."""

from __future__ import annotations

from typing import Any

from mastra_storage.backend.scores import ScoreQuery, ScoresBackend
from mastra_storage.layout import SCORE_FILTER_COLUMNS, TABLE_SCORERS, record_columns
from mastra_storage.records import Score
from mastra_storage.timeutil import from_epoch_ms

from .domain import Keyset, LibSQLDomain, PageStatement, row_values
from .schema import SCORERS
from .sqlutil import (
    json_param,
    json_read,
    q,
    ts,
    ts_opt,
)
from .tx import Tx

# (attribute, column) for every Score field; all of them have a column (structuredOutput is ours).
_FIELDS = record_columns(Score)
_JSON = SCORERS.json_columns
_DATETIMES = frozenset(Score._datetime_fields)
_CONVERT = {
    "structured_output": lambda raw: None if raw is None else bool(raw),
    "score": lambda raw: None if raw is None else float(raw),
}
_COLUMN_NAMES = {c.name for c in SCORERS.all_columns}
assert all(column in _COLUMN_NAMES for _, column in _FIELDS), "Score field without a column"

SCORE_COLUMNS = ", ".join(json_read(col) if col in _JSON else q(col) for _, col in _FIELDS)
INSERT_SCORE = (
    f"INSERT INTO {TABLE_SCORERS} ({', '.join(q(col) for _, col in _FIELDS)}) VALUES ("
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
    return Score(
        **row_values(
            fields=_FIELDS, row=row, json_columns=_JSON, datetimes=_DATETIMES, convert=_CONVERT
        )
    )


class LibSQLScoresBackend(LibSQLDomain, ScoresBackend):
    """Scores in ``mastra_scorers``, newest first (``createdAt`` DESC, then id ASC). Every
    write is one statement in one ``BEGIN IMMEDIATE`` transaction; an existing id on
    insert is a :class:`~mastra_storage.errors.ConflictError` (the unique constraint)."""

    tables = (TABLE_SCORERS,)

    async def insert_score(self, score: Score) -> None:
        params = score_params(score)

        def job(tx: Tx) -> None:
            tx.execute(INSERT_SCORE, params)

        await self.db.run("saveScore", job)

    async def upsert_score(self, score: Score) -> None:
        params = score_params(score)

        def job(tx: Tx) -> None:
            tx.execute(UPSERT_SCORE, params)

        await self.db.run("saveScore", job)

    async def get_score(self, score_id: str) -> Score | None:
        return await self.read_one(
            "getScoreById",
            f"SELECT {SCORE_COLUMNS} FROM {TABLE_SCORERS} WHERE id = ?",
            (score_id,),
            score_from_row,
        )

    async def query_scores(self, query: ScoreQuery) -> tuple[list[Score], int]:
        where: list[str] = []
        params: list[Any] = []
        for name, column in SCORE_FILTER_COLUMNS.items():
            value = getattr(query, name)
            if value is not None:
                where.append(f"{q(column)} = ?")
                params.append(value)
        after: Keyset | None = None
        if query.after is not None:
            # Keyset in the listing's order: createdAt descending, then id ascending.
            created = ts(from_epoch_ms(query.after.key))
            after = (
                '("createdAt" < ? OR ("createdAt" = ? AND id > ?))',
                [created, created, str(query.after.tie)],
            )
        return await self.read_listing(
            "listScores",
            query,
            PageStatement(
                SCORE_COLUMNS,
                TABLE_SCORERS,
                where,
                params,
                after,
                ' ORDER BY "createdAt" DESC, id ASC',
                score_from_row,
            ),
        )


__all__ = ["LibSQLScoresBackend"]
