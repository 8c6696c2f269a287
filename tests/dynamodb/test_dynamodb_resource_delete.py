"""``delete_resource`` removes the resource's item on DynamoDB (not just empties it), and
only the item of exactly that id (ElectroDB lower-cases key values)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mastra_storage.testing.data import sample_resource, uid
from mastra_storage_dynamodb import DynamoDBStore
from mastra_storage_dynamodb.memory import DynamoMemoryBackend
from tests.support.resource_delete import delete_one_of_two

pytestmark = pytest.mark.anyio


async def test_no_item_of_the_deleted_resource_remains(
    new_store: Callable[..., DynamoDBStore],
) -> None:
    store = new_store()
    try:
        gone, kept = await delete_one_of_two(store)
        items = await store.table.scan_all()  # the session table: filter on our two ids
        ours = (gone, kept)
        mine = [
            (i["__edb_e__"], i.get("id"), i.get("resourceId"))
            for i in items
            if i.get("id") in ours or i.get("resourceId") in ours
        ]
        assert sorted(entity for entity, _, _ in mine) == ["message", "resource", "thread"]
        assert all(gone not in (id_, owner) for _, id_, owner in mine)
        assert ("resource", kept, None) in mine
    finally:
        await store.close()


async def test_an_id_differing_only_in_case_does_not_delete_the_other(
    new_store: Callable[..., DynamoDBStore],
) -> None:
    store = new_store()
    try:
        memory = await store.require_store("memory")
        backend = memory.backend
        assert isinstance(backend, DynamoMemoryBackend)
        upper = uid("Res-Case").upper()
        await memory.save_resource(sample_resource(id=upper))
        await backend.delete_resource(upper.lower())  # same key, another id: not this item
        assert await memory.get_resource_by_id(upper) is not None
        await backend.delete_resource(upper)
        assert await memory.get_resource_by_id(upper) is None
    finally:
        await store.close()
