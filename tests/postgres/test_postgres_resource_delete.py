"""``delete_resource`` removes the resource's row on PostgreSQL (not just empties it)."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_storage_postgres import PostgresStore
from tests.support.resource_delete import delete_one_of_two

pytestmark = pytest.mark.anyio


async def test_no_row_of_the_deleted_resource_remains(store: PostgresStore, admin: Any) -> None:
    _gone, kept = await delete_one_of_two(store)
    schema = store.schema_name
    ids = await admin.fetch(f'SELECT id FROM "{schema}".mastra_resources ORDER BY id')
    assert [r["id"] for r in ids] == [kept]
    for table in ("mastra_threads", "mastra_messages"):
        owners = await admin.fetch(f'SELECT DISTINCT "resourceId" FROM "{schema}".{table}')
        assert [r["resourceId"] for r in owners] == [kept]
