"""Input checks every adapter shares, run before any I/O so bad input writes nothing."""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec

from .codec import dumps
from .errors import ValidationError
from .timeutil import normalize_datetime

# ``fullmatch`` everywhere below: ``^...$`` would accept a trailing newline (``$`` matches
# before a final ``\n``), and that newline would then reach a SQL name or a JSON path.
_METADATA_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FORBIDDEN_KEYS = frozenset({"__proto__", "prototype", "constructor"})
MAX_METADATA_KEY_LENGTH = 128
MAX_IDENTIFIER_LENGTH = 63
#: Longest id (UTF-8 bytes). Why a limit at all: ids become keys, and backends cap keys
#: (DynamoDB sort keys 1 KB with a prefix and a second id in them, PostgreSQL b-tree rows
#: ~2.7 KB); one portable limit gives the same typed error everywhere instead of a driver
#: error on one backend only.
MAX_ID_BYTES = 256


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
        if not _METADATA_KEY.fullmatch(key):
            raise ValidationError(
                f'Invalid metadata key: "{key}". Keys must start with a letter or underscore '
                "and contain only alphanumeric characters and underscores.",
                id=f"MASTRA_STORAGE_{operation}_INVALID_METADATA_KEY",
            )


def validate_identifier(name: str, *, kind: str = "identifier") -> str:
    """A schema, table or index name that is interpolated into SQL: letters, digits, ``_``."""
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
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
    if type(thread_id) is str and thread_id.strip():  # one id, the usual call
        require_non_empty(thread_id, field="thread_id", operation="LIST_MESSAGES")
        return [thread_id]
    if not isinstance(thread_id, (str, list, tuple)):
        raise ValidationError(
            THREAD_ID_MESSAGE, id="MASTRA_STORAGE_LIST_MESSAGES_INVALID_THREAD_ID"
        )
    ids = [thread_id] if isinstance(thread_id, str) else list(thread_id)
    if not ids or any(not isinstance(t, str) or not t.strip() for t in ids):
        raise ValidationError(
            THREAD_ID_MESSAGE, id="MASTRA_STORAGE_LIST_MESSAGES_INVALID_THREAD_ID"
        )
    for t in ids:
        require_non_empty(t, field="thread_id", operation="LIST_MESSAGES")
    return list(dict.fromkeys(ids))


def check_text(value: Any, *, field: str, operation: str) -> str:
    """A string every backend can store exactly: a ``str``, valid UTF-8 (no lone
    surrogates), no NUL.

    Why: PostgreSQL rejects NUL in ``text``/``jsonb`` and no backend can encode a lone
    surrogate, so without this check the same input is a driver error on some adapters
    and silently fine on others.
    """
    if not isinstance(value, str):
        raise ValidationError(
            f"{field} must be a string, got {type(value).__name__}",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )
    if "\x00" in value:
        raise ValidationError(
            f"{field} contains a NUL character, which not every backend can store",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            f"{field} is not valid Unicode (lone surrogate)",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        ) from None
    return value


