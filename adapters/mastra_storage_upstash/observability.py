"""Observability backend on Redis: AI-tracing spans and traces (Mastra has none on Upstash).

Layout (all under our ``mastra-storage:`` family, ids as JSON, so no two records share a key):

* ``["span", traceId, spanId]``: the span as JSON (Mastra's camelCase record), a string, so
  a page of root spans is one ``MGET``.
* ``["trace", traceId]``: a hash, field = span id, value = the span's *facts* (root or not,
  error or not, started/ended ms, status, entity type/id): every span id of the trace, and
  what the trace's index entries are computed from, without loading the spans.
* ``["traces", order, family, ...]``: lexicographic sorted sets of **root spans**, one pair
  (``started_at`` / ``ended_at`` order) per family: ``all``, ``status``, ``errored`` (traces
  with an error span), ``entity-type`` and ``entity`` (type + id). A member is
  ``<fixed-width ms>:<traceId>\\0<spanId>`` (NUL sorts below every id character, and ids
  never hold NUL), so the set read forwards is the ``(ms, trace_id)`` order of
  :class:`~mastra_storage.backend.observability.TraceQuery`, backwards its ``DESC`` order,
  a date range is a prefix bound and a cursor is a member bound. A null ``ended_at`` is the
  largest time (``999…``), so it comes first in ``DESC`` and last in ``ASC``.

Writes (``upsert_spans``, ``update_spans``, ``delete_traces``) are one optimistic
transaction each: ``WATCH`` the span keys and trace hashes they touch, read them in one
pipeline, then one ``MULTI``/``EXEC`` with the spans, facts and every index entry that moved.

``query_traces`` reads one index when the filters are all covered by it (the order field's
date range is a bound on any index); other filters read the most selective index between
the same bounds in chunks and filter in Python with the core's :func:`trace_matches`
(``docs/upstash-layout.md``, "Observability").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.asyncio.client import Pipeline

from mastra_storage.backend.concurrency import RetryPolicy
from mastra_storage.backend.observability import (
    NULL_TIME_KEY,
    ObservabilityBackend,
    SpanUpdate,
    TraceQuery,
    trace_matches,
)
from mastra_storage.backend.paging import is_after
from mastra_storage.codec import dumps
from mastra_storage.errors import MastraStorageError
from mastra_storage.records import Span
from mastra_storage.timeutil import to_epoch_ms

from .db import RedisDB, WriteBatch, begin, decode_json
from .errors import operation
from .keys import ms_text
from .lex import HIGHEST, LOWEST, lower_from_date, tighter_lower, tighter_upper, upper_from_date
from .scan import delete_matching

ENTITY = "trace"
ORDERS = ("started_at", "ended_at")
#: The time text of a null ``ended_at``: above every real time (years 1..9999 stay below).
NULL_TIME = "9" * 15
#: Members read and roots loaded per round trip on a filtered page.
CHUNK = 200
#: Fields per ``HSET``/``MGET``: keeps one command well under Lua's ``unpack`` limit on REST.
_BATCH = 1000
#: An index page that names a span which expired (TTL) drops the entry and reads again.
_REREAD = RetryPolicy(attempts=3, base_s=0.0, cap_s=0.0)


def _time_text(ms: int | None) -> str:
    return NULL_TIME if ms is None or ms == NULL_TIME_KEY else ms_text(ms)


def _member(ms: int | None, trace_id: str, span_id: str) -> str:
    return f"{_time_text(ms)}:{trace_id}\x00{span_id}"


def _parse_member(member: str) -> tuple[str, str]:
    """``(trace_id, span_id)`` of an index member (ids never contain NUL)."""
    trace_id, _, span_id = member[len(NULL_TIME) + 1 :].partition("\x00")
    return trace_id, span_id


@dataclass(frozen=True)
class Facts:
    """What a trace's index entries depend on, per span (stored in the trace hash)."""

    root: bool
    error: bool
    started: int
    ended: int | None
    entity_type: str | None
    entity_id: str | None

    @classmethod
    def of(cls, span: Span) -> Facts:
        """The facts of a span as it will be stored."""
        return cls(
            root=span.parent_span_id is None,
            error=span.error is not None,
            started=to_epoch_ms(span.started_at),
            ended=None if span.ended_at is None else to_epoch_ms(span.ended_at),
            entity_type=span.entity_type,
            entity_id=span.entity_id,
        )

    @property
    def status(self) -> str:
        """The span's computed status (``Span.status``): error, running or success."""
        if self.error:
            return "error"
        return "running" if self.ended is None else "success"

    def to_json(self) -> str:
        """The hash value: a compact JSON array."""
        return dumps(
            [self.root, self.error, self.started, self.ended, self.entity_type, self.entity_id]
        )

    @classmethod
    def from_json(cls, raw: Any) -> Facts | None:
        """Decode a hash value; ``None`` for anything this module did not write."""
        data = decode_json(raw)
        try:
            root, error, started, ended, entity_type, entity_id = data
            return cls(
                root=bool(root),
                error=bool(error),
                started=int(started),
                ended=None if ended is None else int(ended),
                entity_type=None if entity_type is None else str(entity_type),
                entity_id=None if entity_id is None else str(entity_id),
            )
        except (TypeError, ValueError):
            return None


