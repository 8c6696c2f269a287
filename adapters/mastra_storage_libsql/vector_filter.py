"""The vector filter AST compiled to SQLite JSON1 SQL, with every value a ``?`` parameter.

Field paths become JSON path strings (``$."a"."b"``) and are bound as parameters too, so
nothing from a filter is ever spliced into the SQL text; the AST's field names are
validated anyway. Every predicate is two-valued (never SQL ``NULL``), so ``NOT`` means
"does not match", including for missing fields: the type of a value is read with
``IFNULL(json_type(...), '')`` ('' = missing) and checked before its value is compared.

Array conditions use ``json_each``; ``$elemMatch`` nests one ``json_each`` alias per level
and evaluates its condition against the element (``e<n>.type`` / ``e<n>.value``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mastra_storage.codec import dumps
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
    Range,
    Regex,
    Scalar,
    Size,
    kind,
)

_NUMBER_TYPES = "('integer', 'real')"
_RANGE_SQL = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


def json_path(path: Sequence[str]) -> str:
    """``('a', 'b')`` -> ``$."a"."b"`` (segments are validated: no quotes, no dots)."""
    return "$" + "".join(f'."{segment}"' for segment in path)


@dataclass(frozen=True)
class _Context:
    """Where paths are resolved: the row's ``metadata`` or an ``$elemMatch`` element."""

    element: str | None = None  # the json_each alias, or None for the metadata column


