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

import contextvars
import os
from collections.abc import Coroutine, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, overload

import msgspec

from .errors import ConfigurationError, NotSupportedError, SchemaMismatchError
from .lifecycle import Lifecycle, guard_domain, guarded, is_coroutine_function

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


#: What ``init()`` may do: ``"migrate"`` create and upgrade the schema (the default),
#: ``"verify"`` only check it, read-only (raise :class:`SchemaMismatchError` naming what is
#: missing): for apps that may not run DDL, or read a replica.
InitMode = Literal["migrate", "verify"]
INIT_MODES: tuple[str, ...] = ("migrate", "verify")
#: Doctor checks that do not make a schema unusable (``init_mode="verify"`` ignores them).
ADVISORY_CHECKS = frozenset({"schema_version", "statistics", "domains"})

#: Domain names, in the order ``init()`` visits them.
DOMAIN_NAMES: tuple[str, ...] = (
    "memory",
    "workflows",
    "scores",
    "observability",
    # Mastra Studio's evals (optional: adapters that have them add them to ``stores``)
    "datasets",
    "experiments",
    "blobs",
    # the versioned editor domains (optional: ``mastra_storage.backend.editor``)
    "agents",
    "promptBlocks",
    "scorerDefinitions",
    "mcpClients",
    "mcpServers",
    "workspaces",
    "skills",
    # Studio's favourites of agents and skills (optional: ``mastra_storage.backend.favorites``;
    # after the editor domains, whose tables its counts live in)
    "favorites",
)


def _init_disabled_by_env() -> bool:
    return os.environ.get("MASTRA_DISABLE_STORAGE_INIT", "").strip().lower() == "true"


class MastraStorage:
    """A store: ``stores`` maps domain names (``memory``, ``workflows``, ``scores``,
    ``observability``) to domain objects.

    What :func:`~mastra_storage.connect` returns (an adapter's subclass), and what
    applications compose to route domains to different backends
    (``MastraStorage(default=..., domains={...})``). Use it as ``async with`` (``init()``
    on enter, ``close()`` on exit), then ``await require_store("memory")``.

    Every public coroutine method runs under the store's lifecycle: bounded by
    ``operation_timeout`` (``init`` by ``init_timeout``), refused after ``close()``
    (:class:`~mastra_storage.errors.StoreClosedError`) and from a foreign event loop
    (:class:`~mastra_storage.errors.EventLoopMismatchError`); a timeout raises
    :class:`~mastra_storage.errors.UnavailableError`.

    :raises ConfigurationError: a bad ``id`` or ``init_mode`` (constructor).
    """

    name: str = "MastraStorage"
    #: Largest record (row, item, document) the backend stores, in bytes; ``None`` when
    #: the backend has no limit a Mastra payload can reach. A larger record raises a
    #: ``ValidationError`` subclass and nothing is written (issue 10 hostile-input tests).
    max_record_bytes: int | None = None
    #: Overall deadline of one domain call, in seconds (``None``: none). Network adapters
    #: set a default and take it as the ``operation_timeout`` option (:mod:`.lifecycle`).
    operation_timeout: float | None = None
    #: Overall deadline of ``init()`` (schema creation may build indexes on large tables).
    init_timeout: float | None = None
    #: Calls bounded by ``init_timeout`` instead (schema work; ``get_store`` may run init).
    long_operations: frozenset[str] = frozenset({"init", "get_store", "require_store"})
    #: How long ``close()`` waits for connections to close politely before dropping them.
    close_timeout: float = 5.0
    #: The store's connections belong to the event loop of its first call (drivers such as
    #: asyncpg or redis-py); a call from another loop raises ``EventLoopMismatchError``.
    binds_event_loop: bool = False
    #: The adapter lets go at once when a call is cancelled: after a cancellation it awaits
    #: nothing that waits on the server (it closes or interrupts the connection instead).
    #: Its calls then keep their deadline in the caller's task (``asyncio.timeout``) rather
    #: than in a task each (:mod:`.lifecycle`). Set it only with ``tests/faults/test_stalls``
    #: passing for the adapter: a call that waits after its cancellation would hold its
    #: caller past the deadline.
    cancels_promptly: bool = False
    #: Set by commands that only read (``export``, ``copy``'s source, dry runs: see
    #: :mod:`.existing`): adapters then skip the housekeeping writes they otherwise make
    #: while reading (the Upstash adapter's indexing of records a Mastra app wrote).
    read_only: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Route the subclass's public coroutine methods through the store's lifecycle:
        ``close`` marks the store closed and is bounded; the others refuse to run on a
        closed store or from a foreign event loop, under the call deadline."""
        super().__init_subclass__(**kwargs)
        _guard_class(cls)

    def __init__(
        self,
        *,
        id: str = "mastra-storage",
        default: MastraStorage | None = None,
        domains: Mapping[str, StorageDomain | None] | None = None,
        disable_init: bool = False,
        init_mode: InitMode = "migrate",
    ) -> None:
        if init_mode not in INIT_MODES:
            raise ConfigurationError(
                f"{type(self).__name__}: init_mode must be one of {', '.join(INIT_MODES)}, "
                f"got {init_mode!r}",
                id="MASTRA_STORAGE_INVALID_INIT_MODE",
            )
        self.init_mode: InitMode = init_mode
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
        self.stores = {}
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
    def lifecycle(self) -> Lifecycle:
        """Open/closed state, bound event loop and call deadlines (:mod:`.lifecycle`)."""
        found: Lifecycle | None = self.__dict__.get("_lifecycle")
        if found is None:
            found = self.__dict__["_lifecycle"] = Lifecycle(self)
        return found

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called (every call then raises ``StoreClosedError``)."""
        return self.lifecycle.closed

    @property
    def stores(self) -> dict[str, StorageDomain]:
        """The domains by name; domains assigned here are guarded by this store's lifecycle."""
        found: dict[str, StorageDomain] = self.__dict__.get("_stores", {})
        return found

    @stores.setter
    def stores(self, value: dict[str, Any]) -> None:
        lifecycle = self.lifecycle
        for domain in value.values():
            if domain is not None:
                guard_domain(domain, lifecycle)
        self.__dict__["_stores"] = value

    def _on_call_abandoned(self) -> None:
        """A call missed its deadline or was cancelled by its caller and was abandoned.
        Adapters whose I/O runs outside the event loop (a worker thread) override this to
        interrupt it; the default does nothing (asyncio drivers stop at cancellation)."""

    def _abandon_connections(self) -> None:
        """Drop connections without awaiting them (``close()`` timed out, or ran on another
        event loop than theirs). Adapters override; the default has nothing to drop."""

    @property
    def initialized(self) -> bool:
        """Whether :meth:`init` has completed on this store (it then returns at once)."""
        return self._initialized

    @property
    def init_enabled(self) -> bool:
        """Whether this store may create or migrate anything on its own: false with
        ``disable_init=True`` or ``MASTRA_DISABLE_STORAGE_INIT=true``. Adapters read it when
        they open their database (a local file is then never created, nor switched to
        WAL); an explicit ``init()`` still runs."""
        return not self.disable_init and not _init_disabled_by_env()

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
                if self.init_mode == "verify":
                    await self._verify_schema()
                else:
                    await self._initialize()
                self._initialized = True

    async def _verify_schema(self) -> None:
        """``init_mode="verify"``: check, never change. The default runs the read-only
        :meth:`doctor` and raises :class:`SchemaMismatchError` for any failed check that is
        not advisory; adapters with a schema override it with an exact list."""
        report = await self.doctor()
        failed = [c for c in report.checks if not c.ok and c.name not in ADVISORY_CHECKS]
        if failed:
            raise SchemaMismatchError(
                f"{report.store}: the schema is not ready and init_mode='verify' may not "
                "change it: " + "; ".join(f"{c.name}: {c.detail}" for c in failed),
                id="MASTRA_STORAGE_SCHEMA_MISMATCH",
                details={"missing": "; ".join(f"{c.name}: {c.detail}" for c in failed)},
            )

    async def schema_ddl(self, *, fresh: bool = False) -> str | None:
        """The DDL a DBA would apply to give this store's database the layout it needs
        (``fresh``: as for an empty database), read-only; ``None`` when the backend has
        no DDL (it creates what it needs on write or at ``init()``)."""
        if self._default is not None:
            return await self._default.schema_ddl(fresh=fresh)
        return None

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
        if self.init_enabled:
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
        if self.init_enabled:
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

    def prune(self, policies: Mapping[str, Any], **options: Any) -> Coroutine[Any, Any, Any]:
        """Age-based retention over every domain (a coroutine): one ``PruneResult`` per
        table, batched, resumable (``done=False``: run it again) and cancellable. See
        :func:`mastra_storage.prune.prune_storage` for the policies and options.

        A plain ``def`` on purpose: each batch is its own call under ``operation_timeout``;
        one deadline over a whole prune would cut long ones."""
        from .prune import prune_storage  # the domains load only when pruning

        return prune_storage(self, policies, **options)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, domains={sorted(self.stores)})"


