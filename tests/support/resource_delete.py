"""Shared setup for the adapters' raw resource-delete tests.

The conformance suite checks what the domain API shows after ``delete_resource``; an
adapter's own test then looks at the raw backend (rows, documents, items, keys) to prove
nothing of the resource is left behind. This module holds the part that is the same for
every backend: two resources with a thread and a message each, one deleted.
"""

from __future__ import annotations

from mastra_storage.backend.capabilities import SupportsResourceDelete
from mastra_storage.composite import MastraStorage
from mastra_storage.retention import delete_resource
from mastra_storage.testing.data import sample_message, sample_resource, sample_thread, uid


async def delete_one_of_two(storage: MastraStorage) -> tuple[str, str]:
    """Save resources ``gone`` and ``kept`` (working memory, metadata, a thread with a
    message each), ``delete_resource`` the first, delete its row a second time (idempotent),
    and return ``(gone, kept)`` after checking what the domain API shows."""
    memory = await storage.require_store("memory")
    gone, kept = uid("res-gone"), uid("res-kept")
    for resource_id in (gone, kept):
        thread = await memory.save_thread(sample_thread(resource_id=resource_id))
        await memory.save_messages([sample_message(thread=thread)])
        await memory.save_resource(sample_resource(id=resource_id))
    result = await delete_resource(storage, gone)
    assert (result.threads, result.messages, result.resources) == (1, 1, 1)
    backend = memory.backend
    assert isinstance(backend, SupportsResourceDelete), "the backend should delete resources"
    await backend.delete_resource(gone)  # a missing resource is not an error
    assert await memory.get_resource_by_id(gone) is None
    survivor = await memory.get_resource_by_id(kept)
    assert survivor is not None and survivor.working_memory is not None
    return gone, kept


__all__ = ["delete_one_of_two"]
