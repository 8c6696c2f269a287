"""The versioned editor domains shared with the real ``@mastra/pg`` 1.27.1, both ways: per
domain one entity of ``tests/compat/editor_fixture.json`` with two versions written by
Mastra and resolved by us, and the reverse, all domains in one node run per direction.

@mastra/pg 1.27.1 offers all seven editor domains (``PostgresStore``'s ``stores`` in
node_modules/@mastra/pg/dist/index.js: agents, promptBlocks, scorerDefinitions,
mcpClients, mcpServers, workspaces, skills), so every one is crossed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from mastra_storage.backend.editor import EDITOR_DOMAIN_NAMES
from mastra_storage.domains.editor import VersionedStore
from mastra_storage.layout import EDITOR_TABLES
from mastra_storage.timeutil import to_iso
from mastra_storage_postgres import PostgresStore
from tests.postgres.conftest import NPM_PACKAGES, REPO, SchemaFactory
from tests.support.compat import Harness, harness_runner
from tests.support.studio_compat import (
    as_release_reads,
    check_editor_entity,
    editor_entity_view,
    editor_id,
    write_editor_entity,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def editor_harness() -> Harness:
    return harness_runner(REPO / "tests" / "compat" / "mastra_editor_harness.mjs", NPM_PACKAGES)


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Top-level ``None`` fields dropped (absent and ``None`` compare equal), datetimes as
    ISO strings: the harness prints Mastra's values with dates as ISO strings."""
    out = {}
    for key, value in data.items():
        if value is None:
            continue
        out[key] = to_iso(value) if isinstance(value, datetime) else value
    return out


async def our_view(store: VersionedStore, entity_id: str) -> dict[str, Any]:
    """What the harness reads of one entity, in the shape it prints."""
    found = await editor_entity_view(store, entity_id, "DESC")
    assert found is not None
    return mastra_view(found)


def mastra_view(found: dict[str, Any]) -> dict[str, Any]:
    out = dict(found)
    for key in ("thin", "published", "draft"):
        out[key] = _clean(found[key])
    out["versions"] = [_clean(v) for v in found["versions"]]
    return out


async def our_views(store: PostgresStore, prefix: str) -> dict[str, Any]:
    """:func:`our_view` of the fixture entity ``<prefix>-<domain>`` of every domain."""
    out = {}
    for domain in EDITOR_DOMAIN_NAMES:
        editor = await store.require_store(domain)
        assert isinstance(editor, VersionedStore)
        out[domain] = await our_view(editor, editor_id(prefix, domain))
    return out


async def tables_shape(admin: Any, schema: str) -> dict[str, Any]:
    """Columns (name, type, nullable, default) and index definitions of the editor tables."""
    names = [t.name for t in EDITOR_TABLES]
    columns = await admin.fetch(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text, "
        "column_default::text FROM information_schema.columns WHERE table_schema = $1 "
        "AND table_name = ANY($2::text[]) ORDER BY table_name, column_name",
        schema,
        names,
    )
    indexes = await admin.fetch(
        "SELECT tablename::text, replace(replace(indexdef, $1, 'S.'), $3, '') FROM pg_indexes "
        "WHERE schemaname = $2 AND tablename = ANY($4::text[]) ORDER BY indexname",
        f"{schema}.",
        schema,
        f"{schema}_",
        names,
    )
    return {"columns": [tuple(c) for c in columns], "indexes": sorted(tuple(i) for i in indexes)}


async def test_every_editor_domain_both_ways(
    pg_url: str, schema: str, schemas: SchemaFactory, editor_harness: Harness, admin: Any
) -> None:
    # Mastra creates its schema and writes; we adopt it and resolve the same records
    reference = editor_harness("pg", pg_url, schema, "write", "ts")
    assert list(reference) == list(EDITOR_DOMAIN_NAMES)
    store = PostgresStore(pg_url, schema_name=schema)
    await store.init()
    try:
        for domain in EDITOR_DOMAIN_NAMES:
            check_editor_entity(mastra_view(reference[domain]), domain, editor_id("ts", domain))
        ours = await our_views(store, "ts")
        for domain in EDITOR_DOMAIN_NAMES:  # per domain: a failure names it
            assert ours[domain] == mastra_view(reference[domain]), domain
        # our next version number follows Mastra's
        agents = await store.require_store("agents")
        v3 = await agents.create_version(
            "ts-agents", config={"name": "n", "instructions": "i", "model": {}}
        )
        assert v3.version_number == 3
    finally:
        await store.close()

    # our init creates the release's tables; we write, Mastra (without its init) resolves
    ours_schema = schemas.new()
    try:
        store = PostgresStore(pg_url, schema_name=ours_schema)
        await store.init()
        try:
            for domain in EDITOR_DOMAIN_NAMES:
                editor = await store.require_store(domain)
                assert isinstance(editor, VersionedStore)
                await write_editor_entity(editor, editor_id("py", domain))
            expected = await our_views(store, "py")
        finally:
            await store.close()
        found = editor_harness("pg", pg_url, ours_schema, "read", "py", "--no-init")
        assert list(found) == list(EDITOR_DOMAIN_NAMES)
        for domain in EDITOR_DOMAIN_NAMES:
            # our rows as Mastra reads them: a NULL autoSync is false to @mastra/pg
            mastra = mastra_view(found[domain])
            assert mastra == as_release_reads(domain, expected[domain], "pg"), domain
            check_editor_entity(expected[domain], domain, editor_id("py", domain))
        # that one difference of reading, seen: version 2 was written without autoSync
        assert "autoSync" not in expected["workspaces"]["versions"][0]
        assert found["workspaces"]["versions"][0]["autoSync"] is False
        # every editor table, column, default and index is the one @mastra/pg's init makes
        assert await tables_shape(admin, ours_schema) == await tables_shape(admin, schema)
    finally:
        await schemas.drop(ours_schema)
