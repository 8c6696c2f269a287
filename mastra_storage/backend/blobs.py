"""The blobs backend contract: content-addressed blobs (Mastra's skill files)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ..eval_records import Blob


class BlobsBackend(ABC):
    """What a backend implements for the blobs domain. A blob's key is its hash, so a
    write of an existing hash is a no-op (the content is the same by construction)."""

    async def init(self) -> None:
        """Create or upgrade what this domain needs. Idempotent; the default does nothing."""

    @abstractmethod
    async def dangerously_clear_all(self) -> None:
        """Delete every blob (meant for tests)."""

    @abstractmethod
    async def put_blobs(self, blobs: list[Blob]) -> None:
        """Store each blob whose hash is absent (present ones are kept as stored), all in
        one atomic unit."""

    @abstractmethod
    async def get_blobs(self, hashes: list[str]) -> dict[str, Blob]:
        """The stored blobs among ``hashes``, by hash (absent hashes left out)."""

    @abstractmethod
    async def delete_blob(self, blob_hash: str) -> bool:
        """Delete the blob; whether it existed."""


__all__ = ["BlobsBackend"]
