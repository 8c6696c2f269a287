"""What the datasets and experiments stores share when they take a caller's struct and
change a stored record: the type check, the fields an update sets, the atomic
read-modify-write with a fresh ``updated_at``, and the errors they raise.

One copy, so the two domains keep raising the same error ids for the same mistakes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

import msgspec

from ..errors import NotFoundError, ValidationError


class _Timestamped(Protocol):
    updated_at: datetime

    def replace(self, **changes: Any) -> Any: ...


R = TypeVar("R", bound=_Timestamped)


def invalid(message: str, operation: str, **details: Any) -> ValidationError:
    """The ``MASTRA_STORAGE_<OPERATION>_INVALID_ARGS`` error of a bad argument."""
    return ValidationError(
        message, id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS", details=details or None
    )


def expect(value: Any, kind: type, operation: str) -> None:
    """Raise :func:`invalid` unless ``value`` is a ``kind`` (the input struct a method
    takes): a dict or another struct would otherwise fail later, less clearly."""
    if not isinstance(value, kind):
        article = "an" if kind.__name__[:1] in "AEIOU" else "a"
        raise invalid(f"expected {article} {kind.__name__}, got {type(value).__name__}", operation)


def set_fields(update: msgspec.Struct) -> dict[str, Any]:
    """The fields an ``*Update`` struct sets: every one not left :data:`msgspec.UNSET`
    (``None`` is kept: it clears the field)."""
    return {
        f: getattr(update, f)
        for f in update.__struct_fields__
        if getattr(update, f) is not msgspec.UNSET
    }


def not_found(
    what: str, key: str, value: str, operation: str, *, suffix: str = ""
) -> NotFoundError:
    """``NotFoundError`` ``MASTRA_STORAGE_<OPERATION>[_<SUFFIX>]_NOT_FOUND`` naming the
    missing record (``what``) and its key."""
    tail = f"_{suffix}" if suffix else ""
    return NotFoundError(
        f"{what} {value} not found",
        id=f"MASTRA_STORAGE_{operation}{tail}_NOT_FOUND",
        details={key: value},
    )


async def modify_touched(
    modify: Callable[[str, Callable[[R], R]], Awaitable[R | None]],
    record_id: str,
    changes: dict[str, Any],
    now: datetime,
    check: Callable[[R], None],
) -> R | None:
    """Apply ``changes`` through the backend's atomic ``modify(record_id, mutate)`` with
    ``updated_at`` set to ``now`` (never moved back: a clock step must not make an update
    look older than the record), checking the result before it is written."""

    def mutate(current: R) -> R:
        updated: R = current.replace(**changes, updated_at=max(now, current.updated_at))
        check(updated)
        return updated

    return await modify(record_id, mutate)


__all__ = ["expect", "invalid", "modify_touched", "not_found", "set_fields"]
