"""ElectroDB key strings and the table layout of ``@mastra/dynamodb`` 1.0.0 (ElectroDB 3.9).

ElectroDB builds every key from a template and lower-cases attribute names and values
(its default ``casing``): partition keys are ``$mastra#<attr>_<value>#...`` and sort keys
``$<entity>_1#<attr>_<value>...``. A shared table is only readable by both sides if these
strings match byte for byte, so they are built in this one module (checked against
ElectroDB's own ``.params()`` output in the tests). Items also carry ElectroDB's ownership
attributes ``__edb_e__`` (entity) and ``__edb_v__`` (version): ElectroDB drops query results
without them.
"""

from __future__ import annotations

from collections.abc import Sequence

SERVICE = "mastra"
VERSION = "1"
GSI_COUNT = 7
#: Entities whose items this adapter writes or reads, by their ElectroDB name.
ENTITIES = ("thread", "message", "resource", "workflow_snapshot", "score", "trace", "eval")

Composite = Sequence[tuple[str, str]]


def partition_key(entity: str, composite: Composite = ()) -> str:
    """``$mastra#entity_<entity>#<attr>_<value>...`` (names and values lower-cased)."""
    parts = [f"entity_{entity}"] + [f"{name.lower()}_{value.lower()}" for name, value in composite]
    return f"${SERVICE}#" + "#".join(parts)


def sort_key(entity: str, composite: Composite = ()) -> str:
    """``$<entity>_1#<attr>_<value>...``; just ``$<entity>_1`` when there is no composite."""
    return f"${entity}_{VERSION}" + "".join(
        f"#{name.lower()}_{value.lower()}" for name, value in composite
    )


def sort_prefix(entity: str, attribute: str) -> str:
    """The ``begins_with`` prefix ElectroDB queries a sort key with: ``$<entity>_1#<attr>_``."""
    return f"${entity}_{VERSION}#{attribute.lower()}_"


def ownership(entity: str) -> dict[str, str]:
    """The attributes every ElectroDB item carries (``entity`` is Mastra's own discriminator)."""
    return {"entity": entity, "__edb_e__": entity, "__edb_v__": VERSION}


# ---- per entity --------------------------------------------------------------------------


def thread_key(thread_id: str) -> dict[str, str]:
    return {
        "pk": partition_key("thread", [("id", thread_id)]),
        "sk": sort_key("thread", [("id", thread_id)]),
    }


def thread_gsi1pk(resource_id: str) -> str:
    return partition_key("thread", [("resourceId", resource_id)])


def message_key(message_id: str) -> dict[str, str]:
    return {
        "pk": partition_key("message", [("id", message_id)]),
        "sk": sort_key("message", [("entity", "message")]),
    }


def message_gsi1pk(thread_id: str) -> str:
    return partition_key("message", [("threadId", thread_id)])


def created_sort_key(entity: str, created_at_iso: str) -> str:
    """GSI sort key ``$<entity>_1#createdat_<iso, lower-cased>`` (ordering is unchanged)."""
    return sort_key(entity, [("createdAt", created_at_iso)])


def resource_key(resource_id: str) -> dict[str, str]:
    return {
        "pk": partition_key("resource", [("id", resource_id)]),
        "sk": sort_key("resource", [("entity", "resource")]),
    }


def run_key(workflow_name: str, run_id: str) -> dict[str, str]:
    return {
        "pk": run_partition(workflow_name),
        "sk": sort_key("workflow_snapshot", [("run_id", run_id)]),
    }


def run_partition(workflow_name: str) -> str:
    return partition_key("workflow_snapshot", [("workflow_name", workflow_name)])


def run_gsi2(workflow_name: str, run_id: str) -> dict[str, str]:
    return {
        "gsi2pk": run_gsi2pk(run_id),
        "gsi2sk": sort_key("workflow_snapshot", [("workflow_name", workflow_name)]),
    }


def run_gsi2pk(run_id: str) -> str:
    return partition_key("workflow_snapshot", [("run_id", run_id)])


def score_key(score_id: str) -> dict[str, str]:
    return {
        "pk": partition_key("score", [("id", score_id)]),
        "sk": sort_key("score", [("entity", "score")]),
    }


#: Score GSIs: index -> partition composite (the sort key is always ``createdAt``).
SCORE_INDEXES: dict[str, tuple[str, ...]] = {
    "gsi1": ("scorerId",),
    "gsi2": ("runId",),
    "gsi3": ("traceId",),
    "gsi4": ("entityId",),
    "gsi5": ("resourceId",),
    "gsi6": ("threadId",),
    "gsi7": ("traceId", "spanId"),
}


def score_gsi_pk(index: str, values: Sequence[str]) -> str:
    return partition_key("score", list(zip(SCORE_INDEXES[index], values, strict=True)))


# ---- the table ---------------------------------------------------------------------------


def index_names() -> list[str]:
    return [f"gsi{n}" for n in range(1, GSI_COUNT + 1)]


def table_definition(table_name: str) -> dict[str, object]:
    """``CreateTable`` arguments: ``pk``/``sk`` plus ``gsi1``..``gsi7`` (projection ALL,
    as Mastra's queries read whole items from the indexes), on-demand billing."""
    attributes = ["pk", "sk"] + [f"{g}{part}" for g in index_names() for part in ("pk", "sk")]
    return {
        "TableName": table_name,
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in attributes],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": g,
                "KeySchema": [
                    {"AttributeName": f"{g}pk", "KeyType": "HASH"},
                    {"AttributeName": f"{g}sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for g in index_names()
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }


__all__ = [
    "ENTITIES",
    "GSI_COUNT",
    "SCORE_INDEXES",
    "SERVICE",
    "VERSION",
    "created_sort_key",
    "index_names",
    "message_gsi1pk",
    "message_key",
    "ownership",
    "partition_key",
    "resource_key",
    "run_gsi2",
    "run_gsi2pk",
    "run_key",
    "run_partition",
    "score_gsi_pk",
    "score_key",
    "sort_key",
    "sort_prefix",
    "table_definition",
    "thread_gsi1pk",
    "thread_key",
]
