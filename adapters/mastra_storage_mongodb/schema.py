"""The default indexes of ``@mastra/mongodb`` 1.19.0 on Mastra's collections
(:mod:`mastra_storage.layout` names them).

MongoDB creates a collection on its first write; ``init()`` creates the indexes (which
creates the collections), exactly the ones Mastra's release creates, so a database set up
by either side is what the other expects. A failed *unique* index (duplicates already
stored) aborts ``init`` with an explanation instead of being swallowed (Mastra PR #22013).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from mastra_storage.backend.editor import EDITOR_DOMAINS, EditorDomain
from mastra_storage.errors import BackendError, ConfigurationError, ConflictError
from mastra_storage.layout import (
    TABLE_MESSAGES,
    TABLE_RESOURCES,
    TABLE_SCORERS,
    TABLE_SPANS,
    TABLE_THREADS,
    TABLE_WORKFLOW_SNAPSHOT,
)
from mastra_storage.om_records import TABLE_OBSERVATIONAL_MEMORY
from mastra_storage.retention import RetentionPolicy

from .connection import MongoConnection

log = logging.getLogger("mastra_storage.mongodb")

Keys = tuple[tuple[str, "int | str"], ...]


class IndexSpec(msgspec.Struct, frozen=True):
    """One index: collection, key pattern, and ``createIndex`` options (``options`` holds
    the extra ones of custom and TTL indexes, e.g. ``expireAfterSeconds``)."""

    collection: str
    keys: Keys
    unique: bool = False
    options: tuple[tuple[str, Any], ...] = ()

    @property
    def name(self) -> str:
        """The ``name`` option, else the server's default name (``thread_id_1_createdAt_1``),
        as Mastra's indexes get."""
        explicit = dict(self.options).get("name")
        if isinstance(explicit, str):
            return explicit
        return "_".join(f"{field}_{direction}" for field, direction in self.keys)

    @property
    def expire_after_seconds(self) -> int | None:
        value = dict(self.options).get("expireAfterSeconds")
        return value if isinstance(value, int) else None


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


def editor_indexes(domain: EditorDomain) -> tuple[IndexSpec, ...]:
    """The indexes @mastra/mongodb 1.19.0 creates for one versioned editor domain: a
    unique ``id`` on both collections and a unique version number per parent (which is
    what keeps two writers from storing the same number)."""
    entities, versions = domain.entity_table.name, domain.version_table.name
    parent = domain.parent_column
    # Skills and workspaces index status and the parent alone; the other five index
    # updatedAt and (parent, createdAt); agents have no authorId index.
    short = domain.name in ("skills", "workspaces")
    specs = [IndexSpec(entities, (("id", 1),), unique=True)]
    if domain.name != "agents":
        specs.append(IndexSpec(entities, (("authorId", 1),)))
    specs.append(IndexSpec(entities, (("createdAt", -1),)))
    specs.append(IndexSpec(entities, (("status", 1),) if short else (("updatedAt", -1),)))
    specs.append(IndexSpec(versions, (("id", 1),), unique=True))
    specs.append(IndexSpec(versions, ((parent, 1), ("versionNumber", -1)), unique=True))
    specs.append(IndexSpec(versions, ((parent, 1),) if short else ((parent, 1), ("createdAt", -1))))
    return tuple(specs)


EDITOR_INDEXES: tuple[IndexSpec, ...] = tuple(
    spec for domain in EDITOR_DOMAINS for spec in editor_indexes(domain)
)


def _named(collection: str, name: str, keys: Keys, *, unique: bool = False) -> IndexSpec:
    return IndexSpec(collection, keys, unique=unique, options=(("name", name),))


