"""mastra-storage: async-first storage for AI agents, data-compatible with Mastra.

``import mastra_storage`` imports no database driver; adapters load their driver only when
a store is built (``connect(url)`` or the adapter class).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .composite import DOMAIN_NAMES, MastraStorage
from .errors import (
    BackendError,
    ConfigurationError,
    ConflictError,
    EventLoopMismatchError,
    KeyCollisionError,
    MastraStorageError,
    MissingDependencyError,
    NotFoundError,
    NotSupportedError,
    StoreClosedError,
    UnavailableError,
    ValidationError,
    VersionConflictError,
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

if TYPE_CHECKING:
    from .backend import (
        MemoryBackend,
        ObservabilityBackend,
        ScoresBackend,
        SupportsResourceDelete,
        SupportsResourceMessages,
        SupportsResourceScan,
        SupportsScoreScan,
        WorkflowsBackend,
    )
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

__version__ = "0.1.0"

# The domain stores, the backend contract and their argument types load on first access
# (PEP 562): importing every domain module was about a third of ``import mastra_storage``,
# and an application mostly reaches them through ``storage.require_store(...)``.
_LAZY_FROM_DOMAINS = frozenset(
    {
        "IncludeSpec",
        "MemoryStore",
        "MessageFilter",
        "ObservabilityStore",
        "ScoresStore",
        "SpanUpdate",
        "StorageDomain",
        "TraceFilter",
        "WorkflowsStore",
    }
)
# What a backend author implements (the query types are in ``mastra_storage.backend``).
_LAZY_FROM_BACKEND = frozenset(
    {
        "MemoryBackend",
        "ObservabilityBackend",
        "ScoresBackend",
        "SupportsResourceDelete",
        "SupportsResourceMessages",
        "SupportsResourceScan",
        "SupportsScoreScan",
        "WorkflowsBackend",
    }
)


if not TYPE_CHECKING:
    # Hidden from type checkers: a module ``__getattr__`` would make every unknown name
    # (a typo included) type-check as ``Any``; they see the real imports above instead.

    def __getattr__(name: str) -> Any:
        if name in _LAZY_FROM_DOMAINS:
            from . import domains as source
        elif name in _LAZY_FROM_BACKEND:
            from . import backend as source
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(source, name)
        globals()[name] = value  # later lookups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | _LAZY_FROM_DOMAINS | _LAZY_FROM_BACKEND)


__all__ = [
    "DOMAIN_NAMES",
    "AdapterSpec",
    "BackendError",
    "CloneResult",
    "ConfigurationError",
    "ConflictError",
    "DateRange",
    "EventLoopMismatchError",
    "IncludeSpec",
    "KeyCollisionError",
    "MastraStorage",
    "MastraStorageError",
    "MemoryBackend",
    "MemoryStore",
    "Message",
    "MessageContent",
    "MessageFilter",
    "MessageUpdate",
    "MissingDependencyError",
    "NotFoundError",
    "NotSupportedError",
    "ObservabilityBackend",
    "ObservabilityStore",
    "OrderBy",
    "Page",
    "Resource",
    "Score",
    "ScorePayload",
    "ScoresBackend",
    "ScoresStore",
    "Span",
    "SpanUpdate",
    "StorageDomain",
    "StoreClosedError",
    "SupportsResourceDelete",
    "SupportsResourceMessages",
    "SupportsResourceScan",
    "SupportsScoreScan",
    "Thread",
    "Trace",
    "TraceFilter",
    "UnavailableError",
    "ValidationError",
    "VersionConflictError",
    "WorkflowRun",
    "WorkflowsBackend",
    "WorkflowsStore",
    "__version__",
    "connect",
]
