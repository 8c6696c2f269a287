"""Turning timed samples into the reported figures (median, p99, ops/s, spread).

Why repetitions: one pass over a workload is noisy on a shared machine. Each repetition
yields its own median, p99 and throughput; the reported figure is the median of those over
the repetitions, and the spread (max - min of the repetition medians, relative to their
median) tells the reader how far to trust it.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1); NaN for no samples."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Repetition:
    """One timed pass: per-operation latencies, the pass's wall time and its CPU time.

    ``cpu`` is the process's CPU time over the pass (every thread: the event loop and the
    drivers' worker threads), so ``cpu / len(samples)`` is the client's CPU per operation,
    which a busy machine disturbs far less than the wall-clock latencies.
    """

    samples: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    cpu: float = 0.0
    _wall0: float = 0.0
    _cpu0: float = 0.0

    def begin(self) -> None:
        """Start the pass's wall and CPU clocks (after any untimed setup)."""
        self._cpu0 = time.process_time()
        self._wall0 = time.perf_counter()

    def end(self) -> None:
        """Stop both clocks: sets ``elapsed`` and ``cpu``."""
        self.elapsed = time.perf_counter() - self._wall0
        self.cpu = time.process_time() - self._cpu0

    @property
    def cpu_per_op(self) -> float:
        return self.cpu / len(self.samples) if self.samples else math.nan

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else math.nan

    @property
    def p99(self) -> float:
        return percentile(self.samples, 0.99)

    @property
    def ops_per_s(self) -> float:
        return len(self.samples) / self.elapsed if self.elapsed > 0 else math.nan


@dataclass(frozen=True)
class Summary:
    """The reported figures of one (backend, workload, side) over all repetitions."""

    median_s: float
    p99_s: float
    ops_per_s: float
    spread_pct: float
    rep_medians_s: list[float]
    ops_per_rep: int
    #: Client CPU seconds per operation (median over repetitions); ``None`` in old runs.
    cpu_per_op_s: float | None = None

    @classmethod
    def of(cls, reps: Sequence[Repetition]) -> Summary:
        medians = [r.median for r in reps]
        middle = statistics.median(medians) if medians else math.nan
        spread = (max(medians) - min(medians)) / middle * 100 if medians and middle > 0 else 0.0
        return cls(
            median_s=middle,
            p99_s=statistics.median([r.p99 for r in reps]) if reps else math.nan,
            ops_per_s=statistics.median([r.ops_per_s for r in reps]) if reps else math.nan,
            spread_pct=spread,
            rep_medians_s=medians,
            ops_per_rep=len(reps[0].samples) if reps else 0,
            cpu_per_op_s=statistics.median([r.cpu_per_op for r in reps]) if reps else None,
        )


def fmt_seconds(seconds: float | None) -> str:
    """Human units: ``812 us``, ``3.41 ms``, ``1.20 s``; ``-`` when missing."""
    if seconds is None or math.isnan(seconds):
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"
