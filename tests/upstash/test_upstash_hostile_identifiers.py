"""Key-prefix injection (issue 10): hostile prefixes are typed errors at construction, and
prefixes holding Redis glob metacharacters never reach another prefix's keys."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_storage.errors import ConfigurationError
from mastra_storage.testing.data import sample_thread
from mastra_storage.testing.hostile_corpus import HOSTILE_KEY_PREFIXES
from mastra_storage_upstash import UpstashStore

pytestmark = pytest.mark.anyio

NOWHERE = "redis://127.0.0.1:9"  # discard port: refused if ever dialled


@pytest.mark.parametrize("prefix", HOSTILE_KEY_PREFIXES, ids=repr)
def test_hostile_prefix_rejected_at_construction(prefix: Any) -> None:
    with pytest.raises(ConfigurationError, match="prefix"):
        UpstashStore(NOWHERE, prefix=prefix)


async def test_glob_metacharacters_in_prefixes_stay_isolated(
    redis_server_url: str, prefix: str
) -> None:
    """``t?:``, ``t*:`` and ``t[x]:`` as globs would match ``tx:``; escaped, they do not."""
    names = ["tx:", "t?:", "t*:", "t[x]:", "t\\:"]
    stores = [UpstashStore(redis_server_url, prefix=f"{prefix}{name}") for name in names]
    try:
        threads = {}
        for name, store in zip(names, stores, strict=True):
            await store.init()
            memory = await store.require_store("memory")
            threads[name] = (await memory.save_thread(sample_thread(resource_id="r"))).id
        for name, store in zip(names, stores, strict=True):
            memory = await store.require_store("memory")
            page = await memory.list_threads(resource_id="r")
            assert [t.id for t in page.items] == [threads[name]], name
        # Clearing the glob-looking prefixes leaves the literal one alone.
        for store in stores[1:]:
            await (await store.require_store("memory")).dangerously_clear_all()
        memory = await stores[0].require_store("memory")
        assert (await memory.get_thread_by_id(threads["tx:"])) is not None
        for store in stores[1:]:
            page = await (await store.require_store("memory")).list_threads(resource_id="r")
            assert page.items == []
    finally:
        for store in stores:
            await store.close()
