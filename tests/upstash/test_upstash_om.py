"""Observational memory on Redis: the documented keys and the command count of each
access path (constant, whatever the number of generations), counted client-side."""

from __future__ import annotations

import asyncio

import pytest
from upstash_counting import counting_client

from mastra_storage.codec import loads
from mastra_storage.errors import ConflictError
from mastra_storage.om_records import NewObservationChunk
from mastra_storage_upstash import UpstashStore

pytestmark = pytest.mark.anyio


async def test_keys_and_command_counts(redis_server_url: str, prefix: str) -> None:
    client, counter = counting_client(redis_server_url)
    store = UpstashStore(client=client, prefix=prefix)
    await store.init()
    try:
        om = (await store.require_store("memory")).observational_memory
        counter.clear()
        first = await om.initialize_observational_memory(
            thread_id="t:1", resource_id="r", scope="thread", config={"x": 1}
        )
        # WATCH, EXISTS, MULTI, SET, ZADD, EXEC
        assert sum(counter.values()) == 6, counter
        raw = await client.get(f'{prefix}mastra-storage:["om","{first.id}"]')
        assert isinstance(raw, str)
        stored = loads(raw)
        assert stored["threadId"] == "t:1" and stored["config"] == {"x": 1}
        index = f'{prefix}mastra-storage:["om-generations","thread:t:1"]'
        (member,) = [str(m) for m in await client.zrange(index, 0, -1)]
        assert member.startswith("0" * 20 + ":") and member.endswith(f'"{first.id}"')

        current = first
        for n in range(5):
            current = await om.create_reflection_generation(
                current_record=current, reflection=f"r{n}", token_count=3
            )
        counter.clear()
        latest = await om.get_observational_memory("t:1", "r")
        assert latest is not None and latest.id == current.id
        assert sum(counter.values()) == 2  # ZRANGE BYLEX REV LIMIT 0 1, MGET
        counter.clear()
        history = await om.get_observational_memory_history("t:1", "r", 4)
        assert [h.generation_count for h in history] == [5, 4, 3, 2]
        assert sum(counter.values()) == 2
        counter.clear()
        await om.set_reflecting_flag(current.id, True)
        assert sum(counter.values()) == 5  # WATCH, GET, MULTI, SET, EXEC
        await om.update_buffered_reflection(
            id=current.id,
            reflection="b",
            token_count=1,
            input_token_count=1,
            reflected_observation_line_count=0,
        )
        counter.clear()
        await om.swap_buffered_reflection_to_active(current_record=current, token_count=1)
        assert sum(counter.values()) == 9  # the 5 above + WATCH, EXISTS, SET, ZADD (new)
        counter.clear()
        await om.clear_observational_memory("t:1", "r")
        assert sum(counter.values()) == 5  # WATCH, ZRANGE, MULTI, DEL, EXEC
        assert await client.keys(f"{prefix}mastra-storage:*om*") == []
    finally:
        await store.close()
        await client.aclose()


async def test_two_stores_never_lose_writes(redis_server_url: str, prefix: str) -> None:
    """Two stores (separate clients and in-process locks, as two processes) race on one
    record: WATCH keeps every chunk, and a buffered reflection becomes one generation."""
    stores = [UpstashStore(redis_server_url, prefix=prefix) for _ in range(2)]
    try:
        a, b = [(await s.require_store("memory")).observational_memory for s in stores]
        record = await a.initialize_observational_memory(
            thread_id=None, resource_id="race", scope="resource", config={}
        )
        chunks = [
            NewObservationChunk(
                cycle_id=f"c{n}", observations=f"o{n}", token_count=1, message_ids=[f"m{n}"]
            )
            for n in range(8)
        ]
        await asyncio.gather(
            *(
                (a, b)[n % 2].update_buffered_observations(id=record.id, chunk=c)
                for n, c in enumerate(chunks)
            )
        )
        got = await b.get_observational_memory(None, "race")
        assert got is not None
        assert sorted(c.cycle_id for c in got.buffered_observation_chunks or []) == [
            f"c{n}" for n in range(8)
        ]
        await a.update_buffered_reflection(
            id=record.id,
            reflection="r",
            token_count=1,
            input_token_count=1,
            reflected_observation_line_count=0,
        )
        outcomes = await asyncio.gather(
            a.swap_buffered_reflection_to_active(current_record=got, token_count=1),
            b.swap_buffered_reflection_to_active(current_record=got, token_count=1),
            return_exceptions=True,
        )
        assert sum(isinstance(o, ConflictError) for o in outcomes) == 1, outcomes
        assert len(await a.get_observational_memory_history(None, "race")) == 2
    finally:
        for s in stores:
            await s.close()
