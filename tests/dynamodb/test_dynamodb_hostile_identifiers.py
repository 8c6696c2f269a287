"""Table-name injection (issue 10): names outside DynamoDB's rules are typed errors at
construction, before any request is signed or sent."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_storage.errors import ConfigurationError
from mastra_storage.testing.hostile_corpus import HOSTILE_DYNAMODB_TABLE_NAMES
from mastra_storage_dynamodb import DynamoDBStore

NOWHERE = "http://127.0.0.1:9"  # discard port: refused if ever dialled


@pytest.mark.parametrize("table_name", HOSTILE_DYNAMODB_TABLE_NAMES, ids=repr)
def test_hostile_table_name_rejected_at_construction(table_name: Any) -> None:
    with pytest.raises(ConfigurationError, match="table_name"):
        DynamoDBStore(table_name, endpoint=NOWHERE, region="us-east-1")


@pytest.mark.parametrize("table_name", ["abc", "mastra.threads-1_x", "x" * 255])
def test_valid_table_names_accepted(table_name: str) -> None:
    assert DynamoDBStore(table_name, endpoint=NOWHERE, region="us-east-1").table_name == table_name
