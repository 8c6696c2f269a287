"""What a job receives: :class:`Tx`, one connection's statements, counted and error-tagged.

A job (see :mod:`mastra_storage_libsql.connection`) is a plain function of a :class:`Tx`
that runs on the store's worker thread. Locally :class:`Tx` calls the driver; remotely its
subclass :class:`~mastra_storage_libsql.remote.RemoteTx` batches the same calls into few
HTTP requests. Both only need a :class:`StatementCounter` from the database that runs them,
so neither imports the connection module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, Protocol

from mastra_storage.logs import log_statement, statement_logging

from .errors import DriverError

#: ``write``: one ``BEGIN IMMEDIATE`` transaction; ``read``: one ``BEGIN`` (a snapshot);
#: ``none``: autocommit (a single statement is its own snapshot).
TxMode = Literal["write", "read", "none"]


class StatementCounter(Protocol):
    """What a :class:`Tx` needs from its database: a statement counter and whether the
    connection is still open."""

    def count_statement(self) -> None: ...

    @property
    def is_open(self) -> bool: ...


class Tx:
    """The connection of one job, with statement counting, logging and error tagging:
    every driver exception is raised as a :class:`DriverError`.

    Every statement passes through :meth:`_count`, which logs it at ``DEBUG`` on
    ``mastra_storage.sql`` (text with ``?`` placeholders and the parameter count, never
    the values). Whether to log is decided once per job, so with logging off a statement
    costs one attribute read.
    """

    __slots__ = ("_conn", "_db", "_log")

    def __init__(self, conn: Any, db: StatementCounter) -> None:
        self._conn = conn
        self._db = db
        self._log = statement_logging()

    def _count(self, kind: str, sql: str, parameters: int) -> None:
        """Count one driver call and log it (see the class docstring)."""
        self._db.count_statement()
        if self._log:
            log_statement("libsql", kind, sql, parameters)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self._count("execute", sql, len(params))
        try:
            return self._conn.execute(sql, tuple(params))
        except Exception as exc:
            raise DriverError(exc) from exc

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = [tuple(row) for row in rows]
        if not batch:
            return
        self._count(f"executemany x{len(batch)}", sql, len(batch[0]))
        try:
            self._conn.executemany(sql, batch)
        except Exception as exc:
            raise DriverError(exc) from exc

    def executescript(self, script: str) -> None:
        self._count("executescript", script, 0)
        try:
            self._conn.executescript(script)
        except Exception as exc:
            raise DriverError(exc) from exc

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self.execute(sql, params)
        try:
            rows: list[tuple[Any, ...]] = cursor.fetchall()
        except Exception as exc:
            raise DriverError(exc) from exc
        return rows

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        rows = self.fetchall(sql, params)
        return rows[0] if rows else None

    def execute_expecting(
        self, sql: str, params: Sequence[Any], rows: int, on_fail: Callable[[], BaseException]
    ) -> None:
        """Run a write, then stop the job with ``on_fail()`` unless it changed ``rows`` rows.

        Folds an existence check into the write ("bump these N threads: all N must
        exist") instead of a separate ``SELECT`` first: locally it is the driver's row
        count (no extra statement); remotely a check step right after the write, in the
        same request. Raising rolls the job's transaction back, so nothing is written.
        """
        cursor = self.execute(sql, params)
        if cursor.rowcount != rows:
            raise on_fail()

    def guard(self, sql: str, params: Sequence[Any], on_fail: Callable[[], BaseException]) -> None:
        """Stop the job with ``on_fail()`` unless ``sql`` (one value) returns a true value.

        Use it for "check, then write" jobs: locally it is one query; remotely the check
        travels in the same request as the writes queued after it (one round trip).
        """
        row = self.fetchone(sql, params)
        if not row or not row[0]:
            raise on_fail()


__all__ = ["StatementCounter", "Tx", "TxMode"]