def _families(facts: Facts, errored: bool) -> Iterator[tuple[str, ...]]:
    """The index families a root span belongs to."""
    yield ("all",)
    yield ("status", facts.status)
    if errored:
        yield ("errored",)
    if facts.entity_type is not None:
        yield ("entity-type", facts.entity_type)
        if facts.entity_id is not None:
            yield ("entity", facts.entity_type, facts.entity_id)


class UpstashObservabilityBackend(ObservabilityBackend):
    """Spans and traces in Redis with index sets per ``list_traces`` access path (module
    docstring). Every write is one optimistic transaction; reads are one to three commands
    plus one ``MGET`` per page."""

    def __init__(self, db: RedisDB) -> None:
        self._db = db
        self._k = db.keys

    # ---- keys ---------------------------------------------------------------------------

    def _span_key(self, trace_id: str, span_id: str) -> str:
        return self._k.span(trace_id, span_id)

    def _trace_key(self, trace_id: str) -> str:
        return self._k.trace(trace_id)

    def _index_key(self, order: str, family: tuple[str, ...]) -> str:
        return self._k.traces_by(order, *family)

    def _entries(self, trace_id: str, facts: dict[str, Facts]) -> set[tuple[str, str]]:
        """Every ``(index key, member)`` of a trace, given the facts of all its spans."""
        errored = any(f.error for f in facts.values())
        out: set[tuple[str, str]] = set()
        for span_id, f in facts.items():
            if not f.root:
                continue
            for order, ms in (("started_at", f.started), ("ended_at", f.ended)):
                member = _member(ms, trace_id, span_id)
                for family in _families(f, errored):
                    out.add((self._index_key(order, family), member))
        return out

    # ---- writes -------------------------------------------------------------------------

    async def _write(
        self, pairs: list[tuple[str, str]], change: Callable[[int, Span | None], Span | None]
    ) -> None:
        """One transaction over the spans ``pairs`` (trace id, span id): ``WATCH`` their keys
        and trace hashes, read both in one pipeline, let ``change(i, current span or None)``
        give the new span of ``pairs[i]`` (``None``: leave it), then write the spans, their
        facts and the index entries that moved. A retry after a conflict starts over."""
        trace_ids = list(dict.fromkeys(t for t, _ in pairs))
        unique = list(dict.fromkeys(pairs))
        span_keys = [self._span_key(t, s) for t, s in unique]
        trace_keys = [self._trace_key(t) for t in trace_ids]
        ttl = self._db.ttl.get(ENTITY)

        async def body(pipe: Pipeline) -> None:
            async with self._db.client.pipeline(transaction=False) as reads:
                for start in range(0, len(span_keys), _BATCH):
                    reads.mget(span_keys[start : start + _BATCH])
                for key in trace_keys:
                    reads.hgetall(key)
                replies = list(await reads.execute())
            hashes = replies[len(replies) - len(trace_keys) :]
            raw_spans = [v for reply in replies[: len(replies) - len(trace_keys)] for v in reply]
            current = {
                pair: _decode_span(raw, *pair) for pair, raw in zip(unique, raw_spans, strict=True)
            }
            before = {t: _decode_facts(h) for t, h in zip(trace_ids, hashes, strict=True)}
            after = {t: dict(f) for t, f in before.items()}
            written: dict[tuple[str, str], Span] = {}
            for i, pair in enumerate(pairs):  # in order: a batch may name one span twice
                new = change(i, current[pair])
                if new is not None:
                    current[pair] = written[pair] = new
                    after[pair[0]][pair[1]] = Facts.of(new)
            if not written:
                return
            begin(pipe)
            batch = WriteBatch(self._db)
            facts_out: dict[str, dict[str, str]] = {}
            for (trace_id, span_id), span in written.items():
                batch.set_json(self._span_key(trace_id, span_id), span.to_dict(), ENTITY)
                facts_out.setdefault(trace_id, {})[span_id] = after[trace_id][span_id].to_json()
            for trace_id in trace_ids:
                old_entries = self._entries(trace_id, before[trace_id])
                new_entries = self._entries(trace_id, after[trace_id])
                removals: dict[str, list[str]] = {}
                for key, member in sorted(old_entries - new_entries):
                    removals.setdefault(key, []).append(member)
                for key, members in removals.items():
                    pipe.zrem(key, *members)
                # with a TTL every entry is re-added, so each set's expiry is refreshed
                for key, member in sorted(new_entries if ttl else new_entries - old_entries):
                    batch.zadd(key, {member: 0}, ENTITY)
                items = list(facts_out.get(trace_id, {}).items())
                for start in range(0, len(items), _BATCH):
                    pipe.hset(
                        self._trace_key(trace_id), mapping=dict(items[start : start + _BATCH])
                    )
                if ttl and items:
                    pipe.expire(self._trace_key(trace_id), ttl)
            batch.flush(pipe)

        await self._db.transaction([*span_keys, *trace_keys], body)

    @operation("batchCreateSpans")
    async def upsert_spans(self, spans: list[Span]) -> None:
        """Insert or replace spans (keeping a stored span's ``created_at``) with their facts
        and index entries, in one optimistic transaction (``WATCH``, one read pipeline,
        ``MULTI``/``EXEC``): all spans land or none."""

        def change(i: int, old: Span | None) -> Span:
            new = spans[i]
            return new if old is None else new.replace(created_at=old.created_at)

        await self._write([(s.trace_id, s.span_id) for s in spans], change)

    @operation("batchUpdateSpans")
    async def update_spans(self, updates: list[SpanUpdate], now: datetime) -> None:
        """Apply changes to existing spans (missing ones are skipped), ``updated_at = now``,
        moving their index entries, in one optimistic transaction: all or nothing."""

        def change(i: int, old: Span | None) -> Span | None:
            if old is None:
                return None
            return old.replace(**updates[i].changes, updated_at=now)

        await self._write([(u.trace_id, u.span_id) for u in updates], change)

    @operation("batchDeleteTraces")
    async def delete_traces(self, trace_ids: list[str]) -> None:
        """Delete every span of these traces and their index entries in one optimistic
        transaction (``WATCH`` the trace hashes, read them, ``MULTI``: ``UNLINK`` + ``ZREM``)."""
        trace_keys = [self._trace_key(t) for t in trace_ids]

        async def body(pipe: Pipeline) -> None:
            async with self._db.client.pipeline(transaction=False) as reads:
                for key in trace_keys:
                    reads.hgetall(key)
                replies = list(await reads.execute())
            doomed: list[str] = []
            removals: dict[str, list[str]] = {}
            for trace_id, key, reply in zip(trace_ids, trace_keys, replies, strict=True):
                facts = {str(k): Facts.from_json(v) for k, v in dict(reply).items()}
                if not facts:
                    continue
                doomed.append(key)
                doomed.extend(self._span_key(trace_id, s) for s in facts)
                good = {s: f for s, f in facts.items() if f is not None}
                for index_key, member in self._entries(trace_id, good):
                    removals.setdefault(index_key, []).append(member)
            if not doomed:
                return
            begin(pipe)
            for start in range(0, len(doomed), _BATCH):
                pipe.unlink(*doomed[start : start + _BATCH])
            for index_key, members in sorted(removals.items()):
                pipe.zrem(index_key, *sorted(members))

        await self._db.transaction(trace_keys, body)

    @operation("dangerouslyClearAll")
    async def dangerously_clear_all(self) -> None:
        """Delete every span, trace hash and trace index (``SCAN``: maintenance only)."""
        for kind in ("span", "trace", "traces"):
            await delete_matching(self._db.client, self._k.ours_pattern(kind))

    # ---- reads --------------------------------------------------------------------------

    async def _load(self, pairs: list[tuple[str, str]]) -> list[Span | None]:
        out: list[Span | None] = []
        for start in range(0, len(pairs), _BATCH):
            chunk = pairs[start : start + _BATCH]
            raws = await self._db.client.mget([self._span_key(t, s) for t, s in chunk])
            out.extend(_decode_span(raw, t, s) for raw, (t, s) in zip(raws, chunk, strict=True))
        return out

    @operation("getSpan")
    async def get_span(self, trace_id: str, span_id: str) -> Span | None:
        """One ``MGET`` of the span's key."""
        return (await self._load([(trace_id, span_id)]))[0]

    async def _facts(self, trace_id: str) -> dict[str, Facts]:
        return _decode_facts(await self._db.client.hgetall(self._trace_key(trace_id)))

    @operation("getRootSpan")
    async def get_root_span(self, trace_id: str) -> Span | None:
        """``HGETALL`` of the trace hash (which span is the root), then one ``MGET``; with
        several parentless spans, the earliest started (ties by span id)."""
        facts = await self._facts(trace_id)
        roots = sorted((f.started, s) for s, f in facts.items() if f.root)
        spans = await self._load([(trace_id, s) for _, s in roots])
        return next((span for span in spans if span is not None), None)

    @operation("getTrace")
    async def get_trace_spans(self, trace_id: str) -> list[Span]:
        """``HKEYS`` of the trace hash, then ``MGET`` of its spans (per 1,000), ordered by
        ``started_at``, ties by span id."""
        span_ids = [str(s) for s in await self._db.client.hkeys(self._trace_key(trace_id))]
        spans = [s for s in await self._load([(trace_id, s) for s in span_ids]) if s is not None]
        return sorted(spans, key=lambda s: (s.started_at, s.span_id))

    def plan(self, query: TraceQuery) -> tuple[str, bool]:
        """The index key a query reads and whether filters remain for Python (a filtered
        page). Precedence: entity (type + id), status, errored, entity type, all."""
        f = query.filter
        covered: set[str] = set()
        if f.entity_type is not None and f.entity_id is not None:
            family: tuple[str, ...] = ("entity", f.entity_type, f.entity_id)
            covered = {"entity_type", "entity_id"}
        elif f.status is not None:
            family, covered = ("status", f.status), {"status"}
        elif f.has_child_error:
            family, covered = ("errored",), {"has_child_error"}
        elif f.entity_type is not None:
            family, covered = ("entity-type", f.entity_type), {"entity_type"}
        else:
            family = ("all",)
        covered.add(query.order_field)  # the order field's range is the index bound
        residual = any(
            getattr(f, name) is not None
            for name in f.__struct_fields__
            if name not in covered and name not in ("started_at", "ended_at")
        )
        other = "ended_at" if query.order_field == "started_at" else "started_at"
        residual = residual or getattr(f, other) is not None
        return self._index_key(query.order_field, family), residual

    @staticmethod
    def _bounds(query: TraceQuery) -> tuple[str, str]:
        """Lexicographic bounds of the order field's date range (nulls excluded by any
        ``ended_at`` range, as the reference does)."""
        lower, upper = LOWEST, HIGHEST
        rng = query.started_range if query.order_field == "started_at" else query.ended_range
        if rng is not None:
            if rng.start is not None:
                lower = lower_from_date(rng.start, rng.start_exclusive)
            if rng.end is not None:
                upper = upper_from_date(rng.end, rng.end_exclusive)
            if query.order_field == "ended_at":
                upper = tighter_upper(upper, "(" + NULL_TIME)
        return lower, upper

    @staticmethod
    def _after_cursor(query: TraceQuery, lower: str, upper: str) -> tuple[str, str]:
        """Bounds tightened to the rows strictly after the keyset cursor."""
        after = query.after
        if after is None:
            return lower, upper
        head = f"{_time_text(after.key)}:{after.tie}"
        if query.direction == "DESC":
            return lower, tighter_upper(upper, "(" + head + "\x00")
        return tighter_lower(lower, "(" + head + "\x01"), upper

    async def _range(
        self, key: str, lower: str, upper: str, descending: bool, num: int
    ) -> list[str]:
        """Up to ``num`` members between the bounds, in the query's direction."""
        if descending:
            rows = await self._db.client.zrange(
                key, upper, lower, desc=True, bylex=True, offset=0, num=num
            )
        else:
            rows = await self._db.client.zrange(key, lower, upper, bylex=True, offset=0, num=num)
        return [str(m) for m in rows]

    @operation("listTraces")
    async def query_traces(self, query: TraceQuery) -> tuple[list[Span], int]:
        """A page of root spans: an index read (``ZLEXCOUNT`` + ``ZRANGE BYLEX LIMIT`` +
        ``MGET``) when one index covers the filters, else a filtered page (:meth:`plan`)."""
        key, residual = self.plan(query)
        lower, upper = self._bounds(query)
        if residual:
            return await self._filtered(query, key, lower, upper)
        descending = query.direction == "DESC"
        page_lower, page_upper = self._after_cursor(query, lower, upper)
        for _ in _REREAD.tries():
            async with self._db.client.pipeline(transaction=False) as pipe:
                if query.count:
                    pipe.zlexcount(key, lower, upper)
                if descending:
                    pipe.zrange(
                        key,
                        page_upper,
                        page_lower,
                        desc=True,
                        bylex=True,
                        offset=query.offset,
                        num=query.limit + 1,
                    )
                else:
                    pipe.zrange(
                        key,
                        page_lower,
                        page_upper,
                        bylex=True,
                        offset=query.offset,
                        num=query.limit + 1,
                    )
                replies = list(await pipe.execute())
            total = int(replies[0]) if query.count else 0
            members = [str(m) for m in replies[-1]]
            spans = await self._load([_parse_member(m) for m in members])
            gone = [m for m, s in zip(members, spans, strict=True) if s is None]
            if not gone:
                return [s for s in spans if s is not None], total
            await self._db.client.zrem(key, *gone)  # spans that expired (TTL)
        return [s for s in spans if s is not None], max(0, total - len(gone))

    async def _filtered(
        self, query: TraceQuery, key: str, lower: str, upper: str
    ) -> tuple[list[Span], int]:
        """Read the index between the bounds in chunks of :data:`CHUNK` (``ZRANGE BYLEX
        LIMIT`` + ``MGET``, + ``ZMSCORE`` of the errored set when ``has_child_error`` is
        asked), keep the roots that match (:func:`trace_matches`), and hand the candidates
        of the page to :meth:`TraceQuery.execute`. Without a count the walk starts at the
        cursor and stops once the page is full; with one it walks the whole range, holding
        only the page. Memory: one chunk plus the page."""
        descending = query.direction == "DESC"
        need = query.offset + query.limit + 1
        if query.count:
            walk_lower, walk_upper = lower, upper
        else:
            walk_lower, walk_upper = self._after_cursor(query, lower, upper)
        errored_key = self._index_key(query.order_field, ("errored",))
        check_errors = query.filter.has_child_error is not None
        total = 0
        candidates: list[Span] = []
        errored: set[str] = set()
        while True:
            members = await self._range(key, walk_lower, walk_upper, descending, CHUNK)
            if not members:
                break
            # the next chunk starts after this one's last member (no server-side offset walk)
            if descending:
                walk_upper = "(" + members[-1]
            else:
                walk_lower = "(" + members[-1]
            spans = await self._load([_parse_member(m) for m in members])
            flags: list[Any] = [None] * len(members)
            if check_errors:
                flags = list(await self._db.client.zmscore(errored_key, members))
            for span, flag in zip(spans, flags, strict=True):
                if span is None or span.parent_span_id is not None:
                    continue
                child_error = flag is not None
                if not trace_matches(span, query, child_error):
                    continue
                total += 1
                if len(candidates) < need and is_after(
                    query.key(span), query.after, descending=descending
                ):
                    candidates.append(span)
                    if child_error:
                        errored.add(span.trace_id)
            if len(members) < CHUNK or (not query.count and len(candidates) >= need):
                break
        page, _ = query.execute(candidates, errored)
        return page, total if query.count else 0


def _decode_span(raw: Any, trace_id: str, span_id: str) -> Span | None:
    """The stored span, or ``None`` when absent or not the span asked for."""
    data = decode_json(raw)
    if not isinstance(data, dict):
        return None
    try:
        span = Span.from_dict(data)
    except MastraStorageError:
        return None
    return span if span.trace_id == trace_id and span.span_id == span_id else None


def _decode_facts(reply: Any) -> dict[str, Facts]:
    """A trace hash as span id -> facts (undecodable entries dropped)."""
    facts = {str(k): Facts.from_json(v) for k, v in dict(reply).items()}
    return {k: f for k, f in facts.items() if f is not None}


__all__ = ["Facts", "UpstashObservabilityBackend"]
