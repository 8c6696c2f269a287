"""The vector filter AST translated to a MongoDB query document.

MongoDB's query language already has every operator, but some of its defaults differ from
the shared semantics (:mod:`mastra_storage.vector.filter`), so the translation adds guards:

* a scalar condition (``$eq``, ranges, ``$regex``) on an array field matches an element in
  MongoDB; here arrays never equal scalars, so those leaves add ``$not: {$type: "array"}``;
* dotted paths traverse arrays in MongoDB (``a.b`` reaches ``b`` inside an array ``a``);
  here paths go through objects only, so every proper prefix gets the same guard;
* ``$all`` on a scalar field matches it in MongoDB; here it needs an array (``$type``);
* there is no top-level ``$not``: ``NOT q`` is ``{$nor: [q]}``.

Conditions on an array element itself (``$elemMatch: {$gte: 80, $lt: 85}``) use MongoDB's
operator form, which cannot express ``$or`` or repeated operators; such filters raise
:class:`~mastra_storage.errors.NotSupportedError` (write them on object elements instead).
Field paths get the ``metadata.`` prefix (documents are ``{_id, embedding, metadata}``).
Values are passed as BSON values, never parsed as query syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mastra_storage.errors import NotSupportedError
from mastra_storage.vector import filter as ast
from mastra_storage.vector.validation import VECTOR_DOMAIN, vector_error_id

_NOT_ARRAY: dict[str, Any] = {"$not": {"$type": "array"}}
#: Matches no document (every document has an ``_id``).
NOTHING: dict[str, Any] = {"_id": {"$exists": False}}


def _unsupported(detail: str) -> NotSupportedError:
    return NotSupportedError(
        f"MongoDBVector cannot express this filter: {detail}",
        id=vector_error_id("MONGODB", "filter", "unsupported"),
        domain=VECTOR_DOMAIN,
    )


def _all_of(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """AND of query documents: one merged document when their keys are disjoint (the
    plain form every server accepts, also inside ``$elemMatch``), else ``$and``."""
    if len(parts) == 1:
        return parts[0]
    merged: dict[str, Any] = {}
    for part in parts:
        if any(key in merged for key in part):
            return {"$and": parts}
        merged.update(part)
    return merged


class MongoFilter:
    """Translate one AST; ``prefix`` is prepended to paths (``metadata``, or none)."""

    def __init__(self, prefix: str = "metadata") -> None:
        self.prefix = prefix

    def translate(self, node: ast.Node) -> dict[str, Any]:
        return self._query(node, self.prefix)

    def _path(self, base: str, path: Sequence[str]) -> str:
        return ".".join([base, *path]) if base else ".".join(path)

    def _leaf(self, base: str, path: Sequence[str], expr: dict[str, Any]) -> dict[str, Any]:
        """``{path: expr}`` plus guards against MongoDB's implicit array traversal."""
        parts = [{self._path(base, path[:i]): _NOT_ARRAY} for i in range(1, len(path))]
        parts.append({self._path(base, path): expr})
        return _all_of(parts)

    def _query(self, node: ast.Node, base: str) -> dict[str, Any]:
        if isinstance(node, ast.Const):
            return {} if node.value else dict(NOTHING)
        if isinstance(node, ast.And):
            return _all_of([self._query(c, base) for c in node.children])
        if isinstance(node, ast.Or):
            return {"$or": [self._query(c, base) for c in node.children]}
        if isinstance(node, ast.Not):
            return {"$nor": [self._query(node.child, base)]}
        if not node.path:
            raise _unsupported("a condition on the element itself outside $elemMatch")
        if isinstance(node, ast.ElemMatch):
            if isinstance(node.condition, ast.Or):
                # some element matches A or B == some element matches A, or some matches B;
                # the distributed form avoids $or inside $elemMatch (not every server has it)
                return {
                    "$or": [
                        self._query(ast.ElemMatch(node.path, child), base)
                        for child in node.condition.children
                    ]
                }
            if _is_element_condition(node.condition):
                inner = self._ops(node.condition)
            else:
                inner = self._query(node.condition, "")
            return self._leaf(base, node.path, {"$elemMatch": inner})
        return self._leaf(base, node.path, self._expr(node))

    def _expr(self, node: ast.Node) -> dict[str, Any]:
        """The operator expression of a leaf (applies to the value at its path)."""
        if isinstance(node, ast.Eq):
            return {"$eq": node.value, **_NOT_ARRAY}
        if isinstance(node, ast.Range):
            return {node.op: node.value, **_NOT_ARRAY}
        if isinstance(node, ast.In):
            return {"$in": list(node.values)}
        if isinstance(node, ast.All):
            return {"$all": list(node.values), "$type": "array"}
        if isinstance(node, ast.Exists):
            return {"$exists": True}
        if isinstance(node, ast.Size):
            return {"$size": node.size}
        if isinstance(node, ast.Regex):
            expr: dict[str, Any] = {"$regex": node.pattern, "$type": "string"}
            if node.ignore_case:
                expr["$options"] = "i"
            return expr
        raise _unsupported(f"{type(node).__name__} as an operator expression")

    def _ops(self, node: ast.Node) -> dict[str, Any]:
        """Operator form for conditions on the element itself (inside ``$elemMatch``)."""
        if isinstance(node, ast.And):
            merged: dict[str, Any] = {}
            for child in node.children:
                for key, value in self._ops(child).items():
                    if key in merged and merged[key] != value:
                        raise _unsupported(f"{key} twice on one array element")
                    merged[key] = value
            return merged
        if isinstance(node, ast.Not):
            if isinstance(node.child, (ast.And, ast.Or, ast.Not, ast.Const, ast.ElemMatch)):
                raise _unsupported("$not of a compound condition on an array element")
            return {"$not": self._expr(node.child)}
        if isinstance(node, ast.ElemMatch):
            return {"$elemMatch": self._ops(node.condition)}
        if isinstance(node, (ast.Or, ast.Const)):
            raise _unsupported("$or on an array element itself")
        return self._expr(node)


def _is_element_condition(node: ast.Node) -> bool:
    """True when the condition is about the element itself (paths are ``()``)."""
    if isinstance(node, (ast.And, ast.Or)):
        return any(_is_element_condition(c) for c in node.children)
    if isinstance(node, ast.Not):
        return _is_element_condition(node.child)
    if isinstance(node, ast.Const):
        return False
    return not node.path


def translate_filter(node: ast.Node, prefix: str = "metadata") -> dict[str, Any]:
    """The MongoDB query document for ``node`` (paths under ``prefix``)."""
    return MongoFilter(prefix).translate(node)


__all__ = ["NOTHING", "MongoFilter", "translate_filter"]
