"""Hostile input: a typed error or an exact round trip, never a change.

Rejected calls leave stored data unchanged; tenants stay isolated.
"""

from __future__ import annotations

from ._base import ConformanceBase


class HostileInputTests(ConformanceBase):
    """Hostile input: a typed error or an exact round trip, never a change."""
