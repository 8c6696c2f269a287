"""Concurrent writers, deletes racing appends, concurrent init.

Nothing may be lost, duplicated or orphaned.
"""

from __future__ import annotations

from ._base import ConformanceBase


class ConcurrencyTests(ConformanceBase):
    """Concurrent writers, deletes racing appends, concurrent init."""
