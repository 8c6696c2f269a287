"""Records of Mastra Studio's favourites domain (``mastra_favorites``, ``@mastra/core``
1.71.0): a user favouriting an agent or a skill, and what a toggle returns.

Kept apart from :mod:`mastra_storage.records` (the memory domain's records) because the
favourites domain is optional: only adapters whose Mastra release has the table offer it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from .records import Record

#: What can be favourited (Mastra's ``STORAGE_FAVORITE_ENTITY_TYPES``).
FavoriteEntityType = Literal["agent", "skill"]
FAVORITE_ENTITY_TYPES: tuple[str, ...] = ("agent", "skill")


class Favorite(Record, kw_only=True):
    """One row of ``mastra_favorites``: ``user_id`` favourited ``entity_type``
    ``entity_id`` at ``created_at``. Unique per ``(user_id, entity_type, entity_id)``."""

    _datetime_fields = ("created_at",)

    user_id: str
    entity_type: str
    entity_id: str
    created_at: datetime


class FavoriteToggle(msgspec.Struct, frozen=True, kw_only=True):
    """The result of a favourite or unfavourite (Mastra's ``FavoriteToggleResult``):
    ``favorited`` is the state for the caller afterwards, ``favorite_count`` the entity's
    ``favoriteCount`` after the operation, read in the same transaction."""

    favorited: bool
    favorite_count: int

    def to_dict(self) -> dict[str, bool | int]:
        """Mastra's shape: ``{"favorited": ..., "favoriteCount": ...}``."""
        return {"favorited": self.favorited, "favoriteCount": self.favorite_count}


__all__ = [
    "FAVORITE_ENTITY_TYPES",
    "Favorite",
    "FavoriteEntityType",
    "FavoriteToggle",
]
