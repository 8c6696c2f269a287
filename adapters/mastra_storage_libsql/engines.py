"""The SQLite engines behind local (``file:`` / ``:memory:``) databases.

Two drivers, one small interface (:class:`LocalConnection`), so a job's
:class:`~mastra_storage_libsql.connection.Tx` does not care which one runs it:

* ``apsw`` runs every store job. It bundles a current SQLite (JSONB needs 3.45; the
  stdlib's SQLite is often older) and releases the GIL while SQLite works or waits, so a
  long query or a wait for another process's write lock on the store's worker thread does
  not stop the event loop (measurements: ``docs/libsql-engine.md``).
* ``libsql`` runs only vector work (``F32_BLOB``, ``vector32``, ``vector_distance_cos``,
  ``libsql_vector_idx``/``vector_top_k`` exist only in libSQL's SQLite fork). It keeps
  the GIL while it executes, so it runs in a child process
  (:mod:`mastra_storage_libsql.libsql_worker`), never in the application's process.

Both open the file the same way: ``busy_timeout`` first (so switching to WAL waits for
other connections), then WAL (files only) and ``synchronous = NORMAL``. Results are read
completely inside :meth:`LocalConnection.execute`, so no statement stays open across a
``COMMIT``. Drivers are imported on first use, never when the adapter is imported.
"""

from __future__ import annotations

import contextlib
import errno
import os
from typing import Any, Literal, Protocol

from mastra_storage.errors import MissingDependencyError

#: ``apsw`` for store work in this process; ``libsql`` for vector work in the worker process.
LocalDriver = Literal["apsw", "libsql"]


class Result:
    """A statement's rows (read completely) and the rows it changed (for writes)."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


class LocalConnection(Protocol):
    """What a local job needs from a driver connection."""

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, params: tuple[Any, ...]) -> Result: ...

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None: ...

    def executescript(self, script: str) -> None: ...

    def close(self) -> None: ...


class ApswConnection:
    """An ``apsw`` connection (autocommit unless a job says ``BEGIN``)."""

    def __init__(self, path: str, *, create: bool = True) -> None:
        apsw = import_driver("apsw", "libsql")
        flags = apsw.SQLITE_OPEN_READWRITE | (apsw.SQLITE_OPEN_CREATE if create else 0)
        self._conn: Any = apsw.Connection(path, flags=flags)

    @property
    def in_transaction(self) -> bool:
        return not self._conn.getautocommit()

    def execute(self, sql: str, params: tuple[Any, ...]) -> Result:
        rows: list[tuple[Any, ...]] = self._conn.execute(sql, params).fetchall()
        return Result(rows, self._conn.changes())

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        for _ in self._conn.executemany(sql, rows):  # run statements that return rows too
            pass

    def executescript(self, script: str) -> None:
        for _ in self._conn.execute(script):  # apsw runs the later statements as it is read
            pass

    def close(self) -> None:
        self._conn.close()


class LibsqlConnection:
    """A ``libsql`` driver connection (used in the vector worker process only)."""

    def __init__(self, path: str, busy_timeout_ms: int) -> None:
        libsql = import_driver("libsql", "libsql")
        self._conn: Any = libsql.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)

    @property
    def in_transaction(self) -> bool:
        return bool(self._conn.in_transaction)

    def execute(self, sql: str, params: tuple[Any, ...]) -> Result:
        cursor = self._conn.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return Result(rows, int(cursor.rowcount))

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self._conn.executemany(sql, rows)

    def executescript(self, script: str) -> None:
        self._conn.executescript(script)

    def close(self) -> None:
        self._conn.close()


def connect(
    driver: LocalDriver, path: str, *, memory: bool, busy_timeout_ms: int, create: bool = True
) -> Any:
    """Open ``path`` with ``driver`` and apply the PRAGMAs; driver errors propagate.

    ``create=False`` (a store whose init is disabled) changes nothing about the file: a
    missing file is an error, not a new database, and the journal mode stays as it is.
    A file this call creates is private to its owner (mode 0600).
    """
    if create and not memory:
        create_private_file(path)
    conn: ApswConnection | LibsqlConnection = (
        ApswConnection(path, create=create)
        if driver == "apsw"
        else LibsqlConnection(path, busy_timeout_ms)
    )
    pragmas = [f"PRAGMA busy_timeout = {int(busy_timeout_ms)}"]
    if create and not memory:
        pragmas.append("PRAGMA journal_mode = WAL")
    pragmas.append("PRAGMA synchronous = NORMAL")
    try:
        conn.executescript(";\n".join(pragmas) + ";")
    except BaseException:
        close_quietly(conn)
        raise
    return conn


def create_private_file(path: str) -> None:
    """Create ``path`` empty with mode 0600 unless something is there already.

    SQLite would create it with the process umask (usually world-readable); an empty
    file is a valid new database, and SQLite gives its ``-wal``/``-shm`` files the same
    mode. ``O_EXCL``/``O_NOFOLLOW``: an existing file or a planted symlink is left alone
    (SQLite then opens what is there, as before).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except (FileExistsError, IsADirectoryError):
        return
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a symlink: SQLite decides, as for any existing path
            return
        raise
    os.close(fd)


def open_plain(driver: LocalDriver, path: str, *, busy_timeout_ms: int) -> Any:
    """Open ``path`` without changing it (no WAL switch, and a missing file is an error,
    not a new database): for read-only inspection."""
    if driver == "libsql":
        return LibsqlConnection(path, busy_timeout_ms)
    conn = ApswConnection(path, create=False)
    conn.executescript(f"PRAGMA busy_timeout = {int(busy_timeout_ms)};")
    return conn


def import_driver(module: str, extra: str) -> Any:
    """``module``, imported on first use; a missing one is a :class:`MissingDependencyError`."""
    try:
        return __import__(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"the libsql adapter needs the {module!r} package: "
            "pip install 'mastra-storage[libsql]'",
            id="MASTRA_STORAGE_MISSING_DEPENDENCY",
            details={"adapter": "libsql", "extra": extra, "module": module},
        ) from exc


def close_quietly(conn: Any) -> None:
    with contextlib.suppress(Exception):
        conn.close()


__all__ = [
    "ApswConnection",
    "LibsqlConnection",
    "LocalConnection",
    "LocalDriver",
    "Result",
    "close_quietly",
    "connect",
    "create_private_file",
    "import_driver",
    "open_plain",
]
