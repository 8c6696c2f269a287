"""Client instructions per operation, SDK vs raw, counted by callgrind (issue 19).

Why: on a shared 2-core machine the CPU time per operation of identical code moves by a
quarter between processes, so a 10% change of the SDK cannot be seen in it; the number of
instructions the client executes does not move with the load.

Run: ``python -m benchmarks.instructions --backend postgres --side sdk --workload W1``
(``--backend libsql`` for the local file; ``--side raw`` for the floor). It seeds a
database once (PostgreSQL: ``MASTRA_TEST_POSTGRES_URL`` or the rules of
``tests/support/servers.py``, a private database dropped afterwards; libSQL: a temporary
file), then runs the client twice under ``valgrind --tool=callgrind`` with N = 100 and 400
operations and prints (instructions(400) - instructions(100)) / 300: start-up, imports and
seeding cancel out. W5 runs the turns from 50 concurrent tasks (pool of 20 on both
sides). Needs ``valgrind`` on the path. Each count takes about a minute.
``--tree DIR`` runs the client from another checkout (e.g. an older commit's
``git archive``) to compare before and after on the same seeded data.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

SMALL, LARGE = 100, 400


async def _seed(store: Any) -> None:
    from benchmarks.bench_postgres import T0, turn
    from benchmarks.ops import SdkOps
    from mastra_storage import Thread

    await store.init()
    sdk = await SdkOps.open(store)
    await sdk.memory.save_thread(
        Thread(id="recall", resource_id="recall-user", title="", created_at=T0, updated_at=T0)
    )
    for start in range(0, 1000, 2):
        await sdk.append_turn(turn("recall", "recall-user", T0 + timedelta(seconds=start)))
    for r in range(5):
        for i in range(100):
            at = T0 + timedelta(seconds=i)
            await sdk.memory.save_thread(
                Thread(
                    id=f"lt-{r}-{i}",
                    resource_id=f"res-{r}",
                    title="t",
                    metadata={"k": i},
                    created_at=at,
                    updated_at=at,
                )
            )
    await store.close()


async def _client(backend: str, target: str, side: str, workload: str, n: int) -> None:
    """The measured process: ``n`` operations (plus 20 to warm up) of one side."""
    from benchmarks.bench_postgres import turn
    from benchmarks.ops import Ops, SdkOps
    from mastra_storage import Thread, connect

    raw: Ops
    if backend == "postgres":
        from benchmarks.backends.postgres import RawPostgres
        from mastra_storage_postgres import PostgresStore

        store: Any = PostgresStore(target)
        await store.init()
        sdk = await SdkOps.open(store)
        raw = await RawPostgres.open(target) if side == "raw" else sdk
    else:
        from benchmarks.backends.libsql import RawLibSQL

        path = f"{target}.{os.getpid()}.db"
        shutil.copy(target, path)
        store = connect(f"file:{path}")
        await store.init()
        sdk = await SdkOps.open(store)
        raw = await RawLibSQL(path).open() if side == "raw" else sdk
    ops: Ops = sdk if side == "sdk" else raw
    thread_id = uuid.uuid4().hex
    now = datetime.now(timezone.utc)
    await sdk.memory.save_thread(
        Thread(id=thread_id, resource_id="ic", title="", created_at=now, updated_at=now)
    )
    if workload == "W1":
        for i in range(n + 20):
            await ops.append_turn(turn(thread_id, "ic", now + timedelta(seconds=i)))
    elif workload == "W2":
        for _ in range(n + 20):
            await ops.recall("recall", 40)
    elif workload == "W3":
        for i in range(n + 20):
            await ops.list_threads(f"res-{i % 5}", 20)
    else:  # W5: the turns spread over 50 concurrent tasks, each on a thread of its own
        tasks = 50
        threads = [f"{thread_id}-{t}" for t in range(tasks)]
        for t in threads:
            await sdk.memory.save_thread(
                Thread(id=t, resource_id="ic", title="", created_at=now, updated_at=now)
            )

        async def one(t: int) -> None:
            for i in range(t, n + 50, tasks):
                await ops.append_turn(turn(threads[t], "ic", now + timedelta(seconds=i)))

        await asyncio.gather(*(one(t) for t in range(tasks)))
    await store.close()


def _count(args: argparse.Namespace, target: str, n: int) -> int:
    tree = os.path.abspath(args.tree)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([tree, os.path.join(tree, "adapters")]))
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "benchmarks.instructions",
        "--client",
        target,
        "--backend",
        args.backend,
        "--side",
        args.side,
        "--workload",
        args.workload,
        "-n",
        str(n),
    ]
    done = subprocess.run(command, env=env, cwd=tree, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"the client failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


async def _measure(args: argparse.Namespace) -> None:
    if args.backend == "postgres":
        from mastra_storage_postgres import PostgresStore
        from tests.support.servers import postgres_database

        async with postgres_database() as url:
            await _seed(PostgresStore(url))
            counts = [_count(args, url, n) for n in (SMALL, LARGE)]
    else:
        from mastra_storage import connect

        directory = tempfile.mkdtemp(prefix="mastra-bench-instructions-")
        try:
            path = os.path.join(directory, "seed.db")
            await _seed(connect(f"file:{path}"))
            counts = [_count(args, path, n) for n in (SMALL, LARGE)]
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    per_op = (counts[1] - counts[0]) / (LARGE - SMALL)
    print(f"{args.backend} {args.workload} {args.side} ({args.tree}): {per_op / 1000:,.1f}k")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=("postgres", "libsql"), default="postgres")
    parser.add_argument("--side", choices=("sdk", "raw"), default="sdk")
    parser.add_argument("--workload", choices=("W1", "W2", "W3", "W5"), default="W1")
    parser.add_argument("--tree", default=".", help="checkout whose code the client runs")
    parser.add_argument("--client", help=argparse.SUPPRESS)  # the measured process
    parser.add_argument("-n", type=int, default=SMALL, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        asyncio.run(_client(args.backend, args.client, args.side, args.workload, args.n))
    else:
        asyncio.run(_measure(args))


if __name__ == "__main__":
    main()
