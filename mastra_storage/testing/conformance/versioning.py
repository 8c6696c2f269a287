"""Version-checked writes of workflow snapshots and working memory.

A stale version gets a typed conflict; no update is lost.
"""

from __future__ import annotations

from ._base import ConformanceBase


class VersionedWriteTests(ConformanceBase):
    """Version-checked writes of workflow snapshots and working memory."""
