"""``MastraStorage``: one object that routes each domain to a backend.

Used two ways, as in Mastra: adapters subclass it and fill ``stores`` with their domains,
and applications compose it, e.g. memory in libSQL and observability elsewhere::

    storage = MastraStorage(default=LibSQLStore(url="file:mastra.db"),
                            domains={"observability": other.stores["observability"]})
    async with storage:
        memory = await storage.get_store("memory")

``init()`` is idempotent and safe under concurrent callers (they share one run); a failed
init is not cached, so the next call retries. ``get_store`` runs ``init()`` lazily once
unless ``disable_init=True`` or ``MASTRA_DISABLE_STORAGE_INIT=true``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, overload

import msgspec

from .errors import ConfigurationError, NotSupportedError

if TYPE_CHECKING:
    # Annotations only: importing the domain modules (and asyncio) here made up most of
    # ``import mastra_storage`` (issue 9); adapters import the domains they implement.
    import asyncio

    from .domains.base import StorageDomain
    from .domains.memory import MemoryStore
    from .domains.observability import ObservabilityStore
    from .domains.scores import ScoresStore
    from .domains.workflows import WorkflowsStore


class DoctorCheck(msgspec.Struct, kw_only=True):
    """One finding of :meth:`MastraStorage.doctor`."""

    name: str
    ok: bool
    detail: str = ""


class DoctorReport(msgspec.Struct, kw_only=True):
    """What ``mastra-storage doctor`` prints: connectivity, schema version, missing indexes."""

    store: str
    checks: list[DoctorCheck]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


#: Domain names, in the order ``init()`` visits them.
DOMAIN_NAMES: tuple[str, ...] = ("memory", "workflows", "scores", "observability")


def _init_disabled_by_env() -> bool:
    return os.environ.get("MASTRA_DISABLE_STORAGE_INIT", "").strip().lower() == "true"


class MastraStorage:
    """A composite store: ``stores`` maps domain names to domain objects."""

    name: str = "MastraStorage"
    #: Largest record (row, item, document) the backend stores, in bytes; ``None`` when
    #: the backend has no limit a Mastra payload can reach. A larger record raises a
    #: ``ValidationError`` subclass and nothing is written (issue 10 hostile-input tests).
    max_record_bytes: int | None = None

    def __init__(
        self,
        *,
        id: str = "mastra-storage",
        default: MastraStorage | None = None,
        domains: Mapping[str, StorageDomain | None] | None = None,
        disable_init: bool = False,
    ) -> None:
        if not isinstance(id, str) or not id.strip():
            raise ConfigurationError(
                f"{type(self).__name__}: id must be provided and cannot be empty.",
                id="MASTRA_STORAGE_INVALID_ID",
            )
        self.id = id
        self.disable_init = disable_init
        self._default = default
        self._initialized = False
        self._init_lock: asyncio.Lock | None = None
        self.stores: dict[str, StorageDomain] = {}
        if default is not None or domains is not None:
            self._compose(default, domains or {})

    def _compose(
        self, default: MastraStorage | None, domains: Mapping[str, StorageDomain | None]
    ) -> None:
        unknown = set(domains) - set(DOMAIN_NAMES)
        if unknown:
            raise ConfigurationError(
                f"unknown storage domains: {sorted(unknown)}; known: {list(DOMAIN_NAMES)}",
                id="MASTRA_STORAGE_UNKNOWN_DOMAIN",
            )
        for name in DOMAIN_NAMES:
            override = domains.get(name)
            if override is not None:
                self.stores[name] = override
            elif default is not None and name in default.stores:
                self.stores[name] = default.stores[name]
        if not self.stores:
            raise ConfigurationError(
                "MastraStorage requires at least one storage source. Provide a default "
                "storage or domain overrides.",
                id="MASTRA_STORAGE_NO_SOURCE",
            )

    # ---- lifecycle ------------------------------------------------------------------------

    @property
    def initialized(self) -> bool:
        return self._initialized

    async def init(self) -> None:
        """Create or upgrade everything the domains need. Idempotent; concurrent callers
        wait for one shared run; a failure is not cached."""
        if self._initialized:
            return
        if self._init_lock is None:
            import asyncio  # here, not at import time: see the imports above

            self._init_lock = asyncio.Lock()
        async with self._init_lock:
            if not self._initialized:  # another caller may have finished while we waited
                await self._initialize()
                self._initialized = True

    async def _initialize(self) -> None:
        """Initialise the default store (as a whole) and each override domain once."""
        seen: set[int] = set()
        if self._default is not None:
            await self._default.init()
            seen.update(id(d) for d in self._default.stores.values())
        pending = []
        for name in DOMAIN_NAMES:
            domain = self.stores.get(name)
            if domain is not None and id(domain) not in seen:
                seen.add(id(domain))
                pending.append(domain.init())
        if pending:
            import asyncio

            await asyncio.gather(*pending)

    async def close(self) -> None:
        """Release connections this store opened (a composite closes its default store)."""
        if self._default is not None:
            await self._default.close()

    async def doctor(self) -> DoctorReport:
        """Check the store without changing it; adapters add schema and index checks."""
        checks = [DoctorCheck(name="domains", ok=bool(self.stores), detail=", ".join(self.stores))]
        if self._default is not None:
            checks.extend((await self._default.doctor()).checks)
        return DoctorReport(store=type(self).__name__, checks=checks)

    async def __aenter__(self) -> MastraStorage:
        if not self.disable_init and not _init_disabled_by_env():
            await self.init()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ---- domain access --------------------------------------------------------------------

    @overload
    async def get_store(self, name: Literal["memory"]) -> MemoryStore | None: ...
    @overload
    async def get_store(self, name: Literal["workflows"]) -> WorkflowsStore | None: ...
    @overload
    async def get_store(self, name: Literal["scores"]) -> ScoresStore | None: ...
    @overload
    async def get_store(self, name: Literal["observability"]) -> ObservabilityStore | None: ...
    @overload
    async def get_store(self, name: str) -> Any: ...

    async def get_store(self, name: str) -> Any:
        """The domain named ``name`` or ``None``; runs ``init()`` first (once) unless disabled."""
        if not self.disable_init and not _init_disabled_by_env():
            await self.init()
        return self.stores.get(name)

    @overload
    async def require_store(self, name: Literal["memory"]) -> MemoryStore: ...
    @overload
    async def require_store(self, name: Literal["workflows"]) -> WorkflowsStore: ...
    @overload
    async def require_store(self, name: Literal["scores"]) -> ScoresStore: ...
    @overload
    async def require_store(self, name: Literal["observability"]) -> ObservabilityStore: ...
    @overload
    async def require_store(self, name: str) -> Any: ...

    async def require_store(self, name: str) -> Any:
        """Like :meth:`get_store`, but typed non-optional: a missing domain raises
        :class:`NotSupportedError` naming the store and the domains it has."""
        domain = await self.get_store(name)
        if domain is None:
            raise NotSupportedError(
                f"{type(self).__name__} has no {name!r} domain (it has: "
                f"{', '.join(sorted(self.stores)) or 'none'})",
                id="MASTRA_STORAGE_DOMAIN_NOT_AVAILABLE",
                details={"domain": name},
            )
        return domain

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, domains={sorted(self.stores)})"


__all__ = ["DOMAIN_NAMES", "DoctorCheck", "DoctorReport", "MastraStorage"]
