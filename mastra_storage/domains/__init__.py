"""Domain protocols and the shared base classes adapters build on."""

from .base import StorageDomain
from .memory import BaseMemoryStore, IncludeSpec, MemoryStore, MessageFilter
from .observability import BaseObservabilityStore, ObservabilityStore, SpanUpdate, TraceFilter
from .scores import BaseScoresStore, ScoresStore
from .workflows import BaseWorkflowsStore, WorkflowsStore

__all__ = [
    "BaseMemoryStore",
    "BaseObservabilityStore",
    "BaseScoresStore",
    "BaseWorkflowsStore",
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
