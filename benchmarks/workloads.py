"""The workloads W1-W5 of issue 9: sizes, the data they write, how each one is timed.

W2t and W3t are W2 and W3 with the SDK also counting the page's ``total`` (on the same
data), so the count's cost stays visible next to the like-for-like rows.

Why written against :class:`~benchmarks.ops.Ops`: the same code times the SDK and the raw
driver, so both sides get identical data, identical counts and identical timing boundaries.
Everything a workload reads is seeded through the SDK (untimed), so both sides read the same
rows in the same layout; writes go to per-side threads/runs of the same tables.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import itertools
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Literal

from mastra_storage import Message, MessageContent, Thread

from .ops import MessageData, Ops, SdkOps, Turn
from .stats import Repetition

Stage = Literal["small", "full"]
SEED_BATCH = 100
SEED_CONCURRENCY = 16


@dataclass(frozen=True)
class Sizes:
    """Every count a workload uses; the defaults are the issue's figures."""

    w1_turns: int = 500
    w2_thread_messages: int = 1000
    w2_recall: int = 40
    w2_ops: int = 200
    w3_threads: int = 10_000
    w3_resources: int = 100
    w3_page: int = 20
    w3_ops: int = 200
    w4_snapshot_bytes: int = 50_000
    w4_ops: int = 50
    w5_tasks: int = 50
    w5_turns: int = 20
    text_chars: int = 200
    warmup_ops: int = 20
    count_ops: int = 5

    def with_overrides(self, pairs: Sequence[str]) -> Sizes:
        """``["w1_turns=100", ...]`` applied on top of these sizes (unknown names fail)."""
        changes: dict[str, int] = {}
        known = {f.name for f in dataclasses.fields(self)}
        for pair in pairs:
            name, _, value = pair.partition("=")
            name = name.strip()
            if name not in known or not value.strip().isdigit():
                raise ValueError(
                    f"bad size {pair!r}; expected NAME=INT with NAME in {sorted(known)}"
                )
            changes[name] = int(value)
        return dataclasses.replace(self, **changes)


FULL = Sizes()
QUICK = Sizes(
    w1_turns=20,
    w2_thread_messages=100,
    w2_ops=10,
    w3_threads=200,
    w3_resources=10,
    w3_ops=10,
    w4_ops=5,
    w5_tasks=5,
    w5_turns=4,
    warmup_ops=3,
    count_ops=2,
)

BASE_TIME = datetime(2026, 1, 1, tzinfo=timezone.utc)
FILLER = "The quick brown fox jumps over the lazy dog while the agent takes notes. "


