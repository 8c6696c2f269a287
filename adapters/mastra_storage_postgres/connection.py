"""Connection options, the asyncpg pool and the one place every query goes through.

Why one module: the store and any other PostgreSQL component of this package (a vector
store, a CLI command) should build or share a pool the same way, with the same secret
handling, error mapping and statement counting. :class:`PgConnectOptions` parses the
options (a URL, or host/port/database/user/password), :func:`create_pool` builds an
asyncpg pool from them, and :class:`PgDatabase` owns (or borrows) that pool.

Pool choices:

* ``reset``: asyncpg sends ``RESET ALL; UNLISTEN *; ...`` on every release by default
  (one more round trip per operation). Nothing here changes session state (no ``SET``,
  only ``SET LOCAL``; no ``LISTEN``; init's session advisory lock is released before its
  connection goes back, or the connection is closed), so pools we create pass a reset
  that sends nothing; asyncpg still rolls back a transaction left open. An injected pool
  is used as it is.
* A connection the server drops (restart, ``pg_terminate_backend``, idle kill) fails the
  call in flight with :class:`UnavailableError`; asyncpg discards the dead connection on
  release, so the next call gets a fresh one.
* Waiting for a pooled connection is bounded (``pool_timeout``). A call cancelled while it
  holds a connection (its deadline passed, or the caller gave up) closes that connection
  at once instead of releasing it: asyncpg's release would first wait for the server to
  acknowledge the cancel (and a rollback), which a stalled server never does. Closing the
  socket rolls the transaction back on the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl as ssl_module
import urllib.parse
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from mastra_storage.deadlines import SharedDeadlines
from mastra_storage.errors import ConfigurationError, MastraStorageError, UnavailableError
from mastra_storage.lifecycle import DEFAULT_POOL_TIMEOUT_S, HAS_TIMEOUT_SCOPES, check_timeout
from mastra_storage.logs import log_statement, statement_logging
from mastra_storage.redact import redact_text, redact_url, split_url

from .errors import import_asyncpg, map_error

if TYPE_CHECKING:
    import asyncpg

SCHEMES = ("postgres", "postgresql")
DEFAULT_MAX_SIZE = 20
DEFAULT_MIN_SIZE = 1
SslOption = bool | str | ssl_module.SSLContext | None


def _config_error(message: str, option: str | None = None) -> NoReturn:
    raise ConfigurationError(
        f"PostgresStore: {message}",
        id="MASTRA_STORAGE_PG_INITIALIZATION_FAILED",
        details={"option": option} if option else None,
    )


def _int_option(name: str, value: Any, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        _config_error(f"{name} must be an integer >= {minimum}", name)
    return value


@dataclass(frozen=True)
class PgConnectOptions:
    """Where and how to connect. The password never appears in ``repr`` or ``display``."""

    dsn: str | None = field(default=None, repr=False)
    host: str | None = None
    port: int | None = None
    database: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    ssl: SslOption = None
    min_size: int = DEFAULT_MIN_SIZE
    max_size: int = DEFAULT_MAX_SIZE
    max_inactive_connection_lifetime: float = 30.0
    connect_timeout: float = 10.0
    command_timeout: float | None = None
    statement_cache_size: int = 100
    server_settings: Mapping[str, str] | None = None
    display: str = ""
    pool_timeout: float | None = DEFAULT_POOL_TIMEOUT_S

    @classmethod
    def build(
        cls,
        url: str | None = None,
        *,
        host: str | None = None,
        port: int | None = None,
        database: str | None = None,
        user: str | None = None,
        password: str | None = None,
        ssl: SslOption = None,
        min_size: int = DEFAULT_MIN_SIZE,
        max_size: int = DEFAULT_MAX_SIZE,
        max_inactive_connection_lifetime: float = 30.0,
        connect_timeout: float = 10.0,
        command_timeout: float | None = None,
        statement_cache_size: int = 100,
        server_settings: Mapping[str, str] | None = None,
        pool_timeout: float | None = DEFAULT_POOL_TIMEOUT_S,
    ) -> PgConnectOptions:
        """Validate either a ``postgres(ql)://`` URL or the host/database/user shape."""
        min_size = _int_option("min_size", min_size, 0)
        max_size = _int_option("max_size", max_size, 1)
        if min_size > max_size:
            _config_error("min_size must not exceed max_size", "min_size")
        statement_cache_size = _int_option("statement_cache_size", statement_cache_size, 0)
        common: dict[str, Any] = {
            "ssl": ssl,
            "min_size": min_size,
            "max_size": max_size,
            "max_inactive_connection_lifetime": float(max_inactive_connection_lifetime),
            "connect_timeout": float(connect_timeout),
            "command_timeout": command_timeout,
            "statement_cache_size": statement_cache_size,
            "server_settings": dict(server_settings) if server_settings else None,
            "pool_timeout": check_timeout("PostgresStore", "pool_timeout", pool_timeout),
        }
        if url is not None:
            if any(v is not None for v in (host, port, database, user, password)):
                _config_error(
                    "give either a connection string or host/port/database/user/password, not both"
                )
            if not isinstance(url, str) or not url.strip():
                _config_error(
                    "connectionString must be provided and cannot be empty. Passing an empty "
                    "string may cause fallback to local Postgres defaults.",
                    "url",
                )
            text = url.strip()
            scheme = text.partition(":")[0].lower()
            if scheme not in SCHEMES:
                _config_error(
                    f"expected a postgresql:// or postgres:// URL, got {redact_url(text)!r}", "url"
                )
            if split_url(text) is None:
                _config_error(
                    f"invalid URL {redact_url(text)!r}: bad port, or a password with an "
                    "unencoded '/', '#', '?' or '@' (percent-encode it)",
                    "url",
                )
            return cls(dsn=text, display=redact_url(text), **common)
        for name, value in (("host", host), ("database", database), ("user", user)):
            if not isinstance(value, str) or not value.strip():
                _config_error(
                    f"{name} must be provided and cannot be empty (or pass a connection string "
                    "or an existing asyncpg pool)",
                    name,
                )
        if port is not None:
            port = _int_option("port", port, 1)
        if password is not None and not isinstance(password, str):
            _config_error("password must be a string", "password")
        assert host is not None and user is not None and database is not None
        display = (
            f"postgresql://{urllib.parse.quote(user)}{':***' if password else ''}@{host}"
            f"{f':{port}' if port else ''}/{urllib.parse.quote(database)}"
        )
        return cls(
            host=host,
            port=port,
            database=database,
            user=user,
            password=password,
            display=display,
            **common,
        )

    def redact(self, text: str) -> str:
        """``text`` with this connection's secrets removed."""
        text = redact_text(text, self.dsn)
        if self.password and len(self.password) >= 3:
            text = text.replace(self.password, "***")
        return text

    def pool_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "min_size": self.min_size,
            "max_size": self.max_size,
            "max_inactive_connection_lifetime": self.max_inactive_connection_lifetime,
            "timeout": self.connect_timeout,
            "command_timeout": self.command_timeout,
            "statement_cache_size": self.statement_cache_size,
        }
        if self.dsn is not None:
            kwargs["dsn"] = self.dsn
        else:
            kwargs.update(
                host=self.host,
                port=self.port,
                database=self.database,
                user=self.user,
                password=self.password,
            )
        if self.ssl is not None:
            kwargs["ssl"] = self.ssl
        if self.server_settings:
            kwargs["server_settings"] = dict(self.server_settings)
        return kwargs