class SQLiteFilter:
    """Compile one AST; ``params`` holds the values in the order of the ``?`` marks."""

    def __init__(self, column: str = "metadata") -> None:
        self.column = column
        self.params: list[Any] = []
        self._aliases = 0

    def compile(self, node: Node) -> str:
        return self._node(node, _Context())

    # ---- value access -----------------------------------------------------------------

    def _type(self, path: Sequence[str], ctx: _Context) -> str:
        if ctx.element is None:
            self.params.append(json_path(path))
            return f"IFNULL(json_type({self.column}, ?), '')"
        e = ctx.element
        if not path:
            return f"{e}.type"
        self.params.append(json_path(path))
        return f"IFNULL(CASE WHEN {e}.type = 'object' THEN json_type({e}.value, ?) END, '')"

    def _value(self, path: Sequence[str], ctx: _Context) -> str:
        if ctx.element is None:
            self.params.append(json_path(path))
            return f"json_extract({self.column}, ?)"
        e = ctx.element
        if not path:
            return f"{e}.value"
        self.params.append(json_path(path))
        return f"CASE WHEN {e}.type = 'object' THEN json_extract({e}.value, ?) END"

    def _array_source(self, path: Sequence[str], ctx: _Context) -> str:
        """A ``json_each(...)`` over the array at ``path`` (empty when it is not one)."""
        if ctx.element is None:
            self.params.append(json_path(path))
            return f"json_each({self.column}, ?)"
        e = ctx.element
        if not path:
            return f"json_each(CASE WHEN {e}.type = 'array' THEN {e}.value ELSE '[]' END)"
        self.params.append(json_path(path))
        return f"json_each(CASE WHEN {e}.type = 'object' THEN {e}.value ELSE '{{}}' END, ?)"

    def _array_length(self, path: Sequence[str], ctx: _Context) -> str:
        if ctx.element is None:
            self.params.append(json_path(path))
            return f"json_array_length({self.column}, ?)"
        e = ctx.element
        if not path:
            return f"json_array_length(CASE WHEN {e}.type = 'array' THEN {e}.value END)"
        self.params.append(json_path(path))
        return f"json_array_length(CASE WHEN {e}.type = 'object' THEN {e}.value ELSE '{{}}' END, ?)"

    def _alias(self) -> str:
        self._aliases += 1
        return f"e{self._aliases}"

    # ---- predicates -------------------------------------------------------------------

    def _node(self, node: Node, ctx: _Context) -> str:
        if isinstance(node, Const):
            return "1" if node.value else "0"
        if isinstance(node, (And, Or)):
            joiner = " AND " if isinstance(node, And) else " OR "
            return "(" + joiner.join(self._node(c, ctx) for c in node.children) + ")"
        if isinstance(node, Not):
            return f"NOT {self._node(node.child, ctx)}"
        if isinstance(node, Eq):
            return self._typed_in(node.path, ctx, (node.value,))
        if isinstance(node, Range):
            types = "= 'text'" if isinstance(node.value, str) else f"IN {_NUMBER_TYPES}"
            t = self._type(node.path, ctx)
            v = self._value(node.path, ctx)
            self.params.append(node.value)
            return f"({t} {types} AND {v} {_RANGE_SQL[node.op]} ?)"
        if isinstance(node, In):
            scalar = self._typed_in(node.path, ctx, node.values)
            t = self._type(node.path, ctx)
            source = self._array_source(node.path, ctx)
            alias = self._alias()
            inner = self._any_of(f"{alias}.type", f"{alias}.value", node.values)
            return (
                f"({scalar} OR ({t} = 'array' AND EXISTS (SELECT 1 FROM {source} AS {alias} "
                f"WHERE {inner})))"
            )
        if isinstance(node, All):
            t = self._type(node.path, ctx)
            parts = [f"{t} = 'array'"]
            for group, values in _groups(node.values).items():
                if group in ("string", "number"):
                    types = "= 'text'" if group == "string" else f"IN {_NUMBER_TYPES}"
                    self.params.append(dumps(list(values)))  # first "?" of the subquery
                    source = self._array_source(node.path, ctx)
                    alias = self._alias()
                    parts.append(
                        "NOT EXISTS (SELECT 1 FROM json_each(?) AS wanted WHERE wanted.value "
                        f"NOT IN (SELECT {alias}.value FROM {source} AS {alias} "
                        f"WHERE {alias}.type {types}))"
                    )
                    continue
                for value in values:
                    source = self._array_source(node.path, ctx)
                    alias = self._alias()
                    parts.append(
                        f"EXISTS (SELECT 1 FROM {source} AS {alias} WHERE "
                        f"{alias}.type = '{_literal_type(value)}')"
                    )
            return "(" + " AND ".join(parts) + ")"
        if isinstance(node, Exists):
            return f"({self._type(node.path, ctx)} != '')"
        if isinstance(node, Size):
            t = self._type(node.path, ctx)
            length = self._array_length(node.path, ctx)
            self.params.append(node.size)
            return f"({t} = 'array' AND {length} = ?)"
        if isinstance(node, Regex):
            t = self._type(node.path, ctx)
            v = self._value(node.path, ctx)
            if node.ignore_case:
                self.params.append(node.pattern.lower())
                return f"({t} = 'text' AND lower({v}) REGEXP ?)"
            self.params.append(node.pattern)
            return f"({t} = 'text' AND {v} REGEXP ?)"
        if isinstance(node, ElemMatch):
            t = self._type(node.path, ctx)
            source = self._array_source(node.path, ctx)
            alias = self._alias()
            condition = self._node(node.condition, _Context(element=alias))
            return (
                f"({t} = 'array' AND EXISTS (SELECT 1 FROM {source} AS {alias} WHERE {condition}))"
            )
        raise TypeError(f"unknown filter node {node!r}")

    def _typed_in(self, path: Sequence[str], ctx: _Context, values: Sequence[Scalar]) -> str:
        """The scalar at ``path`` equals one of ``values`` (type-strict)."""
        groups = _groups(values)
        pieces: list[str] = []
        for group, members in groups.items():
            t = self._type(path, ctx)
            if group == "null":
                pieces.append(f"{t} IN ('', 'null')")
            elif group == "bool":
                names = ", ".join(f"'{_literal_type(v)}'" for v in members)
                pieces.append(f"{t} IN ({names})")
            else:
                types = "= 'text'" if group == "string" else f"IN {_NUMBER_TYPES}"
                v = self._value(path, ctx)
                if len(members) == 1:
                    self.params.append(members[0])
                    pieces.append(f"({t} {types} AND {v} = ?)")
                else:
                    self.params.append(dumps(list(members)))
                    pieces.append(f"({t} {types} AND {v} IN (SELECT value FROM json_each(?)))")
        return pieces[0] if len(pieces) == 1 else "(" + " OR ".join(pieces) + ")"

    def _any_of(self, type_expr: str, value_expr: str, values: Sequence[Scalar]) -> str:
        """Like :meth:`_typed_in` for a ``json_each`` element (its type/value columns)."""
        pieces: list[str] = []
        for group, members in _groups(values).items():
            if group == "null":
                pieces.append(f"{type_expr} = 'null'")
            elif group == "bool":
                names = ", ".join(f"'{_literal_type(v)}'" for v in members)
                pieces.append(f"{type_expr} IN ({names})")
            else:
                types = "= 'text'" if group == "string" else f"IN {_NUMBER_TYPES}"
                self.params.append(dumps(list(members)))
                pieces.append(
                    f"({type_expr} {types} AND {value_expr} IN (SELECT value FROM json_each(?)))"
                )
        return "(" + " OR ".join(pieces) + ")"


def _literal_type(value: Scalar) -> str:
    """json_type()'s name for a literal true/false/null."""
    if value is None:
        return "null"
    return "true" if value else "false"


def _groups(values: Sequence[Scalar]) -> dict[str, list[Scalar]]:
    out: dict[str, list[Scalar]] = {}
    for value in values:
        out.setdefault(kind(value), []).append(value)
    return out


def compile_filter(node: Node, column: str = "metadata") -> tuple[str, list[Any]]:
    """``(sql, params)`` for a WHERE clause matching ``node``."""
    compiler = SQLiteFilter(column)
    sql = compiler.compile(node)
    return sql, compiler.params


__all__ = ["SQLiteFilter", "compile_filter", "json_path"]
