"""Studio's favourites on PostgreSQL: ``mastra_favorites`` as ``@mastra/pg`` 1.27.1 writes
it, and the agents' and skills' ``favoriteCount`` kept in step in the same transaction.

A favourite is one statement (one round trip): the entity row locked (``FOR UPDATE``; a
missing entity writes nothing), ``INSERT ... ON CONFLICT DO NOTHING`` and, only when a row
was inserted, an ``UPDATE`` adding 1 to the count, which it returns. An unfavourite is the
same with a ``DELETE`` and ``GREATEST(... - 1, 0)``. A second writer of the same key waits
on the first's key lock and then inserts or deletes nothing, and the count updates are
row-locked increments, so concurrent toggles (ours, or a Mastra app's, which runs the same
steps as separate statements in one transaction) never lose or double a count.
"""

from __future__ import annotations

from mastra_storage.backend.favorites import FAVORITE_ENTITY_TABLES, FavoritesBackend
from mastra_storage.favorites_records import Favorite, FavoriteToggle
from mastra_storage.layout import TABLE_AGENTS, TABLE_FAVORITES, TABLE_SKILLS

from .domain import PgBackend, PgContext
from .sqlutil import naive


class PgFavoritesBackend(PgBackend, FavoritesBackend):
    """The favourites domain over the store's pool (see the module docstring)."""

    def __init__(self, ctx: PgContext) -> None:
        PgBackend.__init__(self, ctx)
        self._f = self.t(TABLE_FAVORITES)
        self._entity = {k: self.t(v.name) for k, v in FAVORITE_ENTITY_TABLES.items()}

    async def dangerously_clear_all(self) -> None:
        """Delete every favourite and zero the counts above 0, in one transaction."""
        async with self._db.transaction("dangerouslyClearAll:favorites") as tx:
            await tx.execute(f"DELETE FROM {self._f}")
            for name in (TABLE_AGENTS, TABLE_SKILLS):
                await tx.execute(
                    f'UPDATE {self.t(name)} SET "favoriteCount" = 0 WHERE "favoriteCount" > 0'
                )

    async def favorite(self, favorite: Favorite) -> FavoriteToggle | None:
        entity = self._entity[favorite.entity_type]
        row = await self._db.fetchrow(
            "favorite",
            f'WITH e AS (SELECT "favoriteCount" FROM {entity} WHERE id = $3 FOR UPDATE), '
            f'ins AS (INSERT INTO {self._f} ("userId", "entityType", "entityId", "createdAt", '
            '"createdAtZ") SELECT $1::text, $2::text, $3::text, $4::timestamp, '
            "$5::timestamptz FROM e "
            'ON CONFLICT ("userId", "entityType", "entityId") DO NOTHING RETURNING 1), '
            f'upd AS (UPDATE {entity} SET "favoriteCount" = COALESCE("favoriteCount", 0) + 1 '
            'WHERE id = $3 AND EXISTS (SELECT 1 FROM ins) RETURNING "favoriteCount") '
            "SELECT EXISTS (SELECT 1 FROM e), "
            'COALESCE((SELECT "favoriteCount" FROM upd), (SELECT "favoriteCount" FROM e))',
            favorite.user_id,
            favorite.entity_type,
            favorite.entity_id,
            naive(favorite.created_at),
            favorite.created_at,
        )
        if not row[0]:
            return None
        return FavoriteToggle(favorited=True, favorite_count=int(row[1] or 0))

    async def unfavorite(
        self, user_id: str, entity_type: str, entity_id: str
    ) -> FavoriteToggle | None:
        entity = self._entity[entity_type]
        row = await self._db.fetchrow(
            "unfavorite",
            f'WITH e AS (SELECT "favoriteCount" FROM {entity} WHERE id = $3 FOR UPDATE), '
            f'del AS (DELETE FROM {self._f} WHERE "userId" = $1 AND "entityType" = $2 '
            'AND "entityId" = $3 AND EXISTS (SELECT 1 FROM e) RETURNING 1), '
            f'upd AS (UPDATE {entity} SET "favoriteCount" = '
            'GREATEST(COALESCE("favoriteCount", 0) - 1, 0) '
            'WHERE id = $3 AND EXISTS (SELECT 1 FROM del) RETURNING "favoriteCount") '
            "SELECT EXISTS (SELECT 1 FROM e), "
            'COALESCE((SELECT "favoriteCount" FROM upd), (SELECT "favoriteCount" FROM e))',
            user_id,
            entity_type,
            entity_id,
        )
        if not row[0]:
            return None
        return FavoriteToggle(favorited=False, favorite_count=int(row[1] or 0))

    async def favorited_among(
        self, user_id: str, entity_type: str, entity_ids: list[str]
    ) -> set[str]:
        rows = await self._db.fetch(
            "isFavoritedBatch",
            f'SELECT "entityId" FROM {self._f} WHERE "userId" = $1 AND "entityType" = $2 '
            'AND "entityId" = ANY($3::text[])',
            user_id,
            entity_type,
            entity_ids,
        )
        return {r[0] for r in rows}

    async def list_favorited_ids(self, user_id: str, entity_type: str) -> list[str]:
        rows = await self._db.fetch(
            "listFavoritedIds",
            f'SELECT "entityId" FROM {self._f} WHERE "userId" = $1 AND "entityType" = $2 '
            'ORDER BY "createdAt" DESC, "entityId" ASC',
            user_id,
            entity_type,
        )
        return [r[0] for r in rows]

    async def delete_for_entity(self, entity_type: str, entity_id: str) -> int:
        entity = self._entity[entity_type]
        # One statement (so atomic, and one round trip instead of BEGIN, two statements and
        # COMMIT): a data-modifying CTE runs whether or not the query reads it.
        removed = await self._db.fetchval(
            "deleteFavoritesForEntity",
            f'WITH d AS (DELETE FROM {self._f} WHERE "entityType" = $1 AND "entityId" = $2 '
            f'RETURNING 1), z AS (UPDATE {entity} SET "favoriteCount" = 0 WHERE id = $2) '
            "SELECT count(*) FROM d",
            entity_type,
            entity_id,
        )
        return int(removed or 0)


__all__ = ["PgFavoritesBackend"]
