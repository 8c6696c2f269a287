"""The vector store interface (Mastra's ``MastraVector``, in snake_case).

A structural :class:`typing.Protocol`: anything with these coroutine methods is a vector
store, whether or not it subclasses :class:`~mastra_storage.vector.base.BaseVectorStore`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from .records import IndexStats, Metric, QueryResult


@runtime_checkable
class VectorStore(Protocol):
    """Indexes of fixed-dimension vectors with JSON metadata, queried by similarity."""

    @property
    def index_separator(self) -> str:
        """What Memory puts between the parts of its index names (``memory_messages``)."""
        ...

    async def create_index(
        self, index_name: str, dimension: int, metric: Metric = "cosine"
    ) -> None:
        """Create the index; idempotent for the same dimension, an error for another one."""
        ...

    async def upsert(
        self,
        index_name: str,
        vectors: Sequence[Sequence[float]],
        metadata: Sequence[Mapping[str, Any] | None] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Insert or replace vectors atomically; returns their ids (generated when absent)."""
        ...

    async def query(
        self,
        index_name: str,
        query_vector: Sequence[float],
        top_k: int = 10,
        filter: Mapping[str, Any] | None = None,
        include_vector: bool = False,
        min_score: float | None = None,
    ) -> list[QueryResult]:
        """The ``top_k`` most similar vectors matching ``filter``, best first."""
        ...

    async def list_indexes(self) -> list[str]:
        """The names of every index, sorted. Read-only.

        :raises UnavailableError: the database cannot be reached or did not answer in time.
        """
        ...

    async def describe_index(self, index_name: str) -> IndexStats:
        """The index's dimension, vector count and metric as an
        :class:`~mastra_storage.vector.IndexStats`. Read-only.

        :raises NotFoundError: the index does not exist.
        :raises UnavailableError: the database cannot be reached or did not answer in time.
        """
        ...

    async def delete_index(self, index_name: str) -> None:
        """Drop the index and every vector in it.

        :raises NotFoundError: the index does not exist.
        :raises UnavailableError: the database cannot be reached or did not answer in time.
        """
        ...

    async def update_vector(
        self,
        index_name: str,
        id: str | None = None,
        vector: Sequence[float] | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        filter: Mapping[str, Any] | None = None,
    ) -> None:
        """Replace the vector and/or metadata of one id, or of every match of ``filter``."""
        ...

    async def delete_vector(self, index_name: str, id: str) -> None:
        """Delete one vector; an unknown id is a no-op.

        :raises NotFoundError: the index does not exist.
        :raises UnavailableError: the database cannot be reached or did not answer in time.
        """
        ...

    async def delete_vectors(
        self,
        index_name: str,
        ids: Sequence[str] | None = None,
        filter: Mapping[str, Any] | None = None,
    ) -> None:
        """Delete by ids or by filter (exactly one of the two)."""
        ...

    async def close(self) -> None:
        """Release the store's connections; idempotent. The store cannot be used afterwards."""
        ...


__all__ = ["VectorStore"]
