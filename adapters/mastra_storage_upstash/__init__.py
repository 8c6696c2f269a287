"""Upstash/Redis adapter for mastra-storage, key-compatible with ``@mastra/upstash``.

``import mastra_storage_upstash`` does not import the ``redis`` driver; the driver is
imported when a store is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import UpstashStore

__all__ = ["UpstashStore"]


def __getattr__(name: str) -> Any:
    if name == "UpstashStore":
        from .store import UpstashStore

        return UpstashStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
