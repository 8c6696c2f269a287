"""DynamoDB with ``init_mode="verify"`` (issue 16 point 9): init checks the table, its key
schema, its seven GSIs and (when configured) TTL, writes nothing, and raises
``SchemaMismatchError`` naming exactly what is missing."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from mastra_storage.errors import SchemaMismatchError
from mastra_storage_dynamodb.keys import table_definition

pytestmark = pytest.mark.anyio


async def test_verify_passes_on_mastras_layout_and_writes_nothing(new_store: Any) -> None:
    store = new_store(init_mode="verify")
    try:
        before = await store.table.scan_all()
        await store.init()  # the session table has pk/sk, gsi1..gsi7
        memory = await store.require_store("memory")
        assert (await memory.list_threads(resource_id="nobody")).total == 0
        assert await store.table.scan_all() == before
    finally:
        await store.close()


async def test_verify_names_a_missing_table(new_store: Any) -> None:
    name = f"mastra-absent-{secrets.token_hex(4)}"
    store = new_store(table=name, init_mode="verify")
    try:
        with pytest.raises(SchemaMismatchError) as err:
            await store.init()
        assert f"table {name} does not exist" in str(err.value.details["missing"])
    finally:
        await store.close()


async def test_verify_lists_each_missing_gsi_and_creates_none(new_store: Any) -> None:
    name = f"mastra-partial-{secrets.token_hex(4)}"
    store = new_store(table=name, init_mode="verify")
    full: dict[str, Any] = table_definition(name)
    partial = {
        **full,
        "GlobalSecondaryIndexes": [
            g for g in full["GlobalSecondaryIndexes"] if g["IndexName"] in ("gsi1", "gsi2")
        ],
    }
    kept = {"pk", "sk"} | {
        k["AttributeName"] for g in partial["GlobalSecondaryIndexes"] for k in g["KeySchema"]
    }
    partial["AttributeDefinitions"] = [
        a for a in full["AttributeDefinitions"] if a["AttributeName"] in kept
    ]
    await store.table.call("create_table", **partial)
    try:
        with pytest.raises(SchemaMismatchError) as err:
            await store.init()
        missing = str(err.value.details["missing"])
        assert missing.split("; ") == [f"GSI gsi{i} is missing" for i in range(3, 8)]
        description = await store.table.call("describe_table", TableName=name)
        assert len(description["Table"]["GlobalSecondaryIndexes"]) == 2  # nothing created
        # A migrating store's doctor agrees with what verify lists.
        migrating = new_store(table=name)
        try:
            assert not (await migrating.doctor()).ok
        finally:
            await migrating.close()
    finally:
        await store.table.call("delete_table", TableName=name)
        await store.close()


async def test_verify_requires_the_configured_ttl(new_store: Any) -> None:
    store = new_store(init_mode="verify", ttl={"thread": {"enabled": True}})
    try:
        with pytest.raises(SchemaMismatchError) as err:
            await store.init()
        assert "TTL is" in str(err.value.details["missing"])
    finally:
        await store.close()
