"""Observability on DynamoDB: tracing spans in the shared table (a layout of ours: Mastra's
DynamoDB store has no observability domain).

Items (``docs/dynamodb-layout.md``, "Observability"):

* a span: ``pk = $mastra_storage#trace_<trace_id>``, ``sk = span#<span_id>`` (ids exact, not
  lower-cased: no two spans share a key), the span as JSON in ``span``, its first
  ``createdAt``, ``rev``; a span with an error also has a sparse ``gsi7`` entry;
* a root span (no parent) also carries its ``list_traces`` filter attributes and the keys
  of four sparse GSI entries, each sorted by ``<time ms, fixed width>#<trace_id>`` (the
  exact order of :meth:`TraceQuery.key`): ``gsi3`` every root by ``started_at``, ``gsi4``
  every root by ``ended_at`` (a running trace sorts last), ``gsi5`` roots of one
  ``(entity_type, entity_id)``, ``gsi6`` roots of one status; both by ``started_at``.

Access paths: a span is one ``GetItem``, a trace (and its root) one ``Query`` of its
partition. ``list_traces`` reads one index partition within the key range of its time
filter and cursor; other column filters run in DynamoDB's ``FilterExpression``. When the
order is the index's and no filter is left for Python (``scope``, ``metadata``, ``tags``,
``has_child_error``), the page stops after ``offset + limit + 1`` matches and the total
is one ``Select=COUNT`` query; otherwise the whole range is read and paged by the core's
reference executor (:meth:`TraceQuery.execute`); ``has_child_error`` also reads the
sparse error-span index ``gsi7`` once (an entry per span with an error).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

import msgspec

from mastra_storage.backend.observability import (
    NULL_TIME_KEY,
    TRACE_EQUALITY_FILTERS,
    ObservabilityBackend,
    SpanUpdate,
    TraceQuery,
    trace_matches,
)
from mastra_storage.codec import dumps
from mastra_storage.errors import MastraStorageError
from mastra_storage.pagination import ResolvedDateRange
from mastra_storage.records import Span
from mastra_storage.timeutil import to_epoch_ms, to_iso

from .domain import DynamoBackendBase
from .errors import TransactionCancelled
from .optimistic import optimistic
from .table import Expr, Item, cas_condition, check_item_size, chunk_actions, next_rev

ENTITY = "span"
PREFIX = "$mastra_storage#"
#: Time keys are offset so that times before 1970 stay non-negative and fixed width
#: (17 digits hold 2**54), keeping string order equal to numeric order.
_TIME_OFFSET = 2**53
_TIME_WIDTH = 17
#: Root-span index attributes: removed when a span stops being a root.
_ROOT_ATTRIBUTES = (
    *(f"gsi{n}{part}" for n in (3, 4, 5, 6) for part in ("pk", "sk")),
    *TRACE_EQUALITY_FILTERS,
    "status",
    "startedMs",
    "endedMs",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def trace_pk(trace_id: str) -> str:
    """The partition of one trace's spans (the id as is: keys are case-sensitive)."""
    return f"{PREFIX}trace_{trace_id}"


def span_key(trace_id: str, span_id: str) -> dict[str, str]:
    return {"pk": trace_pk(trace_id), "sk": f"span#{span_id}"}


def time_key(ms: int) -> str:
    return str(ms + _TIME_OFFSET).zfill(_TIME_WIDTH)


def _index_sk(ms: int | None, trace_id: str) -> str:
    return f"{time_key(NULL_TIME_KEY if ms is None else ms)}#{trace_id}"


ALL_ROOTS_PK = f"{PREFIX}roots"
ENDED_ROOTS_PK = f"{PREFIX}roots_ended"
ERROR_SPANS_PK = f"{PREFIX}error_spans"


def entity_pk(entity_type: str, entity_id: str) -> str:
    # The type's length keeps the pair injective whatever characters the two hold.
    return f"{PREFIX}roots_entity#{len(entity_type)}:{entity_type}#{entity_id}"


def status_pk(status: str) -> str:
    return f"{PREFIX}roots_status#{status}"


