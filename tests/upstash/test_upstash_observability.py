"""Traces on Redis: every ``list_traces`` access path against the in-memory reference, the
commands each filter costs (constant in the data size for index reads), atomic writes under
contention, and hostile trace ids."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from upstash_counting import counting_client
from upstash_rest_shim import rest_shim

from mastra_storage.domains.observability import ObservabilityStore, SpanUpdate, TraceFilter
from mastra_storage.errors import ValidationError
from mastra_storage.inmemory import InMemoryStore
from mastra_storage.pagination import DateRange
from mastra_storage.records import Span
from mastra_storage.testing.data import BASE_TIME, sample_span
from mastra_storage_upstash import UpstashStore
from mastra_storage_upstash.keys import glob_escape
from mastra_storage_upstash.observability import UpstashObservabilityBackend

pytestmark = pytest.mark.anyio

REST_TOKEN = "rest-token-observability"

ORDERS = [(f, d) for f in ("started_at", "ended_at") for d in ("DESC", "ASC")]

#: Filters and the access path each takes (index read, or a filtered page of that index).
FILTERS: list[tuple[str, TraceFilter]] = [
    ("none", TraceFilter()),
    (
        "started range",
        TraceFilter(started_at=DateRange(start=BASE_TIME, end=BASE_TIME + timedelta(seconds=30))),
    ),
    ("ended range", TraceFilter(ended_at=DateRange(start=BASE_TIME + timedelta(seconds=5)))),
    ("entity", TraceFilter(entity_type="agent", entity_id="a1")),
    ("entity type", TraceFilter(entity_type="workflow_run")),
    ("status error", TraceFilter(status="error")),
    ("status running", TraceFilter(status="running")),
    ("status success", TraceFilter(status="success")),
    ("child error", TraceFilter(has_child_error=True)),
    ("no child error", TraceFilter(has_child_error=False)),
    ("entity + status", TraceFilter(entity_type="agent", entity_id="a1", status="success")),
    ("user", TraceFilter(user_id="u1")),
    ("environment + tags", TraceFilter(environment="prod", tags=["x"])),
    ("metadata", TraceFilter(metadata={"k": 1})),
    ("entity id only", TraceFilter(entity_id="a2")),
]


def _dataset(seed: int, n: int, tag: str = "") -> list[Span]:
    """``n`` traces: roots with varied context, ended or running, some with error children,
    equal start times (tie-breaks), and a trace with two parentless spans."""
    rng = random.Random(seed)
    spans: list[Span] = []
    for i in range(n):
        trace_id = f"t{rng.randrange(1000):03d}:{tag}{i}"  # colons: ids are free-form
        started = BASE_TIME + timedelta(seconds=rng.randrange(40))
        ended = None if rng.random() < 0.25 else started + timedelta(seconds=rng.randrange(5))
        entity = rng.choice(
            [("agent", "a1"), ("agent", "a2"), ("workflow_run", "w1"), (None, None)]
        )
        root = sample_span(
            trace_id=trace_id,
            span_id="root",
            started_at=started,
            ended_at=ended,
            entity_type=entity[0],
            entity_id=entity[1],
            user_id=rng.choice(["u1", "u2", None]),
            environment=rng.choice(["prod", "dev"]),
            tags=rng.choice([["x"], ["x", "y"], None]),
            metadata=rng.choice([{"k": 1}, {"k": 2}, None]),
            error={"message": "boom"} if rng.random() < 0.15 else None,
        )
        spans.append(root)
        for c in range(rng.randrange(3)):
            spans.append(
                sample_span(
                    trace_id=trace_id,
                    span_id=f"child{c}",
                    parent_span_id="root",
                    started_at=started + timedelta(milliseconds=c + 1),
                    error={"message": "child"} if rng.random() < 0.2 else None,
                )
            )
        if i == 3:
            # a different start: the contract orders by (time, trace id) and leaves
            # two roots of one trace at one time in no particular order
            spans.append(
                sample_span(
                    trace_id=trace_id,
                    span_id="second-root",
                    started_at=started + timedelta(seconds=2),
                )
            )
    return spans


async def _all_pages(
    obs: ObservabilityStore, flt: TraceFilter, field: Any, direction: Any
) -> list[Any]:
    """Every page by cursor, then page numbers, with totals: the whole observable result."""
    seen: list[Any] = []
    cursor = None
    while True:
        page = await obs.list_traces(
            filter=flt,
            per_page=4,
            order_field=field,
            direction=direction,
            cursor=cursor,
            include_total=cursor is None,
        )
        seen.append([(s.trace_id, s.span_id, s.status) for s in page.items])
        if not page.has_more:
            break
        cursor = page.next_cursor
    numbered = await obs.list_traces(
        filter=flt, page=1, per_page=3, order_field=field, direction=direction
    )
    seen.append(
        ([(s.trace_id, s.span_id) for s in numbered.items], numbered.total, numbered.has_more)
    )
    return seen


@pytest.fixture(scope="module")
def rest_url(redis_server_url: str) -> Iterator[str]:
    """An Upstash REST stand-in in front of the test Redis (``upstash_rest_shim``)."""
    with rest_shim(redis_server_url, "", REST_TOKEN) as shim:
        yield shim.url


@pytest.fixture(params=["tcp", "rest"])
async def pair(
    request: pytest.FixtureRequest, redis_server_url: str, prefix: str
) -> AsyncIterator[tuple[ObservabilityStore, ObservabilityStore]]:
    """Our store over one transport, and the in-memory reference."""
    if request.param == "rest":
        store = UpstashStore(request.getfixturevalue("rest_url"), REST_TOKEN, prefix=prefix)
    else:
        store = UpstashStore(redis_server_url, prefix=prefix)
    reference = InMemoryStore()
    yield (
        await store.require_store("observability"),
        await reference.require_store("observability"),
    )
    await store.close()


async def test_every_access_path_matches_the_reference(
    pair: tuple[ObservabilityStore, ObservabilityStore],
) -> None:
    ours, ref = pair
    spans = _dataset(7, 40)
    for obs in pair:
        await obs.batch_create_spans(spans)
        # life cycle: running roots end, one errors later, a child turns into a root and back
        running = [s for s in spans if s.parent_span_id is None and s.ended_at is None][:3]
        await obs.batch_update_spans(
            [
                SpanUpdate(
                    trace_id=s.trace_id,
                    span_id=s.span_id,
                    changes={"ended_at": s.started_at + timedelta(seconds=9)},
                )
                for s in running[:2]
            ]
            + [
                SpanUpdate(
                    trace_id=running[2].trace_id, span_id="root", changes={"error": {"late": True}}
                )
            ]
        )
        child = next(s for s in spans if s.span_id == "child0")
        await obs.update_span(
            child.trace_id, "child0", parent_span_id=None, entity_type="agent", entity_id="a1"
        )
        other = next(s for s in spans if s.span_id == "child1")
        await obs.update_span(other.trace_id, "child1", error={"x": 1})
        await obs.batch_delete_traces([spans[0].trace_id, "no-such-trace"])
    for (name, flt), (field, direction) in itertools.product(FILTERS, ORDERS):
        got = await _all_pages(ours, flt, field, direction)
        want = await _all_pages(ref, flt, field, direction)
        assert got == want, (name, field, direction)
    for trace_id in sorted({s.trace_id for s in spans[:20]}):
        assert _shape(await ours.get_trace(trace_id)) == _shape(await ref.get_trace(trace_id))
        assert _shape(await ours.get_root_span(trace_id)) == _shape(
            await ref.get_root_span(trace_id)
        )


def _shape(value: Any) -> Any:
    """A span or trace without the storage-set timestamps (each store sets its own)."""
    if value is None:
        return None
    if isinstance(value, Span):
        return value.replace(created_at=None, updated_at=None)
    return [_shape(s) for s in value.spans]


def _plan(backend: Any, flt: TraceFilter, field: Any = "started_at") -> bool:
    """Whether a filter leaves work for Python (a filtered page) rather than an index read."""
    from mastra_storage.backend.observability import TraceQuery

    query = TraceQuery(
        filter=flt,
        started_range=flt.started_at.resolved() if flt.started_at else None,
        ended_range=flt.ended_at.resolved() if flt.ended_at else None,
        order_field=field,
        direction="DESC",
        offset=0,
        limit=10,
    )
    assert isinstance(backend, UpstashObservabilityBackend)
    residual: bool = backend.plan(query)[1]
    return residual


async def _count(counter: Counter[str], call: Awaitable[Any]) -> int:
    """Commands one call sends (the coroutine sends nothing until awaited)."""
    counter.clear()
    await call
    return sum(counter.values())


async def test_commands_per_filter_do_not_grow_with_the_data(
    redis_server_url: str, prefix: str
) -> None:
    """Index reads cost the same at 30 and 300 traces; filtered pages one ``ZRANGE`` +
    ``MGET`` per 200 index entries walked. The numbers are in ``docs/upstash-layout.md``."""
    client, counter = counting_client(redis_server_url)
    store = UpstashStore(client=client, prefix=prefix)
    obs = await store.require_store("observability")
    index_reads = {name for name, flt in FILTERS if not _plan(obs.backend, flt)}
    assert index_reads == {
        "none",
        "started range",
        "entity",
        "entity type",
        "status error",
        "status running",
        "status success",
        "child error",
    }
    costs: list[dict[str, int]] = []
    written = 0
    for size in (30, 300):
        spans = _dataset(size, size - written, tag=f"n{size}-")
        for start in range(0, len(spans), 100):
            await obs.batch_create_spans(spans[start : start + 100])
        written = size
        cost: dict[str, int] = {}
        for name, flt in FILTERS:
            cost[name] = await _count(counter, obs.list_traces(filter=flt, per_page=10))
            cost[name + " (no total)"] = await _count(
                counter, obs.list_traces(filter=flt, per_page=10, include_total=False)
            )
        root = spans[5]
        cost["get_trace"] = await _count(counter, obs.get_trace(root.trace_id))
        cost["get_span"] = await _count(counter, obs.get_span(root.trace_id, root.span_id))
        cost["get_root_span"] = await _count(counter, obs.get_root_span(root.trace_id))
        late = sample_span(trace_id=root.trace_id, span_id="late", parent_span_id="root")
        cost["create_child_span"] = await _count(counter, obs.create_span(late))
        costs.append(cost)
    small, large = costs
    for name in index_reads:
        assert small[name] == large[name] == 3, (name, costs)  # ZLEXCOUNT + ZRANGE + MGET
        assert small[name + " (no total)"] == large[name + " (no total)"] == 2
    for name in ("get_trace", "get_span", "get_root_span", "create_child_span"):
        assert small[name] == large[name], (name, costs)
    assert (small["get_span"], small["get_trace"], small["get_root_span"]) == (1, 2, 2)
    # WATCH, MGET + HGETALL, MULTI, MSET, HSET, EXEC: a child span touches no index
    assert small["create_child_span"] == 7
    # a filtered page with a total walks its index: one ZRANGE + MGET per 200 entries
    assert small["user"] == 2 and large["user"] == 4
    await client.aclose()


async def test_concurrent_writers_of_one_trace_lose_nothing(
    redis_server_url: str, prefix: str
) -> None:
    """Two stores (two connection pools, as two processes) end and fail spans of one trace
    concurrently: every change lands, and the indexes match the final spans."""
    stores = [UpstashStore(redis_server_url, prefix=prefix) for _ in range(2)]
    a, b = [await s.require_store("observability") for s in stores]
    root = sample_span(trace_id="shared", span_id="root", ended_at=None)
    children = [
        sample_span(trace_id="shared", span_id=f"c{i}", parent_span_id="root", ended_at=None)
        for i in range(12)
    ]
    await a.batch_create_spans([root, *children])
    end = BASE_TIME + timedelta(seconds=30)
    await asyncio.gather(
        *[
            (a if i % 2 else b).update_span("shared", c.span_id, ended_at=end, error={"i": i})
            for i, c in enumerate(children)
        ],
        b.update_span("shared", "root", ended_at=end),
    )
    trace = await a.get_trace("shared")
    assert trace is not None
    assert all(s.ended_at == end for s in trace.spans)
    assert sum(s.error is not None for s in trace.spans) == 12
    page = await b.list_traces(filter=TraceFilter(status="success", has_child_error=True))
    assert [s.trace_id for s in page.items] == ["shared"] and page.total == 1
    assert (await b.list_traces(filter=TraceFilter(status="running"))).total == 0
    for s in stores:
        await s.close()


async def test_trace_ids_of_any_shape_stay_apart(store: UpstashStore) -> None:
    """Ids that look like key separators, JSON or lexicographic bounds name distinct traces."""
    obs = await store.require_store("observability")
    ids = ["a", "a:b", 'a"]', '["span","a"', "a\x01", "(a", "[a", "+", "-", "é🎉", "a b"]
    await obs.batch_create_spans(
        [sample_span(trace_id=t, span_id=t, started_at=BASE_TIME) for t in ids]
    )
    for t in ids:
        span = await obs.get_span(t, t)
        assert span is not None and span.trace_id == t
    page = await obs.list_traces(per_page=100, direction="ASC")
    assert [s.trace_id for s in page.items] == sorted(ids)
    with pytest.raises(ValidationError):
        await obs.create_span(sample_span(trace_id="a\x00b"))


async def test_trace_ttl_expires_every_key_and_pages_skip_expired_roots(
    redis_server_url: str, prefix: str
) -> None:
    """With a trace TTL every key of a trace expires; a root whose key expired leaves the
    index on the next read (simulated by deleting it: no sleeping)."""
    ttl = {"trace": {"enabled": True, "default_ttl_seconds": 3600}}
    store = UpstashStore(redis_server_url, prefix=prefix, ttl=ttl)
    obs = await store.require_store("observability")
    roots = [sample_span(trace_id=f"t{i}", span_id="r") for i in range(3)]
    await obs.batch_create_spans(
        [*roots, sample_span(trace_id="t0", span_id="c", parent_span_id="r", error={"e": 1})]
    )
    client = store.client
    keys = [str(k) async for k in client.scan_iter(match=glob_escape(prefix) + "*")]
    ttls = [await client.ttl(k) for k in keys]
    assert keys and all(0 < t <= 3600 for t in ttls), dict(zip(keys, ttls, strict=True))
    await client.delete(store.db.keys.span("t1", "r"))  # as if it expired
    for flt in (TraceFilter(), TraceFilter(entity_type="agent", entity_id="agent-1")):
        page = await obs.list_traces(filter=flt)
        assert [s.trace_id for s in page.items] == ["t2", "t0"] and page.total == 2
    await store.close()
