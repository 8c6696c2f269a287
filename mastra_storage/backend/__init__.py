"""The public backend contract: what a storage backend implements, per domain.

A backend is the I/O half of a domain. The core's domain stores
(:class:`~mastra_storage.domains.memory.MemoryStore`, ``WorkflowsStore``, ``ScoresStore``,
``ObservabilityStore``) are composed over one backend each and hold everything that is the
same on every backend: validation, paging, include windows, cursors and merge rules. A
backend implements the abstract methods of its domain's class here; each method's
docstring says what it must make atomic and what the core relies on.

* :class:`MemoryBackend`, :class:`WorkflowsBackend`, :class:`ScoresBackend`,
  :class:`ObservabilityBackend`: the required methods per domain.
* :mod:`.capabilities`: optional methods as small runtime-checkable protocols.
* :mod:`.paging`: the one paging contract of every ``query_*`` method and its reference
  executor, for backends that filter in Python.

``docs/writing-a-backend.md`` walks through a backend, with the in-memory one as the
example.
"""

from .capabilities import (
    CAPABILITIES,
    SupportsMessageJSON,
    SupportsResourceDelete,
    SupportsResourceMessages,
    SupportsResourceScan,
    SupportsScoreScan,
    has_capability,
)
from .memory import MemoryBackend, MessageQuery, MessageQueryResult, StoredMessage, ThreadQuery
from .observability import ObservabilityBackend, SpanUpdate, TraceQuery
from .paging import cut_page, is_after, run_page
from .scores import ScoreQuery, ScoresBackend
from .workflows import WorkflowRunQuery, WorkflowsBackend

__all__ = [
    "CAPABILITIES",
    "MemoryBackend",
    "MessageQuery",
    "MessageQueryResult",
    "ObservabilityBackend",
    "ScoreQuery",
    "ScoresBackend",
    "SpanUpdate",
    "StoredMessage",
    "SupportsMessageJSON",
    "SupportsResourceDelete",
    "SupportsResourceMessages",
    "SupportsResourceScan",
    "SupportsScoreScan",
    "ThreadQuery",
    "TraceQuery",
    "WorkflowRunQuery",
    "WorkflowsBackend",
    "cut_page",
    "has_capability",
    "is_after",
    "run_page",
]