class Context:
    """Shared state of one backend's run: the SDK (for seeding), sizes, ids and the clock."""

    def __init__(self, sdk: SdkOps, sizes: Sizes, tag: str) -> None:
        self.sdk = sdk
        self.sizes = sizes
        self.tag = tag
        self._ms = itertools.count()
        self._ids = itertools.count()
        self.snapshot = make_snapshot(sizes.w4_snapshot_bytes)
        self._seeded: set[tuple[str, Stage]] = set()

    def first_seed(self, data: str, stage: Stage) -> bool:
        """True the first time ``data`` is seeded to ``stage`` (workloads sharing it seed once)."""
        if (data, stage) in self._seeded:
            return False
        self._seeded.add((data, stage))
        return True

    def now(self) -> datetime:
        """A strictly increasing fake clock (1 ms per call), so orders are deterministic."""
        return BASE_TIME + timedelta(milliseconds=next(self._ms))

    def text(self, n: int) -> str:
        head = f"message {n}: "
        body = FILLER * (self.sizes.text_chars // len(FILLER) + 1)
        return (head + body)[: self.sizes.text_chars]

    def turn(self, thread_id: str, resource_id: str) -> Turn:
        n = next(self._ids)
        return Turn(
            thread_id=thread_id,
            resource_id=resource_id,
            user=MessageData(f"{thread_id}-u{n}", "user", self.text(n), self.now()),
            assistant=MessageData(f"{thread_id}-a{n}", "assistant", self.text(n), self.now()),
        )

    def thread(self, thread_id: str, resource_id: str) -> Thread:
        at = self.now()
        return Thread(
            id=thread_id,
            resource_id=resource_id,
            title=f"bench {thread_id}",
            created_at=at,
            updated_at=at,
            metadata={"bench": True},
        )

    async def create_threads(self, threads: Sequence[Thread]) -> None:
        """Save threads through the SDK, a few at a time (seeding, not timed)."""
        save = self.sdk.memory.save_thread
        await _bounded([functools.partial(save, t) for t in threads])

    async def seed_turns(self, thread_id: str, resource_id: str, turns: int) -> None:
        """Append ``turns`` turns through the SDK in batches (seeding, not timed)."""
        messages: list[Message] = []
        for _ in range(turns):
            turn = self.turn(thread_id, resource_id)
            for data in (turn.user, turn.assistant):
                messages.append(
                    Message(
                        id=data.id,
                        role="user" if data.role == "user" else "assistant",
                        created_at=data.created_at,
                        thread_id=thread_id,
                        resource_id=resource_id,
                        content=MessageContent.text(data.text),
                    )
                )
        for start in range(0, len(messages), SEED_BATCH):
            await self.sdk.memory.save_messages(messages[start : start + SEED_BATCH])


async def _bounded(jobs: Sequence[Callable[[], Awaitable[Any]]]) -> None:
    gate = asyncio.Semaphore(SEED_CONCURRENCY)

    async def one(job: Callable[[], Awaitable[Any]]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(one(job) for job in jobs))


def make_snapshot(size: int) -> dict[str, Any]:
    """A workflow snapshot shaped like Mastra's (steps with inputs/outputs), ~``size`` bytes."""
    steps: dict[str, Any] = {}
    total = 0
    i = 0
    while total < size:
        payload = {"status": "success", "output": {"text": FILLER * 4, "tokens": i}}
        steps[f"step-{i}"] = {"payload": {"index": i}, **payload, "startedAt": 1_767_225_600_000}
        total += len(FILLER) * 4 + 120
        i += 1
    return {
        "runId": "bench",
        "status": "running",
        "value": {},
        "context": steps,
        "activePaths": [],
        "serializedStepGraph": [],
        "suspendedPaths": {},
        "result": None,
        "timestamp": 1_767_225_600_000,
    }


async def _time(rep: Repetition, call: Awaitable[Any]) -> Any:
    started = time.perf_counter()
    result = await call
    rep.samples.append(time.perf_counter() - started)
    return result


class Workload(ABC):
    """One workload: how to seed it, one timed repetition, and one operation for counting."""

    key: ClassVar[str]
    title: ClassVar[str]
    unit: ClassVar[str]  # what one operation (one sample) is
    keeps_total: ClassVar[bool] = False  # the SDK's list pages count their total too

    def side(self, ops: Ops) -> Ops:
        """``ops`` as this workload uses it: the SDK counting totals when ``keeps_total``."""
        return ops.with_total() if self.keeps_total else ops

    async def prepare(self, ctx: Context, stage: Stage) -> None:
        """Seed what the workload reads; ``small`` first (for size-dependence counts)."""

    @abstractmethod
    async def run(self, ops: Ops, ctx: Context, side: str, rep: int, n: int | None) -> Repetition:
        """One timed repetition (``n`` overrides the operation count, e.g. for warm-up)."""

    @abstractmethod
    async def one(self, ops: Ops, ctx: Context) -> None:
        """A single operation, for counting statements and round trips."""

    async def agree(self, sdk: Ops, raw: Ops, ctx: Context) -> str | None:
        """Why the two sides do not do the same work (``None`` when they agree)."""
        return None


class AppendTurn(Workload):
    key = "W1"
    title = "append a turn (2 messages), sequential"
    unit = "turn"
    count_thread = "w1-count"

    def _resource(self, ctx: Context) -> str:
        return f"{ctx.tag}-appender"

    async def prepare(self, ctx: Context, stage: Stage) -> None:
        thread_id = f"{ctx.tag}-{self.count_thread}"
        if stage == "small":
            await ctx.create_threads([ctx.thread(thread_id, self._resource(ctx))])
        else:  # the count thread grows to a full workload's size
            await ctx.seed_turns(thread_id, self._resource(ctx), ctx.sizes.w1_turns)

    async def run(self, ops: Ops, ctx: Context, side: str, rep: int, n: int | None) -> Repetition:
        thread_id = f"{ctx.tag}-w1-{side}-r{rep}"
        resource = self._resource(ctx)
        await ctx.create_threads([ctx.thread(thread_id, resource)])
        turns = [ctx.turn(thread_id, resource) for _ in range(n or ctx.sizes.w1_turns)]
        result = Repetition()
        result.begin()
        for turn in turns:
            await _time(result, ops.append_turn(turn))
        result.end()
        return result

    async def one(self, ops: Ops, ctx: Context) -> None:
        await ops.append_turn(ctx.turn(f"{ctx.tag}-{self.count_thread}", self._resource(ctx)))

    async def agree(self, sdk: Ops, raw: Ops, ctx: Context) -> str | None:
        thread_id = f"{ctx.tag}-{self.key.lower()}-agree"
        await ctx.create_threads([ctx.thread(thread_id, self._resource(ctx))])
        turn = ctx.turn(thread_id, self._resource(ctx))
        await raw.append_turn(turn)
        seen = list(await sdk.recall(thread_id, 10))
        expected = [turn.user.id, turn.assistant.id]
        return None if seen == expected else f"SDK reads {seen} after raw wrote {expected}"


class Recall(Workload):
    key = "W2"
    title = "recall: newest 40 of a 1,000-message thread"
    unit = "recall"

    def _thread(self, ctx: Context) -> tuple[str, str]:
        return f"{ctx.tag}-w2", f"{ctx.tag}-reader"

    async def prepare(self, ctx: Context, stage: Stage) -> None:
        if not ctx.first_seed("W2", stage):
            return
        thread_id, resource = self._thread(ctx)
        total_turns = ctx.sizes.w2_thread_messages // 2
        small_turns = max(ctx.sizes.w2_recall, total_turns // 10)
        if stage == "small":
            await ctx.create_threads([ctx.thread(thread_id, resource)])
            await ctx.seed_turns(thread_id, resource, small_turns)
        else:
            await ctx.seed_turns(thread_id, resource, total_turns - small_turns)

    async def run(self, ops: Ops, ctx: Context, side: str, rep: int, n: int | None) -> Repetition:
        ops = self.side(ops)
        thread_id, _ = self._thread(ctx)
        limit = ctx.sizes.w2_recall
        result = Repetition()
        result.begin()
        got: Sequence[str] = ()
        for _ in range(n or ctx.sizes.w2_ops):
            got = await _time(result, ops.recall(thread_id, limit))
        result.end()
        if len(got) != limit:
            raise AssertionError(f"{side} recall returned {len(got)} messages, not {limit}")
        return result

    async def one(self, ops: Ops, ctx: Context) -> None:
        await self.side(ops).recall(self._thread(ctx)[0], ctx.sizes.w2_recall)

    async def agree(self, sdk: Ops, raw: Ops, ctx: Context) -> str | None:
        thread_id, _ = self._thread(ctx)
        ours = list(await self.side(sdk).recall(thread_id, ctx.sizes.w2_recall))
        theirs = list(await raw.recall(thread_id, ctx.sizes.w2_recall))
        return None if ours == theirs else f"recall differs: SDK {ours[:3]}... raw {theirs[:3]}..."


class ListThreads(Workload):
    key = "W3"
    title = "list threads: page of 20, newest first, 10,000 threads in 100 resources"
    unit = "page"

    def _resource(self, ctx: Context, r: int) -> str:
        return f"{ctx.tag}-w3-r{r}"

    async def prepare(self, ctx: Context, stage: Stage) -> None:
        if not ctx.first_seed("W3", stage):
            return
        resources = ctx.sizes.w3_resources
        per_resource = ctx.sizes.w3_threads // resources
        small = max(1, resources // 10)
        chosen = range(small) if stage == "small" else range(small, resources)
        threads = [
            ctx.thread(f"{self._resource(ctx, r)}-t{j}", self._resource(ctx, r))
            for j in range(per_resource)
            for r in chosen
        ]
        await ctx.create_threads(threads)

    async def run(self, ops: Ops, ctx: Context, side: str, rep: int, n: int | None) -> Repetition:
        ops = self.side(ops)
        page = ctx.sizes.w3_page
        resources = ctx.sizes.w3_resources
        result = Repetition()
        result.begin()
        for i in range(n or ctx.sizes.w3_ops):
            got = await _time(result, ops.list_threads(self._resource(ctx, i % resources), page))
            if len(got) != min(page, ctx.sizes.w3_threads // resources):
                raise AssertionError(f"{side} listed {len(got)} threads")
        result.end()
        return result

    async def one(self, ops: Ops, ctx: Context) -> None:
        await self.side(ops).list_threads(self._resource(ctx, 0), ctx.sizes.w3_page)

    async def agree(self, sdk: Ops, raw: Ops, ctx: Context) -> str | None:
        resource = self._resource(ctx, 0)
        ours = list(await self.side(sdk).list_threads(resource, ctx.sizes.w3_page))
        theirs = list(await raw.list_threads(resource, ctx.sizes.w3_page))
        return None if ours == theirs else f"pages differ: SDK {ours[:3]}... raw {theirs[:3]}..."


class RecallWithTotal(Recall):
    """W2 on W2's thread, the SDK's page also counting the thread's messages."""

    key = "W2t"
    title = "recall as W2, SDK page with its total (count)"
    keeps_total = True


class ListThreadsWithTotal(ListThreads):
    """W3 on W3's threads, the SDK's page also counting the resource's threads."""

    key = "W3t"
    title = "list threads as W3, SDK page with its total (count)"
    keeps_total = True


class Snapshot(Workload):
    key = "W4"
    title = "workflow snapshot: persist + load 50 KB"
    unit = "persist+load"
    workflow = "bench-workflow"

    async def run(self, ops: Ops, ctx: Context, side: str, rep: int, n: int | None) -> Repetition:
        run_id = f"{ctx.tag}-w4-{side}-r{rep}"
        bodies = [{**ctx.snapshot, "timestamp": i} for i in range(n or ctx.sizes.w4_ops)]
        result = Repetition()
        result.begin()
        for body in bodies:
            op_started = time.perf_counter()
            await ops.persist_snapshot(self.workflow, run_id, body)
            loaded = await ops.load_snapshot(self.workflow, run_id)
            result.samples.append(time.perf_counter() - op_started)
            if loaded is None or loaded.get("timestamp") != body["timestamp"]:
                raise AssertionError(f"{side} loaded a different snapshot")
        result.end()
        return result

    async def one(self, ops: Ops, ctx: Context) -> None:
        run_id = f"{ctx.tag}-w4-count"
        await ops.persist_snapshot(self.workflow, run_id, ctx.snapshot)
        await ops.load_snapshot(self.workflow, run_id)

    async def agree(self, sdk: Ops, raw: Ops, ctx: Context) -> str | None:
        run_id = f"{ctx.tag}-w4-agree"
        await raw.persist_snapshot(self.workflow, run_id, ctx.snapshot)
        ours = await sdk.load_snapshot(self.workflow, run_id)
        return None if ours == ctx.snapshot else "SDK does not read the raw side's snapshot back"


class Concurrent(AppendTurn):
    key = "W5"
    title = "concurrency: 50 tasks x 20 turns, each to its own thread"
    unit = "turn"
    count_thread = "w5-count"

    async def run(self, ops: Ops, ctx: Context, side: str, rep: int, n: int | None) -> Repetition:
        resource = self._resource(ctx)
        threads = [f"{ctx.tag}-w5-{side}-r{rep}-t{t}" for t in range(ctx.sizes.w5_tasks)]
        await ctx.create_threads([ctx.thread(t, resource) for t in threads])
        per_task = n or ctx.sizes.w5_turns
        plans = [[ctx.turn(t, resource) for _ in range(per_task)] for t in threads]
        result = Repetition()

        async def task(turns: list[Turn]) -> None:
            for turn in turns:
                await _time(result, ops.append_turn(turn))

        result.begin()
        await asyncio.gather(*(task(plan) for plan in plans))
        result.end()
        return result

    async def agree(self, sdk: Ops, raw: Ops, ctx: Context) -> str | None:
        return None  # same operation as W1, already checked there


WORKLOADS: dict[str, Workload] = {
    w.key: w
    for w in (
        AppendTurn(),
        Recall(),
        RecallWithTotal(),
        ListThreads(),
        ListThreadsWithTotal(),
        Snapshot(),
        Concurrent(),
    )
}


def find_workload(key: str) -> Workload | None:
    """The workload called ``key``, whatever its case (``w2t``, ``W2T``)."""
    return {k.upper(): w for k, w in WORKLOADS.items()}.get(key.upper())
