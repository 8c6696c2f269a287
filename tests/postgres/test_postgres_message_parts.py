"""``list_message_parts`` on PostgreSQL (the ``SupportsMessageJSON`` path)."""

from __future__ import annotations

import pytest

from mastra_storage.backend import SupportsMessageJSON
from mastra_storage.records import Thread
from tests.test_list_message_parts import T0, check_agrees_with_list_messages, seed_messages

pytestmark = pytest.mark.anyio


async def test_list_message_parts(store) -> None:  # type: ignore[no-untyped-def]
    memory = await store.require_store("memory")
    assert isinstance(memory.backend, SupportsMessageJSON)
    await memory.save_thread(Thread(id="t", resource_id="r", created_at=T0, updated_at=T0))
    await memory.save_messages(seed_messages())
    await check_agrees_with_list_messages(memory)
