"""The metadata filter language (spec 13.2) parsed once into a small typed AST.

Every backend translates the same AST, so a filter means the same thing everywhere and is
validated in one place: operators, field names, value types, nesting depth and list sizes
are checked here, and anything else is a :class:`~mastra_storage.errors.ValidationError`
before a query is built. The parser desugars to few node kinds (``$ne`` = ``NOT $eq``,
``$nin`` = ``NOT $in``, ``$nor`` = ``NOT $or``, ``$exists: false`` = ``NOT $exists``), so
each backend compiles ten node types, not sixteen operators.

Semantics (shared by :mod:`.evaluate` and every backend; MongoDB's where they agree):

* comparisons are type-strict: numbers compare with numbers (``1 == 1.0``), strings with
  strings (by code point), booleans only equal booleans;
* ``$eq: null`` matches a missing field or a JSON null; ``$ne``/``$nin`` match missing fields;
* ``$eq`` compares scalars; ``$in`` on an array field matches when any element is listed;
* ``$all`` needs an array field holding every listed value; ``$elemMatch`` needs an array
  field with one element satisfying all conditions; ``$size`` an array of that length;
* ``$exists: true`` matches a present field, even a JSON null;
* ``$regex`` matches strings only; patterns must be in the subset of :mod:`.regex`, which
  every backend reads alike and no engine (even a backtracking one) needs more than
  quadratic time for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, TypeAlias

import msgspec

from ..errors import ValidationError
from ..timeutil import to_iso
from .regex import RegexRefused, check_regex
from .validation import VECTOR_DOMAIN

Scalar: TypeAlias = "str | int | float | bool | None"
RangeOp = Literal["$gt", "$gte", "$lt", "$lte"]
Path: TypeAlias = "tuple[str, ...]"

MAX_DEPTH = 12
MAX_NODES = 500
MAX_LIST_VALUES = 1_000
MAX_STRING_BYTES = 8_192
MAX_PATH_SEGMENTS = 8
MAX_SEGMENT_LENGTH = 128
MAX_REGEX_LENGTH = 256
_INT_LIMIT = 2**63 - 1
_SEGMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")  # fullmatch: ``$`` allows a final \n
_FORBIDDEN_SEGMENTS = frozenset({"__proto__", "prototype", "constructor"})

LOGICAL_OPS = frozenset({"$and", "$or", "$nor", "$not"})
FIELD_OPS = frozenset(
    {
        "$eq",
        "$ne",
        "$gt",
        "$gte",
        "$lt",
        "$lte",
        "$in",
        "$nin",
        "$all",
        "$elemMatch",
        "$exists",
        "$regex",
        "$options",
        "$not",
        "$size",
    }
)


class Const(msgspec.Struct, frozen=True):
    """Always true or always false (what empty ``$and``/``$or``/``$nor`` mean)."""

    value: bool


class And(msgspec.Struct, frozen=True):
    children: tuple[Node, ...]


class Or(msgspec.Struct, frozen=True):
    children: tuple[Node, ...]


class Not(msgspec.Struct, frozen=True):
    child: Node


class Eq(msgspec.Struct, frozen=True):
    """``path`` equals the scalar ``value`` (``None``: missing or null). ``()`` = the
    array element itself inside ``$elemMatch``."""

    path: Path
    value: Scalar


class Range(msgspec.Struct, frozen=True):
    path: Path
    op: RangeOp
    value: str | int | float


class In(msgspec.Struct, frozen=True):
    path: Path
    values: tuple[Scalar, ...]


class All(msgspec.Struct, frozen=True):
    path: Path
    values: tuple[Scalar, ...]


class Exists(msgspec.Struct, frozen=True):
    path: Path


class Size(msgspec.Struct, frozen=True):
    path: Path
    size: int


class Regex(msgspec.Struct, frozen=True):
    path: Path
    pattern: str
    ignore_case: bool


class ElemMatch(msgspec.Struct, frozen=True):
    """Some element of the array at ``path`` satisfies ``condition`` (its paths are
    relative to the element; ``()`` is the element itself)."""

    path: Path
    condition: Node


Node: TypeAlias = (
    "Const | And | Or | Not | Eq | Range | In | All | Exists | Size | Regex | ElemMatch"
)
TRUE = Const(True)
FALSE = Const(False)


def filter_error(message: str, path: str = "") -> ValidationError:
    return ValidationError(
        message,
        id="MASTRA_VECTOR_FILTER_INVALID",
        domain=VECTOR_DOMAIN,
        details={"path": path[:200]} if path else {},
    )


class _Budget:
    def __init__(self) -> None:
        self.nodes = 0

    def spend(self, where: str) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise filter_error(f"filter has more than {MAX_NODES} conditions", where)


def parse_filter(raw: Any) -> Node | None:
    """Validate a filter and return its AST; ``None``/``{}`` give ``None`` (no filter)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise filter_error("filter must be an object")
    if not raw:
        return None
    return _simplify(_parse_object(raw, (), 0, _Budget(), in_elem=False))


