"""The conformance test classes.

Each class covers one area and needs only the ``storage`` fixture; subclass
:class:`StorageConformance` to run them all, or pick individual classes (for example only
the memory ones for a memory-only adapter). See :mod:`mastra_storage.testing`.
"""

from ._base import ConformanceBase, DivergenceMixin
from .composite import CompositeTests
from .concurrency import ConcurrencyTests
from .editor import EditorDomainTests
from .evals import EvalsTests
from .favorites import FavoritesTests
from .hostile import HostileInputTests
from .key_identity import KeyIdentityTests
from .keyset_paging import KeysetPagingTests
from .lifecycle import LifecycleTests
from .memory_clone import CloneThreadTests
from .memory_messages import MessageTests
from .memory_resources import ResourceTests
from .memory_threads import ThreadTests
from .memory_totals import ListTotalTests
from .memory_update_delete import UpdateDeleteMessageTests
from .null_rule import NullRuleTests
from .observability import ObservabilityTests
from .observational_memory import ObservationalMemoryTests
from .retention import RetentionTests
from .score_ids import ScoreIdTests
from .scores import ScoreTests
from .versioning import VersionedWriteTests
from .workflows import WorkflowTests


class MemoryConformance(
    ThreadTests,
    MessageTests,
    ListTotalTests,
    UpdateDeleteMessageTests,
    ResourceTests,
    CloneThreadTests,
    ObservationalMemoryTests,
):
    """Every memory-domain test (threads, messages, updates/deletes, resources, cloning,
    observational memory)."""


class ReliabilityConformance(
    VersionedWriteTests,
    ConcurrencyTests,
    HostileInputTests,
    RetentionTests,
    LifecycleTests,
    KeyIdentityTests,
):
    """Concurrency control, hostile input and retention (issue 10)."""


class StorageConformance(
    MemoryConformance,
    WorkflowTests,
    ScoreTests,
    ScoreIdTests,
    KeysetPagingTests,
    NullRuleTests,
    ObservabilityTests,
    CompositeTests,
    ReliabilityConformance,
    EditorDomainTests,
    FavoritesTests,
    EvalsTests,
):
    """The whole suite. Subclass it and provide an async ``storage`` fixture."""


__all__ = [
    "CloneThreadTests",
    "CompositeTests",
    "ConcurrencyTests",
    "ConformanceBase",
    "DivergenceMixin",
    "EditorDomainTests",
    "EvalsTests",
    "FavoritesTests",
    "HostileInputTests",
    "KeyIdentityTests",
    "KeysetPagingTests",
    "LifecycleTests",
    "ListTotalTests",
    "MemoryConformance",
    "MessageTests",
    "NullRuleTests",
    "ObservabilityTests",
    "ObservationalMemoryTests",
    "ReliabilityConformance",
    "ResourceTests",
    "RetentionTests",
    "ScoreIdTests",
    "ScoreTests",
    "StorageConformance",
    "ThreadTests",
    "UpdateDeleteMessageTests",
    "VersionedWriteTests",
    "WorkflowTests",
]
