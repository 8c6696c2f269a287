"""Observational memory on DynamoDB: the documented item layout, the request count of each
access path (bounded, independent of the number of generations) and lookup keys that
differ only in case (they share a lower-cased partition but never each other's records)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from mastra_storage.errors import ConflictError
from mastra_storage.om_records import NewObservationChunk
from mastra_storage_dynamodb import DynamoDBStore
from mastra_storage_dynamodb.observational_memory import memory_partition, pointer_key

pytestmark = pytest.mark.anyio


async def test_layout_and_request_counts(store: DynamoDBStore) -> None:
    om = (await store.require_store("memory")).observational_memory
    first = await om.initialize_observational_memory(
        thread_id=None, resource_id="User-1", scope="resource", config={"x": 1.5}
    )
    rows = await store.table.scan_all()
    generation = next(r for r in rows if r["__edb_e__"] == "observational_memory")
    pointer = next(r for r in rows if r["__edb_e__"] == "observational_memory_id")
    assert generation["pk"] == "$mastra#entity_observational_memory#lookupkey_resource:user-1"
    assert generation["sk"].startswith(
        "$observational_memory_1#generationcount_00000000000000000000#createdat_"
    )
    assert generation["lookupKey"] == "resource:User-1" and generation["config"] == '{"x":1.5}'
    assert pointer["pk"] == pointer_key(first.id)["pk"] and pointer["recordSk"] == generation["sk"]

    current = first
    for n in range(4):
        current = await om.create_reflection_generation(
            current_record=current, reflection=f"r{n}", token_count=5
        )
    meter = store.capacity
    meter.reset()
    latest = await om.get_observational_memory(None, "User-1")
    assert latest is not None and latest.id == current.id
    assert meter.requests == 1  # one Query, Limit 1
    meter.reset()
    assert len(await om.get_observational_memory_history(None, "User-1", 3)) == 3
    assert meter.requests == 1
    meter.reset()
    await om.set_observing_flag(current.id, True)
    assert meter.requests == 3  # pointer GetItem, generation GetItem, conditional PutItem
    await om.update_buffered_reflection(
        id=current.id,
        reflection="b",
        token_count=1,
        input_token_count=1,
        reflected_observation_line_count=0,
    )
    meter.reset()
    await om.swap_buffered_reflection_to_active(current_record=current, token_count=1)
    assert meter.requests == 3  # 2 GetItem + one TransactWriteItems (record, new generation)
    meter.reset()
    await om.clear_observational_memory(None, "User-1")
    assert meter.requests == 2  # keys-only Query + one TransactWriteItems (6 x 2 deletes)
    assert [
        r for r in await store.table.scan_all() if "observational" in r.get("__edb_e__", "")
    ] == []


async def test_case_twins_share_a_partition_not_records(store: DynamoDBStore) -> None:
    om = (await store.require_store("memory")).observational_memory
    upper = await om.initialize_observational_memory(
        thread_id="T1", resource_id="r", scope="thread", config={}
    )
    lower = await om.initialize_observational_memory(
        thread_id="t1", resource_id="r", scope="thread", config={}
    )
    assert memory_partition("thread:T1") == memory_partition("thread:t1")
    got_upper = await om.get_observational_memory("T1", "r")
    assert got_upper is not None and got_upper.id == upper.id
    assert [r.id for r in await om.get_observational_memory_history("t1", "r")] == [lower.id]
    await om.clear_observational_memory("T1", "r")
    assert await om.get_observational_memory("T1", "r") is None
    still = await om.get_observational_memory("t1", "r")
    assert still is not None and still.id == lower.id


@pytest.fixture
def atomic_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apply each of moto's writes atomically, as DynamoDB does: in-process moto serves
    requests on threads and checks a write's condition and applies it without a lock, so
    two conditional writes racing on one item could both pass (DynamoDB never lets them)."""
    from moto.dynamodb import models

    lock = threading.RLock()  # transact_write_items calls the others
    backend = models.DynamoDBBackend
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        original = getattr(backend, name)

        def locked(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(backend, name, locked)


@pytest.mark.usefixtures("atomic_moto")
async def test_two_stores_never_lose_writes(store: DynamoDBStore, new_store: Any) -> None:
    """Two stores (two processes' worth: separate clients and in-process locks) race on one
    record: only the conditional writes keep every chunk, and a buffered reflection becomes
    exactly one new generation."""
    other = new_store()
    await other.init()
    try:
        a = (await store.require_store("memory")).observational_memory
        b = (await other.require_store("memory")).observational_memory
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
        await other.close()
