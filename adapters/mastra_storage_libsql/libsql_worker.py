"""Vector work on a local database, in a child process that owns a ``libsql`` connection.

Why a process: libSQL's vector functions (``vector32``, ``vector_distance_cos``,
``libsql_vector_idx``, ``vector_top_k``) exist only in the ``libsql`` driver, and that
driver holds the GIL while it executes, so on a thread it would freeze the event loop for
as long as a DiskANN insert, a vector scan or a wait for another process's write lock
lasts. In a child process it can hold its own GIL as long as it likes; the parent's worker
thread waits on a pipe (without the GIL) for the answer.

Protocol (one request at a time, over the child's stdin and stdout, each message a pickle
after its 8-byte length; the child's ``print`` output goes to stderr): the parent
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
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, Any

from .errors import WORKER_GONE, DriverError

if TYPE_CHECKING:
    from .connection import DatabaseTarget, LibSQLDatabase
    from .tx import Tx, TxMode

#: How long ``close`` waits for the child to finish its last job before killing it.
CLOSE_TIMEOUT_S = 5.0

_BOOT = (
    "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
    "from mastra_storage_libsql.connection import LibSQLDatabase; "
    "from mastra_storage_libsql.libsql_worker import main; main(LibSQLDatabase)"
)
_LENGTH = struct.Struct("!Q")


def _send(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def _recv(stream: IO[bytes]) -> Any:
    """The next message; ``EOFError`` when the other side has gone."""
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        raise EOFError("pipe closed")
    size = _LENGTH.unpack(header)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("pipe closed")
    return pickle.loads(data)


class WorkerGone(Exception):
    """The child process died or its pipe broke while a job was on its way."""


class LibSQLWorker:
    """The parent's handle on one child process (used from one worker thread at a time)."""

    def __init__(self, target: DatabaseTarget, busy_timeout_ms: int) -> None:
        self._target = target
        self._busy_timeout_ms = busy_timeout_ms
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        #: Statements the child executed for the last call (counted by the parent's store).
        self.last_statements = 0

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _start(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT, json.dumps(sys.path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        _send(self._pipe_in, (self._target, self._busy_timeout_ms))

    @property
    def _pipe_in(self) -> IO[bytes]:
        assert self._proc is not None and self._proc.stdin is not None
        return self._proc.stdin

    @property
    def _pipe_out(self) -> IO[bytes]:
        assert self._proc is not None and self._proc.stdout is not None
        return self._proc.stdout

    def call(self, job: Callable[[Tx], Any], mode: TxMode) -> Any:
        """Run ``job`` in the child (starting it if needed); blocks this thread, not the GIL.

        Returns the job's result (:attr:`last_statements` says how many statements it
        ran). Raises the job's exception, or a driver error wrapping :class:`WorkerGone`
        when the child is gone (the next call starts a new one).
        """
        with self._lock:
            if not self.running:
                self._discard()
                try:
                    self._start()
                except OSError as exc:
                    self._discard()
                    raise DriverError(WorkerGone(f"cannot start the {WORKER_GONE}: {exc}")) from exc
            try:
                payload = pickle.dumps((job, mode))
            except Exception as exc:
                raise TypeError(
                    "vector jobs run in a child process and must be picklable (a module-level "
                    f"function or functools.partial of one): {exc}"
                ) from exc
            self.last_statements = 0
            try:
                self._pipe_in.write(_LENGTH.pack(len(payload)) + payload)
                self._pipe_in.flush()
                kind, value, self.last_statements = _recv(self._pipe_out)
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
            if proc is None:
                return
            with contextlib.suppress(OSError, ValueError):
                assert proc.stdin is not None
                _send(proc.stdin, None)
            _close_pipes(proc)
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def _discard(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        _close_pipes(proc)
        if proc.poll() is None:
            # Closing the pipes ends the child (end of file); reap it in the background.
            threading.Thread(target=proc.wait, daemon=True).start()


def _close_pipes(proc: subprocess.Popen[bytes]) -> None:
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


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


def main(database: type[LibSQLDatabase]) -> None:
    """The child's loop: run jobs on one ``libsql`` connection until told to stop.

    ``database`` is :class:`~.connection.LibSQLDatabase`, passed in by the child's boot
    line because the connection module imports this one (it starts the child)."""

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests = sys.stdin.buffer
    # The protocol owns the real stdout; anything printed goes to stderr instead.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        target, busy_timeout_ms = _recv(requests)
    except EOFError:
        return
    db = database(
        target,
        busy_timeout_ms=busy_timeout_ms,
        max_retries=0,
        initial_backoff_ms=0,
        engine="libsql",
    )
    try:
        while True:
            try:
                message = _recv(requests)
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
                _send(replies, (*reply, counted))
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                error = TypeError(f"the job's result is not picklable: {exc}")
                _send(replies, ("error", error, counted))
            except OSError:
                break
    finally:
        db.close_here()


__all__ = ["WORKER_GONE", "LibSQLWorker", "WorkerGone", "main", "sql_execute", "sql_fetchall"]
