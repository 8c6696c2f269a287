"""One module per backend; each defines ``BACKEND``, a :class:`~.base.Backend` subclass.

Modules are imported only when their backend is selected, so a missing driver or a
half-finished adapter affects only its own row (it is skipped with the reason printed).
"""

from __future__ import annotations

import importlib

from .base import Backend, Unavailable

NAMES: tuple[str, ...] = ("memory", "libsql", "postgres", "upstash", "mongodb", "dynamodb")


def load(name: str) -> Backend:
    """A fresh backend object for ``name`` (raises :class:`Unavailable` if it cannot load)."""
    if name not in NAMES:
        raise ValueError(f"unknown backend {name!r}; known: {', '.join(NAMES)}")
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except Exception as exc:
        raise Unavailable(
            f"benchmark module failed to import: {type(exc).__name__}: {exc}"
        ) from exc
    backend_class: type[Backend] = module.BACKEND
    return backend_class()


__all__ = ["NAMES", "Backend", "Unavailable", "load"]
