"""Observational memory on libSQL: the release's ``mastra_observational_memory`` table.

The four primitives of
:class:`~mastra_storage.backend.capabilities.SupportsObservationalMemory`; every OM rule is
in the core. Rows are what ``@mastra/libsql`` 1.23.1 writes: timestamps as ISO-8601 text,
flags as 0/1, ``config``, id lists, chunks and metadata as JSON text, and the buffered
observations text in ``activeObservationsPendingUpdate`` (where Mastra's reader takes it).

``modify_om_record`` is one ``BEGIN IMMEDIATE`` job on the store's worker (read, the core's
pure function, write, and the new generation's insert), so concurrent changes to one record
serialise on the write lock and none is lost, on a local file and on sqld alike.
"""

from __future__ import annotations

from typing import Any

from mastra_storage.backend.capabilities import OMMutation
from mastra_storage.codec import dumps, parse_json_column
from mastra_storage.layout import OBSERVATIONAL_MEMORY, TABLE_OBSERVATIONAL_MEMORY
from mastra_storage.om_records import BufferedObservationChunk, ObservationalMemoryRecord
from mastra_storage.timeutil import parse_iso, to_iso

from .connection import LibSQLDatabase
from .tx import Tx

_T = TABLE_OBSERVATIONAL_MEMORY
#: Every column, in the layout's order (reads and writes use the same list).
_NAMES = [c.name for c in OBSERVATIONAL_MEMORY.columns]
_COLUMNS = ", ".join(f'"{n}"' for n in _NAMES)
SELECT_OM = f"SELECT {_COLUMNS} FROM {_T}"
INSERT_OM = f"INSERT INTO {_T} ({_COLUMNS}) VALUES ({', '.join('?' for _ in _NAMES)})"
_SETS = ", ".join(f'"{n}" = ?' for n in _NAMES[1:])
UPDATE_OM = f"UPDATE {_T} SET {_SETS} WHERE id = ?"


def _json_opt(value: Any) -> str | None:
    return None if value is None else dumps(value)


def _iso_opt(value: Any) -> str | None:
    return None if value is None else to_iso(value)


def om_params(record: ObservationalMemoryRecord) -> list[Any]:
    """The row of ``record`` in :data:`_NAMES` order."""
    chunks = (
        None
        if record.buffered_observation_chunks is None
        else [c.to_dict() for c in record.buffered_observation_chunks]
    )
    by_name: dict[str, Any] = {
        "id": record.id,
        "lookupKey": record.lookup_key,
        "scope": record.scope,
        "resourceId": record.resource_id,
        "threadId": record.thread_id,
        "activeObservations": record.active_observations,
        "activeObservationsPendingUpdate": record.buffered_observations,
        "originType": record.origin_type,
        "config": dumps(record.config),
        "generationCount": record.generation_count,
        "lastObservedAt": _iso_opt(record.last_observed_at),
        "lastReflectionAt": _iso_opt(record.last_reflection_at),
        "pendingMessageTokens": record.pending_message_tokens,
        "totalTokensObserved": record.total_tokens_observed,
        "observationTokenCount": record.observation_token_count,
        "isObserving": int(record.is_observing),
        "isReflecting": int(record.is_reflecting),
        "observedMessageIds": _json_opt(record.observed_message_ids),
        "observedTimezone": record.observed_timezone,
        "bufferedObservations": None,
        "bufferedObservationTokens": record.buffered_observation_tokens,
        "bufferedMessageIds": _json_opt(record.buffered_message_ids),
        "bufferedReflection": record.buffered_reflection,
        "bufferedReflectionTokens": record.buffered_reflection_tokens,
        "bufferedReflectionInputTokens": record.buffered_reflection_input_tokens,
        "reflectedObservationLineCount": record.reflected_observation_line_count,
        "bufferedObservationChunks": _json_opt(chunks),
        "isBufferingObservation": int(record.is_buffering_observation),
        "isBufferingReflection": int(record.is_buffering_reflection),
        "lastBufferedAtTokens": record.last_buffered_at_tokens,
        "lastBufferedAtTime": _iso_opt(record.last_buffered_at_time),
        "metadata": _json_opt(record.metadata),
        "createdAt": to_iso(record.created_at),
        "updatedAt": to_iso(record.updated_at),
    }
    return [by_name[name] for name in _NAMES]


def _ts(value: Any, field: str) -> Any:
    return None if value is None or value == "" else parse_iso(str(value), field=field)


def _int_opt(value: Any) -> int | None:
    return None if value is None else int(value)


def _flag(value: Any) -> bool:
    # Mastra binds JS booleans (stored as 0/1); older rows may hold "true"/"false" text
    return value in (1, True, "1", "true")


