"""Observational memory on Redis/Upstash: our layout (``@mastra/upstash`` stores none).

Two keys per memory family, both under our ``<P>mastra-storage:`` head (ids inside JSON,
so any id is safe; ``docs/upstash-layout.md``, "Observational memory"):

* ``["om", id]`` (string): the record as JSON (``to_dict``: camelCase, ISO dates);
* ``["om-generations", lookupKey]`` (sorted set, lexicographic, all scores 0): one member
  per generation, ``<generation, 20 digits>:<createdAt ms, 15 digits>:<JSON id>``, so
  ``ZRANGE … BYLEX REV LIMIT 0 n`` is the history newest first.

Commands: newest generation or a history page = ``ZRANGE`` + ``MGET`` (2); by-id modify =
``WATCH`` + ``GET`` + ``MULTI`` + ``SET`` + ``EXEC`` (5; a new generation adds ``GET`` of
its key and ``SET`` + ``ZADD``); insert = ``WATCH`` + ``GET`` + ``MULTI`` + ``SET`` +
``ZADD`` + ``EXEC`` (6); delete a memory = ``WATCH`` + ``ZRANGE`` + ``MULTI`` + ``DEL`` +
``EXEC`` (5, one ``DEL`` of every key). Nothing scans. OM keys carry no TTL.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio.client import Pipeline

from mastra_storage.backend.capabilities import OMMutation
from mastra_storage.codec import dumps
from mastra_storage.om_records import ObservationalMemoryRecord, om_record_exists
from mastra_storage.timeutil import to_epoch_ms

from .db import RedisDB, begin, decode_json
from .errors import operation
from .keys import Keys, ms_text

_GENERATION_WIDTH = 20


def generation_member(record: ObservationalMemoryRecord) -> str:
    """The record's member in its memory's generation index (see the module notes)."""
    return (
        f"{record.generation_count:0{_GENERATION_WIDTH}d}:"
        f"{ms_text(to_epoch_ms(record.created_at))}:{dumps(record.id)}"
    )


def _record(raw: Any, record_id: str | None = None) -> ObservationalMemoryRecord | None:
    """The record stored in ``raw`` (anything else, or another id, reads as absent)."""
    data = decode_json(raw)
    if not isinstance(data, dict) or (record_id is not None and data.get("id") != record_id):
        return None
    return ObservationalMemoryRecord.from_dict(data)


class UpstashObservationalMemory:
    """:class:`~mastra_storage.backend.capabilities.SupportsObservationalMemory` on Redis;
    mixed into the Upstash memory backend (which owns ``_db`` and ``_k``)."""

    _db: RedisDB
    _k: Keys

    def _write(self, pipe: Pipeline, record: ObservationalMemoryRecord) -> None:
        pipe.set(self._k.om_record(record.id), dumps(record.to_dict()))
        pipe.zadd(self._k.om_generations(record.lookup_key), {generation_member(record): 0})

    @operation("insertObservationalMemoryRecord")
    async def insert_om_record(self, record: ObservationalMemoryRecord) -> None:
        """One optimistic transaction: the record and its index member, only if no record
        has this id (:class:`ConflictError`, nothing written, otherwise)."""
        key = self._k.om_record(record.id)

        async def body(pipe: Pipeline) -> None:
            if await pipe.exists(key):
                raise om_record_exists(record.id)
            begin(pipe)
            self._write(pipe, record)

        await self._db.transaction([key], body)

    @operation("getObservationalMemoryHistory")
    async def list_om_records(
        self, lookup_key: str, limit: int | None
    ) -> list[ObservationalMemoryRecord]:
        """``ZRANGE BYLEX REV LIMIT 0 limit`` of the memory's index, then one ``MGET``
        (2 commands whatever the history's length). Reads only."""
        if limit is not None and limit <= 0:
            return []
        index = self._k.om_generations(lookup_key)
        if limit is None:
            members = await self._db.client.zrange(index, "+", "-", desc=True, bylex=True)
        else:
            members = await self._db.client.zrange(
                index, "+", "-", desc=True, bylex=True, offset=0, num=limit
            )
        ids = [str(decode_json(str(m).split(":", 2)[2])) for m in members]
        if not ids:
            return []
        raws = await self._db.client.mget([self._k.om_record(i) for i in ids])
        found = [_record(raw, record_id) for raw, record_id in zip(raws, ids, strict=True)]
        # An entry without its record cannot come from our writes (one transaction writes
        # both); skipping it keeps a hand-edited database readable.
        return [r for r in found if r is not None and r.lookup_key == lookup_key]

    @operation("modifyObservationalMemory")
    async def modify_om_record(
        self, record_id: str, mutate: OMMutation
    ) -> ObservationalMemoryRecord | None:
        """``mutate`` applied between a watched ``GET`` and ``EXEC``: the record (and its
        index member, should its generation or time change) and the new generation land
        together or not at all; a concurrent writer makes ``EXEC`` abort and the whole
        step run again. A new generation whose id exists raises :class:`ConflictError`."""
        key = self._k.om_record(record_id)

        async def body(pipe: Pipeline) -> ObservationalMemoryRecord | None:
            before = _record(await pipe.get(key), record_id)
            if before is None:
                return None
            update = mutate(before)
            if update.new_generation is None and update.record == before:
                return before
            new = update.new_generation
            if new is not None:
                new_key = self._k.om_record(new.id)
                await pipe.watch(new_key)
                if await pipe.exists(new_key):
                    raise om_record_exists(new.id)
            begin(pipe)
            old_member = generation_member(before)
            if (
                generation_member(update.record) != old_member
                or update.record.lookup_key != before.lookup_key
            ):
                pipe.zrem(self._k.om_generations(before.lookup_key), old_member)
                self._write(pipe, update.record)
            else:
                pipe.set(key, dumps(update.record.to_dict()))
            if new is not None:
                self._write(pipe, new)
            return update.record

        return await self._db.transaction([key], body)

    @operation("clearObservationalMemory")
    async def delete_om_records(self, lookup_key: str) -> None:
        """Read the memory's index under ``WATCH``, then one ``DEL`` of every record and
        the index in ``MULTI``/``EXEC``: all generations go at once."""
        index = self._k.om_generations(lookup_key)

        async def body(pipe: Pipeline) -> None:
            members = await pipe.zrange(index, 0, -1)
            if not members:
                return
            ids = [str(decode_json(str(m).split(":", 2)[2])) for m in members]
            begin(pipe)
            pipe.delete(index, *[self._k.om_record(i) for i in ids])

        await self._db.transaction([index], body)


__all__ = ["UpstashObservationalMemory", "generation_member"]
