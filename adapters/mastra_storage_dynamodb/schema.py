"""Provision and inspect the single table: ``pk``/``sk``, ``gsi1``..``gsi7``, TTL.

``@mastra/dynamodb`` expects the table to exist (TABLE_SETUP.md); :func:`create_table`
provisions exactly what it and this adapter query, idempotently, and :func:`inspect_table`
is what ``doctor`` reports: a missing table, wrong key schema, or a missing or mis-keyed GSI.
"""

from __future__ import annotations

import asyncio
from typing import Any

from mastra_storage.errors import BackendError, ConfigurationError

from .keys import index_names, table_definition
from .resource_index import mark_complete
from .table import DynamoTable

_ACTIVE_TIMEOUT_S = 300.0


async def describe(table: DynamoTable) -> dict[str, Any] | None:
    """``DescribeTable``'s ``Table``, or ``None`` when the table does not exist."""
    try:
        response = await table.call("describe_table", TableName=table.name)
    except ConfigurationError as exc:
        if exc.id == "MASTRA_STORAGE_DYNAMODB_TABLE_NOT_FOUND":
            return None
        raise
    description: dict[str, Any] = response["Table"]
    return description


async def create_table(table: DynamoTable, *, ttl_attribute: str | None) -> list[str]:
    """Create the table and its GSIs (on-demand billing) and enable TTL when configured.

    Idempotent: an existing table is kept (and checked). Returns what was done, one line
    per step, for the CLI.
    """
    done: list[str] = []
    created = False
    try:
        await table.call("create_table", **table_definition(table.name))
        done.append(f"created table {table.name} with {', '.join(index_names())}")
        created = True
    except BackendError as exc:
        if exc.details.get("code") != "ResourceInUseException":
            raise
        done.append(f"table {table.name} already exists")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _ACTIVE_TIMEOUT_S
    while True:
        description = await describe(table)
        if description is not None and description.get("TableStatus") == "ACTIVE":
            break
        if loop.time() > deadline:
            raise BackendError(
                f"table {table.name} did not become ACTIVE within {_ACTIVE_TIMEOUT_S:.0f} s",
                id="MASTRA_STORAGE_DYNAMODB_TABLE_NOT_ACTIVE",
            )
        await asyncio.sleep(1.0)
    problems = layout_problems(description)
    if problems:
        raise ConfigurationError(
            f"table {table.name} exists with another layout: " + "; ".join(problems),
            id="MASTRA_STORAGE_DYNAMODB_TABLE_MISMATCH",
        )
    if created:
        # A new table holds no message the resource index could miss.
        await mark_complete(table)
        done.append("marked the message-by-resource index complete (new table)")
    if ttl_attribute is not None:
        done.append(await enable_ttl(table, ttl_attribute))
    return done


async def enable_ttl(table: DynamoTable, attribute: str) -> str:
    current = await ttl_status(table)
    if current == ("ENABLED", attribute):
        return f"TTL already enabled on attribute {attribute!r}"
    if current[0] in ("ENABLED", "ENABLING") and current[1] != attribute:
        raise ConfigurationError(
            f"table {table.name} already has TTL on attribute {current[1]!r}; DynamoDB allows "
            f"one TTL attribute per table (configured: {attribute!r})",
            id="MASTRA_STORAGE_DYNAMODB_TTL_MISMATCH",
        )
    await table.call(
        "update_time_to_live",
        TableName=table.name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
    )
    return f"enabled TTL on attribute {attribute!r}"


async def ttl_status(table: DynamoTable) -> tuple[str, str | None]:
    response = await table.call("describe_time_to_live", TableName=table.name)
    spec = response.get("TimeToLiveDescription", {})
    return str(spec.get("TimeToLiveStatus", "DISABLED")), spec.get("AttributeName")


def _keys(schema: list[dict[str, str]]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in schema}


def layout_problems(description: dict[str, Any]) -> list[str]:
    """Differences between a ``DescribeTable`` result and the layout Mastra queries."""
    problems: list[str] = []
    types = {a["AttributeName"]: a["AttributeType"] for a in description["AttributeDefinitions"]}
    table_keys = _keys(description.get("KeySchema", []))
    if table_keys != {"HASH": "pk", "RANGE": "sk"}:
        problems.append(f"primary key is {table_keys}, expected pk (HASH) + sk (RANGE)")
    indexes = {g["IndexName"]: g for g in description.get("GlobalSecondaryIndexes", [])}
    for name in index_names():
        index = indexes.get(name)
        if index is None:
            problems.append(f"GSI {name} is missing")
            continue
        got = _keys(index.get("KeySchema", []))
        want = {"HASH": f"{name}pk", "RANGE": f"{name}sk"}
        if got != want:
            problems.append(f"GSI {name} is keyed {got}, expected {want}")
        projection = index.get("Projection", {}).get("ProjectionType")
        if projection != "ALL":
            problems.append(f"GSI {name} projects {projection}, expected ALL")
    for name, kind in types.items():
        if kind != "S":
            problems.append(f"key attribute {name} has type {kind}, expected S")
    return problems


__all__ = ["create_table", "describe", "enable_ttl", "layout_problems", "ttl_status"]
