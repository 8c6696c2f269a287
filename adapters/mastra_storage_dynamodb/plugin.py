"""Entry point: dynamodb:// URLs build a :class:`DynamoDBStore`.

Importing this module must stay cheap: it imports neither the adapter nor the driver.
"""

from mastra_storage.registry import AdapterSpec

ADAPTER = AdapterSpec(
    name="dynamodb",
    schemes=("dynamodb",),
    target="mastra_storage_dynamodb.store:DynamoDBStore.from_url",
    extra="dynamodb",
    drivers=("aioboto3",),
)

__all__ = ["ADAPTER"]
