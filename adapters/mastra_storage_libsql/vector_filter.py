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
from mastra_storage.vector import filter as ast
from mastra_storage.vector.filter import Scalar, kind
from mastra_storage.vector.sql_filter import RANGE_SQL, SqlFilterCompiler

_NUMBER_TYPES = "('integer', 'real')"


def json_path(path: Sequence[str]) -> str:
    """``('a', 'b')`` -> ``$."a"."b"`` (segments are validated: no quotes, no dots)."""
    return "$" + "".join(f'."{segment}"' for segment in path)


@dataclass(frozen=True)
class _Context:
    """Where paths are resolved: the row's ``metadata`` or an ``$elemMatch`` element."""

    element: str | None = None  # the json_each alias, or None for the metadata column


class SQLiteFilter(SqlFilterCompiler[_Context]):
    """Compile one AST; ``params`` holds the values in the order of the ``?`` marks."""

    true_sql = "1"
    false_sql = "0"

    def compile(self, node: ast.Node) -> str:
        return self._node(node, _Context())

    # ---- value access -----------------------------------------------------------------

    def _access(self, path: Sequence[str], ctx: _Context, top: str, whole: str, nested: str) -> str:
        """One of three templates: ``top`` on the column (``{col}``), ``whole`` for the
        ``$elemMatch`` element itself and ``nested`` for a path inside it (``{e}``: the
        element's alias); ``top`` and ``nested`` bind the JSON path to their ``?``."""
        if ctx.element is not None and not path:
            return whole.format(e=ctx.element)
        self.params.append(json_path(path))
        if ctx.element is None:
            return top.format(col=self.column)
        return nested.format(e=ctx.element)

    def _type(self, path: Sequence[str], ctx: _Context) -> str:
        return self._access(
            path,
            ctx,
            "IFNULL(json_type({col}, ?), '')",
            "{e}.type",
            "IFNULL(CASE WHEN {e}.type = 'object' THEN json_type({e}.value, ?) END, '')",
        )

    def _value(self, path: Sequence[str], ctx: _Context) -> str:
        return self._access(
            path,
            ctx,
            "json_extract({col}, ?)",
            "{e}.value",
            "CASE WHEN {e}.type = 'object' THEN json_extract({e}.value, ?) END",
        )

    def _array_source(self, path: Sequence[str], ctx: _Context) -> str:
        """A ``json_each(...)`` over the array at ``path`` (empty when it is not one)."""
        return self._access(
            path,
            ctx,
            "json_each({col}, ?)",
            "json_each(CASE WHEN {e}.type = 'array' THEN {e}.value ELSE '[]' END)",
            "json_each(CASE WHEN {e}.type = 'object' THEN {e}.value ELSE '{{}}' END, ?)",
        )

    def _array_length(self, path: Sequence[str], ctx: _Context) -> str:
        return self._access(
            path,
            ctx,
            "json_array_length({col}, ?)",
            "json_array_length(CASE WHEN {e}.type = 'array' THEN {e}.value END)",
            "json_array_length(CASE WHEN {e}.type = 'object' THEN {e}.value ELSE '{{}}' END, ?)",
        )

    # ---- predicates -------------------------------------------------------------------

    def _not(self, node: ast.Not, ctx: _Context) -> str:
        return f"NOT {self._node(node.child, ctx)}"

    def _eq(self, node: ast.Eq, ctx: _Context) -> str:
        return self._typed_in(node.path, ctx, (node.value,))

    def _range(self, node: ast.Range, ctx: _Context) -> str:
        types = "= 'text'" if isinstance(node.value, str) else f"IN {_NUMBER_TYPES}"
        t = self._type(node.path, ctx)
        v = self._value(node.path, ctx)
        self.params.append(node.value)
        return f"({t} {types} AND {v} {RANGE_SQL[node.op]} ?)"

    def _in(self, node: ast.In, ctx: _Context) -> str:
        scalar = self._typed_in(node.path, ctx, node.values)
        t = self._type(node.path, ctx)
        source = self._array_source(node.path, ctx)
        alias = self._alias()
        inner = self._any_of(f"{alias}.type", f"{alias}.value", node.values)
        return (
            f"({scalar} OR ({t} = 'array' AND EXISTS (SELECT 1 FROM {source} AS {alias} "
            f"WHERE {inner})))"
        )

    def _all(self, node: ast.All, ctx: _Context) -> str:
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

    def _exists(self, node: ast.Exists, ctx: _Context) -> str:
        return f"({self._type(node.path, ctx)} != '')"

    def _size(self, node: ast.Size, ctx: _Context) -> str:
        t = self._type(node.path, ctx)
        length = self._array_length(node.path, ctx)
        self.params.append(node.size)
        return f"({t} = 'array' AND {length} = ?)"

    def _regex(self, node: ast.Regex, ctx: _Context) -> str:
        t = self._type(node.path, ctx)
        v = self._value(node.path, ctx)
        if node.ignore_case:
            self.params.append(node.pattern.lower())
            return f"({t} = 'text' AND lower({v}) REGEXP ?)"
        self.params.append(node.pattern)
        return f"({t} = 'text' AND {v} REGEXP ?)"

    def _elem_match(self, node: ast.ElemMatch, ctx: _Context) -> str:
        t = self._type(node.path, ctx)
        source = self._array_source(node.path, ctx)
        alias = self._alias()
        condition = self._node(node.condition, _Context(element=alias))
        return f"({t} = 'array' AND EXISTS (SELECT 1 FROM {source} AS {alias} WHERE {condition}))"

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


def compile_filter(node: ast.Node, column: str = "metadata") -> tuple[str, list[Any]]:
    """``(sql, params)`` for a WHERE clause matching ``node``."""
    compiler = SQLiteFilter(column)
    sql = compiler.compile(node)
    return sql, compiler.params


__all__ = ["SQLiteFilter", "compile_filter", "json_path"]
