"""The blobs domain: content-addressed text blobs (Mastra's skill files)."""

from __future__ import annotations

import base64
import hashlib
import re

from ..backend.blobs import BlobsBackend
from ..errors import ValidationError
from ..eval_records import Blob
from ..timeutil import utc_now
from ..validation import check_text, optional_id, unique_strings
from .base import DomainStore

_HASH = re.compile(r"[0-9a-f]{64}")
#: Hashes per ``get_many`` call (one bounded read).
MAX_HASHES = 1000


def blob_hash(content: str) -> str:
    """The address of ``content``: SHA-256 of its UTF-8 bytes, lowercase hex."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _check_hash(value: object, op: str) -> str:
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        raise ValidationError(
            "a blob hash is 64 lowercase hex characters (SHA-256)",
            id=f"MASTRA_STORAGE_{op}_INVALID_ARGS",
        )
    return value


class BlobsStore(DomainStore[BlobsBackend]):
    """Content-addressed blobs over a :class:`~mastra_storage.backend.blobs.BlobsBackend`.

    ``put`` computes the hash itself (SHA-256 of the UTF-8 text, as Mastra does), so a
    blob's address always matches its content (a caller cannot store content under another
    content's hash); writing the same content twice is a no-op. ``put_bytes`` stores binary
    data as Mastra does (hash of the bytes, base64 content). ``put_many`` is one atomic
    unit.
    """

    def _build(self, content: str, mime_type: str | None, op: str) -> Blob:
        check_text(content, field="content", operation=op)
        optional_id(mime_type, field="mime_type", operation=op)
        return Blob(
            hash=blob_hash(content),
            content=content,
            size=len(content.encode("utf-8")),
            mime_type=mime_type,
            created_at=utc_now(),
        )

    async def put(self, content: str, *, mime_type: str | None = None) -> Blob:
        """Store ``content`` under its hash and return the blob (the stored one's
        ``created_at`` wins when it already existed).

        :raises ValidationError: content that is not storable text.
        """
        blob = self._build(content, mime_type, "PUT_BLOB")
        await self.backend.put_blobs([blob])
        return blob

    async def put_bytes(self, data: bytes, *, mime_type: str | None = None) -> Blob:
        """Store binary ``data`` as Mastra does for binary skill files: the hash and
        ``size`` are those of the bytes, the stored ``content`` their base64 text."""
        op = "PUT_BLOB"
        if not isinstance(data, (bytes, bytearray)):
            raise ValidationError("data must be bytes", id=f"MASTRA_STORAGE_{op}_INVALID_ARGS")
        optional_id(mime_type, field="mime_type", operation=op)
        blob = Blob(
            hash=hashlib.sha256(data).hexdigest(),
            content=base64.b64encode(data).decode("ascii"),
            size=len(data),
            mime_type=mime_type,
            created_at=utc_now(),
        )
        await self.backend.put_blobs([blob])
        return blob

    async def put_many(self, contents: list[tuple[str, str | None]]) -> list[Blob]:
        """Store several ``(content, mime_type)`` at once, atomically."""
        if not isinstance(contents, list):
            raise ValidationError(
                "contents must be a list", id="MASTRA_STORAGE_PUT_BLOBS_INVALID_ARGS"
            )
        blobs = [self._build(c, m, "PUT_BLOBS") for c, m in contents]
        if blobs:
            await self.backend.put_blobs(blobs)
        return blobs

    async def get(self, blob_hash: str) -> Blob | None:
        """The blob stored under ``blob_hash``, or ``None``."""
        found = await self.backend.get_blobs([_check_hash(blob_hash, "GET_BLOB")])
        return found.get(blob_hash)

    async def has(self, blob_hash: str) -> bool:
        """Whether a blob is stored under ``blob_hash``."""
        return await self.get(blob_hash) is not None

    async def get_many(self, hashes: list[str]) -> dict[str, Blob]:
        """The stored blobs among ``hashes`` (at most 1000), by hash."""
        op = "GET_BLOBS"
        wanted = unique_strings(hashes, field="hashes", operation=op)
        if len(wanted) > MAX_HASHES:
            raise ValidationError(
                f"at most {MAX_HASHES} hashes per call", id=f"MASTRA_STORAGE_{op}_INVALID_ARGS"
            )
        for h in wanted:
            _check_hash(h, op)
        return await self.backend.get_blobs(wanted) if wanted else {}

    async def delete(self, blob_hash: str) -> bool:
        """Delete the blob; whether it existed."""
        return await self.backend.delete_blob(_check_hash(blob_hash, "DELETE_BLOB"))


__all__ = ["BlobsStore", "blob_hash"]
