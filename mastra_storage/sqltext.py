"""SQL text the SQL adapters (libSQL and PostgreSQL) share word for word.

Only conditions whose text is valid, and means the same, in both dialects belong here;
anything dialect-specific is rendered by the adapter from :mod:`mastra_storage.layout`.
"""

from __future__ import annotations

from collections.abc import Mapping

from .records import SpanStatus

#: A trace's status as a condition on its root span (table alias ``s``, Mastra's
#: ``mastra_ai_spans`` columns): an error wins, then "no end time" means running.
TRACE_STATUS_SQL: Mapping[SpanStatus, str] = {
    "error": "s.error IS NOT NULL",
    "running": 's."endedAt" IS NULL AND s.error IS NULL',
    "success": 's."endedAt" IS NOT NULL AND s.error IS NULL',
}

__all__ = ["TRACE_STATUS_SQL"]
