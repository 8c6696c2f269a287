"""mastra-storage: async-first storage for AI agents, data-compatible with Mastra.

``import mastra_storage`` imports no database driver; adapters load their driver only when
a store is built (``connect(url)`` or the adapter class).
"""

from __future__ import annotations

from .composite import DOMAIN_NAMES, MastraStorage
from .domains import (
    IncludeSpec,
    MemoryStore,
    MessageFilter,
    ObservabilityStore,
    ScoresStore,
    SpanUpdate,
    StorageDomain,
    TraceFilter,
    WorkflowsStore,
)
from .errors import (
    BackendError,
    ConfigurationError,
    ConflictError,
    MastraStorageError,
    MissingDependencyError,
    NotFoundError,
    NotSupportedError,
    UnavailableError,
    ValidationError,
)
from .pagination import DateRange, OrderBy, Page
from .records import (
    CloneResult,
    Message,
    MessageContent,
    MessageUpdate,
    Resource,
    Score,
    ScorePayload,
    Span,
    Thread,
    Trace,
    WorkflowRun,
)
from .registry import AdapterSpec, connect

__version__ = "0.1.0"

__all__ = [
    "DOMAIN_NAMES",
    "AdapterSpec",
    "BackendError",
    "CloneResult",
    "ConfigurationError",
    "ConflictError",
    "DateRange",
    "IncludeSpec",
    "MastraStorage",
    "MastraStorageError",
    "MemoryStore",
    "Message",
    "MessageContent",
    "MessageFilter",
    "MessageUpdate",
    "MissingDependencyError",
    "NotFoundError",
    "NotSupportedError",
    "ObservabilityStore",
    "OrderBy",
    "Page",
    "Resource",
    "Score",
    "ScorePayload",
    "ScoresStore",
    "Span",
    "SpanUpdate",
    "StorageDomain",
    "Thread",
    "Trace",
    "TraceFilter",
    "UnavailableError",
    "ValidationError",
    "WorkflowRun",
    "WorkflowsStore",
    "__version__",
    "connect",
]
