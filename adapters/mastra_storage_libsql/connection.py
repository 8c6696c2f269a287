"""One database, one worker thread, one connection.

Local databases use the ``apsw`` driver (:mod:`mastra_storage_libsql.engines`), which is
synchronous but releases the GIL while SQLite works or waits. Every piece of database work
of a store runs as a *job* on a dedicated single-thread executor that owns the connection,
so:

* the event loop never blocks on SQLite: not during a long query, not while the busy
  handler waits for another process's write lock (``docs/libsql-engine.md`` has the
  measurements);
* there is exactly one writer per store, so "database is locked" cannot happen between
  tasks of one process (two stores on one file still contend: see below);
* a job is a whole transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any
  exception) and costs one thread hop;
* a cancelled caller never leaves a transaction half-done: a job that has started runs
  to completion on the worker thread (cancellation only withdraws a job not yet started).

Between processes (or two stores on one file) SQLite's own locking applies: the
connection sets ``busy_timeout`` before switching to WAL, and a job that still fails with
a busy/locked error is retried with exponential backoff (awaited on the event loop, not on
the worker thread), up to ``max_retries`` times.

Vector work on a local database needs libSQL's vector functions, which only the ``libsql``
driver has, and that driver holds the GIL: :meth:`LibSQLDatabase.vector_database` gives a
sibling database whose jobs run in a child process
(:mod:`mastra_storage_libsql.libsql_worker`) on the same file, so jobs sent to it must be
picklable.

Remote databases (sqld, Turso; ``DatabaseTarget.remote`` set) use the same worker thread
and the same job functions: the thread speaks Hrana over HTTP
(:mod:`mastra_storage_libsql.hrana`) instead of calling the local driver, and a job's
:class:`Tx` is a :class:`~mastra_storage_libsql.remote.RemoteTx`, which queues writes and
sends them with the next read or the commit, so a write job is one HTTP request. Busy
answers (``SQLITE_BUSY``, HTTP 429/502/503/504) are retried like local busy errors.

Public surface used by other modules (kept stable): :class:`DatabaseTarget`,
:class:`LibSQLDatabase` (``run``, ``inspect``, ``close``, ``statements_executed``,
``round_trips``, ``interrupt``) and, re-exported, :class:`~.tx.Tx` and
:class:`~.errors.DriverError`.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from mastra_storage.backend.concurrency import RetryPolicy
from mastra_storage.errors import MastraStorageError, UnavailableError, storage_error_id

from . import engines
from .errors import STORE_NAME, DriverError, translate
from .hrana import DEFAULT_TIMEOUT_S, Endpoint, HranaClient
from .libsql_worker import LibSQLWorker
from .remote import BEGIN_FOR_MODE, RemoteTx
from .tx import Tx, TxMode

T = TypeVar("T")
#: ``apsw``: this process (the stores); ``libsql``: this process, GIL held (only inside the
#: vector worker process); ``process``: jobs sent to a ``libsql`` child process (vectors).
Engine = Literal["apsw", "libsql", "process"]

#: The default retry budget of a job that found the database busy or locked (the store's
#: ``max_retries=5``, ``initial_backoff_ms=100``): SQLite's ``busy_timeout`` has already
#: waited inside the driver, so these retries only cover a writer in another process that
#: holds the lock for seconds (a checkpoint, a long import) and a remote server answering
#: 429/5xx; 0.1 s doubling over five retries rides out about three seconds of that.
DEFAULT_BUSY_RETRY = RetryPolicy(attempts=6, base_s=0.1, cap_s=1.6)


def busy_retry_policy(max_retries: int, initial_backoff_ms: int) -> RetryPolicy:
    """The store options ``max_retries``/``initial_backoff_ms`` as a :class:`RetryPolicy`
    (``attempts`` counts the first try; the pause doubles from ``initial_backoff_ms``)."""
    base_s = initial_backoff_ms / 1000
    return RetryPolicy(
        attempts=max_retries + 1, base_s=base_s, cap_s=base_s * 2 ** max(max_retries - 1, 0)
    )


@dataclass(frozen=True)
class DatabaseTarget:
    """Where the database lives: a file path, a private in-memory database, or a server.

    ``remote`` is the server's ``http(s)://`` base URL (no credentials; ``libsql://`` and
    ``ws(s)://`` URLs are mapped onto it) for sqld/Turso, ``None`` for local databases.
    ``display`` is the URL as given, with secrets redacted.
    """

    path: str
    memory: bool
    display: str
    remote: str | None = None

    @property
    def driver_path(self) -> str:
        return ":memory:" if self.memory else self.path


class LibSQLDatabase:
    """The worker thread and connection shared by every domain of one store."""

    def __init__(
        self,
        target: DatabaseTarget,
        *,
        busy_timeout_ms: int,
        max_retries: int,
        initial_backoff_ms: int,
        auth_token: str | None = None,
        request_timeout_s: float = DEFAULT_TIMEOUT_S,
        engine: Engine = "apsw",
    ) -> None:
        self.target = target
        self.engine: Engine = engine
        self._auth_token = auth_token
        self.request_timeout_s = request_timeout_s
        self.busy_timeout_ms = busy_timeout_ms
        self.max_retries = max_retries
        self.initial_backoff_ms = initial_backoff_ms
        #: How a job that found the database busy is retried (from the two options above).
        self.busy_retry = busy_retry_policy(max_retries, initial_backoff_ms)
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()
        self._conn: Any = None
        self._closed = False
        #: Driver calls (execute / executemany / executescript) issued so far.
        self.statements_executed = 0
        #: Set once the schema is known to be current (see ``schema.ensure_schema``).
        self.schema_ready = False
        self._client: HranaClient | None = None
        self._worker: LibSQLWorker | None = None
        self._vector_db: LibSQLDatabase | None = None
        #: Whether opening may create a missing file and switch it to WAL; the store
        #: points it at its ``init_enabled`` and turns it on for an explicit ``init()``.
        self.may_change_file: Callable[[], bool] = lambda: True

    # ---- worker-thread side -----------------------------------------------------------

    def count_statement(self) -> None:
        """Count one driver call (what :attr:`statements_executed` reports)."""
        self.statements_executed += 1

    def _open(self) -> Any:
        """Open the connection (on the worker thread) and apply the PRAGMAs, once.

        Remote: an HTTP client (connections open on first request; no PRAGMAs, which
        would only apply to one server-side stream).
        """
        if self._conn is not None:
            return self._conn
        if self.target.remote is not None:
            self._client = HranaClient(
                Endpoint.parse(self.target.remote),
                self._auth_token,
                timeout_s=self.request_timeout_s,
            )
            self._conn = self._client
            return self._conn
        if self.engine == "process":
            self._worker = LibSQLWorker(self.target, self.busy_timeout_ms)
            self._conn = self._worker
            return self._conn
        driver: engines.LocalDriver = "libsql" if self.engine == "libsql" else "apsw"
        try:
            self._conn = engines.connect(
                driver,
                self.target.driver_path,
                memory=self.target.memory,
                busy_timeout_ms=self.busy_timeout_ms,
                create=self.may_change_file(),
            )
        except MastraStorageError:
            raise
        except Exception as exc:
            raise DriverError(exc) from exc
        return self._conn

    def _job(self, fn: Callable[[Tx], T], mode: TxMode) -> T:
        if self.target.remote is not None:
            return self._remote_job(fn, mode)
        if self.engine == "process":
            return self._process_job(fn, mode)
        tx = Tx(self._open(), self)
        if mode == "none":
            return fn(tx)
        tx.execute("BEGIN IMMEDIATE" if mode == "write" else "BEGIN")
        try:
            result = fn(tx)
            tx.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        return result

    def run_here(self, fn: Callable[[Tx], T], mode: TxMode) -> T:
        """Run a job on the calling thread (the vector worker process's loop uses this)."""
        return self._job(fn, mode)

    def close_here(self) -> None:
        """Close the connection from the calling thread (the vector worker process)."""
        self._close_job()

    def _process_job(self, fn: Callable[[Tx], T], mode: TxMode) -> T:
        worker = self._open()
        assert isinstance(worker, LibSQLWorker)
        try:
            result: T = worker.call(fn, mode)
        finally:
            self.statements_executed += worker.last_statements
        return result

    def _remote_job(self, fn: Callable[[Tx], T], mode: TxMode) -> T:
        tx = RemoteTx(self._open(), self, BEGIN_FOR_MODE[mode])
        try:
            result = fn(tx)
            needs_close = tx.finish()
        except BaseException:
            tx.close_stream()
            raise
        if needs_close:
            # A read-only job leaves its stream open; close it after the caller has the
            # result (the next job queues behind this on the same single worker thread).
            executor = self._executor
            try:
                if executor is None:
                    raise RuntimeError("no executor")
                executor.submit(tx.close_stream)
            except RuntimeError:  # shutting down: close now
                tx.close_stream()
        return result

    def _rollback(self) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            if conn.in_transaction:
                self.count_statement()
                conn.execute("ROLLBACK", ())
        except Exception:  # the transaction may already be gone; the connection stays usable
            pass

    def _close_job(self) -> None:
        conn, self._conn = self._conn, None
        self._client = None
        self._worker = None
        if isinstance(conn, LibSQLWorker):
            conn.close()
        elif conn is not None:
            engines.close_quietly(conn)

    # ---- event-loop side --------------------------------------------------------------

    def _get_executor(self) -> ThreadPoolExecutor:
        if self._closed:
            raise UnavailableError(
                f"{self.target.display}: the store is closed",
                id=storage_error_id(STORE_NAME, "connection", "closed"),
                details={"url": self.target.display},
            )
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="mastra-libsql"
                )
            return self._executor

    async def run(self, operation: str, fn: Callable[[Tx], T], *, mode: TxMode = "write") -> T:
        """Run ``fn`` as one job (one transaction unless ``mode='none'``) on the worker.

        Busy/locked errors are retried with exponential backoff; driver errors become
        :class:`UnavailableError` / :class:`BackendError` (or :class:`ConflictError` /
        :class:`ValidationError` for constraint violations) with the driver error as cause.
        """
        return await self._submit(operation, lambda: self._job(fn, mode))

    async def inspect(self, fn: Callable[[Tx], T]) -> T:
        """Run a read-only ``fn`` without changing the database: through the store's
        connection when it is open, else through a temporary one (no PRAGMAs applied)."""
        return await self._submit("doctor", lambda: self._inspect_job(fn))

    def _inspect_job(self, fn: Callable[[Tx], T]) -> T:
        if self.target.remote is not None:
            return self._remote_job(fn, "none")
        if self.engine == "process":
            return self._process_job(fn, "none")
        if self._conn is not None or self.target.memory:
            return fn(Tx(self._open(), self))
        driver: engines.LocalDriver = "libsql" if self.engine == "libsql" else "apsw"
        try:
            conn = engines.open_plain(
                driver, self.target.driver_path, busy_timeout_ms=self.busy_timeout_ms
            )
        except MastraStorageError:
            raise
        except Exception as exc:
            raise DriverError(exc) from exc
        try:
            return fn(Tx(conn, self))
        finally:
            engines.close_quietly(conn)

    async def _submit(self, operation: str, job: Callable[[], T]) -> T:
        retry = self.busy_retry
        attempt = 0
        while True:
            future = self._get_executor().submit(job)
            try:
                return await asyncio.wrap_future(future)
            except DriverError as exc:
                if exc.is_busy and attempt + 1 < retry.attempts:
                    # The full doubling, not the policy's jittered delay: the pauses are
                    # what the documented ``initial_backoff_ms`` promises, and the busy
                    # handler inside SQLite already spreads contending writers.
                    await asyncio.sleep(min(retry.cap_s, retry.base_s * 2**attempt))
                    attempt += 1
                    continue
                raise translate(
                    operation, exc, attempts=attempt, display=self.target.display
                ) from exc.cause

    def vector_database(self) -> LibSQLDatabase:
        """The database for vector work on the same target, closed with this one.

        Remote: this database (the server has the vector functions). Local: a sibling whose
        jobs run in a ``libsql`` child process on the same file (or on its own private
        database for ``:memory:``, which a second process cannot share), started on the
        first job; its jobs must be picklable (see :mod:`.libsql_worker`).
        """
        if self.target.remote is not None or self.engine == "process":
            return self
        if self._vector_db is None:
            self._vector_db = LibSQLDatabase(
                self.target,
                busy_timeout_ms=self.busy_timeout_ms,
                max_retries=self.max_retries,
                initial_backoff_ms=self.initial_backoff_ms,
                engine="process",
            )
        return self._vector_db

    async def close(self) -> None:
        """Close the connection (after every queued job) and stop the worker thread (and
        the vector worker process, if one was started)."""
        if self._closed:
            return
        executor = self._executor
        self._closed = True
        if self._vector_db is not None:
            await self._vector_db.close()
        if executor is None:
            return
        try:
            await asyncio.wrap_future(executor.submit(self._close_job))
        finally:
            executor.shutdown(wait=False)

    def interrupt(self) -> None:
        """Unblock the worker thread if it waits on a remote request (safe from any
        thread; see :meth:`HranaClient.interrupt`). No-op for local databases."""
        client = self._client
        if client is not None:
            client.interrupt()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    @property
    def round_trips(self) -> int:
        """HTTP requests sent to a remote server so far (always 0 for local databases)."""
        return 0 if self._client is None else self._client.round_trips

    def file_exists(self) -> bool:
        """Whether there is a database to inspect (a server is assumed to have one)."""
        if self.target.remote is not None:
            return True
        return self.target.memory or os.path.exists(self.target.path)


__all__ = [
    "DEFAULT_BUSY_RETRY",
    "STORE_NAME",
    "DatabaseTarget",
    "DriverError",
    "Engine",
    "LibSQLDatabase",
    "Tx",
    "TxMode",
    "busy_retry_policy",
]
