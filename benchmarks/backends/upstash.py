"""Redis (the Upstash adapter over redis-py asyncio) against hand-written redis-py commands.

The raw side writes and reads exactly the keys the adapter uses (Mastra's records plus the
adapter's lexicographic indexes; key names come from the adapter's pure ``keys`` module, so
both sides are guaranteed to share the layout), with the fewest round trips a careful
hand-written client would use: no ``WATCH`` and no existence checks (it trusts its input),
reads in one ``MULTI``-less pipeline, writes in one ``MULTI``/``EXEC``.

Commands per operation come from the server (``INFO commandstats``), which is exact on the
private server the runner starts by default.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from mastra_storage import MastraStorage

from ..ops import Ops, Turn
from ..timefmt import epoch_ms, from_ms, iso, now, parse_iso, text_content
from .base import Address, Backend, Unavailable, address_of, require_module, url_via


def _client(url: str) -> Any:
    from redis.asyncio import BlockingConnectionPool, Redis

    pool = BlockingConnectionPool.from_url(
        url, decode_responses=True, protocol=2, max_connections=50, timeout=20
    )
    return Redis(connection_pool=pool)


class RawRedis(Ops):
    """The same keys as the adapter, written with plain redis-py pipelines."""

    def __init__(self, url: str, prefix: str) -> None:
        from mastra_storage_upstash.keys import Keys

        self.r = _client(url)
        self.k = Keys(prefix)

    async def append_turn(self, turn: Turn) -> None:
        from mastra_storage_upstash.keys import message_member, timed_member

        k, t, r = self.k, turn.thread_id, turn.resource_id
        thread_key = k.thread(t)
        async with self.r.pipeline(transaction=False) as pipe:
            pipe.get(thread_key)
            pipe.incrby(k.seq(), 2)
            raw_thread, last_seq = await pipe.execute()
        thread = json.loads(raw_thread)
        strings: dict[str, str] = {}
        zsets: dict[str, dict[str, float]] = defaultdict(dict)
        for index, m in enumerate((turn.user, turn.assistant)):
            ms, seq = epoch_ms(m.created_at), int(last_seq) - 1 + index
            record = {
                "id": m.id,
                "role": m.role,
                "createdAt": iso(m.created_at),
                "threadId": t,
                "resourceId": r,
                "content": text_content(m.text),
                "type": "v2",
                "_index": index,
            }
            strings[k.message(t, m.id)] = json.dumps(record)
            strings[k.message_index(m.id)] = t
            strings[k.message_meta(m.id)] = json.dumps({"t": t, "r": r, "m": ms, "s": seq})
            member = message_member(ms, seq, t, m.id)
            for key in (k.thread_messages(t), k.thread_resource_messages(t, r)):
                zsets[key][member] = 0
            zsets[k.resource_messages(r)][member] = 0
            zsets[k.mastra_thread_messages(t)][m.id] = ms
        old_ms = epoch_ms(parse_iso(thread["updatedAt"]))
        bumped = now()
        thread["updatedAt"] = iso(bumped)
        strings[thread_key] = json.dumps(thread)
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.mset(strings)
            for key, members in zsets.items():
                pipe.zadd(key, members)
            for scope in (r, None):
                index_key = k.threads_by("updated_at", scope)
                pipe.zrem(index_key, timed_member(old_ms, t))
                pipe.zadd(index_key, {timed_member(epoch_ms(bumped), t): 0})
            await pipe.execute()

    async def recall(self, thread_id: str, limit: int) -> Sequence[str]:
        from mastra_storage_upstash.keys import parse_message_member

        members = await self.r.zrange(
            self.k.thread_messages(thread_id), "+", "-", desc=True, bylex=True, offset=0, num=limit
        )
        refs = [parse_message_member(m) for m in members]
        raws = await self.r.mget([self.k.message(t, i) for _, _, t, i in refs]) if refs else []
        messages = [json.loads(raw) for raw in reversed(raws)]
        return [m["id"] for m in messages]

    async def list_threads(self, resource_id: str, limit: int) -> Sequence[str]:
        from mastra_storage_upstash.keys import parse_timed_member

        key = self.k.threads_by("created_at", resource_id)
        members = await self.r.zrange(key, "+", "-", desc=True, bylex=True, offset=0, num=limit)
        ids = [parse_timed_member(m)[1] for m in members]
        raws = await self.r.mget([self.k.thread(i) for i in ids]) if ids else []
        threads = [json.loads(raw) for raw in raws]
        return [t["id"] for t in threads]

    async def persist_snapshot(
        self, workflow_name: str, run_id: str, snapshot: dict[str, Any]
    ) -> None:
        from mastra_storage_upstash.keys import run_tail, timed_member

        k = self.k
        meta_key = k.run_meta(workflow_name, run_id)
        record_key = k.workflow(workflow_name, run_id, None)
        old = await self.r.get(meta_key)
        at = now()
        created_ms = int(json.loads(old)["m"]) if old else epoch_ms(at)
        record = {
            "namespace": "workflows",
            "workflow_name": workflow_name,
            "run_id": run_id,
            "snapshot": snapshot,
            "createdAt": iso(from_ms(created_ms)),
            "updatedAt": iso(at),
        }
        meta = {"k": record_key, "m": created_ms, "r": None}
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.mset({record_key: json.dumps(record), meta_key: json.dumps(meta)})
            if old is None:
                member = timed_member(created_ms, run_tail(workflow_name, run_id))
                for kind, value in (("all", None), ("workflow", workflow_name), ("run", run_id)):
                    pipe.zadd(k.runs_by(kind, value), {member: 0})
            await pipe.execute()

    async def load_snapshot(self, workflow_name: str, run_id: str) -> dict[str, Any] | None:
        k = self.k
        record_key = k.workflow(workflow_name, run_id, None)
        _, raw = await self.r.mget([k.run_meta(workflow_name, run_id), record_key])
        if raw is None:
            return None
        snapshot = json.loads(raw).get("snapshot")
        return snapshot if isinstance(snapshot, dict) else None

    async def close(self) -> None:
        await self.r.aclose()
        await self.r.connection_pool.disconnect()


class UpstashBackend(Backend):
    name = "upstash"
    raw_driver = "redis-py asyncio (pipelines, MULTI/EXEC)"

    def __init__(self) -> None:
        self._exit = contextlib.AsyncExitStack()
        self._url = ""
        self._prefix = ""
        self._stores: list[MastraStorage] = []
        self._admin: Any = None
        self._version = ""

    async def start(self) -> None:
        import asyncio

        require_module("mastra_storage_upstash.store", "Upstash adapter")
        require_module("redis.asyncio", "redis-py")
        from tests.support.servers import ServerUnavailable, redis_key_prefix, redis_url

        try:
            self._url = await asyncio.to_thread(redis_url)
            self._prefix = await self._exit.enter_async_context(redis_key_prefix(self._url))
        except ServerUnavailable as exc:
            raise Unavailable(f"no Redis server: {exc.reason}") from exc
        self._admin = _client(self._url)
        info = await self._admin.info("server")
        self._version = str(info.get("redis_version", "?"))

    def address(self) -> Address | None:
        return address_of(self._url, 6379)

    async def open_sdk(self, via: Address | None = None) -> MastraStorage:
        from mastra_storage_upstash.store import UpstashStore

        store = UpstashStore(url_via(self._url, via), prefix=self._prefix)
        await store.init()
        self._stores.append(store)
        return store

    async def open_raw(self, via: Address | None = None) -> Ops | None:
        return RawRedis(url_via(self._url, via), self._prefix)

    async def server_commands(self) -> int | None:
        stats = await self._admin.info("commandstats")
        return sum(
            int(v["calls"]) for name, v in stats.items() if name != "cmdstat_info" and "calls" in v
        )

    def describe(self) -> str:
        return f"Redis {self._version} at {address_of(self._url, 6379).port}, key prefix per run"

    async def stop(self) -> None:
        for store in self._stores:
            with contextlib.suppress(Exception):
                await store.close()
        if self._admin is not None:
            await self._admin.aclose()
            await self._admin.connection_pool.disconnect()
        await self._exit.aclose()


BACKEND = UpstashBackend