def _depth_check(depth: int, where: str) -> None:
    if depth > MAX_DEPTH:
        raise filter_error(f"filter is nested deeper than {MAX_DEPTH} levels", where)


def _parse_object(
    raw: Mapping[Any, Any], prefix: Path, depth: int, budget: _Budget, *, in_elem: bool
) -> Node:
    """A filter object: field conditions and logical operators, ANDed together."""
    _depth_check(depth, ".".join(prefix))
    parts: list[Node] = []
    for key, value in raw.items():
        if not isinstance(key, str):
            raise filter_error(f"filter keys must be strings, got {type(key).__name__}")
        budget.spend(key)
        if key.startswith("$"):
            if key not in LOGICAL_OPS:
                if key in FIELD_OPS:
                    raise filter_error(f"Invalid top-level operator: {key}", key)
                raise filter_error(f"Unsupported operator: {key[:40]}", key)
            parts.append(_parse_logical(key, value, prefix, depth, budget, in_elem=in_elem))
        else:
            path = _parse_path(key, prefix, strip_metadata=not prefix and not in_elem)
            parts.append(_parse_field(path, value, depth, budget))
    return And(tuple(parts)) if len(parts) != 1 else parts[0]


def _parse_logical(
    op: str, value: Any, prefix: Path, depth: int, budget: _Budget, *, in_elem: bool
) -> Node:
    where = ".".join((*prefix, op))
    if op == "$not":
        if not isinstance(value, Mapping):
            raise filter_error("$not operator requires an object", where)
        if not value:
            raise filter_error("$not operator cannot be empty", where)
        return Not(_parse_object(value, prefix, depth + 1, budget, in_elem=in_elem))
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise filter_error(f"Value for logical operator {op} must be an array", where)
    if len(value) > MAX_LIST_VALUES:
        raise filter_error(f"{op} has more than {MAX_LIST_VALUES} entries", where)
    children: list[Node] = []
    for item in value:
        if not isinstance(item, Mapping):
            raise filter_error(f"{op} entries must be filter objects", where)
        if item and all(isinstance(k, str) and k in FIELD_OPS - LOGICAL_OPS for k in item):
            raise filter_error(
                "Logical operators must contain field conditions, not direct operators: " + where,
                where,
            )
        if not item:
            children.append(TRUE)
            continue
        children.append(_parse_object(item, prefix, depth + 1, budget, in_elem=in_elem))
    if op == "$and":
        return And(tuple(children))
    if op == "$or":
        return Or(tuple(children))
    return Not(Or(tuple(children)))  # $nor


def _parse_path(key: str, prefix: Path, *, strip_metadata: bool) -> Path:
    if strip_metadata and key.startswith("metadata."):
        key = key[len("metadata.") :]
    segments = tuple(key.split("."))
    full = (*prefix, *segments)
    if len(full) > MAX_PATH_SEGMENTS:
        raise filter_error(f"field path has more than {MAX_PATH_SEGMENTS} segments", key[:200])
    for segment in segments:
        if (
            len(segment) > MAX_SEGMENT_LENGTH
            or not _SEGMENT.fullmatch(segment)
            or segment in _FORBIDDEN_SEGMENTS
        ):
            raise filter_error(
                f"Invalid field name {key[:80]!r}: each dot-separated part must start with a "
                "letter or underscore and contain only letters, digits, '_' and '-'",
                key[:200],
            )
    return full


