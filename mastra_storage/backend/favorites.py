"""The backend contract of Mastra Studio's favourites domain (``mastra_favorites``).

A favourite is one row ``(userId, entityType, entityId, createdAt)`` keyed by the first
three; ``entityType`` is ``"agent"`` or ``"skill"``. The entity's thin record carries a
denormalised ``favoriteCount`` that Mastra's list responses show. The releases keep the two
in step in one transaction: a favourite that inserts a row adds 1, an unfavourite that
deletes one subtracts 1 (never below 0), repeating either changes nothing. A backend does
the same as one atomic unit per call; the core (:class:`~mastra_storage.domains.favorites.
FavoritesStore`) validates the arguments first.

A storage that offers the domain puts a ``FavoritesStore`` under ``stores["favorites"]``;
one without it (MongoDB: ``@mastra/mongodb`` 1.19.0 has no favourites; DynamoDB, Upstash)
has no such key, so ``require_store("favorites")`` raises ``NotSupportedError`` and the
conformance suite skips the domain.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from .. import layout
from ..favorites_records import Favorite, FavoriteToggle
from ..layout import LogicalTable

#: The thin-record table whose ``favoriteCount`` a favourite of each type keeps.
FAVORITE_ENTITY_TABLES: dict[str, LogicalTable] = {
    "agent": layout.AGENTS,
    "skill": layout.SKILLS,
}
#: The favourite type of the editor domains that have one (Mastra offers
#: ``pinFavoritedFor``/``favoritedOnly`` on these two listings only).
FAVORITE_TYPE_OF_DOMAIN: dict[str, str] = {"agents": "agent", "skills": "skill"}


class FavoritesBackend(ABC):
    """What a backend implements for the favourites domain. Every method is one atomic
    unit; arguments arrive validated (non-empty ids, a known entity type)."""

    async def init(self) -> None:
        """Create or upgrade the table and its index. Idempotent; the default does
        nothing."""

    @abstractmethod
    async def dangerously_clear_all(self) -> None:
        """Delete every favourite and set every agent's and skill's ``favoriteCount`` to 0
        that was above it, together (meant for tests)."""

    @abstractmethod
    async def favorite(self, favorite: Favorite) -> FavoriteToggle | None:
        """Insert the row unless ``(user, type, entity)`` exists, and when it was inserted
        add 1 to the entity's ``favoriteCount`` (NULL counts as 0); return
        ``favorited=True`` and the count read afterwards, in the same transaction.
        ``None`` (nothing written) when the entity does not exist."""

    @abstractmethod
    async def unfavorite(
        self, user_id: str, entity_type: str, entity_id: str
    ) -> FavoriteToggle | None:
        """Delete the row if present, and when one was deleted subtract 1 from the
        entity's ``favoriteCount``, never below 0; return ``favorited=False`` and the count
        read afterwards, in the same transaction. ``None`` when the entity does not
        exist."""

    @abstractmethod
    async def favorited_among(
        self, user_id: str, entity_type: str, entity_ids: list[str]
    ) -> set[str]:
        """Which of ``entity_ids`` (non-empty, distinct) ``user_id`` has favourited."""

    @abstractmethod
    async def list_favorited_ids(self, user_id: str, entity_type: str) -> list[str]:
        """Every entity of ``entity_type`` ``user_id`` favourited, newest favourite first,
        ties by entity id ascending (the releases' ``ORDER BY "createdAt" DESC,
        "entityId" ASC``)."""

    @abstractmethod
    async def delete_for_entity(self, entity_type: str, entity_id: str) -> int:
        """Delete every favourite of the entity and set its ``favoriteCount`` to 0 (when
        the record still exists), together; return how many rows were deleted."""


__all__ = ["FAVORITE_ENTITY_TABLES", "FAVORITE_TYPE_OF_DOMAIN", "FavoritesBackend"]
