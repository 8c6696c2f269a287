"""Retention: pruning by age and deleting everything of one resource."""

from __future__ import annotations

from ._base import ConformanceBase


class RetentionTests(ConformanceBase):
    """Retention: pruning by age and deleting everything of one resource."""
