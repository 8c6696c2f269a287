"""The seven versioned editor domains on MongoDB (agents, prompt blocks, scorer
definitions, MCP clients, MCP servers, workspaces, skills).

Collections and documents are ``@mastra/mongodb`` 1.19.0's: one document per entity and
per version, under an application ``id`` (unique index), Mastra's camelCase field names,
JSON values as native sub-documents and timestamps as BSON dates. An entity document
carries every thin field (``null`` when unset); a version document leaves out the config
fields it does not set, as the release writes them.

Version numbers are unique per entity through the release's unique
``{<parent>: 1, versionNumber: -1}`` index on every version collection: a writer that
loses the race for a number gets a duplicate-key error and retries with the next one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from mastra_storage.backend.editor import (
    EditorBackend,
    EditorDomain,
    EntityMutation,
    EntityQuery,
    VersionQuery,
)
from mastra_storage.editor_records import EditorEntity, EditorVersion
from mastra_storage.errors import ConflictError, NotFoundError
from mastra_storage.pagination import Cursor
from mastra_storage.timeutil import from_epoch_ms

from .connection import RMW_RETRY, Document, MongoConnection, Session
from .documents import and_filters, eq, plain, position_filter, read_date
from .schema import IndexSpec, editor_indexes, ensure_indexes

#: How often a writer retries after losing the race for the next version number.
NUMBER_ATTEMPTS = 50


class MongoEditorBackend(EditorBackend):
    """One editor domain (``domain``) on a MongoDB database. Multi-document writes run in
    one transaction when the deployment supports them; without, they are ordered so an
    interruption leaves no version without its entity (a failed first version removes
    the entity it followed)."""

    def __init__(self, conn: MongoConnection, domain: EditorDomain) -> None:
        super().__init__(domain)
        self._conn = conn
        self._entity_columns = domain.entity_table.column_names
        self._version_columns = domain.version_table.column_names
        self._parent = domain.parent_column
        self._entities = domain.entity_table.name
        self._versions = domain.version_table.name
        self.indexes: tuple[IndexSpec, ...] = editor_indexes(domain)

    async def init(self) -> None:
        """Create this domain's missing default indexes (idempotent)."""
        await ensure_indexes(self._conn, self.indexes)

    async def dangerously_clear_all(self) -> None:
        """Empty the version and entity collections (not atomic; meant for tests)."""
        for name in (self._versions, self._entities):
            await self._conn.guard(
                "dangerouslyClearAll", self._conn.collection(name).delete_many({})
            )

    # ---- documents ----------------------------------------------------------------------

    def _entity_doc(self, entity: EditorEntity) -> Document:
        row = entity.row()
        return {c: row.get(c) for c in self._entity_columns}

    def _version_doc(self, version: EditorVersion) -> Document:
        row = version.row(self._parent)
        return {c: row[c] for c in self._version_columns if row.get(c) is not None}

    @staticmethod
    def _row(
        doc: Mapping[str, Any], columns: Sequence[str], dates: Sequence[str]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for column in columns:
            value = doc.get(column)
            if column in dates:
                out[column] = read_date(value, field=column)
            else:
                out[column] = None if value is None else plain(value)
        return out

    def _entity(self, doc: Mapping[str, Any]) -> EditorEntity:
        return self.domain.entity_from_row(
            self._row(doc, self._entity_columns, ("createdAt", "updatedAt"))
        )

    def _version(self, doc: Mapping[str, Any]) -> EditorVersion:
        return self.domain.version_from_row(self._row(doc, self._version_columns, ("createdAt",)))

    # ---- entities -----------------------------------------------------------------------

    async def insert_entity_with_version(
        self, entity: EditorEntity, version: EditorVersion
    ) -> None:
        """Insert the entity, then its first version, in one transaction (without
        transactions: a failed version insert deletes the entity again). A duplicate id or
        version number is a ``ConflictError``; nothing stays written."""
        entity_doc = self._entity_doc(entity)
        version_doc = self._version_doc(version)
        self._conn.check_size(entity_doc, "create")
        self._conn.check_size(version_doc, "create")
        entities = self._conn.collection(self._entities)
        versions = self._conn.collection(self._versions)

        async def work(session: Session) -> None:
            await entities.insert_one(dict(entity_doc), session=session)
            if session is not None:
                await versions.insert_one(dict(version_doc), session=session)
                return
            try:
                await versions.insert_one(dict(version_doc))
            except BaseException:
                await entities.delete_one({"id": eq(entity.id)})
                raise

        await self._conn.atomic("create", work)

    async def get_entity(self, entity_id: str) -> EditorEntity | None:
        coll = self._conn.collection(self._entities)
        doc = await self._conn.guard("getById", coll.find_one({"id": eq(entity_id)}))
        return None if doc is None else self._entity(doc)

    async def modify_entity(self, entity_id: str, mutate: EntityMutation) -> EditorEntity | None:
        """Read, ``mutate`` and write back atomically (a transaction, or a compare-and-swap
        retried when another writer got there first): no concurrent change is lost."""

        def compute(current: Document | None) -> tuple[Document | None, EditorEntity | None]:
            if current is None:
                return None, None
            updated = mutate(self._entity(current))
            fields = self._entity_doc(updated)
            fields.pop("id", None)
            return fields, updated

        return await self._conn.read_modify_write(
            "update", self._entities, {"id": eq(entity_id)}, compute
        )

    async def delete_entity_with_versions(self, entity_id: str) -> None:
        """Delete the versions, then the entity, in one transaction (without: in that
        order, so an interruption leaves an entity with fewer versions, never orphans)."""
        entities = self._conn.collection(self._entities)
        versions = self._conn.collection(self._versions)

        async def work(session: Session) -> None:
            await versions.delete_many({self._parent: eq(entity_id)}, session=session)
            await entities.delete_one({"id": eq(entity_id)}, session=session)

        await self._conn.atomic("delete", work)

    async def query_entities(self, query: EntityQuery) -> tuple[list[EditorEntity], int]:
        """Filters on top-level fields run on the server; a ``metadata`` filter (exact
        JSON equality per key, which MongoDB's ``$eq`` does not give for arrays and
        reordered objects) runs through :meth:`EntityQuery.execute`."""
        match: Document = {}
        if query.status is not None:
            match["status"] = eq(query.status)
        if query.author_id is not None:
            match["authorId"] = eq(query.author_id)
        if query.ids is not None:
            match["id"] = {"$in": list(query.ids)}
        for column, value in (query.extra or {}).items():
            if column not in self.domain.extra_columns:
                return [], 0
            match[column] = eq(value)
        coll = self._conn.collection(self._entities)
        if query.metadata:
            docs = await self._conn.guard("list", coll.find(match).to_list())
            return query.execute(self._entity(d) for d in docs)
        docs, total = await self._page(
            "list",
            self._entities,
            match,
            field=query.order_field,
            after=query.after,
            ascending=query.direction == "ASC",
            timestamp=True,
            offset=query.offset,
            limit=query.limit,
            count=query.count,
        )
        return [self._entity(d) for d in docs], total

    async def _page(
        self,
        operation: str,
        collection: str,
        match: Document,
        *,
        field: str,
        after: Cursor | None,
        ascending: bool,
        timestamp: bool,
        offset: int,
        limit: int | None,
        count: bool,
    ) -> tuple[list[Document], int]:
        """One page in the order "``field`` ``ascending``, then ``id`` ascending", after
        the cursor (its key is epoch ms when ``timestamp``, else the field's integer)."""
        coll = self._conn.collection(collection)
        total = 0
        if count:
            total = int(await self._conn.guard(operation, coll.count_documents(match)))
        if limit == 0:
            return [], total
        page_filter = match
        if after is not None:
            key: Any = from_epoch_ms(after.key) if timestamp else after.key
            page_filter = and_filters(
                match,
                position_filter(field, "id", key, str(after.tie), after=ascending, tie_after=True),
            )
        cursor = coll.find(page_filter).sort([(field, 1 if ascending else -1), ("id", 1)])
        cursor = cursor.skip(offset)
        if limit is not None:
            cursor = cursor.limit(limit + 1)
        docs: list[Document] = await self._conn.guard(operation, cursor.to_list())
        return docs, total

    # ---- versions -----------------------------------------------------------------------

    async def insert_version(self, version: EditorVersion, *, assign_number: bool) -> EditorVersion:
        """Insert a version of an existing entity (else ``NotFoundError``). With
        ``assign_number`` the number is the highest + 1, retried on a duplicate-key race
        (bounded); without, a taken number is a ``ConflictError``."""
        entities = self._conn.collection(self._entities)
        versions = self._conn.collection(self._versions)
        parent = self._parent
        name = self.domain.name

        async def attempt(stored: EditorVersion) -> EditorVersion:
            doc = self._version_doc(stored)
            self._conn.check_size(doc, "createVersion")

            async def work(session: Session) -> EditorVersion:
                found = await entities.find_one(
                    {"id": eq(stored.parent_id)}, {"_id": 1}, session=session
                )
                if found is None:
                    raise NotFoundError(
                        f"{name}: {stored.parent_id!r} not found",
                        id="MASTRA_STORAGE_EDITOR_ENTITY_NOT_FOUND",
                        details={"parentId": stored.parent_id},
                    )
                number = stored.version_number
                if assign_number:
                    latest = await versions.find_one(
                        {parent: eq(stored.parent_id)},
                        {"versionNumber": 1},
                        sort=[("versionNumber", -1)],
                        session=session,
                    )
                    number = 1 + (int(latest["versionNumber"]) if latest else 0)
                    doc["versionNumber"] = number
                await versions.insert_one(dict(doc), session=session)
                return msgspec.structs.replace(stored, version_number=number)

            return await self._conn.atomic("createVersion", work)

        if not assign_number:
            return await attempt(version)
        for tries in range(NUMBER_ATTEMPTS):
            try:
                return await attempt(version)
            except ConflictError:
                taken = await self._conn.guard(
                    "createVersion", versions.find_one({"id": eq(version.id)}, {"_id": 1})
                )
                if taken is not None or tries + 1 == NUMBER_ATTEMPTS:
                    raise  # the id itself is taken: retrying cannot help
                await RMW_RETRY.pause(tries)
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_versions(self, version_ids: list[str]) -> list[EditorVersion]:
        if not version_ids:
            return []
        coll = self._conn.collection(self._versions)
        docs = await self._conn.guard(
            "getVersions", coll.find({"id": {"$in": list(version_ids)}}).to_list()
        )
        return [self._version(d) for d in docs]

    async def get_version_by_number(self, parent_id: str, number: int) -> EditorVersion | None:
        coll = self._conn.collection(self._versions)
        doc = await self._conn.guard(
            "getVersionByNumber",
            coll.find_one({self._parent: eq(parent_id), "versionNumber": eq(number)}),
        )
        return None if doc is None else self._version(doc)

    async def get_latest_version(self, parent_id: str) -> EditorVersion | None:
        coll = self._conn.collection(self._versions)
        doc = await self._conn.guard(
            "getLatestVersion",
            coll.find_one({self._parent: eq(parent_id)}, sort=[("versionNumber", -1), ("id", 1)]),
        )
        return None if doc is None else self._version(doc)

    async def query_versions(self, query: VersionQuery) -> tuple[list[EditorVersion], int]:
        docs, total = await self._page(
            "listVersions",
            self._versions,
            {self._parent: eq(query.parent_id)},
            field=query.order_field,
            after=query.after,
            ascending=query.direction == "ASC",
            timestamp=query.order_field == "createdAt",
            offset=query.offset,
            limit=query.limit,
            count=query.count,
        )
        return [self._version(d) for d in docs], total

    async def delete_versions(self, version_ids: list[str]) -> None:
        if not version_ids:
            return
        coll = self._conn.collection(self._versions)
        await self._conn.guard(
            "deleteVersion", coll.delete_many({"id": {"$in": list(version_ids)}})
        )

    async def delete_versions_of(self, parent_id: str) -> None:
        coll = self._conn.collection(self._versions)
        await self._conn.guard(
            "deleteVersionsByParentId", coll.delete_many({self._parent: eq(parent_id)})
        )

    async def count_versions(self, parent_id: str) -> int:
        coll = self._conn.collection(self._versions)
        return int(
            await self._conn.guard(
                "countVersions", coll.count_documents({self._parent: eq(parent_id)})
            )
        )


__all__ = ["NUMBER_ATTEMPTS", "MongoEditorBackend"]
