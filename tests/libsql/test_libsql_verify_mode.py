"""libSQL in no-DDL deployments (issue 16 point 9): ``init_mode="verify"`` never creates or
changes the file and names what is missing; ``schema_ddl()`` / ``mastra-storage schema``
print the statements that make verify pass."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mastra_storage import cli
from mastra_storage.errors import SchemaMismatchError
from mastra_storage_libsql import LibSQLStore
from mastra_storage_libsql.schema import MASTRA_INDEXES, OUR_INDEXES, TABLES

pytestmark = pytest.mark.anyio


def _mastra_file(path: Path) -> None:
    """A file as ``@mastra/libsql`` leaves it: its tables and indexes, none of ours."""
    conn = sqlite3.connect(path)
    try:
        for table in TABLES:
            conn.execute(table.ddl())
        conn.execute('ALTER TABLE mastra_scorers DROP COLUMN "structuredOutput"')
        for ddl in MASTRA_INDEXES.values():
            conn.execute(ddl)
        conn.commit()
    finally:
        conn.close()


def _dump(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        conn.close()


async def test_verify_never_creates_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    store = LibSQLStore(f"file:{path}", init_mode="verify")
    try:
        with pytest.raises(SchemaMismatchError):
            await store.init()
    finally:
        await store.close()
    assert not path.exists()


async def test_verify_names_missing_columns_and_indexes_and_changes_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mastra.db"
    _mastra_file(path)
    before = _dump(path)
    store = LibSQLStore(f"file:{path}", init_mode="verify")
    try:
        with pytest.raises(SchemaMismatchError) as caught:
            await store.get_store("memory")
    finally:
        await store.close()
    message = caught.value.message
    assert "mastra_scorers.structuredOutput" in message
    for name in OUR_INDEXES:
        assert name in message
    assert _dump(path) == before


async def test_printed_script_applied_by_sqlite3_satisfies_verify(tmp_path: Path) -> None:
    path = tmp_path / "mastra.db"
    _mastra_file(path)
    printer = LibSQLStore(f"file:{path}", disable_init=True)
    try:
        script = await printer.schema_ddl()
    finally:
        await printer.close()
    assert script is not None and "CREATE TABLE IF NOT EXISTS mastra_messages" not in script
    assert 'ADD COLUMN "structuredOutput"' in script
    conn = sqlite3.connect(path)
    try:
        conn.executescript(script)
    finally:
        conn.close()
    store = LibSQLStore(f"file:{path}", init_mode="verify")
    try:
        await store.init()
        assert "nothing to change" in (await store.schema_ddl() or "")
    finally:
        await store.close()


async def test_fresh_script_builds_a_database_verify_accepts(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    printer = LibSQLStore(f"file:{path}", disable_init=True)
    try:
        script = await printer.schema_ddl(fresh=True)
    finally:
        await printer.close()
    assert script is not None and not path.exists()
    conn = sqlite3.connect(path)
    try:
        conn.executescript(script)
    finally:
        conn.close()
    store = LibSQLStore(f"file:{path}", init_mode="verify")
    try:
        await store.init()
    finally:
        await store.close()


def test_cli_schema_prints_libsql_ddl_read_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mastra.db"
    _mastra_file(path)
    before = _dump(path)
    assert cli.main(["schema", f"file:{path}"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "BEGIN IMMEDIATE;" in out and "mastra_storage_messages_resource_created_idx" in out
    assert _dump(path) == before
