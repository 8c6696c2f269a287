"""Studio's favourites on SQLite / libSQL: ``mastra_favorites`` as ``@mastra/libsql``
1.23.1 writes it (ISO-8601 ``createdAt``), and the agents' and skills' ``favoriteCount``
kept in step in the same ``BEGIN IMMEDIATE`` transaction (one writer at a time).

Each toggle is a fixed list of statements, with no branch on a result between them (the
same job runs over a remote sqld stream): the count changes first, conditioned on whether
the row exists, then the row is inserted or deleted; the count is read last. Inside one
write transaction that is exactly "count changes only when the row did".
"""

from __future__ import annotations

from mastra_storage.backend.favorites import FAVORITE_ENTITY_TABLES, FavoritesBackend
from mastra_storage.favorites_records import Favorite, FavoriteToggle
from mastra_storage.layout import TABLE_AGENTS, TABLE_FAVORITES, TABLE_SKILLS

from .domain import LibSQLDomain
from .sqlutil import ts
from .tx import Tx

_F = TABLE_FAVORITES
_KEY = '"userId" = ? AND "entityType" = ? AND "entityId" = ?'


class LibSQLFavoritesBackend(LibSQLDomain, FavoritesBackend):
    """The favourites domain on the store's database (see the module docstring)."""

    async def dangerously_clear_all(self) -> None:
        """Delete every favourite and zero the counts above 0, in one transaction."""

        def job(tx: Tx) -> None:
            tx.execute(f"DELETE FROM {_F}")
            for table in (TABLE_AGENTS, TABLE_SKILLS):
                tx.execute(f'UPDATE {table} SET "favoriteCount" = 0 WHERE "favoriteCount" > 0')

        await self.db.run("dangerouslyClearAll", job)

    async def favorite(self, favorite: Favorite) -> FavoriteToggle | None:
        entity = FAVORITE_ENTITY_TABLES[favorite.entity_type].name
        key = (favorite.user_id, favorite.entity_type, favorite.entity_id)

        def job(tx: Tx) -> int | None:
            tx.execute(
                f'UPDATE {entity} SET "favoriteCount" = COALESCE("favoriteCount", 0) + 1 '
                f"WHERE id = ? AND NOT EXISTS (SELECT 1 FROM {_F} WHERE {_KEY})",
                (favorite.entity_id, *key),
            )
            tx.execute(
                f'INSERT OR IGNORE INTO {_F} ("userId", "entityType", "entityId", "createdAt") '
                f"SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM {entity} WHERE id = ?)",
                (*key, ts(favorite.created_at), favorite.entity_id),
            )
            return _count(tx, entity, favorite.entity_id)

        count = await self.db.run("favorite", job)
        return None if count is None else FavoriteToggle(favorited=True, favorite_count=count)

    async def unfavorite(
        self, user_id: str, entity_type: str, entity_id: str
    ) -> FavoriteToggle | None:
        entity = FAVORITE_ENTITY_TABLES[entity_type].name
        key = (user_id, entity_type, entity_id)

        def job(tx: Tx) -> int | None:
            tx.execute(
                f'UPDATE {entity} SET "favoriteCount" = MAX(COALESCE("favoriteCount", 0) - 1, 0) '
                f"WHERE id = ? AND EXISTS (SELECT 1 FROM {_F} WHERE {_KEY})",
                (entity_id, *key),
            )
            tx.execute(
                f"DELETE FROM {_F} WHERE {_KEY} AND EXISTS (SELECT 1 FROM {entity} WHERE id = ?)",
                (*key, entity_id),
            )
            return _count(tx, entity, entity_id)

        count = await self.db.run("unfavorite", job)
        return None if count is None else FavoriteToggle(favorited=False, favorite_count=count)

    async def favorited_among(
        self, user_id: str, entity_type: str, entity_ids: list[str]
    ) -> set[str]:
        marks = ", ".join("?" for _ in entity_ids)
        sql = (
            f'SELECT "entityId" FROM {_F} WHERE "userId" = ? AND "entityType" = ? '
            f'AND "entityId" IN ({marks})'
        )

        def job(tx: Tx) -> set[str]:
            return {r[0] for r in tx.fetchall(sql, (user_id, entity_type, *entity_ids))}

        return await self.db.run("isFavoritedBatch", job, mode="none")

    async def list_favorited_ids(self, user_id: str, entity_type: str) -> list[str]:
        sql = (
            f'SELECT "entityId" FROM {_F} WHERE "userId" = ? AND "entityType" = ? '
            'ORDER BY "createdAt" DESC, "entityId" ASC'
        )

        def job(tx: Tx) -> list[str]:
            return [r[0] for r in tx.fetchall(sql, (user_id, entity_type))]

        return await self.db.run("listFavoritedIds", job, mode="none")

    async def delete_for_entity(self, entity_type: str, entity_id: str) -> int:
        entity = FAVORITE_ENTITY_TABLES[entity_type].name
        where = '"entityType" = ? AND "entityId" = ?'

        def job(tx: Tx) -> int:
            # RETURNING: the rows deleted are the count, without a SELECT first
            gone = tx.fetchall(
                f"DELETE FROM {_F} WHERE {where} RETURNING 1", (entity_type, entity_id)
            )
            tx.execute(f'UPDATE {entity} SET "favoriteCount" = 0 WHERE id = ?', (entity_id,))
            return len(gone)

        return await self.db.run("deleteFavoritesForEntity", job)


def _count(tx: Tx, entity: str, entity_id: str) -> int | None:
    """The entity's count after the toggle, or ``None`` when the entity does not exist."""
    row = tx.fetchone(
        f'SELECT COALESCE("favoriteCount", 0) FROM {entity} WHERE id = ?', (entity_id,)
    )
    return None if row is None else int(row[0])


__all__ = ["LibSQLFavoritesBackend"]
