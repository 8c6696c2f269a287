"""In-memory reference implementation of every domain."""

from .store import (
    InMemoryMemoryStore,
    InMemoryObservabilityStore,
    InMemoryScoresStore,
    InMemoryStore,
    InMemoryWorkflowsStore,
)

__all__ = [
    "InMemoryMemoryStore",
    "InMemoryObservabilityStore",
    "InMemoryScoresStore",
    "InMemoryStore",
    "InMemoryWorkflowsStore",
]
