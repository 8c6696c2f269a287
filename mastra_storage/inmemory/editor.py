"""The in-memory reference of the editor domains' backend contract.

One :class:`InMemoryEditorBackend` per domain, each over its own two dictionaries in the
shared :class:`~mastra_storage.inmemory.store.InMemoryDB` (``db.editor[domain name]``).
Every method runs without an ``await`` in the middle, so each is atomic with respect to
other tasks; records are deep-copied in and out.
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

from ..backend.editor import (
    EDITOR_DOMAINS,
    EditorBackend,
    EditorDomain,
    EntityMutation,
    EntityQuery,
    VersionQuery,
)
from ..codec import dumps, loads
from ..domains.editor import editor_stores
from ..editor_records import EditorEntity, EditorVersion
from ..errors import ConflictError, NotFoundError

T = TypeVar("T")


def _copy(value: T) -> T:
    return copy.deepcopy(value)


class EditorTables:
    """One domain's state: entities by id, versions by id."""

    def __init__(self) -> None:
        self.entities: dict[str, EditorEntity] = {}
        self.versions: dict[str, EditorVersion] = {}


class InMemoryEditorBackend(EditorBackend):
    """The reference :class:`~mastra_storage.backend.editor.EditorBackend` (see module),
    with the favourites listing (:class:`~mastra_storage.backend.editor.
    SupportsFavoriteListing`) when given the favourites rows."""

    def __init__(
        self,
        domain: EditorDomain,
        tables: EditorTables,
        favorites: dict[tuple[str, str, str], Any] | None = None,
    ) -> None:
        super().__init__(domain)
        self._t = tables
        self._favorites = favorites if favorites is not None else {}

    async def query_entities_favorites(
        self, query: EntityQuery, user_id: str, entity_type: str, *, favorited_only: bool
    ) -> tuple[list[EditorEntity], int]:
        """The listing joined with ``user_id``'s favourites, read in one step."""
        mine = {e for (u, t, e) in self._favorites if u == user_id and t == entity_type}
        found, total = query.execute_favorites(
            self._t.entities.values(), mine, favorited_only=favorited_only
        )
        return _copy(found), total

    def _conflict(self, what: str, **details: Any) -> ConflictError:
        return ConflictError(
            f"{self.domain.name}: {what} already exists",
            id=f"MASTRA_STORAGE_{self.domain.name.upper()}_CONFLICT",
            details=details,
        )

    @staticmethod
    def _stored_version(version: EditorVersion) -> EditorVersion:
        # a JSON round trip mirrors what a database does to the config values
        return version.replace(config=loads(dumps(version.config)))

    async def dangerously_clear_all(self) -> None:
        self._t.entities.clear()
        self._t.versions.clear()

    async def insert_entity_with_version(
        self, entity: EditorEntity, version: EditorVersion
    ) -> None:
        if entity.id in self._t.entities:
            raise self._conflict(f"entity {entity.id}", id=entity.id)
        if version.id in self._t.versions:
            raise self._conflict(f"version {version.id}", id=version.id)
        self._t.entities[entity.id] = _copy(entity)
        self._t.versions[version.id] = self._stored_version(version)

    async def get_entity(self, entity_id: str) -> EditorEntity | None:
        return _copy(self._t.entities.get(entity_id))

    async def modify_entity(self, entity_id: str, mutate: EntityMutation) -> EditorEntity | None:
        current = self._t.entities.get(entity_id)
        if current is None:
            return None
        updated = mutate(_copy(current))
        self._t.entities[entity_id] = _copy(updated)
        return updated

    async def delete_entity_with_versions(self, entity_id: str) -> None:
        self._t.entities.pop(entity_id, None)
        for vid in [k for k, v in self._t.versions.items() if v.parent_id == entity_id]:
            del self._t.versions[vid]

    async def query_entities(self, query: EntityQuery) -> tuple[list[EditorEntity], int]:
        found, total = query.execute(self._t.entities.values())
        return _copy(found), total

    def _of(self, parent_id: str) -> list[EditorVersion]:
        return [v for v in self._t.versions.values() if v.parent_id == parent_id]

    async def insert_version(self, version: EditorVersion, *, assign_number: bool) -> EditorVersion:
        if version.parent_id not in self._t.entities:
            raise NotFoundError(
                f"{self.domain.name} entity {version.parent_id} not found",
                id=f"MASTRA_STORAGE_CREATE_{self.domain.name.upper()}_VERSION_NOT_FOUND",
                details={"id": version.parent_id},
            )
        if version.id in self._t.versions:
            raise self._conflict(f"version {version.id}", id=version.id)
        siblings = self._of(version.parent_id)
        if assign_number:
            version = version.replace(
                version_number=max((v.version_number for v in siblings), default=0) + 1
            )
        elif any(v.version_number == version.version_number for v in siblings):
            raise self._conflict(
                f"version number {version.version_number} of {version.parent_id}",
                parent_id=version.parent_id,
                version_number=version.version_number,
            )
        stored = self._stored_version(version)
        self._t.versions[version.id] = stored
        return _copy(stored)

    async def get_versions(self, version_ids: list[str]) -> list[EditorVersion]:
        return [_copy(self._t.versions[i]) for i in version_ids if i in self._t.versions]

    async def get_version_by_number(self, parent_id: str, number: int) -> EditorVersion | None:
        for version in self._of(parent_id):
            if version.version_number == number:
                return _copy(version)
        return None

    async def get_latest_version(self, parent_id: str) -> EditorVersion | None:
        versions = self._of(parent_id)
        return _copy(max(versions, key=lambda v: v.version_number)) if versions else None

    async def query_versions(self, query: VersionQuery) -> tuple[list[EditorVersion], int]:
        found, total = query.execute(self._t.versions.values())
        return _copy(found), total

    async def delete_versions(self, version_ids: list[str]) -> None:
        for vid in version_ids:
            self._t.versions.pop(vid, None)

    async def delete_versions_of(self, parent_id: str) -> None:
        for vid in [k for k, v in self._t.versions.items() if v.parent_id == parent_id]:
            del self._t.versions[vid]

    async def count_versions(self, parent_id: str) -> int:
        return len(self._of(parent_id))


def inmemory_editor_stores(
    editor: dict[str, EditorTables], favorites: dict[tuple[str, str, str], Any] | None = None
) -> dict[str, Any]:
    """The seven editor domains over ``editor`` (tables per domain name, created here);
    ``favorites``: the favourites rows their listings join (``InMemoryDB.favorites``)."""

    def make(domain: EditorDomain) -> EditorBackend:
        tables = editor.setdefault(domain.name, EditorTables())
        return InMemoryEditorBackend(domain, tables, favorites)

    return dict(editor_stores(make, EDITOR_DOMAINS))


__all__ = ["EditorTables", "InMemoryEditorBackend", "inmemory_editor_stores"]
