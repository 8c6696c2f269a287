"""Run an async worker in several OS processes at once, each with its own store.

Tests of cross-process behaviour (concurrent ``init()``, writers in several processes, a
compare-and-set that must hold between processes) need real processes: asyncio tasks in
one process share a connection pool and Python-level locks, and hide the races that two
application servers on one database hit. :func:`run_in_processes` starts ``count`` fresh
interpreters (``python -c``: no inherited sockets or event loop, and unlike
``multiprocessing``'s spawn it never re-imports the caller's ``__main__``). Each one builds
a store with ``opener``, optionally initialises it, waits until every process is ready (a
barrier kept by the parent), runs ``worker(storage, index, *args)`` and closes the store.
Results and errors come back in process order::

    async def append(storage: MastraStorage, index: int, thread_id: str) -> int:
        memory = await storage.require_store("memory")
        ...
        return count

    results = await run_in_processes(opener, append, 3, args=("t1",))
    counts = values(results)              # raises ProcessWorkerError if one failed

``opener``, ``worker``, ``args`` and the return value cross the process boundary by
pickling: the opener is typically ``functools.partial(StoreClass, url, **options)`` and the
worker a module-level function (lambdas and nested functions cannot be pickled). The
children get the parent's ``sys.path``, so a worker defined in a test module works.
Errors come back as text (type name, traceback), because exception classes with
keyword-only constructor arguments do not survive unpickling.
"""

from __future__ import annotations

import asyncio
import base64
import json
import pickle
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..composite import MastraStorage

T = TypeVar("T")

_READY = b"MASTRA-STORAGE-PROCESS READY"
_RESULT = b"MASTRA-STORAGE-PROCESS RESULT "
_ENTRY = "from mastra_storage.testing.processes import _child_entry; _child_entry()"


@dataclass(frozen=True)
class ProcessResult(Generic[T]):
    """What one worker process returned, or how it failed."""

    index: int
    value: T | None = None
    #: Qualified name of the exception's class (``""`` when the worker succeeded).
    error_type: str = ""
    #: The formatted traceback from the worker process (or its stderr if it crashed).
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error_type


class ProcessWorkerError(AssertionError):
    """At least one worker process failed; the message holds every failure's traceback."""

    def __init__(self, failures: Sequence[ProcessResult[Any]]) -> None:
        self.failures = list(failures)
        lines = [f"{len(self.failures)} worker process(es) failed:"]
        for failure in self.failures:
            lines.append(f"--- process {failure.index}: {failure.error_type}\n{failure.error}")
        super().__init__("\n".join(lines))


def values(results: Sequence[ProcessResult[T]]) -> list[T]:
    """Every worker's return value in process order; raises :class:`ProcessWorkerError`
    if any worker failed."""
    failures = [r for r in results if not r.ok]
    if failures:
        raise ProcessWorkerError(failures)
    return [r.value for r in results]  # type: ignore[misc]