def require_non_empty(value: Any, *, field: str, operation: str) -> str:
    """A required string argument (ids): a non-blank ``str`` of at most
    :data:`MAX_ID_BYTES` UTF-8 bytes, without NUL or lone surrogates."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            f"{field} must be a non-empty string",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )
    check_text(value, field=field, operation=operation)
    if len(value) > MAX_ID_BYTES // 4 and len(value.encode("utf-8")) > MAX_ID_BYTES:
        raise ValidationError(
            f"{field} is longer than {MAX_ID_BYTES} bytes (UTF-8)",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )
    return value


#: Deepest nesting a stored record may have, counting the record itself as level 1: a
#: thread's ``metadata`` may nest 99 levels, a message's ``content.metadata`` 98. Why 100:
#: it is MongoDB's own limit for a document, so the same record is accepted or refused the
#: same way on every backend, and it keeps every reader (ours, Mastra's, a driver's) far
#: from the interpreter's recursion limit.
MAX_JSON_DEPTH = 100

#: Maps every ASCII digit byte to ``0``, ``.`` to itself and every other byte to a space,
#: so that an integer of 19 or more digits (the only way one outside int64 can appear in
#: JSON text) becomes a space followed by ``_NINETEEN_ZEROS``, while the fraction digits of
#: a float (``0.0042661869127905705``) follow a ``.`` and do not count. Why not
#: ``re.search(r"\d{19}")``: the regex costs ~13 us per KB (0.64 ms for a 50 KB workflow
#: snapshot), ``bytes.translate`` + ``in`` under 1 us per KB.
_DIGITS_AS_ZEROS = bytes(
    0x30 if 0x30 <= byte <= 0x39 else 0x2E if byte == 0x2E else 0x20 for byte in range(256)
)
_NINETEEN_ZEROS = b"0" * 19
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
#: Keeps only JSON brackets, as ``(`` and ``)`` (see :func:`json_depth_exceeds`).
_BRACKETS_AS_PARENS = bytes.maketrans(b"{[}]", b"(())")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"{[}]")


def json_depth_exceeds(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text ``text`` nests containers more than ``max_depth`` levels
    (``1`` is depth 0, ``[]`` depth 1, ``{"a": [1]}`` depth 2); malformed text is ``False``
    (decoding it reports the error).

    Never recurses per level in Python, and costs about one re-encoding: when the text
    holds no more brackets than ``max_depth`` the answer is known at once (metadata);
    otherwise msgspec pretty-prints it with a one-space indent, so a value nested ``k``
    containers deep starts a line indented ``k`` spaces (strings cannot hold a raw
    newline), and one substring search answers. Only text that reaches ``max_depth``
    itself takes the exact (slower) bracket count.
    """
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if data.count(b"{") + data.count(b"[") <= max_depth:
        return False
    if max_depth < 1:
        return _bracket_depth_exceeds(data, max_depth)
    try:
        pretty = msgspec.json.format(data, indent=1)
    except RecursionError:
        return True  # deeper than the interpreter's recursion limit, so past any limit
    except msgspec.DecodeError:
        return False
    if b"\n" + b" " * max_depth not in pretty:
        return False  # no value sits inside max_depth containers, so none is deeper
    if b"\n" + b" " * (max_depth + 1) in pretty:
        return True  # a non-empty container at level max_depth + 1
    return _bracket_depth_exceeds(data, max_depth)  # an empty one, maybe: count exactly


def _bracket_depth_exceeds(data: bytes, max_depth: int) -> bool:
    """Exact nesting test on JSON text: drop escapes and string contents, keep brackets,
    then remove innermost ``()`` pairs one level per pass, at most ``max_depth`` passes."""
    if b"\\" in data:
        # An escaped backslash first, then an escaped quote: what is left of ``"`` are the
        # string delimiters, so every other piece of a split on them is outside strings.
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(data.split(b'"')[::2])
    brackets = outside.translate(_BRACKETS_AS_PARENS, _NOT_BRACKETS)
    for _ in range(max_depth):
        brackets = brackets.replace(b"()", b"")
        if not brackets:
            return False
    return bool(brackets)


_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})


