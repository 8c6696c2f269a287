"""The editor tables on PostgreSQL against ``@mastra/core`` 1.71.0 / ``@mastra/pg`` 1.27.1, and
``init_mode="verify"``. (The editor conformance tests run in ``test_postgres_conformance``.)"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from mastra_storage.errors import SchemaMismatchError
from mastra_storage.layout import EDITOR_TABLES
from mastra_storage_postgres import PostgresStore

pytestmark = pytest.mark.anyio

_SQL_TYPE = {
    "text": "text",
    "jsonb": "jsonb",
    "integer": "integer",
    "boolean": "boolean",
    "timestamp": "timestamp without time zone",
}
#: The unique (parent, versionNumber) indexes @mastra/pg 1.27.1 creates (none for agents).
MASTRA_VERSION_INDEXES = {
    "idx_prompt_block_versions_block_version": ("mastra_prompt_block_versions", "blockId"),
    "idx_scorer_definition_versions_def_version": (
        "mastra_scorer_definition_versions",
        "scorerDefinitionId",
    ),
    "idx_mcp_client_versions_client_version": ("mastra_mcp_client_versions", "mcpClientId"),
    "idx_mcp_server_versions_server_version": ("mastra_mcp_server_versions", "mcpServerId"),
    "idx_workspace_versions_workspace_version": ("mastra_workspace_versions", "workspaceId"),
    "idx_skill_versions_skill_version": ("mastra_skill_versions", "skillId"),
}


async def test_editor_tables_match_the_release_and_verify(pg_url: str, schema: str) -> None:
    """Every editor table has exactly the release's columns (type, nullability, the ``Z``
    twin of each timestamp) and the release's unique version indexes; ``init_mode="verify"``
    names a missing editor table."""
    store = PostgresStore(pg_url, schema_name=schema, max_size=2)
    await store.init()
    await store.close()
    conn = await asyncpg.connect(pg_url)
    try:
        rows = await conn.fetch(
            "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text "
            "FROM information_schema.columns WHERE table_schema = $1",
            schema,
        )
        found: dict[str, dict[str, tuple[str, bool]]] = {}
        for table, column, data_type, nullable in rows:
            found.setdefault(table, {})[column] = (data_type, nullable == "NO")
        for table in EDITOR_TABLES:
            expected = {}
            for c in table.columns:
                expected[c.name] = (_SQL_TYPE[c.logical], c.not_null or c.primary_key)
                if c.logical == "timestamp":
                    expected[c.name + "Z"] = ("timestamp with time zone", False)
            assert found[table.name] == expected, table.name
        indexes = await conn.fetch(
            "SELECT indexname::text, tablename::text, indexdef::text FROM pg_indexes "
            "WHERE schemaname = $1 AND tablename LIKE 'mastra_%versions'",
            schema,
        )
        by_name = {r[0]: (r[1], r[2]) for r in indexes}
        for name, (table, parent) in MASTRA_VERSION_INDEXES.items():
            table_found, ddl = by_name[f"{schema}_{name}"]  # prefixed outside "public"
            assert table_found == table and "UNIQUE" in ddl and f'"{parent}"' in ddl
        agent_indexes = [n for n, (t, _) in by_name.items() if t == "mastra_agent_versions"]
        assert agent_indexes == ["mastra_agent_versions_pkey"]
        await conn.execute(f'DROP TABLE "{schema}"."mastra_skill_versions"')
    finally:
        await conn.close()
    verifier = PostgresStore(pg_url, schema_name=schema, max_size=1, init_mode="verify")
    try:
        with pytest.raises(SchemaMismatchError, match="mastra_skill_versions"):
            await verifier.init()
    finally:
        await verifier.close()


async def test_auto_numbered_version_retries_after_a_lockless_writer(
    pg_url: str, schema: str
) -> None:
    """A writer that takes no row lock (a Mastra app) inserts the number we picked and
    commits while our insert waits on the unique index: ours is retried with the next
    number instead of failing."""
    store = PostgresStore(pg_url, schema_name=schema, max_size=2)
    await store.init()
    other = await asyncpg.connect(pg_url)
    try:
        blocks = await store.require_store("promptBlocks")
        await blocks.create("b1", config={"name": "n", "content": "c"})
        tx = other.transaction()
        await tx.start()
        await other.execute(
            f'INSERT INTO "{schema}"."mastra_prompt_block_versions" (id, "blockId", '
            '"versionNumber", name, content, "createdAt") VALUES ($1, $2, 2, $3, $4, now())',
            "mastra-v2",
            "b1",
            "n",
            "c",
        )
        task = asyncio.ensure_future(
            blocks.create_version("b1", config={"name": "n", "content": "x"})
        )
        # wait until our insert is blocked on the uncommitted row, then let it go
        for _ in range(500):
            waiting = await other.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'INSERT INTO%mastra_prompt_block_versions%'"
            )
            if waiting:
                break
            await asyncio.sleep(0.01)
        await tx.commit()
        version = await task
        assert version.version_number == 3
        assert await blocks.count_versions("b1") == 3
    finally:
        await other.close()
        await store.close()
