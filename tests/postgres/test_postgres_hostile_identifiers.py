"""Identifier injection (issue 10): hostile schema, table and index names are typed errors
raised before anything reaches the server.

Every store here points at a port nothing listens on: had a name reached the driver, the
call would fail with ``UnavailableError`` (a connection attempt) instead of the
``ValidationError``/``ConfigurationError`` asserted here.
"""

from __future__ import annotations

from typing import Any

import pytest

from mastra_storage.errors import ConfigurationError, ValidationError
from mastra_storage.testing.hostile_corpus import HOSTILE_SQL_IDENTIFIERS
from mastra_storage_postgres import PostgresStore
from mastra_storage_postgres.indexes import IndexSpec, build_create_index

pytestmark = pytest.mark.anyio

NOWHERE = "postgresql://mastra@127.0.0.1:9/nowhere"  # discard port: refused if ever dialled
NAMES = pytest.mark.parametrize("name", HOSTILE_SQL_IDENTIFIERS, ids=repr)


@NAMES
def test_schema_name_rejected_at_construction(name: Any) -> None:
    with pytest.raises(ConfigurationError, match="schema name"):
        PostgresStore(NOWHERE, schema_name=name)


@NAMES
def test_custom_index_spec_rejected_at_construction(name: Any) -> None:
    specs = [
        IndexSpec(name=name, table="mastra_threads", columns=["id"]),
        IndexSpec(name="ok_idx", table=name, columns=["id"]),
    ]
    if name is not None:  # no opclass is the default
        specs.append(IndexSpec(name="ok_idx", table="mastra_threads", columns=["id"], opclass=name))
    for spec in specs:
        with pytest.raises(ValidationError):
            PostgresStore(NOWHERE, indexes=[spec])
        with pytest.raises(ValidationError):
            build_create_index(spec, "public")


@NAMES
async def test_index_api_rejects_names_before_connecting(name: Any) -> None:
    store = PostgresStore(NOWHERE, connect_timeout=1)
    try:
        with pytest.raises(ValidationError):
            await store.create_index(IndexSpec(name=name, table="mastra_threads", columns=["id"]))
        with pytest.raises(ValidationError):
            await store.describe_index(name)
        with pytest.raises(ValidationError):
            await store.drop_index(name)
        if name is not None:  # None means "every table" for list_indexes
            with pytest.raises(ValidationError):
                await store.list_indexes(table=name)
        assert store.pool is None  # nothing was dialled
    finally:
        await store.close()


@NAMES
async def test_pgvector_names_rejected_before_connecting(name: Any) -> None:
    from mastra_storage_postgres.vector import PgVector

    with pytest.raises(ValidationError):
        PgVector(url=NOWHERE, schema=name)
    vector = PgVector(url=NOWHERE)
    try:
        with pytest.raises(ValidationError):
            await vector.create_index(name, 3)
        with pytest.raises(ValidationError):
            await vector.describe_index(name)
        with pytest.raises(ValidationError):
            await vector.delete_index(name)
        with pytest.raises(ValidationError):
            await vector.query(name, [1.0, 0.0, 0.0])
        with pytest.raises(ValidationError):
            await vector.create_index("ok_index", 3, metadata_indexes=[name])
    finally:
        await vector.close()
