"""Queue the index changes that go with a record change, and page through a time index.

Each ``*_index_ops`` function queues, into an open ``MULTI`` pipeline, the removals of the
old record's index members and the additions of the new one's, so a record and its
indexes change in the same transaction.

:func:`newest_first` executes the paging contract of :mod:`mastra_storage.backend.paging`
(keyset ``after``, ``offset``, ``limit + 1`` rows, optional count) on one lexicographic
time index; :func:`index_members` reads a whole index for filters no index answers, which
the callers then hand to the core's reference executors.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from redis.asyncio.client import Pipeline

from mastra_storage.backend.concurrency import RetryPolicy
from mastra_storage.backend.paging import PageRequest, sort_rows
from mastra_storage.records import Score, Thread, WorkflowRun
from mastra_storage.timeutil import to_epoch_ms

from .db import RedisDB, WriteBatch, lex_members
from .keys import message_member, ms_text, parse_timed_member, run_tail, timed_member
from .lex import tighter_upper

T = TypeVar("T")
_LOAD_CHUNK = 500

#: A page read whose index named records that are gone (expired by TTL) drops those entries
#: and reads again: three reads, no pause (nothing is contended; the next read simply sees
#: the repaired index).
INDEX_REREAD = RetryPolicy(attempts=3, base_s=0.0, cap_s=0.0)

#: Index members -> records (``None`` for a member whose record is gone).
Loader = Callable[[list[str]], Awaitable[list["T | None"]]]


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


def run_member(run: WorkflowRun) -> str:
    """A run's member in every run index: its creation time, then ``workflow/run``."""
    return timed_member(to_epoch_ms(run.created_at), run_tail(run.workflow_name, run.run_id))


def run_index_keys(db: RedisDB, run: WorkflowRun) -> list[str]:
    """The listing indexes a run belongs to (all, by workflow, by run id, and by resource
    when it has one)."""
    k = db.keys
    keys = [
        k.runs_by("all", None),
        k.runs_by("workflow", run.workflow_name),
        k.runs_by("run", run.run_id),
    ]
    if run.resource_id:
        keys.append(k.runs_by("resource", run.resource_id))
    return keys


def run_pointer(record_key: str, run: WorkflowRun) -> dict[str, Any]:
    """The per-run pointer document: where the run is stored (``k``), its creation time in
    epoch ms (``m``) and its resource (``r``)."""
    return {"k": record_key, "m": to_epoch_ms(run.created_at), "r": run.resource_id}


def newest_runs(
    stored: Iterable[tuple[str, WorkflowRun]],
) -> dict[tuple[str, str], tuple[str, WorkflowRun]]:
    """One ``(key, run)`` per (workflow name, run id): the latest ``updated_at`` among the
    copies found under several keys (a run whose resource changed in a Mastra app)."""
    newest: dict[tuple[str, str], tuple[str, WorkflowRun]] = {}
    for key, run in stored:
        current = newest.get((run.workflow_name, run.run_id))
        if current is None or run.updated_at > current[1].updated_at:
            newest[(run.workflow_name, run.run_id)] = (key, run)
    return newest


def score_member(score: Score) -> str:
    """A score's member in every score index: its creation time, then its id."""
    return timed_member(to_epoch_ms(score.created_at), score.id)


def score_index_keys(db: RedisDB, score: Score) -> list[str]:
    """The listing indexes a score belongs to (by scorer, run, entity, and span if any)."""
    k = db.keys
    keys = [
        k.scores_by("scorer", score.scorer_id),
        k.scores_by("run", score.run_id),
        k.scores_by("entity", score.entity_id, score.entity_type or ""),
    ]
    if score.trace_id and score.span_id:
        keys.append(k.scores_by("span", score.trace_id, score.span_id))
    return keys


async def index_members(db: RedisDB, key: str, bounds: tuple[str, str]) -> list[str]:
    """Every member of a time index between ``bounds``, oldest first (one command)."""
    return await lex_members(db.client, key, *bounds)


async def load_members(members: list[str], load: Loader[T]) -> list[T]:
    """The live records of ``members``, loaded in chunks (one batch read per chunk)."""
    found: list[T] = []
    for start in range(0, len(members), _LOAD_CHUNK):
        found.extend(i for i in await load(members[start : start + _LOAD_CHUNK]) if i is not None)
    return found