def _ms(value: datetime | None) -> int | None:
    return None if value is None else to_epoch_ms(value)


def span_attributes(span: Span) -> dict[str, Any]:
    """Every attribute of a span's item but its key, ``createdAt`` and ``rev`` (``None``:
    the attribute is removed)."""
    data = span.to_dict()
    data.pop("createdAt", None)
    attributes: dict[str, Any] = {
        "entity": ENTITY,
        "__edb_e__": ENTITY,
        "span": dumps(data),
        # The error-span index (gsi7): has_child_error reads it once instead of every trace.
        "gsi7pk": ERROR_SPANS_PK if span.error is not None else None,
        "gsi7sk": time_key(to_epoch_ms(span.started_at)) if span.error is not None else None,
    }
    root = span.parent_span_id is None
    for name in _ROOT_ATTRIBUTES:
        attributes[name] = None
    if root:
        started, ended = _ms(span.started_at), _ms(span.ended_at)
        assert started is not None
        attributes.update(
            gsi3pk=ALL_ROOTS_PK,
            gsi3sk=_index_sk(started, span.trace_id),
            gsi4pk=ENDED_ROOTS_PK,
            gsi4sk=_index_sk(ended, span.trace_id),
            gsi6pk=status_pk(span.status),
            gsi6sk=_index_sk(started, span.trace_id),
            status=span.status,
            startedMs=started,
            endedMs=ended,
        )
        if span.entity_type is not None and span.entity_id is not None:
            attributes.update(
                gsi5pk=entity_pk(span.entity_type, span.entity_id),
                gsi5sk=_index_sk(started, span.trace_id),
            )
        for name in TRACE_EQUALITY_FILTERS:
            attributes[name] = getattr(span, name)
    return attributes


def span_from_item(item: Item) -> Span | None:
    """The stored span, or ``None`` when the item does not decode (never raises)."""
    try:
        data = json.loads(item["span"])
        if item.get("createdAt"):
            data["createdAt"] = item["createdAt"]
        return Span.from_dict(data)
    except (KeyError, TypeError, ValueError, MastraStorageError):
        return None


def _span_order(span: Span) -> tuple[datetime, str]:
    return (span.started_at, span.span_id)


def _epoch_us(value: datetime) -> int:
    return (value - _EPOCH) // timedelta(microseconds=1)


def time_key_condition(
    expr: Expr,
    index: str,
    pk: str,
    window: ResolvedDateRange | None,
    *,
    at: str | None,
    descending: bool,
) -> str | None:
    """The key condition of one partition (``pk``) of ``index`` whose sort keys are
    ``"<time_key>#<tie>"``: within ``window`` and, with ``at`` (a cursor's own sort key),
    from that key on in the walking direction (inclusive: the caller drops that row).
    ``None`` when the range is empty."""
    # Inclusive string bounds: "<time>" sorts before every key of that millisecond and
    # "<time>$" ('$' follows '#') after all of them.
    low: str | None = None
    high: str | None = None
    if window is not None:
        lo_ms, hi_ms = ms_bounds(window)
        if lo_ms is not None:
            low = time_key(lo_ms)
        if hi_ms is not None:
            high = time_key(hi_ms) + "$"
    if at is not None:
        if descending:
            high = at if high is None or at < high else high
        else:
            low = at if low is None or at > low else low
    condition = f"{expr.n(index + 'pk')} = {expr.v(pk)}"
    sk = f"{index}sk"
    if low is not None and high is not None:
        if low > high:
            return None
        condition += f" AND {expr.n(sk)} BETWEEN {expr.v(low)} AND {expr.v(high)}"
    elif low is not None:
        condition += f" AND {expr.n(sk)} >= {expr.v(low)}"
    elif high is not None:
        condition += f" AND {expr.n(sk)} <= {expr.v(high)}"
    return condition


