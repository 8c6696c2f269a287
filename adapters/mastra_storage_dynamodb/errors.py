"""The one translation of DynamoDB (botocore) errors into this adapter's outcomes.

:func:`translate` maps an exception raised by an API call to what the rest of the adapter
handles: the two control-flow signals of optimistic writes (:class:`ConditionFailed`,
:class:`TransactionCancelled`, never shown to a caller) or a typed
:class:`~mastra_storage.errors.MastraStorageError`. Messages name the operation and
DynamoDB's error code, never request parameters, keys or credentials.
"""

from __future__ import annotations

from mastra_storage.errors import (
    BackendError,
    ConfigurationError,
    MastraStorageError,
    UnavailableError,
    ValidationError,
)


class ItemTooLargeError(ValidationError):
    """An item would exceed DynamoDB's 400 KB limit; nothing was written."""


class TransactionCancelled(Exception):
    """``TransactWriteItems`` was cancelled; ``reasons[i]`` is the code for action ``i``."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = reasons

    @property
    def condition_failed(self) -> list[int]:
        """Positions of the actions whose condition was false."""
        return [i for i, r in enumerate(self.reasons) if r == "ConditionalCheckFailed"]


class ConditionFailed(Exception):
    """A single-item write's ``ConditionExpression`` was false."""


#: Error codes that mean "not now" rather than "wrong request".
TRANSIENT_CODES = frozenset(
    {
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
    }
)


def error_code(exc: BaseException) -> str | None:
    """DynamoDB's error code of a botocore ``ClientError`` (``None`` for other errors)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def http_status(exc: BaseException) -> int:
    """The HTTP status of a botocore ``ClientError`` (0 when there is none)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if isinstance(status, int):
            return status
    return 0


def translate(
    exc: Exception, *, operation: str, table: str
) -> ConditionFailed | TransactionCancelled | MastraStorageError:
    """What to raise (``from exc``) for ``exc`` raised by API call ``operation`` on ``table``.

    * ``ConditionalCheckFailedException`` -> :class:`ConditionFailed`;
    * ``TransactionCanceledException`` -> :class:`TransactionCancelled` with the reasons;
    * a missing table -> ``ConfigurationError`` (``..._TABLE_NOT_FOUND``);
    * throttling, a 5xx, or a transport failure (no error code) -> ``UnavailableError``:
      the caller may retry later;
    * anything else -> ``BackendError`` (``..._REQUEST_FAILED``, with the code in details).
    """
    code = error_code(exc)
    if code == "ConditionalCheckFailedException":
        return ConditionFailed()
    if code == "TransactionCanceledException":
        response = getattr(exc, "response", {})
        return TransactionCancelled(
            [str(r.get("Code", "None")) for r in response.get("CancellationReasons", [])]
        )
    if code == "ResourceNotFoundException":
        return ConfigurationError(
            f"DynamoDB table {table!r} does not exist (create it with "
            "`await store.create_table()` or `mastra-storage dynamodb create-table`)",
            id="MASTRA_STORAGE_DYNAMODB_TABLE_NOT_FOUND",
            details={"table": table},
        )
    if code in TRANSIENT_CODES or http_status(exc) >= 500:
        # The service is overloaded or failing and botocore's retries ran out: the caller
        # may retry later, like after a lost connection.
        return UnavailableError(
            f"DynamoDB {operation} failed: {code or type(exc).__name__}: {exc}",
            id="MASTRA_STORAGE_DYNAMODB_UNAVAILABLE",
            details={"operation": operation, "code": code},
        )
    if code is None and not isinstance(exc, (ValueError, TypeError)):
        return UnavailableError(
            f"DynamoDB {operation} failed: {type(exc).__name__}: {exc}",
            id="MASTRA_STORAGE_DYNAMODB_UNAVAILABLE",
        )
    return BackendError(
        f"DynamoDB {operation} failed: {code or type(exc).__name__}: {exc}",
        id="MASTRA_STORAGE_DYNAMODB_REQUEST_FAILED",
        details={"operation": operation, "code": code},
    )


__all__ = [
    "TRANSIENT_CODES",
    "ConditionFailed",
    "ItemTooLargeError",
    "TransactionCancelled",
    "error_code",
    "http_status",
    "translate",
]
