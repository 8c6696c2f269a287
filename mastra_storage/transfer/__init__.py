"""Copy, export and import whole stores: every domain, streamed page by page.

``copy_storage(src, dst)`` copies between any two stores (resumable through a checkpoint
file, idempotent, with a per-page count check); ``export_jsonl`` / ``import_jsonl`` go
through a JSON Lines file. The CLI's ``copy``/``export``/``import`` commands call these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .copy import TransferReport, copy_storage
    from .jsonl import FORMAT_NAME, FORMAT_VERSION, export_jsonl, import_jsonl


def __getattr__(name: str) -> Any:
    """Load the engine on first use (``mastra_storage.cli`` imports this package)."""
    if name in ("TransferReport", "copy_storage"):
        from . import copy

        return getattr(copy, name)
    if name in ("FORMAT_NAME", "FORMAT_VERSION", "export_jsonl", "import_jsonl"):
        from . import jsonl

        return getattr(jsonl, name)
    raise AttributeError(name)


__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "TransferReport",
    "copy_storage",
    "export_jsonl",
    "import_jsonl",
]
