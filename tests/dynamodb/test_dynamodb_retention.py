"""A core RetentionPolicy maps onto DynamoDB's native TTL (``ttl=policy.ttl_config()``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from mastra_storage.retention import RetentionPolicy
from mastra_storage_dynamodb import DynamoDBStore

from .conftest import stored_ttls

pytestmark = pytest.mark.anyio


async def test_policy_sets_the_ttl_attribute_per_kind(
    new_store: Callable[..., DynamoDBStore],
) -> None:
    policy = RetentionPolicy(threads=timedelta(days=30), messages=timedelta(hours=2))
    store = new_store(ttl=policy.ttl_config())
    try:
        ttls = await stored_ttls(store)
        now, month = ttls["now"], 30 * 86400
        assert now is not None
        assert ttls["message"] is not None and now + 7190 <= ttls["message"] <= now + 7201
        thread_ttl = ttls["thread"]
        assert thread_ttl is not None and now + month - 10 <= thread_ttl <= now + month + 1
        assert ttls["workflow_snapshot"] is None  # runs are kept: no policy
    finally:
        await store.close()
