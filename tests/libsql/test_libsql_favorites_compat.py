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
from tests.support.favorites_compat import our_view, toggle_ours, write_ours

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
    found = favorites_harness("libsql", f"file:{theirs_file}", "-", "write", "ts")
    toggles = found.pop("toggles")
    assert [t["favoriteCount"] for t in toggles] == [1, 1, 1, 1, 2, 1, 0]
    store = LibSQLStore(f"file:{theirs_file}")
    await store.init()
    try:
        assert await our_view(store, "ts") == found
        assert found["pinned"][2] == "ts-a2" and set(found["pinned"][:2]) == {"ts-a1", "ts-a3"}
        ours_toggled = await toggle_ours(store, "ts")
        ours_after = await our_view(store, "ts")
    finally:
        await store.close()
    after = favorites_harness("libsql", f"file:{theirs_file}", "-", "read", "ts", "--no-init")
    assert after.pop("toggles") == []
    assert after == ours_after
    assert after["counts"] == {"ts-a1": 2, "ts-a2": 1, "ts-a3": 0, "ts-s1": 1}

    store = LibSQLStore(f"file:{ours_file}")
    await store.init()
    try:
        assert await write_ours(store, "py") == toggles
        expected = await our_view(store, "py")
    finally:
        await store.close()
    read_back = favorites_harness("libsql", f"file:{ours_file}", "-", "read", "py", "--no-init")
    assert read_back.pop("toggles") == []
    assert read_back == expected
    theirs = favorites_harness("libsql", f"file:{ours_file}", "-", "toggle", "py", "--no-init")
    assert theirs.pop("toggles") == ours_toggled
    store = LibSQLStore(f"file:{ours_file}")
    await store.init()
    try:
        assert await our_view(store, "py") == theirs
    finally:
        await store.close()
    assert favorites_shape(ours_file) == favorites_shape(theirs_file)
