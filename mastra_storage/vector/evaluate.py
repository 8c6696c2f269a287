"""A pure-Python evaluator of the filter AST: the reference semantics.

The in-memory store filters with it, and the conformance suite compares every backend's
answers with it, so it is written for obviousness, not speed.
"""

from __future__ import annotations

from typing import Any

from .filter import (
    All,
    And,
    Const,
    ElemMatch,
    Eq,
    Exists,
    In,
    Node,
    Not,
    Or,
    Path,
    Range,
    Regex,
    Scalar,
    Size,
    kind,
)
from .regex import regex_search

_MISSING = object()


def lookup(doc: Any, path: Path) -> Any:
    """The value at ``path`` (through objects only), or ``_MISSING``."""
    current = doc
    for segment in path:
        if not isinstance(current, dict) or segment not in current:
            return _MISSING
        current = current[segment]
    return current


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def same(stored: Any, wanted: Scalar) -> bool:
    """Type-strict equality of a stored JSON value and a filter scalar."""
    if not _is_scalar(stored):
        return False
    return kind(stored) == kind(wanted) and stored == wanted


def _in(stored: Any, values: tuple[Scalar, ...]) -> bool:
    if stored is _MISSING:
        return None in values
    if isinstance(stored, list):
        return any(same(element, v) for element in stored for v in values)
    return any(same(stored, v) for v in values)


def _range(stored: Any, op: str, bound: str | int | float) -> bool:
    if not _is_scalar(stored) or stored is None or kind(stored) != kind(bound):
        return False
    if op == "$gt":
        return bool(stored > bound)
    if op == "$gte":
        return bool(stored >= bound)
    if op == "$lt":
        return bool(stored < bound)
    return bool(stored <= bound)


def matches(node: Node | None, doc: Any) -> bool:
    """Whether ``doc`` (a metadata object, or an array element) satisfies ``node``."""
    if node is None:
        return True
    if isinstance(node, Const):
        return node.value
    if isinstance(node, And):
        return all(matches(child, doc) for child in node.children)
    if isinstance(node, Or):
        return any(matches(child, doc) for child in node.children)
    if isinstance(node, Not):
        return not matches(node.child, doc)
    stored = lookup(doc, node.path)
    if isinstance(node, Eq):
        if node.value is None:
            return stored is _MISSING or stored is None
        return same(stored, node.value)
    if isinstance(node, Range):
        return _range(stored, node.op, node.value)
    if isinstance(node, In):
        return _in(stored, node.values)
    if isinstance(node, All):
        return (
            isinstance(stored, list)
            and bool(node.values)
            and all(any(same(e, v) for e in stored) for v in node.values)
        )
    if isinstance(node, Exists):
        return stored is not _MISSING
    if isinstance(node, Size):
        return isinstance(stored, list) and len(stored) == node.size
    if isinstance(node, Regex):
        if not isinstance(stored, str):
            return False
        return regex_search(node.pattern, stored, ignore_case=node.ignore_case)
    if isinstance(node, ElemMatch):
        return isinstance(stored, list) and any(matches(node.condition, e) for e in stored)
    raise TypeError(f"unknown filter node {node!r}")


__all__ = ["lookup", "matches", "same"]
