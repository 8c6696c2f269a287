"""In-memory reference implementation of every domain: one backend per domain."""

from .store import (
    InMemoryDB,
    InMemoryMemoryBackend,
    InMemoryObservabilityBackend,
    InMemoryScoresBackend,
    InMemoryStore,
    InMemoryWorkflowsBackend,
)

__all__ = [
    "InMemoryDB",
    "InMemoryMemoryBackend",
    "InMemoryObservabilityBackend",
    "InMemoryScoresBackend",
    "InMemoryStore",
    "InMemoryWorkflowsBackend",
]
