"""Collection names and the default indexes of ``@mastra/mongodb`` 1.19.0.

MongoDB creates a collection on its first write; ``init()`` creates the indexes (which
creates the collections), exactly the ones Mastra's release creates, so a database set up
by either side is what the other expects. A failed *unique* index (duplicates already
stored) aborts ``init`` with an explanation instead of being swallowed (Mastra PR #22013).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from mastra_storage.errors import BackendError

from .connection import MongoConnection

THREADS = "mastra_threads"
MESSAGES = "mastra_messages"
RESOURCES = "mastra_resources"
WORKFLOW_SNAPSHOT = "mastra_workflow_snapshot"
SCORERS = "mastra_scorers"
SPANS = "mastra_ai_spans"

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
    IndexSpec(THREADS, (("id", 1),), unique=True),
    IndexSpec(THREADS, (("resourceId", 1), ("createdAt", -1))),
    IndexSpec(THREADS, (("resourceId", 1), ("updatedAt", -1))),
    IndexSpec(MESSAGES, (("id", 1),), unique=True),
    IndexSpec(MESSAGES, (("thread_id", 1), ("createdAt", 1))),
    IndexSpec(MESSAGES, (("resourceId", 1), ("createdAt", 1))),
    IndexSpec(RESOURCES, (("id", 1),), unique=True),
)
WORKFLOW_INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(WORKFLOW_SNAPSHOT, (("workflow_name", 1), ("run_id", 1)), unique=True),
    IndexSpec(WORKFLOW_SNAPSHOT, (("run_id", 1),)),
    IndexSpec(WORKFLOW_SNAPSHOT, (("workflow_name", 1),)),
    IndexSpec(WORKFLOW_SNAPSHOT, (("resourceId", 1),)),
    IndexSpec(WORKFLOW_SNAPSHOT, (("createdAt", -1),)),
    IndexSpec(WORKFLOW_SNAPSHOT, (("snapshot.status", 1),)),
)
SCORE_INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(SCORERS, (("id", 1),), unique=True),
    IndexSpec(SCORERS, (("scorerId", 1),)),
    IndexSpec(SCORERS, (("runId", 1),)),
    IndexSpec(SCORERS, (("entityId", 1), ("entityType", 1))),
    IndexSpec(SCORERS, (("traceId", 1), ("spanId", 1))),
    IndexSpec(SCORERS, (("createdAt", -1),)),
    IndexSpec(SCORERS, (("source", 1),)),
)
SPAN_INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec(SPANS, (("spanId", 1), ("traceId", 1)), unique=True),
    IndexSpec(SPANS, (("traceId", 1),)),
    IndexSpec(SPANS, (("parentSpanId", 1),)),
    IndexSpec(SPANS, (("startedAt", -1),)),
    IndexSpec(SPANS, (("spanType", 1),)),
    IndexSpec(SPANS, (("name", 1),)),
)
ALL_INDEXES: tuple[IndexSpec, ...] = (
    *MEMORY_INDEXES,
    *WORKFLOW_INDEXES,
    *SCORE_INDEXES,
    *SPAN_INDEXES,
)


async def ensure_indexes(conn: MongoConnection, specs: Sequence[IndexSpec]) -> None:
    """Create ``specs`` (idempotent: an identical existing index is a no-op)."""
    for spec in specs:
        options: dict[str, Any] = {"unique": True} if spec.unique else {}
        try:
            await conn.guard(
                "init",
                conn.collection(spec.collection).create_index(list(spec.keys), **options),
            )
        except BackendError as exc:
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


async def missing_indexes(conn: MongoConnection) -> list[str]:
    """``collection.index`` names of default indexes that do not exist (for ``doctor``)."""
    missing: list[str] = []
    by_collection: dict[str, list[IndexSpec]] = {}
    for spec in ALL_INDEXES:
        by_collection.setdefault(spec.collection, []).append(spec)
    for collection, specs in by_collection.items():
        info = await conn.guard("doctor", conn.collection(collection).index_information())
        present = {tuple((str(k), int(v)) for k, v in meta["key"]) for meta in info.values()}
        missing.extend(f"{collection}.{s.name}" for s in specs if s.keys not in present)
    return missing


__all__ = [
    "ALL_INDEXES",
    "MEMORY_INDEXES",
    "MESSAGES",
    "RESOURCES",
    "SCORERS",
    "SCORE_INDEXES",
    "SPANS",
    "SPAN_INDEXES",
    "THREADS",
    "WORKFLOW_INDEXES",
    "WORKFLOW_SNAPSHOT",
    "IndexSpec",
    "ensure_indexes",
    "missing_indexes",
]
