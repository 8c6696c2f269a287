"""Studio's favourites as the cross-read tests see them: the scenario of
``tests/compat/mastra_favorites_harness.mjs`` written and read through our API, in the
shape the harness prints (shared by the PostgreSQL and libSQL cross-read tests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mastra_storage import MastraStorage
from mastra_storage.domains.editor import VersionedStore
from mastra_storage.domains.favorites import FavoritesStore

MODEL = {"provider": "openai", "name": "gpt-4o"}


async def _stores(store: MastraStorage) -> tuple[VersionedStore, VersionedStore, FavoritesStore]:
    agents = await store.require_store("agents")
    skills = await store.require_store("skills")
    favs = await store.require_store("favorites")
    assert isinstance(agents, VersionedStore) and isinstance(skills, VersionedStore)
    assert isinstance(favs, FavoritesStore)
    return agents, skills, favs


async def our_view(store: MastraStorage, p: str) -> dict[str, Any]:
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


async def write_ours(store: MastraStorage, p: str) -> list[dict[str, Any]]:
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


async def toggle_ours(store: MastraStorage, p: str) -> list[dict[str, Any]]:
    _, _, favs = await _stores(store)
    return [
        (await favs.favorite("u3", "agent", f"{p}-a2")).to_dict(),
        (await favs.unfavorite("u1", "agent", f"{p}-a3")).to_dict(),
    ]


async def both_ways(
    harness: Callable[..., dict[str, Any]],
    kind: str,
    open_store: Callable[[str, str], MastraStorage],
    theirs: tuple[str, str],
    ours: tuple[str, str],
) -> None:
    """The whole cross-read, on one backend: Mastra writes at ``theirs`` and we read and
    toggle on its rows; our ``init`` and writes at ``ours`` are read and toggled by Mastra
    (without its init), and we read what it wrote. ``theirs`` and ``ours`` are
    ``(target, schema)`` as the harness takes them; ``open_store(target, schema)`` makes
    our store for one of them."""

    async def with_store(where: tuple[str, str], use: Callable[[MastraStorage], Any]) -> Any:
        store = open_store(*where)
        await store.init()
        try:
            return await use(store)
        finally:
            await store.close()

    found = harness(kind, *theirs, "write", "ts")
    toggles = found.pop("toggles")
    assert [t["favoriteCount"] for t in toggles] == [1, 1, 1, 1, 2, 1, 0]

    async def read_and_toggle_theirs(store: MastraStorage) -> tuple[Any, Any]:
        assert await our_view(store, "ts") == found
        # u1's two favourites first, then the other agent
        assert found["pinned"][2] == "ts-a2" and set(found["pinned"][:2]) == {"ts-a1", "ts-a3"}
        return await toggle_ours(store, "ts"), await our_view(store, "ts")

    ours_toggled, ours_after = await with_store(theirs, read_and_toggle_theirs)
    assert ours_toggled == [
        {"favorited": True, "favoriteCount": 1},
        {"favorited": False, "favoriteCount": 0},
    ]
    after = harness(kind, *theirs, "read", "ts", "--no-init")
    assert after.pop("toggles") == []
    assert after == ours_after
    assert after["counts"] == {"ts-a1": 2, "ts-a2": 1, "ts-a3": 0, "ts-s1": 1}

    async def write(store: MastraStorage) -> tuple[Any, Any]:
        return await write_ours(store, "py"), await our_view(store, "py")

    our_toggles, expected = await with_store(ours, write)
    assert our_toggles == toggles
    read_back = harness(kind, *ours, "read", "py", "--no-init")
    assert read_back.pop("toggles") == []
    assert read_back == expected
    mastra_toggled = harness(kind, *ours, "toggle", "py", "--no-init")
    assert mastra_toggled.pop("toggles") == ours_toggled
    assert await with_store(ours, lambda store: our_view(store, "py")) == mastra_toggled
