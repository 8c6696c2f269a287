"""``MongoDBVector``: Atlas Vector Search (``$vectorSearch``), in ``@mastra/mongodb``'s layout.

Verified only where a server supports it: ``$vectorSearch`` and search indexes exist on
MongoDB Atlas (and Atlas-compatible deployments: Atlas local / ``mongot``). Community
servers, and the SecantusDB server the test suite runs locally, refuse search-index
commands; this store then raises :class:`~mastra_storage.errors.NotSupportedError` from
``create_index``/``query``. The filter translation is tested against a real server either
way (``tests/mongodb/test_mongodb_vector.py``); the whole vector suite runs when
``MASTRA_TEST_MONGODB_VECTOR_URI`` names an Atlas deployment.

Layout (Mastra's): one collection per index, documents ``{_id: <vector id>, embedding:
[...], metadata: {...}}``, a ``{_id: '__index_metadata__', dimension, metric}`` document,
and the search index ``<index>_vector_index`` of type ``vectorSearch`` (fields: the
``embedding`` vector with ``numDimensions``/``similarity``, and ``_id`` as a filter field).

API shape: the seed page shows ``upsert({vectors: [{id, values, metadata}]})`` and
``query({vector, ...})``; the released package (and every other store here) takes
``vectors``/``metadata``/``ids`` lists and ``queryVector``. This class follows the shared
protocol; :meth:`upsert_records` accepts the seed's record shape.

Queries: a filter is evaluated first with the normal query language (an ``aggregate``
``$match`` selecting candidate ``_id``s, so every operator works), then ``$vectorSearch``
runs with ``filter: {_id: {$in: ids}}``; filtered searches ask for exact (ENN) search,
unfiltered ones for ANN with ``numCandidates = min(10000, max(100, 10 * top_k))``.
Scores are converted from Atlas' normalised ``vectorSearchScore`` to the shared convention:
cosine ``2s - 1``, euclidean unchanged (``1 / (1 + d)``), dotproduct ``2s - 1``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from mastra_storage.drivers import import_driver
from mastra_storage.errors import (
    BackendError,
    MastraStorageError,
    NotSupportedError,
    UnavailableError,
)
from mastra_storage.redact import protect_logs, redact_text, redact_url, url_secrets
from mastra_storage.validation import validate_identifier
from mastra_storage.vector.base import BaseVectorStore, VectorQuery, VectorRow, VectorUpdate
from mastra_storage.vector.filter import Node
from mastra_storage.vector.records import IndexConfig, Metric, QueryResult
from mastra_storage.vector.validation import (
    VECTOR_DOMAIN,
    metadata_from_json,
    vector_error_id,
)

from .vector_filter import translate_filter

META_ID = "__index_metadata__"
_STORE = "MONGODB"
_SIMILARITY: dict[Metric, str] = {
    "cosine": "cosine",
    "euclidean": "euclidean",
    "dotproduct": "dotProduct",
}
#: Server error codes meaning "no Atlas Search here" (CommandNotSupported, CommandNotFound,
#: unknown pipeline stage / expression).
_NO_SEARCH_CODES = frozenset({115, 59, 40324, 168})


class MongoDBVector(BaseVectorStore):
    """The vector API on MongoDB Atlas Vector Search.

    ``MongoDBVector(uri, db_name)`` owns a ``pymongo.AsyncMongoClient``;
    ``MongoDBVector(client=..., db_name=...)`` shares one (and does not close it).
    ``index_ready_timeout_s``: how long ``create_index`` waits for Atlas to report the
    new search index queryable (``0``: do not wait).
    """

    store_name = _STORE

    def __init__(
        self,
        uri: str | None = None,
        db_name: str = "mastra",
        *,
        client: Any = None,
        embedding_field_path: str = "embedding",
        index_ready_timeout_s: float = 60.0,
    ) -> None:
        if (uri is None) == (client is None):
            from mastra_storage.errors import ConfigurationError

            raise ConfigurationError(
                "MongoDBVector: pass exactly one of uri and client",
                id="MASTRA_VECTOR_MONGODB_INVALID_OPTION",
                domain=VECTOR_DOMAIN,
            )
        self._uri = uri
        self._display = redact_url(uri) if uri else "<client>"
        if uri:
            protect_logs(self, url_secrets(uri))  # no driver may log the password
        self.db_name = validate_identifier(db_name, kind="database name")
        self.embedding_field = validate_identifier(embedding_field_path, kind="embedding field")
        self.index_ready_timeout_s = float(index_ready_timeout_s)
        self._client: Any = client
        self._owns_client = client is None

    def __repr__(self) -> str:
        return f"MongoDBVector(uri={self._display!r}, db_name={self.db_name!r})"

    @classmethod
    def from_url(cls, url: str, **options: Any) -> MongoDBVector:
        return cls(url, **options)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._owns_client:
            await client.close()

    # ---- plumbing ---------------------------------------------------------------------

    def _db(self) -> Any:
        if self._client is None:
            pymongo = import_driver(
                "pymongo",
                needs="MongoDBVector needs pymongo",
                extra="mongodb",
                details={"adapter": "mongodb", "extra": "mongodb"},
            )
            try:
                self._client = pymongo.AsyncMongoClient(self._uri, tz_aware=True)
                refused = ""
            except (TypeError, ValueError, pymongo.errors.ConfigurationError) as exc:
                refused = redact_text(str(exc), self._uri) or type(exc).__name__
            if refused:  # outside ``except``: pymongo's message may quote the URL
                from mastra_storage.errors import ConfigurationError

                raise ConfigurationError(
                    f"MongoDBVector: invalid connection settings: {refused}",
                    id="MASTRA_VECTOR_MONGODB_INVALID_OPTION",
                    domain=VECTOR_DOMAIN,
                )
        client: Any = self._client
        return client[self.db_name]

    def _error(self, operation: str, exc: BaseException) -> MastraStorageError:
        text = redact_text(str(exc), self._uri) if self._uri else str(exc)
        error_id = vector_error_id(_STORE, operation, "failed")
        code = getattr(exc, "code", None)
        if code in _NO_SEARCH_CODES:
            return NotSupportedError(
                f"{operation}: this MongoDB deployment has no Atlas Vector Search "
                f"(search indexes / $vectorSearch): {text}",
                id=vector_error_id(_STORE, operation, "not supported"),
                domain=VECTOR_DOMAIN,
            )
        name = type(exc).__name__
        if name in ("ServerSelectionTimeoutError", "AutoReconnect", "ConnectionFailure"):
            return UnavailableError(f"{operation}: {text}", id=error_id, domain=VECTOR_DOMAIN)
        return BackendError(f"{operation}: {text}", id=error_id, domain=VECTOR_DOMAIN)

    async def _guard(self, operation: str, awaitable: Any) -> Any:
        try:
            return await awaitable
        except MastraStorageError:
            raise
        except Exception as exc:
            raise self._error(operation, exc) from exc

    # ---- primitives -------------------------------------------------------------------

    async def _index_config(self, index_name: str) -> IndexConfig | None:
        doc = await self._guard("describeIndex", self._db()[index_name].find_one({"_id": META_ID}))
        if not doc:
            return None
        metric = doc.get("metric", "cosine")
        return IndexConfig(
            dimension=int(doc.get("dimension", 0)),
            metric=metric if metric in _SIMILARITY else "cosine",
        )

    async def _create_index(self, index_name: str, dimension: int, metric: Metric) -> None:
        from pymongo.operations import SearchIndexModel

        db = self._db()
        names = await self._guard("createIndex", db.list_collection_names())
        if index_name not in names:
            try:
                await db.create_collection(index_name)
            except Exception as exc:  # created concurrently: fine
                if getattr(exc, "code", None) != 48:
                    raise self._error("createIndex", exc) from exc
        collection = db[index_name]
        definition = {
            "fields": [
                {
                    "type": "vector",
                    "path": self.embedding_field,
                    "numDimensions": dimension,
                    "similarity": _SIMILARITY[metric],
                },
                {"type": "filter", "path": "_id"},
            ]
        }
        model = SearchIndexModel(
            definition=definition, name=f"{index_name}_vector_index", type="vectorSearch"
        )
        try:
            await collection.create_search_index(model)
        except Exception as exc:
            if "already exists" not in str(exc).lower() and "IndexAlreadyExists" not in str(exc):
                raise self._error("createIndex", exc) from exc
        await self._guard(
            "createIndex",
            collection.update_one(
                {"_id": META_ID},
                {"$setOnInsert": {"dimension": dimension, "metric": metric}},
                upsert=True,
            ),
        )
        await self._wait_until_queryable(collection, f"{index_name}_vector_index")

    async def _wait_until_queryable(self, collection: Any, name: str) -> None:
        deadline = asyncio.get_running_loop().time() + self.index_ready_timeout_s
        while asyncio.get_running_loop().time() < deadline:
            cursor = await self._guard("createIndex", collection.list_search_indexes(name))
            indexes = await self._guard("createIndex", cursor.to_list())
            if indexes and indexes[0].get("queryable"):
                return
            await asyncio.sleep(1.0)

    async def _count(self, index_name: str) -> int:
        count = await self._guard(
            "describeIndex",
            self._db()[index_name].count_documents({"_id": {"$ne": META_ID}}),
        )
        return int(count)

    async def _list_indexes(self) -> list[str]:
        db = self._db()
        names = await self._guard("listIndexes", db.list_collection_names())
        found = []
        for name in names:
            if await self._guard("listIndexes", db[name].find_one({"_id": META_ID}, {"_id": 1})):
                found.append(str(name))
        return found

    async def _drop_index(self, index_name: str) -> bool:
        if await self._index_config(index_name) is None:
            return False
        await self._guard("deleteIndex", self._db()[index_name].drop())
        return True

    async def _upsert(self, index_name: str, config: IndexConfig, rows: list[VectorRow]) -> None:
        from pymongo import UpdateOne

        operations = [
            UpdateOne(
                {"_id": row.id},
                {
                    "$set": {
                        self.embedding_field: row.vector,
                        "metadata": metadata_from_json(row.metadata_json),
                    }
                },
                upsert=True,
            )
            for row in rows
        ]
        db = self._db()

        async def write() -> None:
            async def work(session: Any) -> None:
                await db[index_name].bulk_write(operations, ordered=True, session=session)

            async with db.client.start_session() as session:  # all rows or none
                await session.with_transaction(work)

        await self._guard("upsert", write())

    async def upsert_records(
        self, index_name: str, records: Sequence[Mapping[str, Any]]
    ) -> list[str]:
        """The seed page's shape: ``[{id?, values, metadata?}, ...]``."""
        vectors = [r.get("values") for r in records]
        metadata = [r.get("metadata") for r in records]
        ids = [r.get("id") for r in records]
        given = None if all(i is None for i in ids) else ids
        return await self.upsert(index_name, vectors, metadata, given)  # type: ignore[arg-type]

    async def _query(
        self, index_name: str, config: IndexConfig, query: VectorQuery
    ) -> list[QueryResult]:
        collection = self._db()[index_name]
        search: dict[str, Any] = {
            "index": f"{index_name}_vector_index",
            "path": self.embedding_field,
            "queryVector": query.vector,
            "limit": query.top_k,
        }
        if query.condition is not None:
            match = {"$and": [{"_id": {"$ne": META_ID}}, translate_filter(query.condition)]}
            cursor = await self._guard(
                "query", collection.aggregate([{"$match": match}, {"$project": {"_id": 1}}])
            )
            ids = [d["_id"] for d in await self._guard("query", cursor.to_list())]
            if not ids:
                return []
            search["filter"] = {"_id": {"$in": ids}}
            search["exact"] = True
        else:
            search["numCandidates"] = min(10_000, max(100, 10 * query.top_k))
        project: dict[str, Any] = {"_id": 1, "score": 1, "metadata": 1}
        if query.include_vector:
            project[self.embedding_field] = 1
        pipeline = [
            {"$vectorSearch": search},
            {"$set": {"score": {"$meta": "vectorSearchScore"}}},
            {"$project": project},
        ]
        cursor = await self._guard("query", collection.aggregate(pipeline))
        docs = await self._guard("query", cursor.to_list())
        results = []
        for doc in docs:
            raw = float(doc.get("score", 0.0))
            score = raw if config.metric == "euclidean" else 2 * raw - 1
            if query.min_score is not None and score < query.min_score:
                continue
            results.append(
                QueryResult(
                    id=str(doc["_id"]),
                    score=score,
                    metadata=dict(doc.get("metadata") or {}),
                    vector=[float(x) for x in doc.get(self.embedding_field, [])]
                    if query.include_vector
                    else None,
                )
            )
        return results

    async def _update(self, index_name: str, config: IndexConfig, update: VectorUpdate) -> int:
        changes: dict[str, Any] = {}
        if update.vector is not None:
            changes[self.embedding_field] = update.vector
        if update.metadata_json is not None:
            changes["metadata"] = metadata_from_json(update.metadata_json)
        collection = self._db()[index_name]
        selector = self._selector(update.target)
        result = await self._guard(
            "updateVector", collection.update_many(selector, {"$set": changes})
        )
        return int(result.matched_count)

    async def _delete(self, index_name: str, target: list[str] | Node) -> int:
        collection = self._db()[index_name]
        result = await self._guard("deleteVectors", collection.delete_many(self._selector(target)))
        return int(result.deleted_count)

    @staticmethod
    def _selector(target: str | list[str] | Node) -> dict[str, Any]:
        if isinstance(target, str):
            return {"_id": target}
        if isinstance(target, list):
            return {"_id": {"$in": target}}
        return {"$and": [{"_id": {"$ne": META_ID}}, translate_filter(target)]}


__all__ = ["META_ID", "MongoDBVector"]
