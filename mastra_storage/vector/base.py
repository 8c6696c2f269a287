"""``BaseVectorStore``: the public vector API over a handful of backend primitives.

Validation, defaults and Mastra's argument rules (id xor filter, no empty filter, dimension
checks, ...) are the same for every backend, so they live here once. A backend implements
the ``_``-prefixed primitives and only ever receives validated input: a valid index name,
float32-rounded vectors of the right dimension, metadata already encoded as JSON text and
filters already parsed into the AST of :mod:`.filter`.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import msgspec

from ..errors import NotFoundError, NotSupportedError
from .filter import Const, Node, Regex, parse_filter
from .records import METRICS, IndexConfig, IndexStats, Metric, QueryResult
from .validation import (
    VECTOR_DOMAIN,
    check_dimension,
    check_id,
    check_index_name,
    check_metadata,
    check_metric,
    check_min_score,
    check_top_k,
    check_vector,
    index_not_found,
    invalid,
    new_id,
    vector_error_id,
)

log = logging.getLogger("mastra_storage.vector")


class VectorRow(msgspec.Struct, frozen=True):
    """One validated row to write: id, float32 vector, metadata as JSON text."""

    id: str
    vector: list[float]
    metadata_json: str


@dataclass(frozen=True, slots=True)
class VectorQuery:
    """A validated similarity query: the float32 vector, ``top_k``, the filter (``None``:
    every row; never a :class:`~.filter.Const`) and the score floor."""

    vector: list[float]
    top_k: int
    condition: Node | None
    include_vector: bool
    min_score: float | None


@dataclass(frozen=True, slots=True)
class VectorUpdate:
    """A validated update of one id or of every match of a filter; ``None`` keeps a value."""

    target: str | Node
    vector: list[float] | None
    metadata_json: str | None


class BaseVectorStore(abc.ABC):
    """Implements :class:`~mastra_storage.vector.protocol.VectorStore` over primitives."""

    #: Used in error ids (``MASTRA_VECTOR_<STORE>_...``).
    store_name: ClassVar[str] = "VECTOR"
    supported_metrics: ClassVar[tuple[Metric, ...]] = METRICS

    @property
    def index_separator(self) -> str:
        """What :class:`~mastra_storage.memory.Memory` puts between the parts of its index
        names (``_``)."""
        return "_"

    # ---- primitives -------------------------------------------------------------------

    @abc.abstractmethod
    async def _index_config(self, index_name: str) -> IndexConfig | None:
        """Dimension and metric of an existing index, ``None`` when it does not exist."""

    @abc.abstractmethod
    async def _create_index(self, index_name: str, dimension: int, metric: Metric) -> None:
        """Create the index; must tolerate a concurrent creator (IF NOT EXISTS)."""

    @abc.abstractmethod
    async def _count(self, index_name: str) -> int: ...

    @abc.abstractmethod
    async def _list_indexes(self) -> list[str]: ...

    @abc.abstractmethod
    async def _drop_index(self, index_name: str) -> bool:
        """Drop the index; ``False`` when it did not exist."""

    @abc.abstractmethod
    async def _upsert(self, index_name: str, config: IndexConfig, rows: list[VectorRow]) -> None:
        """Write every row in one transaction (ids are distinct)."""

    @abc.abstractmethod
    async def _query(
        self, index_name: str, config: IndexConfig, query: VectorQuery
    ) -> list[QueryResult]: ...

    @abc.abstractmethod
    async def _update(self, index_name: str, config: IndexConfig, update: VectorUpdate) -> int:
        """Update one id or every match of a filter; returns the number of rows updated."""

    @abc.abstractmethod
    async def _delete(self, index_name: str, target: list[str] | Node) -> int:
        """Delete ids or every match of a filter; returns the number of rows deleted."""

    async def close(self) -> None:
        """Release connections; the default has nothing to release."""

    # ---- helpers for subclasses -------------------------------------------------------

    async def _require(self, operation: str, index_name: str) -> IndexConfig:
        config = await self._index_config(index_name)
        if config is None:
            raise index_not_found(self.store_name, operation, index_name)
        return config

    def _check_vector(
        self, op: str, name: str, config: IndexConfig, vector: Any, position: int | None = None
    ) -> list[float]:
        """``vector`` checked against the index's dimension and metric (float32-rounded)."""
        return check_vector(
            self.store_name,
            op,
            vector,
            dimension=config.dimension,
            metric=config.metric,
            index_name=name,
            position=position,
        )

    def _parse(self, operation: str, raw: Any) -> Node | None:
        node = parse_filter(raw)
        if node is not None and not self._supports(node):
            raise NotSupportedError(
                f"{type(self).__name__} does not support $regex filters",
                id=vector_error_id(self.store_name, operation, "unsupported operator"),
                domain=VECTOR_DOMAIN,
            )
        return node

    def _supports(self, node: Node) -> bool:
        """Whether the backend can run every node (override to refuse e.g. ``$regex``)."""
        del node
        return True

    @staticmethod
    def contains_regex(node: Node) -> bool:
        """Whether a parsed filter uses ``$regex`` anywhere (for backends that cannot run it)."""
        from .filter import And, ElemMatch, Not, Or

        if isinstance(node, Regex):
            return True
        if isinstance(node, (And, Or)):
            return any(BaseVectorStore.contains_regex(c) for c in node.children)
        if isinstance(node, Not):
            return BaseVectorStore.contains_regex(node.child)
        if isinstance(node, ElemMatch):
            return BaseVectorStore.contains_regex(node.condition)
        return False

    # ---- public API -------------------------------------------------------------------

    async def create_index(
        self, index_name: str, dimension: int, metric: Metric = "cosine"
    ) -> None:
        """Create the index ``index_name`` for vectors of ``dimension`` floats compared by
        ``metric`` (``"cosine"``, ``"euclidean"`` or ``"dotproduct"``). Idempotent for the same
        dimension and metric, safe under concurrent creators.

        :raises ValidationError: a bad name, dimension or metric, or an existing index with
            another dimension or metric; nothing is created.
        :raises UnavailableError: the database cannot be reached or did not answer in time.
        """
        name, dim, chosen = self._check_create(index_name, dimension, metric)
        existing = await self._index_config(name)
        if existing is None:
            await self._create_index(name, dim, chosen)
            existing = await self._index_config(name)
            if existing is None:  # dropped concurrently: report rather than pretend
                raise index_not_found(self.store_name, "createIndex", name)
        self._check_existing(name, existing, dim, chosen)

    def _check_create(
        self, index_name: Any, dimension: Any, metric: Any
    ) -> tuple[str, int, Metric]:
        name = check_index_name(self.store_name, "createIndex", index_name)
        dim = check_dimension(self.store_name, dimension)
        chosen = check_metric(self.store_name, metric, self.supported_metrics)
        return name, dim, chosen

    def _check_existing(
        self, name: str, existing: IndexConfig, dimension: int, metric: Metric
    ) -> None:
        """Mastra's ``validateExistingIndex``: same dimension is fine, another one is not."""
        if existing.dimension != dimension:
            raise invalid(
                self.store_name,
                "createIndex",
                "dimension mismatch",
                f'Index "{name}" already exists with {existing.dimension} dimensions, '
                f"but {dimension} dimensions were requested",
                existingDimension=existing.dimension,
                requestedDimension=dimension,
            )
        if existing.metric != metric:
            log.warning(
                'vector index "%s" exists with metric %s; keeping it (requested %s)',
                name,
                existing.metric,
                metric,
            )

    async def upsert(
        self,
        index_name: str,
        vectors: Sequence[Sequence[float]],
        metadata: Sequence[Mapping[str, Any] | None] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Insert or replace vectors in one atomic write; returns their ids, in order
        (``ids`` when given, else new UUIDs). ``metadata`` holds one JSON object per vector. A
        repeated id keeps its last vector, as in Mastra.

        :raises ValidationError: an empty batch, a vector of the wrong dimension or with a
            non-finite value, metadata that is not a JSON object, or ``ids``/``metadata`` of
            another length; nothing is written.
        :raises NotFoundError: the index does not exist.
        :raises UnavailableError: the database cannot be reached or did not answer in time.
        """
        op = "upsert"
        name = check_index_name(self.store_name, op, index_name)
        raw: Any = vectors  # callers may pass anything; check before trusting the type
        if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
            raise invalid(self.store_name, op, "invalid vectors", "vectors must be a list")
        if len(vectors) == 0:
            raise invalid(self.store_name, op, "empty vectors", "vectors must not be empty")
        if metadata is not None:
            if isinstance(metadata, (Mapping, str)) or not isinstance(metadata, Sequence):
                raise invalid(
                    self.store_name, op, "invalid metadata", "metadata must be a list of objects"
                )
            if len(metadata) and len(metadata) != len(vectors):
                raise invalid(
                    self.store_name,
                    op,
                    "metadata length mismatch",
                    f"metadata has {len(metadata)} entries for {len(vectors)} vectors",
                )
        if ids is not None:
            if isinstance(ids, str) or not isinstance(ids, Sequence):
                raise invalid(self.store_name, op, "invalid ids", "ids must be a list of strings")
            if len(ids) != len(vectors):
                raise invalid(
                    self.store_name,
                    op,
                    "ids length mismatch",
                    f"ids has {len(ids)} entries for {len(vectors)} vectors",
                )
        config = await self._require(op, name)
        out_ids = (
            [check_id(self.store_name, op, i, field="ids[]") for i in ids]
            if ids is not None
            else [new_id() for _ in vectors]
        )
        rows: dict[str, VectorRow] = {}
        for position, vector in enumerate(vectors):
            values = self._check_vector(op, name, config, vector, position=position)
            meta = metadata[position] if metadata else None
            text = check_metadata(self.store_name, op, meta, position=position)
            row_id = out_ids[position]
            rows.pop(row_id, None)  # a repeated id: the last one wins, as in Mastra
            rows[row_id] = VectorRow(row_id, values, text)
        await self._upsert(name, config, list(rows.values()))
        return out_ids

    async def query(
        self,
        index_name: str,
        query_vector: Sequence[float],
        top_k: int = 10,
        filter: Mapping[str, Any] | None = None,
        include_vector: bool = False,
        min_score: float | None = None,
    ) -> list[QueryResult]:
        """The ``top_k`` vectors most similar to ``query_vector`` that match ``filter``
        (Mastra's metadata filter language, values passed as parameters), best first, each a
        :class:`~mastra_storage.vector.QueryResult`; ``min_score`` drops weaker matches and
        ``include_vector`` returns the stored vectors too. Read-only.

        :raises ValidationError: a bad ``top_k``, ``min_score``, vector or filter.
        :raises NotSupportedError: a filter operator this backend cannot run (``$regex`` on some).
        :raises NotFoundError: the index does not exist.
        :raises UnavailableError: the database cannot be reached or did not answer in time.
        """
        op = "query"
        name = check_index_name(self.store_name, op, index_name)
        k = check_top_k(self.store_name, top_k)
        floor = check_min_score(self.store_name, min_score)
        condition = self._parse(op, filter)
        if query_vector is None:
            raise invalid(self.store_name, op, "missing vector", "queryVector is required")
        config = await self._require(op, name)
        vector = self._check_vector(op, name, config, query_vector)
        if isinstance(condition, Const) and not condition.value:
            return []
        if isinstance(condition, Const):
            condition = None
        query = VectorQuery(vector, k, condition, bool(include_vector), floor)
        return await self._query(name, config, query)

    async def list_indexes(self) -> list[str]:
        """The names of every index, sorted. Read-only.

        :raises UnavailableError: the database cannot be reached or did not answer in time.
        """
        return sorted(await self._list_indexes())

    async def describe_index(self, index_name: str) -> IndexStats:
        """The index's dimension, vector count and metric as an
        :class:`~mastra_storage.vector.IndexStats`. Read-only.

        :raises NotFoundError: the index does not exist.
        :raises UnavailableError: the database cannot be reached or did not answer in time.
        """
        name = check_index_name(self.store_name, "describeIndex", index_name)
        config = await self._require("describeIndex", name)
        count = await self._count(name)
        return IndexStats(dimension=config.dimension, count=count, metric=config.metric)

    async def delete_index(self, index_name: str) -> None:
        """Drop the index and every vector in it.

        :raises NotFoundError: the index does not exist.
        :raises UnavailableError: the database cannot be reached or did not answer in time.
        """
        name = check_index_name(self.store_name, "deleteIndex", index_name)
        if not await self._drop_index(name):
            raise index_not_found(self.store_name, "deleteIndex", name)

    async def update_vector(
        self,
        index_name: str,
        id: str | None = None,
        vector: Sequence[float] | None = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        filter: Mapping[str, Any] | None = None,
    ) -> None:
        """Replace the vector and/or the metadata of one ``id``, or of every vector matching
        ``filter`` (exactly one of the two), in one atomic write; a value left ``None`` is kept.

        :raises ValidationError: neither or both of ``id`` and ``filter``, nothing to update, an
            empty filter, or a bad vector or metadata; nothing is changed.
        :raises NotFoundError: the index, or the vector ``id``, does not exist.
        :raises UnavailableError: the database cannot be reached or did not answer in time.
        """
        op = "updateVector"
        name = check_index_name(self.store_name, op, index_name)
        target = self._id_or_filter(op, id, filter, action="update")
        if vector is None and metadata is None:
            raise invalid(self.store_name, op, "no updates", "No updates provided")
        text = (
            None
            if metadata is None
            else check_metadata(self.store_name, op, metadata, position=None)
        )
        config = await self._require(op, name)
        values = None if vector is None else self._check_vector(op, name, config, vector)
        if isinstance(target, Const):  # a filter that can match nothing
            return
        updated = await self._update(name, config, VectorUpdate(target, values, text))
        if isinstance(target, str) and updated == 0:
            raise NotFoundError(
                f'Vector "{target}" not found in index "{name}"',
                id=vector_error_id(self.store_name, op, "not found"),
                domain=VECTOR_DOMAIN,
                details={"indexName": name, "id": target},
            )

    async def delete_vector(self, index_name: str, id: str) -> None:
        """Delete one vector; an unknown id is a no-op.

        :raises NotFoundError: the index does not exist.
        :raises UnavailableError: the database cannot be reached or did not answer in time.
        """
        op = "deleteVector"
        name = check_index_name(self.store_name, op, index_name)
        vector_id = check_id(self.store_name, op, id)
        await self._require(op, name)
        await self._delete(name, [vector_id])

    async def delete_vectors(
        self,
        index_name: str,
        ids: Sequence[str] | None = None,
        filter: Mapping[str, Any] | None = None,
    ) -> None:
        """Delete the vectors with ``ids``, or every vector matching ``filter`` (exactly one of
        the two), in one atomic write; unknown ids are ignored.

        :raises ValidationError: neither or both arguments, or an empty filter; nothing deleted.
        :raises NotFoundError: the index does not exist.
        :raises UnavailableError: the database cannot be reached or did not answer in time.
        """
        op = "deleteVectors"
        name = check_index_name(self.store_name, op, index_name)
        if ids is not None and filter is not None:
            raise invalid(
                self.store_name, op, "invalid args", "ids and filter are mutually exclusive"
            )
        if ids is None and filter is None:
            raise invalid(self.store_name, op, "invalid args", "Either ids or filter is required")
        if ids is not None:
            if isinstance(ids, str) or not isinstance(ids, Sequence):
                raise invalid(self.store_name, op, "invalid ids", "ids must be a list of strings")
            wanted = list(
                dict.fromkeys(check_id(self.store_name, op, i, field="ids[]") for i in ids)
            )
            await self._require(op, name)
            if wanted:
                await self._delete(name, wanted)
            return
        condition = self._filter_target(op, filter, action="delete")
        await self._require(op, name)
        if isinstance(condition, Const):
            return
        await self._delete(name, condition)

    def _id_or_filter(
        self, op: str, id: Any, filter: Mapping[str, Any] | None, *, action: str
    ) -> str | Node:
        if id is not None and filter is not None:
            raise invalid(
                self.store_name, op, "invalid args", "id and filter are mutually exclusive"
            )
        if id is None and filter is None:
            raise invalid(self.store_name, op, "invalid args", "Either id or filter is required")
        if id is not None:
            return check_id(self.store_name, op, id)
        return self._filter_target(op, filter, action=action)

    def _filter_target(self, op: str, filter: Any, *, action: str) -> Node:
        """A filter for a bulk write: never empty, never one that matches every vector."""
        condition = self._parse(op, filter)
        if condition is None:
            raise invalid(self.store_name, op, "empty filter", f"Cannot {action} with empty filter")
        if isinstance(condition, Const) and condition.value:
            raise invalid(
                self.store_name,
                op,
                "filter matches all",
                f"Filter matches all vectors; use delete_index or an explicit {action} "
                "of every id instead",
            )
        return condition


__all__ = ["BaseVectorStore", "VectorQuery", "VectorRow", "VectorUpdate"]
