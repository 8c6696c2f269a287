"""The default indexes of ``@mastra/mongodb`` 1.19.0 on Mastra's collections
(:mod:`mastra_storage.layout` names them).

MongoDB creates a collection on its first write; ``init()`` creates the indexes (which
creates the collections), exactly the ones Mastra's release creates, so a database set up
by either side is what the other expects. A failed *unique* index (duplicates already
stored) aborts ``init`` with an explanation instead of being swallowed (Mastra PR #22013).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from mastra_storage.errors import BackendError, ConflictError
from mastra_storage.layout import (
    TABLE_MESSAGES,
    TABLE_RESOURCES,
    TABLE_SCORERS,
    TABLE_SPANS,
    TABLE_THREADS,
    TABLE_WORKFLOW_SNAPSHOT,
)
from mastra_storage.om_records import TABLE_OBSERVATIONAL_MEMORY

from .connection import MongoConnection

Keys = tuple[tuple[str, int], ...]


class IndexSpec(msgspec.Struct, frozen=True):
    collection: str
    keys: Keys
    unique: bool = False

    @property
    def name(self) -> str:
        """The server's default name (``thread_id_1_createdAt_1``), as Mastra's indexes get."""
        return "_".join(f"{field}_{direction}" for field, direction in self.keys)


MEMORY_INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(TABLE_THREADS, (("id", 1),), unique=True),
    IndexSpec(TABLE_THREADS, (("resourceId", 1), ("createdAt", -1))),
    IndexSpec(TABLE_THREADS, (("resourceId", 1), ("updatedAt", -1))),
    IndexSpec(TABLE_MESSAGES, (("id", 1),), unique=True),
    IndexSpec(TABLE_MESSAGES, (("thread_id", 1), ("createdAt", 1))),
    IndexSpec(TABLE_MESSAGES, (("resourceId", 1), ("createdAt", 1))),
    IndexSpec(TABLE_RESOURCES, (("id", 1),), unique=True),
    IndexSpec(TABLE_OBSERVATIONAL_MEMORY, (("id", 1),), unique=True),
    IndexSpec(TABLE_OBSERVATIONAL_MEMORY, (("lookupKey", 1), ("generationCount", -1))),
)
WORKFLOW_INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(TABLE_WORKFLOW_SNAPSHOT, (("workflow_name", 1), ("run_id", 1)), unique=True),
    IndexSpec(TABLE_WORKFLOW_SNAPSHOT, (("run_id", 1),)),
    IndexSpec(TABLE_WORKFLOW_SNAPSHOT, (("workflow_name", 1),)),
    IndexSpec(TABLE_WORKFLOW_SNAPSHOT, (("resourceId", 1),)),
    IndexSpec(TABLE_WORKFLOW_SNAPSHOT, (("createdAt", -1),)),
    IndexSpec(TABLE_WORKFLOW_SNAPSHOT, (("snapshot.status", 1),)),
)
SCORE_INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(TABLE_SCORERS, (("id", 1),), unique=True),
    IndexSpec(TABLE_SCORERS, (("scorerId", 1),)),
    IndexSpec(TABLE_SCORERS, (("runId", 1),)),
    IndexSpec(TABLE_SCORERS, (("entityId", 1), ("entityType", 1))),
    IndexSpec(TABLE_SCORERS, (("traceId", 1), ("spanId", 1))),
    IndexSpec(TABLE_SCORERS, (("createdAt", -1),)),
    IndexSpec(TABLE_SCORERS, (("source", 1),)),
)
SPAN_INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(TABLE_SPANS, (("spanId", 1), ("traceId", 1)), unique=True),
    IndexSpec(TABLE_SPANS, (("traceId", 1),)),
    IndexSpec(TABLE_SPANS, (("parentSpanId", 1),)),
    IndexSpec(TABLE_SPANS, (("startedAt", -1),)),
    IndexSpec(TABLE_SPANS, (("spanType", 1),)),
    IndexSpec(TABLE_SPANS, (("name", 1),)),
)
ALL_INDEXES: tuple[IndexSpec, ...] = (
    *MEMORY_INDEXES,
    *WORKFLOW_INDEXES,
    *SCORE_INDEXES,
    *SPAN_INDEXES,
)


async def ensure_indexes(conn: MongoConnection, specs: Sequence[IndexSpec]) -> None:
    """Create the ``specs`` that do not exist yet.

    One ``listIndexes`` per collection first, so a warm ``init`` (every index present) costs
    one round trip per collection instead of one ``createIndexes`` per index.
    """
    present = await _present_keys(conn, {spec.collection for spec in specs})
    for spec in specs:
        if spec.keys in present.get(spec.collection, set()):
            continue
        options: dict[str, Any] = {"unique": True} if spec.unique else {}
        try:
            await conn.guard(
                "init",
                conn.collection(spec.collection).create_index(list(spec.keys), **options),
            )
        except (BackendError, ConflictError) as exc:
            hint = (
                " Stored documents have duplicate keys or a non-unique index of the same "
                "keys exists; remove the duplicates / drop that index, then run init() again."
                if spec.unique
                else ""
            )
            raise BackendError(
                f"MongoDB: could not create index {spec.name} on {spec.collection}: "
                f"{exc.message}.{hint}",
                id="MASTRA_STORAGE_MONGODB_CREATE_DEFAULT_INDEXES_FAILED",
                details={"collection": spec.collection, "index": spec.name},
            ) from exc


async def _present_keys(conn: MongoConnection, collections: set[str]) -> dict[str, set[Keys]]:
    """Key patterns of the indexes that exist, by collection (a missing collection: none).

    An existing index with the same keys but other options (e.g. non-unique) counts as
    present here and is reported by ``doctor``; Mastra's init would fail on it instead.
    """
    out: dict[str, set[Keys]] = {}
    for collection in sorted(collections):
        cursor = await conn.guard("init", conn.collection(collection).list_indexes())
        infos = await conn.guard("init", cursor.to_list())
        out[collection] = {
            tuple((str(k), int(v)) for k, v in info["key"].items()) for info in infos
        }
    return out


async def missing_indexes(conn: MongoConnection) -> list[str]:
    """``collection.index`` names of default indexes that do not exist, or exist without
    the unique option Mastra requires (for ``doctor``)."""
    missing: list[str] = []
    for spec in ALL_INDEXES:
        cursor = await conn.guard("doctor", conn.collection(spec.collection).list_indexes())
        infos = await conn.guard("doctor", cursor.to_list())
        ok = any(
            tuple((str(k), int(v)) for k, v in info["key"].items()) == spec.keys
            and (bool(info.get("unique")) or not spec.unique)
            for info in infos
        )
        if not ok:
            missing.append(f"{spec.collection}.{spec.name}")
    return missing


__all__ = [
    "ALL_INDEXES",
    "MEMORY_INDEXES",
    "SCORE_INDEXES",
    "SPAN_INDEXES",
    "WORKFLOW_INDEXES",
    "IndexSpec",
    "ensure_indexes",
    "missing_indexes",
]
