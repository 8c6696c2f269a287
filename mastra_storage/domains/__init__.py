"""The domain stores: the core's implementation of each storage domain over a backend.

Each store (:class:`MemoryStore`, :class:`WorkflowsStore`, :class:`ScoresStore`,
:class:`ObservabilityStore`, :class:`FavoritesStore`, ...) is a concrete class composed
over one backend of :mod:`mastra_storage.backend`; a storage object (``MastraStorage``)
holds one per domain.
"""

from .base import StorageDomain
from .favorites import FavoritesStore
from .memory import IncludeSpec, MemoryStore, MessageFilter
from .observability import ObservabilityStore, SpanUpdate, TraceFilter
from .scores import ScoresStore
from .workflows import WorkflowsStore

__all__ = [
    "FavoritesStore",
    "IncludeSpec",
    "MemoryStore",
    "MessageFilter",
    "ObservabilityStore",
    "ScoresStore",
    "SpanUpdate",
    "StorageDomain",
    "TraceFilter",
    "WorkflowsStore",
]
