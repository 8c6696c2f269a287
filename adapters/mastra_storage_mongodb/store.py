"""``MongoDBStore``: every domain in one MongoDB database, through PyMongo's async API.

Data layout: ``@mastra/mongodb`` 1.19.0's (``docs/mongodb-layout.md``), so a Mastra app
and a Python service can share the database. Multi-document writes run in a transaction
when the deployment supports it (replica set or ``mongos``), otherwise in an order that
never leaves a message without its thread (:mod:`.connection`).
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import unquote

from pymongo import AsyncMongoClient
from pymongo.driver_info import DriverInfo
from pymongo.errors import ConfigurationError as PyMongoConfigurationError

from mastra_storage.composite import DoctorCheck, DoctorReport, InitMode, MastraStorage
from mastra_storage.domains import MemoryStore, ObservabilityStore, ScoresStore, WorkflowsStore
from mastra_storage.domains.blobs import BlobsStore
from mastra_storage.domains.datasets import DatasetsStore
from mastra_storage.domains.editor import editor_stores
from mastra_storage.domains.experiments import ExperimentsStore
from mastra_storage.errors import ConfigurationError, MastraStorageError
from mastra_storage.lifecycle import (
    DEFAULT_CLOSE_TIMEOUT_S,
    DEFAULT_CONNECT_TIMEOUT_S,
    DEFAULT_INIT_TIMEOUT_S,
    DEFAULT_OPERATION_TIMEOUT_S,
    check_timeout,
)
from mastra_storage.redact import protect_logs, redact_text, redact_url, url_secrets
from mastra_storage.retention import RetentionPolicy

from .connection import DEFAULT_MAX_BSON_SIZE, CommandLog, Document, MongoConnection
from .editor import MongoEditorBackend
from .errors import DocumentTooLargeError
from .evals import MongoBlobsBackend, MongoDatasetsBackend, MongoExperimentsBackend
from .memory import MongoMemoryBackend
from .observability import MongoObservabilityBackend
from .schema import (
    ALL_INDEXES,
    IndexSpec,
    custom_index_specs,
    ensure_indexes,
    missing_indexes,
    ttl_index_specs,
)
from .scores import MongoScoresBackend
from .workflows import MongoWorkflowsBackend

SCHEMES = ("mongodb://", "mongodb+srv://")
#: How long ``doctor`` waits for the server before reporting it unreachable.
DOCTOR_CONNECT_TIMEOUT_S = 5.0
#: How long finding a usable server may take before an operation fails as unreachable.
DEFAULT_SERVER_SELECTION_TIMEOUT_S = 5.0
_EMPTY_URL = (
    "MongoDBStore: url must be provided and cannot be empty. Passing an empty string may "
    "cause fallback to local MongoDB defaults."
)
_EMPTY_DB = (
    "MongoDBStore: dbName must be provided and cannot be empty. Passing an empty string may "
    "cause fallback to local MongoDB defaults."
)


def _driver_info() -> DriverInfo:
    try:
        own = version("mastra-storage")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        own = "0.0.0"
    info: DriverInfo = DriverInfo(name="mastra-storage", version=own)
    return info


def database_from_url(url: str) -> str | None:
    """The database named in a ``mongodb://`` / ``mongodb+srv://`` URL's path, if any."""
    rest = url.split("://", 1)[1] if "://" in url else url
    # The hosts start after the last '@': an unencoded '/' in the password is not the path.
    rest = rest.rpartition("@")[2]
    _, slash, tail = rest.partition("/")
    if not slash:
        return None
    name = unquote(tail.split("?", 1)[0])
    return name or None


#: Characters MongoDB forbids in database names (on any platform), plus whitespace.
_DB_NAME_FORBIDDEN = frozenset('/\\. "$*<>:|?\x00')
_MAX_DB_NAME_BYTES = 63


def _check_db_name(db_name: Any) -> str:
    """Reject names the server would refuse (or could read as a path) before connecting."""
    if not isinstance(db_name, str) or not db_name.strip():
        raise ConfigurationError(_EMPTY_DB, id="MASTRA_STORAGE_MONGODB_CONSTRUCTOR_FAILED")
    if len(db_name.encode("utf-8", "surrogatepass")) > _MAX_DB_NAME_BYTES or any(
        ch in _DB_NAME_FORBIDDEN or not ch.isprintable() for ch in db_name
    ):
        raise ConfigurationError(
            f"MongoDBStore: invalid db_name {db_name!r}: at most {_MAX_DB_NAME_BYTES} bytes, "
            'without spaces, control characters or any of / \\ . " $ * < > : | ?',
            id="MASTRA_STORAGE_MONGODB_CONSTRUCTOR_FAILED",
        )
    return db_name


def _check_url(uri: str) -> str:
    if not isinstance(uri, str) or not uri.strip():
        raise ConfigurationError(_EMPTY_URL, id="MASTRA_STORAGE_MONGODB_CONSTRUCTOR_FAILED")
    text = uri.strip()
    if not text.lower().startswith(SCHEMES):
        raise ConfigurationError(
            f"MongoDBStore: expected a mongodb:// or mongodb+srv:// URL, got {redact_url(text)!r}",
            id="MASTRA_STORAGE_MONGODB_CONSTRUCTOR_FAILED",
        )
    return text


