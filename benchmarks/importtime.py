"""``import mastra_storage`` time, in fresh interpreters, and which drivers it pulled in.

Why a subprocess per sample: only a fresh interpreter shows the cost a service pays at
start-up (nothing cached in ``sys.modules``). One unmeasured run first writes the bytecode
caches, so every measured run sees the same warm file system.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import dataclass

DRIVERS = ("libsql", "asyncpg", "aioboto3", "aiobotocore", "botocore", "redis", "pymongo")
TARGET_MS = 100.0

_PROBE = f"""
import json, sys, time
PRELOAD
started = time.perf_counter()
import mastra_storage
elapsed = time.perf_counter() - started
print(json.dumps({{"seconds": elapsed, "drivers": [m for m in {DRIVERS!r} if m in sys.modules]}}))
"""


@dataclass(frozen=True)
class ImportTime:
    median_ms: float
    min_ms: float
    max_ms: float
    runs: int
    drivers_imported: list[str]
    #: The same, in an interpreter that has already imported asyncio (as any async app
    #: has): the SDK's own share of the cost.
    after_asyncio_median_ms: float = 0.0

    @property
    def meets_target(self) -> bool:
        return self.median_ms < TARGET_MS and not self.drivers_imported


def _sample(python: str, preload: str = "") -> tuple[float, list[str]]:
    code = _PROBE.replace("PRELOAD", preload)
    out = subprocess.run(
        [python, "-c", code], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return float(data["seconds"]) * 1000, list(data["drivers"])


def measure(runs: int, python: str = sys.executable) -> ImportTime:
    """Median of ``runs`` fresh-interpreter imports after one unmeasured warm-up run."""
    _sample(python)
    times: list[float] = []
    warm: list[float] = []
    drivers: set[str] = set()
    for _ in range(max(1, runs)):
        ms, imported = _sample(python)
        times.append(ms)
        drivers.update(imported)
        warm.append(_sample(python, "import asyncio")[0])
    return ImportTime(
        after_asyncio_median_ms=statistics.median(warm),
        median_ms=statistics.median(times),
        min_ms=min(times),
        max_ms=max(times),
        runs=len(times),
        drivers_imported=sorted(drivers),
    )
