"""The shape of a benchmark run's results, shared by the runner and the report writers.

Why separate: the runner fills these in, the report renders them, and the JSON file is just
these dataclasses as plain data, so re-rendering an old run needs no re-measuring.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from .importtime import ImportTime
from .stats import Summary

RATIO_TARGET = 1.25
RATIO_TARGET_BACKENDS = ("postgres", "libsql")
RATIO_TARGET_WORKLOADS = ("W1", "W2", "W3")
#: The order backends are listed in (the runner's default order).
_BACKEND_ORDER = ("memory", "libsql", "postgres", "upstash", "mongodb", "dynamodb")


@dataclass
class Counts:
    """Statements (or commands) and network round trips per operation, at two data sizes.

    ``*_small`` is measured with a tenth of the seeded data (W1: an empty thread), so a
    reader can see whether the count grows with the thread or the database.
    """

    statements: float | None = None
    statements_small: float | None = None
    round_trips: float | None = None
    round_trips_small: float | None = None


@dataclass
class SideResult:
    summary: Summary
    counts: Counts = field(default_factory=Counts)


@dataclass
class WorkloadResult:
    backend: str
    workload: str
    title: str
    unit: str
    sdk: SideResult
    raw: SideResult | None = None
    problem: str | None = None  # why SDK and raw disagree, if they do

    @property
    def ratio(self) -> float | None:
        if self.raw is None or not self.raw.summary.median_s > 0:
            return None
        value = self.sdk.summary.median_s / self.raw.summary.median_s
        return None if math.isnan(value) else value


@dataclass
class BackendInfo:
    name: str
    status: str  # "ok", "skipped" or "failed"
    reason: str = ""
    description: str = ""
    raw_driver: str = ""
    seconds: float = 0.0
    date_utc: str = ""
    load_average: list[float] | None = None
    #: Sizes that differ from the run's (slow emulators sample fewer operations).
    size_overrides: dict[str, int] = field(default_factory=dict)


@dataclass
class RunReport:
    meta: dict[str, Any]
    backends: list[BackendInfo] = field(default_factory=list)
    results: list[WorkloadResult] = field(default_factory=list)
    import_time: ImportTime | None = None

    def merge(self, older: RunReport) -> None:
        """Keep ``older``'s rows for backends this run did not measure (they say when)."""
        ran = {b.name for b in self.backends}
        kept = [b for b in older.backends if b.name not in ran]
        self.backends = kept + self.backends
        rows = [r for r in older.results if r.backend not in ran]
        self.results = rows + self.results
        self.backends.sort(
            key=lambda b: _BACKEND_ORDER.index(b.name) if b.name in _BACKEND_ORDER else 99
        )
        order = {b.name: i for i, b in enumerate(self.backends)}
        # Backend order, then W1, W2, W2t, ... (a run may have been told another order).
        self.results.sort(key=lambda r: (order.get(r.backend, len(order)), r.workload))

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for item, result in zip(data["results"], self.results, strict=True):
            item["ratio"] = result.ratio
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunReport:
        def side(raw: dict[str, Any] | None) -> SideResult | None:
            if raw is None:
                return None
            return SideResult(summary=Summary(**raw["summary"]), counts=Counts(**raw["counts"]))

        results = []
        for item in data["results"]:
            sdk = side(item["sdk"])
            assert sdk is not None
            results.append(
                WorkloadResult(
                    backend=item["backend"],
                    workload=item["workload"],
                    title=item["title"],
                    unit=item["unit"],
                    sdk=sdk,
                    raw=side(item.get("raw")),
                    problem=item.get("problem"),
                )
            )
        imported = data.get("import_time")
        return cls(
            meta=data["meta"],
            backends=[BackendInfo(**b) for b in data["backends"]],
            results=results,
            import_time=ImportTime(**imported) if imported else None,
        )
