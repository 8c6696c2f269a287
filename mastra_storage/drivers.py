"""Importing an adapter's optional driver on first use, one way for every adapter."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType

from .errors import MissingDependencyError


def import_driver(
    module: str,
    *,
    needs: str,
    extra: str,
    error_id: str = "MASTRA_STORAGE_MISSING_DEPENDENCY",
    details: Mapping[str, str | int | float | bool | None] | None = None,
) -> ModuleType:
    """``module``, imported (Python caches it after the first call).

    Raises :class:`~mastra_storage.errors.MissingDependencyError` when it is not installed,
    its message ``"<needs>: pip install 'mastra-storage[<extra>]'"`` (``needs`` says who
    needs what, e.g. ``"PgVector needs asyncpg"``), with ``error_id`` and ``details``; the
    ``ImportError`` is its cause.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{needs}: pip install 'mastra-storage[{extra}]'",
            id=error_id,
            details=dict(details) if details is not None else None,
        ) from exc


__all__ = ["import_driver"]
