"""Shared scaffolding of the SQL filter compilers (SQLite JSON1, PostgreSQL jsonb).

:class:`SqlFilterCompiler` keeps the parameter list and ``json_each``-style alias counter,
compiles ``Const``/``And``/``Or`` the same way for every dialect and dispatches every other
node of the AST (:mod:`.filter`) to one method per node type; a backend writes only those
leaf methods, in its own SQL, with its own context type (where paths are resolved).
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar, Generic, TypeVar

from . import filter as ast

#: SQL comparison operator of each range operator.
RANGE_SQL = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}

Ctx = TypeVar("Ctx")


class SqlFilterCompiler(abc.ABC, Generic[Ctx]):
    """Compile one AST to a SQL predicate; ``params`` collects the bound values in order."""

    true_sql: ClassVar[str] = "TRUE"
    false_sql: ClassVar[str] = "FALSE"

    def __init__(self, column: str = "metadata") -> None:
        self.column = column
        self.params: list[Any] = []
        self._aliases = 0

    def _alias(self) -> str:
        """A fresh table alias (``e1``, ``e2``, ...) for an array-element subquery."""
        self._aliases += 1
        return f"e{self._aliases}"

    def _node(self, node: ast.Node, ctx: Ctx) -> str:
        if isinstance(node, ast.Const):
            return self.true_sql if node.value else self.false_sql
        if isinstance(node, (ast.And, ast.Or)):
            joiner = " AND " if isinstance(node, ast.And) else " OR "
            return "(" + joiner.join(self._node(c, ctx) for c in node.children) + ")"
        if isinstance(node, ast.Not):
            return self._not(node, ctx)
        if isinstance(node, ast.Eq):
            return self._eq(node, ctx)
        if isinstance(node, ast.Range):
            return self._range(node, ctx)
        if isinstance(node, ast.In):
            return self._in(node, ctx)
        if isinstance(node, ast.All):
            return self._all(node, ctx)
        if isinstance(node, ast.Exists):
            return self._exists(node, ctx)
        if isinstance(node, ast.Size):
            return self._size(node, ctx)
        if isinstance(node, ast.Regex):
            return self._regex(node, ctx)
        if isinstance(node, ast.ElemMatch):
            return self._elem_match(node, ctx)
        raise TypeError(f"unknown filter node {node!r}")

    @abc.abstractmethod
    def _not(self, node: ast.Not, ctx: Ctx) -> str: ...

    @abc.abstractmethod
    def _eq(self, node: ast.Eq, ctx: Ctx) -> str: ...

    @abc.abstractmethod
    def _range(self, node: ast.Range, ctx: Ctx) -> str: ...

    @abc.abstractmethod
    def _in(self, node: ast.In, ctx: Ctx) -> str: ...

    @abc.abstractmethod
    def _all(self, node: ast.All, ctx: Ctx) -> str: ...

    @abc.abstractmethod
    def _exists(self, node: ast.Exists, ctx: Ctx) -> str: ...

    @abc.abstractmethod
    def _size(self, node: ast.Size, ctx: Ctx) -> str: ...

    @abc.abstractmethod
    def _regex(self, node: ast.Regex, ctx: Ctx) -> str: ...

    @abc.abstractmethod
    def _elem_match(self, node: ast.ElemMatch, ctx: Ctx) -> str: ...


__all__ = ["RANGE_SQL", "SqlFilterCompiler"]