def _is_operator_object(value: Any) -> bool:
    return isinstance(value, Mapping) and any(
        isinstance(k, str) and k.startswith("$") for k in value
    )


def _parse_field(path: Path, value: Any, depth: int, budget: _Budget) -> Node:
    where = ".".join(path)
    _depth_check(depth, where)
    if isinstance(value, Mapping):
        if not value:
            raise filter_error(f"empty condition object for field {where}", where)
        if _is_operator_object(value):
            return _parse_operators(path, value, depth, budget)
        # {parent: {child: v}} without operators: the nested field parent.child
        parts = []
        for key, sub in value.items():
            if not isinstance(key, str):
                raise filter_error("filter keys must be strings", where)
            budget.spend(key)
            parts.append(
                _parse_field(_parse_path(key, path, strip_metadata=False), sub, depth + 1, budget)
            )
        return And(tuple(parts)) if len(parts) != 1 else parts[0]
    if isinstance(value, (list, tuple)):
        return In(path, _scalars(value, "$in", where))
    return Eq(path, _scalar(value, "$eq", where))


def _parse_operators(
    path: Path, ops: Mapping[Any, Any], depth: int, budget: _Budget, *, allow_logical: bool = False
) -> Node:
    where = ".".join(path) or "<element>"
    parts: list[Node] = []
    options = ops.get("$options")
    if options is not None and "$regex" not in ops:
        raise filter_error("$options requires $regex", where)
    for op, value in ops.items():
        if not isinstance(op, str) or not op.startswith("$"):
            raise filter_error(
                f"cannot mix operators and field names in the condition for {where}", where
            )
        budget.spend(op)
        if op in LOGICAL_OPS - {"$not"} and not allow_logical:
            raise filter_error(
                f"Logical operator {op} cannot be used at field level: {where}", where
            )
        if op not in FIELD_OPS:
            raise filter_error(f"Unsupported operator: {op[:40]}", where)
        if op == "$options":
            continue
        parts.append(_parse_operator(path, op, value, options, depth, budget))
    return And(tuple(parts)) if len(parts) != 1 else parts[0]


def _parse_operator(
    path: Path, op: str, value: Any, options: Any, depth: int, budget: _Budget
) -> Node:
    where = ".".join(path) or "<element>"
    if op == "$eq":
        return Eq(path, _scalar(value, op, where))
    if op == "$ne":
        return Not(Eq(path, _scalar(value, op, where)))
    if op in ("$gt", "$gte", "$lt", "$lte"):
        bound = _scalar(value, op, where)
        if bound is None or isinstance(bound, bool):
            raise filter_error(f"{op} needs a number, string or date value", where)
        range_op: RangeOp = op  # type: ignore[assignment]
        return Range(path, range_op, bound)
    if op in ("$in", "$nin", "$all"):
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
            raise filter_error(f"Value for array operator {op} must be an array", where)
        values = _scalars(value, op, where)
        if op == "$all":
            return All(path, values)
        node = In(path, values)
        return node if op == "$in" else Not(node)
    if op == "$exists":
        if not isinstance(value, bool):
            raise filter_error("$exists needs true or false", where)
        return Exists(path) if value else Not(Exists(path))
    if op == "$size":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
            raise filter_error("$size needs a non-negative integer", where)
        return Size(path, value)
    if op == "$regex":
        return _parse_regex(path, value, options, where)
    if op == "$not":
        if not isinstance(value, Mapping):
            raise filter_error("$not operator requires an object", where)
        if not value:
            raise filter_error("$not operator cannot be empty", where)
        if not _is_operator_object(value):
            raise filter_error("$not at field level needs an operator object", where)
        _depth_check(depth + 1, where)
        return Not(_parse_operators(path, value, depth + 1, budget))
    # $elemMatch
    if not isinstance(value, Mapping) or not value:
        raise filter_error("$elemMatch requires an object with conditions", where)
    _depth_check(depth + 1, where)
    if _is_operator_object(value) and all(isinstance(k, str) and k in FIELD_OPS for k in value):
        condition = _parse_operators((), value, depth + 1, budget)
    else:
        condition = _parse_object(value, (), depth + 1, budget, in_elem=True)
    return ElemMatch(path, _simplify(condition))