def ms_bounds(window: ResolvedDateRange) -> tuple[int | None, int | None]:
    """The inclusive millisecond bounds of ``window`` (stored times are whole milliseconds,
    so these select exactly what ``window.contains`` accepts)."""
    low = high = None
    if window.start is not None:
        us = _epoch_us(window.start)
        low = us // 1000 + 1 if window.start_exclusive else -(-us // 1000)
    if window.end is not None:
        us = _epoch_us(window.end)
        high = -(-us // 1000) - 1 if window.end_exclusive else us // 1000
    return low, high


class _Plan:
    """One ``list_traces`` access path: the index partition, key range and filters."""

    def __init__(self, query: TraceQuery) -> None:
        f = query.filter
        self.query = query
        used: set[str] = set()
        sort_field = "started_at"
        if f.entity_type is not None and f.entity_id is not None:
            self.index, self.pk = "gsi5", entity_pk(f.entity_type, f.entity_id)
            used |= {"entity_type", "entity_id"}
        elif f.status is not None:
            self.index, self.pk = "gsi6", status_pk(f.status)
            used.add("status")
        elif query.order_field == "ended_at":
            self.index, self.pk, sort_field = "gsi4", ENDED_ROOTS_PK, "ended_at"
        else:
            self.index, self.pk = "gsi3", ALL_ROOTS_PK
        self.sort_field = sort_field
        #: The index's order is the query's: a page can stop early.
        self.ordered = sort_field == query.order_field
        self.python_filters = (
            f.scope is not None
            or f.metadata is not None
            or f.tags is not None
            or f.has_child_error is not None
        )
        self.key_window = query.started_range if sort_field == "started_at" else query.ended_range
        self.equalities = {
            name: getattr(f, name)
            for name in TRACE_EQUALITY_FILTERS
            if getattr(f, name) is not None and name not in used
        }
        if f.status is not None and "status" not in used:
            self.equalities["status"] = f.status
        self.windows: list[tuple[str, ResolvedDateRange]] = []
        if query.started_range is not None and sort_field != "started_at":
            self.windows.append(("startedMs", query.started_range))
        if query.ended_range is not None:
            # Also when it bounds the key (gsi4): running traces sort last there.
            self.windows.append(("endedMs", query.ended_range))

    def arguments(self, *, with_cursor: bool) -> dict[str, Any] | None:
        """``query_pages`` arguments (``None``: the range is empty). ``with_cursor`` narrows
        the range to the cursor's row onwards (inclusive: the caller drops that row)."""
        expr = Expr()
        cursor = self.query.after if with_cursor and self.ordered else None
        condition = time_key_condition(
            expr,
            self.index,
            self.pk,
            self.key_window,
            at=None if cursor is None else _index_sk(int(cursor.key), str(cursor.tie)),
            descending=self.query.direction == "DESC",
        )
        if condition is None:
            return None
        filters = [f"{expr.n(name)} = {expr.v(value)}" for name, value in self.equalities.items()]
        for attribute, window in self.windows:
            lo_ms, hi_ms = ms_bounds(window)
            name = expr.n(attribute)
            if lo_ms is not None:
                filters.append(f"{name} >= {expr.v(lo_ms)}")
            if hi_ms is not None:
                filters.append(f"{name} <= {expr.v(hi_ms)}")
        return {
            "index": self.index,
            "key_condition": condition,
            "filter": " AND ".join(filters) or None,
            "expr": expr,
        }


class DynamoObservabilityBackend(DynamoBackendBase, ObservabilityBackend):
    """Spans and traces in the shared table (module docstring: items and access paths).

    Writes of up to 100 spans are one ``TransactWriteItems`` (atomic); larger batches are
    consecutive transactions of 100, each atomic. New spans need no read (a ``Put``
    guarded by ``attribute_not_exists``); replacing stored ones reads them first. Index
    entries live on GSIs, so ``list_traces`` sees a write after DynamoDB's index
    propagation (typically well under a second); ``get_*`` read the table with strong
    consistency.
    """

    entities: ClassVar[tuple[str, ...]] = (ENTITY,)

    def _put_action(
        self, span: Span, old: Item | None, created_at: str | None
    ) -> tuple[dict[str, Any], int]:
        """A ``Put`` of the whole span item, conditioned on the item read (``old``; ``None``:
        it must not exist), keeping the stored ``createdAt``."""
        key = span_key(span.trace_id, span.span_id)
        # A trace's spans expire together only roughly (each from its own last write).
        item = {
            **key,
            **{k: v for k, v in span_attributes(span).items() if v is not None},
            **self.with_ttl("trace", {}),
            "createdAt": old.get("createdAt") if old is not None else created_at,
            "rev": next_rev(old),
        }
        size = check_item_size(item, what=f"span {span.span_id} of trace {span.trace_id}")
        expr = Expr()
        return self.table.put_action(item, expr=expr, condition=cas_condition(expr, old)), size

    async def _write(self, actions: list[tuple[dict[str, Any], int]]) -> None:
        for chunk in chunk_actions([("Put", a) for a, _ in actions], [s for _, s in actions]):
            await self.table.transact(chunk)

    async def _read(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Item]:
        """The stored items of these spans (consistent ``BatchGetItem``), by key."""
        found = await self.table.batch_get([span_key(t, s) for t, s in keys])
        out: dict[tuple[str, str], Item] = {}
        for item in found:
            span = span_from_item(item)
            if span is not None and item["pk"] == trace_pk(span.trace_id):
                out[(span.trace_id, span.span_id)] = item
        return out

    async def upsert_spans(self, spans: list[Span]) -> None:
        """One transaction per 100 spans. First try: a ``Put`` per span guarded by
        ``attribute_not_exists`` (new spans: no read). If some exist, the retry reads them
        and replaces each with a ``Put`` guarded by its ``rev``, keeping its ``createdAt``.
        A span listed twice is written once, as its last version with its first
        ``created_at``."""
        latest: dict[tuple[str, str], Span] = {}
        first_created: dict[tuple[str, str], datetime | None] = {}
        for span in spans:
            key = (span.trace_id, span.span_id)
            first_created.setdefault(key, span.created_at)
            latest[key] = span
        read_first = False

        async def attempt() -> None:
            nonlocal read_first
            olds = await self._read(list(latest)) if read_first else {}
            actions = []
            for key, span in latest.items():
                created = first_created[key]
                created_iso = None if created is None else to_iso(created)
                actions.append(self._put_action(span, olds.get(key), created_iso))
            try:
                await self._write(actions)
            except TransactionCancelled:
                read_first = True  # some spans exist (or changed): read, then replace
                raise

        locks = [f"span:{t}\x00{s}" for t, s in latest]
        await optimistic(self.table, locks, attempt, what="upsert spans")

    async def update_spans(self, updates: list[SpanUpdate], now: datetime) -> None:
        """Read the spans (``BatchGetItem``), apply the changes and put them back in one
        transaction per 100 spans, each conditioned on the ``rev`` read (retried while
        other writers win); missing spans are skipped. A span that stops being a root
        loses its index entries in the same write."""
        keys = list(dict.fromkeys((u.trace_id, u.span_id) for u in updates))

        async def attempt() -> None:
            current = await self._read(keys)
            changed: dict[tuple[str, str], Span] = {}
            for update in updates:
                key = (update.trace_id, update.span_id)
                if key in current:
                    base = changed.get(key) or span_from_item(current[key])
                    assert base is not None  # _read keeps decodable items only
                    changed[key] = base.replace(**update.changes, updated_at=now)
            await self._write(
                [self._put_action(span, current[key], None) for key, span in changed.items()]
            )

        locks = [f"span:{t}\x00{s}" for t, s in keys]
        await optimistic(self.table, locks, attempt, what="update spans")

    async def delete_traces(self, trace_ids: list[str]) -> None:
        """Query each trace's span keys, then delete them in one transaction per 100 spans
        (a larger set of traces is deleted in several transactions, each atomic)."""
        found = await asyncio.gather(*(self._trace_items(t, keys_only=True) for t in trace_ids))
        deletes = [
            ("Delete", self.table.delete_action({"pk": i["pk"], "sk": i["sk"]}))
            for items in found
            for i in items
        ]
        for chunk in chunk_actions(deletes, [256] * len(deletes)):
            await self.table.transact(chunk)

    async def _trace_items(
        self, trace_id: str, *, keys_only: bool = False, roots: bool = False
    ) -> list[Item]:
        expr = Expr()
        args: dict[str, Any] = {
            "key_condition": f"{expr.n('pk')} = {expr.v(trace_pk(trace_id))}",
            "expr": expr,
            "consistent": True,
        }
        if keys_only:
            args["projection"] = f"{expr.n('pk')}, {expr.n('sk')}"
        if roots:
            args["filter"] = f"attribute_exists({expr.n('gsi3pk')})"
        return await self.table.query_all(**args)

    async def get_span(self, trace_id: str, span_id: str) -> Span | None:
        """One consistent ``GetItem``."""
        item = await self.table.get(span_key(trace_id, span_id))
        return None if item is None else span_from_item(item)

    async def get_root_span(self, trace_id: str) -> Span | None:
        """One ``Query`` of the trace's partition, filtered to root spans."""
        spans = [s for s in map(span_from_item, await self._trace_items(trace_id, roots=True)) if s]
        return min(spans, key=_span_order) if spans else None

    async def get_trace_spans(self, trace_id: str) -> list[Span]:
        """One ``Query`` of the trace's partition (consistent), ordered in memory."""
        spans = [s for s in map(span_from_item, await self._trace_items(trace_id)) if s]
        return sorted(spans, key=_span_order)

    async def query_traces(self, query: TraceQuery) -> tuple[list[Span], int]:
        """See the module docstring: one index partition's key range; an early-stopping
        page plus a ``COUNT`` query when the index order is the query's and DynamoDB
        applies every filter, else the whole range paged by :meth:`TraceQuery.execute`."""
        plan = _Plan(query)
        descending = query.direction == "DESC"
        if not plan.ordered or plan.python_filters:
            whole = plan.arguments(with_cursor=False)
            if whole is None:
                return [], 0
            items = await self.table.query_all(**whole, forward=not descending)
            roots = [s for s in map(span_from_item, items) if s is not None]
            errored: set[str] = set()
            if query.filter.has_child_error is not None:
                # Only roots that pass every other filter need the per-trace check.
                rest = msgspec.structs.replace(
                    query,
                    filter=msgspec.structs.replace(query.filter, has_child_error=None),
                )
                errored = await self._errored(
                    r.trace_id for r in roots if trace_matches(r, rest, False)
                )
            return query.execute(roots, errored)
        ranged = plan.arguments(with_cursor=True)
        counted = plan.arguments(with_cursor=False) if query.count else None
        # A filtered range reads in larger pages so that a selective filter still fills a
        # page in few calls.
        filtered = ranged is not None and ranged["filter"] is not None
        return await self.read_range(
            ranged,
            counted,
            query,
            key=query.key,
            descending=descending,
            decode=span_from_item,
            min_page_size=100 if filtered else 0,
        )

    async def _errored(self, trace_ids: Iterable[str]) -> set[str]:
        """The traces among ``trace_ids`` with an error span: one ``Query`` of the sparse
        error-span index (gsi7: only spans with an error have an entry), keys only."""
        wanted = set(trace_ids)
        if not wanted:
            return set()
        expr = Expr()
        items = await self.table.query_all(
            index="gsi7",
            key_condition=f"{expr.n('gsi7pk')} = {expr.v(ERROR_SPANS_PK)}",
            projection=expr.n("pk"),
            expr=expr,
        )
        cut = len(trace_pk(""))
        return {t for t in (str(i["pk"])[cut:] for i in items) if t in wanted}


__all__ = [
    "ALL_ROOTS_PK",
    "ENDED_ROOTS_PK",
    "ENTITY",
    "DynamoObservabilityBackend",
    "entity_pk",
    "ms_bounds",
    "span_attributes",
    "span_from_item",
    "span_key",
    "status_pk",
    "time_key",
    "trace_pk",
]
