"""What every MongoDB backend shares: the connection, index creation and clearing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from mastra_storage.backend.paging import PageRequest
from mastra_storage.timeutil import from_epoch_ms

from .connection import Document, MongoConnection
from .documents import and_filters, position_filter
from .schema import IndexSpec, ensure_indexes


class MongoDomain:
    """Mixed in *before* a backend contract class (``MemoryBackend``, ...), so its
    ``init`` and ``dangerously_clear_all`` are the backend's.

    ``collections`` lists what ``dangerously_clear_all`` empties (children first);
    ``indexes`` what ``init`` creates.
    """

    collections: ClassVar[tuple[str, ...]] = ()
    indexes: ClassVar[tuple[IndexSpec, ...]] = ()

    def __init__(self, conn: MongoConnection) -> None:
        self._conn = conn

    async def init(self) -> None:
        """Create the missing default indexes of this domain (idempotent). Raises
        ``BackendError`` when a unique index cannot be built over stored duplicates."""
        await ensure_indexes(self._conn, self.indexes)

    async def dangerously_clear_all(self) -> None:
        """Empty this domain's collections, one ``delete_many`` each, children first (not
        atomic across collections; meant for tests)."""
        for name in self.collections:
            await self._conn.guard(
                "dangerouslyClearAll", self._conn.collection(name).delete_many({})
            )

    async def find_page(
        self,
        operation: str,
        collection: str,
        match: Document,
        page: PageRequest,
        *,
        sort: Sequence[tuple[str, int]],
        keyset: tuple[str, str],
        ascending: bool,
        tie_ascending: bool | None = None,
        tie_value: Callable[[Any], Any] = str,
        key_value: Callable[[int], Any] = from_epoch_ms,
    ) -> tuple[list[Document], int]:
        """One page under the paging contract: the documents matching ``match`` strictly
        after ``page.after`` in ``sort`` order (``keyset`` names its date field and
        tie-break; ``ascending``/``tie_ascending`` say which way "after" goes; the cursor's
        key is stored as ``key_value(key)``, by default the date of its epoch ms, and its
        tie as ``tie_value(tie)``), ``page.offset`` skipped, up to
        ``page.limit + 1``; and the matching total when ``page.count`` (else 0). Two
        reads, not one snapshot: the total may miss a write landing between them. Driver
        errors are typed by ``guard``."""
        coll = self._conn.collection(collection)
        total = 0
        after = page.after
        if page.count:
            total = int(await self._conn.guard(operation, coll.count_documents(match)))
        page_filter = match
        if after is not None:
            field, tie = keyset
            page_filter = and_filters(
                match,
                position_filter(
                    field,
                    tie,
                    key_value(after.key),
                    tie_value(after.tie),
                    after=ascending,
                    tie_after=tie_ascending,
                ),
            )
        cursor = coll.find(page_filter).sort(list(sort)).skip(page.offset)
        if page.limit is not None:
            cursor = cursor.limit(page.limit + 1)
        docs: list[Document] = await self._conn.guard(operation, cursor.to_list())
        return docs, total


__all__ = ["MongoDomain"]