def nesting_exceeds(value: Any, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether the Python value ``value`` nests containers (mappings, lists, tuples, sets)
    more than ``max_depth`` levels, counted as in :func:`json_depth_exceeds`.

    Iterative (a value deeper than the recursion limit gets an answer, not a
    ``RecursionError``) and stops at the first container past the limit. Its cost is one
    step per nested value: :func:`check_json` calls it only when the JSON text holds more
    brackets than ``max_depth``, so metadata-sized values never pay it.
    """
    if type(value) in _SCALAR_TYPES:
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        item, depth = pop()
        if type(item) is dict or isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, (list, tuple, set, frozenset)):
            children = item
        else:
            continue  # not a container after all (an exotic scalar)
        if depth > max_depth:
            return True
        depth += 1
        for child in children:
            kind = type(child)
            if kind is dict or kind is list or kind not in _SCALAR_TYPES:
                push((child, depth))
    return False


def _has_long_digit_run(data: str | bytes) -> bool:
    """Whether ``data`` (text, or UTF-8 bytes) holds 19 or more ASCII digits in a row that
    do not follow a ``.`` (non-ASCII characters are bytes >= 0x80 in UTF-8, so they never
    count as digits). A ``True`` is only a hint: strings can hold digits too."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    mapped = raw.translate(_DIGITS_AS_ZEROS)
    # Search the zeros, not a space and nineteen zeros: text maps to long runs of spaces, on which a
    # needle starting with a space matches partially at every byte (1.4 us for a 250-byte
    # message content, against 0.1 us for the zeros, which text seldom holds).
    start = mapped.find(_NINETEEN_ZEROS)
    while start != -1:
        # ``find`` lands on the first digit of a run: after a space (or at the start) it
        # is an integer; after a ``.`` a fraction, so look past the whole run.
        if start == 0 or mapped[start - 1] == 0x20:
            return True
        end = len(mapped) - len(mapped[start:].lstrip(b"0"))
        start = mapped.find(_NINETEEN_ZEROS, end)
    return False


def _has_big_int(value: Any) -> bool:
    """Whether an integer outside int64 is nested in ``value`` (only called when the JSON
    text has a long digit run, which a string can hold too). Iterative: a value nested
    deeper than the recursion limit must give an answer, not a ``RecursionError``."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, int):
            if not isinstance(item, bool) and not _INT64_MIN <= item <= _INT64_MAX:
                return True
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


def plain_json_text(data: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON text ``data`` (UTF-8) passes :func:`check_json`'s checks at once: no
    escaped NUL, nesting within ``max_depth``, no integer run long enough to leave int64.
    ``False`` means "take the general path" (which decides, and names the error)."""
    return (
        b"\\u0000" not in data
        and not json_depth_exceeds(data, max_depth)
        and not _has_long_digit_run(data)
    )


def check_json(
    value: Any, *, operation: str, field: str | None = None, max_depth: int = MAX_JSON_DEPTH
) -> str:
    """JSON text of a caller's value; :class:`ValidationError` when it cannot be encoded,
    nests deeper than ``max_depth`` (see :data:`MAX_JSON_DEPTH`) or holds an integer
    outside int64. Nothing recurses per nesting level beyond the encoder itself.

    Why here and not in :func:`~mastra_storage.codec.dumps`: the check applies to new
    input only; re-encoding stored data (a merge inside an update) must never fail.
    """
    details = {"field": field} if field else None
    try:
        text = dumps(value)
    except ValidationError as exc:
        raise ValidationError(
            f"{field or 'value'}: {exc.message}",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details=details,
        ) from None
    data = text.encode("utf-8")
    if json_depth_exceeds(data, max_depth):
        raise ValidationError(
            f"{field or 'value'} nests deeper than {max_depth} levels (a stored record may "
            f"nest at most {MAX_JSON_DEPTH}, MongoDB's limit)",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details=details,
        )
    if _has_long_digit_run(data) and _has_big_int(value):
        raise ValidationError(
            "integers in JSON must fit in 64 bits (MongoDB and DynamoDB cannot store larger "
            "ones exactly; JavaScript readers lose precision beyond 2**53)",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details=details,
        )
    return text


def check_json_object(
    value: Any, *, field: str, operation: str, max_depth: int = MAX_JSON_DEPTH - 1
) -> str:
    """A metadata-like JSON object: a mapping with string keys (no NUL, valid Unicode),
    encodable by :func:`~mastra_storage.codec.dumps`, nesting at most ``max_depth`` levels
    (default: a field of a record, one level below it); returns the JSON text.

    Why string keys: JSON turns ``{1: "a"}`` into ``{"1": "a"}``, so the value read back
    would differ from the value written.
    """
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"{field} must be a JSON object (a mapping), got {type(value).__name__}",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )
    for key in value:
        if not isinstance(key, str):
            raise ValidationError(
                f"{field} keys must be strings, got {type(key).__name__}",
                id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
                details={"field": field},
            )
    return check_json(
        value if isinstance(value, dict) else dict(value),
        operation=operation,
        field=field,
        max_depth=max_depth,
    )


