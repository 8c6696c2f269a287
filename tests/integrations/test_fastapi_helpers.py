"""mastra_storage.integrations.fastapi: the lifespan opens, shares and closes one store;
the dependency yields it; a missing URL or lifespan is a clear ConfigurationError."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")

import httpx
from fastapi import FastAPI

from mastra_storage import ConfigurationError, MastraStorage, Thread
from mastra_storage.integrations.fastapi import StorageDep, storage_lifespan

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def build(app: FastAPI) -> FastAPI:
    @app.get("/threads/{thread_id}")
    async def thread(thread_id: str, storage: StorageDep) -> dict[str, object]:
        memory = await storage.require_store("memory")
        found = await memory.get_thread_by_id(thread_id)
        return {"found": found is not None, "storage": id(storage)}

    return app


async def test_the_lifespan_opens_one_store_from_the_environment_and_closes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MASTRA_STORAGE_URL", "memory://")
    app = build(FastAPI(lifespan=storage_lifespan()))
    async with app.router.lifespan_context(app):
        storage: MastraStorage = app.state.storage
        assert storage.initialized
        memory = await storage.require_store("memory")
        now = Thread.from_dict(
            {
                "id": "t1",
                "resourceId": "r",
                "title": "",
                "createdAt": "2026-01-01T00:00:00Z",
                "updatedAt": "2026-01-01T00:00:00Z",
            }
        )
        await memory.save_thread(now)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            first = (await http.get("/threads/t1")).json()
            second = (await http.get("/threads/t1")).json()
    assert first == second == {"found": True, "storage": id(storage)}  # one shared store
    assert storage.closed and not hasattr(app.state, "storage")


async def test_startup_without_a_url_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MASTRA_STORAGE_URL", raising=False)
    app = FastAPI(lifespan=storage_lifespan())  # importing/building the app does not fail
    with pytest.raises(ConfigurationError, match="MASTRA_STORAGE_URL"):
        async with app.router.lifespan_context(app):
            pass


async def test_the_dependency_without_the_lifespan_is_a_configuration_error() -> None:
    app = build(FastAPI())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        with pytest.raises(ConfigurationError, match="storage_lifespan"):
            await http.get("/threads/t1")
