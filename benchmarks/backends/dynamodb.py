"""DynamoDB (moto server, as in the tests): the SDK's ``DynamoDBStore`` against hand-written
aioboto3 low-level calls on the same single table (``@mastra/dynamodb``'s ElectroDB keys).

Key strings come from the adapter's pure ``keys`` module, so both sides share the layout
byte for byte. The raw side sends one request per operation where DynamoDB allows it: one
``TransactWriteItems`` per turn (two ``Put`` + the thread's ``Update``, no conditions), one
``Query`` with ``Limit`` per read, one ``UpdateItem``/``GetItem`` per snapshot. Round trips
(HTTP requests) are counted by the runner's proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mastra_storage import MastraStorage

from ..ops import Ops, Turn
from ..timefmt import iso, now, text_content
from .base import Address, Backend, Unavailable, address_of, require_module, url_via


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _json_attr(attr: dict[str, Any] | None) -> Any:
    return json.loads(attr["S"]) if attr and "S" in attr else None


def _key(key: dict[str, str]) -> dict[str, dict[str, str]]:
    return {name: _s(value) for name, value in key.items()}


class RawDynamo(Ops):
    def __init__(self, client: Any, exit_stack: contextlib.AsyncExitStack, table: str) -> None:
        self.client = client
        self._exit = exit_stack
        self.table = table
        self._last_seq = 0

    @classmethod
    async def open(cls, kwargs: dict[str, str], table: str) -> RawDynamo:
        import aioboto3

        stack = contextlib.AsyncExitStack()
        client = await stack.enter_async_context(aioboto3.Session().client("dynamodb", **kwargs))
        return cls(client, stack, table)

    def _seq(self) -> int:
        self._last_seq = max(time.time_ns() // 1000, self._last_seq + 1)
        return self._last_seq

    async def append_turn(self, turn: Turn) -> None:
        from mastra_storage_dynamodb import keys

        at = iso(now())
        actions: list[dict[str, Any]] = []
        for m in (turn.user, turn.assistant):
            created = iso(m.created_at)
            item = {
                **_key(keys.message_key(m.id)),
                **{k: _s(v) for k, v in keys.ownership("message").items()},
                "id": _s(m.id),
                "threadId": _s(turn.thread_id),
                "resourceId": _s(turn.resource_id),
                "role": _s(m.role),
                "content": _s(json.dumps(text_content(m.text))),
                "gsi1pk": _s(keys.message_gsi1pk(turn.thread_id)),
                "gsi1sk": _s(keys.created_sort_key("message", created)),
                "createdAt": _s(created),
                "updatedAt": _s(at),
                "seq": {"N": str(self._seq())},
            }
            actions.append({"Put": {"TableName": self.table, "Item": item}})
        actions.append(
            {
                "Update": {
                    "TableName": self.table,
                    "Key": _key(keys.thread_key(turn.thread_id)),
                    "UpdateExpression": "SET updatedAt = :u",
                    "ExpressionAttributeValues": {":u": _s(at)},
                }
            }
        )
        await self.client.transact_write_items(TransactItems=actions)

    async def _newest(self, pk: str, prefix: str, limit: int) -> list[dict[str, Any]]:
        reply = await self.client.query(
            TableName=self.table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk AND begins_with(gsi1sk, :prefix)",
            ExpressionAttributeValues={":pk": _s(pk), ":prefix": _s(prefix)},
            ScanIndexForward=False,
            Limit=limit,
        )
        items: list[dict[str, Any]] = reply.get("Items", [])
        return items

    async def recall(self, thread_id: str, limit: int) -> Sequence[str]:
        from mastra_storage_dynamodb import keys

        items = await self._newest(
            keys.message_gsi1pk(thread_id), keys.sort_prefix("message", "createdAt"), limit
        )
        messages = [
            {
                "id": i["id"]["S"],
                "threadId": i["threadId"]["S"],
                "role": i["role"]["S"],
                "createdAt": i["createdAt"]["S"],
                "content": json.loads(i["content"]["S"]),
            }
            for i in reversed(items)
        ]
        return [m["id"] for m in messages]

    async def list_threads(self, resource_id: str, limit: int) -> Sequence[str]:
        from mastra_storage_dynamodb import keys

        items = await self._newest(
            keys.thread_gsi1pk(resource_id), keys.sort_prefix("thread", "createdAt"), limit
        )
        threads = [
            {
                "id": i["id"]["S"],
                "resourceId": i["resourceId"]["S"],
                "title": i.get("title", {}).get("S", ""),
                "metadata": _json_attr(i.get("metadata")),
                "createdAt": i["createdAt"]["S"],
                "updatedAt": i["updatedAt"]["S"],
            }
            for i in items
        ]
        return [t["id"] for t in threads]

    async def persist_snapshot(
        self, workflow_name: str, run_id: str, snapshot: dict[str, Any]
    ) -> None:
        from mastra_storage_dynamodb import keys

        at = iso(now())
        values = {
            **keys.ownership("workflow_snapshot"),
            **keys.run_gsi2(workflow_name, run_id),
            "workflow_name": workflow_name,
            "run_id": run_id,
            "snapshot": json.dumps(snapshot),
            "updatedAt": at,
        }
        names = {f"#a{i}": name for i, name in enumerate(values)}
        sets = [f"#a{i} = :a{i}" for i in range(len(values))]
        attr_values = {f":a{i}": _s(value) for i, value in enumerate(values.values())}
        attr_values[":now"] = _s(at)
        names["#c"] = "createdAt"
        await self.client.update_item(
            TableName=self.table,
            Key=_key(keys.run_key(workflow_name, run_id)),
            UpdateExpression="SET " + ", ".join(sets) + ", #c = if_not_exists(#c, :now)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=attr_values,
        )

    async def load_snapshot(self, workflow_name: str, run_id: str) -> dict[str, Any] | None:
        from mastra_storage_dynamodb import keys

        reply = await self.client.get_item(
            TableName=self.table, Key=_key(keys.run_key(workflow_name, run_id))
        )
        item = reply.get("Item")
        if item is None:
            return None
        value = json.loads(item["snapshot"]["S"])
        return value if isinstance(value, dict) else None

    async def close(self) -> None:
        await self._exit.aclose()


class DynamoBackend(Backend):
    name = "dynamodb"
    raw_driver = "aioboto3 low-level client"
    size_overrides = {
        "w1_turns": 50,
        "w2_ops": 20,
        "w3_threads": 1000,
        "w3_resources": 10,
        "w3_ops": 20,
        "w4_ops": 10,
        "w5_tasks": 5,
        "w5_turns": 4,
    }

    def __init__(self) -> None:
        self._exit = contextlib.AsyncExitStack()
        self._url = ""
        self._table = ""
        self._stores: list[MastraStorage] = []
        self._proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        require_module("mastra_storage_dynamodb.store", "DynamoDB adapter")
        require_module("aioboto3", "aioboto3")
        from tests.support.servers import (
            ServerUnavailable,
            dynamodb_table_name,
            dynamodb_url,
        )

        try:
            if os.environ.get("MASTRA_TEST_DYNAMODB_URL"):
                self._url = await asyncio.to_thread(dynamodb_url)
            else:
                self._url = await asyncio.to_thread(self._start_moto)
            self._table = await self._exit.enter_async_context(dynamodb_table_name(self._url))
        except ServerUnavailable as exc:
            raise Unavailable(f"no DynamoDB server: {exc.reason}") from exc
        store = self._store(None)
        try:
            await store.create_table()
        finally:
            await store.close()

    def _start_moto(self) -> str:
        """``moto_server`` in its own process (the tests run moto in-process, which here would
        put the server's CPU time inside the client's latencies)."""
        binary = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
        if not Path(binary).exists():
            raise Unavailable("no moto_server executable (pip install 'moto[server,dynamodb]')")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        self._proc = subprocess.Popen(
            [binary, "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise Unavailable(f"moto_server exited with code {self._proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return f"http://127.0.0.1:{port}"
            except OSError:
                time.sleep(0.1)
        raise Unavailable("moto_server did not answer within 30 s")

    def _kwargs(self, via: Address | None) -> dict[str, str]:
        from tests.support.servers import dynamodb_client_kwargs

        return dynamodb_client_kwargs(url_via(self._url, via))

    def _store(self, via: Address | None) -> Any:
        from mastra_storage_dynamodb.store import DynamoDBStore

        kwargs = self._kwargs(via)
        return DynamoDBStore(
            self._table,
            endpoint=kwargs["endpoint_url"],
            region=kwargs["region_name"],
            credentials={
                "access_key_id": kwargs["aws_access_key_id"],
                "secret_access_key": kwargs["aws_secret_access_key"],
            },
        )

    def address(self) -> Address | None:
        return address_of(self._url, 80)

    async def open_sdk(self, via: Address | None = None) -> MastraStorage:
        store: MastraStorage = self._store(via)
        await store.init()
        self._stores.append(store)
        return store

    async def open_raw(self, via: Address | None = None) -> Ops | None:
        return await RawDynamo.open(self._kwargs(via), self._table)

    def describe(self) -> str:
        port = address_of(self._url, 80).port
        where = "own process" if self._proc is not None else "MASTRA_TEST_DYNAMODB_URL"
        return f"moto server ({where}) on port {port}, table per run"

    async def stop(self) -> None:
        for store in self._stores:
            with contextlib.suppress(Exception):
                await store.close()
        await self._exit.aclose()
        if self._proc is not None:
            self._proc.terminate()
            try:
                await asyncio.to_thread(self._proc.wait, 10)
            except subprocess.TimeoutExpired:
                self._proc.kill()


BACKEND = DynamoBackend
