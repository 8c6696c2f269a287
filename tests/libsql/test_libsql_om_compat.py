"""Observational memory shared with the real ``@mastra/libsql`` 1.23.1, both ways, on a local
file and on sqld, and the table our ``init`` creates compared with the one Mastra's creates."""

from __future__ import annotations

from pathlib import Path

import pytest

from mastra_storage_libsql import LibSQLStore
from tests.libsql.conftest import NPM_PACKAGES, REPO
from tests.support.compat import Harness, harness_runner
from tests.support.om_compat import check_written_shape, mastra_om_view, our_read, write_ours

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def om_harness() -> Harness:
    return harness_runner(REPO / "tests" / "compat" / "mastra_om_harness.mjs", NPM_PACKAGES)


def table_shape(path: Path) -> tuple[list[tuple[object, ...]], list[str]]:
    """Columns (name, type, NOT NULL, default, pk) and index definitions of the OM table."""
    import sqlite3  # a read-only look from outside (the stdlib reads libSQL files)

    conn = sqlite3.connect(path)
    try:
        columns = [
            tuple(r[1:]) for r in conn.execute('PRAGMA table_info("mastra_observational_memory")')
        ]
        indexes = [
            r[0]
            for r in conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'mastra_observational_memory' AND sql IS NOT NULL ORDER BY name"
            )
        ]
        return columns, indexes
    finally:
        conn.close()


async def both_ways(om_harness: Harness, mastra_url: str, our_url: str) -> None:
    # Mastra creates the table and writes; we read the same records
    reference = mastra_om_view(om_harness("libsql", mastra_url, "-", "write", "ts-res", "ts-th"))
    check_written_shape(reference)
    store = LibSQLStore(mastra_url)
    await store.init()
    try:
        om = (await store.require_store("memory")).observational_memory
        assert await our_read(om, "ts-res", "ts-th") == reference
    finally:
        await store.close()
    # we write (on our own init's table), Mastra reads without its init
    store = LibSQLStore(our_url)
    await store.init()
    try:
        om = (await store.require_store("memory")).observational_memory
        await write_ours(om, "py-res", "py-th")
        ours = await our_read(om, "py-res", "py-th")
        assert (await store.doctor()).ok
    finally:
        await store.close()
    check_written_shape(ours)
    args = ("libsql", our_url, "-", "read", "py-res", "py-th", "--no-init")
    assert mastra_om_view(om_harness(*args)) == ours


async def test_observational_memory_both_ways_on_files(tmp_path: Path, om_harness: Harness) -> None:
    theirs, ours = tmp_path / "mastra.db", tmp_path / "ours.db"
    await both_ways(om_harness, f"file:{theirs}", f"file:{ours}")
    assert table_shape(ours) == table_shape(theirs)


async def test_observational_memory_both_ways_on_sqld(remote_url: str, om_harness: Harness) -> None:
    await both_ways(om_harness, remote_url, remote_url)
