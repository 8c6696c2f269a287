"""A chat-memory HTTP API on mastra-storage's ``Memory``, with FastAPI.

Run it (needs ``pip install 'mastra-storage[libsql,examples]'`` and uvicorn)::

    MASTRA_STORAGE_URL=file:chat.db uvicorn examples.fastapi_app:app

``MASTRA_STORAGE_URL`` picks the storage (any URL ``mastra_storage.connect`` knows:
``file:chat.db`` for libSQL, the default; ``memory://``; ``postgresql://...`` with its
extra). The storage is opened once in the app's lifespan and closed on shutdown; every
request shares it through ``app.state.memory``.

Semantic recall needs a vector store and an embedder. This example keeps vectors in the
same libSQL database, through the store's connection (``LibSQLVector.from_store``; other
storage gets the in-memory reference vector store), and the deterministic
:class:`~mastra_storage.memory.HashingEmbedder`; swap in a real model
(``mastra_storage.memory.minilm.MiniLMEmbedder`` or your provider's) for meaning-based recall.

Endpoints::

    POST   /threads                           create a thread
    GET    /threads?resource_id=...           a user's threads
    POST   /threads/{id}/messages             save a message (creates the thread if new)
    GET    /threads/{id}/messages             the newest messages, oldest first
    POST   /threads/{id}/recall               history + semantically recalled context
    DELETE /threads/{id}?resource_id=...      delete thread, messages and their vectors
    GET|PUT /resources/{id}/working-memory    the user's working memory

Every thread endpoint acts for the ``resource_id`` it is given and only on that resource's
threads: naming another resource's thread answers 409 (``ResourceMismatchError``) and
changes nothing. The example trusts the ``resource_id`` the client sends; a real app takes
it from the authenticated user, never from the request body.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from mastra_storage import (
    ConfigurationError,
    ConflictError,
    MastraStorage,
    MastraStorageError,
    NotFoundError,
    NotSupportedError,
    ValidationError,
)
from mastra_storage.integrations.fastapi import open_storage
from mastra_storage.memory import HashingEmbedder, Memory, RecallResult, ResourceMismatchError
from mastra_storage.vector import InMemoryVector, VectorStore

DEFAULT_URL = "file:mastra.db"
OPTIONS = {
    "lastMessages": 10,
    "semanticRecall": {"topK": 3, "messageRange": 1, "scope": "resource"},
    "workingMemory": {"enabled": True, "scope": "resource"},
}


class NewThread(BaseModel):
    resource_id: str
    thread_id: str | None = None
    title: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)


class NewMessage(BaseModel):
    resource_id: str
    role: Literal["user", "assistant"] = "user"
    text: str
    id: str | None = None


class RecallRequest(BaseModel):
    resource_id: str
    query: str | None = None
    last_messages: int | None = Field(default=None, ge=0)
    top_k: int | None = Field(default=None, ge=1)
    message_range: int | None = Field(default=None, ge=0)


class WorkingMemoryBody(BaseModel):
    text: str


def _open_vector(storage: MastraStorage) -> VectorStore:
    """The vector store to pair with ``storage`` (see the module docstring): on libSQL, the
    same database through the store's own connection."""
    try:
        from mastra_storage_libsql import LibSQLStore
        from mastra_storage_libsql.vector import LibSQLVector
    except ImportError:
        return InMemoryVector()
    if isinstance(storage, LibSQLStore):
        return LibSQLVector.from_store(storage)
    return InMemoryVector()