def _has_free_slot(pool: Any) -> bool:
    """Whether ``pool.acquire()`` can return without waiting for another call's release.

    Why not ``get_idle_size()``: it walks every slot of the pool on each call. asyncpg
    keeps its free slots in ``_queue``; a pool without it (another asyncpg) is asked the
    public way."""
    free = getattr(pool, "_queue", None)
    if free is not None:
        return not free.empty()
    return bool(pool.get_idle_size())


async def _no_reset(connection: Any) -> None:
    """Release without a reset query (asyncpg still rolls back an open transaction)."""


async def create_pool(options: PgConnectOptions) -> asyncpg.Pool:
    """An asyncpg pool for ``options`` that skips the per-release reset round trip.

    Connection failures become :class:`UnavailableError` with the password redacted.
    """
    driver = import_asyncpg()
    try:
        pool: asyncpg.Pool = await driver.create_pool(reset=_no_reset, **options.pool_kwargs())
    except Exception as exc:
        raise map_error(exc, "connect", options) from exc
    return pool


# --------------------------------------------------------------------------- queries


class Runner:
    """What a domain needs from a connection: the four asyncpg calls, counted and logged.

    ``statements`` counts round trips the SDK asks for (each call here, plus ``BEGIN`` and
    ``COMMIT`` of a transaction), which is what the statement-count tests assert. Each
    call is logged at ``DEBUG`` on ``mastra_storage.sql`` (text and parameter count, never
    the values); whether to log is decided once per connection, so with logging off a
    statement costs one attribute read.
    """

    __slots__ = ("_db", "conn", "log")

    def __init__(self, db: PgDatabase, conn: Any) -> None:
        self._db = db
        self.conn = conn
        self.log = statement_logging()

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        self._db.statements_executed += 1
        if self.log:
            log_statement("postgres", "fetch", sql, len(args))
        rows: list[Any] = await self.conn.fetch(sql, *args)
        return rows

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        self._db.statements_executed += 1
        if self.log:
            log_statement("postgres", "fetchrow", sql, len(args))
        return await self.conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self._db.statements_executed += 1
        if self.log:
            log_statement("postgres", "fetchval", sql, len(args))
        return await self.conn.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> str:
        self._db.statements_executed += 1
        if self.log:
            log_statement("postgres", "execute", sql, len(args))
        status: str = await self.conn.execute(sql, *args)
        return status

    async def executemany(self, sql: str, args: Sequence[Sequence[Any]]) -> None:
        self._db.statements_executed += 1
        if self.log:
            log_statement("postgres", f"executemany x{len(args)}", sql, len(args[0]) if args else 0)
        await self.conn.executemany(sql, args)


