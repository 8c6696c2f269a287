"""Input checks every adapter shares, run before any I/O so bad input writes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .errors import ValidationError

_METADATA_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FORBIDDEN_KEYS = frozenset({"__proto__", "prototype", "constructor"})
MAX_METADATA_KEY_LENGTH = 128
MAX_IDENTIFIER_LENGTH = 63


def validate_metadata_filter(metadata: Mapping[str, Any], *, operation: str) -> None:
    """Metadata filter keys may reach SQL JSON paths: allow only plain identifiers."""
    for key in metadata:
        if not isinstance(key, str) or key in _FORBIDDEN_KEYS:
            raise ValidationError(
                f'Invalid metadata key: "{key}".',
                id=f"MASTRA_STORAGE_{operation}_INVALID_METADATA_KEY",
            )
        if len(key) > MAX_METADATA_KEY_LENGTH:
            raise ValidationError(
                f'Metadata key "{key}" exceeds maximum length of {MAX_METADATA_KEY_LENGTH} '
                "characters.",
                id=f"MASTRA_STORAGE_{operation}_INVALID_METADATA_KEY",
            )
        if not _METADATA_KEY.match(key):
            raise ValidationError(
                f'Invalid metadata key: "{key}". Keys must start with a letter or underscore '
                "and contain only alphanumeric characters and underscores.",
                id=f"MASTRA_STORAGE_{operation}_INVALID_METADATA_KEY",
            )


def validate_identifier(name: str, *, kind: str = "identifier") -> str:
    """A schema, table or index name that is interpolated into SQL: letters, digits, ``_``."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise ValidationError(
            f"invalid {kind} {name!r}: use letters, digits and underscores, "
            "starting with a letter or underscore",
            id="MASTRA_STORAGE_INVALID_IDENTIFIER",
        )
    if len(name) > MAX_IDENTIFIER_LENGTH:
        raise ValidationError(
            f"{kind} {name!r} is longer than {MAX_IDENTIFIER_LENGTH} characters",
            id="MASTRA_STORAGE_INVALID_IDENTIFIER",
        )
    return name


THREAD_ID_MESSAGE = "threadId must be a non-empty string or array of non-empty strings"


def normalize_thread_ids(thread_id: str | Sequence[str]) -> list[str]:
    """One or many thread ids, each non-blank; duplicates removed, order kept."""
    ids = [thread_id] if isinstance(thread_id, str) else list(thread_id)
    if not ids or any(not isinstance(t, str) or not t.strip() for t in ids):
        raise ValidationError(
            THREAD_ID_MESSAGE, id="MASTRA_STORAGE_LIST_MESSAGES_INVALID_THREAD_ID"
        )
    return list(dict.fromkeys(ids))


def require_non_empty(value: Any, *, field: str, operation: str) -> str:
    """A required string argument (ids): must be a non-blank ``str``."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            f"{field} must be a non-empty string",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )
    return value


def unique_strings(values: Iterable[str], *, field: str, operation: str) -> list[str]:
    """Distinct, non-blank strings in first-seen order."""
    out: dict[str, None] = {}
    for value in values:
        out[require_non_empty(value, field=field, operation=operation)] = None
    return list(out)


__all__ = [
    "THREAD_ID_MESSAGE",
    "normalize_thread_ids",
    "require_non_empty",
    "unique_strings",
    "validate_identifier",
    "validate_metadata_filter",
]
