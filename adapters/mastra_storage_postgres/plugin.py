"""Entry point: postgres://, postgresql:// URLs build a :class:`PostgresStore`.

Importing this module must stay cheap: it imports neither the adapter nor the driver.
"""

from mastra_storage.registry import AdapterSpec

ADAPTER = AdapterSpec(
    name="postgres",
    schemes=(
        "postgres",
        "postgresql",
    ),
    target="mastra_storage_postgres.store:PostgresStore.from_url",
    extra="postgres",
    drivers=("asyncpg",),
)

__all__ = ["ADAPTER"]
