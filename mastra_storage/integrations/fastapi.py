"""FastAPI helpers: a lifespan that opens and closes the storage, and a dependency yielding it.

::

    from fastapi import FastAPI
    from mastra_storage.integrations.fastapi import StorageDep, storage_lifespan

    app = FastAPI(lifespan=storage_lifespan())          # $MASTRA_STORAGE_URL

    @app.get("/threads/{thread_id}")
    async def thread(thread_id: str, storage: StorageDep) -> dict:
        memory = await storage.require_store("memory")
        ...

One store per application, created and initialised at startup (so every request shares
its connection pool) and closed, bounded, at shutdown. Needs FastAPI (the ``examples``
extra installs it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request

from ..composite import MastraStorage
from ..errors import ConfigurationError
from ..registry import connect

__all__ = ["STATE_KEY", "StorageDep", "get_storage", "open_storage", "storage_lifespan"]

#: The ``app.state`` attribute holding the store.
STATE_KEY = "storage"


@asynccontextmanager
async def open_storage(
    app: FastAPI, url: str | None = None, **options: Any
) -> AsyncIterator[MastraStorage]:
    """Connect (``url`` or ``$MASTRA_STORAGE_URL``), ``init()``, publish the store as
    ``app.state.storage`` and yield it; on exit close it and unpublish it. For use inside
    an application's own lifespan. ``ConfigurationError`` when no URL is set; an ``init()``
    failure closes the store before it propagates."""
    storage = connect(url, **options)
    try:
        await storage.init()
        setattr(app.state, STATE_KEY, storage)
        yield storage
    finally:
        if getattr(app.state, STATE_KEY, None) is storage:
            delattr(app.state, STATE_KEY)
        await storage.close()


def storage_lifespan(
    url: str | None = None, **options: Any
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A ``FastAPI(lifespan=...)`` that opens the store at startup and closes it at
    shutdown (see :func:`open_storage`; the URL is read at startup, so importing the app
    never fails for a missing ``$MASTRA_STORAGE_URL``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_storage(app, url, **options):
            yield

    return lifespan


def get_storage(request: Request) -> MastraStorage:
    """The application's store (a FastAPI dependency). ``ConfigurationError`` if no
    lifespan opened one (the app was built without :func:`storage_lifespan`)."""
    storage = getattr(request.app.state, STATE_KEY, None)
    if not isinstance(storage, MastraStorage):
        raise ConfigurationError(
            "no storage on this app: use FastAPI(lifespan=storage_lifespan(...)) or "
            "open_storage(app) in your lifespan",
            id="MASTRA_STORAGE_FASTAPI_NO_STORAGE",
        )
    return storage


#: ``storage: StorageDep`` in a route's parameters injects the application's store.
StorageDep = Annotated[MastraStorage, Depends(get_storage)]
