"""The Redis handle every domain shares: client, key names, TTLs and transactions.

Atomicity model: a backend method that reads before it writes runs as one optimistic
transaction: ``WATCH`` the keys it reads, read them, queue every write in one
``MULTI``/``EXEC``; if a watched key changed in between, ``EXEC`` aborts and the method
runs again from the start (:data:`TX_RETRY`). Writes that belong together therefore land
all or nothing and concurrent read-modify-writes never lose an update.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from mastra_storage.backend.concurrency import KeyedLocks, RetryPolicy
from mastra_storage.codec import dumps, loads
from mastra_storage.errors import MastraStorageError, UnavailableError
from mastra_storage.logs import command_logging, log_command

from .keys import Keys

T = TypeVar("T")

#: Optimistic transactions: 50 tries, 1 ms doubling to a 50 ms cap between them. Contention
#: across processes is rare (each transaction watches only the few keys of the records it
#: changes, and writers in one process queue on :attr:`RedisDB.locks` first), so the budget
#: only has to outlast a burst from another process such as a Mastra app.
TX_RETRY = RetryPolicy(attempts=50, base_s=0.001, cap_s=0.05)


class RedisDB:
    """Client + key names + TTL seconds per entity (``{}``: nothing expires)."""

    def __init__(
        self,
        client: Redis,
        keys: Keys,
        ttl: dict[str, int],
        display_url: str = "",
        *,
        follow_mastra: bool = True,
        locks: KeyedLocks | None = None,
    ) -> None:
        self.client = client
        self.keys = keys
        self.ttl = ttl
        self.display_url = display_url
        #: Index messages a Mastra app wrote into a thread when that thread is read.
        self.follow_mastra = follow_mastra
        #: The store only reads (``MastraStorage.read_only``): no adoption writes.
        self.read_only = False
        #: In-process lock per watched key: writers of one thread in this process queue
        #: instead of failing each other's ``WATCH`` (measured: of 200 concurrent appends to
        #: one thread, 124 gave up after 50 attempts without them; none with them).
        self.locks = locks if locks is not None else KeyedLocks()

    # ---- writes with TTL ---------------------------------------------------------------

    def set_json(self, pipe: Pipeline, key: str, value: Any, entity: str) -> None:
        self.set_text(pipe, key, dumps(value), entity)

    def set_text(self, pipe: Pipeline, key: str, value: str, entity: str) -> None:
        seconds = self.ttl.get(entity)
        if seconds:
            pipe.set(key, value, ex=seconds)
        else:
            pipe.set(key, value)

    def zadd(self, pipe: Pipeline, key: str, members: list[str], entity: str) -> None:
        """Add lexicographic index members (score 0) and refresh the set's expiry."""
        if not members:
            return
        pipe.zadd(key, dict.fromkeys(members, 0))
        seconds = self.ttl.get(entity)
        if seconds:
            pipe.expire(key, seconds)

    # ---- transactions ------------------------------------------------------------------

    async def transaction(self, watch: list[str], body: Callable[[Pipeline], Awaitable[T]]) -> T:
        """Run ``body`` as an optimistic transaction (see the module docstring).

        ``body`` reads through the pipeline (immediate mode; it may ``watch`` more keys),
        then calls ``pipe.multi()`` and queues its writes. If it queued nothing, nothing
        is sent. A :class:`MastraStorageError` raised by ``body`` aborts without writing.
        """
        async with self.locks.hold_many(watch):
            for attempt in TX_RETRY.tries():
                log = command_logging()
                async with self.client.pipeline(transaction=True) as pipe:
                    if watch:
                        if log:
                            log_command("redis", "WATCH", keys=len(watch))
                        await pipe.watch(*watch)
                    result = await body(pipe)
                    if pipe.command_stack:
                        if log:
                            log_command("redis", _stack_summary(pipe.command_stack))
                        try:
                            await pipe.execute()
                        except WatchError:
                            # Another process changed a watched key: back off, then retry.
                            await TX_RETRY.pause(attempt)
                            continue
                    return result
        raise UnavailableError(
            f"Redis transaction gave up after {TX_RETRY.attempts} conflicting attempts",
            id="MASTRA_STORAGE_UPSTASH_TX_CONFLICT",
        )

    async def mget_json(self, keys: list[str]) -> list[Any]:
        """``MGET`` (one command) decoded; missing or non-JSON values come back as ``None``."""
        if not keys:
            return []
        if command_logging():
            log_command("redis", "MGET", keys=len(keys))
        return [decode_json(raw) for raw in await self.client.mget(keys)]


class WriteBatch:
    """Writes of one transaction, merged into as few commands as possible.

    Upstash bills per command: strings without expiry go out as one ``MSET``, and all
    members for one sorted set as one ``ZADD`` (plus one ``EXPIRE`` when the entity has a
    TTL). :meth:`flush` queues them into the ``MULTI`` pipeline after any removals.
    """

    def __init__(self, db: RedisDB) -> None:
        self._db = db
        self._strings: dict[str, tuple[str, str]] = {}
        self._zsets: dict[str, tuple[dict[str, float], str]] = {}

    def set_json(self, key: str, value: Any, entity: str) -> None:
        self._strings[key] = (dumps(value), entity)

    def set_text(self, key: str, value: str, entity: str) -> None:
        self._strings[key] = (value, entity)

    def zadd(self, key: str, members: dict[str, float], entity: str) -> None:
        self._zsets.setdefault(key, ({}, entity))[0].update(members)

    def flush(self, pipe: Pipeline) -> None:
        ttl = self._db.ttl
        plain = {k: v for k, (v, entity) in self._strings.items() if not ttl.get(entity)}
        if plain:
            pipe.mset(plain)
        for key, (value, entity) in self._strings.items():
            if ttl.get(entity):
                pipe.set(key, value, ex=ttl[entity])
        for key, (members, entity) in self._zsets.items():
            pipe.zadd(key, members)
            if ttl.get(entity):
                pipe.expire(key, ttl[entity])
        self._strings.clear()
        self._zsets.clear()


def begin(pipe: Pipeline) -> None:
    """Switch a watching pipeline to buffered ``MULTI`` mode (redis-py's ``multi`` is untyped)."""
    pipe.multi()  # type: ignore[no-untyped-call]


async def lex_members(reader: Any, key: str, lower: str = "-", upper: str = "+") -> list[str]:
    """Every member of a lexicographic index between two bounds, ascending (one command)."""
    members = await reader.zrange(key, lower, upper, bylex=True)
    return [str(m) for m in members]


def _stack_summary(stack: Any) -> str:
    """``MULTI/EXEC [MSET, ZADD x2]``: the queued command names with repeat counts (the
    keys and values are left out: keys hold thread and resource ids)."""
    names: dict[str, int] = {}
    for entry in stack:
        args = entry[0] if isinstance(entry, tuple) else getattr(entry, "args", ())
        name = str(args[0]).upper() if args else "?"
        names[name] = names.get(name, 0) + 1
    return "MULTI/EXEC [" + ", ".join(f"{n} x{c}" if c > 1 else n for n, c in names.items()) + "]"


def decode_json(raw: Any) -> Any:
    if raw is None:
        return None
    try:
        return loads(raw)
    except MastraStorageError:
        return None


__all__ = [
    "TX_RETRY",
    "RedisDB",
    "WriteBatch",
    "begin",
    "decode_json",
    "lex_members",
]
