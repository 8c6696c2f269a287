"""Typed results of the vector API: what ``query`` and ``describe_index`` return.

They mirror Mastra's ``QueryResult`` and ``IndexStats`` (snake_case attributes,
:meth:`to_dict` gives the camelCase-free JSON shape Mastra uses, which has no multi-word
keys) so results can be handed to code written against Mastra's shapes.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

Metric = Literal["cosine", "euclidean", "dotproduct"]
METRICS: tuple[Metric, ...] = ("cosine", "euclidean", "dotproduct")


class QueryResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One hit of a similarity query, best first in the result list.

    ``score`` grows with similarity for every metric (see ``docs/vector.md``): cosine
    ``1 - cosine distance``, euclidean ``1 / (1 + L2 distance)``, dotproduct the inner
    product. ``vector`` is set only when the query asked for it (``include_vector``).
    """

    id: str
    score: float
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    vector: list[float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-compatible Python values (dicts, lists, numbers)."""
        out: dict[str, Any] = msgspec.to_builtins(self)
        return out


class IndexStats(msgspec.Struct, kw_only=True, frozen=True):
    """What ``describe_index`` reports: the index's dimension, row count and metric."""

    dimension: int
    count: int
    metric: Metric

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-compatible Python values (dicts, lists, numbers)."""
        out: dict[str, Any] = msgspec.to_builtins(self)
        return out


class IndexConfig(msgspec.Struct, kw_only=True, frozen=True):
    """The fixed part of an index (no count): what a backend reads before a write/query."""

    dimension: int
    metric: Metric


__all__ = ["METRICS", "IndexConfig", "IndexStats", "Metric", "QueryResult"]
