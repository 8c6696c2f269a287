"""The shared vector conformance suite (spec 12.12).

Subclass :class:`VectorConformance` and provide an async ``vector_store`` fixture that
yields an empty, isolated vector store::

    class TestMyVector(VectorConformance):
        supports_regex = False        # then $regex must raise NotSupportedError

        @pytest.fixture
        async def vector_store(self):
            store = MyVector(url=...)
            yield store
            await store.close()

:mod:`.cases` holds the catalogue, the filter table (with hand-written expected matches)
and the hostile filters, for adapters that want them in their own unit tests.
"""

from __future__ import annotations

from .cases import ALL, DOCS, FILTER_CASES, HOSTILE_FILTERS
from .suite import VectorConformance, load_docs

__all__ = ["ALL", "DOCS", "FILTER_CASES", "HOSTILE_FILTERS", "VectorConformance", "load_docs"]
