"""No-DDL deployments (issue 16 point 9): ``init_mode="verify"`` only checks the schema and
names what is missing; ``mastra-storage schema URL`` prints the DDL a DBA applies."""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
import subprocess
from datetime import datetime, timezone
from typing import Any

import pytest

from benchmarks.pg_init_live import create_mastra_layout
from mastra_storage import cli
from mastra_storage.errors import ConfigurationError, SchemaMismatchError
from mastra_storage.records import Message, MessageContent, Thread
from mastra_storage_postgres import PostgresStore
from mastra_storage_postgres.schema import REQUIRED_INDEXES

asyncpg = pytest.importorskip("asyncpg")
pytestmark = pytest.mark.anyio

#: Sessions that refuse every write and DDL: a verify-mode init must still succeed.
READ_ONLY = {"default_transaction_read_only": "on"}
NOW = datetime(2025, 3, 1, tzinfo=timezone.utc)


async def _catalog(conn: Any, schema: str) -> tuple[Any, ...]:
    """Everything init could change in ``schema``: tables, columns, indexes, sequences."""
    rows = await conn.fetch(
        "SELECT c.relname::text, c.relkind::text, c.relfilenode::bigint FROM pg_class c "
        "WHERE c.relnamespace = to_regnamespace($1) ORDER BY 1",
        schema,
    )
    columns = await conn.fetch(
        "SELECT table_name::text, column_name::text, column_default FROM "
        "information_schema.columns WHERE table_schema = $1 ORDER BY 1, 2",
        schema,
    )
    return tuple(map(tuple, rows)), tuple(map(tuple, columns))


async def test_verify_on_an_empty_database_lists_every_table_and_creates_nothing(
    pg_url: str, schema: str
) -> None:
    store = PostgresStore(pg_url, schema_name=schema, init_mode="verify", max_size=1)
    try:
        with pytest.raises(SchemaMismatchError) as caught:
            await store.init()
        assert not store.initialized
    finally:
        await store.close()
    missing = str(caught.value.details["missing"])
    for table in ("mastra_threads", "mastra_messages", "mastra_scorers", "mastra_ai_spans"):
        assert f"table {table}" in missing
    conn = await asyncpg.connect(pg_url)
    try:
        assert not await conn.fetchval("SELECT to_regnamespace($1) IS NOT NULL", schema)
    finally:
        await conn.close()


async def test_verify_on_a_mastra_database_names_what_we_add_and_changes_nothing(
    pg_url: str, schema: str
) -> None:
    conn = await asyncpg.connect(pg_url)
    store = PostgresStore(
        pg_url, schema_name=schema, init_mode="verify", max_size=1, server_settings=READ_ONLY
    )
    try:
        await create_mastra_layout(conn, schema)
        before = await _catalog(conn, schema)
        with pytest.raises(SchemaMismatchError) as caught:
            await store.init()
        message = caught.value.message
        assert "column mastra_messages.seq" in message
        assert "column mastra_scorers.structuredOutput" in message
        for index in REQUIRED_INDEXES:
            assert index.name(schema) in message
        assert "mastra-storage schema URL" in message
        assert await _catalog(conn, schema) == before
    finally:
        await store.close()
        await conn.close()


@pytest.mark.skipif(shutil.which("psql") is None, reason="needs psql to apply the script")
async def test_schema_script_applied_by_a_dba_satisfies_verify(pg_url: str, schema: str) -> None:
    """The printed DDL, applied with psql on a live Mastra layout, is exactly what verify
    needs; then a read-only verify-mode store initialises and reads."""
    conn = await asyncpg.connect(pg_url)
    try:
        await create_mastra_layout(conn, schema)
        printer = PostgresStore(pg_url, schema_name=schema, max_size=1)
        try:
            script = await printer.schema_ddl()
        finally:
            await printer.close()
        assert script is not None and "CREATE INDEX CONCURRENTLY" in script
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 "
                "AND column_name = 'seq'",
                schema,
            )
            == 0
        )  # printing changed nothing
        applied = await asyncio.to_thread(
            subprocess.run,
            ["psql", pg_url, "-v", "ON_ERROR_STOP=1", "-q", "-f", "-"],
            input=script,
            capture_output=True,
            text=True,
            check=False,
        )
        assert applied.returncode == 0, applied.stderr
        writer = PostgresStore(pg_url, schema_name=schema, init_mode="verify", max_size=1)
        reader = PostgresStore(
            pg_url, schema_name=schema, init_mode="verify", max_size=1, server_settings=READ_ONLY
        )
        try:
            memory = await writer.require_store("memory")
            await memory.save_thread(
                Thread(id="t1", resource_id="r1", title="x", created_at=NOW, updated_at=NOW)
            )
            await memory.save_messages(
                [
                    Message(
                        id="m1",
                        role="user",
                        thread_id="t1",
                        resource_id="r1",
                        created_at=NOW,
                        content=MessageContent(parts=[{"type": "text", "text": "hi"}]),
                    )
                ]
            )
            read = await reader.require_store("memory")
            page = await read.list_messages(thread_id="t1")
            assert [m.id for m in page.items] == ["m1"]
        finally:
            await writer.close()
            await reader.close()
        again = PostgresStore(pg_url, schema_name=schema, max_size=1)
        try:
            assert "nothing to change" in (await again.schema_ddl() or "")
        finally:
            await again.close()
    finally:
        await conn.close()


async def test_init_mode_is_validated() -> None:
    with pytest.raises(ConfigurationError):
        PostgresStore("postgresql://u@127.0.0.1/db", init_mode="dry-run")  # type: ignore[arg-type]


async def test_cli_schema_prints_ddl_and_changes_nothing(pg_url: str) -> None:
    conn = await asyncpg.connect(pg_url)
    try:
        before = await _catalog(conn, "public")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = await asyncio.to_thread(cli.main, ["schema", pg_url, "--fresh"])
        assert code == cli.EXIT_OK
        text = out.getvalue()
        assert 'CREATE TABLE IF NOT EXISTS "public"."mastra_messages"' in text
        assert "mastra_storage_messages_thread_order_idx" in text
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = await asyncio.to_thread(cli.main, ["schema", pg_url])
        assert code == cli.EXIT_OK and "-- mastra-storage PostgreSQL layout" in out.getvalue()
        assert await _catalog(conn, "public") == before
    finally:
        await conn.close()


def test_cli_schema_for_a_backend_without_ddl(capsys: Any) -> None:
    assert cli.main(["schema", "memory://"]) == cli.EXIT_OK
    assert "no schema DDL" in capsys.readouterr().out