class MongoDBStore(MastraStorage):
    """Memory, workflows, scores and observability in a MongoDB database.

    Give ``uri`` (``url`` is a deprecated alias) and ``db_name``, plus client ``options``
    (``retryWrites``, ``maxPoolSize``, ``serverSelectionTimeoutMS``, ``socketTimeoutMS``,
    ...); or an existing ``client`` (an ``AsyncMongoClient``, which the store then does not
    close). ``transactions=None`` detects transaction support; ``False`` forces the
    ordered non-transactional path. The connection opens on the first operation.

    Time bounds (seconds, ``docs/decisions.md`` "Timeouts and closing"): ``operation_timeout``
    (default 30, ``None``: none) is the overall deadline of one call, retries included;
    ``init_timeout`` (300) that of ``init()``; ``connect_timeout`` (10) of opening a
    connection (``connectTimeoutMS``); ``server_selection_timeout`` (5) of finding a
    usable server (``serverSelectionTimeoutMS``; ``None``: PyMongo's 30 s), each unless
    the URI or ``options`` set it;
    ``close_timeout`` (5) of ``close()``. A call past its deadline raises
    ``UnavailableError``.

    Indexes (``init()``, ``docs/mongodb-layout.md``): ``skip_default_indexes=True`` leaves
    out Mastra's default indexes; ``indexes`` adds custom ones (Mastra's shape:
    ``[{"collection", "keys": {field: 1 | -1}, "options": {...}}]``, validated here, a
    ``ConfigurationError`` otherwise); ``retention`` (a
    :class:`~mastra_storage.retention.RetentionPolicy`) adds TTL indexes, so MongoDB
    expires old messages, workflow runs and spans itself (threads still need ``prune``).
    """

    name: str = "MongoDBStore"
    binds_event_loop = True
    max_record_bytes: int | None = DEFAULT_MAX_BSON_SIZE

    def __init__(
        self,
        uri: str | None = None,
        *,
        db_name: str | None = None,
        url: str | None = None,
        options: Mapping[str, Any] | None = None,
        client: AsyncMongoClient[Document] | None = None,
        id: str = "mongodb",
        disable_init: bool = False,
        init_mode: InitMode = "migrate",
        transactions: bool | None = None,
        operation_timeout: float | None = DEFAULT_OPERATION_TIMEOUT_S,
        init_timeout: float | None = DEFAULT_INIT_TIMEOUT_S,
        connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT_S,
        server_selection_timeout: float | None = DEFAULT_SERVER_SELECTION_TIMEOUT_S,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT_S,
        skip_default_indexes: bool = False,
        indexes: Sequence[Mapping[str, Any]] | None = None,
        retention: RetentionPolicy | None = None,
    ) -> None:
        super().__init__(id=id, disable_init=disable_init, init_mode=init_mode)
        self.operation_timeout = check_timeout(self.name, "operation_timeout", operation_timeout)
        self.init_timeout = check_timeout(self.name, "init_timeout", init_timeout)
        self.close_timeout = float(
            check_timeout(self.name, "close_timeout", close_timeout, optional=False) or 0
        )
        connect_timeout = check_timeout(self.name, "connect_timeout", connect_timeout)
        if retention is not None and not isinstance(retention, RetentionPolicy):
            raise ConfigurationError(
                "MongoDBStore: retention must be a RetentionPolicy",
                id="MASTRA_STORAGE_MONGODB_CONSTRUCTOR_FAILED",
            )
        #: What init() creates: Mastra's defaults (unless skipped), custom, then TTL indexes.
        self.index_specs: tuple[IndexSpec, ...] = (
            *(() if skip_default_indexes else ALL_INDEXES),
            *(custom_index_specs(indexes) if indexes is not None else ()),
            *(ttl_index_specs(retention) if retention is not None else ()),
        )
        server_selection_timeout = check_timeout(
            self.name, "server_selection_timeout", server_selection_timeout
        )
        if url is not None:
            warnings.warn(
                "MongoDBStore: 'url' is deprecated, use 'uri' instead",
                DeprecationWarning,
                stacklevel=2,
            )
        connection_string = uri if uri is not None else url
        db_name = _check_db_name(db_name)
        if client is not None:
            if connection_string is not None or options:
                raise ConfigurationError(
                    "MongoDBStore: pass either a client or a uri (with options), not both",
                    id="MASTRA_STORAGE_MONGODB_CONSTRUCTOR_FAILED",
                )
            self.url = "<injected client>"
            self._conn = MongoConnection(
                client,
                db_name,
                owns_client=False,
                transactions=transactions,
                display_url=self.url,
            )
        else:
            if connection_string is None:
                raise ConfigurationError(
                    'MongoDBStore requires a connection string. Provide "uri" (recommended) '
                    'or "url" in the constructor options.',
                    id="MASTRA_STORAGE_MONGODB_CONSTRUCTOR_MISSING_URI",
                    details={"db_name": db_name},
                )
            text = _check_url(connection_string)
            self.url = redact_url(text)
            # pymongo's DEBUG logs must not show the password (from the URL or options).
            protect_logs(self, [*url_secrets(text), (options or {}).get("password")])
            client_options = dict(options or {})
            given = {key.lower() for key in client_options}
            if (
                connect_timeout is not None
                and "connecttimeoutms" not in given
                and "connecttimeoutms=" not in text.lower()
            ):
                client_options["connectTimeoutMS"] = int(connect_timeout * 1000)
            if (
                server_selection_timeout is not None
                and "serverselectiontimeoutms" not in given
                and "serverselectiontimeoutms=" not in text.lower()
            ):
                # PyMongo waits 30 s for a usable server by default: an unreachable server
                # took ~36 s to report through init. A few seconds say the same sooner.
                client_options["serverSelectionTimeoutMS"] = int(server_selection_timeout * 1000)
            # The library's command and schema logs (an injected client has only its own).
            listeners = list(client_options.pop("event_listeners", None) or ())
            client_options["event_listeners"] = [*listeners, CommandLog()]
            try:
                new_client: AsyncMongoClient[Document] = AsyncMongoClient(
                    text, **client_options, driver=_driver_info()
                )
            except (PyMongoConfigurationError, TypeError, ValueError) as exc:
                raise ConfigurationError(
                    f"MongoDBStore: invalid connection settings: {redact_text(str(exc), text)}",
                    id="MASTRA_STORAGE_MONGODB_CONSTRUCTOR_FAILED",
                ) from None
            self._conn = MongoConnection(
                new_client,
                db_name,
                owns_client=True,
                transactions=transactions,
                display_url=self.url,
                secret_url=text,
            )
        self.db_name = db_name
        self.stores = {
            "memory": MemoryStore(MongoMemoryBackend(self._conn)),
            "workflows": WorkflowsStore(MongoWorkflowsBackend(self._conn)),
            "scores": ScoresStore(MongoScoresBackend(self._conn)),
            "observability": ObservabilityStore(MongoObservabilityBackend(self._conn)),
            **editor_stores(lambda domain: MongoEditorBackend(self._conn, domain)),
            "datasets": DatasetsStore(MongoDatasetsBackend(self._conn)),
            "experiments": ExperimentsStore(MongoExperimentsBackend(self._conn)),
            "blobs": BlobsStore(MongoBlobsBackend(self._conn)),
        }

    @classmethod
    def from_url(cls, url: str, **options: Any) -> MongoDBStore:
        """Build a store from a URL; the database is the URL's path (``/mydb``) unless
        ``db_name`` is given. Other keyword arguments go to the constructor."""
        text = _check_url(url)
        db_name = options.pop("db_name", None) or database_from_url(text)
        if not db_name:
            raise ConfigurationError(
                f"MongoDBStore: the URL {redact_url(text)!r} names no database; add it as "
                "the path (mongodb://host/mydb) or pass db_name",
                id="MASTRA_STORAGE_MONGODB_CONSTRUCTOR_FAILED",
            )
        return cls(text, db_name=db_name, **options)

    @property
    def connection(self) -> MongoConnection:
        return self._conn

    @property
    def uses_transactions(self) -> bool | None:
        """Whether multi-document writes run in transactions (``None`` before connecting)."""
        return self._conn.uses_transactions

    async def _initialize(self) -> None:
        await self._conn.probe()
        await ensure_indexes(self._conn, self.index_specs)

    async def close(self) -> None:
        """Close the client (unless it was injected)."""
        await self._conn.close()

    async def doctor(self) -> DoctorReport:
        """Connectivity, server version, transactions and missing default indexes."""
        report = DoctorReport(store=self.name, checks=[])
        checks = report.checks
        try:
            # A health check should answer quickly: don't wait out the driver's 30 s
            # server selection when nothing listens.
            transactions = await asyncio.wait_for(self._conn.probe(), DOCTOR_CONNECT_TIMEOUT_S)
            server_version = await self._conn.server_version()
            missing = await missing_indexes(self._conn, self.index_specs)
        except MastraStorageError as exc:
            checks.append(DoctorCheck(name="connectivity", ok=False, detail=str(exc)))
            return report
        except asyncio.TimeoutError:  # an alias of TimeoutError from Python 3.11
            checks.append(
                DoctorCheck(
                    name="connectivity",
                    ok=False,
                    detail=f"{self.url}: no answer within {DOCTOR_CONNECT_TIMEOUT_S:g} s",
                )
            )
            return report
        checks.append(
            DoctorCheck(
                name="connectivity",
                ok=True,
                detail=f"{self.url} db={self.db_name} (server {server_version})",
            )
        )
        checks.append(
            DoctorCheck(
                name="transactions",
                ok=True,
                detail="multi-document transactions"
                if transactions
                else "no transactions (standalone server): ordered writes",
            )
        )
        detail = "missing: " + ", ".join(missing) if missing else "all present"
        checks.append(DoctorCheck(name="indexes", ok=not missing, detail=detail))
        return report

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, url={self.url!r}, db={self.db_name!r})"


__all__ = ["DocumentTooLargeError", "MongoDBStore", "database_from_url"]
