"""Where the PostgreSQL adapter's time goes: CPU per operation, client and server, SDK vs raw.

Run: ``python benchmarks/bench_postgres.py [-r 3] [--profile W1]``. Needs
``pip install -e '.[postgres]'`` and a server (``MASTRA_TEST_POSTGRES_URL``, else the rules of
``tests/support/servers.py``). Everything happens in a private database dropped afterwards.

Why CPU and not only wall time: on a shared 2-core machine wall time swings by 2x with the
load, while CPU time per operation barely moves. Each cell is measured on the same
workloads and data as ``python -m benchmarks`` (its ``SdkOps`` and its raw asyncpg side,
one statement per operation), and reports per operation:

* ``wall``: median latency (W5: turns per second over the whole run);
* ``client CPU``: this process's CPU time (``time.process_time``) over the cell / operations;
* ``server CPU``: the CPU time of the database's backend processes (``/proc/<pid>/stat``,
  so the server must run on this machine; otherwise ``n/a``) / operations;
* ``stmts``: statements the SDK sent per operation (its counter; the raw side sends one);
* with ``pg_stat_statements`` installed in the server's ``postgres`` database (and
  preloaded), the top statements by execution time for each side.

``--profile W1`` (or W2, W3, W5) prints a ``cProfile`` of the SDK side of that workload
(``PROFILE_SORT=cumtime``, ``PROFILE_FILTER=mastra`` narrow it).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import asyncpg

from benchmarks.backends.postgres import RawPostgres
from benchmarks.ops import MessageData, Ops, SdkOps, Turn
from mastra_storage import Thread
from mastra_storage_postgres import PostgresStore
from tests.support.servers import postgres_database

UTC = timezone.utc
T0 = datetime(2026, 1, 1, tzinfo=UTC)
TEXT = "x" * 200
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def backend_cpu(pids: list[int]) -> float | None:
    """Seconds of CPU used so far by these server processes (``None`` off this host)."""
    total = 0
    try:
        for pid in pids:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    except OSError:
        return None
    return total / TICK


@dataclass
class Cell:
    wall: list[float] = field(default_factory=list)  # median latency per rep (s)
    rate: list[float] = field(default_factory=list)  # ops/s per rep
    client: list[float] = field(default_factory=list)  # CPU s per op per rep
    server: list[float] = field(default_factory=list)


class Monitor:
    """A side connection that finds the database's backends and reads their CPU."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def pids(self) -> list[int]:
        rows = await self.conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [r[0] for r in rows]

    async def measure(
        self, cell: Cell, ops: int, run: Callable[[], Awaitable[list[float]]]
    ) -> None:
        pids = await self.pids()
        before_server = backend_cpu(pids)
        before_client = time.process_time()
        t0 = time.perf_counter()
        latencies = await run()
        elapsed = time.perf_counter() - t0
        client = time.process_time() - before_client
        after_pids = await self.pids()
        # Connections opened during the run count from their start (they began inside it).
        after_server = backend_cpu(pids + [p for p in after_pids if p not in pids])
        cell.wall.append(statistics.median(latencies))
        cell.rate.append(ops / elapsed)
        cell.client.append(client / ops)
        if before_server is not None and after_server is not None:
            cell.server.append((after_server - before_server) / ops)


def turn(thread_id: str, resource_id: str, at: datetime) -> Turn:
    return Turn(
        thread_id,
        resource_id,
        MessageData(uuid.uuid4().hex, "user", TEXT, at),
        MessageData(uuid.uuid4().hex, "assistant", TEXT, at + timedelta(milliseconds=1)),
    )


async def timed_each(calls: Sequence[Callable[[], Awaitable[Any]]]) -> list[float]:
    out: list[float] = []
    for call in calls:
        t0 = time.perf_counter()
        await call()
        out.append(time.perf_counter() - t0)
    return out


