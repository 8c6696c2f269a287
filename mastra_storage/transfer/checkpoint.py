"""The resume file of a copy: the last completed position per domain.

Written atomically after every completed page, in a worker thread so the event loop never
blocks on disk: a private (``0600``) temporary file created exclusively beside it, never
through a symlink, then ``os.replace`` (see :mod:`.files`). A killed copy resumed with the same
file re-does at most the page in flight, which the idempotent sink absorbs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import anyio

from ..errors import ConfigurationError
from .files import write_atomically

VERSION = 1


class Checkpoint:
    """Positions (``domain -> key``), finished domains and running counts."""

    def __init__(self, path: Path | None, *, source: str, destination: str) -> None:
        self.path = path
        self.source = source
        self.destination = destination
        self.positions: dict[str, Any] = {}
        self.done: list[str] = []
        self.counts: dict[str, list[int]] = {}

    async def load(self) -> None:
        """Read the file if present; it must be for the same source and destination."""
        if self.path is None or not await anyio.Path(self.path).exists():
            return
        try:
            data = json.loads(await anyio.Path(self.path).read_text("utf-8"))
            if data.get("version") != VERSION:
                raise ValueError("version")
            positions, done, counts = data["positions"], data["done"], data["counts"]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ConfigurationError(
                f"checkpoint file {self.path} is not a mastra-storage copy checkpoint",
                id="MASTRA_STORAGE_TRANSFER_BAD_CHECKPOINT",
            ) from None
        if (data.get("source"), data.get("destination")) != (self.source, self.destination):
            raise ConfigurationError(
                f"checkpoint file {self.path} belongs to another copy (source/destination differ)",
                id="MASTRA_STORAGE_TRANSFER_BAD_CHECKPOINT",
            )
        self.positions, self.done, self.counts = dict(positions), list(done), dict(counts)

    async def check_replaceable(self) -> None:
        """Before a fresh start: an existing file at the path must be a copy checkpoint
        (of any copy), so a mistyped ``--checkpoint`` never replaces an unrelated file."""
        if self.path is None or not await anyio.to_thread.run_sync(os.path.lexists, self.path):
            return
        try:
            text = await anyio.Path(self.path).read_text("utf-8")
            is_checkpoint = json.loads(text).get("version") == VERSION
        except (OSError, ValueError, AttributeError):
            is_checkpoint = False
        if not is_checkpoint:
            raise ConfigurationError(
                f"checkpoint file {self.path} exists and is not a mastra-storage copy "
                "checkpoint; not replacing it",
                id="MASTRA_STORAGE_TRANSFER_BAD_CHECKPOINT",
            )

    async def save(self) -> None:
        """Write the positions (no-op without a path); atomic, mode ``0600``."""
        if self.path is None:
            return
        payload = json.dumps(
            {
                "version": VERSION,
                "source": self.source,
                "destination": self.destination,
                "positions": self.positions,
                "done": self.done,
                "counts": self.counts,
            }
        )
        await anyio.to_thread.run_sync(write_atomically, self.path, payload.encode())
