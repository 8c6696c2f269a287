"""Observational memory (OM): the core store, once for every backend.

:class:`ObservationalMemoryStore` holds every OM rule (initialising a memory, updating the
active observations, flags, pending tokens, buffering and activating chunks, reflection
generations, buffered reflections) over the four atomic primitives of
:class:`~mastra_storage.backend.capabilities.SupportsObservationalMemory`. Every change to
an existing record is a pure function handed to ``modify_om_record``, which the backend
applies inside one atomic unit, so concurrent flag and buffer updates never lose a write.

The method names follow Mastra's ``MemoryStorage`` OM methods in snake_case, so Mastra's
documentation maps one to one; the observer and reflector models stay the caller's.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ..backend.capabilities import SupportsObservationalMemory
from ..errors import ConflictError, NotFoundError, ValidationError
from ..om_records import (
    BufferedObservationChunk,
    ChunkActivation,
    NewObservationChunk,
    ObservationalMemoryRecord,
    OMScope,
    OMUpdate,
    SwapBufferedResult,
    om_lookup_key,
)
from ..timeutil import normalize_datetime, to_iso, utc_now
from ..validation import (
    MAX_JSON_DEPTH,
    check_bool,
    check_json,
    check_json_object,
    check_text,
    require_non_empty,
)
from .base import BackendView

#: Default number of generations ``get_observational_memory_history`` returns (Mastra's).
DEFAULT_HISTORY_LIMIT = 10
#: Largest token count accepted (JavaScript readers lose integer precision beyond 2**53).
MAX_TOKENS = 2**53 - 1


def _record_not_found(record_id: str, operation: str) -> NotFoundError:
    return NotFoundError(
        f"Observational memory record not found: {record_id}",
        id=f"MASTRA_STORAGE_{operation}_NOT_FOUND",
        details={"id": record_id},
    )


def _tokens(value: Any, *, field: str, operation: str) -> int:
    """A token count: a finite, non-negative number, rounded like Mastra (``Math.round``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(
            f"{field} must be a number, got {type(value).__name__}",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(
            f"{field} must be finite",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )
    # floor(x + 0.5) is JavaScript's Math.round (round-half-up), not Python's banker's round
    rounded = math.floor(value + 0.5) if isinstance(value, float) else value
    if rounded < 0 or rounded > MAX_TOKENS:
        raise ValidationError(
            f"{field} must be between 0 and 2**53 - 1",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )
    return rounded


def _ratio(value: Any, *, field: str, operation: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(
            f"{field} must be a finite number",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )
    return float(value)


def _when(value: Any, *, field: str, operation: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(
            f"{field} must be a datetime, got {type(value).__name__}",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )
    return normalize_datetime(value, field=field)


def _ids(values: Any, *, field: str, operation: str) -> list[str]:
    if not isinstance(values, (list, tuple)):
        raise ValidationError(
            f"{field} must be a list of strings",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )
    return [require_non_empty(v, field=field, operation=operation) for v in values]


def _key_args(thread_id: Any, resource_id: Any, operation: str) -> str:
    if thread_id is not None:
        require_non_empty(thread_id, field="thread_id", operation=operation)
    require_non_empty(resource_id, field="resource_id", operation=operation)
    return om_lookup_key(thread_id, resource_id)


def check_om_record(record: Any, operation: str) -> ObservationalMemoryRecord:
    """Validate a whole record before it is written (ids, texts, counters, JSON fields)."""
    if not isinstance(record, ObservationalMemoryRecord):
        raise ValidationError(
            f"expected an ObservationalMemoryRecord, got {type(record).__name__}",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
        )
    require_non_empty(record.id, field="record.id", operation=operation)
    _key_args(record.thread_id, record.resource_id, operation)
    if record.scope not in ("thread", "resource"):
        raise ValidationError(
            f"invalid scope {record.scope!r}", id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS"
        )
    if record.origin_type not in ("initial", "reflection"):
        raise ValidationError(
            f"invalid origin_type {record.origin_type!r}",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
        )
    for name in ("active_observations", "buffered_observations", "buffered_reflection"):
        value = getattr(record, name)
        if value is not None:
            check_text(value, field=name, operation=operation)
    if record.observed_timezone is not None:
        check_text(record.observed_timezone, field="observed_timezone", operation=operation)
    for name in (
        "generation_count",
        "total_tokens_observed",
        "observation_token_count",
        "pending_message_tokens",
        "last_buffered_at_tokens",
        "buffered_observation_tokens",
        "buffered_reflection_tokens",
        "buffered_reflection_input_tokens",
        "reflected_observation_line_count",
    ):
        value = getattr(record, name)
        if value is not None and _tokens(value, field=name, operation=operation) != value:
            raise ValidationError(
                f"{name} must be an integer", id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS"
            )
    for name in ("is_reflecting", "is_observing", "is_buffering_observation"):
        check_bool(getattr(record, name), field=name, operation=operation)
    check_bool(record.is_buffering_reflection, field="is_buffering_reflection", operation=operation)
    check_json_object(record.config, field="config", operation=operation)
    if record.metadata is not None:
        check_json_object(record.metadata, field="metadata", operation=operation)
    for name in ("observed_message_ids", "buffered_message_ids"):
        value = getattr(record, name)
        if value is not None:
            _ids(value, field=name, operation=operation)
    if record.buffered_observation_chunks is not None:
        check_json(
            [c.to_dict() for c in record.buffered_observation_chunks],
            field="buffered_observation_chunks",
            operation=operation,
            max_depth=MAX_JSON_DEPTH - 1,
        )
    return record


def _deep_merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = _deep_merge(old, value)
        else:
            merged[key] = value
    return merged


def select_chunks(
    chunks: Sequence[BufferedObservationChunk],
    *,
    activation_ratio: float,
    message_tokens_threshold: float,
    current_pending_tokens: float,
    force_max_activation: bool,
) -> int:
    """How many buffered chunks (oldest first) to activate: Mastra's rule.

    Activation should leave about ``(1 - activation_ratio) * threshold`` message tokens
    pending (the retention floor). Prefer the smallest prefix that reaches the target when
    it overshoots by less than 95% of the floor, else the largest prefix under the target,
    never leaving fewer than ``min(1000, floor)`` tokens unless nothing else fits; at
    least one chunk is always activated.
    """
    retention_floor = message_tokens_threshold * (1 - activation_ratio)
    target = max(0.0, current_pending_tokens - retention_floor)
    cumulative = 0
    best_over = best_over_tokens = best_under = best_under_tokens = 0
    for index, chunk in enumerate(chunks):
        cumulative += chunk.message_tokens or 0
        if cumulative >= target:
            if best_over == 0 or cumulative < best_over_tokens:
                best_over, best_over_tokens = index + 1, cumulative
        elif cumulative > best_under_tokens:
            best_under, best_under_tokens = index + 1, cumulative
    max_overshoot = retention_floor * 0.95
    min_remaining = min(1000.0, retention_floor)
    remaining_over = current_pending_tokens - best_over_tokens
    remaining_under = current_pending_tokens - best_under_tokens
    if force_max_activation and best_over and remaining_over >= min_remaining:
        return best_over
    if best_over and best_over_tokens - target <= max_overshoot and remaining_over >= min_remaining:
        return best_over
    if best_under and remaining_under >= min_remaining:
        return best_under
    return best_over or 1


class ObservationalMemoryStore(BackendView[SupportsObservationalMemory]):
    """Observational memory over a backend with
    :class:`~mastra_storage.backend.capabilities.SupportsObservationalMemory`.

    Every method validates its input before any I/O (raising
    :class:`~mastra_storage.errors.ValidationError`) and is one atomic unit on the backend.
    Methods that change a record by id raise :class:`~mastra_storage.errors.NotFoundError`
    ("Observational memory record not found") for an unknown id, writing nothing.
    """

    async def _modify(
        self, record_id: Any, operation: str, change: Any
    ) -> ObservationalMemoryRecord:
        require_non_empty(record_id, field="id", operation=operation)
        result = await self.backend.modify_om_record(record_id, change)
        if result is None:
            raise _record_not_found(record_id, operation)
        return result

    # ---- reads ----------------------------------------------------------------------------

    async def get_observational_memory(
        self, thread_id: str | None, resource_id: str
    ) -> ObservationalMemoryRecord | None:
        """The current (newest) generation of the memory of ``thread_id`` (when set) or of
        ``resource_id``, or ``None``."""
        key = _key_args(thread_id, resource_id, "GET_OBSERVATIONAL_MEMORY")
        records = await self.backend.list_om_records(key, 1)
        return records[0] if records else None

    async def get_observational_memory_history(
        self, thread_id: str | None, resource_id: str, limit: int | None = DEFAULT_HISTORY_LIMIT
    ) -> list[ObservationalMemoryRecord]:
        """Up to ``limit`` generations, newest first (``None``: all); ``[]`` when none."""
        operation = "GET_OBSERVATIONAL_MEMORY_HISTORY"
        key = _key_args(thread_id, resource_id, operation)
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise ValidationError(
                "limit must be an int or None", id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS"
            )
        if limit is not None and limit < 1:
            return []
        return await self.backend.list_om_records(key, limit)

    # ---- new records ----------------------------------------------------------------------

    async def initialize_observational_memory(
        self,
        *,
        thread_id: str | None,
        resource_id: str,
        scope: OMScope,
        config: Mapping[str, Any],
        observed_timezone: str | None = None,
    ) -> ObservationalMemoryRecord:
        """Insert and return a new ``initial`` generation: empty observations, every flag
        false, every counter 0, ``config`` stored verbatim. Mastra does not check for an
        existing memory either: the new record is current when no reflection exists."""
        now = utc_now()
        record = ObservationalMemoryRecord(
            id=str(uuid.uuid4()),
            scope=scope,
            thread_id=thread_id,
            resource_id=resource_id,
            created_at=now,
            updated_at=now,
            config=dict(config) if isinstance(config, Mapping) else config,
            observed_timezone=observed_timezone,
        )
        check_om_record(record, "INITIALIZE_OBSERVATIONAL_MEMORY")
        await self.backend.insert_om_record(record)
        return record

    async def insert_observational_memory_record(self, record: ObservationalMemoryRecord) -> None:
        """Insert a fully formed record as given (used when cloning or copying). Raises
        :class:`~mastra_storage.errors.ConflictError` when its id exists."""
        await self.backend.insert_om_record(
            check_om_record(record, "INSERT_OBSERVATIONAL_MEMORY_RECORD")
        )

    def _reflection_of(
        self, current: ObservationalMemoryRecord, reflection: str, token_count: int
    ) -> ObservationalMemoryRecord:
        now = utc_now()
        return ObservationalMemoryRecord(
            id=str(uuid.uuid4()),
            scope=current.scope,
            thread_id=current.thread_id,
            resource_id=current.resource_id,
            created_at=now,
            updated_at=now,
            last_observed_at=current.last_observed_at,
            last_reflection_at=now,
            origin_type="reflection",
            generation_count=current.generation_count + 1,
            active_observations=reflection,
            total_tokens_observed=current.total_tokens_observed,
            observation_token_count=token_count,
            config=dict(current.config),
            metadata=current.metadata,
            observed_timezone=current.observed_timezone,
        )

    async def create_reflection_generation(
        self, *, current_record: ObservationalMemoryRecord, reflection: str, token_count: int
    ) -> ObservationalMemoryRecord:
        """Insert and return the next generation after ``current_record``: a new id,
        ``origin_type="reflection"``, ``active_observations = reflection``,
        ``generation_count + 1``, ``last_observed_at`` and the total carried over, flags
        false. Earlier generations stay as they are."""
        operation = "CREATE_REFLECTION_GENERATION"
        check_om_record(current_record, operation)
        check_text(reflection, field="reflection", operation=operation)
        tokens = _tokens(token_count, field="token_count", operation=operation)
        record = self._reflection_of(current_record, reflection, tokens)
        await self.backend.insert_om_record(record)
        return record

    # ---- observations ---------------------------------------------------------------------

    async def update_active_observations(
        self,
        *,
        id: str,
        observations: str,
        token_count: int,
        last_observed_at: datetime,
        observed_message_ids: Sequence[str] | None = None,
        observed_timezone: str | None = None,
    ) -> ObservationalMemoryRecord:
        """Replace the active observations: ``observation_token_count = token_count``,
        ``total_tokens_observed += token_count``, ``pending_message_tokens = 0``,
        ``last_observed_at`` exactly, ``observed_message_ids`` replaced (cleared when not
        given, like Mastra); ``observed_timezone`` set when given."""
        operation = "UPDATE_ACTIVE_OBSERVATIONS"
        check_text(observations, field="observations", operation=operation)
        tokens = _tokens(token_count, field="token_count", operation=operation)
        observed_at = _when(last_observed_at, field="last_observed_at", operation=operation)
        ids = (
            None
            if observed_message_ids is None
            else _ids(observed_message_ids, field="observed_message_ids", operation=operation)
        )
        if observed_timezone is not None:
            check_text(observed_timezone, field="observed_timezone", operation=operation)
        now = utc_now()

        def change(record: ObservationalMemoryRecord) -> OMUpdate:
            return OMUpdate(
                record.replace(
                    active_observations=observations,
                    observation_token_count=tokens,
                    total_tokens_observed=record.total_tokens_observed + tokens,
                    pending_message_tokens=0,
                    last_observed_at=observed_at,
                    observed_message_ids=ids,
                    observed_timezone=observed_timezone or record.observed_timezone,
                    updated_at=now,
                )
            )

        return await self._modify(id, operation, change)

    async def _set(self, record_id: str, operation: str, **changes: Any) -> None:
        now = utc_now()

        def change(record: ObservationalMemoryRecord) -> OMUpdate:
            return OMUpdate(record.replace(updated_at=now, **changes))

        await self._modify(record_id, operation, change)

    async def set_reflecting_flag(self, id: str, is_reflecting: bool) -> None:
        """Set ``is_reflecting``."""
        check_bool(is_reflecting, field="is_reflecting", operation="SET_REFLECTING_FLAG")
        await self._set(id, "SET_REFLECTING_FLAG", is_reflecting=is_reflecting)

    async def set_observing_flag(self, id: str, is_observing: bool) -> None:
        """Set ``is_observing``."""
        check_bool(is_observing, field="is_observing", operation="SET_OBSERVING_FLAG")
        await self._set(id, "SET_OBSERVING_FLAG", is_observing=is_observing)

    async def set_buffering_observation_flag(
        self, id: str, is_buffering: bool, last_buffered_at_tokens: int | None = None
    ) -> None:
        """Set ``is_buffering_observation`` and, when given, ``last_buffered_at_tokens``."""
        operation = "SET_BUFFERING_OBSERVATION_FLAG"
        check_bool(is_buffering, field="is_buffering", operation=operation)
        changes: dict[str, Any] = {"is_buffering_observation": is_buffering}
        if last_buffered_at_tokens is not None:
            changes["last_buffered_at_tokens"] = _tokens(
                last_buffered_at_tokens, field="last_buffered_at_tokens", operation=operation
            )
        await self._set(id, operation, **changes)

    async def set_buffering_reflection_flag(self, id: str, is_buffering: bool) -> None:
        """Set ``is_buffering_reflection``."""
        operation = "SET_BUFFERING_REFLECTION_FLAG"
        check_bool(is_buffering, field="is_buffering", operation=operation)
        await self._set(id, operation, is_buffering_reflection=is_buffering)

    async def set_pending_message_tokens(self, id: str, token_count: int) -> None:
        """Overwrite ``pending_message_tokens``."""
        operation = "SET_PENDING_MESSAGE_TOKENS"
        tokens = _tokens(token_count, field="token_count", operation=operation)
        await self._set(id, operation, pending_message_tokens=tokens)

    async def update_observational_memory_config(
        self, id: str, config: Mapping[str, Any]
    ) -> ObservationalMemoryRecord:
        """Deep-merge ``config`` into the stored config (nested objects merge, other
        values replace) and return the record."""
        operation = "UPDATE_OM_CONFIG"
        check_json_object(config, field="config", operation=operation)
        now = utc_now()

        def change(record: ObservationalMemoryRecord) -> OMUpdate:
            return OMUpdate(
                record.replace(config=_deep_merge(record.config, config), updated_at=now)
            )

        return await self._modify(id, operation, change)

    async def clear_observational_memory(self, thread_id: str | None, resource_id: str) -> None:
        """Delete every generation of the memory; none is a no-op."""
        key = _key_args(thread_id, resource_id, "CLEAR_OBSERVATIONAL_MEMORY")
        await self.backend.delete_om_records(key)

    # ---- buffering ------------------------------------------------------------------------

    async def update_buffered_observations(
        self,
        *,
        id: str,
        chunk: NewObservationChunk,
        last_buffered_at_time: datetime | None = None,
    ) -> ObservationalMemoryRecord:
        """Append ``chunk`` to the buffered chunks (skipped when a chunk with its
        ``cycle_id`` is already buffered, so a retried cycle is not buffered twice) and
        set ``last_buffered_at_time`` when given."""
        operation = "UPDATE_BUFFERED_OBSERVATIONS"
        if not isinstance(chunk, NewObservationChunk):
            raise ValidationError(
                f"chunk must be a NewObservationChunk, got {type(chunk).__name__}",
                id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            )
        require_non_empty(chunk.cycle_id, field="chunk.cycle_id", operation=operation)
        check_text(chunk.observations, field="chunk.observations", operation=operation)
        buffered_at = (
            None
            if last_buffered_at_time is None
            else _when(last_buffered_at_time, field="last_buffered_at_time", operation=operation)
        )
        now = utc_now()
        new_chunk = BufferedObservationChunk(
            id=f"ombuf-{uuid.uuid4()}",
            cycle_id=chunk.cycle_id,
            observations=chunk.observations,
            token_count=_tokens(chunk.token_count, field="chunk.token_count", operation=operation),
            message_ids=_ids(chunk.message_ids, field="chunk.message_ids", operation=operation),
            message_tokens=_tokens(
                chunk.message_tokens, field="chunk.message_tokens", operation=operation
            ),
            last_observed_at=None
            if chunk.last_observed_at is None
            else _when(chunk.last_observed_at, field="chunk.last_observed_at", operation=operation),
            created_at=now,
            suggested_continuation=chunk.suggested_continuation,
            current_task=chunk.current_task,
            thread_title=chunk.thread_title,
            extracted_values=chunk.extracted_values,
            extraction_failures=chunk.extraction_failures,
        )
        check_json(new_chunk.to_dict(), field="chunk", operation=operation)

        def change(record: ObservationalMemoryRecord) -> OMUpdate:
            chunks = list(record.buffered_observation_chunks or [])
            if not any(c.cycle_id == new_chunk.cycle_id for c in chunks):
                chunks.append(new_chunk)
            return OMUpdate(
                record.replace(
                    buffered_observation_chunks=chunks,
                    last_buffered_at_time=buffered_at or record.last_buffered_at_time,
                    updated_at=now,
                )
            )

        return await self._modify(id, operation, change)

    async def swap_buffered_to_active(
        self,
        *,
        id: str,
        activation_ratio: float,
        message_tokens_threshold: float,
        current_pending_tokens: float,
        force_max_activation: bool = False,
        last_observed_at: datetime | None = None,
    ) -> SwapBufferedResult:
        """Move whole buffered chunks, oldest first, into the active observations
        (:func:`select_chunks` decides how many) in one atomic change.

        Activated observations are appended after a ``--- message boundary (<time>) ---``
        line; ``observation_token_count`` grows by their tokens, ``pending_message_tokens``
        shrinks by their message tokens (not below 0), ``last_observed_at`` becomes the
        given time or the newest activated chunk's. ``observed_message_ids`` is kept as is
        (the activated ids are returned). With nothing buffered it changes nothing and
        returns zeros, so a repeated call is a no-op.
        """
        operation = "SWAP_BUFFERED_TO_ACTIVE"
        ratio = _ratio(activation_ratio, field="activation_ratio", operation=operation)
        threshold = _ratio(
            message_tokens_threshold, field="message_tokens_threshold", operation=operation
        )
        pending = _ratio(
            current_pending_tokens, field="current_pending_tokens", operation=operation
        )
        check_bool(force_max_activation, field="force_max_activation", operation=operation)
        observed_at = (
            None
            if last_observed_at is None
            else _when(last_observed_at, field="last_observed_at", operation=operation)
        )
        now = utc_now()
        outcome = SwapBufferedResult()

        def change(record: ObservationalMemoryRecord) -> OMUpdate:
            nonlocal outcome
            chunks = record.buffered_observation_chunks or []
            if not chunks:
                outcome = SwapBufferedResult()
                return OMUpdate(record)
            count = select_chunks(
                chunks,
                activation_ratio=ratio,
                message_tokens_threshold=threshold,
                current_pending_tokens=pending,
                force_max_activation=force_max_activation,
            )
            active, remaining = chunks[:count], chunks[count:]
            content = "\n\n".join(c.observations for c in active)
            tokens = sum(c.token_count for c in active)
            message_tokens = sum(c.message_tokens or 0 for c in active)
            when = observed_at or active[-1].last_observed_at or now
            boundary = f"\n\n--- message boundary ({to_iso(when)}) ---\n\n"
            observations = (
                f"{record.active_observations}{boundary}{content}"
                if record.active_observations
                else content
            )
            outcome = SwapBufferedResult(
                chunks_activated=len(active),
                message_tokens_activated=message_tokens,
                observation_tokens_activated=tokens,
                messages_activated=sum(len(c.message_ids) for c in active),
                activated_cycle_ids=[c.cycle_id for c in active if c.cycle_id],
                activated_message_ids=[m for c in active for m in c.message_ids],
                observations=content,
                per_chunk=[
                    ChunkActivation(
                        cycle_id=c.cycle_id,
                        message_tokens=c.message_tokens or 0,
                        observation_tokens=c.token_count,
                        message_count=len(c.message_ids),
                        observations=c.observations,
                    )
                    for c in active
                ],
                suggested_continuation=active[-1].suggested_continuation,
                current_task=active[-1].current_task,
            )
            return OMUpdate(
                record.replace(
                    active_observations=observations,
                    observation_token_count=record.observation_token_count + tokens,
                    pending_message_tokens=max(0, record.pending_message_tokens - message_tokens),
                    buffered_observation_chunks=remaining or None,
                    last_observed_at=when,
                    updated_at=now,
                )
            )

        await self._modify(id, operation, change)
        return outcome

    async def update_buffered_reflection(
        self,
        *,
        id: str,
        reflection: str,
        token_count: int,
        input_token_count: int,
        reflected_observation_line_count: int,
    ) -> ObservationalMemoryRecord:
        """Append ``reflection`` to the buffered reflection (after a blank line), add the
        token counts, and record how many observation lines it covers."""
        operation = "UPDATE_BUFFERED_REFLECTION"
        check_text(reflection, field="reflection", operation=operation)
        tokens = _tokens(token_count, field="token_count", operation=operation)
        inputs = _tokens(input_token_count, field="input_token_count", operation=operation)
        lines = _tokens(
            reflected_observation_line_count,
            field="reflected_observation_line_count",
            operation=operation,
        )
        now = utc_now()

        def change(record: ObservationalMemoryRecord) -> OMUpdate:
            old = record.buffered_reflection
            return OMUpdate(
                record.replace(
                    buffered_reflection=f"{old}\n\n{reflection}" if old else reflection,
                    buffered_reflection_tokens=(record.buffered_reflection_tokens or 0) + tokens,
                    buffered_reflection_input_tokens=(record.buffered_reflection_input_tokens or 0)
                    + inputs,
                    reflected_observation_line_count=lines,
                    updated_at=now,
                )
            )

        return await self._modify(id, operation, change)

    async def swap_buffered_reflection_to_active(
        self, *, current_record: ObservationalMemoryRecord, token_count: int
    ) -> ObservationalMemoryRecord:
        """Turn the buffered reflection into the next generation, atomically.

        The new generation's observations are the buffered reflection followed by the
        active observation lines it did not cover (those after
        ``reflected_observation_line_count``); the buffered reflection fields of the
        current record are cleared in the same atomic unit. Raises
        :class:`~mastra_storage.errors.ConflictError` when nothing is buffered.
        """
        operation = "SWAP_BUFFERED_REFLECTION_TO_ACTIVE"
        check_om_record(current_record, operation)
        tokens = _tokens(token_count, field="token_count", operation=operation)
        now = utc_now()
        created: ObservationalMemoryRecord | None = None

        def change(record: ObservationalMemoryRecord) -> OMUpdate:
            nonlocal created
            if not record.buffered_reflection:
                raise ConflictError(
                    "No buffered reflection to swap",
                    id=f"MASTRA_STORAGE_{operation}_NO_CONTENT",
                    details={"id": record.id},
                )
            skip = record.reflected_observation_line_count or 0
            rest = "\n".join(record.active_observations.split("\n")[skip:]).strip()
            text = f"{record.buffered_reflection}\n\n{rest}" if rest else record.buffered_reflection
            created = self._reflection_of(record, text, tokens)
            cleared = record.replace(
                buffered_reflection=None,
                buffered_reflection_tokens=None,
                buffered_reflection_input_tokens=None,
                reflected_observation_line_count=None,
                updated_at=now,
            )
            return OMUpdate(cleared, created)

        await self._modify(current_record.id, operation, change)
        if created is None:  # unreachable: _modify raised or ran change at least once
            raise _record_not_found(current_record.id, operation)
        return created


__all__ = ["DEFAULT_HISTORY_LIMIT", "ObservationalMemoryStore", "check_om_record", "select_chunks"]
