"""Identifier injection (issue 10): hostile vector index names are typed errors raised
before anything reaches the server.

The vector store points at a sqld URL on a port nothing listens on: had a name reached
the driver, the call would fail with ``UnavailableError`` (a connection attempt) instead
of the ``ValidationError`` asserted here.
"""

from __future__ import annotations

from typing import Any

import pytest

from mastra_storage.errors import ValidationError
from mastra_storage.testing.hostile_corpus import HOSTILE_SQL_IDENTIFIERS
from mastra_storage_libsql.vector import LibSQLVector

pytestmark = pytest.mark.anyio

NOWHERE = "http://127.0.0.1:9"  # discard port: refused if ever dialled


@pytest.mark.parametrize("name", HOSTILE_SQL_IDENTIFIERS, ids=repr)
async def test_vector_index_names_rejected_before_connecting(name: Any) -> None:
    vector = LibSQLVector(NOWHERE, max_retries=0)
    try:
        with pytest.raises(ValidationError):
            await vector.create_index(name, 3)
        with pytest.raises(ValidationError):
            await vector.describe_index(name)
        with pytest.raises(ValidationError):
            await vector.delete_index(name)
        with pytest.raises(ValidationError):
            await vector.upsert(name, [[1.0, 0.0, 0.0]])
        with pytest.raises(ValidationError):
            await vector.query(name, [1.0, 0.0, 0.0])
    finally:
        await vector.close()
