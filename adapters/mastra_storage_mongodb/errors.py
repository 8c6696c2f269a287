"""PyMongo's exceptions as the project's typed, redacted errors: the adapter's one
error-translation module.

Every driver call of the storage domains goes through
:meth:`~.connection.MongoConnection.guard`, which uses :func:`translate_error` here; the
connection string never reaches a message (it is scrubbed with
:func:`~mastra_storage.redact.redact_text`).
"""

from __future__ import annotations

import re

from bson.errors import InvalidDocument
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    DocumentTooLarge,
    DuplicateKeyError,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)

from mastra_storage.errors import (
    BackendError,
    ConflictError,
    MastraStorageError,
    UnavailableError,
    ValidationError,
    storage_error_id,
)
from mastra_storage.redact import redact_text


class DocumentTooLargeError(ValidationError):
    """A document would exceed the server's BSON size limit (16 MiB on MongoDB).

    Raised *before* anything is written, so the stored version (e.g. the last good
    workflow snapshot) stays intact and the run can still be resumed from it.
    """


#: PyMongo appends ", Timeout: 30s, Topology Description: <...>" (hundreds of characters
#: of per-server state) to server-selection errors; the part before it says what failed.
_SELECTION_TAIL = re.compile(r",\s*Timeout:.*$", re.DOTALL)
#: ... and " (configured timeouts: socketTimeoutMS: ..., connectTimeoutMS: ...)" per server.
_CONFIGURED_TIMEOUTS = re.compile(r"\s*\(configured timeouts:[^)]*\)")
_MAX_REASON = 200


def short_reason(error: BaseException, secret_url: str | None) -> str:
    """The first line of a driver error without PyMongo's topology dump, scrubbed and at
    most 200 characters (an unreachable server is then a one-line message)."""
    text = redact_text(str(error), secret_url)
    text = _CONFIGURED_TIMEOUTS.sub("", _SELECTION_TAIL.sub("", text))
    text = " ".join(text.split())
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"


def chained_cause(exc: BaseException) -> BaseException | None:
    """What a translated error is chained to: the driver's exception, except for server
    selection, whose text is the topology dump the translated message leaves out."""
    return None if isinstance(exc, ServerSelectionTimeoutError) else exc


def translate_error(
    operation: str, exc: BaseException, *, display_url: str, secret_url: str | None
) -> MastraStorageError | None:
    """The typed error for a driver exception raised by ``operation``, or ``None`` when
    ``exc`` is not the driver's (the caller re-raises it unchanged).

    Duplicate keys are :class:`ConflictError`; oversized or unencodable documents
    :class:`ValidationError`; an unreachable server or a time limit
    :class:`UnavailableError`; any other server error :class:`BackendError` (with its
    code). ``secret_url`` is scrubbed from every message.
    """

    def scrub(error: BaseException) -> str:
        return redact_text(str(error), secret_url)

    def typed(cls: type[MastraStorageError], text: str, kind: str) -> MastraStorageError:
        return cls(f"{operation}: {text}", id=storage_error_id("MONGODB", operation, kind))

    if isinstance(exc, DuplicateKeyError):
        return typed(ConflictError, f"duplicate key: {scrub(exc)}", "DUPLICATE_KEY")
    if isinstance(exc, DocumentTooLarge):
        return typed(
            DocumentTooLargeError,
            f"a document exceeds MongoDB's size limit: {scrub(exc)}",
            "DOCUMENT_TOO_LARGE",
        )
    if isinstance(exc, (InvalidDocument, OverflowError)):
        return typed(
            ValidationError, f"value cannot be stored in MongoDB: {scrub(exc)}", "INVALID_DOCUMENT"
        )
    if isinstance(exc, (ServerSelectionTimeoutError, ConnectionFailure, AutoReconnect)):
        return typed(
            UnavailableError,
            f"MongoDB at {display_url} is unreachable: {short_reason(exc, secret_url)}",
            "UNAVAILABLE",
        )
    if not isinstance(exc, PyMongoError):
        return None
    if exc.timeout:  # a client-side (CSOT) or server-side (maxTimeMS) time limit
        return typed(
            UnavailableError,
            f"MongoDB at {display_url} did not answer in time: {scrub(exc)}",
            "TIMEOUT",
        )
    if isinstance(exc, OperationFailure):
        return BackendError(
            f"{operation}: MongoDB error {exc.code}: {scrub(exc)}",
            id=storage_error_id("MONGODB", operation, "FAILED"),
            details={"code": exc.code},
        )
    return typed(BackendError, scrub(exc), "FAILED")


__all__ = ["DocumentTooLargeError", "chained_cause", "short_reason", "translate_error"]