def _parse_regex(path: Path, value: Any, options: Any, where: str) -> Regex:
    if isinstance(value, re.Pattern):
        pattern_text = value.pattern
        flags = "i" if value.flags & re.IGNORECASE else ""
    elif isinstance(value, str):
        pattern_text, flags = value, ""
    else:
        raise filter_error("$regex needs a string pattern", where)
    if options is not None:
        if not isinstance(options, str):
            raise filter_error("$options must be a string", where)
        flags += options
    if set(flags) - {"i"}:
        raise filter_error("$options supports only 'i' (case-insensitive)", where)
    if not isinstance(pattern_text, str) or len(pattern_text) > MAX_REGEX_LENGTH:
        raise filter_error(f"$regex pattern longer than {MAX_REGEX_LENGTH} characters", where)
    try:
        check_regex(pattern_text)
    except RegexRefused as exc:
        raise filter_error(f"$regex {exc}: see the accepted subset", where) from None
    return Regex(path, pattern_text, "i" in flags)


def _scalar(value: Any, op: str, where: str) -> Scalar:
    """A comparable value: str, finite number, bool or None; datetimes become ISO strings."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise filter_error(f"{op}: naive datetime (give it a timezone)", where)
        return to_iso(value)
    if isinstance(value, int):
        if abs(value) > _INT_LIMIT:
            raise filter_error(f"{op}: integer out of the 64-bit range", where)
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise filter_error(f"{op}: number must be finite", where)
        return 0.0 if value == 0 else value  # -0.0 -> 0.0
    if isinstance(value, str):
        if len(value.encode()) > MAX_STRING_BYTES or "\x00" in value:
            raise filter_error(f"{op}: string value too long or contains NUL", where)
        return value
    raise filter_error(
        f"{op}: unsupported value of type {type(value).__name__} (use a string, number, "
        "boolean, null or date)",
        where,
    )


def _scalars(values: Sequence[Any], op: str, where: str) -> tuple[Scalar, ...]:
    if len(values) > MAX_LIST_VALUES:
        raise filter_error(f"{op} has more than {MAX_LIST_VALUES} values", where)
    out: dict[tuple[str, Scalar], Scalar] = {}
    for value in values:
        scalar = _scalar(value, op, where)
        out.setdefault((_kind(scalar), scalar), scalar)
    return tuple(out.values())


def _kind(value: Scalar) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "string"


def kind(value: Scalar) -> str:
    """``'null' | 'bool' | 'number' | 'string'``: the type class comparisons respect."""
    return _kind(value)


def _simplify(node: Node) -> Node:
    """Fold constants and single-child groups, so backends see a minimal tree."""
    if isinstance(node, (And, Or)):
        children = [_simplify(c) for c in node.children]
        absorbing = isinstance(node, Or)  # TRUE absorbs in OR, FALSE absorbs in AND
        kept: list[Node] = []
        for child in children:
            if isinstance(child, Const):
                if child.value == absorbing:
                    return Const(absorbing)
                continue
            kept.append(child)
        if not kept:
            return Const(not absorbing)
        return kept[0] if len(kept) == 1 else type(node)(tuple(kept))
    if isinstance(node, Not):
        child = _simplify(node.child)
        if isinstance(child, Const):
            return Const(not child.value)
        if isinstance(child, Not):
            return child.child
        return Not(child)
    if isinstance(node, ElemMatch):
        return ElemMatch(node.path, _simplify(node.condition))
    if isinstance(node, All) and not node.values:
        return FALSE
    if isinstance(node, In) and not node.values:
        return FALSE
    return node


__all__ = [
    "FALSE",
    "MAX_DEPTH",
    "MAX_LIST_VALUES",
    "MAX_NODES",
    "TRUE",
    "All",
    "And",
    "Const",
    "ElemMatch",
    "Eq",
    "Exists",
    "In",
    "Node",
    "Not",
    "Or",
    "Range",
    "Regex",
    "Scalar",
    "Size",
    "filter_error",
    "kind",
    "parse_filter",
]