def dumps_record(record: Any, *, operation: str, max_depth: int = MAX_JSON_DEPTH) -> str:
    """JSON text of a record's ``to_dict()`` after :func:`check_json` (depth, int64); a
    typed error when it cannot be encoded. ``max_depth`` is lower for a record stored
    inside another one (a message's content: ``MAX_JSON_DEPTH - 1``)."""
    try:
        value = record.to_dict()
    except RecursionError:
        raise ValidationError(
            "value is nested too deeply to store as JSON",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
        ) from None
    return check_json(value, operation=operation, max_depth=max_depth)


# ---- record fields by declared type ----------------------------------------------------

_Check = Callable[[Any], bool]


def _type_check(kind: Any) -> tuple[_Check, bool]:
    """A predicate for values of the declared type ``kind`` (a type hint), and whether
    strings are among them."""
    if kind is Any:
        return (lambda v: True), False  # any JSON value (checked as JSON by the caller)
    origin = typing.get_origin(kind)
    if origin is typing.Union or origin is types.UnionType:
        parts = [_type_check(k) for k in typing.get_args(kind)]
        checks = [c for c, _ in parts]
        return (lambda v: any(c(v) for c in checks)), any(t for _, t in parts)
    if origin is typing.Literal:
        values = frozenset(typing.get_args(kind))
        return (lambda v: type(v) in (str, int) and v in values), False
    if origin is list or origin is tuple or kind is list:
        return (lambda v: isinstance(v, (list, tuple))), False
    if origin is dict or kind is dict:
        return (lambda v: isinstance(v, Mapping)), False
    if kind is str:
        return (lambda v: isinstance(v, str)), True
    if kind is type(None) or kind is None:
        return (lambda v: v is None), False
    if kind is bool:
        return (lambda v: isinstance(v, bool)), False
    if kind is int:
        return (lambda v: isinstance(v, int) and not isinstance(v, bool)), False
    if kind is float:
        return (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)), False
    if isinstance(kind, type) and kind is not object:
        return (lambda v: isinstance(v, kind)), False
    return (lambda v: True), False


@functools.cache
def _field_checks(cls: Any) -> tuple[tuple[str, str, _Check, bool], ...]:
    """``(attribute, type description, predicate, may be a string)`` per field of a record
    class, derived once from its declared types."""
    hints = typing.get_type_hints(cls)
    out = []
    for name in cls.__struct_fields__:
        check, stringy = _type_check(hints[name])
        out.append((name, _describe(hints[name]), check, stringy))
    return tuple(out)


def _describe(kind: Any) -> str:
    if typing.get_origin(kind) is typing.Literal:
        return "one of " + ", ".join(repr(v) for v in typing.get_args(kind))
    if kind is Any:
        return "a JSON value"
    return str(getattr(kind, "__name__", kind)).replace("NoneType", "None")


def check_record_fields(record: Any, *, operation: str, prefix: str = "") -> None:
    """Every attribute of ``record`` (a :mod:`~mastra_storage.records` struct) has its
    declared type, and every string is storable (:func:`check_text`).

    Why: records are plain structs, so ``Span(entity_name=5)`` constructs fine and would
    reach a driver (a bare ``TypeError``, or a silently stored number). JSON fields are
    checked separately, as JSON (:func:`check_json`).
    """
    for name, described, check, stringy in _field_checks(type(record)):  # type: ignore[arg-type]
        _check_field(name, getattr(record, name), described, check, stringy, operation, prefix)


