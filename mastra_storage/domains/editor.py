"""The versioned editor domains (agents, prompt blocks, scorer definitions, MCP clients, MCP
servers, workspaces, skills): one store for all seven.

Every rule lives here once: validation, the first version created with the entity,
resolution by status or version id, thin-field updates, paging, and version numbering
(delegated to the backend's atomic ``insert_version``). What differs between the domains is
the :class:`~mastra_storage.backend.editor.EditorDomain` of the backend.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

import msgspec

from ..backend.editor import (
    EDITOR_DOMAINS,
    EditorBackend,
    EditorDomain,
    EntityOrderField,
    EntityQuery,
    SupportsFavoriteListing,
    VersionOrderField,
    VersionQuery,
)
from ..backend.favorites import FAVORITE_TYPE_OF_DOMAIN
from ..editor_records import EDITOR_STATUSES, EditorEntity, EditorVersion, ResolvedEntity
from ..errors import NotFoundError, NotSupportedError, ValidationError
from ..pagination import Direction, Page, validate_page_args
from ..timeutil import utc_now
from ..validation import (
    check_bool,
    check_json,
    check_json_object,
    check_text,
    optional_id,
    require_non_empty,
    unique_strings,
    validate_metadata_filter,
)
from .base import DomainStore
from .paging import page_query

DEFAULT_ENTITIES_PER_PAGE = 100
DEFAULT_VERSIONS_PER_PAGE = 20
_MAX_INT32 = 2**31 - 1

_Unset = msgspec.UnsetType
UNSET = msgspec.UNSET


def _int_ok(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class VersionedStore(DomainStore[EditorBackend]):
    """One versioned editor domain over an :class:`~mastra_storage.backend.editor.EditorBackend`
    (``store.domain`` says which: ``store.domain.name == "agents"``, ...).

    Arguments are validated before any I/O (:class:`~mastra_storage.errors.ValidationError`,
    nothing written). Each write is one atomic unit of the backend.

    Errors every method may raise, besides those its own docstring names:
    :class:`~mastra_storage.errors.UnavailableError` (the backend cannot be reached or did
    not answer in time; a write that fails this way was applied whole or not at all),
    :class:`~mastra_storage.errors.StoreClosedError`,
    :class:`~mastra_storage.errors.EventLoopMismatchError` and
    :class:`~mastra_storage.errors.BackendError`.
    """

    def __init__(self, backend: EditorBackend) -> None:
        super().__init__(backend)
        self.domain: EditorDomain = backend.domain
        self._op = self.domain.name.upper()

    # ---- validation -----------------------------------------------------------------------

    def _error(self, operation: str, message: str, **details: Any) -> ValidationError:
        return ValidationError(
            message,
            id=f"MASTRA_STORAGE_{operation}_{self._op}_INVALID_ARGS",
            details={k: str(v)[:80] for k, v in details.items()} or None,
        )

    def _check_config(self, config: Any, operation: str, *, partial: bool) -> dict[str, Any]:
        if not isinstance(config, Mapping):
            raise self._error(operation, "config must be a mapping of Mastra field names")
        table = self.domain.version_table
        allowed = set(self.domain.config_columns)
        out: dict[str, Any] = {}
        for key, value in config.items():
            if key not in allowed:
                raise self._error(
                    operation,
                    f"{key!r:.60} is not a config field of {self.domain.name} "
                    f"(fields: {', '.join(self.domain.config_columns)})",
                    field=key,
                )
            if value is None:
                continue
            logical = table.column(key).logical
            if logical == "text":
                check_text(value, field=key, operation=operation)
            elif logical == "integer":
                if not _int_ok(value) or abs(value) > _MAX_INT32:
                    raise self._error(operation, f"{key} must be a 32-bit integer", field=key)
            elif logical == "boolean":
                if not isinstance(value, bool):
                    raise self._error(operation, f"{key} must be a boolean", field=key)
            else:
                check_json(value, operation=operation, field=key)
            out[key] = value
        if not partial:
            missing = sorted(self.domain.required_config - out.keys())
            if missing:
                raise self._error(
                    operation, f"missing required config fields: {', '.join(missing)}"
                )
        return out

    def _check_extra(self, extra: Any, operation: str) -> dict[str, Any]:
        if extra is None:
            return {}
        if not isinstance(extra, Mapping):
            raise self._error(operation, "extra must be a mapping")
        out: dict[str, Any] = {}
        for key, value in extra.items():
            if key not in self.domain.updatable_extra:
                raise self._error(
                    operation,
                    f"{key!r:.60} is not a settable field of {self.domain.name} "
                    f"(settable: {', '.join(self.domain.updatable_extra) or 'none'})",
                    field=key,
                )
            if value is not None:
                check_text(value, field=key, operation=operation)
            out[key] = value
        return out

    def _check_metadata(self, metadata: Any, operation: str) -> dict[str, Any] | None:
        if metadata is None:
            return None
        if not self.domain.has_metadata:
            raise self._error(operation, f"{self.domain.name} have no metadata")
        check_json_object(metadata, field="metadata", operation=operation)
        return dict(metadata)

    def _check_status(self, status: Any, operation: str) -> None:
        if status not in EDITOR_STATUSES:
            raise self._error(
                operation, f"status must be one of {', '.join(EDITOR_STATUSES)}", status=status
            )

    def _check_changes(
        self, changed_fields: Any, change_message: Any, operation: str
    ) -> tuple[list[str] | None, str | None]:
        fields = None
        if changed_fields is not None:
            if isinstance(changed_fields, (str, bytes)) or not isinstance(changed_fields, Sequence):
                raise self._error(operation, "changed_fields must be a list of strings")
            fields = [
                check_text(f, field="changed_fields", operation=operation) for f in changed_fields
            ]
        if change_message is not None:
            check_text(change_message, field="change_message", operation=operation)
        return fields, change_message

    # ---- entities -------------------------------------------------------------------------

    async def create(
        self,
        id: str,
        *,
        config: Mapping[str, Any],
        author_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        version_id: str | None = None,
    ) -> EditorEntity:
        """Create an entity (``status="draft"``, no active version) together with version 1
        holding ``config`` (Mastra field names: ``{"name": ..., "instructions": ...,
        "model": {...}}`` for an agent), ``changedFields`` = the given config keys and
        ``changeMessage="Initial version"``. One atomic write: both or neither.

        :raises ValidationError: a bad id, an unknown or missing required config field, a
            value of the wrong type, metadata that is not a JSON object; nothing written.
        :raises ConflictError: the id (or ``version_id``) exists; nothing written.
        """
        op = "CREATE"
        require_non_empty(id, field="id", operation=f"{op}_{self._op}")
        optional_id(author_id, field="author_id", operation=f"{op}_{self._op}")
        optional_id(version_id, field="version_id", operation=f"{op}_{self._op}")
        cfg = self._check_config(config, f"{op}_{self._op}", partial=False)
        meta = self._check_metadata(metadata, f"{op}_{self._op}")
        fields = self._check_extra(extra, f"{op}_{self._op}")
        if self.domain.private_when_authored and fields.get("visibility") is None and author_id:
            fields["visibility"] = "private"
        if "favoriteCount" in self.domain.extra_columns:
            fields["favoriteCount"] = 0
        fields = {k: v for k, v in fields.items() if v is not None}
        now = utc_now()
        entity = EditorEntity(
            id=id,
            status="draft",
            author_id=author_id,
            metadata=meta,
            extra=fields,
            created_at=now,
            updated_at=now,
        )
        version = EditorVersion(
            id=version_id or str(uuid.uuid4()),
            parent_id=id,
            version_number=1,
            config=cfg,
            changed_fields=list(config.keys()),
            change_message="Initial version",
            created_at=now,
        )
        await self.backend.insert_entity_with_version(entity, version)
        return entity

    async def get_by_id(self, id: str) -> EditorEntity | None:
        """The thin record (no config), or ``None``. One read.

        :raises ValidationError: an empty or non-string id, before any I/O.
        """
        require_non_empty(id, field="id", operation=f"GET_{self._op}")
        return await self.backend.get_entity(id)

    async def _resolve(
        self, entity: EditorEntity, status: str | None, version_id: str | None
    ) -> ResolvedEntity:
        version: EditorVersion | None = None
        if version_id is not None:
            found = await self.backend.get_versions([version_id])
            # a version of another entity never resolves this one
            version = next((v for v in found if v.parent_id == entity.id), None)
        elif status == "draft":
            version = await self.backend.get_latest_version(entity.id)
        else:
            if entity.active_version_id:
                found = await self.backend.get_versions([entity.active_version_id])
                version = next((v for v in found if v.parent_id == entity.id), None)
            if version is None:
                version = await self.backend.get_latest_version(entity.id)
        return ResolvedEntity(entity=entity, version=version)

    async def get_by_id_resolved(
        self, id: str, *, status: str | None = None, version_id: str | None = None
    ) -> ResolvedEntity | None:
        """The entity merged with one version, or ``None`` when the entity is missing.

        Which version: ``version_id`` when given (a version of another entity resolves to
        none); ``status="draft"``: the latest; otherwise (``"published"``, the default) the
        active version, falling back to the latest when none is set or it was deleted.

        :raises ValidationError: a bad id or status, before any I/O.
        """
        op = f"GET_{self._op}_RESOLVED"
        require_non_empty(id, field="id", operation=op)
        optional_id(version_id, field="version_id", operation=op)
        if status is not None:
            self._check_status(status, op)
        entity = await self.backend.get_entity(id)
        if entity is None:
            return None
        return await self._resolve(entity, status, version_id)

    async def update(
        self,
        id: str,
        *,
        author_id: str | _Unset | None = UNSET,
        active_version_id: str | _Unset | None = UNSET,
        status: str | _Unset = UNSET,
        metadata: Mapping[str, Any] | _Unset | None = UNSET,
        extra: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> EditorEntity:
        """Update thin fields (those given) and set ``updatedAt`` to now; return the
        record. One atomic read-modify-write.

        ``metadata`` replaces the stored object for agents and is merged into it (top-level
        keys) for the other domains, as ``@mastra/pg`` does. ``config`` is accepted and
        ignored, as in Mastra: configuration changes only by :meth:`create_version`.
        ``status`` does not follow ``active_version_id``: publishing sets both.

        :raises ValidationError: a bad argument, before any I/O.
        :raises NotFoundError: no entity has this id; nothing written.
        """
        op = f"UPDATE_{self._op}"
        require_non_empty(id, field="id", operation=op)
        if not isinstance(author_id, _Unset):
            optional_id(author_id, field="author_id", operation=op)
        if not isinstance(active_version_id, _Unset):
            optional_id(active_version_id, field="active_version_id", operation=op)
        if not isinstance(status, _Unset):
            self._check_status(status, op)
        meta: dict[str, Any] | _Unset | None = UNSET
        if not isinstance(metadata, _Unset):
            meta = self._check_metadata(metadata, op)
        fields = self._check_extra(extra, op)
        if config is not None and not isinstance(config, Mapping):
            raise self._error(op, "config must be a mapping")
        now = utc_now()
        merge = self.domain.merge_metadata

        def mutate(current: EditorEntity) -> EditorEntity:
            changes: dict[str, Any] = {"updated_at": max(now, current.updated_at)}
            if not isinstance(author_id, _Unset):
                changes["author_id"] = author_id
            if not isinstance(active_version_id, _Unset):
                changes["active_version_id"] = active_version_id
            if not isinstance(status, _Unset):
                changes["status"] = status
            if not isinstance(meta, _Unset):
                if merge and meta is not None:
                    changes["metadata"] = {**(current.metadata or {}), **meta}
                else:
                    changes["metadata"] = meta
            if fields:
                merged = {**current.extra, **fields}
                changes["extra"] = {k: v for k, v in merged.items() if v is not None}
            return msgspec.structs.replace(current, **changes)

        updated = await self.backend.modify_entity(id, mutate)
        if updated is None:
            raise NotFoundError(
                f"{self.domain.name} entity {id} not found",
                id=f"MASTRA_STORAGE_{op}_NOT_FOUND",
                details={"id": id},
            )
        return updated

    async def delete(self, id: str) -> None:
        """Delete the entity and all its versions, atomically. Idempotent: a missing id is
        a no-op.

        :raises ValidationError: an empty or non-string id, before any I/O.
        """
        require_non_empty(id, field="id", operation=f"DELETE_{self._op}")
        await self.backend.delete_entity_with_versions(id)

    def _entity_query(
        self,
        op: str,
        author_id: str | None,
        metadata: Mapping[str, Any] | None,
        status: str | None,
        filters: Mapping[str, Any] | None,
        order_field: str,
        direction: str,
        entity_ids: Sequence[str] | None = None,
    ) -> EntityQuery:
        optional_id(author_id, field="author_id", operation=op)
        ids = None
        if entity_ids is not None:
            if isinstance(entity_ids, (str, bytes)):
                raise self._error(op, "entity_ids must be a list of ids")
            ids = tuple(unique_strings(entity_ids, field="entity_ids", operation=op))
        if status is None:
            status = self.domain.default_list_status
        elif status != "all":
            self._check_status(status, op)
        else:
            status = None
        meta = None
        if metadata:
            check_json_object(metadata, field="metadata", operation=op)
            validate_metadata_filter(metadata, operation=op)
            meta = dict(metadata)
        extra = None
        if filters:
            for key in filters:
                if key not in self.domain.extra_columns or key == "favoriteCount":
                    raise self._error(op, f"cannot filter {self.domain.name} by {key!r:.60}")
            for key, value in filters.items():
                if value is not None:
                    check_text(value, field=key, operation=op)
            extra = {k: v for k, v in filters.items() if v is not None} or None
        if order_field not in ("createdAt", "updatedAt"):
            raise self._error(op, "order_field must be 'createdAt' or 'updatedAt'")
        if direction not in ("ASC", "DESC"):
            raise self._error(op, "direction must be 'ASC' or 'DESC'")
        return EntityQuery(
            status=status,
            author_id=author_id,
            metadata=meta,
            extra=extra,
            ids=ids,
            order_field=order_field,  # type: ignore[arg-type]
            direction=direction,  # type: ignore[arg-type]
        )

    def _favorites_args(
        self, op: str, user_id: Any, favorited_only: Any, cursor: str | None
    ) -> tuple[str, str] | None:
        """``(user, favourite type)`` when the listing joins favourites, else ``None``."""
        check_bool(favorited_only, field="favorited_only", operation=op)
        if user_id is None:
            if favorited_only:
                # Mastra silently lists nothing here; an error says what is missing
                raise self._error(op, "favorited_only needs pin_favorited_for (the user)")
            return None
        entity_type = FAVORITE_TYPE_OF_DOMAIN.get(self.domain.name)
        if entity_type is None:
            raise self._error(op, f"{self.domain.name} have no favourites (agents and skills do)")
        require_non_empty(user_id, field="pin_favorited_for", operation=op)
        if cursor and not favorited_only:
            # favourites first then the usual order: a keyset cursor over (favourited,
            # time, id) would be a new cursor kind; Mastra pages this listing by offset too
            raise self._error(op, "pin_favorited_for pages by page/per_page, not by cursor")
        return user_id, entity_type

    async def list(
        self,
        *,
        author_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        status: str | None = None,
        filters: Mapping[str, Any] | None = None,
        entity_ids: Sequence[str] | None = None,
        order_field: EntityOrderField = "createdAt",
        direction: Direction = "DESC",
        page: int = 0,
        per_page: int | None = DEFAULT_ENTITIES_PER_PAGE,
        cursor: str | None = None,
        include_total: bool = True,
        pin_favorited_for: str | None = None,
        favorited_only: bool = False,
    ) -> Page[EditorEntity]:
        """Thin records, newest first by default (``order_field`` ``createdAt`` or
        ``updatedAt``, ``direction``; ties by id ascending).

        Filters: ``author_id``; ``metadata`` (every key's value equal); ``status``
        (``None``: the domain's default, which is no filter except for MCP clients and
        servers, ``"published"`` as in Mastra; ``"all"``: no filter); ``filters``: the
        domain's own thin columns (``{"visibility": "public"}``, ``{"organizationId":
        ...}``); ``entity_ids``: only these entities (Mastra's ``entityIds``, with which
        Studio lists a user's favourites; an empty list lists nothing, without I/O). Paging
        as every list: ``page``/``per_page`` (``None``: all) or ``cursor``;
        ``include_total=False`` skips the count.

        Favourites (agents and skills only, as in Mastra; a storage with the favourites
        domain): ``pin_favorited_for=user`` lists the entities that user favourited first,
        each group in the order above (Mastra's ``pinFavoritedFor``; offsets only, a
        ``cursor`` is refused); with ``favorited_only=True`` only those are listed (Mastra's
        ``favoritedOnly``, which needs the user; cursors work).

        :raises ValidationError: a bad filter, paging argument or foreign cursor; favourite
            options on another domain, or ``favorited_only`` without ``pin_favorited_for``.
        :raises NotSupportedError: favourite options on a storage without favourites.
        """
        op = f"LIST_{self._op}"
        validate_page_args(page, per_page, operation=op)
        query = self._entity_query(
            op, author_id, metadata, status, filters, order_field, direction, entity_ids
        )
        favorites = self._favorites_args(op, pin_favorited_for, favorited_only, cursor)
        if query.ids == ():
            empty: list[EditorEntity] = []
            return Page(
                items=empty,
                total=0 if include_total else None,
                page=page,
                per_page=per_page,
                has_more=False,
                next_cursor=None,
            )
        execute: Callable[[EntityQuery], Awaitable[tuple[builtins.list[EditorEntity], int]]]
        execute = self.backend.query_entities
        scope: tuple[Any, ...] = (self.domain.name,)
        if favorites is not None:
            backend = self.backend
            if not isinstance(backend, SupportsFavoriteListing):
                raise NotSupportedError(
                    f"{type(backend).__name__} cannot list {self.domain.name} with favourites",
                    id=f"MASTRA_STORAGE_{op}_FAVORITES_NOT_SUPPORTED",
                )
            user_id, entity_type = favorites

            async def execute(q: EntityQuery) -> tuple[builtins.list[EditorEntity], int]:
                return await backend.query_entities_favorites(
                    q, user_id, entity_type, favorited_only=favorited_only
                )

            scope = (self.domain.name, "favorites", user_id, favorited_only)
        return await page_query(
            execute,
            query,
            scope=scope,
            key=query.key,
            direction=query.direction,
            page=page,
            per_page=per_page,
            cursor=cursor,
            include_total=include_total,
            operation=op,
        )

    async def list_resolved(
        self,
        *,
        author_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        status: str | None = None,
        filters: Mapping[str, Any] | None = None,
        entity_ids: Sequence[str] | None = None,
        order_field: EntityOrderField = "createdAt",
        direction: Direction = "DESC",
        page: int = 0,
        per_page: int | None = DEFAULT_ENTITIES_PER_PAGE,
        cursor: str | None = None,
        include_total: bool = True,
        pin_favorited_for: str | None = None,
        favorited_only: bool = False,
    ) -> Page[ResolvedEntity]:
        """:meth:`list`, each entity resolved: with ``status="draft"`` by its latest
        version, otherwise by its active version (falling back to the latest). Active
        versions are read in one batch. Arguments and errors as :meth:`list`."""
        found = await self.list(
            author_id=author_id,
            metadata=metadata,
            status=status,
            filters=filters,
            entity_ids=entity_ids,
            order_field=order_field,
            direction=direction,
            page=page,
            per_page=per_page,
            cursor=cursor,
            include_total=include_total,
            pin_favorited_for=pin_favorited_for,
            favorited_only=favorited_only,
        )
        resolved: list[ResolvedEntity] = []
        if status == "draft":
            for entity in found.items:
                resolved.append(await self._resolve(entity, "draft", None))
        else:
            wanted = list(
                dict.fromkeys(e.active_version_id for e in found.items if e.active_version_id)
            )
            by_id = {v.id: v for v in await self.backend.get_versions(wanted)} if wanted else {}
            for entity in found.items:
                version = by_id.get(entity.active_version_id or "")
                if version is None or version.parent_id != entity.id:
                    version = await self.backend.get_latest_version(entity.id)
                resolved.append(ResolvedEntity(entity=entity, version=version))
        return Page(
            items=resolved,
            total=found.total,
            page=found.page,
            per_page=found.per_page,
            has_more=found.has_more,
            next_cursor=found.next_cursor,
        )

    # ---- versions -------------------------------------------------------------------------

    async def create_version(
        self,
        parent_id: str,
        *,
        config: Mapping[str, Any],
        version_number: int | None = None,
        id: str | None = None,
        changed_fields: Sequence[str] | None = None,
        change_message: str | None = None,
    ) -> EditorVersion:
        """Add a version to an existing entity and return it (``createdAt`` = now).

        Without ``version_number`` the backend assigns the next number atomically: two
        writers adding versions of one entity at once get distinct numbers. With one, it is
        kept and must be free. ``config`` must hold the domain's required fields.

        :raises ValidationError: a bad argument, before any I/O.
        :raises ConflictError: ``id``, or ``(parent_id, version_number)``, exists.
        :raises NotFoundError: no entity has id ``parent_id``.
        """
        op = f"CREATE_{self._op}_VERSION"
        require_non_empty(parent_id, field="parent_id", operation=op)
        optional_id(id, field="id", operation=op)
        if version_number is not None and (
            not _int_ok(version_number) or not 1 <= version_number <= _MAX_INT32
        ):
            raise self._error(op, "version_number must be a positive 32-bit integer")
        cfg = self._check_config(config, op, partial=False)
        fields, message = self._check_changes(changed_fields, change_message, op)
        version = EditorVersion(
            id=id or str(uuid.uuid4()),
            parent_id=parent_id,
            version_number=version_number or 0,
            config=cfg,
            changed_fields=fields,
            change_message=message,
            created_at=utc_now(),
        )
        return await self.backend.insert_version(version, assign_number=version_number is None)

    async def get_version(self, version_id: str) -> EditorVersion | None:
        """The version with this id, or ``None``."""
        require_non_empty(version_id, field="version_id", operation=f"GET_{self._op}_VERSION")
        found = await self.backend.get_versions([version_id])
        return found[0] if found else None

    async def get_versions(self, version_ids: Sequence[str]) -> builtins.list[EditorVersion]:
        """The versions with these ids in one read (missing ones left out, in the order
        asked)."""
        op = f"GET_{self._op}_VERSIONS"
        if isinstance(version_ids, (str, bytes)):
            raise self._error(op, "version_ids must be a list of ids")
        ids = unique_strings(version_ids, field="version_ids", operation=op)
        for vid in ids:
            require_non_empty(vid, field="version_ids", operation=op)
        if not ids:
            return []
        by_id = {v.id: v for v in await self.backend.get_versions(ids)}
        return [by_id[i] for i in ids if i in by_id]

    async def get_version_by_number(
        self, parent_id: str, version_number: int
    ) -> EditorVersion | None:
        """Version ``version_number`` of ``parent_id``, or ``None``."""
        op = f"GET_{self._op}_VERSION_BY_NUMBER"
        require_non_empty(parent_id, field="parent_id", operation=op)
        if not _int_ok(version_number):
            raise self._error(op, "version_number must be an integer")
        if not 1 <= version_number <= _MAX_INT32:
            return None
        return await self.backend.get_version_by_number(parent_id, version_number)

    async def get_latest_version(self, parent_id: str) -> EditorVersion | None:
        """The highest-numbered version of ``parent_id``, or ``None``."""
        require_non_empty(parent_id, field="parent_id", operation=f"GET_LATEST_{self._op}_VERSION")
        return await self.backend.get_latest_version(parent_id)

    async def list_versions(
        self,
        parent_id: str,
        *,
        order_field: VersionOrderField = "versionNumber",
        direction: Direction = "DESC",
        page: int = 0,
        per_page: int | None = DEFAULT_VERSIONS_PER_PAGE,
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[EditorVersion]:
        """The versions of ``parent_id``, highest number first by default (``order_field``
        ``versionNumber`` or ``createdAt``; ties by id); paging as :meth:`list`."""
        op = f"LIST_{self._op}_VERSIONS"
        require_non_empty(parent_id, field="parent_id", operation=op)
        validate_page_args(page, per_page, operation=op)
        if order_field not in ("versionNumber", "createdAt"):
            raise self._error(op, "order_field must be 'versionNumber' or 'createdAt'")
        if direction not in ("ASC", "DESC"):
            raise self._error(op, "direction must be 'ASC' or 'DESC'")
        query = VersionQuery(parent_id=parent_id, order_field=order_field, direction=direction)
        return await page_query(
            self.backend.query_versions,
            query,
            scope=(self.domain.name, "versions"),
            key=query.key,
            direction=direction,
            page=page,
            per_page=per_page,
            cursor=cursor,
            include_total=include_total,
            operation=op,
        )

    async def delete_version(self, version_id: str) -> None:
        """Delete one version (idempotent). Deleting the active version is allowed, as in
        Mastra: resolution then falls back to the latest version."""
        require_non_empty(version_id, field="version_id", operation=f"DELETE_{self._op}_VERSION")
        await self.backend.delete_versions([version_id])

    async def delete_versions_by_parent_id(self, parent_id: str) -> None:
        """Delete every version of ``parent_id`` atomically (the entity stays)."""
        require_non_empty(parent_id, field="parent_id", operation=f"DELETE_{self._op}_VERSIONS")
        await self.backend.delete_versions_of(parent_id)

    async def count_versions(self, parent_id: str) -> int:
        """How many versions ``parent_id`` has."""
        require_non_empty(parent_id, field="parent_id", operation=f"COUNT_{self._op}_VERSIONS")
        return await self.backend.count_versions(parent_id)


def editor_stores(
    make_backend: Callable[[EditorDomain], EditorBackend | None],
    domains: Iterable[EditorDomain] = EDITOR_DOMAINS,
) -> dict[str, VersionedStore]:
    """``{name: VersionedStore}`` for each domain ``make_backend`` provides (it returns
    ``None`` for a domain the adapter does not support): what an adapter merges into its
    ``stores``."""
    out: dict[str, VersionedStore] = {}
    for domain in domains:
        backend = make_backend(domain)
        if backend is not None:
            out[domain.name] = VersionedStore(backend)
    return out


__all__ = [
    "DEFAULT_ENTITIES_PER_PAGE",
    "DEFAULT_VERSIONS_PER_PAGE",
    "UNSET",
    "VersionedStore",
    "editor_stores",
]
