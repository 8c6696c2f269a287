"""``PostgresStore``: every domain in one PostgreSQL schema, data-compatible with ``@mastra/pg``.

Data layout: exactly ``@mastra/pg`` 1.27.1's (``docs/postgres-layout.md``), so a Mastra app
and a Python service can share one database. Connections: one asyncpg pool per store, or
an application's own pool passed as ``pool=`` (shared, never closed here).
"""

from __future__ import annotations

import ssl as ssl_module
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mastra_storage.composite import DoctorCheck, DoctorReport, InitMode, MastraStorage
from mastra_storage.domains.editor import editor_stores
from mastra_storage.domains.favorites import FavoritesStore
from mastra_storage.domains.memory import MemoryStore
from mastra_storage.domains.observability import ObservabilityStore
from mastra_storage.domains.scores import ScoresStore
from mastra_storage.domains.workflows import WorkflowsStore
from mastra_storage.errors import ConfigurationError, MastraStorageError
from mastra_storage.lifecycle import (
    DEFAULT_CLOSE_TIMEOUT_S,
    DEFAULT_INIT_TIMEOUT_S,
    DEFAULT_OPERATION_TIMEOUT_S,
    DEFAULT_POOL_TIMEOUT_S,
    check_timeout,
)
from mastra_storage.redact import protect_logs, url_secrets

from .connection import DEFAULT_MAX_SIZE, DEFAULT_MIN_SIZE, PgConnectOptions, PgDatabase
from .domain import PgContext
from .editor import PgEditorBackend
from .evals import pg_evals_stores
from .favorites import PgFavoritesBackend
from .indexes import IndexInfo, IndexSpec, IndexStats, build_create_index
from .memory import PgMemoryBackend
from .migrate import DEFAULT_DDL_LOCK_TIMEOUT_S, schema_script
from .observability import PgObservabilityBackend
from .schema import (
    ALL_TABLE_NAMES,
    SCHEMA_COMPONENT,
    SCHEMA_TABLE,
    SCHEMA_VERSION,
    TABLES,
    expected_indexes,
    q,
    validate_schema_name,
)
from .scores import PgScoresBackend
from .workflows import PgWorkflowsBackend

if TYPE_CHECKING:
    import asyncpg