async def run_in_processes(
    opener: Callable[[], MastraStorage],
    worker: Callable[..., Awaitable[T]],
    count: int,
    *,
    args: Sequence[Any] = (),
    init: bool = True,
    timeout: float = 60.0,
) -> list[ProcessResult[T]]:
    """Run ``worker(storage, index, *args)`` in ``count`` processes started together.

    Each process calls ``opener()``; with ``init=True`` it also awaits ``storage.init()``
    before the barrier (so the workers start their real work at the same moment), with
    ``init=False`` the worker gets an uninitialised store (to race ``init()`` itself). The
    store is closed after the worker returns. A worker's failure never raises here: each
    :class:`ProcessResult` says what happened (:func:`values` raises). Processes still
    running after ``timeout`` seconds are killed and reported as failed.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    payload = pickle.dumps((opener, worker, tuple(args), init))
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _ENTRY,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(count)
    ]
    children = [_Child(index, process) for index, process in enumerate(processes)]
    try:
        for child in children:
            child.send(json.dumps({"sys_path": sys.path, "index": child.index}).encode())
            child.send(base64.b64encode(payload))
        results: list[ProcessResult[T]] = await asyncio.wait_for(_collect(children), timeout)
    except asyncio.TimeoutError:
        results = [child.timed_out(timeout) for child in children]
    finally:
        for child in children:
            await child.reap()
    return results


async def _collect(children: Sequence[_Child]) -> list[ProcessResult[Any]]:
    """The barrier (every child ready, then all released at once) and the results."""
    ready = await asyncio.gather(*(child.wait_ready() for child in children))
    release = b"go" if all(ready) else b"abort"  # one never got ready: the others stop
    for child in children:
        child.send(release)
    return list(await asyncio.gather(*(child.finish() for child in children)))


class _Child:
    """The parent's handle on one worker process: the line protocol and clean-up."""

    def __init__(self, index: int, process: asyncio.subprocess.Process) -> None:
        self.index = index
        self.process = process
        #: Output read while waiting for READY (a child that failed before the barrier).
        self.early = b""

    def send(self, line: bytes) -> None:
        stdin = self.process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.write(line + b"\n")

    async def wait_ready(self) -> bool:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            if line.rstrip(b"\n") == _READY:
                return True
            self.early += line
        return False

    async def finish(self) -> ProcessResult[Any]:
        assert self.process.stdout is not None and self.process.stderr is not None
        stdout, stderr = await asyncio.gather(
            self.process.stdout.read(), self.process.stderr.read()
        )
        await self.process.wait()
        for line in (self.early + stdout).splitlines():
            if line.startswith(_RESULT):
                ok, value, error_type, error = pickle.loads(base64.b64decode(line[len(_RESULT) :]))
                if ok:
                    return ProcessResult(self.index, value=value)
                return ProcessResult(self.index, error_type=error_type, error=error)
        return ProcessResult(
            self.index,
            error_type="ProcessDidNotReport",
            error=f"exit code {self.process.returncode}; stderr:\n"
            + stderr.decode(errors="replace"),
        )

    def timed_out(self, timeout: float) -> ProcessResult[Any]:
        return ProcessResult(
            self.index, error_type="TimeoutError", error=f"still running after {timeout} s"
        )

    async def reap(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()


# --------------------------------------------------------------------------- child side


def _child_entry() -> None:
    """The body of one worker process (``python -c``): read the job from stdin, run it,
    write the result to stdout as one marked line."""
    header = json.loads(sys.stdin.buffer.readline())
    sys.path[:] = header["sys_path"]
    index: int = header["index"]
    try:
        opener, worker, args, init = pickle.loads(base64.b64decode(sys.stdin.buffer.readline()))
        value = asyncio.run(_child_main(opener, worker, index, args, init))
        report: tuple[bool, Any, str, str] = (True, value, "", "")
    except BaseException as exc:
        name = f"{type(exc).__module__}.{type(exc).__qualname__}"
        report = (False, None, name, "".join(traceback.format_exception(exc)))
    try:
        encoded = base64.b64encode(pickle.dumps(report))
    except Exception as exc:
        failure = (False, None, "pickle.PicklingError", f"result not picklable: {exc!r}")
        encoded = base64.b64encode(pickle.dumps(failure))
    sys.stdout.buffer.write(b"\n" + _RESULT + encoded + b"\n")
    sys.stdout.buffer.flush()


async def _child_main(
    opener: Callable[[], MastraStorage],
    worker: Callable[..., Awaitable[Any]],
    index: int,
    args: tuple[Any, ...],
    init: bool,
) -> Any:
    storage = opener()
    try:
        if init:
            await storage.init()
        sys.stdout.buffer.write(b"\n" + _READY + b"\n")
        sys.stdout.buffer.flush()
        signal = await asyncio.to_thread(sys.stdin.buffer.readline)
        if signal.strip() != b"go":
            raise RuntimeError("another worker process failed before the start barrier")
        return await worker(storage, index, *args)
    finally:
        await storage.close()


__all__ = ["ProcessResult", "ProcessWorkerError", "run_in_processes", "values"]
