"""``InMemoryVector``: the brute-force reference vector store.

Exact search over Python lists with the shared evaluator, so it defines the expected
answers the conformance suite checks other backends against. Not for large data sets.
"""

from __future__ import annotations

import copy
from typing import Any

from ..codec import loads
from .base import BaseVectorStore, VectorQuery, VectorRow, VectorUpdate
from .evaluate import matches
from .filter import Node
from .records import IndexConfig, Metric, QueryResult
from .scoring import score


class _Index:
    def __init__(self, config: IndexConfig) -> None:
        self.config = config
        self.rows: dict[str, tuple[list[float], dict[str, Any]]] = {}


class InMemoryVector(BaseVectorStore):
    """All indexes live in this object; nothing is shared between instances."""

    store_name = "MEMORY"

    def __init__(self) -> None:
        self._indexes: dict[str, _Index] = {}

    def __repr__(self) -> str:
        return f"InMemoryVector(indexes={len(self._indexes)})"

    async def _index_config(self, index_name: str) -> IndexConfig | None:
        index = self._indexes.get(index_name)
        return None if index is None else index.config

    async def _create_index(self, index_name: str, dimension: int, metric: Metric) -> None:
        self._indexes.setdefault(
            index_name, _Index(IndexConfig(dimension=dimension, metric=metric))
        )

    async def _count(self, index_name: str) -> int:
        return len(self._indexes[index_name].rows)

    async def _list_indexes(self) -> list[str]:
        return list(self._indexes)

    async def _drop_index(self, index_name: str) -> bool:
        return self._indexes.pop(index_name, None) is not None

    async def _upsert(self, index_name: str, config: IndexConfig, rows: list[VectorRow]) -> None:
        staged = {row.id: (list(row.vector), loads(row.metadata_json)) for row in rows}
        self._indexes[index_name].rows.update(staged)  # all decoded first: all or nothing

    async def _query(
        self, index_name: str, config: IndexConfig, query: VectorQuery
    ) -> list[QueryResult]:
        hits: list[QueryResult] = []
        for row_id, (stored, metadata) in self._indexes[index_name].rows.items():
            if not matches(query.condition, metadata):
                continue
            value = score(config.metric, stored, query.vector)
            if query.min_score is not None and value < query.min_score:
                continue
            hits.append(
                QueryResult(
                    id=row_id,
                    score=value,
                    metadata=copy.deepcopy(metadata),
                    vector=list(stored) if query.include_vector else None,
                )
            )
        hits.sort(key=lambda hit: (-hit.score, hit.id))
        return hits[: query.top_k]

    def _targets(self, index_name: str, target: str | list[str] | Node) -> list[str]:
        rows = self._indexes[index_name].rows
        if isinstance(target, str):
            return [target] if target in rows else []
        if isinstance(target, list):
            return [i for i in target if i in rows]
        return [i for i, (_, metadata) in rows.items() if matches(target, metadata)]

    async def _update(self, index_name: str, config: IndexConfig, update: VectorUpdate) -> int:
        rows = self._indexes[index_name].rows
        chosen = self._targets(index_name, update.target)
        for row_id in chosen:
            old_vector, old_metadata = rows[row_id]
            rows[row_id] = (
                list(update.vector) if update.vector is not None else old_vector,
                loads(update.metadata_json) if update.metadata_json is not None else old_metadata,
            )
        return len(chosen)

    async def _delete(self, index_name: str, target: list[str] | Node) -> int:
        rows = self._indexes[index_name].rows
        chosen = self._targets(index_name, target)
        for row_id in chosen:
            del rows[row_id]
        return len(chosen)


__all__ = ["InMemoryVector"]
