"""The vector filter AST compiled to PostgreSQL jsonb SQL with ``$n`` parameters.

Values are always parameters. Field names are validated by the core parser (letters,
digits, ``_``, ``-``; never quotes) and inlined as string literals in ``->`` chains, so a
top-level string equality compiles to ``(metadata ->> 'thread_id') = $n``, which the
btree indexes ``metadata_indexes`` creates (Mastra's ``metadataIndexes``) can serve.

NULL handling: a leaf yields NULL where its field is missing; in WHERE, AND and OR a NULL
acts as false, so only ``NOT`` needs care: it compiles to ``NOT COALESCE(x, false)``,
which makes ``$ne``/``$nin``/``$not`` match missing fields as the shared semantics require.
``jsonb_array_elements`` only ever sees an array (``CASE`` guard), so no filter can make a
row raise an error.
"""

from __future__ import annotations

from collections.abc import Sequence
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
)

_RANGE_SQL = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


def _literal(segment: str) -> str:
    """A validated path segment as a SQL string literal (segments never contain quotes)."""
    if "'" in segment or "\\" in segment:
        raise ValueError(f"unvalidated path segment {segment!r}")
    return f"'{segment}'"


class PgFilter:
    """Compile one AST; ``params`` are bound as ``$<first_param>``, ``$<first_param+1>``..."""

    def __init__(self, column: str = "metadata", first_param: int = 1) -> None:
        self.column = column
        self.params: list[Any] = []
        self._first = first_param
        self._aliases = 0

    def compile(self, node: Node) -> str:
        return self._node(node, None)

    def _param(self, value: Any, cast: str = "") -> str:
        self.params.append(value)
        return f"${self._first + len(self.params) - 1}{cast}"

    # ---- value access (``element``: the jsonb_array_elements alias, or None) --------------

    def _json(self, path: Sequence[str], element: str | None) -> str:
        base = self.column if element is None else f"{element}.v"
        if not path:
            return base
        return "(" + base + "".join(f" -> {_literal(s)}" for s in path) + ")"

    def _text(self, path: Sequence[str], element: str | None) -> str:
        base = self.column if element is None else f"{element}.v"
        if not path:
            return f"({base} #>> '{{}}')"
        arrows = "".join(f" -> {_literal(s)}" for s in path[:-1])
        return f"({base}{arrows} ->> {_literal(path[-1])})"

    def _type(self, path: Sequence[str], element: str | None) -> str:
        return f"jsonb_typeof({self._json(path, element)})"

    def _elements(self, path: Sequence[str], element: str | None) -> tuple[str, str]:
        """``(from_clause, alias)`` over the array at ``path`` (no rows if not an array)."""
        self._aliases += 1
        alias = f"e{self._aliases}"
        j = self._json(path, element)
        source = (
            f"jsonb_array_elements(CASE WHEN jsonb_typeof({j}) = 'array' "
            f"THEN {j} ELSE '[]'::jsonb END) AS {alias}(v)"
        )
        return source, alias

    # ---- predicates -------------------------------------------------------------------

    def _node(self, node: Node, element: str | None) -> str:
        if isinstance(node, Const):
            return "TRUE" if node.value else "FALSE"
        if isinstance(node, (And, Or)):
            joiner = " AND " if isinstance(node, And) else " OR "
            return "(" + joiner.join(self._node(c, element) for c in node.children) + ")"
        if isinstance(node, Not):
            return f"(NOT COALESCE({self._node(node.child, element)}, FALSE))"
        if isinstance(node, Eq):
            return self._eq(node.path, node.value, element)
        if isinstance(node, Range):
            if isinstance(node.value, str):
                value = self._param(node.value, "::text")
                text = self._text(node.path, element)
                return (
                    f"({self._type(node.path, element)} = 'string' AND "
                    f'{text} COLLATE "C" {_RANGE_SQL[node.op]} {value})'
                )
            value = self._param(dumps(node.value), "::jsonb")
            return (
                f"({self._type(node.path, element)} = 'number' AND "
                f"{self._json(node.path, element)} {_RANGE_SQL[node.op]} {value})"
            )
        if isinstance(node, In):
            scalar = self._in_scalar(self._json(node.path, element), node.values)
            source, alias = self._elements(node.path, element)
            inner = self._in_scalar(f"{alias}.v", node.values, element_level=True)
            return (
                f"({scalar} OR ({self._type(node.path, element)} = 'array' AND EXISTS "
                f"(SELECT 1 FROM {source} WHERE {inner})))"
            )
        if isinstance(node, All):
            value = self._param(dumps(list(node.values)), "::jsonb")
            return (
                f"({self._type(node.path, element)} = 'array' AND "
                f"{self._json(node.path, element)} @> {value})"
            )
        if isinstance(node, Exists):
            return f"({self._json(node.path, element)} IS NOT NULL)"
        if isinstance(node, Size):
            j = self._json(node.path, element)
            size = self._param(node.size, "::int")
            return (
                f"(jsonb_typeof({j}) = 'array' AND jsonb_array_length(CASE WHEN "
                f"jsonb_typeof({j}) = 'array' THEN {j} ELSE '[]'::jsonb END) = {size})"
            )
        if isinstance(node, Regex):
            op = "~*" if node.ignore_case else "~"
            pattern = self._param(node.pattern, "::text")
            return (
                f"({self._type(node.path, element)} = 'string' AND "
                f"{self._text(node.path, element)} {op} {pattern})"
            )
        if isinstance(node, ElemMatch):
            source, alias = self._elements(node.path, element)
            condition = self._node(node.condition, alias)
            return (
                f"({self._type(node.path, element)} = 'array' AND EXISTS "
                f"(SELECT 1 FROM {source} WHERE {condition}))"
            )
        raise TypeError(f"unknown filter node {node!r}")

    def _eq(self, path: Sequence[str], value: Scalar, element: str | None) -> str:
        j = self._json(path, element)
        if value is None:
            return f"({j} IS NULL OR {j} = 'null'::jsonb)"
        if isinstance(value, bool):
            return f"({j} = '{'true' if value else 'false'}'::jsonb)"
        if isinstance(value, str):
            param = self._param(value, "::text")
            text, kind = self._text(path, element), self._type(path, element)
            return f"({text} = {param} AND {kind} = 'string')"
        param = self._param(dumps(value), "::jsonb")
        return f"({self._type(path, element)} = 'number' AND {j} = {param})"

    def _in_scalar(self, j: str, values: Sequence[Scalar], *, element_level: bool = False) -> str:
        """The scalar ``j`` equals one of ``values`` (type-strict; ``None``: null/missing)."""
        pieces: list[str] = []
        present = [v for v in values if v is not None]
        if present:
            listed = self._param(dumps(present), "::jsonb")
            pieces.append(
                f"(jsonb_typeof({j}) IN ('string', 'number', 'boolean') AND {listed} @> {j})"
            )
        if len(present) != len(values):
            pieces.append(
                f"{j} = 'null'::jsonb" if element_level else f"({j} IS NULL OR {j} = 'null'::jsonb)"
            )
        return pieces[0] if len(pieces) == 1 else "(" + " OR ".join(pieces) + ")"


def compile_filter(
    node: Node, column: str = "metadata", first_param: int = 1
) -> tuple[str, list[Any]]:
    """``(sql, params)`` for a WHERE clause; placeholders start at ``$first_param``."""
    compiler = PgFilter(column, first_param)
    return compiler.compile(node), compiler.params


__all__ = ["PgFilter", "compile_filter"]
