"""Exact-id guards for ElectroDB's lower-cased keys.

ElectroDB lower-cases key values, so ``Thread-1`` and ``thread-1`` map to one item key.
Reads already compare the loaded item's exact id; writes use these helpers so a record is
only ever created or replaced under its *own* id: every put/update carries a condition on
the exact id (:func:`same_record_condition`), and a failed condition or a read that finds
another id under the key becomes :class:`KeyCollisionError`, with nothing written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mastra_storage.errors import KeyCollisionError

from .table import Expr

#: ``kind`` -> the attributes that hold a record's identity.
Identity = Mapping[str, str]


def same_record_condition(expr: Expr, identity: Identity) -> str:
    """``attribute_not_exists(pk) OR (<attr> = <value> AND ...)``: the write may create the
    item or replace the record with exactly this identity, never a case twin."""
    same = " AND ".join(f"{expr.n(name)} = {expr.v(value)}" for name, value in identity.items())
    return f"attribute_not_exists({expr.n('pk')}) OR ({same})"


def holds_other(item: Mapping[str, Any] | None, identity: Identity) -> bool:
    """Whether ``item`` (read by key) is a record with a different exact identity."""
    return item is not None and any(item.get(name) != value for name, value in identity.items())


def key_collision(kind: str, identity: Identity) -> KeyCollisionError:
    """The typed refusal: names the ids given (never the stored record or its data)."""
    shown = "/".join(identity.values())
    return KeyCollisionError(
        f"{kind} {shown!r} cannot be stored: DynamoDB keys are case-insensitive (ElectroDB "
        f"lower-cases them) and this key already holds another {kind} whose id differs "
        "only in letter case. Nothing was written.",
        id="MASTRA_STORAGE_DYNAMODB_KEY_COLLISION",
        details={"kind": kind, **dict(identity)},
    )


__all__ = ["Identity", "holds_other", "key_collision", "same_record_condition"]
