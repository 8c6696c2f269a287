"""Observational memory (spec 12.7 and 5.8): every behaviour group of Mastra's OM tests.

Skipped when the memory backend lacks
:class:`~mastra_storage.backend.capabilities.SupportsObservationalMemory`. Tests are dense
(one per behaviour group) and use fresh resource ids, so they need no clearing.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from ...backend.capabilities import SupportsObservationalMemory
from ...composite import MastraStorage
from ...domains.observational_memory import ObservationalMemoryStore
from ...errors import ConflictError, NotFoundError, ValidationError
from ...om_records import BufferedObservationChunk, NewObservationChunk, ObservationalMemoryRecord
from ...timeutil import UTC, utc_now
from ..data import uid
from ._base import ConformanceBase

CONFIG = {"observationThreshold": 5000, "reflectionThreshold": 40000}


def chunk(observations: str, message_tokens: int, **extra: Any) -> NewObservationChunk:
    """A chunk like Mastra's test helper: one message, half as many observation tokens."""
    return NewObservationChunk(
        cycle_id=uid("cycle-"),
        observations=observations,
        token_count=round(message_tokens / 2),
        message_ids=[uid("msg-")],
        message_tokens=message_tokens,
        last_observed_at=utc_now(),
        **extra,
    )


class ObservationalMemoryTests(ConformanceBase):
    """``initialize/get/history``, observations, reflections, flags, buffering, clearing."""

    @staticmethod
    async def om(storage: MastraStorage) -> ObservationalMemoryStore:
        memory = await storage.require_store("memory")
        if not isinstance(memory.backend, SupportsObservationalMemory):
            pytest.skip("the memory backend has no SupportsObservationalMemory capability")
        return memory.observational_memory

    @staticmethod
    async def fresh(
        om: ObservationalMemoryStore, thread_id: str | None = None
    ) -> ObservationalMemoryRecord:
        return await om.initialize_observational_memory(
            thread_id=thread_id,
            resource_id=uid("resource-"),
            scope="thread" if thread_id else "resource",
            config=CONFIG,
        )

    async def test_initialize_and_get(self, storage: MastraStorage) -> None:
        om = await self.om(storage)
        record = await self.fresh(om)
        assert record.thread_id is None and record.scope == "resource"
        assert record.origin_type == "initial" and record.active_observations == ""
        assert record.generation_count == 0 and record.config == CONFIG
        assert not (record.is_observing or record.is_reflecting)
        assert not (record.is_buffering_observation or record.is_buffering_reflection)
        assert (
            record.total_tokens_observed,
            record.observation_token_count,
            record.pending_message_tokens,
            record.last_buffered_at_tokens,
        ) == (0, 0, 0, 0)
        assert isinstance(record.created_at, datetime) and isinstance(record.updated_at, datetime)
        assert await om.get_observational_memory(None, record.resource_id or "") == record
        assert await om.get_observational_memory(None, uid("missing-")) is None

        # a thread-scoped memory of the same resource is a separate record
        thread_id = uid("thread-")
        threaded = await om.initialize_observational_memory(
            thread_id=thread_id,
            resource_id=record.resource_id or "",
            scope="thread",
            config={},
            observed_timezone="Europe/Paris",
        )
        got = await om.get_observational_memory(thread_id, record.resource_id or "")
        assert got == threaded and got.scope == "thread" and got.thread_id == thread_id
        assert got.observed_timezone == "Europe/Paris"
        again = await om.get_observational_memory(None, record.resource_id or "")
        assert again is not None and again.id == record.id
        other = await self.fresh(om)
        assert other.id != record.id
        fetched_other = await om.get_observational_memory(None, other.resource_id or "")
        assert fetched_other is not None and fetched_other.resource_id == other.resource_id

        # deleting the thread deletes its thread-scoped memory, not the resource's
        await (await self.memory(storage)).delete_thread(thread_id)
        assert await om.get_observational_memory(thread_id, record.resource_id or "") is None
        assert await om.get_observational_memory(None, record.resource_id or "") is not None

    async def test_history_generations_and_clear(self, storage: MastraStorage) -> None:
        om = await self.om(storage)
        assert await om.get_observational_memory_history(None, uid("missing-")) == []
        first = await self.fresh(om)
        resource = first.resource_id or ""
        await om.update_active_observations(
            id=first.id,
            observations="Original observations",
            token_count=25,
            last_observed_at=utc_now(),
        )
        current = first
        generations = [first]
        for index in range(3):
            current = await om.create_reflection_generation(
                current_record=current, reflection=f"Reflection {index + 1}", token_count=10
            )
            generations.append(current)
        assert [g.generation_count for g in generations] == [0, 1, 2, 3]
        history = await om.get_observational_memory_history(None, resource)
        assert [h.id for h in history] == [g.id for g in reversed(generations)]
        assert len(await om.get_observational_memory_history(None, resource, 2)) == 2
        assert len(await om.get_observational_memory_history(None, resource, None)) == 4
        original = next(h for h in history if h.id == first.id)
        assert original.active_observations == "Original observations"
        assert original.observation_token_count == 25
        latest = await om.get_observational_memory(None, resource)
        assert latest is not None and latest.id == current.id
        assert latest.origin_type == "reflection" and latest.active_observations == "Reflection 3"

        await om.clear_observational_memory(None, resource)
        assert await om.get_observational_memory_history(None, resource) == []
        assert await om.get_observational_memory(None, resource) is None
        await om.clear_observational_memory(None, resource)  # nothing left: no error
        await om.clear_observational_memory(uid("thread-"), uid("resource-"))

    async def test_update_active_observations(self, storage: MastraStorage) -> None:
        om = await self.om(storage)
        record = await self.fresh(om)
        resource = record.resource_id or ""
        await om.set_pending_message_tokens(record.id, 100)
        observed_at = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
        ids = [uid("msg-"), uid("msg-")]
        await om.update_active_observations(
            id=record.id,
            observations="- prefers dark mode\n- works in tech",
            token_count=100,
            last_observed_at=observed_at,
            observed_message_ids=ids,
        )
        await om.update_active_observations(
            id=record.id,
            observations="Second observations",
            token_count=150,
            last_observed_at=observed_at,
            observed_message_ids=ids,
        )
        got = await om.get_observational_memory(None, resource)
        assert got is not None
        assert got.active_observations == "Second observations"
        assert (got.observation_token_count, got.total_tokens_observed) == (150, 250)
        assert got.pending_message_tokens == 0
        assert got.last_observed_at == observed_at and got.observed_message_ids == ids
        assert got.updated_at >= record.updated_at

        for text in ("", "A" * 100_000, '- said "Hello, world!" 🌍\n- 25°C\n- 中文 العربية'):
            await om.update_active_observations(
                id=record.id, observations=text, token_count=1, last_observed_at=utc_now()
            )
            got = await om.get_observational_memory(None, resource)
            assert got is not None and got.active_observations == text

        with pytest.raises(NotFoundError, match="not found"):
            await om.update_active_observations(
                id=uid("missing-"), observations="x", token_count=10, last_observed_at=utc_now()
            )

    async def test_reflection_generation(self, storage: MastraStorage) -> None:
        om = await self.om(storage)
        initial = await self.fresh(om)
        observed_at = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)
        await om.update_active_observations(
            id=initial.id, observations="obs", token_count=100, last_observed_at=observed_at
        )
        await om.set_observing_flag(initial.id, True)
        await om.set_reflecting_flag(initial.id, True)
        current = await om.get_observational_memory(None, initial.resource_id or "")
        assert current is not None
        reflected = await om.create_reflection_generation(
            current_record=current, reflection="Condensed", token_count=50
        )
        assert reflected.id != initial.id and reflected.origin_type == "reflection"
        assert reflected.active_observations == "Condensed"
        assert (reflected.resource_id, reflected.scope) == (initial.resource_id, initial.scope)
        assert reflected.last_observed_at == observed_at
        assert not (reflected.is_reflecting or reflected.is_observing)
        assert reflected.generation_count == 1 and reflected.observation_token_count == 50
        assert reflected.total_tokens_observed == 100 and reflected.config == CONFIG
        assert await om.get_observational_memory(None, initial.resource_id or "") == reflected

    async def test_flags_and_pending_tokens(self, storage: MastraStorage) -> None:
        om = await self.om(storage)
        record = await self.fresh(om)
        resource = record.resource_id or ""
        setters = {
            "is_reflecting": om.set_reflecting_flag,
            "is_observing": om.set_observing_flag,
            "is_buffering_observation": om.set_buffering_observation_flag,
            "is_buffering_reflection": om.set_buffering_reflection_flag,
        }
        for field, setter in setters.items():
            for value in (True, False, True):
                await setter(record.id, value)
                got = await om.get_observational_memory(None, resource)
                assert got is not None and getattr(got, field) is value, field
            with pytest.raises(NotFoundError, match="not found"):
                await setter(uid("missing-"), True)
        await om.set_buffering_observation_flag(record.id, True, 5000)
        got = await om.get_observational_memory(None, resource)
        assert got is not None and got.last_buffered_at_tokens == 5000
        await om.set_buffering_observation_flag(record.id, False)
        got = await om.get_observational_memory(None, resource)
        assert got is not None and got.last_buffered_at_tokens == 5000
        assert not got.is_buffering_observation

        await om.set_pending_message_tokens(record.id, 50)
        await om.set_pending_message_tokens(record.id, 75)
        got = await om.get_observational_memory(None, resource)
        assert got is not None and got.pending_message_tokens == 75
        with pytest.raises(NotFoundError, match="not found"):
            await om.set_pending_message_tokens(uid("missing-"), 100)

        merged = await om.update_observational_memory_config(
            record.id, {"reflectionThreshold": 1, "nested": {"a": 1}}
        )
        assert merged.config == {**CONFIG, "reflectionThreshold": 1, "nested": {"a": 1}}
        merged = await om.update_observational_memory_config(record.id, {"nested": {"b": 2}})
        assert merged.config["nested"] == {"a": 1, "b": 2}

    async def test_buffered_observations(self, storage: MastraStorage) -> None:
        om = await self.om(storage)
        # nothing buffered: a no-op returning zeros
        empty = await self.fresh(om)
        result = await om.swap_buffered_to_active(
            id=empty.id, activation_ratio=1, message_tokens_threshold=1000, current_pending_tokens=0
        )
        assert (result.chunks_activated, result.observation_tokens_activated) == (0, 0)
        assert result.messages_activated == 0 and result.activated_message_ids == []
        got = await om.get_observational_memory(None, empty.resource_id or "")
        assert got is not None and got.active_observations == ""
        assert not got.buffered_observation_chunks
        with pytest.raises(NotFoundError, match="not found"):
            await om.swap_buffered_to_active(
                id=uid("missing-"),
                activation_ratio=1,
                message_tokens_threshold=1000,
                current_pending_tokens=0,
            )

        # activation-ratio boundaries; observed ids kept; remaining chunks kept
        record = await self.fresh(om)
        resource = record.resource_id or ""
        observed = [uid("msg-"), uid("msg-")]
        await om.update_active_observations(
            id=record.id,
            observations="Active",
            token_count=50,
            last_observed_at=utc_now(),
            observed_message_ids=observed,
        )
        await om.set_pending_message_tokens(record.id, 1400)
        first = chunk("Chunk 1", 700, suggested_continuation="go on", current_task="task 1")
        buffered_at = datetime(2024, 2, 1, tzinfo=UTC)
        await om.update_buffered_observations(
            id=record.id, chunk=first, last_buffered_at_time=buffered_at
        )
        await om.update_buffered_observations(id=record.id, chunk=first)  # same cycle: once
        await om.update_buffered_observations(id=record.id, chunk=chunk("Chunk 2", 700))
        got = await om.get_observational_memory(None, resource)
        assert got is not None and got.buffered_observation_chunks is not None
        assert [c.observations for c in got.buffered_observation_chunks] == ["Chunk 1", "Chunk 2"]
        stored = got.buffered_observation_chunks[0]
        assert stored.cycle_id == first.cycle_id and stored.message_ids == first.message_ids
        assert (stored.token_count, stored.message_tokens) == (350, 700)
        assert stored.id and stored.created_at is not None
        assert got.last_buffered_at_time == buffered_at

        low = await om.swap_buffered_to_active(
            id=record.id,
            activation_ratio=0,
            message_tokens_threshold=1000,
            current_pending_tokens=1400,
        )
        assert low.chunks_activated == 1 and low.activated_cycle_ids == [first.cycle_id]
        assert low.activated_message_ids == first.message_ids and low.messages_activated == 1
        assert (low.message_tokens_activated, low.observation_tokens_activated) == (700, 350)
        assert low.observations == "Chunk 1" and low.per_chunk is not None
        assert low.per_chunk[0].observation_tokens == 350
        assert (low.suggested_continuation, low.current_task) == ("go on", "task 1")
        got = await om.get_observational_memory(None, resource)
        assert got is not None and len(got.buffered_observation_chunks or []) == 1
        assert got.active_observations.startswith("Active\n\n--- message boundary (")
        assert got.active_observations.endswith(") ---\n\nChunk 1")
        assert got.observation_token_count == 50 + 350 and got.pending_message_tokens == 700
        assert got.observed_message_ids == observed
        assert got.last_observed_at == first.last_observed_at

        high = await om.swap_buffered_to_active(
            id=record.id,
            activation_ratio=1,
            message_tokens_threshold=1000,
            current_pending_tokens=700,
        )
        assert high.chunks_activated == 1
        got = await om.get_observational_memory(None, resource)
        assert got is not None and not got.buffered_observation_chunks
        assert got.pending_message_tokens == 0 and got.active_observations.endswith("Chunk 2")
        again = await om.swap_buffered_to_active(
            id=record.id,
            activation_ratio=1,
            message_tokens_threshold=1000,
            current_pending_tokens=0,
        )
        assert again.chunks_activated == 0
        after = await om.get_observational_memory(None, resource)
        assert after is not None and after.active_observations == got.active_observations

        # a partial activation keeps the rest; an explicit last_observed_at wins
        partial = await self.fresh(om)
        for name in ("Chunk A", "Chunk B"):
            await om.update_buffered_observations(id=partial.id, chunk=chunk(name, 600))
        when = datetime(2024, 3, 1, tzinfo=UTC)
        result = await om.swap_buffered_to_active(
            id=partial.id,
            activation_ratio=0.5,
            message_tokens_threshold=1000,
            current_pending_tokens=1200,
            last_observed_at=when,
        )
        assert result.chunks_activated == 1
        got = await om.get_observational_memory(None, partial.resource_id or "")
        assert got is not None and len(got.buffered_observation_chunks or []) == 1
        assert got.active_observations == "Chunk A" and got.last_observed_at == when

    async def test_buffered_reflection(self, storage: MastraStorage) -> None:
        om = await self.om(storage)
        record = await self.fresh(om)
        resource = record.resource_id or ""
        with pytest.raises(ConflictError):
            await om.swap_buffered_reflection_to_active(current_record=record, token_count=10)
        lines = "\n".join(f"- line {n}" for n in range(1, 8))
        await om.update_active_observations(
            id=record.id, observations=lines, token_count=200, last_observed_at=utc_now()
        )
        await om.update_buffered_reflection(
            id=record.id,
            reflection="Part one",
            token_count=20,
            input_token_count=50,
            reflected_observation_line_count=3,
        )
        await om.update_buffered_reflection(
            id=record.id,
            reflection="Part two",
            token_count=30,
            input_token_count=70,
            reflected_observation_line_count=5,
        )
        got = await om.get_observational_memory(None, resource)
        assert got is not None and got.buffered_reflection == "Part one\n\nPart two"
        assert (got.buffered_reflection_tokens, got.buffered_reflection_input_tokens) == (50, 120)
        assert got.reflected_observation_line_count == 5

        new = await om.swap_buffered_reflection_to_active(current_record=got, token_count=40)
        assert new.active_observations == "Part one\n\nPart two\n\n- line 6\n- line 7"
        assert new.origin_type == "reflection" and new.generation_count == 1
        assert new.observation_token_count == 40 and new.buffered_reflection is None
        history = await om.get_observational_memory_history(None, resource)
        assert [h.id for h in history] == [new.id, record.id]
        old = history[1]
        assert old.buffered_reflection is None and old.buffered_reflection_tokens is None
        assert old.buffered_reflection_input_tokens is None
        assert old.reflected_observation_line_count is None
        assert old.active_observations == lines
        with pytest.raises(ConflictError):  # the buffer was consumed
            await om.swap_buffered_reflection_to_active(current_record=old, token_count=10)
        with pytest.raises(NotFoundError, match="not found"):
            await om.update_buffered_reflection(
                id=uid("missing-"),
                reflection="x",
                token_count=1,
                input_token_count=1,
                reflected_observation_line_count=1,
            )

    async def test_insert_record_round_trip(self, storage: MastraStorage) -> None:
        om = await self.om(storage)
        now = utc_now()
        record = ObservationalMemoryRecord(
            id=uid("om-"),
            scope="thread",
            thread_id=uid("thread-"),
            resource_id=uid("resource-"),
            created_at=now - timedelta(hours=1),
            updated_at=now,
            last_observed_at=now - timedelta(minutes=5),
            origin_type="reflection",
            generation_count=3,
            active_observations="- obs 🌍",
            buffered_observation_chunks=[
                BufferedObservationChunk(
                    id="ombuf-1",
                    cycle_id="cycle-1",
                    observations="buffered",
                    token_count=12,
                    message_ids=["m1", "m2"],
                    message_tokens=30,
                    last_observed_at=now,
                    created_at=now,
                    suggested_continuation="next",
                    current_task="task",
                )
            ],
            buffered_reflection="reflection",
            buffered_reflection_tokens=7,
            buffered_reflection_input_tokens=70,
            reflected_observation_line_count=2,
            observed_message_ids=["m0"],
            observed_timezone="UTC",
            total_tokens_observed=900,
            observation_token_count=80,
            pending_message_tokens=40,
            is_reflecting=True,
            is_observing=False,
            is_buffering_observation=True,
            is_buffering_reflection=False,
            last_buffered_at_tokens=1234,
            last_buffered_at_time=now,
            config={"observation": {"messageTokens": 30000}, "scope": "thread"},
            metadata={"source": "copy"},
        )
        await om.insert_observational_memory_record(record)
        got = await om.get_observational_memory(record.thread_id, record.resource_id or "")
        assert got == record
        with pytest.raises(ConflictError):
            await om.insert_observational_memory_record(record)

    async def test_invalid_input_writes_nothing(self, storage: MastraStorage) -> None:
        om = await self.om(storage)
        record = await self.fresh(om)
        resource = record.resource_id or ""
        loose: Any = om  # the calls below break the type hints on purpose
        bad_calls: list[Any] = [
            loose.initialize_observational_memory(
                thread_id=None, resource_id="", scope="resource", config={}
            ),
            loose.initialize_observational_memory(
                thread_id=None, resource_id=resource, scope="resource", config=[]
            ),
            loose.get_observational_memory("", resource),
            loose.update_active_observations(
                id=record.id, observations="x\x00", token_count=1, last_observed_at=utc_now()
            ),
            loose.update_active_observations(
                id=record.id, observations="x", token_count=-1, last_observed_at=utc_now()
            ),
            loose.update_active_observations(
                id=record.id, observations="x", token_count=1, last_observed_at="2024-01-01"
            ),
            loose.set_observing_flag(record.id, 1),
            loose.set_pending_message_tokens(record.id, float("nan")),
            loose.update_buffered_observations(id=record.id, chunk={"cycleId": "c"}),
            loose.swap_buffered_to_active(
                id=record.id,
                activation_ratio=float("inf"),
                message_tokens_threshold=1,
                current_pending_tokens=1,
            ),
        ]
        for call in bad_calls:
            with pytest.raises(ValidationError):
                await call
        assert await om.get_observational_memory_history(None, resource) == [record]

    async def test_concurrent_flag_and_buffer_updates(self, storage: MastraStorage) -> None:
        om = await self.om(storage)
        record = await self.fresh(om)
        chunks = [chunk(f"Concurrent {n}", 400) for n in range(6)]
        await asyncio.gather(
            om.set_observing_flag(record.id, True),
            om.set_reflecting_flag(record.id, True),
            om.set_buffering_observation_flag(record.id, True, 777),
            om.set_buffering_reflection_flag(record.id, True),
            om.set_pending_message_tokens(record.id, 2400),
            *(om.update_buffered_observations(id=record.id, chunk=c) for c in chunks),
        )
        got = await om.get_observational_memory(None, record.resource_id or "")
        assert got is not None
        assert got.is_observing and got.is_reflecting
        assert got.is_buffering_observation and got.is_buffering_reflection
        assert (got.last_buffered_at_tokens, got.pending_message_tokens) == (777, 2400)
        assert sorted(c.cycle_id for c in got.buffered_observation_chunks or []) == sorted(
            c.cycle_id for c in chunks
        )
        # concurrent activations never activate one chunk twice
        results = await asyncio.gather(
            *(
                om.swap_buffered_to_active(
                    id=record.id,
                    activation_ratio=1,
                    message_tokens_threshold=1000,
                    current_pending_tokens=400,
                )
                for _ in range(8)
            )
        )
        activated = [cid for r in results for cid in r.activated_cycle_ids]
        assert sorted(activated) == sorted(c.cycle_id for c in chunks)


__all__ = ["ObservationalMemoryTests"]
