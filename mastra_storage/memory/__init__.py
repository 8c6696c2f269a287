"""Agent memory on top of storage: ``Memory`` (history, semantic recall, working memory,
stored observations).

Imports no database driver and no embedding model; :mod:`.minilm` loads its model only
when a :class:`~.minilm.MiniLMEmbedder` is created.
"""

from __future__ import annotations

from .embedder import Embedder, HashingEmbedder
from .memory import Memory
from .options import (
    DEFAULT_WORKING_MEMORY_TEMPLATE,
    MemoryOptions,
    MessageRange,
    ObservationalMemoryOptions,
    SemanticRecallOptions,
    WorkingMemoryOptions,
    parse_options,
)
from .ownership import ResourceMismatchError
from .results import RecallResult, SaveTurnResult
from .vectors import RecallHit, index_name
from .working import StaleWorkingMemory

__all__ = [
    "DEFAULT_WORKING_MEMORY_TEMPLATE",
    "Embedder",
    "HashingEmbedder",
    "Memory",
    "MemoryOptions",
    "MessageRange",
    "ObservationalMemoryOptions",
    "RecallHit",
    "RecallResult",
    "ResourceMismatchError",
    "SaveTurnResult",
    "SemanticRecallOptions",
    "StaleWorkingMemory",
    "WorkingMemoryOptions",
    "index_name",
    "parse_options",
]
