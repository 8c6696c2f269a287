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
from mastra_storage.vector import filter as ast
from mastra_storage.vector.filter import Scalar
from mastra_storage.vector.sql_filter import RANGE_SQL, SqlFilterCompiler


def _literal(segment: str) -> str:
    """A validated path segment as a SQL string literal (segments never contain quotes)."""
    if "'" in segment or "\\" in segment:
        raise ValueError(f"unvalidated path segment {segment!r}")
    return f"'{segment}'"


class PgFilter(SqlFilterCompiler[str | None]):
    """Compile one AST; ``params`` are bound as ``$<first_param>``, ``$<first_param+1>``..."""

    def __init__(self, column: str = "metadata", first_param: int = 1) -> None:
        super().__init__(column)
        self._first = first_param

    def compile(self, node: ast.Node) -> str:
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
        alias = self._alias()
        j = self._json(path, element)
        source = (
            f"jsonb_array_elements(CASE WHEN jsonb_typeof({j}) = 'array' "
            f"THEN {j} ELSE '[]'::jsonb END) AS {alias}(v)"
        )
        return source, alias

    # ---- predicates -------------------------------------------------------------------

    def _not(self, node: ast.Not, element: str | None) -> str:
        return f"(NOT COALESCE({self._node(node.child, element)}, FALSE))"

    def _eq(self, node: ast.Eq, element: str | None) -> str:
        return self._eq_value(node.path, node.value, element)

    def _range(self, node: ast.Range, element: str | None) -> str:
        if isinstance(node.value, str):
            value = self._param(node.value, "::text")
            text = self._text(node.path, element)
            return (
                f"({self._type(node.path, element)} = 'string' AND "
                f'{text} COLLATE "C" {RANGE_SQL[node.op]} {value})'
            )
        value = self._param(dumps(node.value), "::jsonb")
        return (
            f"({self._type(node.path, element)} = 'number' AND "
            f"{self._json(node.path, element)} {RANGE_SQL[node.op]} {value})"
        )

    def _in(self, node: ast.In, element: str | None) -> str:
        scalar = self._in_scalar(self._json(node.path, element), node.values)
        source, alias = self._elements(node.path, element)
        inner = self._in_scalar(f"{alias}.v", node.values, element_level=True)
        return (
            f"({scalar} OR ({self._type(node.path, element)} = 'array' AND EXISTS "
            f"(SELECT 1 FROM {source} WHERE {inner})))"
        )

    def _all(self, node: ast.All, element: str | None) -> str:
        value = self._param(dumps(list(node.values)), "::jsonb")
        return (
            f"({self._type(node.path, element)} = 'array' AND "
            f"{self._json(node.path, element)} @> {value})"
        )

    def _exists(self, node: ast.Exists, element: str | None) -> str:
        return f"({self._json(node.path, element)} IS NOT NULL)"

    def _size(self, node: ast.Size, element: str | None) -> str:
        j = self._json(node.path, element)
        size = self._param(node.size, "::int")
        return (
            f"(jsonb_typeof({j}) = 'array' AND jsonb_array_length(CASE WHEN "
            f"jsonb_typeof({j}) = 'array' THEN {j} ELSE '[]'::jsonb END) = {size})"
        )

    def _regex(self, node: ast.Regex, element: str | None) -> str:
        op = "~*" if node.ignore_case else "~"
        pattern = self._param(node.pattern, "::text")
        return (
            f"({self._type(node.path, element)} = 'string' AND "
            f"{self._text(node.path, element)} {op} {pattern})"
        )

    def _elem_match(self, node: ast.ElemMatch, element: str | None) -> str:
        source, alias = self._elements(node.path, element)
        condition = self._node(node.condition, alias)
        return (
            f"({self._type(node.path, element)} = 'array' AND EXISTS "
            f"(SELECT 1 FROM {source} WHERE {condition}))"
        )

    def _eq_value(self, path: Sequence[str], value: Scalar, element: str | None) -> str:
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
    node: ast.Node, column: str = "metadata", first_param: int = 1
) -> tuple[str, list[Any]]:
    """``(sql, params)`` for a WHERE clause; placeholders start at ``$first_param``."""
    compiler = PgFilter(column, first_param)
    return compiler.compile(node), compiler.params


__all__ = ["PgFilter", "compile_filter"]
