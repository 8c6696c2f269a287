"""Entry point: ``file:``, ``sqlite:``, ``libsql:`` URLs build a :class:`LibSQLStore`.

``http(s)://`` and ``ws(s)://`` are generic schemes (other adapters and services use them),
so :func:`mastra_storage.connect` reaches a libSQL server through ``libsql://host`` (TLS;
``?tls=0`` for plain HTTP) or the explicit ``libsql+http://``, ``libsql+https://``,
``libsql+ws://``, ``libsql+wss://``; ``LibSQLStore(url)`` accepts all of them directly.

Importing this module must stay cheap: it imports neither the adapter nor the ``libsql``
driver (the registry imports those only when a matching URL is used).
"""

from mastra_storage.registry import AdapterSpec

ADAPTER = AdapterSpec(
    name="libsql",
    schemes=("file", "sqlite", "libsql", "libsql+http", "libsql+https", "libsql+ws", "libsql+wss"),
    target="mastra_storage_libsql.store:LibSQLStore.from_url",
    extra="libsql",
    drivers=("libsql",),
)

__all__ = ["ADAPTER"]
