"""What opening a local database file may change: nothing unless init is enabled, and a
file the store creates is private to its owner."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from mastra_storage.errors import MastraStorageError
from mastra_storage_libsql import LibSQLStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)  # the usual default: new files world-readable
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_missing_file_is_not_created_when_init_is_disabled(tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    store = LibSQLStore(f"file:{path}", disable_init=True)
    try:
        memory = await store.require_store("memory")
        with pytest.raises(MastraStorageError, match="unable to open"):
            await memory.get_thread_by_id("t1")
    finally:
        await store.close()
    assert not path.exists()


async def test_the_environment_switch_creates_nothing_either(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASTRA_DISABLE_STORAGE_INIT", "true")
    path = tmp_path / "typo.db"
    store = LibSQLStore(f"file:{path}")
    try:
        with pytest.raises(MastraStorageError):
            await (await store.require_store("memory")).list_threads()
    finally:
        await store.close()
    assert not path.exists()


async def test_reading_with_init_disabled_keeps_the_journal_mode(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    setup = LibSQLStore(f"file:{path}")
    await setup.init()
    await setup.close()
    with sqlite3.connect(path) as conn:  # an application that runs without WAL
        assert conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"

    store = LibSQLStore(f"file:{path}", disable_init=True)
    try:
        page = await (await store.require_store("memory")).list_threads()
        assert page.items == []
    finally:
        await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


async def test_an_explicit_init_still_creates_the_file(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    store = LibSQLStore(f"file:{path}", disable_init=True)
    try:
        await store.init()
        assert (await (await store.require_store("memory")).list_threads()).items == []
    finally:
        await store.close()
    assert path.exists()


@pytest.mark.usefixtures("umask_022")
async def test_a_new_database_and_its_wal_are_private(tmp_path: Path) -> None:
    path = tmp_path / "private.db"
    store = LibSQLStore(f"file:{path}")
    try:
        await store.init()
        wal = Path(f"{path}-wal")
        assert _mode(wal) == 0o600
    finally:
        await store.close()
    assert _mode(path) == 0o600


@pytest.mark.usefixtures("umask_022")
async def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    os.chmod(path, 0o640)
    store = LibSQLStore(f"file:{path}")
    try:
        await store.init()
    finally:
        await store.close()
    assert _mode(path) == 0o640
