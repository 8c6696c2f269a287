"""What the store does with the sessions it must kill, whatever the server answers.

The lock itself (held until killSessions, released after it) is checked against a server
in tests/faults/test_mongodb_abandoned_sessions.py; here a scripted client answers, so
each outcome is certain: killed, unreachable (kept), refused (dropped).
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from bson import Binary
from pymongo.errors import AutoReconnect, OperationFailure

from mastra_storage_mongodb.abandoned import AbandonedSessions

pytestmark = pytest.mark.anyio


class ScriptedClient:
    """Answers ``admin.command`` with the next scripted outcome and records the calls."""

    def __init__(self, *outcomes: BaseException | None) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[tuple[str, list[Any]]] = []
        self.options = SimpleNamespace(server_selection_timeout=1.0)
        self.admin = SimpleNamespace(command=self.command)

    async def command(self, name: str, value: list[Any]) -> dict[str, Any]:
        self.calls.append((name, list(value)))
        outcome = self.outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return {"ok": 1.0}


def _lsid(n: int) -> dict[str, Any]:
    return {"id": Binary(bytes([n]) * 16, 4)}


async def test_kept_while_unreachable_then_killed_in_one_command() -> None:
    client = ScriptedClient(AutoReconnect("down"), None)
    sessions = AbandonedSessions(client)  # type: ignore[arg-type]
    sessions._pending.extend([_lsid(1), _lsid(2)])
    assert await sessions.release() is False
    assert sessions.pending == 2
    assert await sessions.release() is True
    assert sessions.pending == 0
    assert client.calls[-1] == ("killSessions", [_lsid(1), _lsid(2)])


async def test_refused_by_the_server_is_dropped() -> None:
    client = ScriptedClient(OperationFailure("no such command", code=59))
    sessions = AbandonedSessions(client)  # type: ignore[arg-type]
    sessions._pending.append(_lsid(3))
    assert await sessions.release() is False
    assert sessions.pending == 0
    assert await sessions.release() is True  # nothing left: no command sent
    assert len(client.calls) == 1


async def test_add_starts_one_background_attempt_and_close_retries() -> None:
    client = ScriptedClient(AutoReconnect("down"), None)
    sessions = AbandonedSessions(client)  # type: ignore[arg-type]
    sessions.add(_lsid(4))
    sessions.add(_lsid(5))  # the first attempt is still pending: no second one
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert len(client.calls) == 1
    assert sessions.pending == 2
    await sessions.close()
    assert sessions.pending == 0
    assert client.calls[-1] == ("killSessions", [_lsid(4), _lsid(5)])
