"""One typed error hierarchy for every store and adapter.

Callers catch by *kind* (``ValidationError``, ``NotFoundError``, ...), not by backend:
an adapter wraps its driver's exceptions into these classes, keeping the original
exception as ``__cause__``. Every error carries a stable upper-snake ``id`` in
Mastra's ``MASTRA_STORAGE_<STORE>_<OPERATION>_<STATUS>`` convention, the storage
``domain`` it came from, and a flat ``details`` mapping. Messages and details never
contain secrets: adapters redact connection strings before building an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

Category = Literal["USER", "SYSTEM", "THIRD_PARTY", "UNKNOWN"]

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def to_upper_snake(part: str) -> str:
    """``listMessagesById`` -> ``LIST_MESSAGES_BY_ID``; ``XMLParser`` -> ``XML_PARSER``."""
    spaced = _CAMEL_BOUNDARY.sub("_", part)
    return _NON_ALNUM.sub("_", spaced).strip("_").upper()


def storage_error_id(store: str, operation: str, status: str) -> str:
    """Build Mastra's error id, e.g. ``('LIBSQL', 'listMessages', 'failed')``."""
    parts = (to_upper_snake(store), to_upper_snake(operation), to_upper_snake(status))
    return "MASTRA_STORAGE_" + "_".join(p for p in parts if p)


class MastraStorageError(Exception):
    """Base class of every error raised by mastra-storage.

    ``id`` is stable and machine-readable; ``str(error)`` is for humans.
    """

    default_category: Category = "UNKNOWN"

    def __init__(
        self,
        message: str,
        *,
        id: str = "MASTRA_STORAGE_ERROR",
        domain: str = "STORAGE",
        category: Category | None = None,
        details: Mapping[str, str | int | float | bool | None] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.id = id
        self.domain = domain
        self.category: Category = category or self.default_category
        self.details: dict[str, str | int | float | bool | None] = dict(details or {})

    def to_json(self) -> dict[str, Any]:
        """The shape of Mastra's ``MastraError.toJSON()``."""
        cause = self.__cause__
        return {
            "message": self.message,
            "code": self.id,
            "category": self.category,
            "domain": self.domain,
            "details": dict(self.details),
            "cause": None
            if cause is None
            else {"name": type(cause).__name__, "message": str(cause)},
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, message={self.message!r})"


class ValidationError(MastraStorageError, ValueError):
    """The caller's input is invalid. Nothing was written."""

    default_category = "USER"


class NotFoundError(MastraStorageError, LookupError):
    """A record the operation needs does not exist."""

    default_category = "USER"


class ConflictError(MastraStorageError):
    """The write conflicts with stored state (duplicate id, stale version)."""

    default_category = "USER"


class KeyCollisionError(ConflictError):
    """The backend derives one storage key for two distinct ids (DynamoDB lower-cases key
    values, so ``Thread-1`` and ``thread-1`` share an item), and that key already holds the
    other id's record. Nothing was written; the message names only the id that was given."""


class VersionConflictError(ConflictError):
    """A version-checked write lost: the stored record is not at ``expected_version``
    (another writer got there first, or create-only found it existing). Nothing was
    written; ``details`` hold ``expected_version`` and ``actual_version``. Re-read and
    retry (:mod:`mastra_storage.retry`)."""


class UnavailableError(MastraStorageError, ConnectionError):
    """The backend cannot be reached, or stayed busy past the retry budget."""

    default_category: Category = "THIRD_PARTY"


class StoreClosedError(UnavailableError):
    """The store (or the store a domain belongs to) was closed: every call after
    ``close()`` raises this, nothing is sent. Create a new store to continue."""

    default_category = "USER"


class EventLoopMismatchError(MastraStorageError, RuntimeError):
    """A store whose connections belong to one asyncio event loop was called from another
    (typically a second ``asyncio.run``). Nothing was sent; create the store inside the
    loop that uses it (``docs/decisions.md``, "Timeouts and closing")."""

    default_category = "USER"


class BackendError(MastraStorageError):
    """The backend failed in a way the caller cannot fix by changing input."""

    default_category = "THIRD_PARTY"


class NotSupportedError(MastraStorageError, NotImplementedError):
    """The adapter does not implement this operation or domain."""

    default_category = "SYSTEM"


class ConfigurationError(MastraStorageError):
    """The store was configured wrongly (bad URL, missing option, missing extra)."""

    default_category = "USER"


class MissingDependencyError(ConfigurationError, ImportError):
    """An adapter's optional driver is not installed; the message names the extra."""


class SchemaMismatchError(ConfigurationError):
    """``init_mode="verify"``: the database lacks tables, columns or indexes the store needs,
    and the store may not create them. ``details["missing"]`` lists them (``; ``-separated);
    ``mastra-storage schema URL`` prints the DDL that adds them."""


__all__ = [
    "BackendError",
    "Category",
    "ConfigurationError",
    "ConflictError",
    "EventLoopMismatchError",
    "KeyCollisionError",
    "MastraStorageError",
    "MissingDependencyError",
    "NotFoundError",
    "NotSupportedError",
    "SchemaMismatchError",
    "StoreClosedError",
    "UnavailableError",
    "ValidationError",
    "VersionConflictError",
    "storage_error_id",
    "to_upper_snake",
]
