"""Vector stores: one interface, one filter language, one conformance suite.

* :class:`VectorStore` - the protocol (Mastra's ``MastraVector`` in snake_case);
* :class:`BaseVectorStore` - validation and argument rules over backend primitives;
* :func:`parse_filter` - the metadata filter language, parsed to a typed AST;
* :class:`InMemoryVector` - the brute-force reference store.

Backends: ``mastra_storage_libsql.vector.LibSQLVector``,
``mastra_storage_postgres.vector.PgVector``, ``mastra_storage_mongodb.vector.MongoDBVector``.
"""

from __future__ import annotations

from .base import BaseVectorStore, VectorRow
from .evaluate import matches
from .filter import Node, parse_filter
from .inmemory import InMemoryVector
from .protocol import VectorStore
from .records import METRICS, IndexConfig, IndexStats, Metric, QueryResult
from .scoring import score

__all__ = [
    "METRICS",
    "BaseVectorStore",
    "InMemoryVector",
    "IndexConfig",
    "IndexStats",
    "Metric",
    "Node",
    "QueryResult",
    "VectorRow",
    "VectorStore",
    "matches",
    "parse_filter",
    "score",
]
