"""Adapter discovery: URL scheme -> adapter, through the ``mastra_storage.adapters`` entry points.

An adapter package registers an :class:`AdapterSpec` (a plain object: importing it must not
import the backend driver). ``connect(url)`` picks the spec by the URL's scheme and only
then imports the adapter, so a missing driver is reported as "install this extra".
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ConfigurationError, MissingDependencyError

if TYPE_CHECKING:
    from .composite import MastraStorage

ENTRY_POINT_GROUP = "mastra_storage.adapters"

#: Schemes of adapters the project ships (or will ship), so a missing one names its extra.
KNOWN_SCHEMES: dict[str, str] = {
    "file": "libsql",
    "sqlite": "libsql",
    "libsql": "libsql",
    "libsql+http": "libsql",
    "libsql+https": "libsql",
    "libsql+ws": "libsql",
    "libsql+wss": "libsql",
    "postgres": "postgres",
    "postgresql": "postgres",
    "mongodb": "mongodb",
    "mongodb+srv": "mongodb",
    "dynamodb": "dynamodb",
    "redis": "upstash",
    "rediss": "upstash",
    "upstash": "upstash",
    "upstash+https": "upstash",
    "upstash+http": "upstash",
}


@dataclass(frozen=True)
class AdapterSpec:
    """How to build one adapter from a URL.

    ``target`` is ``"module:callable"``; the callable takes ``(url, **options)`` and returns
    a :class:`~mastra_storage.MastraStorage`. ``drivers`` are the modules that must import.
    """

    name: str
    schemes: tuple[str, ...]
    target: str
    extra: str | None = None
    drivers: tuple[str, ...] = field(default_factory=tuple)

    def load(self) -> Callable[..., MastraStorage]:
        install = (
            f"pip install 'mastra-storage[{self.extra}]'"
            if self.extra
            else "reinstall mastra-storage"
        )
        for driver in self.drivers:
            try:
                importlib.import_module(driver)
            except ImportError as exc:
                raise MissingDependencyError(
                    f"the {self.name} adapter needs the '{driver}' package: {install}",
                    id="MASTRA_STORAGE_MISSING_DEPENDENCY",
                    details={"adapter": self.name, "extra": self.extra},
                ) from exc
        module_name, _, attr = self.target.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
        except ImportError as exc:
            raise MissingDependencyError(
                f"the {self.name} adapter is not installed: {install}",
                id="MASTRA_STORAGE_MISSING_DEPENDENCY",
                details={"adapter": self.name, "extra": self.extra},
            ) from exc
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj  # type: ignore[no-any-return]


def scheme_of(url: str) -> str:
    """The URL scheme, lower-cased; ``:memory:`` counts as the ``file`` scheme."""
    if url.strip() == ":memory:":
        return "file"
    scheme, sep, _ = url.partition(":")
    if not sep or not scheme:
        raise ConfigurationError(
            "storage URL needs a scheme, e.g. 'file:mastra.db' or 'postgresql://...'",
            id="MASTRA_STORAGE_INVALID_URL",
        )
    return scheme.lower()


def available_adapters() -> dict[str, AdapterSpec]:
    """Installed adapters by scheme (an entry point that fails to load is skipped).

    Entry points are scanned once per process: scanning costs ~1.5 ms, more than a warm
    ``init()``. Call :func:`refresh_adapters` after installing an adapter at run time.
    """
    return dict(_scan_adapters())


def refresh_adapters() -> None:
    """Forget the cached entry-point scan (for adapters installed while running)."""
    _scan_adapters.cache_clear()


@functools.lru_cache(maxsize=1)
def _scan_adapters() -> dict[str, AdapterSpec]:
    # Imported here, not at module level: importlib.metadata costs ~40 ms of the
    # ``import mastra_storage`` budget and is only needed once a URL is resolved (issue 9).
    from importlib.metadata import entry_points

    found: dict[str, AdapterSpec] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            spec = ep.load()
        except ImportError:
            continue
        if isinstance(spec, AdapterSpec):
            for scheme in spec.schemes:
                found.setdefault(scheme, spec)
    return found


#: The environment variable ``connect()`` reads when it is given no URL.
URL_ENV_VAR = "MASTRA_STORAGE_URL"


def url_from_env(url: str | None = None) -> str:
    """``url`` if given, else ``$MASTRA_STORAGE_URL``; ``ConfigurationError`` if neither is
    set (the message names the variable; an empty or blank value counts as unset)."""
    if url is not None:
        return url
    value = os.environ.get(URL_ENV_VAR, "")
    if not value.strip():
        raise ConfigurationError(
            f"no storage URL: pass one to connect() or set {URL_ENV_VAR} "
            "(e.g. MASTRA_STORAGE_URL=file:mastra.db)",
            id="MASTRA_STORAGE_URL_NOT_SET",
            details={"env": URL_ENV_VAR},
        )
    return value.strip()


def connect(url: str | None = None, **options: Any) -> MastraStorage:
    """Build the store for ``url`` (not yet initialised: ``await`` its ``init()`` or use
    ``async with``).

    ``file:mastra.db`` / ``:memory:`` -> libSQL; ``memory://`` -> in-memory; the network
    schemes come with their extras (``postgresql://`` needs ``mastra-storage[postgres]``).
    Without ``url`` it reads ``$MASTRA_STORAGE_URL``; unset, ``ConfigurationError``
    (``MASTRA_STORAGE_URL_NOT_SET``).
    """
    url = url_from_env(url)
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(
            "storage URL must be a non-empty string", id="MASTRA_STORAGE_INVALID_URL"
        )
    scheme = scheme_of(url)
    spec = available_adapters().get(scheme)
    if spec is None:
        extra = KNOWN_SCHEMES.get(scheme)
        if extra is not None:
            raise MissingDependencyError(
                f"no adapter for '{scheme}:' URLs is installed: pip install "
                f"'mastra-storage[{extra}]'",
                id="MASTRA_STORAGE_MISSING_DEPENDENCY",
                details={"scheme": scheme, "extra": extra},
            )
        raise ConfigurationError(
            f"unknown storage URL scheme '{scheme}:'",
            id="MASTRA_STORAGE_UNKNOWN_SCHEME",
            details={"scheme": scheme},
        )
    return spec.load()(url, **options)


__all__ = [
    "ENTRY_POINT_GROUP",
    "KNOWN_SCHEMES",
    "URL_ENV_VAR",
    "AdapterSpec",
    "available_adapters",
    "connect",
    "refresh_adapters",
    "scheme_of",
    "url_from_env",
]
