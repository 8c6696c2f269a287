"""Issue 16 on libSQL against the real ``@mastra/libsql`` 1.23.1: the same dataset
(supplied score ids, string / number-like / JSON-looking score inputs and outputs, unset
optional fields) written by Mastra into one file and by the SDK into another must read the
same through each app's API, field by field, and be stored the same way (SQL types and
values of every column Mastra has)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mastra_storage_libsql import LibSQLStore
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
#: Set to "now" by a write: compared as "present".
_NOW = frozenset(
    {
        ("mastra_scorers", "createdAt"),
        ("mastra_scorers", "updatedAt"),
        ("mastra_threads", "updatedAt"),
    }
)


def stored(path: Path) -> dict[str, Any]:
    """Every dataset row as ``{column: (SQL type, value)}`` (JSONB blobs as JSON text)."""
    import libsql

    conn = libsql.connect(str(path))
    out: dict[str, Any] = {}
    try:
        for table, key, ids in _ROWS:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})").fetchall()]
            select = ", ".join(
                f'typeof("{c}"), CASE WHEN typeof("{c}") = \'blob\' THEN json("{c}") ELSE "{c}" END'
                for c in columns
            )
            for row_id in ids:
                rows = conn.execute(
                    f'SELECT {select} FROM {table} WHERE "{key}" = ?', (row_id,)
                ).fetchall()
                out[f"{table}/{row_id}"] = [
                    {
                        c: (row[2 * i] != "null")
                        if (table, c) in _NOW
                        else tuple(row[2 * i : 2 * i + 2])
                        for i, c in enumerate(columns)
                    }
                    for row in rows
                ]
    finally:
        conn.close()
    return out


def _records_without_nulls(view: dict[str, Any]) -> dict[str, Any]:
    def record(value: Any) -> Any:
        return {k: v for k, v in value.items() if v is not None} if value else value

    return {
        key: record(part) if key in ("thread", "run") else {k: record(v) for k, v in part.items()}
        for key, part in view.items()
    }


async def test_dataset_reads_and_is_stored_alike_whoever_wrote_it(
    tmp_path: Path, mastra_harness: Harness
) -> None:
    theirs, ours = tmp_path / "mastra.db", tmp_path / "sdk.db"
    assert mastra_harness("write-dataset", str(theirs)) == {"ok": True}
    mastra_reads_theirs = volatile_free(mastra_harness("read-dataset", str(theirs), "--no-init"))
    theirs_stored = stored(theirs)

    store = LibSQLStore(f"file:{ours}")
    await store.init()
    try:
        await write_dataset(store)
        sdk_reads_ours = await read_dataset(store)
    finally:
        await store.close()
    ours_stored = stored(ours)
    mastra_reads_ours = volatile_free(mastra_harness("read-dataset", str(ours), "--no-init"))
    store = LibSQLStore(f"file:{theirs}")
    await store.init()
    try:
        sdk_reads_theirs = await read_dataset(store)
    finally:
        await store.close()

    assert sdk_reads_ours == sdk_reads_theirs
    assert mastra_reads_ours == mastra_reads_theirs
    # Every column Mastra has holds the same SQL type and value, whoever wrote the row.
    for key, rows in theirs_stored.items():
        assert len(rows) == 1 and len(ours_stored[key]) == 1, key
        mine = ours_stored[key][0]
        assert {c: mine.get(c) for c in rows[0]} == rows[0], key

    mastra_view = _records_without_nulls(mastra_reads_theirs)
    sdk_view = _records_without_nulls(sdk_reads_theirs)
    assert sdk_view == mastra_view

    over = sdk_reads_ours["scores"]["ds-score-over"]
    assert over["id"] == "ds-score-over" and over["score"] == 0.9 and "reason" not in over
