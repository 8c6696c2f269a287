"""The Redis handle every domain shares: client, key names, TTLs, transactions, errors.

Atomicity model: a primitive that reads before it writes runs as one optimistic
transaction: ``WATCH`` the keys it reads, read them, queue every write in one
``MULTI``/``EXEC``; if a watched key changed in between, ``EXEC`` aborts and the primitive
runs again from the start. Writes that belong together therefore land all or nothing and
concurrent read-modify-writes never lose an update.
"""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, WatchError
from redis.exceptions import TimeoutError as RedisTimeoutError

from mastra_storage.codec import dumps, loads
from mastra_storage.errors import BackendError, MastraStorageError, UnavailableError
from mastra_storage.redact import redact_text

from .keylocks import KeyLocks
from .keys import Keys

T = TypeVar("T")
P = ParamSpec("P")

#: Optimistic transactions retry this often before giving up (contention is rare: each
#: transaction watches only the few keys of the records it changes).
MAX_TX_ATTEMPTS = 50


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
        locks: KeyLocks | None = None,
    ) -> None:
        self.client = client
        self.keys = keys
        self.ttl = ttl
        self.display_url = display_url
        #: Index messages a Mastra app wrote into a thread when that thread is read.
        self.follow_mastra = follow_mastra
        #: The store only reads (``MastraStorage.read_only``): no adoption writes.
        self.read_only = False
        self.locks = locks if locks is not None else KeyLocks()

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
        async with self.locks.hold(watch):
            for attempt in range(MAX_TX_ATTEMPTS):
                async with self.client.pipeline(transaction=True) as pipe:
                    if watch:
                        await pipe.watch(*watch)
                    result = await body(pipe)
                    if pipe.command_stack:
                        try:
                            await pipe.execute()
                        except WatchError:
                            # Another process changed a watched key: back off, then retry.
                            await asyncio.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
                            continue
                    return result
        raise UnavailableError(
            f"Redis transaction gave up after {MAX_TX_ATTEMPTS} conflicting attempts",
            id="MASTRA_STORAGE_UPSTASH_TX_CONFLICT",
        )

    async def mget_json(self, keys: list[str]) -> list[Any]:
        """``MGET`` (one command) decoded; missing or non-JSON values come back as ``None``."""
        if not keys:
            return []
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


def decode_json(raw: Any) -> Any:
    if raw is None:
        return None
    try:
        return loads(raw)
    except MastraStorageError:
        return None


def _lost_connection(exc: WatchError) -> bool:
    """redis-py raises ``WatchError`` (not ``ConnectionError``) when the connection dies
    while keys are watched; the lost connection is the exception's context."""
    return isinstance(exc.__context__, (RedisConnectionError, RedisTimeoutError, OSError))


def operation(
    name: str,
) -> Callable[[Callable[P, Coroutine[Any, Any, T]]], Callable[P, Coroutine[Any, Any, T]]]:
    """Turn driver errors of a domain method into typed, redacted storage errors."""

    def wrap(func: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
        @functools.wraps(func)
        async def run(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return await func(*args, **kwargs)
            except MastraStorageError:
                raise
            except (RedisConnectionError, RedisTimeoutError, OSError, WatchError) as exc:
                if isinstance(exc, WatchError) and not _lost_connection(exc):
                    raise BackendError(
                        f"Redis error during {name}: {_scrub(args, exc)}",
                        id=f"MASTRA_STORAGE_UPSTASH_{_snake(name)}_FAILED",
                    ) from None
                raise UnavailableError(
                    f"Redis unavailable during {name}: {_scrub(args, exc)}",
                    id=f"MASTRA_STORAGE_UPSTASH_{_snake(name)}_UNAVAILABLE",
                ) from None
            except RedisError as exc:
                raise BackendError(
                    f"Redis error during {name}: {_scrub(args, exc)}",
                    id=f"MASTRA_STORAGE_UPSTASH_{_snake(name)}_FAILED",
                ) from None

        return run

    return wrap


def _scrub(args: tuple[Any, ...], exc: BaseException) -> str:
    db = getattr(args[0], "_db", None) if args else None
    url = db.display_url if isinstance(db, RedisDB) else None
    return redact_text(f"{type(exc).__name__}: {exc}", url or None)


def _snake(name: str) -> str:
    out: list[str] = []
    for ch in name:
        if ch.isupper() and out:
            out.append("_")
        out.append(ch.upper())
    return "".join(out)


__all__ = [
    "MAX_TX_ATTEMPTS",
    "RedisDB",
    "WriteBatch",
    "begin",
    "decode_json",
    "lex_members",
    "operation",
]