def _check_field(
    name: str,
    value: Any,
    described: str,
    check: _Check,
    stringy: bool,
    operation: str,
    prefix: str,
) -> None:
    if not check(value):
        raise ValidationError(
            f"{prefix}{name} must be {described}, got {type(value).__name__}",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": prefix + name},
        )
    if stringy and type(value) is str:
        check_text(value, field=prefix + name, operation=operation)


def check_field_value(
    cls: type, name: str, value: Any, *, operation: str, prefix: str = ""
) -> None:
    """:func:`check_record_fields` for one attribute ``name`` of record class ``cls`` (for
    partial updates); an unknown name is a :class:`ValidationError`."""
    for field, described, check, stringy in _field_checks(cls):
        if field == name:
            _check_field(name, value, described, check, stringy, operation, prefix)
            return
    raise ValidationError(
        f"unknown field {name!r:.80}", id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS"
    )


def optional_id(value: Any, *, field: str, operation: str) -> str | None:
    """An optional id filter: ``None``, or what :func:`require_non_empty` accepts."""
    return None if value is None else require_non_empty(value, field=field, operation=operation)


def unique_strings(values: Iterable[str], *, field: str, operation: str) -> list[str]:
    """Distinct, non-blank strings in first-seen order; ``values`` must be a list, tuple
    or set (a lone string is refused: iterating it would give its characters)."""
    if not isinstance(values, (list, tuple, set, frozenset)):
        raise ValidationError(
            f"{field} must be a list of ids, got {type(values).__name__}",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )
    out: dict[str, None] = {}
    for value in values:
        out[require_non_empty(value, field=field, operation=operation)] = None
    return list(out)


def check_bool(value: Any, *, field: str, operation: str) -> bool:
    """A flag argument: exactly ``True`` or ``False`` (``1``, ``"yes"``, ``None`` refused)."""
    if not isinstance(value, bool):
        raise ValidationError(
            f"{field} must be True or False, got {type(value).__name__}",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )
    return value


def check_optional_instance(value: Any, kind: type, *, field: str, operation: str) -> Any:
    """``None`` or an instance of ``kind`` (an options struct such as ``OrderBy``)."""
    if value is not None and not isinstance(value, kind):
        raise ValidationError(
            f"{field} must be a {kind.__name__} or None, got {type(value).__name__}",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )
    return value


def check_int64(value: Any, *, field: str, operation: str, minimum: int = _INT64_MIN) -> int:
    """An integer argument (not a bool) from ``minimum`` to 2**63 - 1."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= _INT64_MAX:
        raise ValidationError(
            f"{field} must be an integer from {minimum} to {_INT64_MAX}, got {value!r:.40}",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )
    return value


def optional_datetime(value: Any, *, field: str, operation: str) -> datetime | None:
    """``None`` or an aware datetime, normalised (UTC, milliseconds); naive datetimes,
    other types and instants outside years 1-9999 in UTC are refused."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ValidationError(
            f"{field} must be a timezone-aware datetime, got {type(value).__name__}",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )
    return normalize_datetime(value, field=field)


__all__ = [
    "MAX_ID_BYTES",
    "MAX_JSON_DEPTH",
    "THREAD_ID_MESSAGE",
    "check_bool",
    "check_field_value",
    "check_int64",
    "check_json",
    "check_json_object",
    "check_optional_instance",
    "check_record_fields",
    "check_text",
    "dumps_record",
    "json_depth_exceeds",
    "nesting_exceeds",
    "normalize_thread_ids",
    "optional_datetime",
    "optional_id",
    "plain_json_text",
    "require_non_empty",
    "unique_strings",
    "validate_identifier",
    "validate_metadata_filter",
]