#: The datasets, experiments and blobs indexes of @mastra/mongodb 1.19.0 (dataset indexes
#: under the release's own names).
EVAL_INDEXES: tuple[IndexSpec, ...] = (
    _named("mastra_datasets", "idx_datasets_id", (("id", 1),), unique=True),
    _named("mastra_datasets", "idx_datasets_createdat_id", (("createdAt", -1), ("id", 1))),
    _named(
        "mastra_datasets",
        "idx_datasets_tenancy_candidate",
        (("organizationId", 1), ("projectId", 1), ("candidateKey", 1), ("candidateId", 1)),
    ),
    _named(
        "mastra_datasets",
        "idx_datasets_tenancy_createdat_id",
        (("organizationId", 1), ("projectId", 1), ("createdAt", -1), ("id", 1)),
    ),
    _named("mastra_dataset_items", "idx_dataset_items_datasetid", (("datasetId", 1),)),
    _named(
        "mastra_dataset_items",
        "idx_dataset_items_datasetid_externalid_version",
        (("datasetId", 1), ("externalId", 1), ("datasetVersion", 1)),
    ),
    _named(
        "mastra_dataset_items",
        "idx_dataset_items_datasetid_isdeleted",
        (("datasetId", 1), ("isDeleted", 1)),
    ),
    _named(
        "mastra_dataset_items",
        "idx_dataset_items_datasetid_validto",
        (("datasetId", 1), ("validTo", 1)),
    ),
    _named(
        "mastra_dataset_items",
        "idx_dataset_items_datasetid_version",
        (("datasetId", 1), ("datasetVersion", 1)),
    ),
    _named("mastra_dataset_items", "idx_dataset_items_id_validto", (("id", 1), ("validTo", 1))),
    _named(
        "mastra_dataset_items",
        "idx_dataset_items_list",
        (("datasetId", 1), ("validTo", 1), ("isDeleted", 1), ("createdAt", -1), ("id", 1)),
    ),
    _named(
        "mastra_dataset_items",
        "idx_dataset_items_tenancy_list",
        (
            ("organizationId", 1),
            ("projectId", 1),
            ("datasetId", 1),
            ("validTo", 1),
            ("isDeleted", 1),
        ),
    ),
    _named("mastra_dataset_versions", "idx_dataset_versions_datasetid", (("datasetId", 1),)),
    _named(
        "mastra_dataset_versions",
        "idx_dataset_versions_datasetid_version",
        (("datasetId", 1), ("version", 1)),
        unique=True,
    ),
    IndexSpec("mastra_experiments", (("id", 1),), unique=True),
    IndexSpec("mastra_experiments", (("createdAt", -1), ("id", 1))),
    IndexSpec("mastra_experiments", (("datasetId", 1),)),
    IndexSpec(
        "mastra_experiments",
        (("experimentSetId", 1), ("comparisonId", 1), ("variantId", 1), ("trialIndex", 1)),
    ),
    IndexSpec("mastra_experiments", (("organizationId", 1), ("projectId", 1))),
    IndexSpec("mastra_experiment_results", (("id", 1),), unique=True),
    IndexSpec("mastra_experiment_results", (("createdAt", -1),)),
    IndexSpec("mastra_experiment_results", (("experimentId", 1),)),
    IndexSpec(
        "mastra_experiment_results",
        (("experimentId", 1), ("itemId", 1), ("attempt", 1)),
        unique=True,
    ),
    IndexSpec("mastra_experiment_results", (("experimentId", 1), ("startedAt", 1), ("id", 1))),
    IndexSpec("mastra_experiment_results", (("organizationId", 1), ("projectId", 1))),
    IndexSpec("mastra_skill_blobs", (("hash", 1),), unique=True),
)
ALL_INDEXES: tuple[IndexSpec, ...] = (
    *MEMORY_INDEXES,
    *WORKFLOW_INDEXES,
    *SCORE_INDEXES,
    *SPAN_INDEXES,
    *EDITOR_INDEXES,
    *EVAL_INDEXES,
)


#: Options a custom index may set (``createIndex`` options that change no stored data).
CUSTOM_INDEX_OPTIONS = frozenset(
    {
        "name",
        "unique",
        "sparse",
        "partialFilterExpression",
        "expireAfterSeconds",
        "collation",
        "hidden",
        "weights",
        "default_language",
        "language_override",
    }
)
_KEY_TYPES = frozenset({"text", "hashed", "2dsphere", "2d"})
_COLLECTION = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,119}")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,199}")
MAX_CUSTOM_INDEXES = 64


