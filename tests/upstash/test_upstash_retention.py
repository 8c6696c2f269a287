"""A core RetentionPolicy maps onto Redis EXPIRE (``ttl=policy.ttl_config()``)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mastra_storage.retention import RetentionPolicy
from mastra_storage.testing.data import sample_message, sample_thread
from mastra_storage_upstash import UpstashStore

pytestmark = pytest.mark.anyio


async def test_policy_sets_expire_per_kind(redis_server_url: str, prefix: str) -> None:
    policy = RetentionPolicy(threads=timedelta(hours=1), messages=timedelta(minutes=5))
    store = UpstashStore(redis_server_url, prefix=prefix, ttl=policy.ttl_config())
    try:
        memory = await store.require_store("memory")
        thread = await memory.save_thread(sample_thread(id="t1", resource_id="r1"))
        await memory.save_messages([sample_message(thread=thread, id="m1")])
        await (await store.require_store("workflows")).persist_workflow_snapshot(
            workflow_name="wf", run_id="run1", snapshot={"status": "running"}
        )
        raw = store.client
        k = store.db.keys
        assert 3590 <= await raw.ttl(k.thread("t1")) <= 3600
        assert 290 <= await raw.ttl(k.message("t1", "m1")) <= 300
        run_keys = [key async for key in raw.scan_iter(match=f"{prefix}*run1*", count=1000)]
        assert run_keys
        for key in run_keys:
            assert await raw.ttl(key) == -1  # no policy for runs: kept
    finally:
        await store.close()


def test_policy_rejects_non_positive_ages() -> None:
    from mastra_storage.errors import ValidationError

    with pytest.raises(ValidationError):
        RetentionPolicy(messages=timedelta(0))
    assert RetentionPolicy().ttl_config() == {}
