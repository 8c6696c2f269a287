"""Database-name injection (issue 10): names MongoDB forbids, or that could address
another database (``a.b``, ``a/b``), are typed errors at construction, before any I/O."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_storage.errors import ConfigurationError
from mastra_storage.testing.hostile_corpus import HOSTILE_MONGO_DB_NAMES
from mastra_storage_mongodb import MongoDBStore

NOWHERE = "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=100"  # refused if ever dialled


@pytest.mark.parametrize("db_name", HOSTILE_MONGO_DB_NAMES, ids=repr)
def test_hostile_db_name_rejected_at_construction(db_name: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"db_name|dbName"):
        MongoDBStore(NOWHERE, db_name=db_name)


@pytest.mark.parametrize("db_name", ["mastra", "mastra_test-1", "Mastra2024", "é" * 31])
def test_ordinary_db_names_accepted(db_name: str) -> None:
    store = MongoDBStore(NOWHERE, db_name=db_name)
    assert store.db_name == db_name
