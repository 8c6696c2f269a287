"""MongoDB: a transaction whose link died mid-way must not keep its locks after recovery.

The server keeps such a transaction open (the driver could not abort it), so every other
transaction writing the same document fails with WriteConflict until the server's
lifetime limit, and on SecantusDB a plain write or ``dropDatabase`` waits without bound.
The store kills the abandoned session (``killSessions``) once the server answers again:
on its next operation, or at ``close()``.  A client that does not go through the proxy
checks the lock: it conflicts before the release and writes freely after it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from mastra_storage.errors import UnavailableError
from tests.support.faults import wait_until

from .conftest import Faulty

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.parametrize("backend_session", ["mongodb"], indirect=True),
]

COLLECTION = "abandoned_probe"


@pytest.fixture
async def direct(faulty: Faulty) -> AsyncIterator[Any]:
    """The test database through a client of its own that bypasses the proxy."""
    from pymongo import AsyncMongoClient

    backend = faulty.backend
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        f"mongodb://{backend.host}:{backend.port}/?directConnection=true", timeoutMS=5000
    )
    try:
        yield client[faulty.store.connection.db_name]
    finally:
        await client.close()


async def _abandon_transaction(faulty: Faulty) -> Any:
    """Write document ``x`` in a transaction, then lose the link before it can end."""
    conn = faulty.store.connection
    await faulty.store.init()
    coll = conn.collection(COLLECTION)
    await conn.guard("seed", coll.insert_one({"_id": "x", "v": 0}))

    async def work(session: Any) -> None:
        await coll.update_one({"_id": "x"}, {"$set": {"v": 1}}, session=session)
        faulty.proxy.cut()  # the update holds x's lock; the next statement finds no link
        await coll.find_one({"_id": "x"}, session=session)

    with pytest.raises(UnavailableError):
        await conn.atomic("abandon", work)
    assert conn.abandoned.pending == 1
    return conn


async def _conflict_code(direct: Any) -> int | None:
    """Write ``x`` in a transaction from another client: the error code, or None if it
    committed (112, WriteConflict, while another transaction holds ``x``)."""
    from pymongo.errors import OperationFailure

    async with direct.client.start_session() as session:
        await session.start_transaction()
        try:
            await direct[COLLECTION].update_one({"_id": "x"}, {"$inc": {"v": 10}}, session=session)
        except OperationFailure as exc:
            await session.abort_transaction()
            return exc.code
        await session.commit_transaction()
    return None


async def test_next_operation_releases_the_lock(faulty: Faulty, direct: Any) -> None:
    conn = await _abandon_transaction(faulty)
    assert await _conflict_code(direct) == 112, "the cut transaction held no lock"
    faulty.proxy.restore()

    async def released() -> None:
        await faulty.store.stores["memory"].get_thread_by_id("probe")  # any operation
        assert conn.abandoned.pending == 0

    await wait_until(released, timeout_s=5.0)
    assert await _conflict_code(direct) is None
    doc = await direct[COLLECTION].find_one({"_id": "x"})
    assert doc["v"] == 10  # the cut transaction's write is gone, the new one is there


async def test_close_releases_the_lock(faulty: Faulty, direct: Any) -> None:
    conn = await _abandon_transaction(faulty)
    faulty.proxy.restore()
    await faulty.store.close()
    assert conn.abandoned.pending == 0
    assert await _conflict_code(direct) is None


async def test_release_waits_while_the_server_is_away(faulty: Faulty, direct: Any) -> None:
    conn = await _abandon_transaction(faulty)
    assert not await conn.abandoned.release()  # still cut: kept for later, not lost
    assert conn.abandoned.pending == 1
    faulty.proxy.restore()
    assert await conn.abandoned.release()
    assert conn.abandoned.pending == 0
    assert await _conflict_code(direct) is None
