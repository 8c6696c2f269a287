"""Mastra Studio's favourites domain (``mastra_favorites``, ``@mastra/core`` 1.71.0) and the
agents/skills listings that join it (``pinFavoritedFor``, ``favoritedOnly``).

A storage without the domain (no ``stores["favorites"]``) skips the domain's tests, and its
listings must refuse the favourite options with ``NotSupportedError``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest

from ...composite import MastraStorage
from ...domains.editor import VersionedStore
from ...domains.favorites import FavoritesStore
from ...editor_records import EditorEntity
from ...errors import NotFoundError, NotSupportedError, ValidationError
from ...favorites_records import FavoriteToggle
from ..data import uid
from ._base import ConformanceBase

_CONFIG: dict[str, dict[str, Any]] = {
    "agents": {"name": "A", "instructions": "Be brief.", "model": {"provider": "openai"}},
    "skills": {"name": "S", "description": "Does things", "instructions": "Step 1"},
}
_TYPE = {"agents": "agent", "skills": "skill"}
kinds = pytest.mark.parametrize("domain", ["agents", "skills"])


class FavoritesTests(ConformanceBase):
    """Favourite/unfavourite keep ``favoriteCount`` in step; listings pin favourites."""

    @classmethod
    async def favorites(cls, storage: MastraStorage) -> FavoritesStore:
        """The favourites store; skips the test when the storage has none."""
        found = await cls.optional_domain(storage, "favorites")
        assert isinstance(found, FavoritesStore)
        return found

    @classmethod
    async def entities(cls, storage: MastraStorage, domain: str) -> VersionedStore:
        """An editor domain's store (agents, skills); skips the test when absent."""
        found = await cls.optional_domain(storage, domain)
        assert isinstance(found, VersionedStore)
        return found

    async def _count(self, store: VersionedStore, eid: str) -> int:
        entity = await store.get_by_id(eid)
        assert entity is not None
        return int(entity.extra.get("favoriteCount") or 0)

    @kinds
    async def test_favorite_is_idempotent_and_counts(
        self, storage: MastraStorage, domain: str
    ) -> None:
        favs = await self.favorites(storage)
        store = await self.entities(storage, domain)
        kind = _TYPE[domain]
        eid = uid(domain)
        await store.create(eid, config=_CONFIG[domain])
        before = await store.get_by_id(eid)
        assert await favs.favorite("u1", kind, eid) == FavoriteToggle(
            favorited=True, favorite_count=1
        )
        assert await favs.favorite("u1", kind, eid) == FavoriteToggle(
            favorited=True, favorite_count=1
        )
        assert (await favs.favorite("u2", kind, eid)).to_dict() == {
            "favorited": True,
            "favoriteCount": 2,
        }
        assert await self._count(store, eid) == 2
        assert await favs.is_favorited("u1", kind, eid)
        assert not await favs.is_favorited("u3", kind, eid)
        assert await favs.is_favorited_batch("u1", kind, [eid, "nope", eid]) == {eid}
        assert await favs.is_favorited_batch("u1", kind, []) == set()
        assert await favs.unfavorite("u1", kind, eid) == FavoriteToggle(
            favorited=False, favorite_count=1
        )
        assert await favs.unfavorite("u1", kind, eid) == FavoriteToggle(
            favorited=False, favorite_count=1
        )
        assert await favs.unfavorite("u3", kind, eid) == FavoriteToggle(
            favorited=False, favorite_count=1
        )
        after = await store.get_by_id(eid)
        assert after is not None and before is not None
        assert after.updated_at == before.updated_at  # as the SQL releases: the count only

    async def test_unfavorite_never_below_zero(self, storage: MastraStorage) -> None:
        favs = await self.favorites(storage)
        store = await self.entities(storage, "agents")
        eid = uid("agent")
        await store.create(eid, config=_CONFIG["agents"])
        await favs.favorite("u1", "agent", eid)

        def drifted(entity: EditorEntity) -> EditorEntity:
            # a count that drifted below the rows (written by hand, or an old writer)
            return msgspec.structs.replace(entity, extra={**entity.extra, "favoriteCount": 0})

        await store.backend.modify_entity(eid, drifted)
        assert await favs.unfavorite("u1", "agent", eid) == FavoriteToggle(
            favorited=False, favorite_count=0
        )
        assert await self._count(store, eid) == 0

    async def test_missing_entity_and_validation(self, storage: MastraStorage) -> None:
        favs = await self.favorites(storage)
        agents = await self.entities(storage, "agents")
        eid = uid("agent")
        await agents.create(eid, config=_CONFIG["agents"])
        with pytest.raises(NotFoundError):
            await favs.favorite("u1", "skill", eid)  # an agent id is no skill
        with pytest.raises(NotFoundError):
            await favs.unfavorite("u1", "agent", uid("missing"))
        assert not await favs.is_favorited("u1", "skill", eid)
        assert await favs.list_favorited_ids("u1", "skill") == []
        for bad in (
            lambda: favs.favorite("u1", "workflow", eid),
            lambda: favs.favorite("", "agent", eid),
            lambda: favs.unfavorite("u1", "agent", " "),
            lambda: favs.is_favorited_batch("u1", "agent", "abc"),
            lambda: favs.list_favorited_ids("u1", "agents"),
            lambda: favs.delete_favorites_for_entity("Agent", eid),
        ):
            with pytest.raises(ValidationError):
                await bad()
        assert await self._count(agents, eid) == 0

    async def test_count_in_step_under_concurrency(self, storage: MastraStorage) -> None:
        favs = await self.favorites(storage)
        store = await self.entities(storage, "agents")
        eid = uid("agent")
        await store.create(eid, config=_CONFIG["agents"])
        users = [f"user-{n}" for n in range(8)]
        # every user twice at once: 8 rows, count 8, whatever the interleaving
        await asyncio.gather(*(favs.favorite(u, "agent", eid) for u in users + users))
        assert await self._count(store, eid) == 8
        assert len(await favs.is_favorited_batch("user-0", "agent", [eid])) == 1
        # unfavourites racing favourites of other users and repeated unfavourites
        await asyncio.gather(
            *(favs.unfavorite(u, "agent", eid) for u in users[:6] + users[:6]),
            *(favs.favorite(f"late-{n}", "agent", eid) for n in range(3)),
        )
        assert await self._count(store, eid) == 5
        await asyncio.gather(
            *(favs.unfavorite(u, "agent", eid) for u in users + [f"late-{n}" for n in range(3)])
        )
        assert await self._count(store, eid) == 0

    async def test_list_favorited_ids_newest_first(self, storage: MastraStorage) -> None:
        favs = await self.favorites(storage)
        store = await self.entities(storage, "skills")
        user = uid("user")
        ids = [uid("skill") for _ in range(3)]
        for eid in ids:
            await store.create(eid, config=_CONFIG["skills"])
        for eid in ids:
            await favs.favorite(user, "skill", eid)
            await asyncio.sleep(0.005)  # distinct createdAt (milliseconds)
        assert await favs.list_favorited_ids(user, "skill") == ids[::-1]
        assert await favs.list_favorited_ids(user, "agent") == []

    async def test_delete_favorites_for_entity(self, storage: MastraStorage) -> None:
        favs = await self.favorites(storage)
        store = await self.entities(storage, "agents")
        eid, other = uid("agent"), uid("agent")
        for e in (eid, other):
            await store.create(e, config=_CONFIG["agents"])
            for u in ("u1", "u2", "u3"):
                await favs.favorite(u, "agent", e)
        assert await favs.delete_favorites_for_entity("agent", eid) == 3
        assert await self._count(store, eid) == 0
        assert await favs.is_favorited_batch("u1", "agent", [eid, other]) == {other}
        assert await self._count(store, other) == 3
        assert await favs.delete_favorites_for_entity("agent", eid) == 0
        await store.delete(other)  # the entity is gone: its rows still go, no count to set
        assert await favs.delete_favorites_for_entity("agent", other) == 3
        assert await favs.list_favorited_ids("u1", "agent") == []

    @kinds
    async def test_listing_pins_favorites(self, storage: MastraStorage, domain: str) -> None:
        store = await self.entities(storage, domain)
        author, user = uid("author"), uid("user")
        if await storage.get_store("favorites") is None:
            # no mastra_favorites to join: the options are refused, never ignored
            for flag in (False, True):
                with pytest.raises(NotSupportedError):
                    await store.list(author_id=author, pin_favorited_for=user, favorited_only=flag)
            with pytest.raises(NotSupportedError):
                await store.list_resolved(author_id=author, pin_favorited_for=user)
            return
        favs = await self.favorites(storage)
        ids = []
        for _ in range(5):
            eid = uid(domain)
            await store.create(eid, config=_CONFIG[domain], author_id=author)
            ids.append(eid)
        plain = await store.list(author_id=author)
        order = [e.id for e in plain.items]  # createdAt DESC, id ASC
        liked = {order[2], order[4]}
        for eid in liked:
            await favs.favorite(user, _TYPE[domain], eid)
        await favs.favorite("someone-else", _TYPE[domain], order[0])
        expected = [i for i in order if i in liked] + [i for i in order if i not in liked]

        pinned = await store.list(author_id=author, pin_favorited_for=user)
        assert [e.id for e in pinned.items] == expected
        assert pinned.total == 5
        pages = [
            await store.list(author_id=author, pin_favorited_for=user, page=n, per_page=2)
            for n in range(3)
        ]
        assert [e.id for p in pages for e in p.items] == expected
        assert [p.has_more for p in pages] == [True, True, False]
        asc_order = [e.id for e in (await store.list(author_id=author, direction="ASC")).items]
        asc = await store.list(author_id=author, pin_favorited_for=user, direction="ASC")
        assert [e.id for e in asc.items] == [i for i in asc_order if i in liked] + [
            i for i in asc_order if i not in liked
        ]

        only = await store.list(author_id=author, pin_favorited_for=user, favorited_only=True)
        assert [e.id for e in only.items] == [i for i in order if i in liked]
        assert only.total == 2
        first = await store.list(
            author_id=author, pin_favorited_for=user, favorited_only=True, per_page=1
        )
        second = await store.list(
            author_id=author,
            pin_favorited_for=user,
            favorited_only=True,
            per_page=1,
            cursor=first.next_cursor,
        )
        assert [e.id for e in first.items + second.items] == [i for i in order if i in liked]
        assert second.has_more is False
        resolved = await store.list_resolved(
            author_id=author, pin_favorited_for=user, favorited_only=True
        )
        assert [r.entity.id for r in resolved.items] == [i for i in order if i in liked]
        assert all(r.version is not None for r in resolved.items)
        nobody = await store.list(author_id=author, pin_favorited_for=uid("u"), favorited_only=True)
        assert (nobody.items, nobody.total) == ([], 0)
        assert [e.id for e in (await store.list(author_id=author)).items] == order

        with pytest.raises(ValidationError):
            await store.list(author_id=author, favorited_only=True)  # which user's?
        with pytest.raises(ValidationError):
            await store.list(
                author_id=author,
                pin_favorited_for=user,
                per_page=2,
                cursor=(await store.list(author_id=author, per_page=2)).next_cursor,
            )
        with pytest.raises(ValidationError):
            await store.list(author_id=author, pin_favorited_for="")
        with pytest.raises(ValidationError):
            await store.list(pin_favorited_for=user, favorited_only=1)  # type: ignore[arg-type]

    async def test_listing_favorites_only_on_agents_and_skills(
        self, storage: MastraStorage
    ) -> None:
        blocks = await self.entities(storage, "promptBlocks")
        with pytest.raises(ValidationError):
            await blocks.list(pin_favorited_for="u1")


__all__ = ["FavoritesTests"]