def _bad_index(position: int, message: str) -> ConfigurationError:
    return ConfigurationError(
        f"MongoDBStore: indexes[{position}]: {message}",
        id="MASTRA_STORAGE_MONGODB_CONSTRUCTOR_FAILED",
    )


def custom_index_specs(indexes: Sequence[Mapping[str, Any]]) -> tuple[IndexSpec, ...]:
    """Validated custom indexes, Mastra's shape: ``{"collection": ..., "keys": {field: 1 |
    -1 | "text" | "hashed" | "2dsphere"}, "options": {...}}``.

    :raises ConfigurationError: not a list of such objects, an invalid collection or field
        name, a key direction or option outside the lists above, or more than 64 indexes.
    """
    if isinstance(indexes, (str, bytes, Mapping)) or not isinstance(indexes, Sequence):
        raise ConfigurationError(
            "MongoDBStore: indexes must be a list of {collection, keys, options?} objects",
            id="MASTRA_STORAGE_MONGODB_CONSTRUCTOR_FAILED",
        )
    if len(indexes) > MAX_CUSTOM_INDEXES:
        raise _bad_index(MAX_CUSTOM_INDEXES, f"at most {MAX_CUSTOM_INDEXES} custom indexes")
    specs: list[IndexSpec] = []
    for position, raw in enumerate(indexes):
        if not isinstance(raw, Mapping):
            raise _bad_index(position, "must be an object")
        unknown = set(raw) - {"collection", "keys", "options"}
        if unknown:
            raise _bad_index(position, f"unknown fields {sorted(map(str, unknown))}")
        collection = raw.get("collection")
        if not isinstance(collection, str) or not _COLLECTION.fullmatch(collection):
            raise _bad_index(position, f"invalid collection name {str(collection)[:80]!r}")
        if collection.startswith("system."):
            raise _bad_index(position, "system collections cannot be indexed")
        keys = raw.get("keys")
        if not isinstance(keys, Mapping) or not keys:
            raise _bad_index(position, "keys must be a non-empty object {field: 1 | -1}")
        pattern: list[tuple[str, int | str]] = []
        for field, direction in keys.items():
            if not isinstance(field, str) or not _FIELD.fullmatch(field) or ".." in field:
                raise _bad_index(position, f"invalid field name {str(field)[:80]!r}")
            if isinstance(direction, bool) or direction not in (1, -1, *_KEY_TYPES):
                raise _bad_index(position, f"key {field}: direction must be 1, -1 or a type")
            pattern.append((field, direction))
        options = raw.get("options") or {}
        if not isinstance(options, Mapping):
            raise _bad_index(position, "options must be an object")
        bad = set(options) - CUSTOM_INDEX_OPTIONS
        if bad:
            raise _bad_index(position, f"unsupported options {sorted(map(str, bad))}")
        ttl = options.get("expireAfterSeconds")
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0):
            raise _bad_index(position, "expireAfterSeconds must be a non-negative integer")
        unique = options.get("unique", False)
        if not isinstance(unique, bool):
            raise _bad_index(position, "unique must be true or false")
        extra = tuple(sorted((k, v) for k, v in options.items() if k != "unique"))
        specs.append(IndexSpec(collection, tuple(pattern), unique=unique, options=extra))
    return tuple(specs)


#: The collections a retention policy can expire with a TTL index, and the BSON date field
#: the index watches. Threads are not among them: a TTL index deletes documents one by
#: one, so an expired thread would leave its messages behind (use ``prune`` for threads).
TTL_FIELDS: dict[str, tuple[str, str]] = {
    "message": (TABLE_MESSAGES, "createdAt"),
    "workflow_snapshot": (TABLE_WORKFLOW_SNAPSHOT, "updatedAt"),
    "trace": (TABLE_SPANS, "startedAt"),
}


