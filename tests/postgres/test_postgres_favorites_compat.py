"""Studio's favourites shared with the real ``@mastra/pg`` 1.27.1, both ways: favourites
and ``favoriteCount`` written by Mastra read and toggled by us, ours read and toggled by
Mastra, and the ``pinFavoritedFor``/``favoritedOnly`` listings equal on both sides."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_storage.domains.editor import VersionedStore
from mastra_storage.domains.favorites import FavoritesStore
from mastra_storage_postgres import PostgresStore
from tests.postgres.conftest import NPM_PACKAGES, REPO, SchemaFactory
from tests.support.compat import Harness, harness_runner

pytestmark = pytest.mark.anyio

MODEL = {"provider": "openai", "name": "gpt-4o"}


@pytest.fixture(scope="module")
def favorites_harness() -> Harness:
    return harness_runner(REPO / "tests" / "compat" / "mastra_favorites_harness.mjs", NPM_PACKAGES)


async def _stores(store: PostgresStore) -> tuple[VersionedStore, VersionedStore, FavoritesStore]:
    agents = await store.require_store("agents")
    skills = await store.require_store("skills")
    favs = await store.require_store("favorites")
    assert isinstance(agents, VersionedStore) and isinstance(skills, VersionedStore)
    assert isinstance(favs, FavoritesStore)
    return agents, skills, favs


async def our_view(store: PostgresStore, p: str) -> dict[str, Any]:
    """What the harness's ``read`` prints, through our API."""
    agents, skills, favs = await _stores(store)
    author = f"{p}-author"
    counts: dict[str, int] = {}
    for domain, eid in ((agents, f"{p}-a1"), (agents, f"{p}-a2"), (agents, f"{p}-a3")):
        entity = await domain.get_by_id(eid)
        assert entity is not None
        counts[eid] = entity.extra.get("favoriteCount") or 0
    skill = await skills.get_by_id(f"{p}-s1")
    assert skill is not None
    counts[f"{p}-s1"] = skill.extra.get("favoriteCount") or 0
    only = await agents.list(author_id=author, pin_favorited_for="u1", favorited_only=True)
    pinned_skills = await skills.list(author_id=author, pin_favorited_for="u1", favorited_only=True)
    batch = await favs.is_favorited_batch("u2", "agent", [f"{p}-a{n}" for n in (1, 2, 3)])
    pinned = await agents.list(author_id=author, pin_favorited_for="u1")
    return {
        "counts": counts,
        "pinned": [e.id for e in pinned.items],
        "only": {"ids": [e.id for e in only.items], "total": only.total},
        "skillsPinned": [e.id for e in pinned_skills.items],
        "favIds": await favs.list_favorited_ids("u1", "agent"),
        "batch": sorted(batch),
    }


async def write_ours(store: PostgresStore, p: str) -> list[dict[str, Any]]:
    agents, skills, favs = await _stores(store)
    for n in (1, 2, 3):
        config = {"name": f"A{n}", "instructions": "i", "model": MODEL}
        await agents.create(f"{p}-a{n}", author_id=f"{p}-author", config=config)
    await skills.create(
        f"{p}-s1",
        author_id=f"{p}-author",
        config={"name": "S", "description": "d", "instructions": "i"},
    )
    toggles = [
        await favs.favorite("u1", "agent", f"{p}-a1"),
        await favs.favorite("u1", "agent", f"{p}-a1"),
        await favs.favorite("u1", "agent", f"{p}-a3"),
        await favs.favorite("u1", "skill", f"{p}-s1"),
        await favs.favorite("u2", "agent", f"{p}-a1"),
        await favs.favorite("u2", "agent", f"{p}-a2"),
        await favs.unfavorite("u2", "agent", f"{p}-a2"),
    ]
    return [t.to_dict() for t in toggles]


async def toggle_ours(store: PostgresStore, p: str) -> list[dict[str, Any]]:
    _, _, favs = await _stores(store)
    return [
        (await favs.favorite("u3", "agent", f"{p}-a2")).to_dict(),
        (await favs.unfavorite("u1", "agent", f"{p}-a3")).to_dict(),
    ]


async def favorites_shape(admin: Any, schema: str) -> dict[str, Any]:
    """Columns, constraints and indexes of ``mastra_favorites``."""
    columns = await admin.fetch(
        "SELECT column_name::text, data_type::text, is_nullable::text, column_default::text "
        "FROM information_schema.columns WHERE table_schema = $1 "
        "AND table_name = 'mastra_favorites' ORDER BY column_name",
        schema,
    )
    indexes = await admin.fetch(
        "SELECT indexname::text, replace(indexdef, $1, 'S.') FROM pg_indexes "
        "WHERE schemaname = $2 AND tablename = 'mastra_favorites' ORDER BY indexname",
        f"{schema}.",
        schema,
    )
    return {"columns": [tuple(c) for c in columns], "indexes": [tuple(i) for i in indexes]}


async def test_favorites_both_ways(
    pg_url: str, schema: str, schemas: SchemaFactory, favorites_harness: Harness, admin: Any
) -> None:
    # Mastra creates its schema and writes; we read the same, then toggle on its rows
    found = favorites_harness("pg", pg_url, schema, "write", "ts")
    toggles = found.pop("toggles")
    assert [t["favoriteCount"] for t in toggles] == [1, 1, 1, 1, 2, 1, 0]
    store = PostgresStore(pg_url, schema_name=schema)
    await store.init()
    try:
        assert await our_view(store, "ts") == found
        # u1's two favourites first, then the other agent
        assert found["pinned"][2] == "ts-a2" and set(found["pinned"][:2]) == {"ts-a1", "ts-a3"}
        ours_toggled = await toggle_ours(store, "ts")
        ours_after = await our_view(store, "ts")
    finally:
        await store.close()
    assert ours_toggled == [
        {"favorited": True, "favoriteCount": 1},
        {"favorited": False, "favoriteCount": 0},
    ]
    after = favorites_harness("pg", pg_url, schema, "read", "ts", "--no-init")
    assert after.pop("toggles") == []
    assert after == ours_after
    assert after["counts"] == {"ts-a1": 2, "ts-a2": 1, "ts-a3": 0, "ts-s1": 1}

    # our init creates the release's table; we write, Mastra (without its init) reads and
    # toggles on our rows, and we read what it wrote
    ours_schema = schemas.new()
    try:
        store = PostgresStore(pg_url, schema_name=ours_schema)
        await store.init()
        try:
            our_toggles = await write_ours(store, "py")
            expected = await our_view(store, "py")
        finally:
            await store.close()
        assert our_toggles == toggles
        read_back = favorites_harness("pg", pg_url, ours_schema, "read", "py", "--no-init")
        assert read_back.pop("toggles") == []
        assert read_back == expected
        theirs = favorites_harness("pg", pg_url, ours_schema, "toggle", "py", "--no-init")
        assert theirs.pop("toggles") == ours_toggled
        store = PostgresStore(pg_url, schema_name=ours_schema)
        await store.init()
        try:
            assert await our_view(store, "py") == theirs
        finally:
            await store.close()
        # the table, its key and its index are the ones @mastra/pg's init makes
        assert await favorites_shape(admin, ours_schema) == await favorites_shape(admin, schema)
    finally:
        await schemas.drop(ours_schema)
