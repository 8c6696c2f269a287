"""Progress of a transfer (``copy``, ``export``, ``import``): events for a callback, and the
command line's display.

The engine reports every page it moved through :class:`Progress`, which turns it into a
:class:`ProgressEvent` for a callback: the Python API takes ``progress=callback`` (or
``True`` for the default display on stderr). :class:`ProgressDisplay` is that display: on
a terminal a ``tqdm`` bar per record kind with its total (when known), rate and ETA; on
anything else (a log file, a pipe) one plain line every ``interval`` seconds and a last
one at the end, never a carriage return.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from tqdm import tqdm


@dataclass(frozen=True)
class ProgressEvent:
    """What a transfer did so far, passed to a progress callback after each page.

    ``operation`` is ``"copy"``, ``"export"`` or ``"import"``; ``kind`` the record kind of
    the page (``thread``, ``message``, ``resource``, ``workflow_run``, ``score``, ``span``)
    and ``added`` its record count; ``counts`` the records moved so far per kind.
    ``finished`` is true on the last event (``kind`` empty, ``added`` 0), sent once the
    transfer ends, also when it fails.
    """

    operation: str
    kind: str
    added: int
    counts: Mapping[str, int]
    finished: bool = False


#: A progress callback: called in the transfer's task, so it must return quickly.
ProgressCallback = Callable[[ProgressEvent], None]


class Progress:
    """The engine's side: counts per kind, forwarded to a callback.

    ``enabled`` is a callback, ``True`` (the default :class:`ProgressDisplay` on
    ``stream``, stderr by default) or ``False`` (nothing is reported).
    """

    def __init__(
        self,
        label: str,
        *,
        enabled: bool | ProgressCallback,
        stream: TextIO | None = None,
    ) -> None:
        self.label = label
        self.counts: dict[str, int] = {}
        self.callback: ProgressCallback | None
        if callable(enabled):
            self.callback = enabled
        elif enabled:
            self.callback = ProgressDisplay(stream=stream)
        else:
            self.callback = None
        self.enabled = self.callback is not None

    def add(self, kind: str, n: int) -> None:
        """Count ``n`` records of ``kind`` and report them."""
        self.counts[kind] = self.counts.get(kind, 0) + n
        if self.callback is not None:
            self.callback(ProgressEvent(self.label, kind, n, dict(self.counts)))

    def finish(self) -> None:
        """Report the end of the transfer (once)."""
        if self.callback is not None:
            self.callback(ProgressEvent(self.label, "", 0, dict(self.counts), finished=True))


@dataclass
class _PlainState:
    started: float
    last_line: float
    first_seen: dict[str, float] = field(default_factory=dict)


class ProgressDisplay:
    """A progress callback that shows the transfer on ``stream`` (stderr by default).

    ``totals`` are the expected records per kind when known (the ETA needs them); kinds
    without one show their count and rate. ``tty`` overrides the terminal detection;
    ``interval`` is the seconds between two plain lines when the stream is not a terminal.
    """

    def __init__(
        self,
        *,
        stream: TextIO | None = None,
        totals: Mapping[str, int] | None = None,
        tty: bool | None = None,
        interval: float = 10.0,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.totals = dict(totals or {})
        if tty is None:
            isatty = getattr(self.stream, "isatty", None)
            tty = bool(isatty()) if callable(isatty) else False
        self.tty = tty
        self.interval = interval
        self._bar: Any = None
        self._bar_kind = ""
        now = time.monotonic()
        self._plain = _PlainState(started=now, last_line=now)

    def __call__(self, event: ProgressEvent) -> None:
        if self.tty:
            self._bar_event(event)
        else:
            self._plain_event(event)

    # ---- terminal: one tqdm bar per kind, replaced when the kind changes --------------

    def _bar_event(self, event: ProgressEvent) -> None:
        if event.finished:
            self._close_bar()
            return
        if event.kind != self._bar_kind:
            self._close_bar()
            self._bar_kind = event.kind
            self._bar = tqdm(
                total=self.totals.get(event.kind),
                desc=f"{event.operation} {event.kind}s",
                unit=" " + event.kind,
                file=self.stream,
                leave=True,
                dynamic_ncols=True,
                mininterval=0.2,
            )
        self._bar.update(event.added)

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            self._bar_kind = ""

    # ---- anything else: a plain line now and then ----------------------------------

    def _plain_event(self, event: ProgressEvent) -> None:
        now = time.monotonic()
        if event.kind:
            self._plain.first_seen.setdefault(event.kind, now)
        if event.finished or now - self._plain.last_line >= self.interval:
            self._plain.last_line = now
            self.stream.write(self._plain_line(event, now) + "\n")
            self.stream.flush()

    def _plain_line(self, event: ProgressEvent, now: float) -> str:
        elapsed = max(now - self._plain.started, 1e-9)
        parts = []
        for kind, done in event.counts.items():
            total = self.totals.get(kind)
            parts.append(f"{kind}s {done}" + (f"/{total}" if total is not None else ""))
        records = sum(event.counts.values())
        line = f"{event.operation}: " + (", ".join(parts) or "nothing yet")
        line += f" ({records / elapsed:.0f} records/s, {_duration(elapsed)} elapsed"
        eta = self._eta(event, now)
        if eta is not None and not event.finished:
            line += f", ETA {_duration(eta)}"
        return line + (", done)" if event.finished else ")")

    def _eta(self, event: ProgressEvent, now: float) -> float | None:
        kind = event.kind
        total = self.totals.get(kind)
        done = event.counts.get(kind, 0)
        if not kind or total is None or done <= 0:
            return None
        spent = max(now - self._plain.first_seen.get(kind, now), 1e-9)
        return max(total - done, 0) * spent / done


def _duration(elapsed: float) -> str:
    seconds = round(elapsed)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


__all__ = ["Progress", "ProgressCallback", "ProgressDisplay", "ProgressEvent"]