def ttl_index_specs(policy: RetentionPolicy) -> tuple[IndexSpec, ...]:
    """TTL indexes (``{field: 1}``, ``expireAfterSeconds``) for the kinds the policy sets
    that are safe to expire document by document (:data:`TTL_FIELDS`); a policy on
    threads is logged and left to :func:`~mastra_storage.retention.prune`."""
    specs: list[IndexSpec] = []
    for kind, seconds in policy.ttl_seconds().items():
        if kind not in TTL_FIELDS:
            log.warning(
                "MongoDBStore: no TTL index for %s (it would orphan their messages); "
                "run mastra_storage.retention.prune for them",
                kind,
            )
            continue
        collection, field = TTL_FIELDS[kind]
        options = (("expireAfterSeconds", seconds), ("name", f"mastra_ttl_{field}"))
        specs.append(IndexSpec(collection, ((field, 1),), options=options))
    return tuple(specs)


async def ensure_indexes(conn: MongoConnection, specs: Sequence[IndexSpec]) -> None:
    """Create the ``specs`` that do not exist yet.

    One ``listIndexes`` per collection first, so a warm ``init`` (every index present) costs
    one round trip per collection instead of one ``createIndexes`` per index.
    """
    present = await _present_keys(conn, {spec.collection for spec in specs})
    for spec in specs:
        existing = present.get(spec.collection, {})
        if spec.keys in existing:
            ttl = spec.expire_after_seconds
            if ttl is not None and existing[spec.keys] != ttl:
                await _retime_ttl(conn, spec, ttl)
            continue
        options: dict[str, Any] = {"unique": True} if spec.unique else {}
        options.update(spec.options)
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


async def _retime_ttl(conn: MongoConnection, spec: IndexSpec, seconds: int) -> None:
    """A changed retention period: ``collMod`` updates the TTL index in place (recreating
    it would leave the collection without expiry meanwhile)."""
    command = {
        "collMod": spec.collection,
        "index": {"keyPattern": dict(spec.keys), "expireAfterSeconds": seconds},
    }
    await conn.guard("init", conn.db.command(command))


def _key_pattern(info: Mapping[str, Any]) -> Keys:
    return tuple((str(k), v if isinstance(v, str) else int(v)) for k, v in info["key"].items())


async def _present_keys(
    conn: MongoConnection, collections: set[str]
) -> dict[str, dict[Keys, int | None]]:
    """Key patterns of the indexes that exist (with their ``expireAfterSeconds``), by
    collection (a missing collection: none).

    An existing index with the same keys but other options (e.g. non-unique) counts as
    present here and is reported by ``doctor``; Mastra's init would fail on it instead.
    """
    out: dict[str, dict[Keys, int | None]] = {}
    for collection in sorted(collections):
        cursor = await conn.guard("init", conn.collection(collection).list_indexes())
        infos = await conn.guard("init", cursor.to_list())
        out[collection] = {
            _key_pattern(info): (
                int(info["expireAfterSeconds"]) if "expireAfterSeconds" in info else None
            )
            for info in infos
        }
    return out


async def missing_indexes(
    conn: MongoConnection, specs: Sequence[IndexSpec] = ALL_INDEXES
) -> list[str]:
    """``collection.index`` names of the ``specs`` (default: Mastra's default indexes) that
    do not exist, or exist without the unique option Mastra requires (for ``doctor``)."""
    missing: list[str] = []
    for spec in specs:
        cursor = await conn.guard("doctor", conn.collection(spec.collection).list_indexes())
        infos = await conn.guard("doctor", cursor.to_list())
        ok = any(
            _key_pattern(info) == spec.keys and (bool(info.get("unique")) or not spec.unique)
            for info in infos
        )
        if not ok:
            missing.append(f"{spec.collection}.{spec.name}")
    return missing


__all__ = [
    "ALL_INDEXES",
    "EDITOR_INDEXES",
    "EVAL_INDEXES",
    "MEMORY_INDEXES",
    "SCORE_INDEXES",
    "SPAN_INDEXES",
    "TTL_FIELDS",
    "WORKFLOW_INDEXES",
    "IndexSpec",
    "custom_index_specs",
    "editor_indexes",
    "ensure_indexes",
    "missing_indexes",
    "ttl_index_specs",
]
