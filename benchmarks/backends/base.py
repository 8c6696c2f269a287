"""What the runner needs from a backend: a server, an isolated namespace, the SDK store and
the raw driver's minimal equivalent, plus whatever counters the backend offers.

Why one small class per backend: every backend finds its server, isolates itself and cleans
up differently, while the runner stays identical for all of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from mastra_storage import MastraStorage

from ..ops import Ops


class Unavailable(Exception):
    """The backend cannot run here (adapter not importable, no server); ``str`` says why."""


@dataclass(frozen=True)
class Address:
    """A TCP server address (what the round-trip counting proxy forwards to)."""

    host: str
    port: int


class Backend(ABC):
    """One backend for one run. ``start`` before anything else, ``stop`` always."""

    name: ClassVar[str]
    raw_driver: ClassVar[str]  # what the raw side uses, for the report
    #: Sizes this backend runs with instead of the defaults (full runs only): the emulators
    #: (SecantusDB, moto) are too slow on a small machine for the full sample counts.
    size_overrides: ClassVar[dict[str, int]] = {}

    @abstractmethod
    async def start(self) -> None:
        """Find the server and create a private namespace; raise :class:`Unavailable`."""

    @abstractmethod
    async def open_sdk(self, via: Address | None = None) -> MastraStorage:
        """An initialised SDK store on the namespace (through ``via`` when given)."""

    @abstractmethod
    async def open_raw(self, via: Address | None = None) -> Ops | None:
        """The raw driver's minimal equivalent on the same layout (``None``: no driver)."""

    def address(self) -> Address | None:
        """The server's TCP address, for counting round trips (``None``: embedded)."""
        return None

    async def server_commands(self) -> int | None:
        """Commands the server has executed so far, if it can tell (Redis can)."""
        return None

    def describe(self) -> str:
        """Server and driver versions, for the report."""
        return ""

    @abstractmethod
    async def stop(self) -> None:
        """Drop the namespace and close what ``start`` opened."""


def require_module(module: str, why: str) -> None:
    """Raise :class:`Unavailable` unless ``module`` can be imported."""
    import importlib

    try:
        importlib.import_module(module)
    except Exception as exc:  # ImportError, or a half-written adapter failing on import
        raise Unavailable(f"{why}: cannot import {module} ({type(exc).__name__}: {exc})") from exc


def url_via(url: str, via: Address | None) -> str:
    """``url`` with its host and port replaced by ``via`` (credentials and path kept)."""
    if via is None:
        return url
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    userinfo, _, _ = parts.netloc.rpartition("@")
    netloc = f"{userinfo}@{via.host}:{via.port}" if userinfo else f"{via.host}:{via.port}"
    return parts._replace(netloc=netloc).geturl()


def address_of(url: str, default_port: int) -> Address:
    """The TCP address a server URL points at."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return Address(parts.hostname or "127.0.0.1", parts.port or default_port)
