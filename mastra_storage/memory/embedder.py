"""What Memory needs from an embedding model, and a deterministic one for tests.

Mastra takes an AI SDK embedding model; here any object with a ``dimension`` and an async
``embed(texts)`` will do, so users can wrap OpenAI, a local model, or anything else. A
model whose compute is CPU-bound must run it off the event loop (``anyio.to_thread``), as
:class:`~mastra_storage.memory.minilm.MiniLMEmbedder` does.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ..errors import ValidationError


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into fixed-size vectors, one per text, in order."""

    @property
    def dimension(self) -> int:
        """Length of every vector this embedder returns (names the vector index)."""
        ...

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector of :attr:`dimension` floats per text, in the order of ``texts``.
        Implementations should bound their own network calls (a provider's API)."""
        ...


_TOKEN = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Bag-of-words hashed into ``dimension`` buckets, L2-normalised. Deterministic.

    Texts that share words get a high cosine similarity, which is enough to test which
    messages semantic recall brings back, with no model and no randomness (the hash is
    blake2b, not Python's salted ``hash``). Not a semantic model.
    """

    def __init__(self, dimension: int = 256) -> None:
        if not isinstance(dimension, int) or isinstance(dimension, bool) or dimension < 2:
            raise ValidationError(
                "HashingEmbedder dimension must be an integer >= 2",
                id="MASTRA_MEMORY_INVALID_EMBEDDER",
            )
        self._dimension = dimension

    @property
    def dimension(self) -> int:
        """The number of hash buckets, which is the length of every vector."""
        return self._dimension

    def embed_one(self, text: str) -> list[float]:
        """The unit vector of one text (synchronous, pure: no I/O)."""
        vector = [0.0] * self._dimension
        for token in _TOKEN.findall(text.lower()):
            digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self._dimension
            sign = 1.0 if digest[4] & 1 else -1.0
            vector[bucket] += sign
        norm = math.sqrt(sum(v * v for v in vector))
        if norm == 0.0:
            # No words: a fixed unit vector, so the vector store never sees a zero vector.
            vector[0] = 1.0
            return vector
        return [v / norm for v in vector]

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """:meth:`embed_one` of each text, in order."""
        return [self.embed_one(t) for t in texts]

    def __repr__(self) -> str:
        return f"HashingEmbedder(dimension={self._dimension})"


__all__ = ["Embedder", "HashingEmbedder"]