class Lease:
    """One use of a pooled connection (:meth:`PgDatabase.connection`): acquired on entry,
    released on exit, the driver's errors mapped to the SDK's.

    A class rather than an ``asynccontextmanager``: this runs once per SDK call, and the
    generator machinery cost a few microseconds of it (issue 19).
    """

    __slots__ = ("_conn", "_db", "_operation", "_pool")

    def __init__(self, db: PgDatabase, operation: str) -> None:
        self._db = db
        self._operation = operation

    async def __aenter__(self) -> Runner:
        self._pool, self._conn = await self._db._acquire(self._operation)
        return Runner(self._db, self._conn)

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        pool, conn = self._pool, self._conn
        if exc is None:
            await self._db._release(pool, conn)
            return
        if isinstance(exc, asyncio.CancelledError):
            # The server may never answer a polite release: close the connection.
            conn.terminate()
            with contextlib.suppress(Exception):
                await pool.release(conn)
            return
        await self._db._release(pool, conn)
        if isinstance(exc, MastraStorageError) or not isinstance(exc, Exception):
            return
        raise self._db.error(exc, self._operation) from exc


class PgDatabase:
    """Owns (or borrows) an asyncpg pool; every query of the adapter goes through here.

    ``pool=`` shares an application's pool (never closed here); otherwise the pool is
    created from ``options`` on first use and closed by :meth:`close`.
    """

    def __init__(self, options: PgConnectOptions | None, pool: asyncpg.Pool | None = None) -> None:
        if options is None and pool is None:
            _config_error("give a connection string, host/database/user, or an asyncpg pool")
        self.options = options
        self._pool = pool
        self.owns_pool = pool is None
        self._pool_lock: asyncio.Lock | None = None
        self.statements_executed = 0
        self._closed = False
        self._pool_waits = SharedDeadlines()

    @property
    def display(self) -> str:
        return self.options.display if self.options is not None else "<injected asyncpg pool>"

    @property
    def pool(self) -> asyncpg.Pool | None:
        return self._pool

    async def get_pool(self) -> asyncpg.Pool:
        if self._pool is not None:
            return self._pool
        if self._closed:
            raise UnavailableError("PostgresStore is closed", id="MASTRA_STORAGE_PG_STORE_CLOSED")
        if self._pool_lock is None:
            self._pool_lock = asyncio.Lock()
        async with self._pool_lock:
            if self._pool is None:
                assert self.options is not None
                self._pool = await create_pool(self.options)
        return self._pool

    def error(self, exc: BaseException, operation: str) -> Exception:
        return map_error(exc, operation, self.options)

    @property
    def pool_timeout(self) -> float | None:
        return self.options.pool_timeout if self.options is not None else None

    def connection(self, operation: str) -> Lease:
        """A pooled connection (autocommit: each statement is its own transaction), as
        ``async with db.connection("op") as runner``.

        Waiting for a free connection is bounded by ``pool_timeout`` (then
        :class:`UnavailableError`); a cancelled call closes its connection (module doc).
        """
        return Lease(self, operation)

    async def _acquire(self, operation: str) -> tuple[Any, Any]:
        pool = self._pool if self._pool is not None else await self.get_pool()
        try:
            timeout = self.pool_timeout
            if timeout is None or _has_free_slot(pool):
                # A free slot is handed out without waiting for another call (a slot
                # without a connection connects, under ``connect_timeout``): no bound.
                conn = await pool.acquire()
            elif HAS_TIMEOUT_SCOPES:
                # asyncpg's own ``timeout=`` starts a task per waiting acquire; a deadline
                # scope bounds the same wait in this task (cancellation-safe: asyncpg
                # puts the slot back), on one timer shared by every waiting acquire.
                async with self._pool_waits.scope(timeout):
                    conn = await pool.acquire()
            else:
                conn = await pool.acquire(timeout=timeout)
        except Exception as exc:
            raise self.error(exc, "acquire a pooled connection for " + operation) from exc
        return pool, conn

    async def _release(self, pool: Any, conn: Any) -> None:
        try:
            await pool.release(conn)
        except asyncio.CancelledError:
            conn.terminate()
            raise
        except Exception:  # a broken connection: the pool discards it; the caller's outcome stands
            conn.terminate()

    @contextlib.asynccontextmanager
    async def transaction(self, operation: str) -> AsyncIterator[Runner]:
        """A pooled connection inside ``BEGIN`` ... ``COMMIT`` (rolled back on error).

        A cancelled transaction is not rolled back over the wire (the server may never
        answer): its connection is closed, which rolls it back on the server.
        """
        async with self.connection(operation) as runner:
            self.statements_executed += 2  # BEGIN and COMMIT/ROLLBACK
            if runner.log:
                log_statement("postgres", "transaction", "BEGIN", 0)
            tx = runner.conn.transaction()
            await tx.start()
            try:
                yield runner
            except asyncio.CancelledError:
                raise  # connection() closes the connection
            except BaseException:
                if runner.log:
                    log_statement("postgres", "transaction", "ROLLBACK", 0)
                with contextlib.suppress(Exception):
                    await tx.rollback()
                raise
            else:
                if runner.log:
                    log_statement("postgres", "transaction", "COMMIT", 0)
                await tx.commit()

    async def fetch(self, operation: str, sql: str, *args: Any) -> list[Any]:
        async with self.connection(operation) as runner:
            return await runner.fetch(sql, *args)

    async def fetchrow(self, operation: str, sql: str, *args: Any) -> Any:
        async with self.connection(operation) as runner:
            return await runner.fetchrow(sql, *args)

    async def fetchval(self, operation: str, sql: str, *args: Any) -> Any:
        async with self.connection(operation) as runner:
            return await runner.fetchval(sql, *args)

    async def execute(self, operation: str, sql: str, *args: Any) -> str:
        async with self.connection(operation) as runner:
            return await runner.execute(sql, *args)

    def abandon(self) -> None:
        """Close every connection of our pool without waiting for the server (``close()``
        ran out of time, or runs on another event loop than the pool's)."""
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is not None and self.owns_pool:
            with contextlib.suppress(Exception):  # the pool's loop may be closed already
                pool.terminate()

    async def close(self) -> None:
        """Close the pool if this object created it; an injected pool stays open."""
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is not None and self.owns_pool:
            await pool.close()
        elif pool is not None:
            self._pool = pool  # borrowed: keep using it if the store is reused


__all__ = [
    "Lease",
    "PgConnectOptions",
    "PgDatabase",
    "Runner",
    "create_pool",
]
