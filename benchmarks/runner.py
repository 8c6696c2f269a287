"""Runs the workloads on every selected backend, SDK and raw side by side, and writes results.

Per backend: start its server and namespace, open the SDK store and the raw driver, and per
workload: seed a tenth of the data and count statements/round trips, seed the rest, check
that SDK and raw return the same thing, warm both sides up, then time ``--repetitions``
passes alternating which side goes first, and count again at full size. A backend that
cannot run (adapter not importable, no server) is skipped with the reason printed; one that
fails midway is reported as failed and the others still run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import secrets
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from . import backends, importtime, machine, report
from .backends.base import Address, Backend, Unavailable
from .counting import RoundTripProxy
from .ops import Ops, SdkOps
from .results import BackendInfo, Counts, RunReport, SideResult, WorkloadResult
from .stats import Repetition, Summary
from .workloads import FULL, QUICK, WORKLOADS, Context, Sizes, Workload, find_workload

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="mastra-storage benchmarks: each backend through the SDK and its raw driver.",
    )
    parser.add_argument(
        "--backends",
        default=",".join(backends.NAMES),
        help=f"comma-separated subset of {','.join(backends.NAMES)} (default: all)",
    )
    parser.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        help="comma-separated subset of W1..W5, W2t, W3t",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes and 2 repetitions, to check the runner works (CI); writes to a temp "
        "dir unless --out is given",
    )
    parser.add_argument("--repetitions", "-r", type=int, help="timed passes (default 5; quick 2)")
    parser.add_argument(
        "--size",
        action="append",
        default=[],
        metavar="NAME=N",
        help="override a size, e.g. --size w1_turns=100 (names: see benchmarks/workloads.py)",
    )
    parser.add_argument("--import-runs", type=int, help="fresh-interpreter imports (default 9)")
    parser.add_argument("--out", help=f"output directory (default {RESULTS_DIR})")
    parser.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    parser.add_argument(
        "--shared-servers",
        action="store_true",
        help="use servers already answering on standard ports (default: private servers, "
        "so other clients cannot disturb timings or Redis command counts)",
    )
    parser.add_argument("--note", default="", help="free text recorded with the run")
    parser.add_argument(
        "--peers",
        action="store_true",
        help="instead: each framework adapter beside the framework's own store "
        "(benchmarks/peers.py; writes results/peers.md)",
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other backends' rows of the results.json already in the output dir "
        "(each row records when it was measured)",
    )
    args = parser.parse_args(argv)
    for name in _split(args.backends):
        if name not in backends.NAMES:
            parser.error(f"unknown backend {name!r}; known: {', '.join(backends.NAMES)}")
    for key in _split(args.workloads):
        if find_workload(key) is None:
            parser.error(f"unknown workload {key!r}; known: {', '.join(WORKLOADS)}")
    return args


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def say(text: str) -> None:
    print(text, flush=True)


async def _repetitions(
    workload: Workload, sides: dict[str, Ops], ctx: Context, reps: int
) -> dict[str, list[Repetition]]:
    """Warm-up, then ``reps`` timed passes per side, alternating which side goes first."""
    for side, ops in sides.items():
        await workload.run(ops, ctx, side, -1, ctx.sizes.warmup_ops)
    done: dict[str, list[Repetition]] = {side: [] for side in sides}
    order = list(sides.items())
    for rep in range(reps):
        for side, ops in order if rep % 2 == 0 else reversed(order):
            done[side].append(await workload.run(ops, ctx, side, rep, None))
    return done


async def _count(
    workload: Workload,
    sides: dict[str, Ops],
    ctx: Context,
    backend: Backend,
    proxy: RoundTripProxy | None,
) -> dict[str, tuple[float | None, float | None]]:
    """(statements, round trips) per operation for each side, averaged over a few ops."""
    k = ctx.sizes.count_ops
    counts: dict[str, tuple[float | None, float | None]] = {}
    for side, ops in sides.items():
        await workload.one(ops, ctx)  # connections and caches warm
        statements0, commands0 = ops.statements(), await backend.server_commands()
        trips0 = proxy.round_trips if proxy else None
        for _ in range(k):
            await workload.one(ops, ctx)
        statements1, commands1 = ops.statements(), await backend.server_commands()
        statements: float | None = None
        if statements0 is not None and statements1 is not None:
            statements = (statements1 - statements0) / k
        elif commands0 is not None and commands1 is not None:
            statements = (commands1 - commands0) / k
        trips = (proxy.round_trips - trips0) / k if proxy and trips0 is not None else None
        counts[side] = (statements, trips)
    return counts


class _Counting:
    """SDK and raw opened through the round-trip proxy (or the timed ones, when embedded)."""

    def __init__(self, backend: Backend, timed: dict[str, Ops]) -> None:
        self.backend = backend
        self.timed = timed
        self.proxy: RoundTripProxy | None = None
        self.sides: dict[str, Ops] = {}

    async def open(self) -> dict[str, Ops]:
        if self.sides:
            return self.sides
        address = self.backend.address()
        if address is None:
            self.sides = self.timed
            return self.sides
        self.proxy = RoundTripProxy(address)
        via: Address = await self.proxy.start()
        self.sides["sdk"] = await SdkOps.open(await self.backend.open_sdk(via))
        if "raw" in self.timed:
            raw = await self.backend.open_raw(via)
            if raw is not None:
                self.sides["raw"] = raw
        return self.sides

    async def close(self) -> None:
        """Close the proxied clients before the proxy, so no pool sees its server vanish."""
        if self.proxy is not None:
            if "raw" in self.sides:
                await self.sides["raw"].close()
            sdk = self.sides.get("sdk")
            if isinstance(sdk, SdkOps):
                await sdk.store.close()
            await self.proxy.close()


async def run_backend(
    name: str,
    workloads: list[Workload],
    sizes: Sizes,
    reps: int,
    out: list[WorkloadResult],
    *,
    own_sizes: bool,
) -> BackendInfo:
    started = time.perf_counter()
    try:
        backend = backends.load(name)
        await backend.start()
    except Unavailable as exc:
        say(f"[{name}] skipped: {exc}")
        return BackendInfo(name, "skipped", reason=str(exc))
    info = BackendInfo(
        name,
        "ok",
        raw_driver=backend.raw_driver,
        date_utc=machine.describe()["date_utc"],
        load_average=machine.load_average(),
    )
    if own_sizes and backend.size_overrides:
        sizes = dataclasses.replace(sizes, **backend.size_overrides)
        info.size_overrides = dict(backend.size_overrides)
        say(f"[{name}] sizes for this backend: {backend.size_overrides}")
    raw: Ops | None = None
    counting: _Counting | None = None
    try:
        info.description = backend.describe()
        say(f"[{name}] {info.description}; raw side: {backend.raw_driver}")
        sdk = await SdkOps.open(await backend.open_sdk())
        raw = await backend.open_raw()
        sides: dict[str, Ops] = {"sdk": sdk} if raw is None else {"sdk": sdk, "raw": raw}
        ctx = Context(sdk, sizes, f"b{secrets.token_hex(3)}")
        counting = _Counting(backend, sides)
        for workload in workloads:
            say(f"[{name}] {workload.key} {workload.title}: seeding")
            await workload.prepare(ctx, "small")
            small = await _count(workload, await counting.open(), ctx, backend, counting.proxy)
            await workload.prepare(ctx, "full")
            problem = await workload.agree(sdk, raw, ctx) if raw is not None else None
            if problem:
                say(f"[{name}] {workload.key} SDK and raw disagree: {problem}")
            timed = await _repetitions(workload, sides, ctx, reps)
            full = await _count(workload, await counting.open(), ctx, backend, counting.proxy)
            result = WorkloadResult(
                backend=name,
                workload=workload.key,
                title=workload.title,
                unit=workload.unit,
                sdk=_side(timed["sdk"], small.get("sdk"), full.get("sdk")),
                raw=_side(timed["raw"], small.get("raw"), full.get("raw")) if raw else None,
                problem=problem,
            )
            out.append(result)
            say(report.console_line(result))
    except Exception as exc:
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        info.status, info.reason = "failed", detail if len(detail) < 300 else detail[:297] + "..."
        say(f"[{name}] FAILED: {info.reason}")
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            if counting is not None:
                await counting.close()
            if raw is not None:
                await raw.close()
        with contextlib.suppress(Exception):
            await backend.stop()
    info.seconds = round(time.perf_counter() - started, 1)
    return info


def _side(
    reps: list[Repetition],
    small: tuple[float | None, float | None] | None,
    full: tuple[float | None, float | None] | None,
) -> SideResult:
    s_small, rt_small = small or (None, None)
    s_full, rt_full = full or (None, None)
    return SideResult(
        summary=Summary.of(reps),
        counts=Counts(
            statements=s_full,
            statements_small=s_small,
            round_trips=rt_full,
            round_trips_small=rt_small,
        ),
    )


async def run_all(args: argparse.Namespace, sizes: Sizes, reps: int) -> RunReport:
    run = RunReport(meta=machine.describe())
    run.meta.update(
        {
            "sizes": dataclasses.asdict(sizes),
            "repetitions": reps,
            "warmup_ops": sizes.warmup_ops,
            "quick": bool(args.quick),
            "private_servers": not args.shared_servers,
            "note": args.note,
        }
    )
    workloads = [w for w in map(find_workload, _split(args.workloads)) if w is not None]
    own_sizes = not args.quick and not args.size
    for name in _split(args.backends):
        run.backends.append(
            await run_backend(name, workloads, sizes, reps, run.results, own_sizes=own_sizes)
        )
    run.meta["load_average_end"] = machine.load_average()
    return run


#: The ``MASTRA_TEST_REQUIRE`` name of each backend (as in the test suite).
REQUIRE_NAMES = {
    "libsql": "libsql",
    "postgres": "postgres",
    "upstash": "redis",
    "mongodb": "mongodb",
    "dynamodb": "dynamodb",
}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.peers:
        from . import peers

        return peers.main(Path(args.out) if args.out else RESULTS_DIR, quick=args.quick)
    sizes = (QUICK if args.quick else FULL).with_overrides(args.size)
    reps = args.repetitions or (2 if args.quick else 5)
    if args.out:
        out_dir = Path(args.out)
    elif args.quick:
        out_dir = Path(tempfile.mkdtemp(prefix="mastra-bench-quick-"))
    else:
        out_dir = RESULTS_DIR
    if not args.shared_servers:
        os.environ.setdefault("MASTRA_TEST_NO_STANDARD_PORTS", "1")
    started = time.perf_counter()
    run = asyncio.run(run_all(args, sizes, reps))
    runs = args.import_runs or (3 if args.quick else 9)
    run.import_time = importtime.measure(runs)
    say(report.import_line(run.import_time))
    run.meta["wall_seconds"] = round(time.perf_counter() - started, 1)
    with contextlib.suppress(Exception):
        from tests.support.servers import stop_all

        stop_all()
    previous = out_dir / report.JSON_NAME
    if args.merge and previous.exists():
        run.merge(RunReport.from_json(json.loads(previous.read_text())))
    written = report.write_all(run, out_dir, chart_too=not args.no_chart)
    say(report.markdown_table(run))
    for path in written:
        say(f"wrote {path}")
    ran = set(_split(args.backends))  # rows kept by --merge do not fail this run
    failed = [b.name for b in run.backends if b.status == "failed" and b.name in ran]
    # Like the test suite: a backend that MASTRA_TEST_REQUIRE names must not be skipped.
    required = set(_split(os.environ.get("MASTRA_TEST_REQUIRE", "")))
    failed += [
        b.name
        for b in run.backends
        if b.status == "skipped" and b.name in ran and REQUIRE_NAMES.get(b.name) in required
    ]
    disagree = [f"{r.backend} {r.workload}" for r in run.results if r.problem and r.backend in ran]
    if failed or disagree:
        say(f"problems: failed backends {failed}, SDK/raw disagreements {disagree}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
