"""The in-memory reference of the favourites domain.

Favourites live in ``InMemoryDB.favorites`` keyed by ``(user, type, entity)``; the counts
live in the agents' and skills' thin records (``db.editor``), so the editor listings see
them. Every method runs without an ``await`` in the middle, which makes the row change and
the count change one atomic step with respect to other tasks.
"""

from __future__ import annotations

import copy

from ..backend.favorites import FavoritesBackend
from ..editor_records import EditorEntity
from ..favorites_records import Favorite, FavoriteToggle
from .editor import EditorTables

FavoriteKey = tuple[str, str, str]
#: The editor domain holding each favourite type's records.
_DOMAIN_OF_TYPE = {"agent": "agents", "skill": "skills"}


def _count(entity: EditorEntity) -> int:
    return int(entity.extra.get("favoriteCount") or 0)


class InMemoryFavoritesBackend(FavoritesBackend):
    """The reference :class:`~mastra_storage.backend.favorites.FavoritesBackend`."""

    def __init__(self, rows: dict[FavoriteKey, Favorite], editor: dict[str, EditorTables]) -> None:
        self._rows = rows
        self._editor = editor

    def _entities(self, entity_type: str) -> dict[str, EditorEntity]:
        return self._editor.setdefault(_DOMAIN_OF_TYPE[entity_type], EditorTables()).entities

    def _set_count(self, entity_type: str, entity: EditorEntity, count: int) -> None:
        # the count only: updatedAt stays, as @mastra/pg and @mastra/libsql leave it
        extra = {**entity.extra, "favoriteCount": count}
        self._entities(entity_type)[entity.id] = entity.replace(extra=extra)

    async def dangerously_clear_all(self) -> None:
        self._rows.clear()
        for entity_type in _DOMAIN_OF_TYPE:
            for entity in list(self._entities(entity_type).values()):
                if _count(entity) > 0:
                    self._set_count(entity_type, entity, 0)

    async def favorite(self, favorite: Favorite) -> FavoriteToggle | None:
        entity = self._entities(favorite.entity_type).get(favorite.entity_id)
        if entity is None:
            return None
        key = (favorite.user_id, favorite.entity_type, favorite.entity_id)
        count = _count(entity)
        if key not in self._rows:
            self._rows[key] = copy.deepcopy(favorite)
            count += 1
            self._set_count(favorite.entity_type, entity, count)
        return FavoriteToggle(favorited=True, favorite_count=count)

    async def unfavorite(
        self, user_id: str, entity_type: str, entity_id: str
    ) -> FavoriteToggle | None:
        entity = self._entities(entity_type).get(entity_id)
        if entity is None:
            return None
        count = _count(entity)
        if self._rows.pop((user_id, entity_type, entity_id), None) is not None:
            count = max(count - 1, 0)
            self._set_count(entity_type, entity, count)
        return FavoriteToggle(favorited=False, favorite_count=count)

    async def favorited_among(
        self, user_id: str, entity_type: str, entity_ids: list[str]
    ) -> set[str]:
        return {i for i in entity_ids if (user_id, entity_type, i) in self._rows}

    async def list_favorited_ids(self, user_id: str, entity_type: str) -> list[str]:
        mine = [f for (u, t, _), f in self._rows.items() if u == user_id and t == entity_type]
        mine.sort(key=lambda f: f.entity_id)
        mine.sort(key=lambda f: f.created_at, reverse=True)  # stable: ids ascending in ties
        return [f.entity_id for f in mine]

    async def delete_for_entity(self, entity_type: str, entity_id: str) -> int:
        keys = [k for k in self._rows if k[1] == entity_type and k[2] == entity_id]
        for key in keys:
            del self._rows[key]
        entity = self._entities(entity_type).get(entity_id)
        if entity is not None:
            self._set_count(entity_type, entity, 0)
        return len(keys)

    def favorited_ids(self, user_id: str, entity_type: str) -> set[str]:
        """The user's favourites of one type, read without an ``await`` (for the editor
        listing, which must read them in the same step as the records)."""
        return {e for (u, t, e) in self._rows if u == user_id and t == entity_type}


__all__ = ["FavoriteKey", "InMemoryFavoritesBackend"]
