"""Queue the index changes that go with a record change, and page through an index.

Each ``*_index_ops`` function queues, into an open ``MULTI`` pipeline, the removals of the
old record's index members and the additions of the new one's, so a record and its
indexes change in the same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from redis.asyncio.client import Pipeline

from mastra_storage.records import Thread
from mastra_storage.timeutil import to_epoch_ms

from .db import RedisDB, WriteBatch
from .keys import message_member, timed_member

T = TypeVar("T")
_LOAD_CHUNK = 500


@dataclass(frozen=True)
class MessageMeta:
    """Where a message lives and sorts: ``ours:["msg", id]`` as JSON ``{t, r, m, s}``."""

    id: str
    thread_id: str
    resource_id: str | None
    ms: int
    seq: int

    @property
    def member(self) -> str:
        return message_member(self.ms, self.seq, self.thread_id, self.id)

    def to_json(self) -> dict[str, object]:
        return {"t": self.thread_id, "r": self.resource_id, "m": self.ms, "s": self.seq}

    @classmethod
    def from_json(cls, message_id: str, data: object) -> MessageMeta | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                id=message_id,
                thread_id=str(data["t"]),
                resource_id=None if data.get("r") is None else str(data["r"]),
                ms=int(data["m"]),
                seq=int(data["s"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def message_index_keys(db: RedisDB, meta: MessageMeta) -> list[str]:
    keys = [db.keys.thread_messages(meta.thread_id)]
    if meta.resource_id is not None:
        keys.append(db.keys.thread_resource_messages(meta.thread_id, meta.resource_id))
        keys.append(db.keys.resource_messages(meta.resource_id))
    return keys


def add_message_index(db: RedisDB, batch: WriteBatch, meta: MessageMeta) -> None:
    """Our three lexicographic indexes of a message (Mastra's set: :func:`add_mastra_member`)."""
    for key in message_index_keys(db, meta):
        batch.zadd(key, {meta.member: 0}, "message")


def mastra_score(meta: MessageMeta, index: int | None) -> int:
    """The score Mastra gives a message in ``thread:<id>:messages``: its ``_index`` (the
    position in its ``saveMessages`` batch), else its created-at ms (Mastra's fallback)."""
    return meta.ms if index is None else index


def add_mastra_member(db: RedisDB, batch: WriteBatch, meta: MessageMeta, score: int) -> None:
    """Put a message into Mastra's own ``thread:<id>:messages`` with the score Mastra would
    give it, so Mastra's reads order our messages as they order their own."""
    batch.zadd(db.keys.mastra_thread_messages(meta.thread_id), {meta.id: score}, "message")


def remove_message_index(
    db: RedisDB, pipe: Pipeline, meta: MessageMeta, *, mastra: bool = True
) -> None:
    """Queue the removal of a message's entries from our indexes and (``mastra``, when it
    leaves its thread) from Mastra's ``thread:<id>:messages``."""
    for key in message_index_keys(db, meta):
        pipe.zrem(key, meta.member)
    if mastra:
        pipe.zrem(db.keys.mastra_thread_messages(meta.thread_id), meta.id)


def _thread_entries(db: RedisDB, thread: Thread) -> set[tuple[str, str]]:
    entries = set()
    for field, value in (("created_at", thread.created_at), ("updated_at", thread.updated_at)):
        member = timed_member(to_epoch_ms(value), thread.id)
        for scope in (thread.resource_id, None):
            entries.add((db.keys.threads_by(field, scope), member))
    return entries


def thread_index_ops(db: RedisDB, pipe: Pipeline, old: Thread | None, new: Thread | None) -> None:
    """Move a thread's entries in the by-created/by-updated indexes (per resource, global)."""
    before = _thread_entries(db, old) if old is not None else set()
    after = _thread_entries(db, new) if new is not None else set()
    for key, member in sorted(before - after):
        pipe.zrem(key, member)
    for key, member in sorted(after - before):
        db.zadd(pipe, key, [member], "thread")
    if db.ttl.get("thread"):
        for key, member in sorted(after & before):
            db.zadd(pipe, key, [member], "thread")  # refresh the index's expiry


__all__ = [
    "MessageMeta",
    "add_mastra_member",
    "add_message_index",
    "mastra_score",
    "message_index_keys",
    "newest_first",
    "remove_message_index",
    "thread_index_ops",
]


async def newest_first(
    db: RedisDB,
    key: str,
    bounds: tuple[str, str],
    offset: int,
    limit: int | None,
    load: Callable[[list[str]], Awaitable[list[T | None]]],
    keep: Callable[[T], bool] | None = None,
) -> tuple[list[T], int]:
    """A page of a time index, newest first, plus the match count.

    Without ``keep`` the index answers alone: ``ZLEXCOUNT`` + ``ZRANGE ... REV LIMIT`` and
    one batch ``load`` of the page (entries of expired records are dropped from the index
    and the page is read again). With ``keep`` (a filter the index cannot express) every
    entry in ``bounds`` is loaded and filtered here: the cost grows with that index, never
    with the database.
    """
    lower, upper = bounds
    if keep is not None:
        members = [str(m) for m in await db.client.zrange(key, upper, lower, desc=True, bylex=True)]
        kept: list[T] = []
        for start in range(0, len(members), _LOAD_CHUNK):
            for item in await load(members[start : start + _LOAD_CHUNK]):
                if item is not None and keep(item):
                    kept.append(item)
        end = None if limit is None else offset + limit
        return kept[offset:end], len(kept)
    items: list[T | None] = []
    total = 0
    for _ in range(3):
        async with db.client.pipeline(transaction=False) as pipe:
            pipe.zlexcount(key, lower, upper)
            if limit is None and offset == 0:
                pipe.zrange(key, upper, lower, desc=True, bylex=True)
            else:
                count = -1 if limit is None else limit
                pipe.zrange(key, upper, lower, desc=True, bylex=True, offset=offset, num=count)
            total, members = await pipe.execute()
        items = await load(list(members)) if members else []
        gone = [m for m, item in zip(members, items, strict=True) if item is None]
        if not gone:
            break
        await db.client.zrem(key, *gone)
    found = [item for item in items if item is not None]
    return found, int(total) - (len(items) - len(found))
