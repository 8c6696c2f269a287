"""``Memory`` serves stored observations when the ``observational_memory`` option is on,
and a backend without observational memory is refused with a typed error."""

from __future__ import annotations

import pytest

from mastra_storage.domains.memory import MemoryStore
from mastra_storage.errors import NotSupportedError, ValidationError
from mastra_storage.inmemory import InMemoryStore
from mastra_storage.memory import Memory, ObservationalMemoryOptions, parse_options
from mastra_storage.timeutil import utc_now

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_memory_reads_observations_only_when_enabled() -> None:
    storage = InMemoryStore()
    await storage.init()
    om = (await storage.require_store("memory")).observational_memory
    for thread_id, scope, text in (("t-1", "thread", "thread obs"), (None, "resource", "res obs")):
        record = await om.initialize_observational_memory(
            thread_id=thread_id, resource_id="r-1", scope=scope, config={}
        )
        await om.update_active_observations(
            id=record.id, observations=text, token_count=3, last_observed_at=utc_now()
        )

    off = Memory(storage)
    assert await off.get_observations("t-1", "r-1") is None
    on = Memory(storage, options={"observationalMemory": {"model": "caller's", "scope": "thread"}})
    assert await on.get_observations("t-1", "r-1") == "thread obs"
    assert await on.get_observations("t-2", "r-1") is None
    per_resource = {"observationalMemory": {"scope": "resource"}}
    assert await off.get_observations("t-1", "r-1", options=per_resource) == "res obs"
    record = await on.get_observational_memory("t-1", "r-1")
    assert record is not None and record.scope == "thread"
    assert await on.get_observations("t-1", "r-1", options={"observationalMemory": False}) is None

    assert parse_options({"observationalMemory": True}).observational_memory == (
        ObservationalMemoryOptions(enabled=True, scope="thread")
    )
    for bad in ({"observationalMemory": {"scpoe": "thread"}}, {"observationalMemory": 1}):
        with pytest.raises(ValidationError):
            parse_options(bad)
    with pytest.raises(ValidationError):
        ObservationalMemoryOptions(scope="everything")  # type: ignore[arg-type]


async def test_backend_without_observational_memory_is_refused() -> None:
    store = MemoryStore(object())  # type: ignore[arg-type]
    with pytest.raises(NotSupportedError):
        _ = store.observational_memory
    memory = Memory(store, options={"observationalMemory": True})
    with pytest.raises(NotSupportedError):
        await memory.get_observations("t", "r")
