"""Editor domains shared with the real ``@mastra/pg`` 1.27.1, both ways: an agent and a
prompt block with versions written by Mastra and resolved by us, and the reverse."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from mastra_storage.domains.editor import VersionedStore
from mastra_storage.editor_records import EditorEntity, EditorVersion, ResolvedEntity
from mastra_storage.layout import EDITOR_TABLES
from mastra_storage.timeutil import to_iso
from mastra_storage_postgres import PostgresStore
from tests.postgres.conftest import NPM_PACKAGES, REPO, SchemaFactory
from tests.support.compat import Harness, harness_runner

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def editor_harness() -> Harness:
    return harness_runner(REPO / "tests" / "compat" / "mastra_editor_harness.mjs", NPM_PACKAGES)


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Absent, ``None`` and Mastra's defaulted ``favoriteCount: 0`` compare equal."""
    out = {}
    for key, value in data.items():
        if value is None:
            continue
        out[key] = to_iso(value) if isinstance(value, datetime) else value
    return out


def _thin(entity: EditorEntity) -> dict[str, Any]:
    return _clean(entity.row())


def _resolved(resolved: ResolvedEntity | None) -> dict[str, Any] | None:
    return None if resolved is None else _clean(resolved.to_dict())


def _version(version: EditorVersion, parent: str) -> dict[str, Any]:
    return _clean(version.row(parent))


async def our_view(store: VersionedStore, entity_id: str) -> dict[str, Any]:
    """What we read, in the shape the harness prints."""
    thin = await store.get_by_id(entity_id)
    assert thin is not None
    versions = await store.list_versions(entity_id, per_page=None)
    parent = store.domain.parent_column
    return {
        "thin": _thin(thin),
        "published": _resolved(await store.get_by_id_resolved(entity_id)),
        "draft": _resolved(await store.get_by_id_resolved(entity_id, status="draft")),
        "versions": [_version(v, parent) for v in versions.items],
        "count": await store.count_versions(entity_id),
    }


def mastra_view(found: dict[str, Any]) -> dict[str, Any]:
    out = dict(found)
    for key in ("thin", "published", "draft"):
        out[key] = _clean(found[key])
    out["versions"] = [_clean(v) for v in found["versions"]]
    return out


async def write_ours(agents: VersionedStore, blocks: VersionedStore, aid: str, bid: str) -> None:
    await agents.create(
        aid,
        author_id="py-author",
        metadata={"team": "py", "nested": {"n": 2}},
        config={
            "name": "Py Agent",
            "instructions": "Réponds en français. 🌍",
            "model": {"provider": "openai", "name": "gpt-4o"},
            "tools": {"search": {"description": "web"}},
            "defaultOptions": {"maxSteps": 2},
        },
    )
    v2 = await agents.create_version(
        aid,
        config={"name": "Py Agent v2", "instructions": "Kurz.", "model": {"provider": "x"}},
        changed_fields=["name", "instructions", "model"],
        change_message="second",
    )
    await agents.update(aid, active_version_id=v2.id, status="published")
    await blocks.create(
        bid,
        author_id="py-author",
        metadata={"kind": "greeting"},
        config={"name": "Greeting", "content": "Hello {{user}}", "rules": {"all": []}},
    )
    await blocks.create_version(
        bid, config={"name": "Greeting v2", "content": "Hi"}, change_message="shorter"
    )


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


async def test_agents_and_prompt_blocks_both_ways(
    pg_url: str, schema: str, schemas: SchemaFactory, editor_harness: Harness, admin: Any
) -> None:
    # Mastra creates its schema and writes; we adopt it and resolve the same records
    reference = editor_harness("pg", pg_url, schema, "write", "ts-agent", "ts-block")
    store = PostgresStore(pg_url, schema_name=schema)
    await store.init()
    try:
        agents = await store.require_store("agents")
        blocks = await store.require_store("promptBlocks")
        assert await our_view(agents, "ts-agent") == mastra_view(reference["agent"])
        assert await our_view(blocks, "ts-block") == mastra_view(reference["block"])
        ours = await our_view(agents, "ts-agent")
        assert ours["published"]["name"] == "TS Agent" and ours["draft"]["name"] == "TS Agent v2"
        # our next version number follows Mastra's
        v3 = await agents.create_version(
            "ts-agent", config={"name": "n", "instructions": "i", "model": {}}
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
            agents = await store.require_store("agents")
            blocks = await store.require_store("promptBlocks")
            await write_ours(agents, blocks, "py-agent", "py-block")
            expected = {
                "agent": await our_view(agents, "py-agent"),
                "block": await our_view(blocks, "py-block"),
            }
        finally:
            await store.close()
        found = editor_harness(
            "pg", pg_url, ours_schema, "read", "py-agent", "py-block", "--no-init"
        )
        assert mastra_view(found["agent"]) == expected["agent"]
        assert mastra_view(found["block"]) == expected["block"]
        assert expected["agent"]["published"]["name"] == "Py Agent v2"
        assert expected["block"]["published"]["content"] == "Hi"  # no active: the latest
        # every editor table, column, default and index is the one @mastra/pg's init makes
        assert await tables_shape(admin, ours_schema) == await tables_shape(admin, schema)
    finally:
        await schemas.drop(ours_schema)
