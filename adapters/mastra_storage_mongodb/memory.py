"""Memory domain on MongoDB: ``mastra_threads``, ``mastra_messages``, ``mastra_resources``.

Documents have ``@mastra/mongodb`` 1.19.0's shape (``docs/mongodb-layout.md``). Messages
sort by ``(createdAt, _id)``: the ``ObjectId`` is created in order when a message is first
inserted and never changes on upsert, so it is the insertion-order tie-break the core asks
for (as a 24-digit hex string, which sorts like the ObjectId).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne

from mastra_storage.backend.memory import (
    CloneBuilder,
    MemoryBackend,
    MessageMutation,
    MessageQuery,
    MessageQueryResult,
    ResourceMutation,
    StoredMessage,
    ThreadMutation,
    ThreadQuery,
    plan_message_updates,
)
from mastra_storage.codec import dumps, loads
from mastra_storage.errors import ConflictError, NotFoundError, ValidationError
from mastra_storage.layout import TABLE_MESSAGES, TABLE_RESOURCES, TABLE_THREADS
from mastra_storage.om_records import TABLE_OBSERVATIONAL_MEMORY
from mastra_storage.records import Message, MessageContent, Resource, Thread
from mastra_storage.timeutil import from_epoch_ms

from .connection import Document, Session
from .documents import (
    and_filters,
    date_range_filter,
    eq,
    position_filter,
    read_date,
    read_object,
)
from .domain import MongoDomain
from .observational_memory import MongoObservationalMemory
from .schema import MEMORY_INDEXES

# --------------------------------------------------------------------------- documents


def thread_doc(thread: Thread) -> Document:
    return {
        "id": thread.id,
        "resourceId": thread.resource_id,
        "title": thread.title or "",
        "metadata": thread.metadata,
        "createdAt": thread.created_at,
        "updatedAt": thread.updated_at,
    }


def thread_from_doc(doc: Document) -> Thread:
    return Thread(
        id=str(doc["id"]),
        resource_id=str(doc.get("resourceId") or ""),
        title="" if doc.get("title") is None else str(doc["title"]),
        metadata=read_object(doc.get("metadata")),
        created_at=read_date(doc.get("createdAt"), field="createdAt"),
        updated_at=read_date(doc.get("updatedAt"), field="updatedAt"),
    )


def message_fields(message: Message) -> Document:
    """Every stored field except ``createdAt`` (kept on upsert) and ``_id``."""
    return {
        "id": message.id,
        "thread_id": message.thread_id,
        "content": dumps(message.content.to_dict()),
        "role": message.role,
        "type": message.type or "v2",
        "resourceId": message.resource_id,
    }


def content_from_field(raw: Any) -> MessageContent:
    if isinstance(raw, dict):
        return MessageContent.from_dict(raw)
    text = "" if raw is None else str(raw)
    try:
        value = loads(text)
    except ValidationError:
        value = None
    if isinstance(value, dict):
        return MessageContent.from_dict(value)
    return MessageContent.text(text)  # plain text from older writers: one text part


def stored_from_doc(doc: Document) -> StoredMessage:
    type_ = doc.get("type")
    message = Message(
        id=str(doc["id"]),
        role=doc["role"],
        created_at=read_date(doc.get("createdAt"), field="createdAt"),
        thread_id=doc.get("thread_id"),
        resource_id=doc.get("resourceId"),
        type=None if not type_ or type_ == "v2" else str(type_),
        content=content_from_field(doc.get("content")),
    )
    return StoredMessage(message, str(doc["_id"]))


#: Optional resource fields: unset ones have no key, as @mastra/mongodb 1.19.0 stores a
#: resource saved without them (docs/decisions.md, "Null versus absent").
_RESOURCE_OPTIONAL = ("workingMemory", "metadata")


def resource_doc(resource: Resource) -> Document:
    doc: Document = {
        "id": resource.id,
        "workingMemory": resource.working_memory,
        "metadata": resource.metadata,
        "createdAt": resource.created_at,
        "updatedAt": resource.updated_at,
    }
    for key in _RESOURCE_OPTIONAL:
        if doc[key] is None:
            del doc[key]
    return doc


def resource_from_doc(doc: Document) -> Resource:
    working_memory = doc.get("workingMemory")
    return Resource(
        id=str(doc["id"]),
        working_memory=None if working_memory is None else str(working_memory),
        metadata=read_object(doc.get("metadata")),
        created_at=read_date(doc.get("createdAt"), field="createdAt"),
        updated_at=read_date(doc.get("updatedAt"), field="updatedAt"),
    )


# --------------------------------------------------------------------------- filters

MESSAGE_SORT_ASC = [("createdAt", 1), ("_id", 1)]
MESSAGE_SORT_DESC = [("createdAt", -1), ("_id", -1)]


def _seq_value(tie: int | str) -> ObjectId:
    try:
        return ObjectId(str(tie))
    except Exception as exc:  # bson.errors.InvalidId: a cursor from another adapter
        raise ValidationError("invalid cursor", id="MASTRA_STORAGE_INVALID_CURSOR") from exc


def _metadata_filter(metadata: dict[str, Any] | None) -> tuple[Document, bool]:
    """Mongo conditions for JSON equality on ``metadata.<key>``; the flag says whether
    Python must finish the job (object/array values: key order, ``1 == 1.0`` inside)."""
    conditions: Document = {}
    in_python = False
    for key, value in (metadata or {}).items():
        path = f"metadata.{key}"  # keys are validated identifiers: no '.', no '$'
        if value is None:
            conditions[path] = {"$type": "null", "$not": {"$type": "array"}}
        elif isinstance(value, dict):
            conditions[path] = {"$type": "object"}
            in_python = True
        elif isinstance(value, list):
            conditions[path] = {"$type": "array"}
            in_python = True
        else:
            # $eq alone would also match an array holding the value; JSON equality doesn't
            conditions[path] = {"$eq": value, "$not": {"$type": "array"}}
    return conditions, in_python


# --------------------------------------------------------------------------- the domain


class MongoMemoryBackend(MongoDomain, MongoObservationalMemory, MemoryBackend):
    """Threads, messages and resources in three collections.

    Multi-document writes (saving, moving or deleting messages with their threads'
    ``updatedAt``, deleting or cloning a thread) run in one transaction when the deployment
    has them, otherwise as ordered writes that never leave a message without its thread
    (:meth:`~.connection.MongoConnection.atomic`); read-modify-writes are
    :meth:`~.connection.MongoConnection.read_modify_write`. Driver errors arrive typed
    (:mod:`.errors`). Capabilities: resource-scoped message queries, resource scans,
    resource deletes and observational memory (:mod:`.observational_memory`).
    """

    message_seq_kind = str  # the ObjectId's hex: cursors carry it as a string
    collections = (TABLE_MESSAGES, TABLE_THREADS, TABLE_RESOURCES, TABLE_OBSERVATIONAL_MEMORY)
    indexes = MEMORY_INDEXES

    # ---- threads ----------------------------------------------------------------------

    async def get_thread(self, thread_id: str) -> Thread | None:
        doc = await self._conn.guard(
            "getThreadById", self._conn.collection(TABLE_THREADS).find_one({"id": thread_id})
        )
        return None if doc is None else thread_from_doc(doc)

    async def upsert_thread(self, thread: Thread) -> None:
        doc = thread_doc(thread)
        self._conn.check_size(doc, "saveThread")
        await self._conn.guard(
            "saveThread",
            self._conn.collection(TABLE_THREADS).update_one(
                {"id": thread.id}, {"$set": doc}, upsert=True
            ),
        )

    async def modify_thread(self, thread_id: str, mutate: ThreadMutation) -> Thread | None:
        def compute(doc: Document | None) -> tuple[Document | None, Thread | None]:
            if doc is None:
                return None, None
            updated = mutate(thread_from_doc(doc))
            return thread_doc(updated), updated

        return await self._conn.read_modify_write(
            "updateThread", TABLE_THREADS, {"id": thread_id}, compute
        )

    async def delete_thread(self, thread_id: str) -> None:
        messages = self._conn.collection(TABLE_MESSAGES)
        threads = self._conn.collection(TABLE_THREADS)

        async def work(session: Session) -> None:
            # Without a transaction this order matters: messages go first, so an
            # interruption leaves (part of) a thread, never a message without its thread.
            await messages.delete_many({"thread_id": thread_id}, session=session)
            await threads.delete_one({"id": thread_id}, session=session)

        await self._conn.atomic("deleteThread", work)

    async def query_threads(self, query: ThreadQuery) -> tuple[list[Thread], int]:
        field = "createdAt" if query.order.field == "created_at" else "updatedAt"
        direction = -1 if query.order.descending else 1
        base: Document = {}
        if query.resource_id is not None:
            base["resourceId"] = eq(query.resource_id)
        metadata_conditions, in_python = _metadata_filter(query.metadata)
        base.update(metadata_conditions)
        coll = self._conn.collection(TABLE_THREADS)
        sort = [(field, direction), ("id", direction)]
        after = query.after
        if in_python:
            # The server narrowed by type; JSON equality of objects and arrays (key order,
            # 1 == 1.0 inside) is the reference executor's.
            docs = await self._conn.guard("listThreads", coll.find(base).to_list())
            return query.execute(map(thread_from_doc, docs))
        total = 0
        if query.count:
            total = await self._conn.guard("listThreads", coll.count_documents(base))
        page_filter = base
        if after is not None:
            page_filter = and_filters(
                base,
                position_filter(
                    field, "id", from_epoch_ms(after.key), str(after.tie), direction == 1
                ),
            )
        cursor = coll.find(page_filter).sort(sort).skip(query.offset)
        if query.limit is not None:
            cursor = cursor.limit(query.limit + 1)
        docs = await self._conn.guard("listThreads", cursor.to_list())
        return [thread_from_doc(d) for d in docs], int(total)

    # ---- messages ---------------------------------------------------------------------

    async def query_messages(self, query: MessageQuery) -> MessageQueryResult:
        """One page of the messages of ``query.thread_ids`` (keyset on ``(createdAt,
        _id)``, up to ``limit + 1`` rows), the count when asked, and the include windows.
        Reads only; each part is one query (no snapshot across them)."""
        return await self._run_message_query(query)

    async def query_resource_messages(self, query: MessageQuery) -> MessageQueryResult:
        """As :meth:`query_messages`, over every message of ``query.resource_id`` (the
        ``resourceId, createdAt`` index serves it)."""
        return await self._run_message_query(query)

    async def _run_message_query(self, query: MessageQuery) -> MessageQueryResult:
        coll = self._conn.collection(TABLE_MESSAGES)
        base: Document = {}
        if query.thread_ids is not None:
            ids = query.thread_ids
            base["thread_id"] = eq(ids[0]) if len(ids) == 1 else {"$in": ids}
        if query.resource_id is not None:
            base["resourceId"] = eq(query.resource_id)
        base = and_filters(base, date_range_filter("createdAt", query.date_range))
        page: list[StoredMessage] = []
        total = 0
        if query.limit != 0:
            if query.count:
                total = int(await self._conn.guard("listMessages", coll.count_documents(base)))
            page_filter = base
            if query.after is not None:
                page_filter = and_filters(
                    base,
                    position_filter(
                        "createdAt",
                        "_id",
                        from_epoch_ms(query.after.key),
                        _seq_value(query.after.tie),
                        not query.descending,
                    ),
                )
            sort = MESSAGE_SORT_DESC if query.descending else MESSAGE_SORT_ASC
            cursor = coll.find(page_filter).sort(sort).skip(query.offset)
            if query.limit is not None:
                cursor = cursor.limit(query.limit + 1)
            page = [
                stored_from_doc(d) for d in await self._conn.guard("listMessages", cursor.to_list())
            ]
        included = await self._included(query) if query.include else []
        return MessageQueryResult(page=page, total=total, included=included)

    async def _included(self, query: MessageQuery) -> list[StoredMessage]:
        """Each include target (one query for all) plus its neighbours in its own thread."""
        coll = self._conn.collection(TABLE_MESSAGES)
        ids = list(dict.fromkeys(spec.id for spec in query.include))
        targets = {
            d["id"]: d
            for d in await self._conn.guard(
                "listMessages", coll.find({"id": {"$in": ids}}).to_list()
            )
        }
        out: list[StoredMessage] = []
        for spec in query.include:
            target = targets.get(spec.id)
            if target is None:
                continue
            out.append(stored_from_doc(target))
            for count, forward in (
                (spec.with_previous_messages, False),
                (spec.with_next_messages, True),
            ):
                if count <= 0:
                    continue
                window = and_filters(
                    {"thread_id": eq(target.get("thread_id"))},
                    position_filter(
                        "createdAt", "_id", target.get("createdAt"), target["_id"], forward
                    ),
                )
                sort = MESSAGE_SORT_ASC if forward else MESSAGE_SORT_DESC
                docs = await self._conn.guard(
                    "listMessages", coll.find(window).sort(sort).limit(count).to_list()
                )
                out.extend(stored_from_doc(d) for d in docs)
        return out

    async def get_messages(self, message_ids: list[str]) -> list[StoredMessage]:
        docs = await self._conn.guard(
            "listMessagesById",
            self._conn.collection(TABLE_MESSAGES).find({"id": {"$in": message_ids}}).to_list(),
        )
        return [stored_from_doc(d) for d in docs]

    async def _require_threads(
        self, thread_ids: list[str], session: Session, operation: str
    ) -> None:
        if not thread_ids:
            return
        found = {
            d["id"]
            for d in await self._conn.collection(TABLE_THREADS)
            .find({"id": {"$in": thread_ids}}, {"id": 1}, session=session)
            .to_list()
        }
        missing = [t for t in thread_ids if t not in found]
        if missing:
            raise NotFoundError(
                f"Thread {missing[0]} not found",
                id=f"MASTRA_STORAGE_{operation}_THREAD_NOT_FOUND",
                details={"thread_id": missing[0]},
            )

    async def _bump_threads(self, thread_ids: list[str], now: datetime, session: Session) -> None:
        """``updatedAt = max(updatedAt, now)``, but always a real write: when a concurrent
        bump already stored a later time, it moves 1 ms further. A no-op update takes no
        write lock, so a transaction appending messages would not conflict with one
        deleting the thread, and its messages would outlive the thread."""
        if thread_ids:
            later = {"$cond": [{"$lt": ["$updatedAt", now]}, now, {"$add": ["$updatedAt", 1]}]}
            await self._conn.collection(TABLE_THREADS).update_many(
                {"id": {"$in": thread_ids}}, [{"$set": {"updatedAt": later}}], session=session
            )

    async def save_messages(self, messages: list[Message], now: datetime) -> None:
        thread_ids = list(dict.fromkeys(str(m.thread_id) for m in messages if m.thread_id))
        rows = [(message_fields(m), m.created_at) for m in messages]
        for fields, created in rows:
            self._conn.check_size({**fields, "createdAt": created}, "saveMessages")
        coll = self._conn.collection(TABLE_MESSAGES)

        async def work(session: Session) -> None:
            # Without a transaction: threads are checked first and messages are written
            # before the thread bump, so an interruption never orphans a message.
            await self._require_threads(thread_ids, session, "SAVE_MESSAGES")
            ops = [
                UpdateOne(
                    {"id": fields["id"]},
                    {"$set": fields, "$setOnInsert": {"_id": ObjectId(), "createdAt": created}},
                    upsert=True,
                )
                for fields, created in rows
            ]
            await coll.bulk_write(ops, ordered=True, session=session)
            await self._bump_threads(thread_ids, now, session)

        await self._conn.atomic("saveMessages", work)

    async def modify_messages(
        self, message_ids: list[str], mutate: MessageMutation, now: datetime
    ) -> list[Message]:
        coll = self._conn.collection(TABLE_MESSAGES)

        async def work(session: Session) -> list[Message]:
            docs = await coll.find({"id": {"$in": message_ids}}, session=session).to_list()
            current = {s.message.id: s.message for s in map(stored_from_doc, docs)}
            planned = plan_message_updates(message_ids, current, mutate)
            if not planned:
                return []
            targets = list(dict.fromkeys(str(u.thread_id) for _, u in planned))
            await self._require_threads(targets, session, "UPDATE_MESSAGES")
            for _, updated in planned:
                self._conn.check_size(message_fields(updated), "updateMessages")
            await coll.bulk_write(
                [UpdateOne({"id": u.id}, {"$set": message_fields(u)}) for _, u in planned],
                ordered=True,
                session=session,
            )
            touched = list(
                dict.fromkeys(
                    str(t) for old, new in planned for t in (old.thread_id, new.thread_id) if t
                )
            )
            await self._bump_threads(touched, now, session)
            return [updated for _, updated in planned]

        return await self._conn.atomic("updateMessages", work)

    async def delete_messages(self, message_ids: list[str], now: datetime) -> None:
        coll = self._conn.collection(TABLE_MESSAGES)

        async def work(session: Session) -> None:
            docs = await coll.find(
                {"id": {"$in": message_ids}}, {"thread_id": 1}, session=session
            ).to_list()
            thread_ids = list(
                dict.fromkeys(str(d["thread_id"]) for d in docs if d.get("thread_id"))
            )
            await coll.delete_many({"id": {"$in": message_ids}}, session=session)
            await self._bump_threads(thread_ids, now, session)

        await self._conn.atomic("deleteMessages", work)

    # ---- resources --------------------------------------------------------------------

    async def get_resource(self, resource_id: str) -> Resource | None:
        doc = await self._conn.guard(
            "getResourceById", self._conn.collection(TABLE_RESOURCES).find_one({"id": resource_id})
        )
        return None if doc is None else resource_from_doc(doc)

    async def upsert_resource(self, resource: Resource) -> None:
        doc = resource_doc(resource)
        self._conn.check_size(doc, "saveResource")
        update: Document = {"$set": doc}
        unset = {key: "" for key in _RESOURCE_OPTIONAL if key not in doc}
        if unset:  # a save replaces the resource: an unset field loses its old value
            update["$unset"] = unset
        await self._conn.guard(
            "saveResource",
            self._conn.collection(TABLE_RESOURCES).update_one(
                {"id": resource.id}, update, upsert=True
            ),
        )

    async def modify_resource(self, resource_id: str, mutate: ResourceMutation) -> Resource:
        def compute(doc: Document | None) -> tuple[Document | None, Resource]:
            updated = mutate(None if doc is None else resource_from_doc(doc))
            fields = resource_doc(updated)
            for key in _RESOURCE_OPTIONAL:
                if key not in fields and doc is not None and key in doc:
                    fields[key] = None  # cleared: null, as Mastra's updateResource writes it
            return fields, updated

        return await self._conn.read_modify_write(
            "updateResource", TABLE_RESOURCES, {"id": resource_id}, compute
        )

    async def scan_resources(
        self, position: str | None, limit: int
    ) -> tuple[list[Resource], str | None]:
        """Up to ``limit`` resources with ids after ``position``, by id: keyset on the
        unique ``id`` index, so concurrent writes never shift a page. Reads only."""
        where: Document = {} if position is None else {"id": {"$gt": position}}
        cursor = self._conn.collection(TABLE_RESOURCES).find(where).sort("id", 1).limit(limit)
        docs = await self._conn.guard("scanResources", cursor.to_list())
        found = [resource_from_doc(doc) for doc in docs]
        return found, found[-1].id if len(found) == limit else None

    async def delete_resource(self, resource_id: str) -> None:
        """Delete the resource's document (one atomic ``delete_one``; a missing id deletes
        nothing). Retention removes its threads, messages and runs through the domains
        first."""
        await self._conn.guard(
            "deleteResource",
            self._conn.collection(TABLE_RESOURCES).delete_one({"id": resource_id}),
        )

    # ---- cloning ----------------------------------------------------------------------

    async def clone_thread(
        self, source_thread_id: str, new_thread_id: str, build: CloneBuilder
    ) -> tuple[Thread, list[Message]] | None:
        threads = self._conn.collection(TABLE_THREADS)
        messages = self._conn.collection(TABLE_MESSAGES)
        transactional = await self._conn.probe()

        async def work(session: Session) -> tuple[Thread, list[Message]] | None:
            source_doc = await threads.find_one({"id": source_thread_id}, session=session)
            if source_doc is None:
                return None
            if await threads.find_one({"id": new_thread_id}, {"_id": 1}, session=session):
                raise ConflictError(
                    f"Thread with id {new_thread_id} already exists",
                    id="MASTRA_STORAGE_CLONE_THREAD_THREAD_EXISTS",
                    details={"thread_id": new_thread_id},
                )
            docs = (
                await messages.find({"thread_id": source_thread_id}, session=session)
                .sort(MESSAGE_SORT_ASC)
                .to_list()
            )
            source_messages = [stored_from_doc(d).message for d in docs]
            thread, copies = build(thread_from_doc(source_doc), source_messages)
            new_docs = [
                {"_id": ObjectId(), **message_fields(m), "createdAt": m.created_at} for m in copies
            ]
            for doc in new_docs:
                self._conn.check_size(doc, "cloneThread")
            # Thread first: without a transaction, a failure after this point is undone
            # below, and no copied message ever exists without its thread.
            await threads.insert_one(thread_doc(thread), session=session)
            if new_docs:
                try:
                    await messages.insert_many(new_docs, ordered=True, session=session)
                except BaseException:
                    if not transactional:
                        await messages.delete_many({"thread_id": new_thread_id})
                        await threads.delete_one({"id": new_thread_id})
                    raise
            return thread, copies

        return await self._conn.atomic("cloneThread", work)


__all__ = ["MongoMemoryBackend", "resource_doc", "resource_from_doc"]
