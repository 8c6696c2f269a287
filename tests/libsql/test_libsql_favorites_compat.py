"""Studio's favourites shared with the real ``@mastra/libsql`` 1.23.1 through a database
file, both ways (the scenario of ``tests/compat/mastra_favorites_harness.mjs``): each side
reads the other's favourites, counts and pinned listings, and toggles on the other's rows;
our ``init`` creates the table, key and index exactly as the release's."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mastra_storage_libsql import LibSQLStore
from tests.libsql.conftest import NPM_PACKAGES, REPO
from tests.support.compat import Harness, harness_runner
from tests.support.favorites_compat import both_ways

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def favorites_harness() -> Harness:
    return harness_runner(REPO / "tests" / "compat" / "mastra_favorites_harness.mjs", NPM_PACKAGES)


def favorites_shape(path: Path) -> list[Any]:
    """The table's and its index's DDL as SQLite stored them."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'mastra_favorites' "
            "ORDER BY type, name"
        ).fetchall()
    return [tuple(r) for r in rows]


async def test_favorites_both_ways(tmp_path: Path, favorites_harness: Harness) -> None:
    theirs_file, ours_file = tmp_path / "mastra.db", tmp_path / "ours.db"
    await both_ways(
        favorites_harness,
        "libsql",
        lambda target, _schema: LibSQLStore(target),
        (f"file:{theirs_file}", "-"),
        (f"file:{ours_file}", "-"),
    )
    # our init creates the table, key and index exactly as the release's
    assert favorites_shape(ours_file) == favorites_shape(theirs_file)
