"""``LibSQLStore``: every domain in one SQLite file, an in-memory database, or on a server.

Local: ``file:`` / ``sqlite:`` URLs and ``:memory:``. Remote (sqld, Turso): ``libsql://``,
``https://``, ``http://``, ``wss://``, ``ws://`` (also spelled ``libsql+https://`` etc.,
which is what ``mastra_storage.connect`` routes here), with ``auth_token`` or an
``?authToken=`` query parameter; see ``docs/libsql-remote.md``.

Data layout: exactly ``@mastra/libsql`` 1.23.1's (``docs/mastra-libsql-layout.md``), so a
Mastra app and a Python service can share the file. Concurrency model: see
:mod:`mastra_storage_libsql.connection`.
"""

from __future__ import annotations

import os
import urllib.parse
from typing import Any
from urllib.parse import unquote

from mastra_storage.composite import DoctorCheck, DoctorReport, InitMode, MastraStorage
from mastra_storage.domains import MemoryStore, ObservabilityStore, ScoresStore, WorkflowsStore
from mastra_storage.domains.blobs import BlobsStore
from mastra_storage.domains.datasets import DatasetsStore
from mastra_storage.domains.editor import editor_stores
from mastra_storage.domains.experiments import ExperimentsStore
from mastra_storage.domains.favorites import FavoritesStore
from mastra_storage.errors import ConfigurationError, MastraStorageError
from mastra_storage.lifecycle import (
    DEFAULT_CLOSE_TIMEOUT_S,
    DEFAULT_INIT_TIMEOUT_S,
    DEFAULT_OPERATION_TIMEOUT_S,
    check_timeout,
)
from mastra_storage.redact import protect_logs, redact_text, redact_url

from .connection import DatabaseTarget, LibSQLDatabase
from .editor import LibSQLEditorBackend
from .evals import LibSQLBlobsBackend, LibSQLDatasetsBackend, LibSQLExperimentsBackend
from .favorites import LibSQLFavoritesBackend
from .hrana import DEFAULT_TIMEOUT_S
from .memory import LibSQLMemoryBackend
from .observability import LibSQLObservabilityBackend
from .schema import (
    SCHEMA_VERSION,
    ddl_statements,
    ensure_schema,
    inspect_schema,
    render_script,
)
from .scores import LibSQLScoresBackend
from .tx import Tx
from .workflows import LibSQLWorkflowsBackend

_REMOTE_SCHEMES = ("libsql", "http", "https", "ws", "wss")
#: How each remote scheme reaches the server: Hrana over HTTP(S) on the same host and port
#: (sqld and Turso serve HTTP and WebSocket on one port; ``libsql:`` means TLS unless
#: ``?tls=0``, as in Mastra's ``@libsql/client``).
_HTTP_SCHEME = {"http": "http", "https": "https", "ws": "http", "wss": "https", "libsql": "https"}
_TOKEN_PARAMS = ("authToken", "auth_token")


def parse_url(url: str) -> DatabaseTarget:
    """Resolve a store URL to a database target.

    Accepted: ``file:path``, ``file://path`` (relative) and ``file:///abs/path``,
    ``sqlite:///relative/path`` and ``sqlite:////abs/path`` (SQLAlchemy style), ``:memory:``
    and ``file::memory:`` (also ``sqlite://`` / ``sqlite:///:memory:``), or a bare path.
    Remote: ``libsql://host``, ``http(s)://host[:port]``, ``ws(s)://host[:port]``, each
    also with a ``libsql+`` prefix (see :func:`remote_target`).
    """
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(
            "LibSQLStore: url must be a non-empty string", id="MASTRA_STORAGE_LIBSQL_INVALID_URL"
        )
    text = url.strip()
    display = redact_url(text)
    scheme, sep, rest = text.partition(":")
    scheme = scheme.lower() if sep else ""
    if scheme.startswith("libsql+") or scheme in _REMOTE_SCHEMES:
        return remote_target(text)
    if text == ":memory:":
        return DatabaseTarget(path=":memory:", memory=True, display=":memory:")
    if scheme == "file":
        path = rest
        if path.startswith("//"):
            path = path[2:]  # file:///abs -> /abs ; file://rel -> rel
            if path.startswith("localhost/"):
                path = path[len("localhost") :]
    elif scheme == "sqlite":
        if not rest.startswith("//"):
            raise ConfigurationError(
                f"LibSQLStore: expected 'sqlite:///path', got {display!r}",
                id="MASTRA_STORAGE_LIBSQL_INVALID_URL",
            )
        path = rest[3:] if rest.startswith("///") else rest[2:]
        if path in ("", ":memory:"):
            return DatabaseTarget(path=":memory:", memory=True, display=display)
    elif not sep or (len(scheme) == 1 and os.name == "nt"):
        path = text  # a bare path (or a Windows drive path)
    else:
        raise ConfigurationError(
            f"LibSQLStore: unsupported URL scheme '{scheme}:' in {display!r}; use 'file:path'",
            id="MASTRA_STORAGE_LIBSQL_INVALID_URL",
        )
    if path.startswith(":memory:"):  # file::memory: and file::memory:?cache=shared
        return DatabaseTarget(path=":memory:", memory=True, display=display)
    if "?" in path:
        raise ConfigurationError(
            f"LibSQLStore: URL query parameters are not supported ({display!r})",
            id="MASTRA_STORAGE_LIBSQL_INVALID_URL",
        )
    path = unquote(path)
    if not path:
        raise ConfigurationError(
            f"LibSQLStore: the URL {display!r} names no file",
            id="MASTRA_STORAGE_LIBSQL_INVALID_URL",
        )
    return DatabaseTarget(
        path=os.path.abspath(os.path.expanduser(path)), memory=False, display=display
    )


