"""Similarity scores per metric, in pure Python (the in-memory store and benchmarks).

One convention for every backend, higher is more similar: cosine ``1 - cosine distance``
(i.e. the cosine similarity), euclidean ``1 / (1 + L2 distance)`` (in (0, 1]),
dotproduct the inner product itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .records import Metric


def score(metric: Metric, a: Sequence[float], b: Sequence[float]) -> float:
    """The similarity of two vectors as the backends report it, higher is closer: cosine
    similarity, ``1 / (1 + euclidean distance)``, or the dot product.

    :raises ValueError: the vectors differ in length.
    """
    if metric == "cosine":
        dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
        norm = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
        return dot / norm if norm else 0.0
    if metric == "euclidean":
        return 1.0 / (1.0 + math.sqrt(math.fsum((x - y) ** 2 for x, y in zip(a, b, strict=True))))
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


__all__ = ["score"]