class Bench:
    def __init__(self, sdk: SdkOps, raw: Ops, store: PostgresStore, monitor: Monitor) -> None:
        self.sides: dict[str, Ops] = {"sdk": sdk, "raw": raw}
        self.store = store
        self.monitor = monitor
        self.cells: dict[tuple[str, str], Cell] = {}
        self.stmts: dict[str, float] = {}

    async def seed(self) -> None:
        memory = self.sides["sdk"]
        assert isinstance(memory, SdkOps)
        await memory.memory.save_thread(
            Thread(id="recall", resource_id="recall-user", title="", created_at=T0, updated_at=T0)
        )
        for start in range(0, 1000, 2):
            at = T0 + timedelta(seconds=start)
            await memory.append_turn(turn("recall", "recall-user", at))
        threads = [
            Thread(
                id=f"lt-{r}-{i}",
                resource_id=f"res-{r}",
                title="t",
                metadata={"k": i},
                created_at=T0 + timedelta(seconds=i),
                updated_at=T0 + timedelta(seconds=i),
            )
            for r in range(100)
            for i in range(100)
        ]
        for i in range(0, len(threads), 500):
            await asyncio.gather(*(memory.memory.save_thread(t) for t in threads[i : i + 500]))
        for side in ("sdk", "raw"):
            for task in range(50):
                await memory.memory.save_thread(
                    Thread(
                        id=f"w5-{side}-{task}",
                        resource_id="w5",
                        title="",
                        created_at=T0,
                        updated_at=T0,
                    )
                )

    def cell(self, workload: str, side: str) -> Cell:
        return self.cells.setdefault((workload, side), Cell())

    async def w1(self, side: str, rep: int, n: int = 500) -> None:
        ops = self.sides[side]
        thread_id = f"w1-{side}-{rep}-{uuid.uuid4().hex[:6]}"
        sdk = self.sides["sdk"]
        assert isinstance(sdk, SdkOps)
        now = datetime.now(UTC)
        await sdk.memory.save_thread(
            Thread(id=thread_id, resource_id="w1", title="", created_at=now, updated_at=now)
        )
        base = datetime.now(UTC)
        turns = [turn(thread_id, "w1", base + timedelta(seconds=i)) for i in range(n)]
        calls = [lambda t=t: ops.append_turn(t) for t in turns]
        await self.monitor.measure(self.cell("W1", side), n, lambda: timed_each(calls))

    async def w2(self, side: str, rep: int, n: int = 200) -> None:
        ops = self.sides[side]
        calls = [lambda: ops.recall("recall", 40)] * n
        await self.monitor.measure(self.cell("W2", side), n, lambda: timed_each(calls))

    async def w3(self, side: str, rep: int, n: int = 200) -> None:
        ops = self.sides[side]
        calls = [lambda r=r: ops.list_threads(f"res-{r % 100}", 20) for r in range(n)]
        await self.monitor.measure(self.cell("W3", side), n, lambda: timed_each(calls))

    async def w5(self, side: str, rep: int, tasks: int = 50, turns: int = 20) -> None:
        ops = self.sides[side]
        base = datetime.now(UTC) + timedelta(days=rep)

        async def one(task: int) -> list[float]:
            thread_id = f"w5-{side}-{task}"
            calls = [
                lambda i=i: ops.append_turn(turn(thread_id, "w5", base + timedelta(seconds=i)))
                for i in range(turns)
            ]
            return await timed_each(calls)

        async def run() -> list[float]:
            parts = await asyncio.gather(*(one(t) for t in range(tasks)))
            return [x for p in parts for x in p]

        await self.monitor.measure(self.cell("W5", side), tasks * turns, run)

    async def count_statements(self) -> None:
        before = self.store.statements_executed
        await self.w1("sdk", -1, 10)
        self.stmts["W1"] = (self.store.statements_executed - before) / 10
        before = self.store.statements_executed
        await self.w2("sdk", -1, 10)
        self.stmts["W2"] = (self.store.statements_executed - before) / 10
        before = self.store.statements_executed
        await self.w3("sdk", -1, 10)
        self.stmts["W3"] = (self.store.statements_executed - before) / 10
        self.stmts["W5"] = self.stmts["W1"]
        self.cells.clear()


def spread(values: list[float]) -> float:
    """Half the range of the repetitions, relative to their median."""
    return (max(values) - min(values)) / 2 / statistics.median(values)


def us(value: float) -> str:
    return f"{value * 1e6:,.0f}"


