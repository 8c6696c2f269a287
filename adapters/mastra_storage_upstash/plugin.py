"""Entry point: redis://, rediss://, upstash:// (TCP) and upstash+https://, upstash+http://
(Upstash's REST API) URLs build a :class:`UpstashStore`.

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
)

__all__ = ["ADAPTER"]
