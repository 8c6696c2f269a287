"""Mastra Studio's stored agents (with versions), the other versioned editor domains,
datasets (with item versions), experiments (with results) and blobs on libSQL: cross-read
both ways with the real ``@mastra/libsql`` 1.23.1 (file and sqld; the release has
``ExperimentsLibSQL`` and ``BlobsLibSQL``), our init
making the release's eval tables and indexes, version numbers under writers on separate
connections (the release's ``mastra_agent_versions`` has no unique index), and
``init_mode="verify"``."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mastra_storage.domains.datasets import DatasetsStore
from mastra_storage.domains.editor import VersionedStore
from mastra_storage.errors import SchemaMismatchError
from mastra_storage.eval_layout import EVAL_TABLES
from mastra_storage.eval_records import DatasetInput, ItemInput, ItemUpdate
from mastra_storage_libsql import LibSQLStore
from tests.support.compat import Harness, harness_runner
from tests.support.servers import ServerUnavailable, skip_or_fail, sqld_instance
from tests.support.studio_compat import (
    as_release_reads,
    check_fixture_present,
    our_studio_view,
    our_view_of_written,
    write_studio_fixture,
)

pytestmark = pytest.mark.anyio

HARNESS = Path(__file__).resolve().parents[2] / "tests" / "compat" / "mastra_studio_harness.mjs"
NPM_PACKAGES = ("@mastra/libsql@1.23.1", "@mastra/core@1.71.0")
# Editor domains: @mastra/libsql 1.23.1 offers all seven (LibSQLStore's ``stores`` in
# node_modules/@mastra/libsql/dist/index.js: agents, promptBlocks, scorerDefinitions,
# mcpClients, mcpServers, workspaces, skills), so all seven are crossed here: agents with
# the experiments that point at them, the six others from tests/compat/editor_fixture.json.


@pytest.fixture(scope="module")
def studio_harness() -> Harness:
    return harness_runner(HARNESS, NPM_PACKAGES)


@pytest.fixture
async def sqld() -> AsyncIterator[str]:
    try:
        async with sqld_instance() as url:
            yield url
    except ServerUnavailable as exc:
        skip_or_fail("sqld", exc.reason)


def _mastra_url(target: str) -> str:
    return target if "://" in target else f"file:{target}"


def _eval_tables_shape(path: Path) -> dict[str, Any]:
    """Per datasets/experiments/blobs table of a database file: its columns (name, type,
    not null, primary key) and its named indexes (name, SQL)."""
    conn = sqlite3.connect(path)
    try:
        shape: dict[str, Any] = {}
        for table in EVAL_TABLES:
            columns = conn.execute(f'PRAGMA table_info("{table.name}")').fetchall()
            indexes = conn.execute(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                (table.name,),
            ).fetchall()
            shape[table.name] = ({(c[1], c[2], c[3], c[5]) for c in columns}, set(indexes))
        return shape
    finally:
        conn.close()


async def _init_matches_the_release(mastra_file: Path, ours_file: Path) -> None:
    """Our init on an empty file makes the columns the release's init made in
    ``mastra_file`` and every index of it (ours come on top), for the datasets,
    experiments and blobs tables."""
    store = LibSQLStore(f"file:{ours_file}")
    await store.init()
    await store.close()
    mastra, ours = _eval_tables_shape(mastra_file), _eval_tables_shape(ours_file)
    assert {t: cols for t, (cols, _) in ours.items()} == {
        t: cols for t, (cols, _) in mastra.items()
    }
    assert all(cols for cols, _ in mastra.values())  # the release made every table
    assert len(mastra["mastra_experiment_results"][1]) >= 3  # and indexed them
    for table, (_, indexes) in mastra.items():
        assert indexes <= ours[table][1], (table, indexes - ours[table][1])


async def _both_ways(target: str, harness: Harness) -> None:
    url = _mastra_url(target)
    # Mastra writes; we read the same thing Mastra reads.
    written = harness("write", "libsql", url)
    assert written["blobDeleted"] == [True, False]
    if "://" not in target:  # a file: its tables as the release made them, before ours
        await _init_matches_the_release(Path(target), Path(target).with_suffix(".ours.db"))
    ids = (written["datasetIds"], written["experimentIds"], written["blobHashes"])
    prefix = written["editorPrefix"]
    reference = harness("read", "libsql", url, "ts-agent", *(",".join(i) for i in ids), prefix)
    store = LibSQLStore(url)
    await store.init()  # adopts the database Mastra created: version row, our indexes
    try:
        assert await our_studio_view(store, ["ts-agent"], *ids, editor_prefix=prefix) == reference
        agent = reference["agents"]["ts-agent"]
        assert agent["count"] == 2 and agent["resolved"]["resolvedVersionId"] == "ts-agent-v2"
        ds = reference["datasets"][written["datasetIds"][0]]
        assert ds["versions"] == [4, 3, 2, 1] and len(ds["current"]) == 1
        check_fixture_present(reference, "ts", written["blobHashes"], release="libsql")
        # We write next to Mastra's rows; Mastra reads ours as we do.
        ours = await write_studio_fixture(store)
        view = await our_view_of_written(store, ours)
    finally:
        await store.close()
    assert ours["blobDeleted"] == [True, False]
    hashes = ",".join(ours["blobHashes"])
    mastra = harness(
        "read", "libsql", url, "py-agent", "py-dataset", "py-exp", hashes, ours["editorPrefix"]
    )
    # our rows as Mastra reads them: a NULL autoSync is false to @mastra/libsql, a scorer
    # definition's organizationId and projectId are not read (studio_compat says why)
    editor = view["editor"]
    assert list(mastra["editor"]) == list(editor)
    for domain, found in editor.items():  # per domain: a failure names it
        assert mastra["editor"][domain] == as_release_reads(domain, found, "libsql"), domain
    assert mastra | {"editor": None} == view | {"editor": None}
    assert "autoSync" not in editor["workspaces"]["versions"][1]  # written without it
    assert mastra["editor"]["workspaces"]["versions"][1]["autoSync"] is False
    assert editor["scorerDefinitions"]["thin"]["organizationId"] == "org-1"  # kept by us
    assert view["agents"]["py-agent"]["count"] == 2
    assert [len(v) for v in view["datasets"]["py-dataset"]["history"].values()] == [2, 2]
    check_fixture_present(view, "py", ours["blobHashes"])


async def test_file_cross_read_both_ways(tmp_path: Path, studio_harness: Harness) -> None:
    await _both_ways(str(tmp_path / "studio.db"), studio_harness)


async def test_sqld_cross_read_both_ways(sqld: str, studio_harness: Harness) -> None:
    await _both_ways(sqld, studio_harness)


async def test_writers_on_separate_connections_never_share_a_number(tmp_path: Path) -> None:
    """Two stores (two connections, as two processes would have) add versions of one agent
    and items of one dataset at once: numbers and dataset versions stay unique and
    gapless, although the release's agent versions table has no unique index."""
    url = f"file:{tmp_path / 'race.db'}"
    stores = [LibSQLStore(url), LibSQLStore(url)]
    for s in stores:
        await s.init()
    try:
        agents = [await s.require_store("agents") for s in stores]
        datasets = [await s.require_store("datasets") for s in stores]
        assert isinstance(agents[0], VersionedStore) and isinstance(datasets[0], DatasetsStore)
        await agents[0].create("a", config={"name": "A", "instructions": "i", "model": {}})
        ds = await datasets[0].create_dataset(DatasetInput(name="d"))
        item = await datasets[0].add_item(ds.id, ItemInput(input={"n": 0}))
        versions = await asyncio.gather(
            *(
                agents[i % 2].create_version(
                    "a", config={"name": "A", "instructions": f"v{i}", "model": {}}
                )
                for i in range(16)
            )
        )
        assert sorted(v.version_number for v in versions) == list(range(2, 18))
        await asyncio.gather(
            *(
                datasets[i % 2].update_item(ds.id, item.id, ItemUpdate(input={"n": i}))
                for i in range(1, 11)
            )
        )
        history = await datasets[1].get_item_history(item.id)
        assert [r.dataset_version for r in history] == list(range(11, 0, -1))
        assert [r.valid_to for r in history] == [None, *range(11, 1, -1)]
        again = await datasets[1].get_dataset(ds.id)
        assert again is not None and again.version == 11
    finally:
        for s in stores:
            await s.close()


async def test_verify_mode_checks_the_studio_tables(tmp_path: Path) -> None:
    """``init_mode="verify"`` accepts a database with every Studio table and index, and
    names what is missing without changing anything."""
    path = tmp_path / "verify.db"
    store = LibSQLStore(f"file:{path}")
    await store.init()
    await store.close()
    ok = LibSQLStore(f"file:{path}", init_mode="verify")
    await ok.init()
    await ok.close()

    import libsql

    conn = libsql.connect(str(path))
    conn.execute("DROP INDEX idx_dataset_versions_dataset_version_unique")
    conn.execute("DROP TABLE mastra_skill_versions")
    conn.commit()
    conn.close()
    bad = LibSQLStore(f"file:{path}", init_mode="verify")
    with pytest.raises(SchemaMismatchError) as caught:
        await bad.init()
    await bad.close()
    assert "mastra_skill_versions" in str(caught.value)
    assert "idx_dataset_versions_dataset_version_unique" in str(caught.value)