def om_from_row(row: tuple[Any, ...]) -> ObservationalMemoryRecord:
    """A record from a row selected with :data:`SELECT_OM`."""
    v = dict(zip(_NAMES, row, strict=True))
    chunks = parse_json_column(v["bufferedObservationChunks"])
    config = parse_json_column(v["config"])
    ids = parse_json_column(v["observedMessageIds"])
    buffered_ids = parse_json_column(v["bufferedMessageIds"])
    metadata = parse_json_column(v["metadata"])
    return ObservationalMemoryRecord(
        id=v["id"],
        scope=v["scope"],
        thread_id=v["threadId"] or None,
        resource_id=v["resourceId"],
        created_at=_ts(v["createdAt"], "createdAt"),
        updated_at=_ts(v["updatedAt"], "updatedAt"),
        last_observed_at=_ts(v["lastObservedAt"], "lastObservedAt"),
        last_reflection_at=_ts(v["lastReflectionAt"], "lastReflectionAt"),
        origin_type=v["originType"] or "initial",
        generation_count=int(v["generationCount"] or 0),
        active_observations=v["activeObservations"] or "",
        buffered_observation_chunks=None
        if not isinstance(chunks, list)
        else [BufferedObservationChunk.from_dict(c) for c in chunks],
        buffered_observations=v["activeObservationsPendingUpdate"] or v["bufferedObservations"],
        buffered_observation_tokens=_int_opt(v["bufferedObservationTokens"]),
        buffered_message_ids=buffered_ids if isinstance(buffered_ids, list) else None,
        buffered_reflection=v["bufferedReflection"],
        buffered_reflection_tokens=_int_opt(v["bufferedReflectionTokens"]),
        buffered_reflection_input_tokens=_int_opt(v["bufferedReflectionInputTokens"]),
        reflected_observation_line_count=_int_opt(v["reflectedObservationLineCount"]),
        observed_message_ids=ids if isinstance(ids, list) else None,
        observed_timezone=v["observedTimezone"],
        total_tokens_observed=int(v["totalTokensObserved"] or 0),
        observation_token_count=int(v["observationTokenCount"] or 0),
        pending_message_tokens=int(v["pendingMessageTokens"] or 0),
        is_reflecting=_flag(v["isReflecting"]),
        is_observing=_flag(v["isObserving"]),
        is_buffering_observation=_flag(v["isBufferingObservation"]),
        is_buffering_reflection=_flag(v["isBufferingReflection"]),
        last_buffered_at_tokens=int(v["lastBufferedAtTokens"] or 0),
        last_buffered_at_time=_ts(v["lastBufferedAtTime"], "lastBufferedAtTime"),
        config=config if isinstance(config, dict) else {},
        metadata=metadata if isinstance(metadata, dict) else None,
    )


class LibSQLObservationalMemory:
    """The OM primitives of the libSQL memory backend (mixed into it)."""

    db: LibSQLDatabase

    async def insert_om_record(self, record: ObservationalMemoryRecord) -> None:
        """One ``INSERT``; an existing id is a :class:`~mastra_storage.errors.ConflictError`."""
        params = om_params(record)

        def job(tx: Tx) -> None:
            tx.execute(INSERT_OM, params)

        await self.db.run("insertObservationalMemoryRecord", job)

    async def list_om_records(
        self, lookup_key: str, limit: int | None
    ) -> list[ObservationalMemoryRecord]:
        """One ``SELECT`` on ``idx_om_lookup_key``, newest generation first."""
        sql = f'{SELECT_OM} WHERE "lookupKey" = ? ORDER BY "generationCount" DESC, "createdAt" DESC'
        params: list[Any] = [lookup_key]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)

        def job(tx: Tx) -> list[ObservationalMemoryRecord]:
            return [om_from_row(row) for row in tx.fetchall(sql, params)]

        return await self.db.run("getObservationalMemoryHistory", job, mode="none")

    async def modify_om_record(
        self, record_id: str, mutate: OMMutation
    ) -> ObservationalMemoryRecord | None:
        """Read, ``mutate``, ``UPDATE`` (+ ``INSERT`` of a new generation): one write
        transaction."""

        def job(tx: Tx) -> ObservationalMemoryRecord | None:
            row = tx.fetchone(f"{SELECT_OM} WHERE id = ?", (record_id,))
            if row is None:
                return None
            current = om_from_row(row)
            change = mutate(current)
            if change.record is not current or change.new_generation is not None:
                params = om_params(change.record)
                tx.execute(UPDATE_OM, [*params[1:], record_id])
            if change.new_generation is not None:
                tx.execute(INSERT_OM, om_params(change.new_generation))
            return change.record

        return await self.db.run("updateObservationalMemory", job)

    async def delete_om_records(self, lookup_key: str) -> None:
        """One ``DELETE`` of every generation of ``lookup_key``."""

        def job(tx: Tx) -> None:
            tx.execute(f'DELETE FROM {_T} WHERE "lookupKey" = ?', (lookup_key,))

        await self.db.run("clearObservationalMemory", job)


__all__ = ["LibSQLObservationalMemory", "om_from_row", "om_params"]
