"""Adapter discovery: URL scheme -> adapter, through the ``mastra_storage.adapters`` entry points.

An adapter package registers an :class:`AdapterSpec` (a plain object: importing it must not
import the backend driver). ``connect(url)`` picks the spec by the URL's scheme and only
then imports the adapter, so a missing driver is reported as "install this extra".
"""

from __future__ import annotations

import difflib
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


@dataclass(frozen=True)
class AdapterSpec:
    """How to build one adapter from a URL, and what the core needs to know about it.

    A plain declaration: building or importing one must not import the adapter or its
    driver, so ``mastra-storage --help`` and scheme errors work whatever is installed.

    ``schemes`` are the URL schemes (lower case) the adapter serves. ``target`` is
    ``"module:callable"``; the callable takes ``(url, **options)`` and returns a
    :class:`~mastra_storage.MastraStorage`. ``extra`` is the ``pip install
    'mastra-storage[EXTRA]'`` that brings its driver; ``drivers`` are the modules that must
    import for it to work. ``cli`` (optional) is ``"module:main"``, the adapter's own
    command-line tools, served as ``mastra-storage NAME ...``: ``main(argv, prog=)`` parses
    ``argv`` (help included) and returns an exit code; ``cli_help`` is its one-line summary
    in ``mastra-storage --help``.

    Raises :class:`ConfigurationError` when a field is malformed (no scheme, an upper-case
    scheme, a target or cli without ``module:``).
    """

    name: str
    schemes: tuple[str, ...]
    target: str
    extra: str | None = None
    drivers: tuple[str, ...] = field(default_factory=tuple)
    cli: str | None = None
    cli_help: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if not self.schemes or any(s != s.lower() or not s for s in self.schemes):
            problems.append("schemes must be non-empty lower-case names")
        for label, value in (("target", self.target), ("cli", self.cli)):
            if value is not None and ":" not in value:
                problems.append(f"{label} must be 'module:attribute'")
        if problems:
            raise ConfigurationError(
                f"adapter spec {self.name!r}: " + "; ".join(problems),
                id="MASTRA_STORAGE_INVALID_ADAPTER_SPEC",
            )

    @property
    def install_hint(self) -> str:
        """What to run to get this adapter's driver."""
        return (
            f"pip install 'mastra-storage[{self.extra}]'"
            if self.extra
            else "reinstall mastra-storage"
        )

    def require_drivers(self) -> None:
        """Import every driver module; :class:`MissingDependencyError` (naming the extra)
        for the first that is missing."""
        for driver in self.drivers:
            try:
                importlib.import_module(driver)
            except ImportError as exc:
                raise MissingDependencyError(
                    f"the {self.name} adapter needs the '{driver}' package: {self.install_hint}",
                    id="MASTRA_STORAGE_MISSING_DEPENDENCY",
                    details={"adapter": self.name, "extra": self.extra},
                ) from exc

    def load(self) -> Callable[..., MastraStorage]:
        """The store factory named by ``target`` (drivers checked first).

        Raises :class:`MissingDependencyError` when a driver or the adapter module is
        missing.
        """
        self.require_drivers()
        return self._resolve(self.target)  # type: ignore[no-any-return]

    def load_cli(self) -> Callable[..., int] | None:
        """The adapter's command-line ``main(argv, prog=)``, or ``None`` if it has none.

        Its drivers are not checked here (``--help`` must work without them); raises
        :class:`MissingDependencyError` if the module cannot be imported.
        """
        if self.cli is None:
            return None
        return self._resolve(self.cli)  # type: ignore[no-any-return]

    def _resolve(self, reference: str) -> Any:
        module_name, _, attr = reference.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            missing = exc.name or module_name
            if module_name == missing or module_name.startswith(missing + "."):
                message = f"the {self.name} adapter is not installed: {self.install_hint}"
            else:  # the adapter imports a package that is not installed
                message = (
                    f"the {self.name} adapter needs the '{missing}' package: {self.install_hint}"
                )
            raise MissingDependencyError(
                message,
                id="MASTRA_STORAGE_MISSING_DEPENDENCY",
                details={"adapter": self.name, "extra": self.extra},
            ) from exc
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj


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


def installed_specs() -> list[AdapterSpec]:
    """Every installed adapter spec once, in entry-point order."""
    specs: dict[str, AdapterSpec] = {}
    for spec in _scan_adapters().values():
        specs.setdefault(spec.name, spec)
    return list(specs.values())


def spec_for(url: str) -> AdapterSpec:
    """The installed adapter spec serving ``url``'s scheme.

    Raises :class:`ConfigurationError` (``MASTRA_STORAGE_UNKNOWN_SCHEME``) naming the valid
    schemes, and the closest one when the scheme looks like a typo.
    """
    scheme = scheme_of(url)
    found = _scan_adapters()
    spec = found.get(scheme)
    if spec is not None:
        return spec
    valid = sorted(found)
    close = difflib.get_close_matches(scheme, valid, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}:'? " if close else ""
    raise ConfigurationError(
        f"unknown storage URL scheme '{scheme}:'; {hint}valid schemes: "
        + ", ".join(f"{s}:" for s in valid),
        id="MASTRA_STORAGE_UNKNOWN_SCHEME",
        details={"scheme": scheme, "valid": ", ".join(valid)},
    )


def refresh_adapters() -> None:
    """Forget the cached entry-point scan (for adapters installed while running)."""
    _scan_adapters.cache_clear()


@functools.lru_cache(maxsize=1)
def _scan_adapters() -> dict[str, AdapterSpec]:
    # Imported here, not at module level: importlib.metadata costs ~40 ms of the
    # ``import mastra_storage`` budget and is only needed once a URL is resolved.
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

    Nothing is opened or written here: drivers connect on ``init()`` or the first call.
    Logs one ``INFO`` record on the ``mastra_storage`` logger with the URL's secrets
    replaced by ``***``.

    :raises ConfigurationError: no URL, an unknown scheme (the message lists the known
        ones), or an option value the backend refuses.
    :raises TypeError: an option the backend's store class does not take.
    :raises MissingDependencyError: the backend's driver is not installed (the message
        names the extra to install).
    """
    url = url_from_env(url)
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(
            "storage URL must be a non-empty string", id="MASTRA_STORAGE_INVALID_URL"
        )
    spec = spec_for(url)
    store = spec.load()(url, **options)
    import logging

    from .redact import redact_url

    logging.getLogger("mastra_storage").info(
        "connect: %s for %s (options: %s)",
        type(store).__name__,
        redact_url(url),
        ", ".join(sorted(options)) or "none",  # names only: values may be secrets
    )
    return store


__all__ = [
    "ENTRY_POINT_GROUP",
    "URL_ENV_VAR",
    "AdapterSpec",
    "available_adapters",
    "connect",
    "installed_specs",
    "refresh_adapters",
    "scheme_of",
    "spec_for",
    "url_from_env",
]
