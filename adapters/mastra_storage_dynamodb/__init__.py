"""DynamoDB single-table adapter for mastra-storage, key-compatible with ``@mastra/dynamodb``.

``import mastra_storage_dynamodb`` does not import the ``aioboto3`` driver; the driver is
imported when a store is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import DynamoDBStore

__all__ = ["DynamoDBStore"]


def __getattr__(name: str) -> Any:
    if name == "DynamoDBStore":
        from .store import DynamoDBStore

        return DynamoDBStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
