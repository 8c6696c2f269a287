"""MongoDB (SecantusDB, wire compatible, as in the tests): the SDK's ``MongoDBStore``
against hand-written PyMongo async calls.

The raw side uses the same collections and document shapes (``@mastra/mongodb`` layout,
indexes created by the SDK's ``init``) and the fewest commands: ``insert_many`` + one
``update_one`` per turn (no transaction, no thread check), one ``find`` per read, one
upsert per snapshot. Commands per operation are counted by a PyMongo ``CommandListener``
on the counting clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from typing import Any

from mastra_storage import MastraStorage

from ..ops import Ops, Turn
from ..timefmt import now, text_content
from .base import Address, Backend, Unavailable, address_of, require_module, url_via


class _Counter:
    """A PyMongo command listener that only counts started commands."""

    def __init__(self) -> None:
        self.started = 0

    def listener(self) -> Any:
        from pymongo import monitoring

        counter = self

        class Listener(monitoring.CommandListener):
            def started(self, event: Any) -> None:
                counter.started += 1

            def succeeded(self, event: Any) -> None:
                return None

            def failed(self, event: Any) -> None:
                return None

        return Listener()


def _client_options(counter: _Counter | None) -> dict[str, Any]:
    from datetime import timezone

    options: dict[str, Any] = {"tz_aware": True, "tzinfo": timezone.utc}
    if counter is not None:
        options["event_listeners"] = [counter.listener()]
    return options


class RawMongo(Ops):
    def __init__(self, uri: str, db_name: str, counter: _Counter | None) -> None:
        from pymongo import AsyncMongoClient

        self.client: Any = AsyncMongoClient(uri, **_client_options(counter))
        db = self.client[db_name]
        self.messages = db["mastra_messages"]
        self.threads = db["mastra_threads"]
        self.runs = db["mastra_workflow_snapshot"]

    async def append_turn(self, turn: Turn) -> None:
        docs = [
            {
                "id": m.id,
                "thread_id": turn.thread_id,
                "content": json.dumps(text_content(m.text)),
                "role": m.role,
                "type": "v2",
                "resourceId": turn.resource_id,
                "createdAt": m.created_at,
            }
            for m in (turn.user, turn.assistant)
        ]
        await self.messages.insert_many(docs, ordered=True)
        await self.threads.update_one({"id": turn.thread_id}, {"$set": {"updatedAt": now()}})

    async def recall(self, thread_id: str, limit: int) -> Sequence[str]:
        docs = (
            await self.messages.find({"thread_id": thread_id})
            .sort([("createdAt", -1), ("_id", -1)])
            .limit(limit)
            .to_list()
        )
        messages = [{**d, "content": json.loads(d["content"])} for d in reversed(docs)]
        return [m["id"] for m in messages]

    async def list_threads(self, resource_id: str, limit: int) -> Sequence[str]:
        docs = (
            await self.threads.find({"resourceId": resource_id})
            .sort([("createdAt", -1), ("id", -1)])
            .limit(limit)
            .to_list()
        )
        return [d["id"] for d in docs]

    async def persist_snapshot(
        self, workflow_name: str, run_id: str, snapshot: dict[str, Any]
    ) -> None:
        at = now()
        await self.runs.update_one(
            {"workflow_name": workflow_name, "run_id": run_id},
            {
                "$set": {
                    "workflow_name": workflow_name,
                    "run_id": run_id,
                    "resourceId": None,
                    "snapshot": snapshot,
                    "updatedAt": at,
                },
                "$setOnInsert": {"createdAt": at},
            },
            upsert=True,
        )

    async def load_snapshot(self, workflow_name: str, run_id: str) -> dict[str, Any] | None:
        doc = await self.runs.find_one({"workflow_name": workflow_name, "run_id": run_id})
        snapshot = None if doc is None else doc.get("snapshot")
        return snapshot if isinstance(snapshot, dict) else None

    async def close(self) -> None:
        await self.client.close()


class MongoBackend(Backend):
    name = "mongodb"
    raw_driver = "pymongo AsyncMongoClient"
    size_overrides = {"w2_ops": 50, "w3_ops": 50, "w4_ops": 20}

    def __init__(self) -> None:
        self._exit = contextlib.AsyncExitStack()
        self._uri = ""
        self._db = ""
        self._stores: list[MastraStorage] = []
        self._counter = _Counter()

    async def start(self) -> None:
        require_module("mastra_storage_mongodb.store", "MongoDB adapter")
        require_module("pymongo", "pymongo")
        from tests.support.servers import (
            ServerUnavailable,
            mongodb_database,
            mongodb_uri,
        )

        try:
            self._uri = await asyncio.to_thread(mongodb_uri)
            self._db = await self._exit.enter_async_context(mongodb_database(self._uri))
        except ServerUnavailable as exc:
            raise Unavailable(f"no MongoDB server: {exc.reason}") from exc

    def address(self) -> Address | None:
        return address_of(self._uri, 27017)

    async def open_sdk(self, via: Address | None = None) -> MastraStorage:
        from mastra_storage_mongodb.store import MongoDBStore

        listeners = [self._counter.listener()] if via is not None else []
        store = MongoDBStore(
            url_via(self._uri, via), db_name=self._db, options={"event_listeners": listeners}
        )
        await store.init()
        self._stores.append(store)
        return store

    async def open_raw(self, via: Address | None = None) -> Ops | None:
        counter = self._counter if via is not None else None
        return RawMongo(url_via(self._uri, via), self._db, counter)

    async def server_commands(self) -> int | None:
        return self._counter.started

    def describe(self) -> str:
        port = address_of(self._uri, 27017).port
        return f"SecantusDB (MongoDB wire protocol) on port {port}, private database"

    async def stop(self) -> None:
        for store in self._stores:
            with contextlib.suppress(Exception):
                await store.close()
        await self._exit.aclose()


BACKEND = MongoBackend
