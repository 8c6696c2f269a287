"""Entry point: ``file:``, ``sqlite:`` and ``libsql:`` URLs build a :class:`LibSQLStore`.

Importing this module must stay cheap: it imports neither the adapter nor the ``libsql``
driver (the registry imports those only when a matching URL is used).
"""

from mastra_storage.registry import AdapterSpec

ADAPTER = AdapterSpec(
    name="libsql",
    schemes=("file", "sqlite", "libsql"),
    target="mastra_storage_libsql.store:LibSQLStore.from_url",
    extra="libsql",
    drivers=("libsql",),
)

__all__ = ["ADAPTER"]
