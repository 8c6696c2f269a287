"""Driver errors as typed :class:`~mastra_storage.errors.MastraStorageError`, in one place.

Every module of the adapter that meets an asyncpg exception (a query, a pool, a missing
thread that ``save_messages`` reports through a failed cast) translates it here, so one
SQLSTATE always becomes the same error type and no message carries a secret.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from mastra_storage.drivers import import_driver
from mastra_storage.errors import (
    BackendError,
    ConflictError,
    MastraStorageError,
    NotFoundError,
    UnavailableError,
    storage_error_id,
)

if TYPE_CHECKING:
    from .connection import PgConnectOptions

_CONNECTION_SQLSTATE_CLASSES = ("08", "57")  # connection exception, operator intervention
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock

#: The prefix of the text ``save_messages`` casts to an integer to fail its statement when
#: a thread is missing; the thread id follows it in the driver's error message.
MISSING_THREAD_MARKER = "mastra_storage:missing_thread:"


def import_asyncpg() -> Any:
    """The driver, or :class:`MissingDependencyError` naming the extra."""
    return import_driver(
        "asyncpg",
        needs="PostgresStore needs the asyncpg driver",
        extra="postgres",
        error_id="MASTRA_STORAGE_PG_DRIVER_MISSING",
    )


def map_error(exc: BaseException, operation: str, options: PgConnectOptions | None) -> Exception:
    """A driver exception as a typed :class:`MastraStorageError` (secrets redacted)."""
    if isinstance(exc, MastraStorageError):
        return exc
    asyncpg = import_asyncpg()
    message = str(exc) or type(exc).__name__
    if options is not None:
        message = options.redact(message)
    where = f" ({options.display})" if options is not None and operation == "connect" else ""
    sqlstate = getattr(exc, "sqlstate", None) or ""

    def typed(cls: type[MastraStorageError], text: str, kind: str) -> MastraStorageError:
        return cls(
            f"PostgresStore {operation}{text}",
            id=storage_error_id("PG", operation, kind),
            details={"sqlstate": sqlstate or None},
        )

    if (
        isinstance(
            exc,
            (
                asyncpg.exceptions.ConnectionDoesNotExistError,
                asyncpg.exceptions.InterfaceError,
                ConnectionError,
                OSError,
                asyncio.TimeoutError,
            ),
        )
        or sqlstate[:2] in _CONNECTION_SQLSTATE_CLASSES
    ):
        if sqlstate == "57014":  # query_canceled (statement_timeout): not a lost connection
            return typed(BackendError, f": {message}", "TIMEOUT")
        return typed(UnavailableError, f": database unavailable{where}: {message}", "UNAVAILABLE")
    if sqlstate == "23505":
        return typed(ConflictError, f": {message}", "CONFLICT")
    if sqlstate in _RETRYABLE_SQLSTATES:
        return typed(
            UnavailableError, f": transaction aborted by the server ({message}); retry", "RETRY"
        )
    return typed(BackendError, f" failed: {message}", "FAILED")


def missing_thread_error(exc: BaseException, operation: str) -> NotFoundError | None:
    """The :class:`NotFoundError` a statement signalled by casting
    :data:`MISSING_THREAD_MARKER` plus a thread id to an integer, or ``None`` when ``exc``
    (or the driver error it wraps) is not that signal."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    if not isinstance(cause, import_asyncpg().exceptions.InvalidTextRepresentationError):
        return None
    text = str(cause)
    start = text.find(MISSING_THREAD_MARKER)
    if start < 0:
        return None
    return thread_not_found(text[start + len(MISSING_THREAD_MARKER) :].rstrip('"'), operation)


def thread_not_found(thread_id: str, operation: str) -> NotFoundError:
    """The error of a write to a thread that does not exist (nothing was written)."""
    return NotFoundError(
        f"Thread {thread_id} not found",
        id=f"MASTRA_STORAGE_{operation}_THREAD_NOT_FOUND",
        details={"thread_id": thread_id},
    )


__all__ = [
    "MISSING_THREAD_MARKER",
    "import_asyncpg",
    "map_error",
    "missing_thread_error",
    "thread_not_found",
]
