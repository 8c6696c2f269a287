"""Driver errors of the libSQL adapter and their translation into typed storage errors.

Every error a driver raises inside a job (the local ``apsw``/``libsql`` driver, the Hrana
client of a remote server, the vector worker process) is wrapped in a :class:`DriverError`
on the worker thread; :func:`translate` turns it into the
:class:`~mastra_storage.errors.MastraStorageError` a caller sees. This module is the one
place that decides which driver text means "busy", "unavailable", "conflict"...; it
imports nothing else of the adapter, so every module may import it.
"""

from __future__ import annotations

from mastra_storage.errors import (
    BackendError,
    ConfigurationError,
    ConflictError,
    MastraStorageError,
    UnavailableError,
    ValidationError,
    storage_error_id,
)

STORE_NAME = "LIBSQL"
#: What the vector worker process reports when it is gone (see ``libsql_worker``).
WORKER_GONE = "libsql vector worker process"
#: HTTP statuses after which a server has not run the request: safe to retry the job.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})

_BUSY_MARKERS = ("database is locked", "database table is locked", "table is locked", "busy")
_UNAVAILABLE_MARKERS = (
    "unable to open",
    "cannot open",
    "failed to connect",
    "disk i/o error",
    "readonly database",
    "database or disk is full",
    "file is not a database",
    WORKER_GONE,
)


class HranaError(Exception):
    """An error reported by a remote server (a failed statement, a bad request, HTTP status).

    ``code`` is the server's code (``SQLITE_BUSY``, ``SQLITE_CONSTRAINT``...) or
    ``HTTP_<status>``; ``str()`` includes it, so busy/constraint detection works on remote
    errors exactly as on local ones.
    """

    def __init__(self, message: str, code: str | None = None, *, status: int | None = None):
        self.message = message
        self.code = code
        self.status = status
        super().__init__(f"{message} ({code})" if code else message)

    @property
    def is_auth(self) -> bool:
        return self.status in (401, 403)

    @property
    def is_retryable_status(self) -> bool:
        return self.status in RETRYABLE_STATUSES


class HranaTransportError(HranaError):
    """The server could not be reached, or its answer was not Hrana."""


class ValueTooLargeError(ValidationError):
    """A value is larger than a libSQL server accepts (``hrana.MAX_VALUE_BYTES``); raised
    before the statement is sent, so nothing of the job is committed."""


class DriverError(Exception):
    """A driver exception raised inside a job (kept apart from errors of Python code)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause

    @property
    def text(self) -> str:
        return str(self.cause)

    @property
    def is_busy(self) -> bool:
        """Worth retrying: a lock/busy error, or a server that said "not now" (HTTP 429/5xx)."""
        if isinstance(self.cause, HranaError) and self.cause.is_retryable_status:
            return True
        lowered = self.text.lower()
        return any(marker in lowered for marker in _BUSY_MARKERS)

    @property
    def is_auth(self) -> bool:
        return isinstance(self.cause, HranaError) and self.cause.is_auth

    @property
    def is_transport(self) -> bool:
        return isinstance(self.cause, HranaTransportError)

    @property
    def is_missing_table(self) -> bool:
        return "no such table" in self.text.lower()


def translate(
    operation: str, exc: DriverError, *, attempts: int, display: str
) -> MastraStorageError:
    """The typed error of a job that failed with ``exc`` after ``attempts`` retries.

    Credentials refused: :class:`ConfigurationError`; unreachable, still busy, or a file
    that cannot be used: :class:`UnavailableError`; a unique constraint:
    :class:`ConflictError`; NOT NULL/CHECK constraints: :class:`ValidationError`;
    anything else: :class:`BackendError`. ``display`` is the database as shown to users
    (secrets already redacted); the message never contains the auth token (server texts
    are scrubbed by the Hrana client).
    """
    text = exc.text
    lowered = text.lower()
    error_id = storage_error_id(STORE_NAME, operation, "failed")
    details: dict[str, str | int | float | bool | None] = {"operation": operation}
    if exc.is_auth:
        return ConfigurationError(
            f"{operation}: the libSQL server {display} rejected the credentials ({text})",
            id=error_id,
            details=details,
        )
    if exc.is_transport:
        return UnavailableError(
            f"{operation}: cannot reach {display} ({text})", id=error_id, details=details
        )
    if exc.is_busy:
        details["retries"] = attempts
        return UnavailableError(
            f"{operation}: database stayed busy after {attempts} retries ({text})",
            id=error_id,
            details=details,
        )
    if any(marker in lowered for marker in _UNAVAILABLE_MARKERS):
        return UnavailableError(
            f"{operation}: cannot use the database {display} ({text})",
            id=error_id,
            details=details,
        )
    if "unique constraint failed" in lowered:
        return ConflictError(f"{operation}: {text}", id=error_id, details=details)
    if "not null constraint failed" in lowered or "check constraint failed" in lowered:
        return ValidationError(f"{operation}: {text}", id=error_id, details=details)
    if exc.is_missing_table:
        return BackendError(
            f"{operation}: {text} (run `await store.init()` to create the tables)",
            id=error_id,
            details=details,
        )
    return BackendError(f"{operation}: {text}", id=error_id, details=details)


__all__ = [
    "RETRYABLE_STATUSES",
    "STORE_NAME",
    "WORKER_GONE",
    "DriverError",
    "HranaError",
    "HranaTransportError",
    "ValueTooLargeError",
    "translate",
]
