"""Entry point: ``memory://`` URLs build an :class:`InMemoryStore`."""

from ..registry import AdapterSpec

ADAPTER = AdapterSpec(
    name="memory",
    schemes=("memory",),
    target="mastra_storage.inmemory.store:InMemoryStore.from_url",
)
