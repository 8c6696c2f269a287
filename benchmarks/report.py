"""Writes a run's results: JSON (everything), Markdown (the table and the targets), PNG chart.

Why three forms: JSON is for tools and for re-rendering (``python -m benchmarks.report
results.json``), Markdown goes into the README, and the chart shows the SDK/raw gap at a
glance across backends whose latencies differ by orders of magnitude (log scale).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from .importtime import TARGET_MS, ImportTime
from .results import (
    RATIO_TARGET,
    RATIO_TARGET_BACKENDS,
    RATIO_TARGET_WORKLOADS,
    Counts,
    RunReport,
    SideResult,
    WorkloadResult,
)
from .stats import fmt_seconds

JSON_NAME = "results.json"
MARKDOWN_NAME = "results.md"
CHART_NAME = "results.png"


def _num(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:.1f}".removesuffix(".0")


def _count_cell(full: float | None, small: float | None) -> str:
    if full is None:
        return "n/a"
    if small is None or abs(small - full) < 0.05:
        return _num(full)
    return f"{_num(small)}→{_num(full)}"


def _counts(sdk: Counts, raw: Counts | None, trips: bool) -> str:
    def one(c: Counts) -> str:
        if trips:
            return _count_cell(c.round_trips, c.round_trips_small)
        return _count_cell(c.statements, c.statements_small)

    return one(sdk) if raw is None else f"{one(sdk)} / {one(raw)}"


def _ops(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def _ratio(result: WorkloadResult) -> str:
    ratio = result.ratio
    return "-" if ratio is None else f"{ratio:.2f}x"


def _cpu(side: SideResult | None) -> str:
    value = None if side is None else side.summary.cpu_per_op_s
    return fmt_seconds(value)


def cpu_ratio(result: WorkloadResult) -> float | None:
    """SDK/raw client CPU per operation (``None`` without a raw side or CPU figures)."""
    sdk = result.sdk.summary.cpu_per_op_s
    raw = result.raw.summary.cpu_per_op_s if result.raw else None
    if sdk is None or raw is None or not raw > 0 or math.isnan(sdk):
        return None
    return sdk / raw


def _cpu_cell(result: WorkloadResult) -> str:
    if result.sdk.summary.cpu_per_op_s is None:
        return "-"
    text = _cpu(result.sdk) if result.raw is None else f"{_cpu(result.sdk)} / {_cpu(result.raw)}"
    ratio = cpu_ratio(result)
    return text if ratio is None else f"{text} ({ratio:.2f}x)"


def _spread(side: SideResult | None) -> str:
    return "-" if side is None else f"±{side.summary.spread_pct / 2:.0f}%"


def console_line(result: WorkloadResult) -> str:
    """One progress line per finished workload (median, p99, spread, ratio)."""
    s = result.sdk.summary
    text = (
        f"[{result.backend}] {result.workload} sdk {fmt_seconds(s.median_s)} "
        f"(p99 {fmt_seconds(s.p99_s)}, {_ops(s.ops_per_s)}/s, spread {_spread(result.sdk)}; "
        f"reps {', '.join(fmt_seconds(m) for m in s.rep_medians_s)}; cpu {_cpu(result.sdk)}/op)"
    )
    if result.raw is not None:
        r = result.raw.summary
        text += (
            f" | raw {fmt_seconds(r.median_s)} (p99 {fmt_seconds(r.p99_s)}, "
            f"{_ops(r.ops_per_s)}/s, spread {_spread(result.raw)}; reps "
            f"{', '.join(fmt_seconds(m) for m in r.rep_medians_s)}; cpu {_cpu(result.raw)}/op) "
            f"| SDK/raw {_ratio(result)}"
        )
    return text


def import_line(value: ImportTime) -> str:
    drivers = ", ".join(value.drivers_imported) or "none"
    return (
        f"import mastra_storage: median {value.median_ms:.1f} ms over {value.runs} fresh "
        f"interpreters (min {value.min_ms:.1f}, max {value.max_ms:.1f}), "
        f"{value.after_asyncio_median_ms:.1f} ms when asyncio is already imported; drivers "
        f"imported: {drivers}"
    )


def markdown_table(run: RunReport) -> str:
    head = (
        "| backend | workload | SDK median | SDK p99 | SDK ops/s | raw median | raw p99 "
        "| raw ops/s | SDK/raw | client CPU/op SDK / raw | spread SDK / raw "
        "| statements/op SDK / raw | round trips/op SDK / raw |"
    )
    lines = [head, "|" + "---|" * 13]
    for r in run.results:
        s = r.sdk.summary
        raw = r.raw.summary if r.raw else None
        lines.append(
            "| "
            + " | ".join(
                [
                    r.backend,
                    f"{r.workload} ({r.unit})",
                    fmt_seconds(s.median_s),
                    fmt_seconds(s.p99_s),
                    _ops(s.ops_per_s),
                    fmt_seconds(raw.median_s) if raw else "-",
                    fmt_seconds(raw.p99_s) if raw else "-",
                    _ops(raw.ops_per_s) if raw else "-",
                    _ratio(r),
                    _cpu_cell(r),
                    f"{_spread(r.sdk)} / {_spread(r.raw)}",
                    _counts(r.sdk.counts, r.raw.counts if r.raw else None, trips=False),
                    _counts(r.sdk.counts, r.raw.counts if r.raw else None, trips=True),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def targets(run: RunReport) -> list[str]:
    """One line per target of issue 9, saying where it stands in this run."""
    lines: list[str] = []
    for r in run.results:
        if r.backend in RATIO_TARGET_BACKENDS and r.workload in RATIO_TARGET_WORKLOADS:
            ratio = r.ratio
            verdict = "n/a" if ratio is None else ("met" if ratio <= RATIO_TARGET else "MISSED")
            shown = "-" if ratio is None else f"{ratio:.2f}x"
            lines.append(
                f"- {r.backend} {r.workload} SDK/raw {shown} (target <= {RATIO_TARGET}x): {verdict}"
            )
    for r in run.results:
        if r.backend == "upstash":
            c = r.sdk.counts
            same = c.statements is not None and c.statements == c.statements_small
            lines.append(
                f"- redis {r.workload} commands/op {_count_cell(c.statements, c.statements_small)} "
                f"(small → full data): {'independent of size' if same else 'DEPENDS ON SIZE'}"
            )
    if run.import_time is not None:
        it = run.import_time
        verdict = "met" if it.meets_target else "MISSED"
        lines.append(
            f"- import mastra_storage {it.median_ms:.1f} ms in a fresh interpreter, "
            f"{it.after_asyncio_median_ms:.1f} ms after `import asyncio` "
            f"(target < {TARGET_MS:.0f} ms), "
            f"drivers imported: {', '.join(it.drivers_imported) or 'none'}: {verdict}"
        )
    return lines


def markdown(run: RunReport) -> str:
    m = run.meta
    load = m.get("load_average_start"), m.get("load_average_end")
    parts = [
        "# mastra-storage benchmark results",
        "",
        f"{m.get('date_utc')}, commit {m.get('commit')}, Python {m.get('python')}, "
        f"{m.get('cpus')} CPUs ({m.get('cpu_model')}), {m.get('platform')}; load average at "
        f"start/end {load[0]} / {load[1]}. {m.get('repetitions')} repetitions after a warm-up "
        f"of {m.get('warmup_ops')} operations; every figure is the median over repetitions "
        "of the per-repetition median (p99 likewise); spread = ±half the range of the "
        f"repetition medians. Quick mode: {m.get('quick')}. {m.get('note', '')}".rstrip(),
        "",
        markdown_table(run),
        "",
        "Client CPU/op: the benchmark process's CPU time (all its threads: event loop and "
        "driver worker threads; not the database server's) over a repetition divided by its "
        "operations, median over repetitions; the ratio in brackets is SDK/raw. "
        "Statements/op: driver calls (libSQL: including BEGIN/COMMIT) or server commands "
        "(Redis: INFO commandstats); `a→b` = with a tenth of the data → with all of it. "
        "Round trips/op: client→server bursts through a counting TCP proxy (network backends).",
        "",
        "## Backends",
        "",
    ]
    for b in run.backends:
        detail = b.description if b.status == "ok" else b.reason
        when = f"; measured {b.date_utc}, load average {b.load_average}" if b.date_utc else ""
        sizes = f"; sizes changed for this backend: {b.size_overrides}" if b.size_overrides else ""
        parts.append(
            f"- **{b.name}**: {b.status}, {detail} (raw side: {b.raw_driver or '-'}, "
            f"{b.seconds:.0f} s{when}{sizes})"
        )
    problems = [f"- {r.backend} {r.workload}: {r.problem}" for r in run.results if r.problem]
    if problems:
        parts += ["", "## SDK/raw disagreements", "", *problems]
    parts += ["", "## Targets", "", *targets(run), ""]
    return "\n".join(parts)


def chart(run: RunReport, path: Path) -> None:
    """Median latency per workload (SDK vs raw, log scale) and the SDK/raw ratios."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = sorted({r.workload for r in run.results})
    backends_seen = list(dict.fromkeys(r.backend for r in run.results))
    rows_of_panels = -(-(len(keys) + 1) // 3)  # one panel per workload, one for the ratios
    fig, axes = plt.subplots(rows_of_panels, 3, figsize=(16, 4.5 * rows_of_panels), squeeze=False)
    flat = list(axes.flat)
    for ax, key in zip(flat, keys, strict=False):
        rows = [r for r in run.results if r.workload == key]
        xs = range(len(rows))
        throughput = key == "W5"  # W5 is about total turns per second
        if throughput:
            sdk = [r.sdk.summary.ops_per_s for r in rows]
            raw = [r.raw.summary.ops_per_s if r.raw else 0.0 for r in rows]
        else:
            sdk = [r.sdk.summary.median_s * 1000 for r in rows]
            raw = [r.raw.summary.median_s * 1000 if r.raw else 0.0 for r in rows]
        ax.bar([x - 0.2 for x in xs], sdk, 0.4, label="SDK")
        ax.bar([x + 0.2 for x in xs], raw, 0.4, label="raw driver")
        ax.set_xticks(list(xs), [r.backend for r in rows], rotation=20)
        ax.set_yscale("log")
        unit = rows[0].unit if rows else "op"
        ax.set_ylabel(
            f"{unit}s per second (higher is better)" if throughput else f"median ms per {unit}"
        )
        ax.set_title(f"{key}: {rows[0].title}" if rows else key, fontsize=9)
        ax.legend(fontsize=8)
    ratio_ax = flat[-1]
    width = 0.8 / max(1, len(keys))
    for i, key in enumerate(keys):
        values = []
        for name in backends_seen:
            match = [r.ratio for r in run.results if r.backend == name and r.workload == key]
            values.append(match[0] if match and match[0] is not None else 0.0)
        ratio_ax.bar([x + i * width for x in range(len(backends_seen))], values, width, label=key)
    ratio_ax.axhline(RATIO_TARGET, color="red", linestyle="--", linewidth=1, label="1.25x")
    ratio_ax.axhline(1.0, color="grey", linewidth=0.5)
    ratio_ax.set_xticks(
        [x + 0.4 - width / 2 for x in range(len(backends_seen))], backends_seen, rotation=20
    )
    ratio_ax.set_title("SDK / raw median (lower is better)", fontsize=9)
    ratio_ax.legend(fontsize=7, ncol=3)
    for ax in flat[len(keys) : -1]:
        ax.axis("off")
    fig.suptitle(
        f"mastra-storage vs raw drivers, {run.meta.get('date_utc')}, "
        f"{run.meta.get('cpus')} CPUs, {run.meta.get('repetitions')} reps"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_all(run: RunReport, out_dir: Path, *, chart_too: bool = True) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / JSON_NAME
    json_path.write_text(json.dumps(run.to_json(), indent=2, allow_nan=False, default=_nan))
    md_path = out_dir / MARKDOWN_NAME
    md_path.write_text(markdown(run))
    written = [json_path, md_path]
    if chart_too and run.results:
        chart_path = out_dir / CHART_NAME
        chart(run, chart_path)
        written.append(chart_path)
    return written


def _nan(value: object) -> object:
    raise TypeError(f"not JSON serialisable: {value!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """Re-render Markdown and the chart from a results.json: ``python -m benchmarks.report``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m benchmarks.report path/to/results.json", file=sys.stderr)
        return 2
    source = Path(args[0])
    run = RunReport.from_json(json.loads(source.read_text()))
    for path in write_all(run, source.parent):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
