"""Scores backend on PostgreSQL: ``mastra_scorers``, newest first (``createdAt`` DESC, then id)."""

from __future__ import annotations

from typing import Any

from mastra_storage.backend.scores import ScoreQuery, ScoresBackend
from mastra_storage.layout import SCORE_FILTER_COLUMNS, TABLE_SCORERS, record_columns
from mastra_storage.records import Score

from .domain import PgBackend, PgContext
from .schema import SCORERS, q
from .sqlutil import (
    Params,
    json_param,
    json_param_required,
    json_param_text,
    json_value_unwrapped,
    keyset_after,
    naive,
    read_ts,
    read_ts_required,
)

# (attribute, column) for every Score field except the timestamps (two columns each).
_FIELDS: tuple[tuple[str, str], ...] = tuple(
    (name, column)
    for name, column in record_columns(Score)
    if name not in ("created_at", "updated_at")
)
_JSON = SCORERS.json_columns
# Columns @mastra/pg 1.27.1 writes as JSON text inside a jsonb string (json_param_text).
_TEXT_JSON = frozenset(
    {
        "input",
        "output",
        "scorer",
        "preprocessStepResult",
        "analyzeStepResult",
        "metadata",
        "additionalContext",
        "requestContext",
        "entity",
    }
)
_NOT_NULL = SCORERS.not_null
# An unset input/output: @mastra/pg 1.27.1 writes `toPgJson(undefined) || ""`, the jsonb
# empty string. A set value is JSON text inside a jsonb string, never empty, so this reads
# back unambiguously as unset (Mastra's own read API shows it as "").
_UNSET_TEXT_JSON = '""'
_KNOWN = set(SCORERS.all_column_names())
assert all(column in _KNOWN for _, column in _FIELDS), "Score field without a column"

_SELECT = (
    ", ".join(q(col) for _, col in _FIELDS)
    + ', "createdAt", "createdAtZ", "updatedAt", "updatedAtZ"'
)
_N = len(_FIELDS)


def score_params(score: Score) -> list[Any]:
    out: list[Any] = []
    for name, column in _FIELDS:
        value = getattr(score, name)
        if column in _TEXT_JSON and value is None and column in _NOT_NULL:
            out.append(_UNSET_TEXT_JSON)
        elif column in _TEXT_JSON and value is not None:
            out.append(json_param_text(value))
        elif column in _JSON:
            out.append(json_param_required(value) if column in _NOT_NULL else json_param(value))
        elif name == "score":
            out.append(float(value))
        else:
            out.append(value)
    updated = score.updated_at or score.created_at
    out += [naive(score.created_at), score.created_at, naive(updated), updated]
    return out


def score_from_row(row: Any, offset: int = 0) -> Score:
    values: dict[str, Any] = {}
    for index, (name, column) in enumerate(_FIELDS):
        raw = row[offset + index]
        if column in _TEXT_JSON and raw == _UNSET_TEXT_JSON:
            values[name] = None
        elif column in _JSON:
            values[name] = json_value_unwrapped(raw)
        elif name == "score":
            values[name] = None if raw is None else float(raw)
        else:
            values[name] = raw
    base = offset + _N
    values["created_at"] = read_ts_required(row[base + 1], row[base])
    values["updated_at"] = read_ts(row[base + 3], row[base + 2])
    return Score(**values)


class PgScoresBackend(PgBackend, ScoresBackend):
    """Scores in ``mastra_scorers``, written as ``@mastra/pg`` 1.27.1 writes them; each
    method is one statement, and errors are typed (:mod:`.errors`)."""

    tables = (TABLE_SCORERS,)

    def __init__(self, ctx: PgContext) -> None:
        super().__init__(ctx)
        self._table = self.t(TABLE_SCORERS)
        columns = [q(col) for _, col in _FIELDS]
        columns += ['"createdAt"', '"createdAtZ"', '"updatedAt"', '"updatedAtZ"']
        placeholders = [
            f"${i}::jsonb" if i <= _N and _FIELDS[i - 1][1] in _JSON else f"${i}"
            for i in range(1, len(columns) + 1)
        ]
        self._insert_sql = (
            f"INSERT INTO {self._table} ({', '.join(columns)}) VALUES ({', '.join(placeholders)})"
        )
        # A supplied id replaces the stored score as a whole in one statement (Mastra's
        # delete-then-insert, made atomic and safe under concurrent saves of one id).
        self._upsert_sql = (
            self._insert_sql
            + " ON CONFLICT (id) DO UPDATE SET "
            + ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != '"id"')
        )

    async def insert_score(self, score: Score) -> None:
        """One ``INSERT``; an existing id fails with the driver's unique violation, which
        :mod:`.errors` types as :class:`~mastra_storage.errors.ConflictError`."""
        await self._db.execute("saveScore", self._insert_sql, *score_params(score))

    async def upsert_score(self, score: Score) -> None:
        """One ``INSERT ... ON CONFLICT (id) DO UPDATE`` replacing every column."""
        await self._db.execute("saveScore", self._upsert_sql, *score_params(score))

    async def get_score(self, score_id: str) -> Score | None:
        """The score with this id, or ``None``."""
        row = await self._db.fetchrow(
            "getScoreById", f"SELECT {_SELECT} FROM {self._table} WHERE id = $1", score_id
        )
        return None if row is None else score_from_row(row)

    async def query_scores(self, query: ScoreQuery) -> tuple[list[Score], int]:
        """One statement: the keyset/offset page (up to ``limit + 1`` scores, newest
        first, ties by id ascending) and, when ``query.count``, the filtered total."""
        p = Params()
        where: list[str] = []
        for name, column in SCORE_FILTER_COLUMNS.items():
            value = getattr(query, name)
            if value is not None:
                where.append(f"{q(column)} = {p.add(value)}")
        after = None
        if query.after is not None:
            after = keyset_after(
                '"createdAt"', "id", query.after, p, descending=True, tie_descending=False
            )
        rows, total = await self.fetch_page(
            "listScores",
            p,
            select=_SELECT,
            source=self._table,
            where=where,
            after=after,
            order_sql=' ORDER BY "createdAt" DESC, id ASC',
            limit=query.limit,
            offset=query.offset,
            count=query.count,
        )
        return [score_from_row(r, 1) for r in rows], total


__all__ = ["PgScoresBackend"]
