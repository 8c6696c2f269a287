"""The shared filter AST compiled to Upstash Vector's metadata filter string.

Upstash filters are a small SQL-like string language (``a = 'x' AND (n > 1 OR HAS FIELD
b)``): ``= != < <= > >=``, ``IN``/``NOT IN``, ``CONTAINS``/``NOT CONTAINS`` (arrays),
``GLOB``/``NOT GLOB``, ``HAS FIELD``/``HAS NOT FIELD``, ``AND``/``OR`` and parentheses,
but no general ``NOT`` and no type tests. So negations are pushed down to the leaves
(De Morgan), and a leaf is negated as ``HAS NOT FIELD p OR p <negated op> v``.

That negation is exact only if each negated operator is the complement of its positive
among present fields (``!=`` matches every present value that is not ``=``, including
values of another type). Upstash's reference describes the operators but not this corner;
it is the assumption the stand-in server in the tests implements, and what has to be
checked first against the real service.

Anything the language cannot state exactly raises :class:`NotSupportedError` before any
request: ``$eq: null`` (no null test), ranges over strings (ranges are numeric only), a
negated range (no "is a number" test), ``$size``, ``$regex`` (``GLOB`` is not a regex) and
``$elemMatch`` other than "an element equals v". Nothing is approximated.

Values are literals in the string, so they are escaped here: strings are single-quoted
with ``\\`` and ``'`` backslash-escaped, numbers are written in plain decimal (no exponent),
booleans as ``true``/``false``. Field paths are already validated by the shared parser
(letters, digits, ``_``, ``-``, dots); segments that are keywords of the language are
refused so a field named ``AND`` cannot change the meaning of a filter.
"""

from __future__ import annotations

from decimal import Decimal

from mastra_storage.errors import NotSupportedError
from mastra_storage.vector.filter import (
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
)
from mastra_storage.vector.validation import VECTOR_DOMAIN

#: Words of the filter language (case-insensitive); a path segment equal to one is refused.
KEYWORDS = frozenset(
    {"and", "or", "not", "in", "glob", "contains", "has", "field", "true", "false"}
)
#: A condition that is always false / always true (folded constants seldom reach here).
_NEVER = "(HAS FIELD __mastra_never__ AND HAS NOT FIELD __mastra_never__)"
_ALWAYS = "(HAS FIELD __mastra_never__ OR HAS NOT FIELD __mastra_never__)"
_NEGATE_RANGE = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}
_RANGE = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


def unsupported(message: str) -> NotSupportedError:
    """The typed error for a filter Upstash's language cannot express exactly."""
    return NotSupportedError(
        f"UpstashVector cannot express this filter: {message}",
        id="MASTRA_VECTOR_UPSTASH_FILTER_UNSUPPORTED",
        domain=VECTOR_DOMAIN,
    )


def compile_filter(node: Node) -> str:
    """The Upstash filter string for a parsed filter.

    :raises NotSupportedError: the filter needs something Upstash's language lacks.
    """
    return _compile(node, negated=False)


def quote(value: str) -> str:
    """A single-quoted string literal with backslashes and quotes escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def literal(value: Scalar) -> str:
    """A literal for a non-null scalar: quoted string, plain decimal number, true/false."""
    if value is None:
        raise unsupported("null values cannot be compared (Upstash has no null literal)")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return quote(value)


def field(path: Path) -> str:
    """The identifier for a validated path (``a.b.c``)."""
    if not path:
        raise unsupported("a condition on an array element itself (outside $elemMatch $eq)")
    for segment in path:
        if segment.lower() in KEYWORDS:
            raise unsupported(f"field name {segment!r} is a keyword of Upstash's filter syntax")
    return ".".join(path)


def _join(parts: list[str], op: str) -> str:
    return parts[0] if len(parts) == 1 else "(" + f" {op} ".join(parts) + ")"


def _absent_or(path: str, condition: str) -> str:
    return f"(HAS NOT FIELD {path} OR {condition})"


def _compile(node: Node, *, negated: bool) -> str:
    if isinstance(node, Const):
        return _ALWAYS if node.value != negated else _NEVER
    if isinstance(node, Not):
        return _compile(node.child, negated=not negated)
    if isinstance(node, (And, Or)):
        parts = [_compile(child, negated=negated) for child in node.children]
        is_and = isinstance(node, And) != negated  # De Morgan under a negation
        return _join(parts, "AND" if is_and else "OR")
    if isinstance(node, Eq):
        path = field(node.path)
        if node.value is None:
            raise unsupported("$eq/$ne null (Upstash cannot test for a JSON null)")
        if negated:
            return _absent_or(path, f"{path} != {literal(node.value)}")
        return f"{path} = {literal(node.value)}"
    if isinstance(node, Range):
        path = field(node.path)
        if isinstance(node.value, str):
            raise unsupported("$gt/$gte/$lt/$lte on strings (Upstash ranges are numeric)")
        if negated:
            raise unsupported("a negated range (Upstash cannot test that a field is a number)")
        return f"{path} {_RANGE[node.op]} {literal(node.value)}"
    if isinstance(node, In):
        return _compile_in(node, negated=negated)
    if isinstance(node, All):
        path = field(node.path)
        if any(value is None for value in node.values):
            raise unsupported("$all with null")
        if negated:
            alternatives = [f"{path} NOT CONTAINS {literal(v)}" for v in node.values]
            return _absent_or(path, _join(alternatives, "OR"))
        return _join([f"{path} CONTAINS {literal(v)}" for v in node.values], "AND")
    if isinstance(node, Exists):
        path = field(node.path)
        return f"HAS NOT FIELD {path}" if negated else f"HAS FIELD {path}"
    if isinstance(node, ElemMatch):
        path = field(node.path)
        inner = node.condition
        if isinstance(inner, Eq) and inner.path == () and inner.value is not None:
            if negated:
                return _absent_or(path, f"{path} NOT CONTAINS {literal(inner.value)}")
            return f"{path} CONTAINS {literal(inner.value)}"
        raise unsupported("$elemMatch other than {$eq: value} on the element")
    if isinstance(node, Size):
        raise unsupported("$size (Upstash has no array length test)")
    if isinstance(node, Regex):
        raise unsupported("$regex (Upstash offers GLOB patterns, not regular expressions)")
    raise unsupported(f"node {type(node).__name__}")  # pragma: no cover - exhaustive


def _compile_in(node: In, *, negated: bool) -> str:
    """``$in``: a scalar field equal to a value, or an array field holding one."""
    path = field(node.path)
    if any(value is None for value in node.values):
        raise unsupported("$in/$nin with null")
    values = ", ".join(literal(v) for v in node.values)
    if negated:
        parts = [f"{path} NOT IN ({values})"]
        parts += [f"{path} NOT CONTAINS {literal(v)}" for v in node.values]
        return _absent_or(path, _join(parts, "AND"))
    parts = [f"{path} IN ({values})"]
    parts += [f"{path} CONTAINS {literal(v)}" for v in node.values]
    return _join(parts, "OR")


__all__ = ["KEYWORDS", "compile_filter", "field", "literal", "quote", "unsupported"]
