"""The backend contract of the versioned editor domains, and the domains declared as data.

Mastra Studio stores seven kinds of editable entity the same way: a thin record (status,
active version, author, metadata) in one table and immutable configuration versions in a
second table. They differ only in names and fields, so they are declared here once as
:class:`EditorDomain` values (:data:`EDITOR_DOMAINS`), and one store
(:class:`~mastra_storage.domains.editor.VersionedStore`) and one backend contract
(:class:`EditorBackend`) serve all seven.

A backend implements :class:`EditorBackend` once, parameterised by ``self.domain`` (its
tables and parent column), and an adapter exposes a domain by putting a ``VersionedStore``
over it in ``stores`` under the domain's name
(:func:`~mastra_storage.domains.editor.editor_stores`). A storage that does
not provide a domain simply has no such key; ``require_store`` then raises
``NotSupportedError`` and the conformance suite skips the domain.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Set
from typing import Any, Literal, Protocol, runtime_checkable

import msgspec

from .. import layout
from ..editor_records import EditorEntity, EditorVersion
from ..layout import LogicalTable
from ..pagination import Cursor, Direction
from ..timeutil import to_epoch_ms
from .paging import PageKey, run_page

EntityOrderField = Literal["createdAt", "updatedAt"]
VersionOrderField = Literal["versionNumber", "createdAt"]

#: Thin columns every editor entity table has (``metadata`` except skills).
COMMON_ENTITY_COLUMNS: tuple[str, ...] = (
    "id",
    "status",
    "activeVersionId",
    "authorId",
    "metadata",
    "createdAt",
    "updatedAt",
)
#: Version columns that are bookkeeping, not configuration (besides the parent column).
VERSION_META_COLUMNS: tuple[str, ...] = (
    "id",
    "versionNumber",
    "changedFields",
    "changeMessage",
    "createdAt",
)


class EditorDomain(msgspec.Struct, frozen=True, kw_only=True):
    """One versioned editor domain, as data.

    * ``name``: the key in ``stores`` (Mastra's: ``agents``, ``promptBlocks``, ...);
    * ``entity_table``/``version_table``: the two tables (:mod:`mastra_storage.layout`);
    * ``parent_column``: the version table's column holding the entity id;
    * ``updatable_extra``: thin columns beyond the common ones a caller may set
      (``visibility``; ``organizationId``, ``projectId``);
    * ``merge_metadata``: whether ``update(metadata=...)`` merges into the stored object
      (prompt blocks, scorer definitions, MCP clients/servers, workspaces in
      ``@mastra/pg``) or replaces it (agents);
    * ``default_list_status``: the ``status`` filter a list applies when none is given
      (MCP clients and servers list only ``published`` ones by default in ``@mastra/pg``);
    * ``private_when_authored``: a new entity with an author and no ``visibility`` gets
      ``visibility="private"`` (agents, skills).
    """

    name: str
    entity_table: LogicalTable
    version_table: LogicalTable
    parent_column: str
    updatable_extra: tuple[str, ...] = ()
    merge_metadata: bool = True
    default_list_status: str | None = None
    private_when_authored: bool = False

    @property
    def has_metadata(self) -> bool:
        """Whether the entity table has a ``metadata`` column (every domain but skills)."""
        return "metadata" in self.entity_table.column_names

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """The entity table's columns beyond :data:`COMMON_ENTITY_COLUMNS`, in table order
        (stored in :attr:`EditorEntity.extra`)."""
        return tuple(c for c in self.entity_table.column_names if c not in COMMON_ENTITY_COLUMNS)

    @property
    def config_columns(self) -> tuple[str, ...]:
        """The version table's configuration columns, in table order."""
        skip = {*VERSION_META_COLUMNS, self.parent_column}
        return tuple(c for c in self.version_table.column_names if c not in skip)

    @property
    def required_config(self) -> frozenset[str]:
        """Configuration columns that are NOT NULL (a version must give them)."""
        return frozenset(c for c in self.config_columns if c in self.version_table.not_null)

    def entity_from_row(self, row: Mapping[str, Any]) -> EditorEntity:
        """An :class:`EditorEntity` from a row keyed by Mastra's column names (JSON already
        decoded, datetimes as datetimes); for adapters."""
        extra = {c: row.get(c) for c in self.extra_columns if row.get(c) is not None}
        return EditorEntity(
            id=row["id"],
            status=row.get("status") or "draft",
            active_version_id=row.get("activeVersionId"),
            author_id=row.get("authorId"),
            metadata=row.get("metadata") if self.has_metadata else None,
            extra=extra,
            created_at=row["createdAt"],
            updated_at=row["updatedAt"],
        )

    def version_from_row(self, row: Mapping[str, Any]) -> EditorVersion:
        """An :class:`EditorVersion` from a row keyed by Mastra's column names; for
        adapters."""
        return EditorVersion(
            id=row["id"],
            parent_id=row[self.parent_column],
            version_number=int(row["versionNumber"]),
            config={c: row.get(c) for c in self.config_columns if row.get(c) is not None},
            changed_fields=row.get("changedFields"),
            change_message=row.get("changeMessage"),
            created_at=row["createdAt"],
        )


AGENTS = EditorDomain(
    name="agents",
    entity_table=layout.AGENTS,
    version_table=layout.AGENT_VERSIONS,
    parent_column="agentId",
    updatable_extra=("visibility",),
    merge_metadata=False,
    private_when_authored=True,
)
PROMPT_BLOCKS = EditorDomain(
    name="promptBlocks",
    entity_table=layout.PROMPT_BLOCKS,
    version_table=layout.PROMPT_BLOCK_VERSIONS,
    parent_column="blockId",
)
SCORER_DEFINITIONS = EditorDomain(
    name="scorerDefinitions",
    entity_table=layout.SCORER_DEFINITIONS,
    version_table=layout.SCORER_DEFINITION_VERSIONS,
    parent_column="scorerDefinitionId",
    updatable_extra=("organizationId", "projectId"),
)
MCP_CLIENTS = EditorDomain(
    name="mcpClients",
    entity_table=layout.MCP_CLIENTS,
    version_table=layout.MCP_CLIENT_VERSIONS,
    parent_column="mcpClientId",
    default_list_status="published",
)
MCP_SERVERS = EditorDomain(
    name="mcpServers",
    entity_table=layout.MCP_SERVERS,
    version_table=layout.MCP_SERVER_VERSIONS,
    parent_column="mcpServerId",
    default_list_status="published",
)
WORKSPACES = EditorDomain(
    name="workspaces",
    entity_table=layout.WORKSPACES,
    version_table=layout.WORKSPACE_VERSIONS,
    parent_column="workspaceId",
)
SKILLS = EditorDomain(
    name="skills",
    entity_table=layout.SKILLS,
    version_table=layout.SKILL_VERSIONS,
    parent_column="skillId",
    updatable_extra=("visibility",),
    private_when_authored=True,
)

#: The seven editor domains, in the order ``init()`` visits them.
EDITOR_DOMAINS: tuple[EditorDomain, ...] = (
    AGENTS,
    PROMPT_BLOCKS,
    SCORER_DEFINITIONS,
    MCP_CLIENTS,
    MCP_SERVERS,
    WORKSPACES,
    SKILLS,
)
EDITOR_DOMAINS_BY_NAME: dict[str, EditorDomain] = {d.name: d for d in EDITOR_DOMAINS}
EDITOR_DOMAIN_NAMES: tuple[str, ...] = tuple(d.name for d in EDITOR_DOMAINS)


def _json_contains(stored: Any, wanted: Any) -> bool:
    # Exact equality per filter key: what every backend can evaluate the same way
    # (PostgreSQL ``metadata -> key = value``, MongoDB ``metadata.key: value``).
    return bool(stored == wanted)


class EntityQuery(msgspec.Struct, kw_only=True, frozen=True):
    """Filters over thin records (``None``: not filtered): ``status``, ``author_id``,
    ``metadata`` (every key's value equal), ``extra`` (declared thin columns equal, e.g.
    ``{"visibility": "public"}``), ``ids`` (only these entities; never empty here),
    ordered by ``order_field`` in ``direction`` then ``id`` ascending, then the paging
    fields of :mod:`mastra_storage.backend.paging`."""

    status: str | None = None
    author_id: str | None = None
    metadata: dict[str, Any] | None = None
    extra: dict[str, Any] | None = None
    ids: tuple[str, ...] | None = None
    order_field: EntityOrderField = "createdAt"
    direction: Direction = "DESC"
    offset: int = 0
    limit: int | None = None
    after: Cursor | None = None
    count: bool = True

    def matches(self, entity: EditorEntity) -> bool:
        """The filter, for adapters that filter in Python."""
        if self.status is not None and entity.status != self.status:
            return False
        if self.ids is not None and entity.id not in self.ids:
            return False
        if self.author_id is not None and entity.author_id != self.author_id:
            return False
        if self.metadata:
            stored = entity.metadata or {}
            for key, value in self.metadata.items():
                if key not in stored or not _json_contains(stored[key], value):
                    return False
        if self.extra:
            for key, value in self.extra.items():
                if entity.extra.get(key) != value:
                    return False
        return True

    def key(self, entity: EditorEntity) -> PageKey:
        """An entity's position in this order: ``(order field ms, id)``."""
        when = entity.created_at if self.order_field == "createdAt" else entity.updated_at
        return (to_epoch_ms(when), entity.id)

    def execute(self, entities: Iterable[EditorEntity]) -> tuple[list[EditorEntity], int]:
        """The reference executor: filter, sort, count, cut after the cursor, slice
        ``limit + 1``."""
        return run_page(
            (e for e in entities if self.matches(e)),
            key=self.key,
            descending=self.direction == "DESC",
            tie_descending=False,
            after=self.after,
            offset=self.offset,
            limit=self.limit,
            count=self.count,
        )

    def execute_favorites(
        self, entities: Iterable[EditorEntity], favorited: Set[str], *, favorited_only: bool
    ) -> tuple[list[EditorEntity], int]:
        """The reference executor of a listing with favourites (Mastra's
        ``pinFavoritedFor``): ``favorited`` holds the ids the user favourited. With
        ``favorited_only`` only those are listed, in this query's order (keyset ``after``
        applies); otherwise they come first, each group in this query's order, and the
        core never sends ``after`` (offsets only, as in Mastra)."""
        matching = (e for e in entities if self.matches(e))
        if favorited_only:
            return self.execute(e for e in matching if e.id in favorited)
        ordered, total = run_page(
            matching,
            key=self.key,
            descending=self.direction == "DESC",
            tie_descending=False,
            after=None,
            offset=0,
            limit=None,
            count=self.count,
        )
        ordered.sort(key=lambda e: e.id not in favorited)  # stable: keeps each group's order
        end = None if self.limit is None else self.offset + self.limit + 1
        return ordered[self.offset : end], total


@runtime_checkable
class SupportsFavoriteListing(Protocol):
    """An editor backend that lists entities with a user's favourites (a join on
    ``mastra_favorites``): ``VersionedStore.list(pin_favorited_for=...)`` needs it, and
    raises :class:`~mastra_storage.errors.NotSupportedError` without it."""

    async def query_entities_favorites(
        self, query: EntityQuery, user_id: str, entity_type: str, *, favorited_only: bool
    ) -> tuple[list[EditorEntity], int]:
        """Execute ``query`` joined with ``user_id``'s favourites of ``entity_type`` in one
        read: :meth:`EntityQuery.execute_favorites` is the reference (``favorited_only``:
        only favourited entities, ``query.after`` applies; otherwise favourited ones first
        and ``query.after`` is ``None``). The total counts the rows the query selects."""
        ...


class VersionQuery(msgspec.Struct, kw_only=True, frozen=True):
    """The versions of one entity, ordered by ``order_field`` (``versionNumber`` or
    ``createdAt``) in ``direction`` then ``id`` ascending, then the paging fields."""

    parent_id: str
    order_field: VersionOrderField = "versionNumber"
    direction: Direction = "DESC"
    offset: int = 0
    limit: int | None = None
    after: Cursor | None = None
    count: bool = True

    def key(self, version: EditorVersion) -> PageKey:
        """A version's position: ``(version number or created_at ms, id)``."""
        if self.order_field == "versionNumber":
            return (version.version_number, version.id)
        return (to_epoch_ms(version.created_at), version.id)

    def execute(self, versions: Iterable[EditorVersion]) -> tuple[list[EditorVersion], int]:
        """The reference executor over versions in Python."""
        return run_page(
            (v for v in versions if v.parent_id == self.parent_id),
            key=self.key,
            descending=self.direction == "DESC",
            tie_descending=False,
            after=self.after,
            offset=self.offset,
            limit=self.limit,
            count=self.count,
        )


#: The pure function :meth:`EditorBackend.modify_entity` applies to the stored record.
EntityMutation = Callable[[EditorEntity], EditorEntity]


class EditorBackend(ABC):
    """What a backend implements for one editor domain (``self.domain``: its tables and
    parent column). Every method is one atomic unit; arguments arrive validated (ids
    non-empty, config keys declared, JSON encodable). Version numbers are unique per
    entity: the backend enforces it (a unique index, a conditional write or a lock held
    while inserting), never the core alone.
    """

    def __init__(self, domain: EditorDomain) -> None:
        self.domain = domain

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.domain.name!r})"

    async def init(self) -> None:
        """Create or upgrade this domain's tables. Idempotent; the default does nothing."""

    @abstractmethod
    async def dangerously_clear_all(self) -> None:
        """Delete every entity and version of this domain (meant for tests)."""

    @abstractmethod
    async def insert_entity_with_version(
        self, entity: EditorEntity, version: EditorVersion
    ) -> None:
        """Insert a new entity and its first version together: both or neither. An
        existing entity id or version id raises
        :class:`~mastra_storage.errors.ConflictError` and writes nothing."""

    @abstractmethod
    async def get_entity(self, entity_id: str) -> EditorEntity | None:
        """The thin record with this id, or ``None``."""

    @abstractmethod
    async def modify_entity(self, entity_id: str, mutate: EntityMutation) -> EditorEntity | None:
        """Atomically read the entity, apply ``mutate`` and write the result back; return
        it, or ``None`` (nothing written) when the id is missing. ``mutate`` is pure and may
        run more than once (optimistic retries); concurrent calls must not lose each
        other's changes."""

    @abstractmethod
    async def delete_entity_with_versions(self, entity_id: str) -> None:
        """Delete the entity and every version of it atomically; a missing id is a
        no-op."""

    @abstractmethod
    async def query_entities(self, query: EntityQuery) -> tuple[list[EditorEntity], int]:
        """Execute an :class:`EntityQuery`: up to ``limit + 1`` entities and the total (0
        when ``query.count`` is false). :meth:`EntityQuery.execute` is the reference."""

    @abstractmethod
    async def insert_version(self, version: EditorVersion, *, assign_number: bool) -> EditorVersion:
        """Insert a version of an existing entity and return what was stored.

        ``assign_number=True``: the backend ignores ``version.version_number`` and stores
        the entity's highest number + 1 (1 for the first), atomically with respect to
        other writers of the same entity. ``assign_number=False``: the given number is
        kept, and an existing ``(parent, number)`` raises
        :class:`~mastra_storage.errors.ConflictError`.

        :raises ConflictError: the version id exists (or the number, see above); nothing
            written.
        :raises NotFoundError: the entity ``version.parent_id`` does not exist.
        """

    @abstractmethod
    async def get_versions(self, version_ids: list[str]) -> list[EditorVersion]:
        """The versions with these ids (missing ones left out; any order)."""

    @abstractmethod
    async def get_version_by_number(self, parent_id: str, number: int) -> EditorVersion | None:
        """The version ``number`` of ``parent_id``, or ``None``."""

    @abstractmethod
    async def get_latest_version(self, parent_id: str) -> EditorVersion | None:
        """The version of ``parent_id`` with the highest number, or ``None``."""

    @abstractmethod
    async def query_versions(self, query: VersionQuery) -> tuple[list[EditorVersion], int]:
        """Execute a :class:`VersionQuery` (paging contract as for entities)."""

    @abstractmethod
    async def delete_versions(self, version_ids: list[str]) -> None:
        """Delete the versions with these ids atomically; missing ids are ignored."""

    @abstractmethod
    async def delete_versions_of(self, parent_id: str) -> None:
        """Delete every version of ``parent_id`` atomically (the entity stays)."""

    @abstractmethod
    async def count_versions(self, parent_id: str) -> int:
        """How many versions ``parent_id`` has (0 for a missing entity)."""


__all__ = [
    "AGENTS",
    "COMMON_ENTITY_COLUMNS",
    "EDITOR_DOMAINS",
    "EDITOR_DOMAINS_BY_NAME",
    "EDITOR_DOMAIN_NAMES",
    "MCP_CLIENTS",
    "MCP_SERVERS",
    "PROMPT_BLOCKS",
    "SCORER_DEFINITIONS",
    "SKILLS",
    "VERSION_META_COLUMNS",
    "WORKSPACES",
    "EditorBackend",
    "EditorDomain",
    "EntityMutation",
    "EntityOrderField",
    "EntityQuery",
    "SupportsFavoriteListing",
    "VersionOrderField",
    "VersionQuery",
]
