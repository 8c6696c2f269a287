"""Requests per ``list_traces`` filter and the resource-index backfill's cost on DynamoDB
(``python -m benchmarks.dynamodb_index_costs``).

Runs against the moto server of :mod:`tests.support.servers` and prints two Markdown
tables: per trace filter, the requests and moto's consumed read units of one first page
(``per_page=20``, with its total) at two table sizes; and the backfill of 10,000 messages
written as a Mastra app writes them (no index attributes): requests, what moto reports as
consumed capacity, DynamoDB's size-based estimate, and wall time (moto in this process:
the time says little about a real table, the request and unit counts do).
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from datetime import timedelta
from typing import Any

from mastra_storage.backend.observability import TraceFilter
from mastra_storage.pagination import DateRange
from mastra_storage.records import Message, MessageContent, Span, Thread
from mastra_storage.testing.data import BASE_TIME
from mastra_storage.timeutil import to_iso
from mastra_storage_dynamodb import DynamoDBStore
from mastra_storage_dynamodb import items as conv
from mastra_storage_dynamodb.resource_index import (
    IndexState,
    backfill_resource_index,
    write_state,
)
from mastra_storage_dynamodb.table import item_size
from tests.support.servers import dynamodb_client_kwargs, dynamodb_url

SIZES = (200, 600)
MESSAGES = 10_000
THREADS = 100
TEXT = "lorem ipsum dolor sit amet " * 15  # about 400 bytes of text per message


def _spans(start: int, n: int) -> list[Span]:
    out = []
    for i in range(start, start + n):
        t0 = BASE_TIME + timedelta(milliseconds=137 * i)
        trace = f"trace-{i:06d}"
        out.append(
            Span(
                trace_id=trace,
                span_id="root",
                name="run",
                span_type="agent_run",
                started_at=t0,
                ended_at=None if i % 10 == 0 else t0 + timedelta(seconds=2),
                entity_type="agent",
                entity_id=f"agent-{i % 20}",
                error={"message": "boom"} if i % 25 == 0 else None,
                environment="prod" if i % 2 else "dev",
                metadata={"tier": i % 3},
            )
        )
        out.append(
            Span(
                trace_id=trace,
                span_id="tool",
                parent_span_id="root",
                name="tool",
                span_type="tool_call",
                started_at=t0,
            )
        )
    return out


CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("none (started_at DESC)", "gsi3 index read", {}),
    ("none, ended_at order", "gsi4 index read", {"order_field": "ended_at"}),
    (
        "started_at range",
        "gsi3 index read (key range)",
        {
            "filter": TraceFilter(
                started_at=DateRange(
                    start=BASE_TIME + timedelta(seconds=10), end=BASE_TIME + timedelta(seconds=30)
                )
            )
        },
    ),
    (
        "entity type + id",
        "gsi5 index read",
        {"filter": TraceFilter(entity_type="agent", entity_id="agent-3")},
    ),
    ("status", "gsi6 index read", {"filter": TraceFilter(status="error")}),
    (
        "environment (any equality filter)",
        "gsi3 filtered page",
        {"filter": TraceFilter(environment="prod")},
    ),
    (
        "entity + ended_at order",
        "gsi5 whole partition",
        {
            "filter": TraceFilter(entity_type="agent", entity_id="agent-3"),
            "order_field": "ended_at",
        },
    ),
    (
        "ended_at range",
        "gsi3 filtered page (endedMs)",
        {"filter": TraceFilter(ended_at=DateRange(start=BASE_TIME + timedelta(seconds=60)))},
    ),
    ("metadata", "gsi3 whole partition", {"filter": TraceFilter(metadata={"tier": 1})}),
    (
        "has_child_error",
        "gsi3 whole partition + one gsi7 query",
        {"filter": TraceFilter(has_child_error=True)},
    ),
]


def _store(url: str, name: str) -> DynamoDBStore:
    kwargs = dynamodb_client_kwargs(url)
    return DynamoDBStore(
        name,
        operation_timeout=None,  # moto on a loaded machine: counts, not latency, are measured
        endpoint=url,
        credentials={
            "access_key_id": kwargs["aws_access_key_id"],
            "secret_access_key": kwargs["aws_secret_access_key"],
        },
    )


async def traces(url: str) -> None:
    store = _store(url, f"traces-{uuid.uuid4().hex[:8]}")
    await store.create_table()
    domain = await store.require_store("observability")
    counts: dict[str, list[tuple[int, float]]] = {label: [] for label, _, _ in CASES}
    slowest: dict[str, float] = {}
    try:
        written = 0
        for size in SIZES:
            spans = _spans(written, size - written)
            # Small transactions: moto copies the whole table for each transaction action.
            for start in range(0, len(spans), 20):
                await domain.batch_create_spans(spans[start : start + 20])
            written = size
            for label, _, kwargs in CASES:
                store.capacity.reset()
                began = time.perf_counter()
                await domain.list_traces(per_page=20, **kwargs)
                slowest[label] = time.perf_counter() - began
                counts[label].append((store.capacity.requests, store.capacity.read_units))
        store.capacity.reset()
        await domain.get_trace("trace-000003")
        await domain.get_root_span("trace-000003")
        await domain.get_span("trace-000003", "tool")
        by_id = store.capacity.requests
        header = " | ".join(f"requests / moto RCU, {n} traces" for n in SIZES)
        print(f"| filter (first page of 20, with total) | access path | {header} |")
        print("|---|---|" + "---|" * len(SIZES))
        for label, path, _ in CASES:
            cells = " | ".join(f"{r} / {u:g}" for r, u in counts[label])
            print(f"| {label} | {path} | {cells} |")
        print("moto seconds at the larger size:", {k: round(v, 2) for k, v in slowest.items()})
        print(f"| trace id: get_trace + get_root_span + get_span | key reads | {by_id} in all |")
    finally:
        await store.table.call("delete_table", TableName=store.table_name)
        await store.close()


async def backfill(url: str) -> None:
    store = _store(url, f"backfill-{uuid.uuid4().hex[:8]}")
    await store.create_table()
    try:
        # Written as a Mastra app writes them: ElectroDB items without index attributes.
        items: list[dict[str, Any]] = []
        for t in range(THREADS):
            thread = Thread(
                id=f"thread-{t}",
                resource_id=f"resource-{t % 10}",
                title="",
                created_at=BASE_TIME,
                updated_at=BASE_TIME,
            )
            items.append(conv.thread_item(thread))
        for i in range(MESSAGES):
            message = Message(
                id=f"msg-{i:05d}",
                role="user",
                created_at=BASE_TIME + timedelta(seconds=i),
                thread_id=f"thread-{i % THREADS}",
                resource_id=f"resource-{i % THREADS % 10}",
                type="v2",
                content=MessageContent.from_dict(
                    {"format": 2, "parts": [{"type": "text", "text": TEXT}]}
                ),
            )
            item = conv.message_item(message, seq=0, updated_at=to_iso(BASE_TIME))
            item.pop("seq")
            items.append(item)
        await store.table.batch_write(puts=items)
        await write_state(store.table, IndexState())
        sizes = [item_size(i) for i in items]
        message_sizes = sizes[THREADS:]
        scan_rcu = math.ceil(sum(sizes) / 4096) * 0.5  # eventually consistent Scan
        indexed_sizes = [s + 90 for s in message_sizes]  # plus gsi2pk/gsi2sk
        update_wcu = sum(2 * math.ceil(s / 1024) for s in indexed_sizes)  # table + gsi2
        rows = []
        for label, restart in (("first pass", False), ("re-run (nothing to index)", True)):
            began = time.perf_counter()
            report = await backfill_resource_index(store.table, batch=500, restart=restart)
            seconds = time.perf_counter() - began
            est_w = update_wcu if report.updated else 0
            rows.append((label, report, seconds, scan_rcu, est_w))
        print(
            f"{MESSAGES} messages (~{sum(message_sizes) // MESSAGES} B each) in {THREADS} threads"
        )
        print(
            "| run | scan pages | messages indexed | requests | moto RCU / WCU "
            "| estimated RCU / WCU | time (moto, in process) |"
        )
        print("|---|---|---|---|---|---|---|")
        for label, r, seconds, er, ew in rows:
            print(
                f"| {label} | {r.pages} | {r.updated} | {r.requests} | "
                f"{r.read_units:g} / {r.write_units:g} | {er:g} / {ew:g} | {seconds:.1f} s |"
            )
    finally:
        await store.table.call("delete_table", TableName=store.table_name)
        await store.close()


async def main() -> None:
    url = dynamodb_url()
    await traces(url)
    print()
    await backfill(url)


if __name__ == "__main__":
    asyncio.run(main())