def remote_target(url: str) -> DatabaseTarget:
    """The target of a remote URL: its ``http(s)://`` base, without credentials.

    ``libsql://h`` -> ``https://h`` (``?tls=0`` -> ``http://h``), ``wss://h`` ->
    ``https://h``, ``ws://h`` -> ``http://h``; ``libsql+<scheme>://`` = ``<scheme>://``.
    The only query parameters understood are ``authToken`` (see :func:`url_auth_token`)
    and ``tls`` (``libsql:`` only); anything else is a :class:`ConfigurationError`.
    """
    display = redact_url(url)
    try:
        parts = urllib.parse.urlsplit(url)
        pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False)
        port = parts.port
        parsed = not parts.fragment
    except ValueError:
        parsed = False
    if not parsed:  # raised outside ``except``: the parser's message may quote the token
        raise ConfigurationError(
            f"LibSQLStore: malformed URL {display!r} (percent-encode '#', '&' or '?' in a "
            "token, or pass auth_token)",
            id="MASTRA_STORAGE_LIBSQL_INVALID_URL",
        )
    scheme = parts.scheme.lower().removeprefix("libsql+")
    if scheme not in _HTTP_SCHEME:
        raise ConfigurationError(
            f"LibSQLStore: unsupported remote scheme in {display!r}; use libsql://, "
            "https://, http://, wss:// or ws://",
            id="MASTRA_STORAGE_LIBSQL_INVALID_URL",
        )
    if not parts.hostname:
        raise ConfigurationError(
            f"LibSQLStore: the URL {display!r} names no host",
            id="MASTRA_STORAGE_LIBSQL_INVALID_URL",
        )
    if parts.username or parts.password:
        raise ConfigurationError(
            f"LibSQLStore: user:password in {display!r} is not supported; pass auth_token",
            id="MASTRA_STORAGE_LIBSQL_INVALID_URL",
        )
    http_scheme = _HTTP_SCHEME[scheme]
    for key, value in pairs:
        if key == "tls" and scheme == "libsql" and value in ("0", "1"):
            http_scheme = "http" if value == "0" else "https"
        elif key not in _TOKEN_PARAMS:
            # An unencoded '&' in a token makes its tail look like a parameter name.
            shown = redact_text(key, url)
            raise ConfigurationError(
                f"LibSQLStore: unsupported URL parameter {shown!r} (supported: authToken, tls)",
                id="MASTRA_STORAGE_LIBSQL_INVALID_URL",
                details={"parameter": shown},
            )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    base = f"{http_scheme}://{host}{f':{port}' if port else ''}{parts.path.rstrip('/')}"
    return DatabaseTarget(path=base, memory=False, display=display, remote=base)


def url_auth_token(url: str) -> str | None:
    """The ``authToken`` query parameter of a remote URL, if any."""
    try:
        pairs = urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)
    except ValueError:
        return None
    for key, value in pairs:
        if key in _TOKEN_PARAMS and value:
            return value
    return None


