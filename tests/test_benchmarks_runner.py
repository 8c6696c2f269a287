"""The benchmark runner keeps working: a ``--quick`` run on the in-memory and libSQL
backends writes well-formed JSON, Markdown and PNG, and the round-trip proxy counts right.

Why in the test suite: benchmarks are not timed tests (no figure can fail CI), but a runner
that silently broke would leave the README's numbers unreproducible.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.backends.base import Address
from benchmarks.counting import RoundTripProxy
from benchmarks.ops import SdkOps
from benchmarks.results import RunReport
from benchmarks.workloads import WORKLOADS, find_workload

REPO = Path(__file__).resolve().parents[1]
ALL_WORKLOADS = ("W1", "W2", "W2t", "W3", "W3t", "W4", "W5")
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            "--backends",
            "memory,libsql",
            "--import-runs",
            "1",
            "--out",
            str(out),
            *([] if HAS_MATPLOTLIB else ["--no-chart"]),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out, proc.stdout


def test_quick_run_writes_json_with_every_workload(quick_run: tuple[Path, str]) -> None:
    out, _ = quick_run
    data = json.loads((out / "results.json").read_text())
    run = RunReport.from_json(data)
    assert [(b.name, b.status) for b in run.backends] == [("memory", "ok"), ("libsql", "ok")]
    got = {(r.backend, r.workload) for r in run.results}
    assert got == {(b, w) for b in ("memory", "libsql") for w in ALL_WORKLOADS}
    for r in run.results:
        assert r.problem is None
        assert r.sdk.summary.median_s > 0
        assert len(r.sdk.summary.rep_medians_s) == data["meta"]["repetitions"] == 2
        if r.backend == "libsql":
            assert r.raw is not None and r.raw.summary.median_s > 0
            assert r.ratio is not None and r.ratio > 0
            assert r.sdk.counts.statements is not None and r.sdk.counts.statements >= 1
            assert r.raw.counts.statements is not None and r.raw.counts.statements >= 1
        else:
            assert r.raw is None and r.ratio is None
    assert run.import_time is not None and run.import_time.median_ms > 0
    assert run.import_time.drivers_imported == []


def test_quick_run_writes_markdown(quick_run: tuple[Path, str]) -> None:
    out, stdout = quick_run
    markdown = (out / "results.md").read_text()
    assert "| backend | workload | SDK median |" in markdown
    assert markdown.count("| libsql | W") == len(ALL_WORKLOADS)
    assert "## Targets" in markdown and "libsql W1 SDK/raw" in markdown
    assert "spread" in stdout  # the runner prints the spread of every figure


def test_quick_run_writes_png_chart(quick_run: tuple[Path, str]) -> None:
    if not HAS_MATPLOTLIB:
        pytest.skip("the bench extra (matplotlib) is not installed: no chart to check")
    out, _ = quick_run
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_backend_is_rejected() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--backends", "nosuch"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "unknown backend 'nosuch'" in proc.stderr


@pytest.mark.parametrize("required", [True, False])
def test_unreachable_backend_fails_the_run_only_when_required(
    required: bool, tmp_path: Path
) -> None:
    """CI runs the quick benchmark with MASTRA_TEST_REQUIRE set: a backend it names must
    not be skipped quietly (exit 1), while a developer without that server gets exit 0."""
    import os

    env = dict(os.environ, MASTRA_TEST_REDIS_URL="redis://127.0.0.1:1")
    env.pop("MASTRA_TEST_REQUIRE", None)
    if required:
        env["MASTRA_TEST_REQUIRE"] = "redis"
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "benchmarks", "--quick", "--backends", "upstash"),
            *("--shared-servers", "--no-chart", "--import-runs", "1", "--out", str(tmp_path)),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    run = RunReport.from_json(json.loads((tmp_path / "results.json").read_text()))
    assert [(b.name, b.status) for b in run.backends] == [("upstash", "skipped")]
    assert proc.returncode == (1 if required else 0), proc.stdout[-2000:] + proc.stderr
    assert ("failed backends ['upstash']" in proc.stdout) is required


async def _exchange(proxy_addr: Address, messages: list[list[bytes]]) -> None:
    reader, writer = await asyncio.open_connection(proxy_addr.host, proxy_addr.port)
    for burst in messages:  # each burst: writes sent back to back, then read the echoes
        for chunk in burst:
            writer.write(chunk)
            await writer.drain()
        expected = sum(len(c) for c in burst)
        received = b""
        while len(received) < expected:
            received += await reader.read(expected - len(received))
        assert received == b"".join(burst)
    writer.close()


def test_proxy_counts_one_round_trip_per_request_response() -> None:
    async def scenario() -> int:
        async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while line := await reader.readline():  # answers only once a line is complete
                writer.write(line)
                await writer.drain()
            writer.close()

        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        proxy = RoundTripProxy(Address("127.0.0.1", port))
        via = await proxy.start()
        try:
            # 3 request/response exchanges; the second pipelines two writes (one trip).
            await _exchange(via, [[b"ping\n"], [b"a", b"b\n"], [b"pong\n"]])
            await asyncio.sleep(0.05)
            return proxy.round_trips
        finally:
            await proxy.close()
            server.close()

    assert asyncio.run(scenario()) == 3


def test_merge_keeps_rows_of_backends_not_rerun(quick_run: tuple[Path, str]) -> None:
    out, _ = quick_run
    older = RunReport.from_json(json.loads((out / "results.json").read_text()))
    newer = RunReport.from_json(json.loads((out / "results.json").read_text()))
    newer.backends = [b for b in newer.backends if b.name == "libsql"]
    newer.results = [r for r in newer.results if r.backend == "libsql"][:2]  # a partial rerun
    newer.merge(older)
    assert [b.name for b in newer.backends] == ["memory", "libsql"]
    assert [(r.backend, r.workload) for r in newer.results] == [
        *[("memory", w) for w in ALL_WORKLOADS],
        ("libsql", "W1"),
        ("libsql", "W2"),
    ]


def test_merge_orders_rows_by_workload(quick_run: tuple[Path, str]) -> None:
    # ``--workloads W5,W1`` runs W5 first (moto fails concurrent transactions on a big table);
    # the merged report still lists W1 before W5.
    out, _ = quick_run
    older = RunReport.from_json(json.loads((out / "results.json").read_text()))
    newer = RunReport.from_json(json.loads((out / "results.json").read_text()))
    newer.backends = [b for b in newer.backends if b.name == "libsql"]
    rows = {r.workload: r for r in newer.results if r.backend == "libsql"}
    newer.results = [rows["W5"], rows["W1"]]
    newer.merge(older)
    assert [(r.backend, r.workload) for r in newer.results if r.backend == "libsql"] == [
        ("libsql", "W1"),
        ("libsql", "W5"),
    ]


def test_only_the_t_rows_count_the_total() -> None:
    # W2/W3 compare like for like with the raw side (which does not count); W2t/W3t keep the
    # SDK's total so its cost stays visible.
    from mastra_storage import Page

    asked: list[tuple[str, bool]] = []

    class Memory:
        async def list_messages(self, **kwargs: object) -> Page[object]:
            asked.append(("messages", bool(kwargs["include_total"])))
            return Page(items=[], total=None, page=0, per_page=1, has_more=False)

        async def list_threads(self, **kwargs: object) -> Page[object]:
            asked.append(("threads", bool(kwargs["include_total"])))
            return Page(items=[], total=None, page=0, per_page=1, has_more=False)

    sdk = SdkOps(object(), Memory(), object())  # type: ignore[arg-type]

    async def main() -> None:
        for key in ("W2", "W2t"):
            await WORKLOADS[key].side(sdk).recall("t", 1)
        for key in ("W3", "W3t"):
            await WORKLOADS[key].side(sdk).list_threads("r", 1)

    asyncio.run(main())
    assert asked == [
        ("messages", False),
        ("messages", True),
        ("threads", False),
        ("threads", True),
    ]
    assert find_workload("w2T") is WORKLOADS["W2t"] and find_workload("W6") is None
