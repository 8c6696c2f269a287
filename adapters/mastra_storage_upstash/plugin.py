"""Entry point: redis://, rediss://, upstash:// (TCP) and upstash+https://, upstash+http://
(Upstash's REST API) URLs build a :class:`UpstashStore`; ``mastra-storage upstash`` runs
:mod:`mastra_storage_upstash.cli`.

Importing this module must stay cheap: it imports neither the adapter nor the driver.
"""

from mastra_storage.registry import AdapterSpec

ADAPTER = AdapterSpec(
    name="upstash",
    schemes=(
        "redis",
        "rediss",
        "upstash",
        "upstash+https",
        "upstash+http",
    ),
    target="mastra_storage_upstash.store:UpstashStore.from_url",
    extra="upstash",
    drivers=("redis",),
    cli="mastra_storage_upstash.cli:main",
    cli_help="Redis/Upstash tools (reindex)",
)

__all__ = ["ADAPTER"]
