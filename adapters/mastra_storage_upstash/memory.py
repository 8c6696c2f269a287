"""Memory backend on Redis: Mastra's keys, plus lexicographic indexes that keep reads cheap.

Command budget (see ``docs/upstash-layout.md``): reads cost a constant number of commands,
nothing per stored message or key: a page of a thread's messages is ``ZCARD`` (of Mastra's
set, to notice a Mastra writer) + ``ZLEXCOUNT`` + ``ZRANGE BYLEX LIMIT`` + one ``MGET``; a
save is one optimistic transaction whose size grows with the batch, never with the thread.
Nothing here uses ``SCAN``/``KEYS`` except ``dangerously_clear_all``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeGuard

from redis.asyncio.client import Pipeline

from mastra_storage.backend.concurrency import RetryPolicy
from mastra_storage.backend.memory import (
    CloneBuilder,
    MemoryBackend,
    MessageMutation,
    MessageQuery,
    MessageQueryResult,
    ResourceMutation,
    StoredMessage,
    ThreadMutation,
    ThreadQuery,
)
from mastra_storage.errors import ConflictError, NotFoundError
from mastra_storage.layout import TABLE_MESSAGES, TABLE_RESOURCES, TABLE_THREADS
from mastra_storage.records import Message, Resource, Thread
from mastra_storage.timeutil import from_epoch_ms, to_epoch_ms

from .adopt import thread_adopter
from .db import RedisDB, WriteBatch, begin, decode_json, lex_members
from .errors import operation
from .indexes import (
    MessageMeta,
    add_mastra_member,
    add_message_index,
    mastra_score,
    message_index_keys,
    remove_message_index,
    thread_index_ops,
)
from .keys import (
    check_thread_key_id,
    parse_message_member,
    parse_timed_member,
    position,
    thread_key_is_unambiguous,
    timed_member,
)
from .lex import (
    HIGHEST,
    LOWEST,
    after_member,
    before_member,
    empty,
    lower_from_date,
    tighter_lower,
    tighter_upper,
    upper_from_date,
)
from .observational_memory import UpstashObservationalMemory
from .rows import (
    message_from_json,
    message_to_json,
    resource_from_json,
    resource_to_json,
    thread_from_json,
    thread_to_json,
)
from .scan import delete_matching

#: A thread page read whose index named expired (TTL) or changed threads repairs the index
#: and reads again: three reads, no pause (nothing is contended; the next read sees the
#: repaired index).
THREAD_REREAD = RetryPolicy(attempts=3, base_s=0.0, cap_s=0.0)
#: A message page read: one read more than threads, because the first may instead index
#: messages a Mastra app saved into the thread (then reads again).
MESSAGE_REREAD = RetryPolicy(attempts=4, base_s=0.0, cap_s=0.0)
_MGET_CHUNK = 500


class UpstashMemoryBackend(UpstashObservationalMemory, MemoryBackend):
    """Threads, messages and resources (see the module docstring for the cost model).

    Capabilities: resource-scoped message queries (a per-resource message index), resource
    scans, resource deletes (a resource is one key) and observational memory
    (:mod:`.observational_memory`), see
    :mod:`mastra_storage.backend.capabilities`.
    """

    def __init__(self, db: RedisDB) -> None:
        self._db = db
        self._k = db.keys
        # Index entries for records Mastra wrote carry no TTL (the records have none).
        self._plain = RedisDB(
            db.client, db.keys, {}, db.display_url, follow_mastra=False, locks=db.locks
        )
        #: Indexes threads a Mastra app created, a bounded step per listing (adopt.py).
        self.adopter = thread_adopter(db)

    # ---- helpers ----------------------------------------------------------------------

    def _thread_or_none(self, raw: Any, thread_id: str) -> Thread | None:
        """The thread stored in ``raw`` if it is thread ``thread_id`` (anything else, such
        as a record a Mastra app wrote under a colliding key, reads as absent)."""
        data = decode_json(raw)
        if not isinstance(data, dict) or data.get("id") != thread_id:
            return None
        return thread_from_json(data)

    async def _owned_message_keys(
        self, pipe: Pipeline, pairs: list[tuple[str, str]]
    ) -> dict[tuple[str, str], bool]:
        """For ``(thread_id, message_id)`` pairs about to be deleted: whether the message key
        holds that message (or nothing), so a delete never removes another record.

        Keys of threads obeying the id rule (every thread we write) name one record only
        and cost nothing; keys of ambiguous thread ids a Mastra app wrote are watched and
        read first (rare, and bounded by the delete's own size).
        """
        owned = {pair: True for pair in pairs}
        doubtful = [pair for pair in pairs if not thread_key_is_unambiguous(pair[0])]
        if doubtful:
            keys = [self._k.message(t, m) for t, m in doubtful]
            await pipe.watch(*keys)
            for pair, raw in zip(doubtful, await pipe.mget(keys), strict=True):
                owned[pair] = raw is None or _is_message(decode_json(raw), *pair)
        return owned

    def _write_thread(self, pipe: Pipeline, old: Thread | None, new: Thread) -> None:
        self._db.set_json(pipe, self._k.thread(new.id), thread_to_json(new), "thread")
        thread_index_ops(self._db, pipe, old, new)

    def _bump(self, pipe: Pipeline, thread: Thread, now: datetime) -> Thread:
        bumped = thread.replace(updated_at=max(now, thread.updated_at))
        self._write_thread(pipe, thread, bumped)
        return bumped

    def _write_message(
        self,
        batch: WriteBatch,
        message: Message,
        meta: MessageMeta,
        index: int | None,
        *,
        score: int | None = None,
    ) -> None:
        """The message JSON with ``_index`` = ``index`` (Mastra's key), ``msg-idx`` (Mastra's),
        our meta record and indexes, and the message's member of Mastra's own
        ``thread:<id>:messages`` scored as Mastra would (``score``, else
        :func:`mastra_score`); ``score=-1`` leaves Mastra's set as it is (an update in place,
        which Mastra does not re-score)."""
        k = self._k
        assert message.thread_id is not None
        key = k.message(message.thread_id, message.id)
        batch.set_json(key, message_to_json(message, index), "message")
        batch.set_text(k.message_index(message.id), message.thread_id, "message")
        batch.set_json(k.message_meta(message.id), meta.to_json(), "message")
        add_message_index(self._db, batch, meta)
        if score != -1:
            add_mastra_member(
                self._db, batch, meta, mastra_score(meta, index) if score is None else score
            )

    def _reindex(
        self, pipe: Pipeline, old: MessageMeta, message: Message, owns_old_key: bool
    ) -> MessageMeta:
        """The meta of a stored message rewritten as ``message`` (same time and sequence),
        queueing the removal of its old index entries when its thread or resource changed,
        and of its old record key when it moved thread and that key holds it
        (``owns_old_key``)."""
        meta = MessageMeta(message.id, str(message.thread_id), message.resource_id, old.ms, old.seq)
        if (old.thread_id, old.resource_id) != (meta.thread_id, meta.resource_id):
            moved = old.thread_id != meta.thread_id
            remove_message_index(self._db, pipe, old, mastra=moved)
            if moved and owns_old_key:
                pipe.delete(self._k.message(old.thread_id, message.id))
        return meta

    async def _metas(self, reader: Any, message_ids: list[str]) -> list[MessageMeta | None]:
        raws = await reader.mget([self._k.message_meta(i) for i in message_ids])
        return [
            MessageMeta.from_json(i, decode_json(raw))
            for i, raw in zip(message_ids, raws, strict=True)
        ]

    async def _load_messages(
        self, refs: list[tuple[str, str, int]]
    ) -> tuple[list[StoredMessage], list[int]]:
        """``(thread_id, message_id, seq)`` -> stored messages; also the indexes of refs
        whose record is gone (expired), so the caller can drop their index entries."""
        found: list[StoredMessage] = []
        missing: list[int] = []
        for start in range(0, len(refs), _MGET_CHUNK):
            chunk = refs[start : start + _MGET_CHUNK]
            rows = await self._db.mget_json([self._k.message(t, m) for t, m, _ in chunk])
            for offset, ((t, m, seq), row) in enumerate(zip(chunk, rows, strict=True)):
                if _is_message(row, t, m):
                    found.append(StoredMessage(message_from_json(row), seq))
                else:
                    missing.append(start + offset)
        return found, missing

    # ---- threads ----------------------------------------------------------------------

    @operation("getThreadById")
    async def get_thread(self, thread_id: str) -> Thread | None:
        """One ``GET``; a key holding another record (a Mastra app's ambiguous id) reads as
        absent."""
        return self._thread_or_none(await self._db.client.get(self._k.thread(thread_id)), thread_id)

    @operation("saveThread")
    async def upsert_thread(self, thread: Thread) -> None:
        """Record and its time-index entries in one optimistic transaction. Raises
        ``ValidationError`` for an id that would make message keys ambiguous, before any
        write."""
        check_thread_key_id(thread.id, operation="SAVE_THREAD")
        key = self._k.thread(thread.id)

        async def body(pipe: Pipeline) -> None:
            old = self._thread_or_none(await pipe.get(key), thread.id)
            begin(pipe)
            self._write_thread(pipe, old, thread)

        await self._db.transaction([key], body)

    @operation("updateThread")
    async def modify_thread(self, thread_id: str, mutate: ThreadMutation) -> Thread | None:
        """``mutate`` applied inside one optimistic transaction watching the thread key."""
        key = self._k.thread(thread_id)

        async def body(pipe: Pipeline) -> Thread | None:
            old = self._thread_or_none(await pipe.get(key), thread_id)
            if old is None:
                return None
            new = mutate(old)
            begin(pipe)
            self._write_thread(pipe, old, new)
            return new

        return await self._db.transaction([key], body)

    @operation("deleteThread")
    async def delete_thread(self, thread_id: str) -> None:
        """The thread, its messages (ours and the ones a Mastra app indexed) and every index
        entry in one optimistic transaction; a message key holding another thread's message
        is left alone."""
        k = self._k
        thread_key = k.thread(thread_id)
        ours_key = k.thread_messages(thread_id)
        mastra_key = k.mastra_thread_messages(thread_id)

        async def body(pipe: Pipeline) -> None:
            old = self._thread_or_none(await pipe.get(thread_key), thread_id)
            members = await lex_members(pipe, ours_key)
            mastra_ids = [str(m) for m in await pipe.zrange(mastra_key, 0, -1)]
            ids = list(dict.fromkeys([parse_message_member(m)[3] for m in members] + mastra_ids))
            metas = await self._metas(pipe, ids) if ids else []
            owned = await self._owned_message_keys(pipe, [(thread_id, i) for i in ids])
            begin(pipe)
            resources: set[str] = set()
            for message_id, meta in zip(ids, metas, strict=True):
                if meta is not None and meta.thread_id != thread_id:
                    continue  # moved away since Mastra indexed it: not this thread's
                if not owned[(thread_id, message_id)]:
                    continue  # the key holds another thread's message (Mastra's ambiguous id)
                pipe.delete(
                    k.message(thread_id, message_id),
                    k.message_index(message_id),
                    k.message_meta(message_id),
                )
                if meta is not None and meta.resource_id is not None:
                    resources.add(meta.resource_id)
                    pipe.zrem(k.resource_messages(meta.resource_id), meta.member)
            for resource_id in sorted(resources):
                pipe.delete(k.thread_resource_messages(thread_id, resource_id))
            pipe.delete(thread_key, ours_key, mastra_key)
            thread_index_ops(self._db, pipe, old, None)

        await self._db.transaction([thread_key, ours_key, mastra_key], body)

    @operation("listThreads")
    async def query_threads(self, query: ThreadQuery) -> tuple[list[Thread], int]:
        """A page of a thread time index (``ZCARD`` + ``ZRANGE BYLEX LIMIT`` + ``MGET``), the
        cursor as a member bound; metadata filters read the index whole. Entries of expired
        or changed threads are repaired and the page read again."""
        await self.adopter.step()  # threads a Mastra app created (1 DBSIZE when quiet)
        key = self._k.threads_by(query.order.field, query.resource_id)
        desc = query.order.descending
        if query.metadata:
            return await self._query_threads_filtered(key, query)
        lower, upper = LOWEST, HIGHEST
        if query.after is not None:
            bound = "(" + timed_member(query.after.key, str(query.after.tie))
            if desc:
                upper = bound
            else:
                lower = bound
        for _ in THREAD_REREAD.tries():
            async with self._db.client.pipeline(transaction=False) as pipe:
                if query.count:
                    pipe.zcard(key)
                _zrange(pipe, key, lower, upper, desc, query.offset, query.limit, extra=1)
                replies = await pipe.execute()
            total, members = replies if query.count else (0, replies[0])
            ids = [parse_timed_member(m)[1] for m in members]
            rows = await self._db.client.mget([self._k.thread(i) for i in ids]) if ids else []
            threads = [self._thread_or_none(r, i) for r, i in zip(rows, ids, strict=True)]
            stale = [
                m
                for m, t in zip(members, threads, strict=True)
                if t is None
                or m != _thread_member(t, query.order.field)
                or (query.resource_id is not None and t.resource_id != query.resource_id)
            ]
            if not stale:
                return [t for t in threads if t is not None], int(total)
            await self._repair_thread_index(key, stale, [t for t in threads if t is not None])
        live = [
            t for m, t in zip(members, threads, strict=True) if t is not None and m not in stale
        ]
        return live, int(total) - len(stale) if query.count else 0

    async def _repair_thread_index(self, key: str, stale: list[str], threads: list[Thread]) -> None:
        """Drop entries of expired threads, and of threads whose record changed behind our
        back (a Mastra app bumping ``updatedAt``), re-adding the right entries for those."""
        async with self._db.client.pipeline(transaction=False) as pipe:
            pipe.zrem(key, *stale)
            for thread in threads:
                thread_index_ops(self._db, pipe, None, thread)
            await pipe.execute()

    async def _query_threads_filtered(
        self, key: str, query: ThreadQuery
    ) -> tuple[list[Thread], int]:
        """Metadata filters have no index: read the resource's (or every) thread and run
        :meth:`ThreadQuery.execute`. Costs grow with the threads in scope, never with the
        keys in the database; documented in the layout notes."""
        members = await lex_members(self._db.client, key)
        found: dict[str, Thread] = {}
        for start in range(0, len(members), _MGET_CHUNK):
            chunk = [parse_timed_member(m)[1] for m in members[start : start + _MGET_CHUNK]]
            rows = await self._db.client.mget([self._k.thread(i) for i in chunk])
            for row, thread_id in zip(rows, chunk, strict=True):
                thread = self._thread_or_none(row, thread_id)
                if thread is not None:
                    found[thread.id] = thread  # an entry left stale by another writer: once
        return query.execute(found.values())

    # ---- messages ---------------------------------------------------------------------

    @operation("listMessages")
    async def query_messages(self, query: MessageQuery) -> MessageQueryResult:
        """A page of some threads' messages (see the module docstring for its commands)."""
        return await self._execute_messages(query)

    @operation("listMessages")
    async def query_resource_messages(self, query: MessageQuery) -> MessageQueryResult:
        """A page of one resource's messages across its threads, from the per-resource
        message index (:class:`~mastra_storage.backend.SupportsResourceMessages`)."""
        return await self._execute_messages(query)

    async def _execute_messages(self, query: MessageQuery) -> MessageQueryResult:
        page: list[StoredMessage] = []
        total = 0
        if query.limit != 0:
            page, total = await self._message_page(query)
        included = await self._included(query) if query.include else []
        return MessageQueryResult(page=page, total=total, included=included)

    def _message_sources(self, query: MessageQuery) -> list[str]:
        k = self._k
        if query.thread_ids is None:
            assert query.resource_id is not None
            return [k.resource_messages(query.resource_id)]
        if query.resource_id is not None:
            return [k.thread_resource_messages(t, query.resource_id) for t in query.thread_ids]
        return [k.thread_messages(t) for t in query.thread_ids]

    def _message_bounds(self, query: MessageQuery) -> tuple[str, str]:
        lower, upper = LOWEST, HIGHEST
        date_range = query.date_range
        if date_range is not None:
            if date_range.start is not None:
                lower = lower_from_date(date_range.start, date_range.start_exclusive)
            if date_range.end is not None:
                upper = upper_from_date(date_range.end, date_range.end_exclusive)
        return lower, upper

    async def _message_page(self, query: MessageQuery) -> tuple[list[StoredMessage], int]:
        sources = self._message_sources(query)
        lower, upper = self._message_bounds(query)
        count_lower, count_upper = lower, upper
        if query.after is not None:
            cursor_pos = position(query.after.key, int(query.after.tie))
            if query.descending:
                upper = tighter_upper(upper, before_member(cursor_pos))
            else:
                lower = tighter_lower(lower, after_member(cursor_pos))
        if empty(count_lower, count_upper):
            return [], 0
        single = len(sources) == 1
        # Follow Mastra's writers: compare the size of Mastra's per-thread set with ours
        # (one ZCARD; our count is reused when it covers the whole thread).
        threads = query.thread_ids if self._db.follow_mastra and query.thread_ids else []
        whole = (count_lower, count_upper) == (LOWEST, HIGHEST)
        reuse = bool(query.count and query.resource_id is None and whole)
        adopted = False
        for _ in MESSAGE_REREAD.tries():
            async with self._db.client.pipeline(transaction=False) as pipe:
                for thread_id in threads:
                    pipe.zcard(self._k.mastra_thread_messages(thread_id))
                    if not reuse:
                        pipe.zcard(self._k.thread_messages(thread_id))
                if query.count:
                    for key in sources:
                        pipe.zlexcount(key, count_lower, count_upper)
                for key in sources:
                    if single:
                        _zrange(
                            pipe,
                            key,
                            lower,
                            upper,
                            query.descending,
                            query.offset,
                            query.limit,
                            extra=1,
                        )
                    else:
                        # Several threads: the first offset+limit+1 of each, merged here.
                        wanted = None if query.limit is None else query.offset + query.limit + 1
                        _zrange(pipe, key, lower, upper, query.descending, 0, wanted, extra=0)
                replies = list(await pipe.execute())
            if threads:
                width = 1 if reuse else 2
                sizes = replies[: width * len(threads)]
                replies = replies[width * len(threads) :]
                ours = replies[: len(threads)] if reuse else sizes[1::2]
                behind = [
                    t
                    for t, theirs, mine in zip(threads, sizes[::width], ours, strict=True)
                    if int(theirs) > int(mine)
                ]
                if behind and not adopted:
                    adopted = True
                    for thread_id in behind:
                        await self._adopt_mastra_messages(thread_id)
                    continue
            counts = replies[: len(sources)] if query.count else []
            member_lists = replies[len(counts) :]
            total = sum(int(c) for c in counts)
            members: list[str] = []
            if single:
                members = list(member_lists[0])
            else:
                members = sorted({m for lst in member_lists for m in lst}, reverse=query.descending)
                end = None if query.limit is None else query.offset + query.limit + 1
                members = members[query.offset : end]
            refs = []
            for member in members:
                _, seq, thread_id, message_id = parse_message_member(member)
                refs.append((thread_id, message_id, seq))
            found, missing = await self._load_messages(refs)
            if not missing:
                return found, total
            await self._drop_dangling(sources, [members[i] for i in missing])
        return found, max(0, total - len(missing))

    async def _adopt_mastra_messages(self, thread_id: str) -> None:
        """Index messages a Mastra app saved into this thread since we last looked.

        Mastra adds every message to ``thread:<id>:messages`` (its own set) but to none of
        ours. Only runs when that set has more members than our index of the thread: reads
        the set and its records once, indexes the newcomers (by ``(createdAt, _index, id)``),
        restores entries of known messages, and removes ids whose record is gone (Mastra's
        deletes leave them behind), so afterwards our index covers Mastra's set.
        """
        k = self._k
        mastra_key, ours_key = k.mastra_thread_messages(thread_id), k.thread_messages(thread_id)

        async def body(pipe: Pipeline) -> None:
            ids = [str(m) for m in await pipe.zrange(mastra_key, 0, -1)]
            metas = await self._metas(pipe, ids) if ids else []
            rows = await self._db.mget_json([k.message(thread_id, i) for i in ids])
            newcomers: list[tuple[Message, int, MessageMeta | None]] = []
            known: list[MessageMeta] = []
            gone: list[str] = []
            for message_id, old, row in zip(ids, metas, rows, strict=True):
                if not _is_message(row, thread_id, message_id):
                    gone.append(message_id)  # deleted, or the key holds another record
                elif old is not None and old.thread_id == thread_id:
                    known.append(old)  # ours: make sure its entries exist (idempotent)
                else:
                    index = row.get("_index")
                    newcomers.append(
                        (message_from_json(row), index if isinstance(index, int) else 0, old)
                    )
            newcomers.sort(key=lambda n: (to_epoch_ms(n[0].created_at), n[1], n[0].id))
            count = len(newcomers)
            next_seq = int(await pipe.incrby(k.seq(), count)) - count + 1 if count else 0
            begin(pipe)
            if gone:
                pipe.zrem(mastra_key, *gone)
            batch = WriteBatch(self._plain)
            for meta in known:
                for key in message_index_keys(self._db, meta):
                    batch.zadd(key, {meta.member: 0}, "message")
            for offset, (message, _, old) in enumerate(newcomers):
                if old is not None:
                    remove_message_index(self._db, pipe, old)
                meta = MessageMeta(
                    message.id,
                    thread_id,
                    message.resource_id,
                    to_epoch_ms(message.created_at),
                    next_seq + offset,
                )
                batch.set_json(k.message_meta(message.id), meta.to_json(), "message")
                add_message_index(self._plain, batch, meta)
            batch.flush(pipe)

        await self._db.transaction([mastra_key, ours_key], body)

    async def _drop_dangling(self, keys: list[str], members: list[str]) -> None:
        """Index entries whose message expired (TTL): remove them (reads never break)."""
        async with self._db.client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.zrem(key, *members)
            await pipe.execute()

    async def _included(self, query: MessageQuery) -> list[StoredMessage]:
        specs = query.include
        metas = await self._metas(self._db.client, [s.id for s in specs])
        plan: list[tuple[MessageMeta, int, int]] = [
            (meta, spec.with_previous_messages, spec.with_next_messages)
            for spec, meta in zip(specs, metas, strict=True)
            if meta is not None
        ]
        if not plan:
            return []
        refs: list[tuple[str, str, int]] = [(m.thread_id, m.id, m.seq) for m, _, _ in plan]
        windows = [(m, b, a) for m, b, a in plan if b > 0 or a > 0]
        if windows:
            async with self._db.client.pipeline(transaction=False) as pipe:
                for meta, before, after in windows:
                    key = self._k.thread_messages(meta.thread_id)
                    pos = position(meta.ms, meta.seq)
                    if before > 0:
                        pipe.zrange(
                            key,
                            before_member(pos),
                            LOWEST,
                            desc=True,
                            bylex=True,
                            offset=0,
                            num=before,
                        )
                    if after > 0:
                        pipe.zrange(
                            key, after_member(pos), HIGHEST, bylex=True, offset=0, num=after
                        )
                replies = await pipe.execute()
            for members in replies:
                for member in members:
                    _, seq, thread_id, message_id = parse_message_member(member)
                    refs.append((thread_id, message_id, seq))
        unique = list(dict.fromkeys(refs))
        found, _ = await self._load_messages(unique)
        return found

    @operation("listMessagesById")
    async def get_messages(self, message_ids: list[str]) -> list[StoredMessage]:
        """Metas, then records: two ``MGET`` whatever the threads."""
        metas = await self._metas(self._db.client, message_ids)
        refs = [(m.thread_id, m.id, m.seq) for m in metas if m is not None]
        found, _ = await self._load_messages(refs)
        return found

    @operation("saveMessages")
    async def save_messages(self, messages: list[Message], now: datetime) -> None:
        """The batch, its index entries and the threads' ``updated_at`` in one optimistic
        transaction; a known message keeps its time and sequence. Raises ``NotFoundError``
        (writing nothing) for a missing thread, ``ValidationError`` for an ambiguous thread
        id."""
        k = self._k
        thread_ids = list(dict.fromkeys(str(m.thread_id) for m in messages))
        for thread_id in thread_ids:
            check_thread_key_id(thread_id, operation="SAVE_MESSAGES")
        ids = [m.id for m in messages]
        watch = [k.thread(t) for t in thread_ids] + [k.message_meta(i) for i in ids]

        async def body(pipe: Pipeline) -> None:
            raw = await pipe.mget(watch)  # threads and message metas: one command
            raw_threads = raw[: len(thread_ids)]
            threads = {
                t: self._thread_or_none(r, t) for t, r in zip(thread_ids, raw_threads, strict=True)
            }
            for thread_id in thread_ids:
                if threads[thread_id] is None:
                    raise NotFoundError(
                        f"Thread {thread_id} not found",
                        id="MASTRA_STORAGE_SAVE_MESSAGES_THREAD_NOT_FOUND",
                        details={"thread_id": thread_id},
                    )
            metas = [
                MessageMeta.from_json(i, decode_json(r))
                for i, r in zip(ids, raw[len(thread_ids) :], strict=True)
            ]
            owned = await self._owned_message_keys(
                pipe, [(m.thread_id, m.id) for m in metas if m is not None]
            )
            fresh = sum(1 for m in metas if m is None)
            next_seq = int(await pipe.incrby(k.seq(), fresh)) - fresh + 1 if fresh else 0
            begin(pipe)
            batch = WriteBatch(self._db)
            for index, (message, old) in enumerate(zip(messages, metas, strict=True)):
                if old is not None:
                    message = message.replace(created_at=from_epoch_ms(old.ms))
                    meta = self._reindex(pipe, old, message, owned[(old.thread_id, old.id)])
                else:
                    meta = MessageMeta(
                        message.id,
                        str(message.thread_id),
                        message.resource_id,
                        to_epoch_ms(message.created_at),
                        next_seq,
                    )
                    next_seq += 1
                self._write_message(batch, message, meta, index)
            batch.flush(pipe)
            for thread in threads.values():
                assert thread is not None
                self._bump(pipe, thread, now)

        await self._db.transaction(watch, body)

    @operation("updateMessages")
    async def modify_messages(
        self, message_ids: list[str], mutate: MessageMutation, now: datetime
    ) -> list[Message]:
        """``mutate`` applied to each stored message inside one optimistic transaction (a move
        re-indexes the message under its new thread). Raises ``NotFoundError`` (writing
        nothing) when a message would move to a missing thread."""
        k = self._k

        async def body(pipe: Pipeline) -> list[Message]:
            metas = [m for m in await self._metas(pipe, message_ids) if m is not None]
            if not metas:
                return []
            message_keys = [k.message(m.thread_id, m.id) for m in metas]
            await pipe.watch(*message_keys)
            rows = [decode_json(r) for r in await pipe.mget(message_keys)]
            planned: list[tuple[MessageMeta, Message]] = []
            batch_index: dict[str, int | None] = {}
            for meta, row in zip(metas, rows, strict=True):
                if _is_message(row, meta.thread_id, meta.id):
                    existing = message_from_json(row)
                    new = mutate(existing)
                    if new.thread_id != meta.thread_id:  # a move builds a new message key
                        check_thread_key_id(str(new.thread_id), operation="UPDATE_MESSAGES")
                    planned.append((meta, new))
                    stored_index = row.get("_index")  # Mastra keeps it on updates too
                    batch_index[meta.id] = stored_index if isinstance(stored_index, int) else None
            if not planned:
                return []
            touched = list(
                dict.fromkeys(
                    t for meta, new in planned for t in (meta.thread_id, str(new.thread_id))
                )
            )
            await pipe.watch(*[k.thread(t) for t in touched])
            raw_threads = await pipe.mget([k.thread(t) for t in touched])
            threads = {
                t: self._thread_or_none(r, t) for t, r in zip(touched, raw_threads, strict=True)
            }
            for _, new in planned:
                if threads[str(new.thread_id)] is None:
                    raise NotFoundError(
                        f"Thread {new.thread_id} not found",
                        id="MASTRA_STORAGE_UPDATE_MESSAGES_THREAD_NOT_FOUND",
                        details={"thread_id": new.thread_id},
                    )
            begin(pipe)
            batch = WriteBatch(self._db)
            for old, message in planned:
                # the old key was read above and holds this message: it is ours to delete
                meta = self._reindex(pipe, old, message, True)
                moved = old.thread_id != meta.thread_id
                index = batch_index[message.id]
                # Mastra re-scores its set only on a move (by _index, else createdAt); a
                # message with an _index already has that score, one without keeps its own.
                keep = not moved and index is None
                self._write_message(batch, message, meta, index, score=-1 if keep else None)
            batch.flush(pipe)
            for thread in threads.values():
                if thread is not None:
                    self._bump(pipe, thread, now)
            return [message for _, message in planned]

        return await self._db.transaction([k.message_meta(i) for i in message_ids], body)

    @operation("deleteMessages")
    async def delete_messages(self, message_ids: list[str], now: datetime) -> None:
        """Records, metas and index entries, and the threads' ``updated_at``, in one
        optimistic transaction."""
        k = self._k

        async def body(pipe: Pipeline) -> None:
            metas = [m for m in await self._metas(pipe, message_ids) if m is not None]
            if not metas:
                return
            thread_ids = list(dict.fromkeys(m.thread_id for m in metas))
            await pipe.watch(*[k.thread(t) for t in thread_ids])
            raw_threads = await pipe.mget([k.thread(t) for t in thread_ids])
            owned = await self._owned_message_keys(pipe, [(m.thread_id, m.id) for m in metas])
            begin(pipe)
            for meta in metas:
                if owned[(meta.thread_id, meta.id)]:
                    pipe.delete(k.message(meta.thread_id, meta.id))
                pipe.delete(k.message_index(meta.id), k.message_meta(meta.id))
                remove_message_index(self._db, pipe, meta)
            for raw, thread_id in zip(raw_threads, thread_ids, strict=True):
                thread = self._thread_or_none(raw, thread_id)
                if thread is not None:
                    self._bump(pipe, thread, now)

        await self._db.transaction([k.message_meta(i) for i in message_ids], body)

    # ---- resources --------------------------------------------------------------------

    def _resource_or_none(self, raw: Any, resource_id: str) -> Resource | None:
        """The resource in ``raw`` if it is ``resource_id`` (else absent, as for threads)."""
        data = decode_json(raw)
        if not isinstance(data, dict) or data.get("id") != resource_id:
            return None
        return resource_from_json(data)

    @operation("getResourceById")
    async def get_resource(self, resource_id: str) -> Resource | None:
        """One ``GET``."""
        raw = await self._db.client.get(self._k.resource(resource_id))
        return self._resource_or_none(raw, resource_id)

    @operation("saveResource")
    async def upsert_resource(self, resource: Resource) -> None:
        """One ``SET`` (with the resource TTL when configured)."""
        async with self._db.client.pipeline(transaction=False) as pipe:
            self._db.set_json(
                pipe, self._k.resource(resource.id), resource_to_json(resource), "resource"
            )
            await pipe.execute()

    @operation("updateResource")
    async def modify_resource(self, resource_id: str, mutate: ResourceMutation) -> Resource:
        """``mutate`` applied inside one optimistic transaction watching the resource key."""
        key = self._k.resource(resource_id)

        async def body(pipe: Pipeline) -> Resource:
            updated = mutate(self._resource_or_none(await pipe.get(key), resource_id))
            begin(pipe)
            self._db.set_json(pipe, key, resource_to_json(updated), "resource")
            return updated

        return await self._db.transaction([key], body)

    @operation("deleteResource")
    async def delete_resource(self, resource_id: str) -> None:
        """Delete the resource (:class:`~mastra_storage.backend.SupportsResourceDelete`).

        A resource is the single key ``<prefix>mastra_resources:<id>`` with no index entry
        (a configured TTL is that key's own expiry), so one ``DEL`` removes it atomically; a
        missing key deletes nothing. A concurrent ``update_resource`` watches the key, so it
        retries on the new state instead of resurrecting a stale one.
        """
        await self._db.client.delete(self._k.resource(resource_id))

    async def scan_resources(
        self, position: str | None, limit: int
    ) -> tuple[list[Resource], str | None]:
        """Every resource, for copies (:class:`~mastra_storage.backend.SupportsResourceScan`):
        one ``SCAN`` step over ``mastra_resources:*`` (maintenance only). The position is the
        SCAN cursor: every key present for the whole walk is returned; a key may come twice,
        which the copy's idempotent sink absorbs."""
        prefix = self._k.resource("")
        cursor, keys = await self._db.client.scan(
            cursor=int(position or 0), match=self._k.table_pattern(TABLE_RESOURCES), count=limit
        )
        rows = await self._db.mget_json([str(k) for k in keys if str(k).startswith(prefix)])
        found = [resource_from_json(r) for r in rows if isinstance(r, dict)]
        return found, None if int(cursor) == 0 else str(cursor)

    # ---- cloning ----------------------------------------------------------------------

    @operation("cloneThread")
    async def clone_thread(
        self, source_thread_id: str, new_thread_id: str, build: CloneBuilder
    ) -> tuple[Thread, list[Message]] | None:
        """Read the source and write the copy in one optimistic transaction; the copies get
        the scores Mastra's own clone gives them. Raises ``ConflictError`` when
        ``new_thread_id`` exists, ``ValidationError`` for an ambiguous id."""
        check_thread_key_id(new_thread_id, operation="CLONE_THREAD")
        k = self._k
        source_key, target_key = k.thread(source_thread_id), k.thread(new_thread_id)
        index_key = k.thread_messages(source_thread_id)
        mastra_key = k.mastra_thread_messages(source_thread_id)

        async def body(pipe: Pipeline) -> tuple[Thread, list[Message]] | None:
            source_raw, target_raw = await pipe.mget([source_key, target_key])
            source = self._thread_or_none(source_raw, source_thread_id)
            if source is None:
                return None
            if target_raw is not None:
                raise ConflictError(
                    f"Thread with id {new_thread_id} already exists",
                    id="MASTRA_STORAGE_CLONE_THREAD_THREAD_EXISTS",
                    details={"thread_id": new_thread_id},
                )
            members = await lex_members(pipe, index_key)
            refs = []
            for member in members:
                _, seq, thread_id, message_id = parse_message_member(member)
                refs.append((thread_id, message_id, seq))
            found, _ = await self._load_messages(refs)
            mastra_order = {str(m): i for i, m in enumerate(await pipe.zrange(mastra_key, 0, -1))}
            sources = [s.message for s in found]
            thread, copies = build(source, sources)
            scores = _mastra_clone_scores(sources, copies, mastra_order)
            next_seq = (
                int(await pipe.incrby(k.seq(), len(copies))) - len(copies) + 1 if copies else 0
            )
            begin(pipe)
            batch = WriteBatch(self._db)
            self._write_thread(pipe, None, thread)
            for index, (message, score) in enumerate(zip(copies, scores, strict=True)):
                meta = MessageMeta(
                    message.id,
                    new_thread_id,
                    message.resource_id,
                    to_epoch_ms(message.created_at),
                    next_seq + index,
                )
                # As Mastra's cloneThread: copies carry no _index, its set ranks them.
                self._write_message(batch, message, meta, None, score=score)
            batch.flush(pipe)
            return thread, copies

        return await self._db.transaction([source_key, target_key, index_key, mastra_key], body)

    # ---- maintenance ------------------------------------------------------------------

    @operation("dangerouslyClearAll")
    async def dangerously_clear_all(self) -> None:
        """Delete every memory key (SCAN: maintenance only, never on a request path)."""
        k = self._k
        patterns = [
            k.table_pattern(TABLE_THREADS),
            k.table_pattern(TABLE_MESSAGES),
            k.table_pattern(TABLE_RESOURCES),
            k.raw_pattern("msg-idx:*"),
            k.raw_pattern("thread:*:messages"),
        ]
        patterns += [
            k.ours_pattern(kind)
            for kind in (
                "msg",
                "thread-messages",
                "thread-resource-messages",
                "resource-messages",
                "threads",
                "om",
                "om-generations",
            )
        ]
        for pattern in patterns:
            await delete_matching(self._db.client, pattern)


def _is_message(row: Any, thread_id: str, message_id: str) -> TypeGuard[dict[str, Any]]:
    """Whether a loaded message row is message ``message_id`` of thread ``thread_id``: a
    key a Mastra app wrote for an ambiguous id may hold another thread's message."""
    return (
        isinstance(row, dict) and row.get("id") == message_id and row.get("threadId") == thread_id
    )


def _mastra_clone_scores(
    sources: list[Message], copies: list[Message], mastra_order: dict[str, int]
) -> list[int]:
    """The scores Mastra's ``cloneThread`` gives the copies in ``thread:<new>:messages``:
    0, 1, 2, ... in Mastra's order of their sources (the source's set order, stably sorted
    by ``createdAt``), so Mastra reads our clone in the order it reads its own clone.

    ``copies`` are the selected ``sources`` in order with new ids, thread and resource; each
    is matched to its source by walking both lists (identical messages are interchangeable).
    A source missing from Mastra's set ranks after the ones in it, in our order.
    """
    picked: list[Message] = []
    j = 0
    for copy in copies:
        while (
            j < len(sources)
            and sources[j].replace(
                id=copy.id, thread_id=copy.thread_id, resource_id=copy.resource_id
            )
            != copy
        ):
            j += 1
        picked.append(sources[j] if j < len(sources) else copy)
        j += 1
    unknown = len(mastra_order)
    ranked = sorted(
        range(len(copies)),
        key=lambda i: (
            to_epoch_ms(picked[i].created_at),
            mastra_order.get(picked[i].id, unknown),
            i,
        ),
    )
    scores = [0] * len(copies)
    for rank, i in enumerate(ranked):
        scores[i] = rank
    return scores


def _thread_member(thread: Thread, field: str) -> str:
    value = thread.created_at if field == "created_at" else thread.updated_at
    return timed_member(to_epoch_ms(value), thread.id)


def _zrange(
    pipe: Pipeline,
    key: str,
    lower: str,
    upper: str,
    desc: bool,
    offset: int,
    limit: int | None,
    *,
    extra: int,
) -> None:
    """Queue ``ZRANGE key BYLEX [REV] LIMIT offset limit+extra`` (no LIMIT when unbounded)."""
    start, stop = (upper, lower) if desc else (lower, upper)
    if limit is None and offset == 0:
        pipe.zrange(key, start, stop, desc=desc, bylex=True)
    else:
        count = -1 if limit is None else limit + extra
        pipe.zrange(key, start, stop, desc=desc, bylex=True, offset=offset, num=count)


__all__ = ["UpstashMemoryBackend"]
