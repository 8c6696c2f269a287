"""Observational memory on MongoDB: ``@mastra/mongodb`` 1.19.0's collection, exactly.

One document per generation in ``mastra_observational_memory``, shaped as the release
writes it (``docs/mongodb-layout.md``, "Observational memory"): camelCase fields, the
lookup key in ``lookupKey``, dates as BSON ``Date``, ``config``/``metadata`` and the
buffered chunks as native sub-documents, the buffered observations under Mastra's
historical name ``activeObservationsPendingUpdate``. The release's two indexes
(``{id: 1}`` unique, ``{lookupKey: 1, generationCount: -1}``; in
:data:`.schema.MEMORY_INDEXES`) serve every access path:

* newest generation / history: ``find({lookupKey}).sort({generationCount: -1,
  createdAt: -1}).limit(n)``, an index range scan;
* by id: ``find_one({id})`` on the unique index;
* delete a memory: ``delete_many({lookupKey})``.

Every rule of OM lives in the core
(:class:`~mastra_storage.domains.observational_memory.ObservationalMemoryStore`); this
module only stores records and applies the core's pure mutations atomically.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from mastra_storage.backend.capabilities import OMMutation
from mastra_storage.errors import ConflictError, storage_error_id
from mastra_storage.om_records import (
    TABLE_OBSERVATIONAL_MEMORY,
    BufferedObservationChunk,
    ObservationalMemoryRecord,
    om_record_exists,
)

from .connection import RMW_RETRY, Document, MongoConnection, Session
from .documents import eq, plain, read_date, read_optional_date

#: Newest first: ``generationCount`` descending (the index), then ``createdAt`` descending.
OM_SORT = [("generationCount", -1), ("createdAt", -1), ("_id", -1)]

_CHUNK_OPTIONAL = (
    ("suggested_continuation", "suggestedContinuation"),
    ("current_task", "currentTask"),
    ("thread_title", "threadTitle"),
    ("extracted_values", "extractedValues"),
    ("extraction_failures", "extractionFailures"),
)


def chunk_doc(chunk: BufferedObservationChunk) -> Document:
    """A buffered chunk as the release stores it (dates as BSON ``Date``; unset optional
    hints have no key, as the release's driver drops ``undefined``)."""
    doc: Document = {
        "id": chunk.id,
        "cycleId": chunk.cycle_id,
        "observations": chunk.observations,
        "tokenCount": chunk.token_count,
        "messageIds": list(chunk.message_ids),
        "messageTokens": chunk.message_tokens,
        "lastObservedAt": chunk.last_observed_at,
        "createdAt": chunk.created_at,
    }
    for attribute, field in _CHUNK_OPTIONAL:
        value = getattr(chunk, attribute)
        if value is not None:
            doc[field] = value
    return doc


def om_doc(record: ObservationalMemoryRecord) -> Document:
    """Every field of the release's document (``insertObservationalMemoryRecord``), plus
    ``bufferedObservationTokens`` and ``bufferedMessageIds`` (the release reads the first
    and ignores the second). Unset values are ``null``, as the release writes them."""
    chunks = record.buffered_observation_chunks
    return {
        "id": record.id,
        "lookupKey": record.lookup_key,
        "scope": record.scope,
        "resourceId": record.resource_id,
        "threadId": record.thread_id or None,
        "activeObservations": record.active_observations,
        "activeObservationsPendingUpdate": record.buffered_observations,
        "originType": record.origin_type,
        "config": record.config,
        "generationCount": record.generation_count,
        "lastObservedAt": record.last_observed_at,
        "lastReflectionAt": record.last_reflection_at,
        "pendingMessageTokens": record.pending_message_tokens,
        "totalTokensObserved": record.total_tokens_observed,
        "observationTokenCount": record.observation_token_count,
        "observedMessageIds": record.observed_message_ids,
        "bufferedObservationChunks": None if chunks is None else [chunk_doc(c) for c in chunks],
        "bufferedObservationTokens": record.buffered_observation_tokens,
        "bufferedMessageIds": record.buffered_message_ids,
        "bufferedReflection": record.buffered_reflection,
        "bufferedReflectionTokens": record.buffered_reflection_tokens,
        "bufferedReflectionInputTokens": record.buffered_reflection_input_tokens,
        "reflectedObservationLineCount": record.reflected_observation_line_count,
        "isObserving": record.is_observing,
        "isReflecting": record.is_reflecting,
        "isBufferingObservation": record.is_buffering_observation,
        "isBufferingReflection": record.is_buffering_reflection,
        "lastBufferedAtTokens": record.last_buffered_at_tokens,
        "lastBufferedAtTime": record.last_buffered_at_time,
        "observedTimezone": record.observed_timezone,
        "metadata": record.metadata,
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
    }


def _int(value: Any) -> int:
    """A counter either side wrote (the release's JavaScript numbers may arrive as doubles
    or, from older releases, as strings); missing or unreadable counts are 0."""
    if isinstance(value, bool) or value is None:
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _optional_int(value: Any) -> int | None:
    return None if value is None else _int(value)


def _ids(value: Any) -> list[str] | None:
    return [str(v) for v in value] if isinstance(value, list) else None


def chunk_from_doc(raw: Any) -> BufferedObservationChunk:
    data = plain(raw) if isinstance(raw, dict) else {}
    chunk = {
        "id": str(data.get("id") or ""),
        "cycleId": str(data.get("cycleId") or ""),
        "observations": str(data.get("observations") or ""),
        "tokenCount": _int(data.get("tokenCount")),
        "messageIds": _ids(data.get("messageIds")) or [],
        "messageTokens": _int(data.get("messageTokens")),
        "lastObservedAt": data.get("lastObservedAt"),
        "createdAt": data.get("createdAt"),
    }
    for _, field in _CHUNK_OPTIONAL:
        if data.get(field) is not None:
            chunk[field] = data[field]
    return BufferedObservationChunk.from_dict(chunk)


def _object(value: Any) -> dict[str, Any] | None:
    data = plain(value)
    return data if isinstance(data, dict) else None


def om_from_doc(doc: Document) -> ObservationalMemoryRecord:
    """A record from a document either side wrote (null and missing fields read as the
    release reads them: unset, ``""``, 0 or ``False``)."""
    chunks = doc.get("bufferedObservationChunks")
    thread_id = doc.get("threadId")
    timezone = doc.get("observedTimezone")
    return ObservationalMemoryRecord(
        id=str(doc["id"]),
        scope="thread" if doc.get("scope") == "thread" else "resource",
        thread_id=str(thread_id) if thread_id else None,
        resource_id=None if doc.get("resourceId") is None else str(doc["resourceId"]),
        created_at=read_date(doc.get("createdAt"), field="createdAt"),
        updated_at=read_date(doc.get("updatedAt"), field="updatedAt"),
        last_observed_at=read_optional_date(doc.get("lastObservedAt"), field="lastObservedAt"),
        last_reflection_at=read_optional_date(
            doc.get("lastReflectionAt"), field="lastReflectionAt"
        ),
        origin_type="reflection" if doc.get("originType") == "reflection" else "initial",
        generation_count=_int(doc.get("generationCount")),
        active_observations=str(doc.get("activeObservations") or ""),
        buffered_observation_chunks=(
            [chunk_from_doc(c) for c in chunks] if isinstance(chunks, list) else None
        ),
        buffered_observations=doc.get("activeObservationsPendingUpdate"),
        buffered_observation_tokens=_optional_int(doc.get("bufferedObservationTokens")),
        buffered_message_ids=_ids(doc.get("bufferedMessageIds")),
        buffered_reflection=doc.get("bufferedReflection"),
        buffered_reflection_tokens=_optional_int(doc.get("bufferedReflectionTokens")),
        buffered_reflection_input_tokens=_optional_int(doc.get("bufferedReflectionInputTokens")),
        reflected_observation_line_count=_optional_int(doc.get("reflectedObservationLineCount")),
        observed_message_ids=_ids(doc.get("observedMessageIds")),
        observed_timezone=str(timezone) if timezone else None,
        total_tokens_observed=_int(doc.get("totalTokensObserved")),
        observation_token_count=_int(doc.get("observationTokenCount")),
        pending_message_tokens=_int(doc.get("pendingMessageTokens")),
        is_reflecting=bool(doc.get("isReflecting")),
        is_observing=bool(doc.get("isObserving")),
        is_buffering_observation=bool(doc.get("isBufferingObservation")),
        is_buffering_reflection=bool(doc.get("isBufferingReflection")),
        last_buffered_at_tokens=_int(doc.get("lastBufferedAtTokens")),
        last_buffered_at_time=read_optional_date(
            doc.get("lastBufferedAtTime"), field="lastBufferedAtTime"
        ),
        config=_object(doc.get("config")) or {},
        metadata=_object(doc.get("metadata")),
    )


class MongoObservationalMemory:
    """:class:`~mastra_storage.backend.capabilities.SupportsObservationalMemory` on the
    release's collection; mixed into the MongoDB memory backend (which owns ``_conn``)."""

    _conn: MongoConnection

    async def insert_om_record(self, record: ObservationalMemoryRecord) -> None:
        """One ``insertOne``. Raises :class:`ConflictError` (nothing written) when a record
        with this id exists (the unique ``id`` index decides, also between processes)."""
        doc = {"_id": ObjectId(), **om_doc(record)}
        self._conn.check_size(doc, "insertObservationalMemoryRecord")
        coll = self._conn.collection(TABLE_OBSERVATIONAL_MEMORY)
        try:
            await self._conn.guard("insertObservationalMemoryRecord", coll.insert_one(doc))
        except ConflictError as exc:
            raise om_record_exists(record.id) from exc

    async def list_om_records(
        self, lookup_key: str, limit: int | None
    ) -> list[ObservationalMemoryRecord]:
        """The generations of ``lookup_key`` newest first: one ``find`` over the
        ``{lookupKey, generationCount}`` index, at most ``limit`` documents. Reads only."""
        cursor = (
            self._conn.collection(TABLE_OBSERVATIONAL_MEMORY)
            .find({"lookupKey": eq(lookup_key)})
            .sort(OM_SORT)
        )
        if limit is not None:
            cursor = cursor.limit(limit)
        docs = await self._conn.guard("getObservationalMemoryHistory", cursor.to_list())
        return [om_from_doc(d) for d in docs]

    async def modify_om_record(
        self, record_id: str, mutate: OMMutation
    ) -> ObservationalMemoryRecord | None:
        """Read the record, apply ``mutate`` and write every field back, atomically.

        With transactions: one transaction (read, optional insert of the new generation,
        update); a concurrent writer aborts it with a WriteConflict and it runs again.
        Without: the update is a compare-and-swap on every field read, and the new
        generation is inserted *before* it and removed again when the swap misses, so a
        lost race never leaves a generation behind and an interruption can at worst leave
        a new generation whose source record was not yet updated (never the reverse, which
        would lose the reflection). Retried within :data:`~.connection.RMW_RETRY`, then
        :class:`ConflictError`. A new generation whose id exists raises
        :class:`ConflictError` and writes nothing.
        """
        operation = "modifyObservationalMemory"
        coll = self._conn.collection(TABLE_OBSERVATIONAL_MEMORY)
        transactional = await self._conn.probe()

        async def attempt(session: Session) -> tuple[bool, ObservationalMemoryRecord | None]:
            current = await coll.find_one({"id": eq(record_id)}, session=session)
            if current is None:
                return True, None
            before = om_from_doc(current)
            update = mutate(before)
            if update.new_generation is None and update.record == before:
                return True, before
            fields = om_doc(update.record)
            self._conn.check_size(fields, operation)
            inserted: Document | None = None
            if update.new_generation is not None:
                inserted = {"_id": ObjectId(), **om_doc(update.new_generation)}
                self._conn.check_size(inserted, operation)
                try:
                    await coll.insert_one(inserted, session=session)
                except DuplicateKeyError as exc:
                    raise om_record_exists(update.new_generation.id) from exc
            match: Document = {"_id": current["_id"]}
            if not transactional:
                match.update({k: {"$eq": v} for k, v in current.items() if k != "_id"})
            outcome = await coll.update_one(match, {"$set": fields}, session=session)
            if outcome.matched_count != 1:
                if inserted is not None:
                    await coll.delete_one({"_id": inserted["_id"]}, session=session)
                return False, None
            return True, update.record

        for n in RMW_RETRY.tries():
            done, result = await self._conn.atomic(operation, attempt)
            if done:
                return result
            await RMW_RETRY.pause(n)
        raise ConflictError(
            f"{operation}: gave up after {RMW_RETRY.attempts} concurrent-update retries",
            id=storage_error_id("MONGODB", operation, "CONFLICT"),
        )

    async def delete_om_records(self, lookup_key: str) -> None:
        """``deleteMany({lookupKey})``, in a transaction when the deployment has them (then
        all generations go at once); without, each document goes atomically and a repeated
        call finishes an interrupted one."""
        coll = self._conn.collection(TABLE_OBSERVATIONAL_MEMORY)

        async def work(session: Session) -> None:
            await coll.delete_many({"lookupKey": eq(lookup_key)}, session=session)

        await self._conn.atomic("clearObservationalMemory", work)


__all__ = [
    "MongoObservationalMemory",
    "chunk_doc",
    "om_doc",
    "om_from_doc",
]
