"""Capacity units of the DynamoDB adapter's hot paths (``python -m benchmarks.dynamodb_capacity``).

Runs against the moto server of :mod:`tests.support.servers` and prints, per
operation, the API calls made, what moto reports through ``ReturnConsumedCapacity`` and
an estimate computed from the real item sizes with DynamoDB's rules (moto reports fixed
per-call values, not size-based ones):

* write: ``ceil(size / 1 KB)`` per item, doubled inside ``TransactWriteItems``, plus the
  same again for each GSI the item is written to (gsi1 for threads and messages);
* Query (GSIs are eventually consistent): ``ceil(sum of sizes read / 4 KB) * 0.5``,
  for the ``Select=COUNT`` query as well (it reads the same items);
* strongly consistent GetItem: ``ceil(size / 4 KB)``.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from datetime import timedelta
from typing import Any

from mastra_storage.pagination import OrderBy
from mastra_storage.testing.data import BASE_TIME, sample_message, sample_thread
from mastra_storage_dynamodb import DynamoDBStore
from mastra_storage_dynamodb.table import item_size
from tests.support.servers import dynamodb_client_kwargs, dynamodb_url

MESSAGES = 200
THREADS = 20
TEXT = "lorem ipsum dolor sit amet " * 15  # about 400 bytes of text per message


def _wcu(size: int, *, transactional: bool, gsis: int) -> float:
    units = math.ceil(size / 1024)
    return units * (2 if transactional else 1) + units * gsis


def _query_rcu(sizes: list[int]) -> float:
    return math.ceil(sum(sizes) / 4096) * 0.5 if sizes else 0.5


async def _raw(store: DynamoDBStore, prefix: str) -> list[dict[str, Any]]:
    rows = await store.table.scan_all()
    return [r for r in rows if prefix in str(r.get("threadId", r.get("id", "")))]


async def main() -> None:
    url = dynamodb_url()
    kwargs = dynamodb_client_kwargs(url)
    store = DynamoDBStore(
        f"capacity-{uuid.uuid4().hex[:8]}",
        endpoint=url,
        credentials={
            "access_key_id": kwargs["aws_access_key_id"],
            "secret_access_key": kwargs["aws_secret_access_key"],
        },
    )
    await store.create_table()
    memory = await store.require_store("memory")
    try:
        resource = f"res-{uuid.uuid4().hex[:6]}"
        threads = [
            await memory.save_thread(sample_thread(resource_id=resource)) for _ in range(THREADS)
        ]
        thread = threads[0]
        history = [
            sample_message(
                thread=thread, text=f"{i} {TEXT}", created_at=BASE_TIME + timedelta(seconds=i)
            )
            for i in range(MESSAGES)
        ]
        for start in range(0, MESSAGES, 50):
            await memory.save_messages(history[start : start + 50])
        rows = await _raw(store, thread.id)
        msg_sizes = [item_size(r) for r in rows if r.get("__edb_e__") == "message"]
        thread_size = item_size(next(r for r in rows if r.get("__edb_e__") == "thread"))

        results: list[tuple[str, int, float, float, float, float]] = []

        async def measure(name: str, action: Any, est_r: float, est_w: float) -> None:
            store.capacity.reset()
            await action()
            c = store.capacity
            results.append((name, c.requests, c.read_units, c.write_units, est_r, est_w))

        turn = [
            sample_message(thread=thread, role="user", text=TEXT),
            sample_message(thread=thread, role="assistant", text=TEXT),
        ]
        turn_sizes = [int(sum(msg_sizes) / len(msg_sizes))] * 2
        await measure(
            "append-turn (2 messages + thread bump, 1 TransactWriteItems)",
            lambda: memory.save_messages(turn),
            0.0,
            sum(_wcu(s, transactional=True, gsis=1) for s in turn_sizes)
            + _wcu(thread_size, transactional=True, gsis=1),
        )
        await measure(
            f"recall-last-40 (thread of {MESSAGES + 2}: COUNT query + 42-item page)",
            lambda: memory.list_messages(
                thread_id=thread.id,
                per_page=40,
                order_by=OrderBy(field="created_at", direction="DESC"),
            ),
            _query_rcu(msg_sizes + turn_sizes) + _query_rcu(sorted(msg_sizes)[-42:]),
            0.0,
        )
        await measure(
            f"list-threads (resource with {THREADS} threads, gsi1 query)",
            lambda: memory.list_threads(resource_id=resource, per_page=10),
            _query_rcu([thread_size] * THREADS),
            0.0,
        )
        print(f"message item ~{sum(msg_sizes) // len(msg_sizes)} B, thread item {thread_size} B")
        print("| operation | requests | moto RCU | moto WCU | estimated RCU | estimated WCU |")
        print("|---|---|---|---|---|---|")
        for name, requests, r, w, er, ew in results:
            print(f"| {name} | {requests} | {r:g} | {w:g} | {er:g} | {ew:g} |")
    finally:
        await store.table.call("delete_table", TableName=store.table_name)
        await store.close()


if __name__ == "__main__":
    asyncio.run(main())
