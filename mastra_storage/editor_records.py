"""Records of the versioned editor domains (agents, prompt blocks, scorer definitions, MCP
clients, MCP servers, workspaces, skills): a thin entity record, its versions, and the
two merged.

The seven domains share these three types; what differs between them (table names, the
parent id column, the thin columns beyond the common ones, the config fields of a version)
is declared as data in :data:`mastra_storage.backend.editor.EDITOR_DOMAINS`. Domain-specific
values therefore live in dictionaries keyed by Mastra's column names (``visibility``,
``organizationId``; ``instructions``, ``model``, ...), so one implementation serves all
seven and a field Mastra adds later is one line in the declaration.

Datetimes are normalised on construction (UTC, millisecond precision; naive rejected), as
for every other record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from .records import Record
from .timeutil import to_iso

#: An entity's lifecycle state, as Mastra Studio sets it.
EditorStatus = Literal["draft", "published", "archived"]
EDITOR_STATUSES: tuple[str, ...] = ("draft", "published", "archived")


class EditorEntity(Record, kw_only=True):
    """The thin record of an editor entity (``mastra_agents``, ``mastra_prompt_blocks``,
    ...): no configuration, which lives in its versions.

    ``extra`` holds the domain's own thin columns under Mastra's names (agents and skills:
    ``visibility``, ``favoriteCount``; scorer definitions: ``organizationId``,
    ``projectId``); keys the domain does not declare are never stored. ``metadata`` is
    always ``None`` for skills (their table has no metadata column).
    """

    _datetime_fields = ("created_at", "updated_at")

    id: str
    status: str = "draft"
    active_version_id: str | None = None
    author_id: str | None = None
    metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = msgspec.field(default_factory=dict)
    created_at: datetime
    updated_at: datetime

    def row(self) -> dict[str, Any]:
        """The entity as Mastra's column names -> values (``extra`` flattened in;
        datetimes as datetimes)."""
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "activeVersionId": self.active_version_id,
            "authorId": self.author_id,
            "metadata": self.metadata,
        }
        out.update(self.extra)
        out["createdAt"] = self.created_at
        out["updatedAt"] = self.updated_at
        return out


class EditorVersion(Record, kw_only=True):
    """One immutable version of an entity (``mastra_agent_versions``, ...).

    ``parent_id`` is the entity's id (stored in the domain's parent column: ``agentId``,
    ``blockId``, ...). ``config`` holds the snapshot fields under Mastra's column names
    (agents: ``name``, ``instructions``, ``model``, ``tools``, ...); a key the domain does
    not declare is rejected by the store, a declared key left out is stored as NULL.
    """

    _datetime_fields = ("created_at",)

    id: str
    parent_id: str
    version_number: int
    config: dict[str, Any] = msgspec.field(default_factory=dict)
    changed_fields: list[str] | None = None
    change_message: str | None = None
    created_at: datetime

    def row(self, parent_column: str) -> dict[str, Any]:
        """The version as Mastra's column names -> values (``config`` flattened in)."""
        out: dict[str, Any] = {
            "id": self.id,
            parent_column: self.parent_id,
            "versionNumber": self.version_number,
        }
        out.update(self.config)
        out["changedFields"] = self.changed_fields
        out["changeMessage"] = self.change_message
        out["createdAt"] = self.created_at
        return out


class ResolvedEntity(msgspec.Struct, kw_only=True, frozen=True):
    """An entity merged with the version it resolves to (``getByIdResolved``): ``version``
    is ``None`` when the entity has no version at all (Mastra then returns the thin record
    alone)."""

    entity: EditorEntity
    version: EditorVersion | None = None

    @property
    def resolved_version_id(self) -> str | None:
        """The id of the version whose config is merged in (Mastra's ``resolvedVersionId``)."""
        return self.version.id if self.version is not None else None

    @property
    def config(self) -> dict[str, Any]:
        """The resolved configuration (empty without a version)."""
        return dict(self.version.config) if self.version is not None else {}

    def to_dict(self) -> dict[str, Any]:
        """Mastra's resolved shape: the thin record's fields, the config fields, and
        ``resolvedVersionId`` (datetimes as ISO strings, ``None`` values left out)."""
        out = {k: v for k, v in self.entity.row().items() if v is not None}
        if self.version is not None:
            out.update({k: v for k, v in self.version.config.items() if v is not None})
            out["resolvedVersionId"] = self.version.id
        return {k: to_iso(v) if isinstance(v, datetime) else v for k, v in out.items()}


__all__ = [
    "EDITOR_STATUSES",
    "EditorEntity",
    "EditorStatus",
    "EditorVersion",
    "ResolvedEntity",
]
