"""Observational memory on PostgreSQL: the release's ``mastra_observational_memory`` table.

The four primitives of
:class:`~mastra_storage.backend.capabilities.SupportsObservationalMemory`; every OM rule is
in the core. Rows are exactly what ``@mastra/pg`` 1.27.1 writes: ``config`` is JSON text,
the id lists, chunks and metadata are ``jsonb``, each timestamp ``X`` has its ``XZ``
(``TIMESTAMPTZ``) twin, and the buffered observations text lives in
``activeObservationsPendingUpdate`` (the column Mastra's reader takes it from).

``modify_om_record`` is one transaction: ``SELECT ... FOR UPDATE`` on the row, the core's
pure function, ``UPDATE`` (and the new generation's ``INSERT``), so concurrent changes to
one record serialise on its row lock and none is lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mastra_storage.backend.capabilities import OMMutation
from mastra_storage.codec import dumps, parse_json_column
from mastra_storage.layout import OBSERVATIONAL_MEMORY, TABLE_OBSERVATIONAL_MEMORY
from mastra_storage.om_records import BufferedObservationChunk, ObservationalMemoryRecord

from .connection import Runner
from .schema import q
from .sqlutil import naive_opt, read_ts, read_ts_required, select_columns

OM_COLUMNS = select_columns(OBSERVATIONAL_MEMORY)
#: Written columns, in the order of :func:`om_params` (``bufferedObservations`` stays NULL:
#: Mastra keeps that text in ``activeObservationsPendingUpdate``).
_WRITE_COLUMNS = [
    c.name for c in OBSERVATIONAL_MEMORY.columns if c.name != "bufferedObservations"
] + [c + "Z" for c in OBSERVATIONAL_MEMORY.timestamp_columns]
_JSONB = {"observedMessageIds", "bufferedMessageIds", "bufferedObservationChunks", "metadata"}
_PLACEHOLDERS = ", ".join(
    f"${i}::jsonb" if name in _JSONB else f"${i}" for i, name in enumerate(_WRITE_COLUMNS, 1)
)
_COLUMN_LIST = ", ".join(q(c) for c in _WRITE_COLUMNS)
_SET_LIST = ", ".join(
    f"{q(name)} = ${i}::jsonb" if name in _JSONB else f"{q(name)} = ${i}"
    for i, name in enumerate(_WRITE_COLUMNS, 1)
    if name != "id"
)


def _json_opt(value: Any) -> str | None:
    return None if value is None else dumps(value)


def om_params(record: ObservationalMemoryRecord) -> list[Any]:
    """The row of ``record``, in :data:`_WRITE_COLUMNS` order."""
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
        "lastObservedAt": naive_opt(record.last_observed_at),
        "lastReflectionAt": naive_opt(record.last_reflection_at),
        "pendingMessageTokens": record.pending_message_tokens,
        "totalTokensObserved": record.total_tokens_observed,
        "observationTokenCount": record.observation_token_count,
        "isObserving": record.is_observing,
        "isReflecting": record.is_reflecting,
        "observedMessageIds": _json_opt(record.observed_message_ids),
        "observedTimezone": record.observed_timezone,
        "bufferedObservationTokens": record.buffered_observation_tokens,
        "bufferedMessageIds": _json_opt(record.buffered_message_ids),
        "bufferedReflection": record.buffered_reflection,
        "bufferedReflectionTokens": record.buffered_reflection_tokens,
        "bufferedReflectionInputTokens": record.buffered_reflection_input_tokens,
        "reflectedObservationLineCount": record.reflected_observation_line_count,
        "bufferedObservationChunks": _json_opt(chunks),
        "isBufferingObservation": record.is_buffering_observation,
        "isBufferingReflection": record.is_buffering_reflection,
        "lastBufferedAtTokens": record.last_buffered_at_tokens,
        "lastBufferedAtTime": naive_opt(record.last_buffered_at_time),
        "metadata": _json_opt(record.metadata),
        "createdAt": naive_opt(record.created_at),
        "updatedAt": naive_opt(record.updated_at),
        "lastObservedAtZ": record.last_observed_at,
        "lastReflectionAtZ": record.last_reflection_at,
        "lastBufferedAtTimeZ": record.last_buffered_at_time,
        "createdAtZ": record.created_at,
        "updatedAtZ": record.updated_at,
    }
    return [by_name[name] for name in _WRITE_COLUMNS]


def _int_opt(value: Any) -> int | None:
    return None if value is None else int(value)


def om_from_row(row: Any) -> ObservationalMemoryRecord:
    """A record from a row selected with :data:`OM_COLUMNS` (each ``X`` then ``XZ``).

    ``XZ`` wins when set (what this SDK and ``@mastra/pg`` write); the wall-clock ``X``
    covers rows whose writer left the twin NULL. ``lastBufferedAtTime`` is read from its
    wall column alone (see below).
    """
    v = dict(zip(_SELECT_NAMES, row, strict=True))
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
        created_at=read_ts_required(v["createdAtZ"], v["createdAt"]),
        updated_at=read_ts_required(v["updatedAtZ"], v["updatedAt"]),
        last_observed_at=read_ts(v["lastObservedAtZ"], v["lastObservedAt"]),
        last_reflection_at=read_ts(v["lastReflectionAtZ"], v["lastReflectionAt"]),
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
        is_reflecting=bool(v["isReflecting"]),
        is_observing=bool(v["isObserving"]),
        is_buffering_observation=bool(v["isBufferingObservation"]),
        is_buffering_reflection=bool(v["isBufferingReflection"]),
        last_buffered_at_tokens=int(v["lastBufferedAtTokens"] or 0),
        # the wall column only: @mastra/pg never writes this twin, which defaults to now()
        last_buffered_at_time=read_ts(None, v["lastBufferedAtTime"]),
        config=config if isinstance(config, dict) else {},
        metadata=metadata if isinstance(metadata, dict) else None,
    )


def _select_names() -> list[str]:
    names: list[str] = []
    for column in OBSERVATIONAL_MEMORY.columns:
        names.append(column.name)
        if column.logical == "timestamp":
            names.append(column.name + "Z")
    return names


_SELECT_NAMES = _select_names()


class PgObservationalMemory:
    """The OM primitives of the PostgreSQL memory backend (mixed into it)."""

    _db: Any

    if TYPE_CHECKING:

        def t(self, name: str) -> str:
            """``"schema"."table"`` (provided by :class:`~.domain.PgBackend`)."""
            ...

    def _om_sql(self) -> tuple[str, str, str]:
        table = self.t(TABLE_OBSERVATIONAL_MEMORY)
        insert = f"INSERT INTO {table} ({_COLUMN_LIST}) VALUES ({_PLACEHOLDERS})"
        update = f"UPDATE {table} SET {_SET_LIST} WHERE id = $1"
        select = f"SELECT {OM_COLUMNS} FROM {table}"
        return insert, update, select

    async def insert_om_record(self, record: ObservationalMemoryRecord) -> None:
        """One ``INSERT``; an existing id is a :class:`~mastra_storage.errors.ConflictError`."""
        insert, _, _ = self._om_sql()
        await self._db.execute("insertObservationalMemoryRecord", insert, *om_params(record))

    async def list_om_records(
        self, lookup_key: str, limit: int | None
    ) -> list[ObservationalMemoryRecord]:
        """One ``SELECT`` on ``idx_om_lookup_key``, newest generation first."""
        _, _, select = self._om_sql()
        sql = (
            f'{select} WHERE "lookupKey" = $1 '
            'ORDER BY "generationCount" DESC, "createdAtZ" DESC NULLS LAST, "createdAt" DESC'
        )
        args: list[Any] = [lookup_key]
        if limit is not None:
            sql += " LIMIT $2"
            args.append(limit)
        rows = await self._db.fetch("getObservationalMemoryHistory", sql, *args)
        return [om_from_row(row) for row in rows]

    async def modify_om_record(
        self, record_id: str, mutate: OMMutation
    ) -> ObservationalMemoryRecord | None:
        """``SELECT ... FOR UPDATE``, ``mutate``, ``UPDATE`` (+ ``INSERT`` of a new
        generation): one transaction."""
        insert, update, select = self._om_sql()
        async with self._db.transaction("updateObservationalMemory") as tx:
            runner: Runner = tx
            row = await runner.fetchrow(f"{select} WHERE id = $1 FOR UPDATE", record_id)
            if row is None:
                return None
            current = om_from_row(row)
            change = mutate(current)
            if change.record is not current or change.new_generation is not None:
                await runner.execute(update, *om_params(change.record))
            if change.new_generation is not None:
                await runner.execute(insert, *om_params(change.new_generation))
            return change.record

    async def delete_om_records(self, lookup_key: str) -> None:
        """One ``DELETE`` of every generation of ``lookup_key``."""
        await self._db.execute(
            "clearObservationalMemory",
            f'DELETE FROM {self.t(TABLE_OBSERVATIONAL_MEMORY)} WHERE "lookupKey" = $1',
            lookup_key,
        )


__all__ = ["OM_COLUMNS", "PgObservationalMemory", "om_from_row", "om_params"]
