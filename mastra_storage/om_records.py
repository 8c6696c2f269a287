"""Observational memory (OM) records: one generation of a thread's or resource's observations.

Observational memory keeps a compressed log of what an observer model noticed in a
conversation (the *observations*), so an agent can read it instead of the whole message
history. The SDK stores and serves these records; the observer and reflector models stay
the caller's.

A lookup key names whose memory it is (:func:`om_lookup_key`): ``thread:<threadId>`` for
thread-scoped memory, ``resource:<resourceId>`` otherwise. Each key holds a history of
*generations*: an ``initial`` record, then one ``reflection`` record per reflection (the
reflector condenses the observations into a new, shorter generation). The record with the
highest ``generation_count`` is current.

Attributes are snake_case; :meth:`~mastra_storage.records.Record.to_dict` and
``from_dict`` speak Mastra's camelCase names (``ObservationalMemoryRecord`` of
``@mastra/core``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, NamedTuple

import msgspec

from .codec import parse_json_column
from .errors import ConflictError
from .records import Record

OMScope = Literal["thread", "resource"]
OMOriginType = Literal["initial", "reflection"]

#: Mastra's table (and collection) name for observational memory.
TABLE_OBSERVATIONAL_MEMORY = "mastra_observational_memory"


def om_lookup_key(thread_id: str | None, resource_id: str | None) -> str:
    """The key every generation of one memory shares: ``thread:<id>`` when ``thread_id`` is
    set, otherwise ``resource:<id>`` (Mastra's ``getOMKey``, so both read the same rows)."""
    return f"thread:{thread_id}" if thread_id else f"resource:{resource_id}"


class BufferedObservationChunk(Record, kw_only=True):
    """Observations made ahead of time (buffered) for some messages, not yet active.

    :meth:`ObservationalMemoryStore.swap_buffered_to_active
    <mastra_storage.domains.observational_memory.ObservationalMemoryStore.swap_buffered_to_active>`
    moves whole chunks, oldest first, into the active observations.
    """

    _datetime_fields = ("last_observed_at", "created_at")

    id: str
    cycle_id: str
    observations: str
    token_count: int
    message_ids: list[str]
    message_tokens: int = 0
    last_observed_at: datetime | None = None
    created_at: datetime | None = None
    suggested_continuation: str | None = None
    current_task: str | None = None
    thread_title: str | None = None
    extracted_values: Any = None
    extraction_failures: Any = None


class NewObservationChunk(msgspec.Struct, kw_only=True):
    """A chunk to buffer (``update_buffered_observations``); the store assigns ``id`` and
    ``created_at``. A chunk whose ``cycle_id`` is already buffered is not added twice."""

    cycle_id: str
    observations: str
    token_count: int
    message_ids: list[str]
    message_tokens: int = 0
    last_observed_at: datetime | None = None
    suggested_continuation: str | None = None
    current_task: str | None = None
    thread_title: str | None = None
    extracted_values: Any = None
    extraction_failures: Any = None


class ObservationalMemoryRecord(Record, kw_only=True):
    """One generation of observational memory (a row of ``mastra_observational_memory``).

    ``config`` is the caller's OM configuration, stored verbatim. Flags (``is_observing``,
    ...) tell concurrent workers that an observation, reflection or buffering step is in
    flight. Token counters are integers.
    """

    _datetime_fields = (
        "created_at",
        "updated_at",
        "last_observed_at",
        "last_reflection_at",
        "last_buffered_at_time",
    )

    id: str
    scope: OMScope
    thread_id: str | None = None
    resource_id: str | None = None
    created_at: datetime
    updated_at: datetime
    last_observed_at: datetime | None = None
    last_reflection_at: datetime | None = None
    origin_type: OMOriginType = "initial"
    generation_count: int = 0
    active_observations: str = ""
    buffered_observation_chunks: list[BufferedObservationChunk] | None = None
    buffered_observations: str | None = None
    buffered_observation_tokens: int | None = None
    buffered_message_ids: list[str] | None = None
    buffered_reflection: str | None = None
    buffered_reflection_tokens: int | None = None
    buffered_reflection_input_tokens: int | None = None
    reflected_observation_line_count: int | None = None
    observed_message_ids: list[str] | None = None
    observed_timezone: str | None = None
    total_tokens_observed: int = 0
    observation_token_count: int = 0
    pending_message_tokens: int = 0
    is_reflecting: bool = False
    is_observing: bool = False
    is_buffering_observation: bool = False
    is_buffering_reflection: bool = False
    last_buffered_at_tokens: int = 0
    last_buffered_at_time: datetime | None = None
    config: dict[str, Any] = msgspec.field(default_factory=dict)
    metadata: dict[str, Any] | None = None

    @property
    def lookup_key(self) -> str:
        """The key of this record's memory (:func:`om_lookup_key`)."""
        return om_lookup_key(self.thread_id, self.resource_id)


class OMUpdate(NamedTuple):
    """What a mutation of ``modify_om_record`` returns: the record to write back and,
    optionally, a new generation the backend inserts in the same atomic unit."""

    record: ObservationalMemoryRecord
    new_generation: ObservationalMemoryRecord | None = None


def om_columns(record: ObservationalMemoryRecord) -> dict[str, Any]:
    """``record`` as Mastra's ``mastra_observational_memory`` columns (logical values:
    datetimes, bools, lists and dicts; each adapter renders them in its dialect).

    The buffered observations text goes to ``activeObservationsPendingUpdate``, the column
    Mastra's readers take it from; ``bufferedObservations`` stays null, as Mastra leaves it.
    """
    chunks = (
        None
        if record.buffered_observation_chunks is None
        else [c.to_dict() for c in record.buffered_observation_chunks]
    )
    return {
        "id": record.id,
        "lookupKey": record.lookup_key,
        "scope": record.scope,
        "resourceId": record.resource_id,
        "threadId": record.thread_id,
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
        "isObserving": record.is_observing,
        "isReflecting": record.is_reflecting,
        "observedMessageIds": record.observed_message_ids,
        "observedTimezone": record.observed_timezone,
        "bufferedObservations": None,
        "bufferedObservationTokens": record.buffered_observation_tokens,
        "bufferedMessageIds": record.buffered_message_ids,
        "bufferedReflection": record.buffered_reflection,
        "bufferedReflectionTokens": record.buffered_reflection_tokens,
        "bufferedReflectionInputTokens": record.buffered_reflection_input_tokens,
        "reflectedObservationLineCount": record.reflected_observation_line_count,
        "bufferedObservationChunks": chunks,
        "isBufferingObservation": record.is_buffering_observation,
        "isBufferingReflection": record.is_buffering_reflection,
        "lastBufferedAtTokens": record.last_buffered_at_tokens,
        "lastBufferedAtTime": record.last_buffered_at_time,
        "metadata": record.metadata,
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
    }


def om_record_exists(record_id: str) -> ConflictError:
    """The error every backend raises when an inserted record's (or a new generation's)
    id is already stored: nothing is written."""
    return ConflictError(
        "observational memory record id exists",
        id="MASTRA_STORAGE_INSERT_OBSERVATIONAL_MEMORY_RECORD_CONFLICT",
        details={"id": record_id},
    )


def _int_opt(value: Any) -> int | None:
    return None if value is None else int(value)


def _flag(value: Any) -> bool:
    # JS booleans arrive as true/false, 0/1 (SQLite) or, in old rows, "true"/"false" text
    return value in (1, True, "1", "true")


def om_from_columns(
    v: Mapping[str, Any], times: Mapping[str, datetime | None]
) -> ObservationalMemoryRecord:
    """A record from Mastra's column values ``v`` (JSON columns as text or decoded) and the
    timestamp columns already read by the adapter (``times``: column name -> datetime or
    ``None``), tolerant of what Mastra's writers leave null."""
    chunks = parse_json_column(v["bufferedObservationChunks"])
    config = parse_json_column(v["config"])
    ids = parse_json_column(v["observedMessageIds"])
    buffered_ids = parse_json_column(v["bufferedMessageIds"])
    metadata = parse_json_column(v["metadata"])
    created_at, updated_at = times["createdAt"], times["updatedAt"]
    if created_at is None or updated_at is None:
        raise ValueError("an observational memory row needs createdAt and updatedAt")
    return ObservationalMemoryRecord(
        id=v["id"],
        scope=v["scope"],
        thread_id=v["threadId"] or None,
        resource_id=v["resourceId"],
        created_at=created_at,
        updated_at=updated_at,
        last_observed_at=times["lastObservedAt"],
        last_reflection_at=times["lastReflectionAt"],
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
        last_buffered_at_time=times["lastBufferedAtTime"],
        config=config if isinstance(config, dict) else {},
        metadata=metadata if isinstance(metadata, dict) else None,
    )


class ChunkActivation(msgspec.Struct, kw_only=True):
    """One activated chunk in :class:`SwapBufferedResult.per_chunk`."""

    cycle_id: str
    message_tokens: int
    observation_tokens: int
    message_count: int
    observations: str


class SwapBufferedResult(msgspec.Struct, kw_only=True):
    """What ``swap_buffered_to_active`` did: all zeros and empty lists when nothing was
    buffered (or another caller activated the chunks first)."""

    chunks_activated: int = 0
    message_tokens_activated: int = 0
    observation_tokens_activated: int = 0
    messages_activated: int = 0
    activated_cycle_ids: list[str] = msgspec.field(default_factory=list)
    activated_message_ids: list[str] = msgspec.field(default_factory=list)
    observations: str | None = None
    per_chunk: list[ChunkActivation] | None = None
    suggested_continuation: str | None = None
    current_task: str | None = None


__all__ = [
    "TABLE_OBSERVATIONAL_MEMORY",
    "BufferedObservationChunk",
    "ChunkActivation",
    "NewObservationChunk",
    "OMOriginType",
    "OMScope",
    "OMUpdate",
    "ObservationalMemoryRecord",
    "SwapBufferedResult",
    "om_columns",
    "om_from_columns",
    "om_lookup_key",
    "om_record_exists",
]
