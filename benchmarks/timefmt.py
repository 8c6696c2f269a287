"""ISO-8601 and epoch-millisecond helpers for the raw drivers (stdlib only, on purpose).

Why not the SDK's helpers: the raw side stands for code written without this library.
"""

from __future__ import annotations

from datetime import datetime, timezone


def iso(value: datetime) -> str:
    """``2026-01-01T00:00:00.000Z``: the text form Mastra stores."""
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now() -> datetime:
    return datetime.now(timezone.utc)


def epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def text_content(text: str) -> dict[str, object]:
    """A V2 message body with one text part, as Mastra writes it."""
    return {"format": 2, "parts": [{"type": "text", "text": text}], "content": text}