class PostgresStore(MastraStorage):
    """Memory, workflows, scores and observability in a PostgreSQL schema.

    Give a ``postgresql://`` URL, or ``host``/``port``/``database``/``user``/``password``,
    or an existing asyncpg ``pool``. ``schema_name`` (default ``public``) is created at
    init if missing. Pool sizing: ``min_size``/``max_size``. ``skip_default_indexes``
    skips Mastra's default indexes; ``indexes=[IndexSpec(...)]`` adds custom ones at init.

    ``init_mode="verify"`` makes ``init()`` read-only: it checks the layout and raises
    ``SchemaMismatchError`` listing what is missing (for a role without DDL rights or a
    replica; ``mastra-storage schema URL`` prints the DDL). ``ddl_lock_timeout`` (0.2 s)
    bounds how long one schema statement of ``init()`` waits for its table lock before it
    retries, i.e. how long a live app's queries can queue behind it
    (``docs/postgres-layout.md``, "Init on a live database").

    Time bounds (seconds, ``docs/decisions.md`` "Timeouts and closing"): ``operation_timeout``
    (default 30, ``None``: none) is the overall deadline of one call, ``init_timeout``
    (300) that of ``init()``, ``connect_timeout`` (10) of opening a connection,
    ``pool_timeout`` (10) of waiting for a pooled one, ``close_timeout`` (5) of ``close()``.
    A call past its deadline raises ``UnavailableError``.
    """

    name: str = "PostgresStore"
    binds_event_loop = True
    #: A cancelled call closes its connection instead of waiting on the server
    #: (``PgDatabase.connection``), so deadlines run in the caller's task.
    cancels_promptly = True
    #: Index builds on a large table take long: bounded by ``init_timeout``.
    long_operations = MastraStorage.long_operations | {"create_index", "drop_index"}

    def __init__(
        self,
        url: str | None = None,
        *,
        id: str = "postgres",
        connection_string: str | None = None,
        host: str | None = None,
        port: int | None = None,
        database: str | None = None,
        user: str | None = None,
        password: str | None = None,
        schema_name: str = "public",
        ssl: bool | str | ssl_module.SSLContext | None = None,
        min_size: int = DEFAULT_MIN_SIZE,
        max_size: int = DEFAULT_MAX_SIZE,
        max_inactive_connection_lifetime: float = 30.0,
        connect_timeout: float = 10.0,
        command_timeout: float | None = None,
        statement_cache_size: int = 100,
        server_settings: Mapping[str, str] | None = None,
        pool: asyncpg.Pool | None = None,
        skip_default_indexes: bool = False,
        indexes: Sequence[IndexSpec] = (),
        disable_init: bool = False,
        init_mode: InitMode = "migrate",
        ddl_lock_timeout: float = DEFAULT_DDL_LOCK_TIMEOUT_S,
        operation_timeout: float | None = DEFAULT_OPERATION_TIMEOUT_S,
        init_timeout: float | None = DEFAULT_INIT_TIMEOUT_S,
        pool_timeout: float | None = DEFAULT_POOL_TIMEOUT_S,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT_S,
    ) -> None:
        super().__init__(id=id, disable_init=disable_init, init_mode=init_mode)
        lock_timeout = float(
            check_timeout(self.name, "ddl_lock_timeout", ddl_lock_timeout, optional=False) or 0
        )
        self.operation_timeout = check_timeout(self.name, "operation_timeout", operation_timeout)
        self.init_timeout = check_timeout(self.name, "init_timeout", init_timeout)
        self.close_timeout = float(
            check_timeout(self.name, "close_timeout", close_timeout, optional=False) or 0
        )
        if url is not None and connection_string is not None:
            raise ConfigurationError(
                "PostgresStore: give url or connection_string, not both",
                id="MASTRA_STORAGE_PG_INITIALIZATION_FAILED",
            )
        url = url if url is not None else connection_string
        options: PgConnectOptions | None = None
        if pool is None:
            options = PgConnectOptions.build(
                url,
                host=host,
                port=port,
                database=database,
                user=user,
                password=password,
                ssl=ssl,
                min_size=min_size,
                max_size=max_size,
                max_inactive_connection_lifetime=max_inactive_connection_lifetime,
                connect_timeout=connect_timeout,
                command_timeout=command_timeout,
                statement_cache_size=statement_cache_size,
                server_settings=server_settings,
                pool_timeout=pool_timeout,
            )
            # No library may log the password, at any level.
            protect_logs(self, [options.password, *url_secrets(options.dsn or "")])
        elif any(v is not None for v in (url, host, port, database, user, password)):
            raise ConfigurationError(
                "PostgresStore: give an asyncpg pool or connection options, not both",
                id="MASTRA_STORAGE_PG_INITIALIZATION_FAILED",
            )
        try:
            self.schema_name = validate_schema_name(schema_name)
        except MastraStorageError as exc:
            raise ConfigurationError(
                f"PostgresStore: {exc.message}", id="MASTRA_STORAGE_PG_INITIALIZATION_FAILED"
            ) from None
        specs = list(indexes)
        for spec in specs:
            if not isinstance(spec, IndexSpec):
                raise ConfigurationError(
                    f"PostgresStore: indexes must be IndexSpec objects, got {type(spec).__name__}",
                    id="MASTRA_STORAGE_PG_INITIALIZATION_FAILED",
                )
            build_create_index(spec, self.schema_name)  # bad names fail here, not at init
        self._db = PgDatabase(options, pool)
        self.url = self._db.display
        self._ctx = PgContext(
            self._db,
            self.schema_name,
            skip_default_indexes=skip_default_indexes,
            indexes=specs,
            ddl_lock_timeout=lock_timeout,
            verify_only=init_mode == "verify",
        )
        self.stores = {
            "memory": MemoryStore(PgMemoryBackend(self._ctx)),
            "workflows": WorkflowsStore(PgWorkflowsBackend(self._ctx)),
            "scores": ScoresStore(PgScoresBackend(self._ctx)),
            "observability": ObservabilityStore(PgObservabilityBackend(self._ctx)),
            **editor_stores(lambda domain: PgEditorBackend(self._ctx, domain)),
            **pg_evals_stores(self._ctx),
            "favorites": FavoritesStore(PgFavoritesBackend(self._ctx)),
        }

    @classmethod
    def from_url(cls, url: str, **options: Any) -> PostgresStore:
        """Build a store from a ``postgresql://``/``postgres://`` URL (what ``connect`` calls)."""
        return cls(url, **options)

    # ---- handles ----------------------------------------------------------------------

    @property
    def pool(self) -> asyncpg.Pool | None:
        """The asyncpg pool (``None`` until the first query or ``init()`` creates it)."""
        return self._db.pool

    async def get_pool(self) -> asyncpg.Pool:
        """The asyncpg pool, created now if needed (for direct queries)."""
        return await self._db.get_pool()

    @property
    def database(self) -> PgDatabase:
        return self._db

    @property
    def statements_executed(self) -> int:
        """SQL statements (round trips) issued so far, ``BEGIN``/``COMMIT`` included."""
        return self._db.statements_executed

    # ---- lifecycle --------------------------------------------------------------------

    async def _initialize(self) -> None:
        await self._ctx.ensure()

    async def _verify_schema(self) -> None:
        await self._ctx.ensure()  # the context is verify-only in this mode

    async def schema_ddl(self, *, fresh: bool = False) -> str | None:
        """The SQL that brings this schema to the layout (read-only: the catalog is read,
        nothing is changed). ``fresh``: the whole layout, as for an empty database."""
        return await schema_script(
            None if fresh else self._db,
            self.schema_name,
            skip_default_indexes=self._ctx.skip_default_indexes,
            lock_timeout_s=self._ctx.ddl_lock_timeout,
        )

    async def close(self) -> None:
        """Close the pool this store created; an injected pool is left open. Bounded by
        ``close_timeout``, then the pool's connections are closed without waiting."""
        await self._db.close()

    def _abandon_connections(self) -> None:
        self._db.abandon()

    # ---- index management -------------------------------------------------------------

    async def create_index(self, spec: IndexSpec) -> str:
        return await self._ctx.index_manager().create_index(spec)

    async def list_indexes(self, table: str | None = None) -> list[IndexInfo]:
        return await self._ctx.index_manager().list_indexes(table)

    async def describe_index(self, name: str) -> IndexStats:
        return await self._ctx.index_manager().describe_index(name)

    async def drop_index(self, name: str) -> None:
        await self._ctx.index_manager().drop_index(name)

    # ---- doctor -----------------------------------------------------------------------

    async def doctor(self) -> DoctorReport:
        """Connectivity, schema version, missing tables/columns/indexes and tables without
        statistics. Never writes."""
        report = DoctorReport(store=self.name, checks=[])
        checks = report.checks
        schema = self.schema_name
        try:
            async with self._db.connection("doctor") as conn:
                server = await conn.fetchrow(
                    "SELECT current_setting('server_version'), current_setting('TimeZone'), "
                    "to_regclass($1) IS NOT NULL",
                    f"{q(schema)}.{q(SCHEMA_TABLE)}",
                )
                version = None
                if server[2]:
                    version = await conn.fetchval(
                        f"SELECT version FROM {q(schema)}.{q(SCHEMA_TABLE)} WHERE component = $1",
                        SCHEMA_COMPONENT,
                    )
                columns = await conn.fetch(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns "
                    "WHERE table_schema = $1 AND table_name = ANY($2::text[])",
                    schema,
                    list(ALL_TABLE_NAMES),
                )
                index_rows = await conn.fetch(
                    # An INVALID index (a failed concurrent build) is unusable: missing.
                    "SELECT c.relname::text FROM pg_index i JOIN pg_class c "
                    "ON c.oid = i.indexrelid WHERE c.relnamespace = to_regnamespace($1) "
                    "AND i.indisvalid",
                    schema,
                )
                stats = await conn.fetch(
                    "SELECT relname::text FROM pg_stat_user_tables WHERE schemaname = $1 "
                    "AND relname = ANY($2::text[]) AND last_analyze IS NULL "
                    "AND last_autoanalyze IS NULL AND n_live_tup > 0",
                    schema,
                    list(ALL_TABLE_NAMES),
                )
        except MastraStorageError as exc:
            checks.append(DoctorCheck(name="connectivity", ok=False, detail=str(exc)))
            return report
        checks.append(
            DoctorCheck(
                name="connectivity",
                ok=True,
                detail=f"{self.url} (PostgreSQL {server[0]}, TimeZone {server[1]})",
            )
        )
        if version is None:
            detail = "no version row: not initialised by mastra-storage (run init())"
        else:
            detail = f"version {version} (library expects {SCHEMA_VERSION})"
        checks.append(
            DoctorCheck(
                name="schema_version",
                ok=version is not None and version >= SCHEMA_VERSION,
                detail=detail,
            )
        )
        present: dict[str, set[str]] = {}
        for table_name, column_name in columns:
            present.setdefault(table_name, set()).add(column_name)
        missing_tables = [t.name for t in TABLES if t.name not in present]
        missing_columns = [
            f"{t.name}.{c}"
            for t in TABLES
            if t.name in present
            for c in t.all_column_names()
            if c not in present[t.name]
        ]
        existing = {r[0] for r in index_rows}
        wanted = expected_indexes(schema, skip_default=self._ctx.skip_default_indexes)
        missing_indexes = [i.name(schema) for i in wanted if i.name(schema) not in existing]
        for name, missing in (
            ("tables", missing_tables),
            ("columns", missing_columns),
            ("indexes", missing_indexes),
        ):
            detail = "missing: " + ", ".join(missing) if missing else "all present"
            checks.append(DoctorCheck(name=name, ok=not missing, detail=detail))
        unanalyzed = [r[0] for r in stats]
        checks.append(
            DoctorCheck(
                name="statistics",
                ok=not unanalyzed,
                detail=(
                    "never analyzed (run init() or ANALYZE): " + ", ".join(unanalyzed)
                    if unanalyzed
                    else "planner statistics present"
                ),
            )
        )
        return report

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(id={self.id!r}, url={self.url!r}, schema={self.schema_name!r})"
        )


__all__ = ["IndexSpec", "PostgresStore"]