def _lifecycle_of_store(store: Any) -> Lifecycle | None:
    return store.lifecycle if isinstance(store, MastraStorage) else None


_IN_CLOSE = "_mastra_storage_close_guard"
#: The store whose ``close()`` the current task is running (a ``super().close()`` inside
#: it runs as is). A context variable, not a flag on the store: a close abandoned at its
#: bound may still be running while the store is closed again.
_CLOSING: contextvars.ContextVar[MastraStorage | None] = contextvars.ContextVar(
    "mastra_storage_closing", default=None
)


def _closing(func: Any) -> Any:
    """``close`` made idempotent and bounded; a ``super().close()`` inside runs as is."""
    import functools

    @functools.wraps(func)
    async def close(self: MastraStorage) -> None:
        if _CLOSING.get() is self:
            await func(self)
            return

        async def run() -> None:
            _CLOSING.set(self)  # in the close task's own context
            await func(self)

        await self.lifecycle.close(run)

    setattr(close, _IN_CLOSE, True)
    return close


def _guard_class(cls: type) -> None:
    for name, attr in list(vars(cls).items()):
        if name.startswith("_") or not is_coroutine_function(attr):
            continue
        if getattr(attr, _IN_CLOSE, False) or getattr(attr, "__wrapped_by_lifecycle__", False):
            continue
        wrapped: Any = _closing(attr) if name == "close" else guarded(attr, _lifecycle_of_store)
        wrapped.__wrapped_by_lifecycle__ = True
        setattr(cls, name, wrapped)


_guard_class(MastraStorage)


__all__ = [
    "DOMAIN_NAMES",
    "INIT_MODES",
    "DoctorCheck",
    "DoctorReport",
    "InitMode",
    "MastraStorage",
]
