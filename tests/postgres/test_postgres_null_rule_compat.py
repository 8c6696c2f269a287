"""Issue 16 on PostgreSQL against the real ``@mastra/pg`` 1.27.1: the same dataset
(supplied score ids, string / number-like / JSON-looking score inputs and outputs, unset
optional fields) written by Mastra into one schema and by the SDK into another must read
the same through each app's API, field by field, and be stored the same way (value and
JSON type of every column Mastra has)."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_storage_postgres import PostgresStore
from tests.support.compat import Harness
from tests.support.compat_dataset import (
    SCORE_IDS,
    read_dataset,
    volatile_free,
    write_dataset,
)

pytestmark = pytest.mark.anyio

#: (table, key column, ids) of every stored dataset row.
_ROWS = (
    ("mastra_threads", "id", ["ds-thread"]),
    ("mastra_messages", "id", ["ds-m1", "ds-m2"]),
    ("mastra_resources", "id", ["ds-res-bare", "ds-res-full"]),
    ("mastra_workflow_snapshot", "run_id", ["ds-run-bare"]),
    ("mastra_scorers", "id", list(SCORE_IDS)),
)
#: Set to "now" by a write (and their timezone twins): compared as "present".
_NOW = frozenset(
    {("mastra_scorers", c) for c in ("createdAt", "createdAtZ", "updatedAt", "updatedAtZ")}
    | {("mastra_threads", "updatedAt"), ("mastra_threads", "updatedAtZ")}
)


async def stored(admin: Any, schema: str) -> dict[str, Any]:
    """Every dataset row as ``{column: (jsonb type or None, value as text)}``."""
    out: dict[str, Any] = {}
    for table, key, ids in _ROWS:
        columns = [
            r[0]
            for r in await admin.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = $1 AND table_name = $2",
                schema,
                table,
            )
        ]
        select = ", ".join(
            f"CASE WHEN pg_typeof(\"{c}\") = 'jsonb'::regtype "
            f'THEN jsonb_typeof("{c}"::text::jsonb) END, "{c}"::text'
            for c in columns
        )
        for row_id in ids:
            rows = await admin.fetch(
                f'SELECT {select} FROM "{schema}".{table} WHERE "{key}" = $1', row_id
            )
            out[f"{table}/{row_id}"] = [
                {
                    c: (row[2 * i + 1] is not None)
                    if (table, c) in _NOW
                    else (row[2 * i], row[2 * i + 1])
                    for i, c in enumerate(columns)
                }
                for row in rows
            ]
    return out


def _records_without_nulls(view: dict[str, Any]) -> dict[str, Any]:
    def record(value: Any) -> Any:
        return {k: v for k, v in value.items() if v is not None} if value else value

    return {
        key: record(part) if key in ("thread", "run") else {k: record(v) for k, v in part.items()}
        for key, part in view.items()
    }


async def test_dataset_reads_and_is_stored_alike_whoever_wrote_it(
    pg_url: str, schemas: Any, admin: Any, mastra_harness: Harness
) -> None:
    theirs, ours = schemas.new(), schemas.new()
    try:
        assert mastra_harness("write-dataset", pg_url, theirs) == {"ok": True}
        mastra_reads_theirs = volatile_free(
            mastra_harness("read-dataset", pg_url, theirs, "--no-init")
        )
        theirs_stored = await stored(admin, theirs)

        store = PostgresStore(pg_url, schema_name=ours)
        await store.init()
        try:
            await write_dataset(store)
            sdk_reads_ours = await read_dataset(store)
        finally:
            await store.close()
        ours_stored = await stored(admin, ours)
        mastra_reads_ours = volatile_free(mastra_harness("read-dataset", pg_url, ours, "--no-init"))
        store = PostgresStore(pg_url, schema_name=theirs)
        await store.init()
        try:
            sdk_reads_theirs = await read_dataset(store)
        finally:
            await store.close()
    finally:
        await schemas.drop(theirs)
        await schemas.drop(ours)

    assert sdk_reads_ours == sdk_reads_theirs
    assert mastra_reads_ours == mastra_reads_theirs
    # Every column Mastra has holds the same value and JSON type, whoever wrote the row.
    for key, rows in theirs_stored.items():
        assert len(rows) == 1 and len(ours_stored[key]) == 1, key
        mine = ours_stored[key][0]
        assert {c: mine.get(c) for c in rows[0]} == rows[0], key

    # And the two apps agree with each other, up to how each shows an unset field: Mastra
    # returns some as null, the SDK leaves them out, and @mastra/pg shows a score without
    # input as "" (what it stores for one).
    mastra_view = _records_without_nulls(mastra_reads_theirs)
    for score_id in ("ds-score-bare", "ds-score-over"):
        assert mastra_view["scores"][score_id].pop("input") == ""
    assert _records_without_nulls(sdk_reads_theirs) == mastra_view

    over = sdk_reads_ours["scores"]["ds-score-over"]
    assert over["id"] == "ds-score-over" and over["score"] == 0.9 and "reason" not in over
