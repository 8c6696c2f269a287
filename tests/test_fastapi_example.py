"""The FastAPI example (examples/fastapi_app.py) end to end over ASGI, on its embedded
default (a libSQL file, here in a temporary directory): no network, no server process."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the examples extra is not installed")
pytest.importorskip("libsql", reason="the libsql driver is not installed")

import httpx

from mastra_storage import UnavailableError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "fastapi_app.py"
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    # Importing the module builds its module-level app from the environment: point it at
    # the temporary directory so nothing is created in the working directory.
    monkeypatch.setenv("MASTRA_STORAGE_URL", f"file:{tmp_path / 'default.db'}")
    spec = importlib.util.spec_from_file_location("fastapi_app_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
async def client(example: ModuleType, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = example.create_app(f"file:{tmp_path / 'chat.db'}")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            http.app = app  # type: ignore[attr-defined]
            yield http


async def post_messages(client: httpx.AsyncClient, thread: str, texts: list[str]) -> None:
    for i, text in enumerate(texts):
        role = "user" if i % 2 == 0 else "assistant"
        response = await client.post(
            f"/threads/{thread}/messages",
            json={"resource_id": "ada", "role": role, "text": text, "id": f"{thread}-{i}"},
        )
        assert response.status_code == 201, response.text


async def test_chat_flow(client: httpx.AsyncClient) -> None:
    created = await client.post("/threads", json={"resource_id": "ada", "thread_id": "t1"})
    assert created.status_code == 201
    assert created.json()["id"] == "t1" and created.json()["resourceId"] == "ada"

    texts = [f"small talk number {i}" for i in range(12)]
    texts[2] = "my favorite color is turquoise"
    await post_messages(client, "t1", texts)

    history = await client.get("/threads/t1/messages", params={"resource_id": "ada", "last": 4})
    assert history.status_code == 200
    got = [m["content"]["content"] for m in history.json()["messages"]]
    assert got == texts[-4:]

    recall = await client.post(
        "/threads/t1/recall",
        json={
            "resource_id": "ada",
            "query": "what is my favorite color",
            "last_messages": 3,
            "top_k": 1,
            "message_range": 1,
        },
    )
    assert recall.status_code == 200, recall.text
    body = recall.json()
    assert [m["id"] for m in body["history"]] == ["t1-9", "t1-10", "t1-11"]
    assert [m["id"] for m in body["recalled"]] == ["t1-1", "t1-2", "t1-3"]
    assert [h["messageId"] for h in body["hits"]] == ["t1-2"]
    assert [m["id"] for m in body["messages"]] == ["t1-1", "t1-2", "t1-3", "t1-9", "t1-10", "t1-11"]

    threads = await client.get("/threads", params={"resource_id": "ada"})
    assert [t["id"] for t in threads.json()["threads"]] == ["t1"]


async def test_first_message_creates_thread_and_delete_removes_everything(
    client: httpx.AsyncClient,
) -> None:
    first = await client.post(
        "/threads/new/messages", json={"resource_id": "ada", "text": "hello there"}
    )
    assert first.status_code == 201 and first.json()["threadCreated"] is True
    assert first.json()["embedded"] == 1
    deleted = await client.delete("/threads/new", params={"resource_id": "ada"})
    assert deleted.status_code == 204
    history = await client.get("/threads/new/messages", params={"resource_id": "ada"})
    assert history.json()["messages"] == []
    recall = await client.post(
        "/threads/other/recall", json={"resource_id": "ada", "query": "hello there"}
    )
    assert recall.json()["hits"] == []  # the deleted message's vector is gone too


async def test_working_memory_endpoints(client: httpx.AsyncClient) -> None:
    empty = await client.get("/resources/ada/working-memory")
    assert empty.json()["text"] is None and "First Name" in empty.json()["template"]
    put = await client.put("/resources/ada/working-memory", json={"text": "# Ada"})
    assert put.status_code == 200
    assert (await client.get("/resources/ada/working-memory")).json()["text"] == "# Ada"


async def test_errors_map_to_http_statuses(client: httpx.AsyncClient) -> None:
    await client.post("/threads", json={"resource_id": "ada", "thread_id": "t1"})
    wrong_owner = await client.get("/threads/t1/messages", params={"resource_id": "bob"})
    assert wrong_owner.status_code == 409
    assert wrong_owner.json()["error"]["code"] == "MASTRA_MEMORY_THREAD_RESOURCE_MISMATCH"
    blank = await client.post("/threads", json={"resource_id": "  "})
    assert blank.status_code == 422
    bad = await client.post("/threads/t1/recall", json={"resource_id": "ada", "top_k": 0})
    assert bad.status_code == 422  # rejected by the request model, nothing stored


async def test_lifespan_opens_and_closes_storage(example: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "life.db"
    app = example.create_app(f"file:{path}")
    async with app.router.lifespan_context(app):
        memory: Any = app.state.memory
        await memory.create_thread(resource_id="ada", thread_id="t1")
        assert path.exists()
    with pytest.raises(UnavailableError, match="closed"):
        await memory.get_thread("t1")


async def test_url_comes_from_the_environment(example: ModuleType, tmp_path: Path) -> None:
    app = example.app  # built at import from MASTRA_STORAGE_URL (see the fixture)
    async with app.router.lifespan_context(app):
        assert (tmp_path / "default.db").exists()
    assert example.DEFAULT_URL == "file:mastra.db"


async def test_another_resource_cannot_take_over_a_thread(client: httpx.AsyncClient) -> None:
    """Issue 15 point 5: bob "creating" alice's thread id used to answer 201, wipe her
    title and hang her messages off his thread."""
    created = await client.post(
        "/threads", json={"resource_id": "alice", "thread_id": "t1", "title": "Alice's"}
    )
    assert created.status_code == 201
    said = await client.post(
        "/threads/t1/messages", json={"resource_id": "alice", "text": "secret", "id": "m1"}
    )
    assert said.status_code == 201

    async def alice_state() -> tuple[Any, Any]:
        threads = await client.get("/threads", params={"resource_id": "alice"})
        history = await client.get("/threads/t1/messages", params={"resource_id": "alice"})
        return threads.json(), history.json()

    before = await alice_state()
    attempts = [
        client.post("/threads", json={"resource_id": "bob", "thread_id": "t1", "title": ""}),
        client.post("/threads/t1/messages", json={"resource_id": "bob", "text": "mine now"}),
        client.post("/threads/t1/recall", json={"resource_id": "bob", "query": "secret"}),
        client.get("/threads/t1/messages", params={"resource_id": "bob"}),
        client.delete("/threads/t1", params={"resource_id": "bob"}),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "MASTRA_MEMORY_THREAD_RESOURCE_MISMATCH"
        assert "alice" not in response.text  # the owner is not revealed
    # bob's own thread, but alice's message id: would move her message to him
    stolen = await client.post(
        "/threads/b1/messages", json={"resource_id": "bob", "text": "x", "id": "m1"}
    )
    assert stolen.status_code == 409
    assert stolen.json()["error"]["code"] == "MASTRA_MEMORY_MESSAGE_RESOURCE_MISMATCH"
    assert await alice_state() == before
    bobs = await client.get("/threads", params={"resource_id": "bob"})
    assert bobs.json()["threads"] == []
