"""A one-line progress display on stderr (counts per record kind), no dependency.

Enabled when stderr is a terminal or when asked (``--progress``); redrawn at most every
0.2 s with a carriage return, finished with a newline.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, label: str, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.label = label
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.counts: dict[str, int] = {}
        self._last = 0.0
        self._drawn = False

    def add(self, kind: str, n: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n
        now = time.monotonic()
        if self.enabled and now - self._last >= 0.2:
            self._last = now
            self._draw()

    def _draw(self) -> None:
        parts = " ".join(f"{kind}s={n}" for kind, n in self.counts.items())
        self.stream.write(f"\r{self.label}: {parts}")
        self.stream.flush()
        self._drawn = True

    def finish(self) -> None:
        if self.enabled:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
