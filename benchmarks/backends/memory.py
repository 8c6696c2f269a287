"""The in-memory reference store (``memory://``): SDK only, there is no driver to compare.

Why include it: it is the SDK's own floor. Its figures are pure Python cost of validation,
records and copying, with no I/O at all.
"""

from __future__ import annotations

from mastra_storage import MastraStorage, connect

from ..ops import Ops
from .base import Address, Backend


class MemoryBackend(Backend):
    name = "memory"
    raw_driver = "(none)"

    def __init__(self) -> None:
        self._stores: list[MastraStorage] = []

    async def start(self) -> None:
        return None

    async def open_sdk(self, via: Address | None = None) -> MastraStorage:
        store = connect("memory://")
        await store.init()
        self._stores.append(store)
        return store

    async def open_raw(self, via: Address | None = None) -> Ops | None:
        return None

    def describe(self) -> str:
        return "InMemoryStore, in process"

    async def stop(self) -> None:
        for store in self._stores:
            await store.close()


BACKEND = MemoryBackend