def report(bench: Bench, reps: int) -> None:
    print(f"\n{reps} repetitions per cell (median); CPU and wall in microseconds per operation")
    header = (
        f"{'cell':<5} {'stmts':>5} | {'wall sdk':>9} {'raw':>7} {'x':>5} | "
        f"{'client sdk':>10} {'raw':>6} {'x':>5} | {'server sdk':>10} {'raw':>6} {'x':>5} | "
        f"{'total CPU x':>11} | spread (client sdk/raw)"
    )
    print(header)
    print("-" * len(header))
    for name in ("W1", "W2", "W3", "W5"):
        sdk, raw = bench.cells.get((name, "sdk")), bench.cells.get((name, "raw"))
        if sdk is None or raw is None:
            continue
        med = statistics.median
        if name == "W5":
            wall_s, wall_r = 1 / med(sdk.rate), 1 / med(raw.rate)
        else:
            wall_s, wall_r = med(sdk.wall), med(raw.wall)
        cs, cr = med(sdk.client), med(raw.client)
        ss = med(sdk.server) if sdk.server else float("nan")
        sr = med(raw.server) if raw.server else float("nan")
        print(
            f"{name:<5} {bench.stmts.get(name, 0):>5.1f} | {us(wall_s):>9} {us(wall_r):>7} "
            f"{wall_s / wall_r:>4.2f}x | {us(cs):>10} {us(cr):>6} {cs / cr:>4.2f}x | "
            f"{us(ss):>10} {us(sr):>6} {ss / sr:>4.2f}x | {(cs + ss) / (cr + sr):>10.2f}x | "
            f"±{spread(sdk.client):.0%} / ±{spread(raw.client):.0%}"
        )
    print("(W5 wall = 1 / throughput, i.e. wall time per turn with 50 tasks)")


async def top_statements(admin_url: str, database: str) -> None:
    try:
        conn = await asyncpg.connect(admin_url)
    except Exception:
        return
    try:
        rows = await conn.fetch(
            "SELECT calls, total_exec_time + total_plan_time, shared_blks_hit, wal_records, "
            "query, plans, total_plan_time "
            "FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
            "WHERE d.datname = $1 ORDER BY total_exec_time DESC LIMIT 8",
            database,
        )
    except asyncpg.PostgresError:
        return
    finally:
        await conn.close()
    print("\npg_stat_statements (calls, plans; per call: plan+exec ms, plan ms, hits, WAL):")
    for calls, total, hits, wal, query, plans, plan_ms in rows:
        text = " ".join(query.split())[:90]
        print(
            f"{calls:>7} {plans:>6} {total / calls:7.3f} {plan_ms / calls:6.3f} "
            f"{hits / calls:6.1f} {wal / calls:5.1f}  {text}"
        )


async def run(url: str, reps: int, profile: str | None) -> None:
    store = PostgresStore(url)
    await store.init()
    sdk = await SdkOps.open(store)
    raw = await RawPostgres.open(url)
    monitor = Monitor(await asyncpg.connect(url))
    bench = Bench(sdk, raw, store, monitor)
    await bench.seed()
    admin = url.rsplit("/", 1)[0] + "/postgres"
    database = url.rsplit("/", 1)[1].split("?")[0]
    with_stats = True
    try:
        reset = await asyncpg.connect(admin)
        await reset.execute("SELECT pg_stat_statements_reset()")
        await reset.close()
    except Exception:
        with_stats = False
    await bench.count_statements()
    workloads: dict[str, Callable[[str, int], Awaitable[None]]] = {
        "W1": bench.w1,
        "W2": bench.w2,
        "W3": bench.w3,
        "W5": bench.w5,
    }
    if profile:
        fn = workloads[profile]
        await fn("sdk", 0)
        prof = cProfile.Profile()
        prof.enable()
        for rep in range(reps):
            await fn("sdk", rep + 1)
        prof.disable()
        stats = pstats.Stats(prof, stream=sys.stdout)
        stats.sort_stats(os.environ.get("PROFILE_SORT", "tottime"))
        stats.print_stats(os.environ.get("PROFILE_FILTER", ""), 30)
    else:
        for name, fn in workloads.items():
            for side in ("sdk", "raw"):
                await fn(side, 0)  # warm-up: pool connections, statement caches
                bench.cells.pop((name, side), None)
            for rep in range(reps):
                for side in ("sdk", "raw") if rep % 2 == 0 else ("raw", "sdk"):
                    await fn(side, rep + 1)
        report(bench, reps)
        if with_stats:
            await top_statements(admin, database)
    await monitor.conn.close()
    await raw.close()
    await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-r", "--repetitions", type=int, default=3)
    parser.add_argument("--profile", choices=("W1", "W2", "W3", "W5"), default=None)
    args = parser.parse_args()
    async with postgres_database() as url:
        await run(url, args.repetitions, args.profile)


if __name__ == "__main__":
    asyncio.run(main())
