"""redis-py reports a connection lost while keys are WATCHed as ``WatchError``: the adapter
must turn that into ``UnavailableError`` (found by tests/faults under load), while any other
``WatchError`` that escapes stays a ``BackendError``."""

from __future__ import annotations

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import WatchError

from mastra_storage.errors import BackendError, UnavailableError
from mastra_storage_upstash.errors import operation

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@operation("saveMessages")
async def _watch_lost_connection() -> None:
    try:
        raise RedisConnectionError("Connection closed by server.")
    except RedisConnectionError:
        raise WatchError("A ConnectionError occurred while watching one or more keys") from None


@operation("saveMessages")
async def _watch_other() -> None:
    raise WatchError("Watched variable changed.")


async def test_watch_error_from_a_lost_connection_is_unavailable() -> None:
    with pytest.raises(UnavailableError) as info:
        await _watch_lost_connection()
    assert info.value.id == "MASTRA_STORAGE_UPSTASH_SAVE_MESSAGES_UNAVAILABLE"


async def test_other_watch_errors_stay_backend_errors() -> None:
    with pytest.raises(BackendError) as info:
        await _watch_other()
    assert not isinstance(info.value, UnavailableError)
