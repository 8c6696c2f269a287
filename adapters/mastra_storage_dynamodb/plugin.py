"""Entry point: dynamodb:// URLs build a :class:`DynamoDBStore`; ``mastra-storage dynamodb``
runs :mod:`mastra_storage_dynamodb.cli`.

Importing this module must stay cheap: it imports neither the adapter nor the driver.
"""

from mastra_storage.registry import AdapterSpec

ADAPTER = AdapterSpec(
    name="dynamodb",
    schemes=("dynamodb",),
    target="mastra_storage_dynamodb.store:DynamoDBStore.from_url",
    extra="dynamodb",
    drivers=("aioboto3",),
    cli="mastra_storage_dynamodb.cli:main",
    cli_help="DynamoDB table tools (create-table, backfill-resource-index)",
)

__all__ = ["ADAPTER"]
