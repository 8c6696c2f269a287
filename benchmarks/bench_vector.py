"""Recall@k and query latency of LibSQLVector and PgVector against exact brute force.

Run: ``python benchmarks/bench_vector.py`` (defaults: 10,000 random 384-dim vectors, 100
queries, top_k 10, cosine). Needs numpy (ground truth), ``libsql`` for LibSQLVector and a
PostgreSQL with pgvector for PgVector (``MASTRA_TEST_PGVECTOR_URL``, or the ``pgserver``
package, via :func:`tests.support.servers.pgvector_url`). Everything runs in a
temporary directory / a temporary database that is removed afterwards.

Per store it reports: load time (``upsert`` in batches of 1,000, index maintained during the
load), recall@k of unfiltered queries (the ANN index) against exact cosine top-k computed
with numpy on the same float32 vectors, and latency (mean / p50 / p95 over sequential
queries) of the ANN path and of the exact path (a filter every row matches forces the
exact scan). Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "adapters")]

from mastra_storage.vector import BaseVectorStore  # noqa: E402

INDEX = "bench_vectors"


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ms(values: Sequence[float]) -> dict[str, float]:
    return {
        "mean_ms": round(statistics.fmean(values) * 1000, 2),
        "p50_ms": round(_percentile(values, 0.5) * 1000, 2),
        "p95_ms": round(_percentile(values, 0.95) * 1000, 2),
    }


def make_data(n: int, dim: int, queries: int, seed: int, top_k: int) -> tuple[Any, Any, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    data = rng.standard_normal((n, dim)).astype(np.float32)
    qs = rng.standard_normal((queries, dim)).astype(np.float32)
    unit = data / np.linalg.norm(data, axis=1, keepdims=True)
    qunit = qs / np.linalg.norm(qs, axis=1, keepdims=True)
    sims = qunit.astype(np.float64) @ unit.astype(np.float64).T
    truth = np.argsort(-sims, axis=1)[:, :top_k]
    return data, qs, truth


async def run_store(
    name: str, store: BaseVectorStore, data: Any, qs: Any, truth: Any, top_k: int, **create: Any
) -> dict[str, Any]:
    n = len(data)
    await store.create_index(INDEX, data.shape[1], "cosine", **create)  # type: ignore[call-arg]
    start = time.perf_counter()
    for lo in range(0, n, 1000):
        chunk = data[lo : lo + 1000]
        await store.upsert(
            INDEX,
            chunk.tolist(),
            [{"all": True, "i": lo + i} for i in range(len(chunk))],
            [str(lo + i) for i in range(len(chunk))],
        )
    load_s = time.perf_counter() - start
    ann_times: list[float] = []
    exact_times: list[float] = []
    found = 0
    exact_found = 0
    for qi, q in enumerate(qs.tolist()):
        t0 = time.perf_counter()
        hits = await store.query(INDEX, q, top_k=top_k)
        ann_times.append(time.perf_counter() - t0)
        want = {str(i) for i in truth[qi]}
        found += len({h.id for h in hits} & want)
        t0 = time.perf_counter()
        exact = await store.query(INDEX, q, top_k=top_k, filter={"all": True})
        exact_times.append(time.perf_counter() - t0)
        exact_found += len({h.id for h in exact} & want)
    total = len(qs) * top_k
    return {
        "store": name,
        "load_s": round(load_s, 2),
        "recall_ann": round(found / total, 4),
        "ann": _ms(ann_times),
        "recall_exact": round(exact_found / total, 4),
        "exact": _ms(exact_times),
    }


async def bench_libsql(
    data: Any, qs: Any, truth: Any, top_k: int, tuned: bool
) -> list[dict[str, Any]]:
    from mastra_storage_libsql.vector import LibSQLVector

    results = []
    variants: list[tuple[str, ...]] = [()]
    if tuned:
        variants.append(("max_neighbors=16", "compress_neighbors=float8"))
    for options in variants:
        with tempfile.TemporaryDirectory() as tmp:
            store = LibSQLVector(f"file:{Path(tmp) / 'bench.db'}", vector_index_options=options)
            label = f"LibSQLVector (DiskANN {', '.join(options) or 'defaults'})"
            try:
                results.append(await run_store(label, store, data, qs, truth, top_k))
            finally:
                await store.close()
    return results


async def bench_pg(
    data: Any, qs: Any, truth: Any, top_k: int, ef_values: Sequence[int]
) -> list[dict[str, Any]]:
    from mastra_storage_postgres.vector import PgVector
    from tests.support.servers import pgvector_url, postgres_database

    results = []
    server = await asyncio.to_thread(pgvector_url)
    async with postgres_database(server) as url:
        for ef in ef_values:
            store = PgVector(url, schema=f"bench_ef{ef}", ef_search=ef)
            try:
                label = f"PgVector (HNSW m=16, ef_construction=64, ef_search={ef})"
                results.append(await run_store(label, store, data, qs, truth, top_k))
            finally:
                await store.close()
    return results


def markdown(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        f"{args.n} random {args.dim}-dim vectors (standard normal, float32), cosine, "
        f"{args.queries} queries, top_k={args.top_k}, seed {args.seed}.",
        "",
        "| store | load (s) | recall@k ANN | ANN mean / p50 / p95 (ms) | recall@k exact "
        "| exact mean / p50 / p95 (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        a, e = r["ann"], r["exact"]
        lines.append(
            f"| {r['store']} | {r['load_s']} | {r['recall_ann']} | "
            f"{a['mean_ms']} / {a['p50_ms']} / {a['p95_ms']} | {r['recall_exact']} | "
            f"{e['mean_ms']} / {e['p50_ms']} / {e['p95_ms']} |"
        )
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> int:
    try:
        data, qs, truth = make_data(args.n, args.dim, args.queries, args.seed, args.top_k)
    except ImportError:
        print("bench_vector needs numpy for the exact ground truth: pip install numpy")
        return 2
    rows: list[dict[str, Any]] = []
    if "libsql" in args.stores:
        rows += await bench_libsql(data, qs, truth, args.top_k, args.libsql_tuned)
    if "pgvector" in args.stores:
        ef_values = [int(v) for v in args.pg_ef_search.split(",") if v.strip()]
        rows += await bench_pg(data, qs, truth, args.top_k, ef_values)
    print(markdown(rows, args))
    if args.json:
        text = json.dumps({"args": vars(args), "results": rows}, indent=2)
        await asyncio.to_thread(Path(args.json).write_text, text)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--stores", default="libsql,pgvector")
    parser.add_argument("--json", help="also write the results as JSON to this path")
    parser.add_argument(
        "--pg-ef-search", default="40,100", help="hnsw.ef_search values to run PgVector with"
    )
    parser.add_argument(
        "--libsql-tuned",
        action="store_true",
        help="also run LibSQLVector with max_neighbors=16, compress_neighbors=float8",
    )
    args = parser.parse_args(argv)
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