def create_app(url: str | None = None) -> FastAPI:
    """The app for storage ``url`` (default: ``$MASTRA_STORAGE_URL`` or a local libSQL file)."""
    storage_url = url or os.environ.get("MASTRA_STORAGE_URL") or DEFAULT_URL

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # open_storage: connect + init, app.state.storage, closed on shutdown.
        async with open_storage(app, storage_url) as storage:
            vector = _open_vector(storage)
            app.state.memory = Memory(
                storage, vector=vector, embedder=HashingEmbedder(), options=OPTIONS
            )
            try:
                yield
            finally:
                await vector.close()

    app = FastAPI(title="mastra-storage chat memory", lifespan=lifespan)

    @app.exception_handler(MastraStorageError)
    async def storage_error(request: Request, exc: MastraStorageError) -> JSONResponse:
        status = 500
        if isinstance(exc, ResourceMismatchError):
            status = 409  # another resource's thread or message: refused, nothing changed
        elif isinstance(exc, ValidationError):
            status = 422
        elif isinstance(exc, NotFoundError):
            status = 404
        elif isinstance(exc, (ConflictError, ConfigurationError, NotSupportedError)):
            status = 409
        return JSONResponse(status_code=status, content={"error": exc.to_json()})

    def memory_of(request: Request) -> Memory:
        memory: Memory = request.app.state.memory
        return memory

    @app.post("/threads", status_code=201)
    async def create_thread(body: NewThread, request: Request) -> dict[str, Any]:
        thread = await memory_of(request).create_thread(
            resource_id=body.resource_id,
            thread_id=body.thread_id,
            title=body.title,
            metadata=body.metadata,
        )
        return thread.to_dict()

    @app.get("/threads")
    async def list_threads(request: Request, resource_id: str = Query()) -> dict[str, Any]:
        page = await memory_of(request).list_threads(resource_id)
        return {"threads": [t.to_dict() for t in page.items], "total": page.total}

    @app.post("/threads/{thread_id}/messages", status_code=201)
    async def post_message(thread_id: str, body: NewMessage, request: Request) -> dict[str, Any]:
        message = Memory.message(body.role, body.text, id=body.id)
        result = await memory_of(request).save_turn(thread_id, body.resource_id, [message])
        return {
            "message": result.saved[0].to_dict(),
            "threadCreated": result.thread_created,
            "embedded": result.embedded,
        }

    @app.get("/threads/{thread_id}/messages")
    async def history(
        thread_id: str,
        request: Request,
        resource_id: str = Query(),
        last: int = Query(default=10, ge=0),
    ) -> dict[str, Any]:
        result = await memory_of(request).recall(
            thread_id, resource_id, options={"lastMessages": last}
        )
        return {"messages": [m.to_dict() for m in result.history]}

    @app.post("/threads/{thread_id}/recall")
    async def recall(thread_id: str, body: RecallRequest, request: Request) -> dict[str, Any]:
        overrides: dict[str, Any] = {}
        if body.last_messages is not None:
            overrides["lastMessages"] = body.last_messages
        semantic: dict[str, Any] = {}
        if body.top_k is not None:
            semantic["topK"] = body.top_k
        if body.message_range is not None:
            semantic["messageRange"] = body.message_range
        if semantic:
            overrides["semanticRecall"] = semantic
        result = await memory_of(request).recall(
            thread_id, body.resource_id, query=body.query, options=overrides
        )
        return _recall_json(result)

    @app.delete("/threads/{thread_id}", status_code=204)
    async def delete_thread(
        thread_id: str, request: Request, resource_id: str = Query()
    ) -> Response:
        await memory_of(request).delete_thread(thread_id, resource_id=resource_id)
        return Response(status_code=204)

    @app.get("/resources/{resource_id}/working-memory")
    async def get_working_memory(resource_id: str, request: Request) -> dict[str, Any]:
        memory = memory_of(request)
        text = await memory.get_working_memory("", resource_id)
        return {"text": text, "template": memory.working_memory_template()}

    @app.put("/resources/{resource_id}/working-memory")
    async def put_working_memory(
        resource_id: str, body: WorkingMemoryBody, request: Request
    ) -> dict[str, Any]:
        text = await memory_of(request).update_working_memory("", resource_id, body.text)
        return {"text": text}

    return app


def _recall_json(result: RecallResult) -> dict[str, Any]:
    return {
        "thread": result.thread.to_dict() if result.thread is not None else None,
        "history": [m.to_dict() for m in result.history],
        "recalled": [m.to_dict() for m in result.recalled],
        "messages": [m.to_dict() for m in result.messages],
        "hits": [
            {"messageId": h.message_id, "threadId": h.thread_id, "score": h.score}
            for h in result.hits
        ],
    }


app = create_app()
