"""A core RetentionPolicy maps onto DynamoDB's native TTL (``ttl=policy.ttl_config()``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from mastra_storage.retention import RetentionPolicy
from mastra_storage.testing.data import sample_message, sample_thread
from mastra_storage_dynamodb import DynamoDBStore

pytestmark = pytest.mark.anyio


async def test_policy_sets_the_ttl_attribute_per_kind(
    new_store: Callable[..., DynamoDBStore],
) -> None:
    policy = RetentionPolicy(threads=timedelta(days=30), messages=timedelta(hours=2))
    store = new_store(ttl=policy.ttl_config())
    try:
        memory = await store.require_store("memory")
        workflows = await store.require_store("workflows")
        thread = await memory.save_thread(sample_thread())
        message = sample_message(thread=thread)
        await memory.save_messages([message])
        await workflows.persist_workflow_snapshot(workflow_name="w", run_id="r", snapshot={})
        now = time.time()
        raw_msg = await store.table.get(
            {"pk": f"$mastra#entity_message#id_{message.id}", "sk": "$message_1#entity_message"}
        )
        assert raw_msg is not None and now + 7190 <= raw_msg["ttl"] <= now + 7201
        raw_thread = await store.table.get(
            {"pk": f"$mastra#entity_thread#id_{thread.id}", "sk": f"$thread_1#id_{thread.id}"}
        )
        month = 30 * 86400
        assert raw_thread is not None and now + month - 10 <= raw_thread["ttl"] <= now + month + 1
        raw_run = await store.table.get(
            {
                "pk": "$mastra#entity_workflow_snapshot#workflow_name_w",
                "sk": "$workflow_snapshot_1#run_id_r",
            }
        )
        assert raw_run is not None and "ttl" not in raw_run  # runs are kept: no policy
    finally:
        await store.close()
