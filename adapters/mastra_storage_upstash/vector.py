"""``UpstashVector``: the vector API on Upstash Vector, as ``@mastra/upstash`` lays it out.

**Not yet verified against the service.** There is no local Upstash Vector server; the
tests run the vector conformance suite against a stand-in server written from Upstash's
public REST reference (``tests/upstash/upstash_vector_server.py``).

Layout (Mastra's): one Upstash index holds every vector; an index name of this API is an
Upstash *namespace*. An Upstash index has one dimension and one similarity function, set
when it is created in the console, so every namespace shares them: ``create_index`` with
another dimension or metric raises ``ValidationError``. Mastra's ``createIndex`` is a
no-op; here it also records the name (one vector with id = the name in the reserved
namespace ``__mastra_indexes__``), so an empty index is listed and described as on the
other stores. Namespaces written by Mastra (no record) are indexes too.

Filters compile to Upstash's filter string (:mod:`.vector_filter`); filters it cannot
state exactly raise ``NotSupportedError`` (``$regex``, ``$size``, ``$eq: null``, string
ranges, ...). Scores are Upstash's normalised ones mapped back to the shared convention
(cosine and dot product ``2s - 1``, euclidean ``1 / (1 + d)`` from ``s = 1 / (1 + d²)``).

Every request is bounded by ``timeout_s`` (the client's own default is 600 s with three
retries a second apart; this store sends each request once).
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from mastra_storage.errors import (
    BackendError,
    MastraStorageError,
    MissingDependencyError,
    UnavailableError,
)
from mastra_storage.vector.base import BaseVectorStore, VectorQuery, VectorRow, VectorUpdate
from mastra_storage.vector.evaluate import matches
from mastra_storage.vector.filter import Node
from mastra_storage.vector.records import IndexConfig, Metric, QueryResult
from mastra_storage.vector.scoring import score
from mastra_storage.vector.validation import VECTOR_DOMAIN, invalid, vector_error_id

from .vector_filter import compile_filter

REGISTRY_NAMESPACE = "__mastra_indexes__"
_STORE = "UPSTASH"
_METRICS: dict[str, Metric] = {
    "COSINE": "cosine",
    "EUCLIDEAN": "euclidean",
    "DOT_PRODUCT": "dotproduct",
}
#: Upstash answers at most this many hits per query; larger ``top_k`` scan the namespace.
MAX_SERVER_TOP_K = 1_000
_PAGE = 1_000
T = TypeVar("T")


class UpstashVector(BaseVectorStore):
    """The vector API on one Upstash Vector index (index names = namespaces).

    ``UpstashVector(url, token)`` builds the official async client
    (``upstash_vector.AsyncIndex``); ``UpstashVector(client=...)`` uses yours (and does not
    close it). ``timeout_s`` bounds each request.
    """

    store_name = _STORE

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        client: Any = None,
        timeout_s: float = 10.0,
    ) -> None:
        if not (timeout_s > 0):
            raise invalid(_STORE, "init", "invalid timeout", "timeout_s must be positive")
        self._timeout = float(timeout_s)
        self._owns_client = client is None
        if client is None:
            if not url or not token:
                raise invalid(_STORE, "init", "missing credentials", "url and token are required")
            try:
                import httpx
                from upstash_vector import AsyncIndex
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise MissingDependencyError(
                    "UpstashVector needs the upstash-vector package: "
                    "pip install 'mastra-storage[upstash-vector]'",
                    id="MASTRA_VECTOR_UPSTASH_MISSING_DEPENDENCY",
                    domain=VECTOR_DOMAIN,
                ) from exc
            client = AsyncIndex(url=url, token=token, retries=0, allow_telemetry=False)
            # The client's own HTTP timeout is 600 s; a bounded one replaces it.
            client._client = httpx.AsyncClient(timeout=httpx.Timeout(self._timeout))
        self._client = client
        self._closed = False

    def __repr__(self) -> str:
        return f"UpstashVector(url={getattr(self._client, '_url', '?')!r})"  # never the token

    # ---- plumbing ---------------------------------------------------------------------

    async def _call(self, operation: str, make: Callable[[], Awaitable[T]]) -> T:
        """One bounded request, its failures as typed errors."""
        if self._closed:
            raise UnavailableError(
                "UpstashVector is closed",
                id=vector_error_id(_STORE, operation, "closed"),
                domain=VECTOR_DOMAIN,
            )
        try:
            return await asyncio.wait_for(make(), self._timeout)
        except MastraStorageError:
            raise
        except (TimeoutError, OSError) as exc:
            raise UnavailableError(
                f"Upstash Vector did not answer {operation} within {self._timeout:g} s"
                if isinstance(exc, TimeoutError)
                else f"Upstash Vector unreachable during {operation}: {type(exc).__name__}",
                id=vector_error_id(_STORE, operation, "unavailable"),
                domain=VECTOR_DOMAIN,
            ) from None
        except Exception as exc:
            name = type(exc).__name__
            if name in ("ConnectError", "ReadTimeout", "ConnectTimeout", "WriteTimeout") or (
                name.endswith("Timeout") or name.endswith("NetworkError")
            ):
                raise UnavailableError(
                    f"Upstash Vector unreachable during {operation}: {name}",
                    id=vector_error_id(_STORE, operation, "unavailable"),
                    domain=VECTOR_DOMAIN,
                ) from None
            raise BackendError(
                f"Upstash Vector {operation} failed: {str(exc)[:300]}",
                id=vector_error_id(_STORE, operation, "failed"),
                domain=VECTOR_DOMAIN,
            ) from None

    async def _info(self, operation: str) -> Any:
        return await self._call(operation, lambda: self._client.info())

    def _config(self, info: Any) -> IndexConfig:
        metric = _METRICS.get(str(info.similarity_function).upper(), "cosine")
        return IndexConfig(dimension=int(info.dimension), metric=metric)

    async def _registered(self, operation: str, name: str) -> bool:
        found = await self._call(
            operation, lambda: self._client.fetch([name], namespace=REGISTRY_NAMESPACE)
        )
        return bool(found and found[0] is not None)

    # ---- primitives -------------------------------------------------------------------

    async def _index_config(self, index_name: str) -> IndexConfig | None:
        if index_name == REGISTRY_NAMESPACE:
            return None
        info = await self._info("describeIndex")
        if index_name in info.namespaces or await self._registered("describeIndex", index_name):
            return self._config(info)
        return None

    async def _create_index(self, index_name: str, dimension: int, metric: Metric) -> None:
        if index_name == REGISTRY_NAMESPACE:
            raise invalid(_STORE, "createIndex", "reserved name", f"{index_name} is reserved")
        config = self._config(await self._info("createIndex"))
        if config.dimension != dimension:
            raise invalid(
                _STORE,
                "createIndex",
                "dimension mismatch",
                f"the Upstash index has {config.dimension} dimensions, {dimension} were "
                "requested (every index name is a namespace of one Upstash index)",
                existingDimension=config.dimension,
                requestedDimension=dimension,
            )
        if config.metric != metric:
            raise invalid(
                _STORE,
                "createIndex",
                "metric mismatch",
                f"the Upstash index uses {config.metric}, {metric} was requested (the "
                "similarity function is fixed per Upstash index)",
            )
        unit = [1.0] + [0.0] * (dimension - 1)
        record = {"id": index_name, "vector": unit, "metadata": {"dimension": dimension}}
        await self._call(
            "createIndex", lambda: self._client.upsert([record], namespace=REGISTRY_NAMESPACE)
        )

    async def _count(self, index_name: str) -> int:
        info = await self._info("describeIndex")
        space = info.namespaces.get(index_name)
        return int(space.vector_count) if space is not None else 0

    async def _list_indexes(self) -> list[str]:
        info = await self._info("listIndexes")
        names = {ns for ns in info.namespaces if ns and ns != REGISTRY_NAMESPACE}
        async for item in self._range("listIndexes", REGISTRY_NAMESPACE, vectors=False):
            names.add(str(item.id))
        return list(names)

    async def _drop_index(self, index_name: str) -> bool:
        if await self._index_config(index_name) is None:
            return False
        info = await self._info("deleteIndex")
        if index_name in info.namespaces:
            await self._call(
                "deleteIndex", lambda: self._client.delete_namespace(namespace=index_name)
            )
        await self._call(
            "deleteIndex",
            lambda: self._client.delete([index_name], namespace=REGISTRY_NAMESPACE),
        )
        return True

    async def _upsert(self, index_name: str, config: IndexConfig, rows: list[VectorRow]) -> None:
        del config
        records = [
            {"id": row.id, "vector": row.vector, "metadata": json.loads(row.metadata_json)}
            for row in rows
        ]
        # One request: Upstash applies a batch as a whole or answers an error.
        await self._call("upsert", lambda: self._client.upsert(records, namespace=index_name))

    def _score(self, metric: Metric, normalised: float) -> float:
        if metric == "euclidean":
            if normalised <= 0:
                return 0.0
            return 1.0 / (1.0 + math.sqrt(max(0.0, 1.0 / normalised - 1.0)))
        return 2.0 * normalised - 1.0

    async def _query(
        self, index_name: str, config: IndexConfig, query: VectorQuery
    ) -> list[QueryResult]:
        text = compile_filter(query.condition) if query.condition is not None else ""
        if query.top_k > MAX_SERVER_TOP_K:
            hits = await self._scan_query(index_name, config, query)
        else:
            found = await self._call(
                "query",
                lambda: self._client.query(
                    vector=query.vector,
                    top_k=query.top_k,
                    include_vectors=query.include_vector,
                    include_metadata=True,
                    filter=text,
                    namespace=index_name,
                ),
            )
            hits = [
                QueryResult(
                    id=str(item.id),
                    score=self._score(config.metric, float(item.score)),
                    metadata=item.metadata or {},
                    vector=list(item.vector) if query.include_vector and item.vector else None,
                )
                for item in found
            ]
        if query.min_score is not None:
            hits = [hit for hit in hits if hit.score >= query.min_score]
        return hits

    async def _scan_query(
        self, index_name: str, config: IndexConfig, query: VectorQuery
    ) -> list[QueryResult]:
        """``top_k`` above Upstash's 1,000: score every vector of the namespace here."""
        hits = []
        async for item in self._range("query", index_name, vectors=True):
            metadata = item.metadata or {}
            if query.condition is not None and not matches(query.condition, metadata):
                continue
            vector = list(item.vector or [])
            hits.append(
                QueryResult(
                    id=str(item.id),
                    score=score(config.metric, vector, query.vector),
                    metadata=metadata,
                    vector=vector if query.include_vector else None,
                )
            )
        hits.sort(key=lambda hit: (-hit.score, hit.id))
        return hits[: query.top_k]

    async def _range(self, operation: str, namespace: str, *, vectors: bool) -> Any:
        cursor = ""
        while True:
            page = await self._call(
                operation,
                lambda c=cursor: self._client.range(  # type: ignore[misc]
                    cursor=c,
                    limit=_PAGE,
                    include_vectors=vectors,
                    include_metadata=True,
                    namespace=namespace,
                ),
            )
            for item in page.vectors:
                yield item
            cursor = page.next_cursor
            if not cursor:
                return

    async def _update(self, index_name: str, config: IndexConfig, update: VectorUpdate) -> int:
        del config
        if isinstance(update.target, str):
            targets = [update.target]
        else:
            condition: Node = update.target
            compile_filter(condition)  # the same refusals as query and delete
            targets = [
                str(item.id)
                async for item in self._range("updateVector", index_name, vectors=False)
                if matches(condition, item.metadata or {})
            ]
        kwargs: dict[str, Any] = {"namespace": index_name}
        if update.vector is not None:
            kwargs["vector"] = update.vector
        if update.metadata_json is not None:
            kwargs["metadata"] = json.loads(update.metadata_json)
        updated = 0
        for target in targets:
            # One ``update`` request per vector: it keeps whatever is not given (Upstash's
            # OVERWRITE mode replaces the metadata as a whole, as this API requires).
            if await self._update_one(target, kwargs):
                updated += 1
        return updated

    async def _update_one(self, target: str, kwargs: dict[str, Any]) -> bool:
        return bool(await self._call("updateVector", lambda: self._client.update(target, **kwargs)))

    async def _delete(self, index_name: str, target: list[str] | Node) -> int:
        if isinstance(target, list):
            result = await self._call(
                "deleteVectors", lambda: self._client.delete(target, namespace=index_name)
            )
        else:
            text = compile_filter(target)
            result = await self._call(
                "deleteVectors",
                lambda: self._client.delete(filter=text, namespace=index_name),
            )
        return int(getattr(result, "deleted", 0))

    async def close(self) -> None:
        """Close the HTTP client this store created (a caller's client stays open)."""
        if self._closed:
            return
        self._closed = True
        if self._owns_client:
            inner = getattr(self._client, "_client", None)
            if inner is not None:
                await inner.aclose()


__all__ = ["REGISTRY_NAMESPACE", "UpstashVector"]
