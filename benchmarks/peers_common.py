"""What every ``benchmarks/peers_<framework>.py`` module shares: timing one operation,
the per-side result of a workload, and the command line that ``benchmarks.peers`` drives.
Each module keeps its own sizes and workloads (they differ per framework)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

SizesT = TypeVar("SizesT")


@dataclass(frozen=True)
class Cell:
    """One side's timings of one workload on one backend (milliseconds per operation)."""

    backend: str
    workload: str
    side: str
    p50_ms: float
    p90_ms: float
    ops: int


def cell(backend: str, workload: str, side: str, samples_ms: list[float]) -> Cell:
    """The p50 and p90 of ``samples_ms``."""
    ordered = sorted(samples_ms)
    return Cell(
        backend=backend,
        workload=workload,
        side=side,
        p50_ms=statistics.median(ordered),
        p90_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))],
        ops=len(ordered),
    )


def comparisons(cells: Sequence[Cell], ours: str) -> Iterator[tuple[Cell, Cell, float]]:
    """Per backend (first-seen order), then W1 and W2: our cell (side ``ours``), the
    peer's, and how many times faster ours is (peer p50 / our p50)."""
    for backend in dict.fromkeys(c.backend for c in cells):
        for workload in ("W1", "W2"):
            row = [c for c in cells if c.backend == backend and c.workload == workload]
            mine = next((c for c in row if c.side == ours), None)
            peer = next((c for c in row if c.side != ours), None)
            if mine is not None and peer is not None:
                ratio = peer.p50_ms / mine.p50_ms if mine.p50_ms else float("inf")
                yield mine, peer, ratio


async def alternating_ms(
    sides: Sequence[str], n: int, warmup: int, op: Callable[[str, int], Awaitable[Any]]
) -> dict[str, list[float]]:
    """``op(side, i)`` for every side, operation by operation, alternating which side goes
    first: each side's milliseconds (after ``warmup`` untimed rounds).

    Why: whatever the process or machine is doing (another side's leftover threads and
    heap, a neighbour's load) then falls on both sides alike; one side after the other,
    the second side measured up to 1.7x slower on the same code (SQLite, W2)."""
    samples: dict[str, list[float]] = {side: [] for side in sides}
    for i in range(warmup + n):
        for side in sides if i % 2 else list(reversed(sides)):
            started = time.perf_counter()
            await op(side, i)
            if i >= warmup:
                samples[side].append((time.perf_counter() - started) * 1000)
    return samples


async def timed_ms(fn: Callable[[], Awaitable[Any]], n: int, warmup: int) -> list[float]:
    """``fn`` awaited ``warmup`` times untimed, then ``n`` times: each run's milliseconds."""
    for _ in range(warmup):
        await fn()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def run_cli(
    argv: Sequence[str] | None,
    *,
    prog: str,
    sizes: SizesT,
    quick: SizesT,
    measure: Callable[[list[str], SizesT], Coroutine[Any, Any, list[Cell]]],
    markdown: Callable[[Sequence[Cell], SizesT], str],
    backends: str = "sqlite,postgres",
) -> int:
    """Command line of a peer module: measure, print the table, optionally append it to a
    Markdown file (``--append-to``, what ``python -m benchmarks --peers`` passes)."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--backends", default=backends)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--append-to", type=Path, help="append the table to this file")
    args = parser.parse_args(argv)
    chosen = quick if args.quick else sizes
    cells = asyncio.run(measure(args.backends.split(","), chosen))
    table = markdown(cells, chosen)
    print(table)
    if args.append_to is not None:
        with args.append_to.open("a", encoding="utf-8") as out:
            out.write("\n" + table)
    return 0
