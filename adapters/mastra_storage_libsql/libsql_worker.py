"""Vector work on a local database, in a child process that owns a ``libsql`` connection.

Why a process: libSQL's vector functions (``vector32``, ``vector_distance_cos``,
``libsql_vector_idx``, ``vector_top_k``) exist only in the ``libsql`` driver, and that
driver holds the GIL while it executes, so on a thread it would freeze the event loop for
as long as a DiskANN insert, a vector scan or a wait for another process's write lock
lasts. In a child process it can hold its own GIL as long as it likes; the parent's worker
thread waits on a pipe (without the GIL) for the answer.

Protocol (one request at a time, over two pipes with length-prefixed pickles): the parent
sends the database target once, then ``(job, mode)`` pairs and finally ``None``; the child
answers each job with ``(kind, payload, statements)``: ``("ok", result)``,
``("driver", message)`` for a driver error (busy errors are retried by the parent like
local ones) or ``("error", exception)``. Jobs therefore must be picklable: module-level
functions, or :func:`functools.partial` of them (see :func:`sql_fetchall`).

The child exits when the parent closes it, when the parent dies (end of file on its pipe)
or on a failed pipe; it ignores SIGINT so that Ctrl-C in a terminal stops the application,
not its open transaction half way. It is started with the parent's interpreter
(``sys.executable``) and module search path, not with :mod:`multiprocessing`, so it never
re-imports the application's ``__main__`` module.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .connection import DatabaseTarget, Tx, TxMode

#: Part of every error about the child itself (it died, or could not start): such errors
#: become ``UnavailableError``.
WORKER_GONE = "libsql vector worker process"
#: How long ``close`` waits for the child to finish its last job before killing it.
CLOSE_TIMEOUT_S = 5.0

_BOOT = (
    "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
    "from mastra_storage_libsql.libsql_worker import main; main(sys.argv[2:])"
)


class WorkerGone(Exception):
    """The child process died or its pipe broke while a job was on its way."""


class LibSQLWorker:
    """The parent's handle on one child process (used from one worker thread at a time)."""

    def __init__(self, target: DatabaseTarget, busy_timeout_ms: int) -> None:
        self._target = target
        self._busy_timeout_ms = busy_timeout_ms
        self._proc: subprocess.Popen[bytes] | None = None
        self._send: Connection | None = None
        self._recv: Connection | None = None
        self._lock = threading.Lock()
        #: Statements the child executed for the last call (counted by the parent's store).
        self.last_statements = 0

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _start(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        try:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    _BOOT,
                    json.dumps(sys.path),
                    str(to_child_r),
                    str(from_child_w),
                ],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
        except BaseException:
            os.close(to_child_w)
            os.close(from_child_r)
            raise
        finally:  # the child's ends: the child has its own copies now
            os.close(to_child_r)
            os.close(from_child_w)
        self._send = Connection(to_child_w, readable=False)
        self._recv = Connection(from_child_r, writable=False)
        self._send.send((self._target, self._busy_timeout_ms))

    def call(self, job: Callable[[Tx], Any], mode: TxMode) -> Any:
        """Run ``job`` in the child (starting it if needed); blocks this thread, not the GIL.

        Returns the job's result (:attr:`last_statements` says how many statements it
        ran). Raises the job's exception, or a driver error wrapping :class:`WorkerGone`
        when the child is gone (the next call starts a new one).
        """
        from .connection import DriverError

        with self._lock:
            if not self.running:
                self._discard()
                try:
                    self._start()
                except OSError as exc:
                    self._discard()
                    raise DriverError(WorkerGone(f"cannot start the {WORKER_GONE}: {exc}")) from exc
            assert self._send is not None and self._recv is not None
            try:
                payload = pickle.dumps((job, mode))
            except Exception as exc:
                raise TypeError(
                    "vector jobs run in a child process and must be picklable (a module-level "
                    f"function or functools.partial of one): {exc}"
                ) from exc
            self.last_statements = 0
            try:
                self._send.send_bytes(payload)
                kind, value, self.last_statements = self._recv.recv()
            except (EOFError, OSError) as exc:
                code = self._proc.poll() if self._proc is not None else None
                self._discard()
                message = f"the {WORKER_GONE} exited (exit code {code})"
                raise DriverError(WorkerGone(message)) from exc
        if kind == "ok":
            return value
        if kind == "driver":
            raise DriverError(Exception(value))
        raise value

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Ask the child to close its connection and exit; kill it after ``timeout_s``."""
        with self._lock:
            proc, self._proc = self._proc, None
            if self._send is not None:
                with contextlib.suppress(OSError, ValueError):
                    self._send.send(None)
            self._discard()
            if proc is not None:
                try:
                    proc.wait(timeout_s)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def _discard(self) -> None:
        for conn in (self._send, self._recv):
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.close()
        self._send = self._recv = None
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            # Closing the pipes ends the child (end of file); reap it in the background.
            threading.Thread(target=proc.wait, daemon=True).start()


# ---- picklable jobs -------------------------------------------------------------------


def _fetchall(sql: str, params: Sequence[Any], tx: Tx) -> list[tuple[Any, ...]]:
    return tx.fetchall(sql, params)


def _execute(sql: str, params: Sequence[Any], tx: Tx) -> None:
    tx.execute(sql, params)


def sql_fetchall(sql: str, params: Sequence[Any] = ()) -> Callable[[Tx], list[tuple[Any, ...]]]:
    """A picklable job that runs one query and returns its rows."""
    import functools

    return functools.partial(_fetchall, sql, tuple(params))


def sql_execute(sql: str, params: Sequence[Any] = ()) -> Callable[[Tx], None]:
    """A picklable job that runs one statement."""
    import functools

    return functools.partial(_execute, sql, tuple(params))


# ---- child side -----------------------------------------------------------------------


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError that says what it was."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def main(argv: Sequence[str]) -> None:
    """The child's loop: run jobs on one ``libsql`` connection until told to stop."""
    from .connection import DriverError, LibSQLDatabase

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests = Connection(int(argv[0]), writable=False)
    replies = Connection(int(argv[1]), readable=False)
    try:
        target, busy_timeout_ms = requests.recv()
    except EOFError:
        return
    db = LibSQLDatabase(
        target,
        busy_timeout_ms=busy_timeout_ms,
        max_retries=0,
        initial_backoff_ms=0,
        engine="libsql",
    )
    try:
        while True:
            try:
                message = requests.recv()
            except (EOFError, OSError):
                break
            if message is None:
                break
            job, mode = message
            before = db.statements_executed
            reply: tuple[str, Any]
            try:
                reply = ("ok", db.run_here(job, mode))
            except DriverError as exc:
                reply = ("driver", exc.text)
            except Exception as exc:
                reply = ("error", _portable(exc))
            counted = db.statements_executed - before
            try:
                replies.send((*reply, counted))
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                replies.send(
                    ("error", TypeError(f"the job's result is not picklable: {exc}"), counted)
                )
            except OSError:
                break
    finally:
        db.close_here()


__all__ = ["WORKER_GONE", "LibSQLWorker", "WorkerGone", "main", "sql_execute", "sql_fetchall"]
