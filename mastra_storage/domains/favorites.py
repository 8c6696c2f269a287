"""Mastra Studio's favourites domain: users favouriting agents and skills.

Every rule lives here once (validation, typed errors, the toggle semantics); each write is
one atomic unit of the backend (:class:`~mastra_storage.backend.favorites.FavoritesBackend`),
which keeps the entity's ``favoriteCount`` in step with the ``mastra_favorites`` rows as
``@mastra/pg`` 1.27.1 and ``@mastra/libsql`` 1.23.1 do.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..backend.favorites import FavoritesBackend
from ..errors import NotFoundError, ValidationError
from ..favorites_records import FAVORITE_ENTITY_TYPES, Favorite, FavoriteToggle
from ..timeutil import utc_now
from ..validation import require_non_empty, unique_strings
from .base import DomainStore


def check_entity_type(entity_type: object, operation: str) -> str:
    """``"agent"`` or ``"skill"``, else :class:`~mastra_storage.errors.ValidationError`."""
    if entity_type not in FAVORITE_ENTITY_TYPES:
        raise ValidationError(
            f"entity_type must be one of {', '.join(FAVORITE_ENTITY_TYPES)}",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": "entity_type", "value": str(entity_type)[:80]},
        )
    return str(entity_type)


class FavoritesStore(DomainStore[FavoritesBackend]):
    """Favourites over a :class:`~mastra_storage.backend.favorites.FavoritesBackend`
    (``stores["favorites"]``; Mastra's ``FavoritesStorage``).

    Arguments are validated before any I/O (:class:`~mastra_storage.errors.ValidationError`,
    nothing written): ids are non-empty strings, ``entity_type`` is ``"agent"`` or
    ``"skill"``. Besides the errors each method names, any may raise
    :class:`~mastra_storage.errors.UnavailableError` (a write that fails this way was
    applied whole or not at all), :class:`~mastra_storage.errors.StoreClosedError` and
    :class:`~mastra_storage.errors.BackendError`.
    """

    def _key(self, user_id: str, entity_type: str, entity_id: str, op: str) -> None:
        require_non_empty(user_id, field="user_id", operation=op)
        check_entity_type(entity_type, op)
        require_non_empty(entity_id, field="entity_id", operation=op)

    @staticmethod
    def _missing(op: str, entity_type: str, entity_id: str) -> NotFoundError:
        return NotFoundError(
            f"{entity_type} {entity_id} not found",
            id=f"MASTRA_STORAGE_{op}_ENTITY_NOT_FOUND",
            details={"entity_type": entity_type, "entity_id": entity_id},
        )

    async def favorite(self, user_id: str, entity_type: str, entity_id: str) -> FavoriteToggle:
        """Favourite the entity for the user: insert the favourite and add 1 to the
        entity's ``favoriteCount``, atomically. Idempotent: favouriting again changes
        nothing and returns the current count.

        :raises NotFoundError: no ``entity_type`` has id ``entity_id``; nothing written.
        """
        op = "FAVORITE"
        self._key(user_id, entity_type, entity_id, op)
        favorite = Favorite(
            user_id=user_id, entity_type=entity_type, entity_id=entity_id, created_at=utc_now()
        )
        result = await self.backend.favorite(favorite)
        if result is None:
            raise self._missing(op, entity_type, entity_id)
        return result

    async def unfavorite(self, user_id: str, entity_type: str, entity_id: str) -> FavoriteToggle:
        """Remove the user's favourite and subtract 1 from ``favoriteCount`` (never below
        0), atomically. Idempotent: unfavouriting what is not a favourite changes nothing.

        :raises NotFoundError: no ``entity_type`` has id ``entity_id``; nothing written.
        """
        op = "UNFAVORITE"
        self._key(user_id, entity_type, entity_id, op)
        result = await self.backend.unfavorite(user_id, entity_type, entity_id)
        if result is None:
            raise self._missing(op, entity_type, entity_id)
        return result

    async def is_favorited(self, user_id: str, entity_type: str, entity_id: str) -> bool:
        """Whether the user favourited the entity. One read."""
        op = "IS_FAVORITED"
        self._key(user_id, entity_type, entity_id, op)
        return entity_id in await self.backend.favorited_among(user_id, entity_type, [entity_id])

    async def is_favorited_batch(
        self, user_id: str, entity_type: str, entity_ids: Sequence[str]
    ) -> set[str]:
        """Which of ``entity_ids`` the user favourited (to annotate a listing); one read,
        none for an empty list."""
        op = "IS_FAVORITED_BATCH"
        require_non_empty(user_id, field="user_id", operation=op)
        check_entity_type(entity_type, op)
        ids = unique_strings(entity_ids, field="entity_ids", operation=op)
        if not ids:
            return set()
        return await self.backend.favorited_among(user_id, entity_type, ids)

    async def list_favorited_ids(self, user_id: str, entity_type: str) -> list[str]:
        """Every ``entity_type`` id the user favourited, newest favourite first (ties by id),
        as the releases order them."""
        op = "LIST_FAVORITED_IDS"
        require_non_empty(user_id, field="user_id", operation=op)
        check_entity_type(entity_type, op)
        return await self.backend.list_favorited_ids(user_id, entity_type)

    async def delete_favorites_for_entity(self, entity_type: str, entity_id: str) -> int:
        """Delete every user's favourite of the entity and set its ``favoriteCount`` to 0,
        atomically; return how many favourites were removed. Mastra calls this when an
        agent or skill is hard-deleted (its storage ``delete`` does not); call it before or
        after ``VersionedStore.delete`` so no favourite outlives its entity."""
        op = "DELETE_FAVORITES_FOR_ENTITY"
        check_entity_type(entity_type, op)
        require_non_empty(entity_id, field="entity_id", operation=op)
        return await self.backend.delete_for_entity(entity_type, entity_id)


__all__ = ["FavoritesStore", "check_entity_type"]