async def newest_first(
    db: RedisDB,
    key: str,
    bounds: tuple[str, str],
    load: Loader[T],
    *,
    offset: int = 0,
    limit: int | None = None,
    count: bool = True,
    after: str | None = None,
    ties_ascending: bool = False,
) -> tuple[list[T], int]:
    """A page of a time index, newest first: up to ``limit + 1`` records and the count of
    the index between ``bounds`` (0 when not ``count``).

    Members are ``<ms>:<tail>``, so the index read backwards orders by time, then tail
    descending. ``after`` is the member position of a keyset cursor: only members strictly
    after it are read. With ``ties_ascending`` members of one millisecond come in tail
    *ascending* order instead (scores: ``created_at`` DESC, ``id`` ASC): see
    :func:`_ascending_ties`. Costs ``ZLEXCOUNT`` + ``ZRANGE ... REV LIMIT`` + one batch
    ``load`` of the page; entries of expired records are dropped and the page read again.
    """
    lower, upper = bounds
    if limit == 0:
        return [], int(await db.client.zlexcount(key, lower, upper)) if count else 0
    items: list[T | None] = []
    total = 0
    members: list[str] = []
    for _ in INDEX_REREAD.tries():
        rev_upper, head_bounds = upper, None
        if after is not None and ties_ascending:
            # the cursor's own millisecond, ids after it (read ascending), then older ones
            ms_prefix = ms_text(parse_timed_member(after)[0])
            head_bounds = ("(" + after, "(" + ms_prefix + ";")
            rev_upper = tighter_upper(upper, "(" + ms_prefix + ":")
        elif after is not None:
            rev_upper = tighter_upper(upper, "(" + after)
        # ascending ties look one member past each end of the page (a millisecond cut there)
        start = offset - 1 if ties_ascending and offset > 0 and after is None else offset
        if head_bounds is not None:
            start = 0  # the core never sends offset with a cursor; the head absorbs it here
        want = None if limit is None else offset + limit + 1 - start
        async with db.client.pipeline(transaction=False) as pipe:
            if count:
                pipe.zlexcount(key, lower, upper)
            if head_bounds is not None:
                num = -1 if want is None else want
                pipe.zrange(key, *head_bounds, bylex=True, offset=0, num=num)
            if want is None and start == 0:
                pipe.zrange(key, rev_upper, lower, desc=True, bylex=True)
            else:
                num = -1 if want is None else want + (1 if ties_ascending else 0)
                pipe.zrange(key, rev_upper, lower, desc=True, bylex=True, offset=start, num=num)
            replies = list(await pipe.execute())
        total = int(replies.pop(0)) if count else 0
        rows = [str(m) for m in replies[-1]]
        if ties_ascending:
            head = [str(m) for m in replies[0]] if head_bounds is not None else []
            skip = 0 if head_bounds is not None else offset - start
            rest = None if want is None else want - skip - len(head)
            at = 0 if head_bounds is not None else offset
            members = head + await _ascending_ties(
                db, key, (lower, rev_upper), rows, skip, rest, at
            )
            if head_bounds is not None:
                members = members[offset:]
            members = members if limit is None else members[: limit + 1]
        else:
            members = rows
        items = await load(members) if members else []
        gone = [m for m, item in zip(members, items, strict=True) if item is None]
        if not gone:
            break
        await db.client.zrem(key, *gone)
    found = [item for item in items if item is not None]
    return found, total - (len(items) - len(found)) if count else 0


async def list_index(
    db: RedisDB,
    key: str,
    bounds: tuple[str, str],
    load: Loader[T],
    page: PageRequest,
    *,
    residual: bool,
    execute: Callable[[list[T]], tuple[list[T], int]],
    cursor_tail: Callable[[Any], str] = str,
    ties_ascending: bool = False,
) -> tuple[list[T], int]:
    """A listing over one time index: with a ``residual`` filter no index answers, every
    record between ``bounds`` handed to the query's reference ``execute``; else
    :func:`newest_first` with ``page``'s paging fields, the cursor's member position
    ``<ms>:<cursor_tail(tie)>``."""
    if residual:
        return execute(await load_members(await index_members(db, key, bounds), load))
    after = page.after
    return await newest_first(
        db,
        key,
        bounds,
        load,
        offset=page.offset,
        limit=page.limit,
        count=page.count,
        after=None if after is None else timed_member(after.key, cursor_tail(after.tie)),
        ties_ascending=ties_ascending,
    )


def _tie_order(members: list[str]) -> list[str]:
    """Members by time descending, then tail ascending."""
    return sort_rows(members, parse_timed_member, descending=True, tie_descending=False)


async def _ascending_ties(
    db: RedisDB,
    key: str,
    bounds: tuple[str, str],
    rows: list[str],
    skip: int,
    want: int | None,
    at: int,
) -> list[str]:
    """The ``want`` members from position ``at`` in "time descending, tail ascending" order,
    given ``rows``: the index read backwards from position ``at - skip`` (``skip`` is 0 or
    1: one member before the page), with one member past the page when there is one.

    Read backwards, only the members of one millisecond come in the wrong order. Inside the
    page that is a sort; a millisecond cut by the page's first or last edge is read whole
    (one more round trip, only then: equal milliseconds at a page edge are rare), with the
    count of the index above it to place it.
    """
    front, rows = rows[:skip], rows[skip:]
    window = rows if want is None else rows[:want]
    extra = [] if want is None else rows[want : want + 1]
    if not window:
        return []
    top, bottom = parse_timed_member(window[0])[0], parse_timed_member(window[-1])[0]
    top_cut = bool(front) and parse_timed_member(front[0])[0] == top
    bottom_cut = bool(extra) and parse_timed_member(extra[0])[0] == bottom
    if not top_cut and not bottom_cut:
        return _tie_order(window)
    cut = sorted({ms for ms, is_cut in ((top, top_cut), (bottom, bottom_cut)) if is_cut})
    async with db.client.pipeline(transaction=False) as pipe:
        if top_cut:
            pipe.zlexcount(key, "(" + ms_text(top) + ";", bounds[1])
        for ms in cut:
            pipe.zrange(key, "[" + ms_text(ms) + ":", "(" + ms_text(ms) + ";", bylex=True)
        replies = list(await pipe.execute())
    above = int(replies.pop(0)) if top_cut else at
    groups = {ms: [str(m) for m in members] for ms, members in zip(cut, replies, strict=True)}
    inner = [m for m in window if parse_timed_member(m)[0] not in groups]
    ordered = _tie_order(inner + [m for ms in cut for m in groups[ms]])
    start = at - above
    return ordered[start:] if want is None else ordered[start : start + want]


__all__ = [
    "INDEX_REREAD",
    "Loader",
    "MessageMeta",
    "add_mastra_member",
    "add_message_index",
    "index_members",
    "list_index",
    "load_members",
    "mastra_score",
    "message_index_keys",
    "newest_first",
    "newest_runs",
    "remove_message_index",
    "run_index_keys",
    "run_member",
    "run_pointer",
    "score_index_keys",
    "score_member",
    "thread_index_ops",
]
