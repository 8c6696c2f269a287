"""Shared fixtures of the agent-framework integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mastra_storage import MastraStorage, connect


@pytest.fixture
def anyio_backend() -> str:
    """The frameworks here run on asyncio (``pytest.mark.anyio`` tests use it)."""
    return "asyncio"


@pytest.fixture
async def storage() -> AsyncIterator[MastraStorage]:
    """A fresh in-memory storage, initialised and closed around the test."""
    store = connect("memory://")
    await store.init()
    try:
        yield store
    finally:
        await store.close()