def _auth_token(url: str, given: Any) -> str | None:
    """The token to send: the ``auth_token`` option, else the URL's; validated, never shown."""
    from_url = url_auth_token(url)
    if given is None:
        token = from_url
    elif not isinstance(given, str):
        raise ConfigurationError(
            "LibSQLStore: auth_token must be a string",
            id="MASTRA_STORAGE_LIBSQL_INVALID_OPTION",
            details={"option": "auth_token"},
        )
    else:
        if from_url is not None and from_url != given:
            raise ConfigurationError(
                "LibSQLStore: auth_token and the URL's authToken differ; pass only one",
                id="MASTRA_STORAGE_LIBSQL_INVALID_OPTION",
                details={"option": "auth_token"},
            )
        token = given or None
    if token is not None and (not token.isprintable() or any(c.isspace() for c in token)):
        raise ConfigurationError(
            "LibSQLStore: auth_token contains whitespace or control characters",
            id="MASTRA_STORAGE_LIBSQL_INVALID_OPTION",
            details={"option": "auth_token"},
        )
    return token


def _positive_int(name: str, value: Any, *, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigurationError(
            f"LibSQLStore: {name} must be an integer >= {minimum}",
            id="MASTRA_STORAGE_LIBSQL_INVALID_OPTION",
            details={"option": name},
        )
    return value


def _positive_float(name: str, value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
        raise ConfigurationError(
            f"LibSQLStore: {name} must be a number > 0",
            id="MASTRA_STORAGE_LIBSQL_INVALID_OPTION",
            details={"option": name},
        )
    return float(value)


class _Unset:
    """Marks an option left at its default (which depends on local or remote)."""


_UNSET = _Unset()


class LibSQLStore(MastraStorage):
    """Memory, workflows, scores and observability in a SQLite/libSQL database.

    All database work runs on one dedicated thread per store (one connection, one writer);
    each backend call is one transaction. ``:memory:`` keeps a private database for the life
    of the store. With a remote URL (sqld, Turso) the thread speaks Hrana over HTTP and
    each write is one HTTP request (``auth_token``: the server's JWT; it is
    never shown in ``repr`` or errors; ``request_timeout_s``: how long one request may
    wait for the server before the call fails with ``UnavailableError``).

    ``operation_timeout`` (seconds; remote default 30, local default ``None``) is the
    overall deadline of one call, ``init_timeout`` (remote 300, local ``None``) that of
    ``init()``, and ``close_timeout`` (5) bounds ``close()``
    (``docs/decisions.md``, "Timeouts and closing").
    """

    name: str = "LibSQLStore"
    #: A cancelled call stops waiting for its worker thread at once (and interrupts a remote
    #: request: ``_on_call_abandoned``), so deadlines run in the caller's task.
    cancels_promptly = True

    def __init__(
        self,
        url: str = "file:mastra.db",
        *,
        id: str = "libsql",
        disable_init: bool = False,
        init_mode: InitMode = "migrate",
        busy_timeout_ms: int = 5000,
        max_retries: int = 5,
        initial_backoff_ms: int = 100,
        auth_token: str | None = None,
        request_timeout_s: float = DEFAULT_TIMEOUT_S,
        operation_timeout: float | _Unset | None = _UNSET,
        init_timeout: float | _Unset | None = _UNSET,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT_S,
    ) -> None:
        super().__init__(id=id, disable_init=disable_init, init_mode=init_mode)
        self.target = parse_url(url)
        if isinstance(operation_timeout, _Unset):
            # A remote server can stall; a local call is bounded by busy_timeout_ms.
            operation_timeout = (
                DEFAULT_OPERATION_TIMEOUT_S if self.target.remote is not None else None
            )
        self.operation_timeout = check_timeout(self.name, "operation_timeout", operation_timeout)
        if isinstance(init_timeout, _Unset):
            init_timeout = DEFAULT_INIT_TIMEOUT_S if self.target.remote is not None else None
        self.init_timeout = check_timeout(self.name, "init_timeout", init_timeout)
        self.close_timeout = float(
            check_timeout(self.name, "close_timeout", close_timeout, optional=False) or 0
        )
        self.url = self.target.display
        token = _auth_token(url, auth_token) if self.target.remote is not None else None
        protect_logs(self, [token])  # no driver or library may log it, at any level
        self._db = LibSQLDatabase(
            self.target,
            busy_timeout_ms=_positive_int("busy_timeout_ms", busy_timeout_ms),
            max_retries=_positive_int("max_retries", max_retries),
            initial_backoff_ms=_positive_int("initial_backoff_ms", initial_backoff_ms),
            auth_token=token,
            request_timeout_s=_positive_float("request_timeout_s", request_timeout_s),
        )
        # With init disabled (here, by the environment, or later by a read-only command)
        # opening the file creates nothing and leaves its journal mode alone.
        # init_mode="verify": never create the file or switch its journal mode either.
        self._db.may_change_file = lambda: self.init_enabled and self.init_mode != "verify"
        self.stores = {
            "memory": MemoryStore(LibSQLMemoryBackend(self._db)),
            "workflows": WorkflowsStore(LibSQLWorkflowsBackend(self._db)),
            "scores": ScoresStore(LibSQLScoresBackend(self._db)),
            "observability": ObservabilityStore(LibSQLObservabilityBackend(self._db)),
            **editor_stores(lambda domain: LibSQLEditorBackend(self._db, domain)),
            "favorites": FavoritesStore(LibSQLFavoritesBackend(self._db)),
            "datasets": DatasetsStore(LibSQLDatasetsBackend(self._db)),
            "experiments": ExperimentsStore(LibSQLExperimentsBackend(self._db)),
            "blobs": BlobsStore(LibSQLBlobsBackend(self._db)),
        }

    @classmethod
    def from_url(cls, url: str, **options: Any) -> LibSQLStore:
        """Build a store from a URL (what ``mastra_storage.connect`` calls)."""
        return cls(url, **options)

    @property
    def statements_executed(self) -> int:
        """SQL driver calls issued so far (a ``PRAGMA`` script counts as one)."""
        return self._db.statements_executed

    @property
    def round_trips(self) -> int:
        """HTTP requests sent to a remote server so far (0 for local databases)."""
        return self._db.round_trips

    @property
    def database(self) -> LibSQLDatabase:
        return self._db

    async def _initialize(self) -> None:
        self._db.may_change_file = lambda: True  # an explicit init() creates the file
        await ensure_schema(self._db)

    async def schema_ddl(self, *, fresh: bool = False) -> str | None:
        """The SQL that brings this database to the layout, read-only (a missing local file
        is not created); ``fresh``: the whole layout, as for an empty database."""
        if fresh or (self.target.remote is None and not self._db.file_exists()):
            return render_script(ddl_statements(None))
        return render_script(await self._db.inspect(ddl_statements))

    async def close(self) -> None:
        """Close the connection after the queued work and stop the worker thread."""
        await self._db.close()

    def _on_call_abandoned(self) -> None:
        # A remote request blocks the worker thread: unblock it (see HranaClient.interrupt).
        self._db.interrupt()

    def _abandon_connections(self) -> None:
        self._on_call_abandoned()

    async def doctor(self) -> DoctorReport:
        """Connectivity, schema version, missing tables/columns/indexes. Never writes:
        a missing file is reported (not created), and a store that has not opened its
        connection yet checks through a temporary connection without PRAGMAs."""
        report = DoctorReport(store=self.name, checks=[])
        checks = report.checks
        if not self._db.file_exists():
            checks.append(
                DoctorCheck(
                    name="connectivity",
                    ok=False,
                    detail=f"{self.target.display}: database file does not exist",
                )
            )
            return report
        try:
            findings, version_text = await self._db.inspect(_doctor_job)
        except MastraStorageError as exc:
            checks.append(DoctorCheck(name="connectivity", ok=False, detail=str(exc)))
            return report
        checks.append(
            DoctorCheck(
                name="connectivity",
                ok=True,
                detail=f"{self.target.display} (SQLite {version_text})",
            )
        )
        if findings.version is None:
            detail = "no version row: not initialised by mastra-storage (run init())"
        else:
            detail = f"version {findings.version} (library expects {SCHEMA_VERSION})"
        checks.append(
            DoctorCheck(
                name="schema_version",
                ok=findings.version is not None and findings.version >= SCHEMA_VERSION,
                detail=detail,
            )
        )
        for name, missing in (
            ("tables", findings.missing_tables),
            ("columns", findings.missing_columns),
            ("indexes", findings.missing_indexes),
        ):
            detail = "missing: " + ", ".join(missing) if missing else "all present"
            checks.append(DoctorCheck(name=name, ok=not missing, detail=detail))
        return report

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, url={self.url!r})"


def _doctor_job(tx: Tx) -> tuple[Any, str]:
    row = tx.fetchone("SELECT sqlite_version()")
    return inspect_schema(tx), str(row[0]) if row else "?"


__all__ = ["LibSQLStore", "parse_url", "remote_target", "url_auth_token"]
