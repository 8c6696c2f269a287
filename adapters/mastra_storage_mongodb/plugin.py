"""Entry point: mongodb://, mongodb+srv:// URLs build a :class:`MongoDBStore`.

Importing this module must stay cheap: it imports neither the adapter nor the driver.
"""

from mastra_storage.registry import AdapterSpec

ADAPTER = AdapterSpec(
    name="mongodb",
    schemes=(
        "mongodb",
        "mongodb+srv",
    ),
    target="mastra_storage_mongodb.store:MongoDBStore.from_url",
    extra="mongodb",
    drivers=("pymongo",),
)

__all__ = ["ADAPTER"]
