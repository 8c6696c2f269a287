"""Sessions whose transaction lost its connection mid-way, and their release on the server.

Why: when the link dies inside a transaction, the driver can neither commit nor abort it,
and PyMongo discards such a session without telling the server. The server keeps the
transaction open, with the write locks of every document it touched, until its lifetime
limit (``transactionLifetimeLimitSeconds``, 60 s on mongod). Meanwhile every transaction
writing one of those documents fails with ``WriteConflict``, plain writes and DDL
(``dropDatabase``) wait, and on SecantusDB such a waiting write can block the server
without bound. ``killSessions`` is MongoDB's documented way to abort a session's
transaction and release its locks, so it is sent as soon as the server answers again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pymongo
from pymongo import AsyncMongoClient
from pymongo.errors import OperationFailure, PyMongoError

#: Longest one ``killSessions`` attempt may take (server selection included).
KILL_TIMEOUT_S = 5.0


class AbandonedSessions:
    """Session ids to kill, and at most one background attempt at a time.

    Only sessions PyMongo discards after a network error are added (a "dirty" session is
    never reused), so killing one can never abort a later, healthy transaction.
    """

    def __init__(self, client: AsyncMongoClient[Any]) -> None:
        self._client = client
        self._pending: list[dict[str, Any]] = []
        self._task: asyncio.Task[bool] | None = None

    @property
    def pending(self) -> int:
        """How many sessions still wait for their ``killSessions``."""
        return len(self._pending)

    def add(self, session_id: Mapping[str, Any]) -> None:
        """Remember a session whose transaction may still hold locks; try to kill it now."""
        self._pending.append(dict(session_id))
        self.release_soon()

    def release_soon(self) -> None:
        """Start one background release unless nothing is pending or one is running.

        Called before every operation, so the locks go as soon as the server answers,
        without delaying the operation (a write it conflicts with is retried meanwhile).
        """
        if self._pending and self._running() is None:
            self._task = asyncio.get_running_loop().create_task(self.release())

    def _running(self) -> asyncio.Task[bool] | None:
        """The attempt in flight on this event loop (one left on a closed loop is over)."""
        task = self._task
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            return None
        return task

    async def release(self) -> bool:
        """Kill every pending session with one bounded command; keep them if it fails."""
        batch = list(self._pending)
        if not batch:
            return True
        # A PyMongo timeout also replaces serverSelectionTimeoutMS: never wait for a server
        # longer than the client was told to.
        bound = min(KILL_TIMEOUT_S, self._client.options.server_selection_timeout)
        try:
            with pymongo.timeout(bound):
                await self._client.admin.command("killSessions", batch)
        except OperationFailure:
            # The server answered but refused (no such command, not authorised): asking
            # again would not help; its own lifetime limit ends those transactions.
            self._forget(batch)
            return False
        except PyMongoError:
            return False  # still unreachable: the next operation tries again
        self._forget(batch)
        return True

    def _forget(self, batch: list[dict[str, Any]]) -> None:
        self._pending = [lsid for lsid in self._pending if lsid not in batch]

    async def close(self) -> None:
        """Make one last bounded attempt (a background one, maybe begun while the server
        was still away, is cancelled rather than awaited, so closing waits only once)."""
        task = self._running()
        self._task = None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])  # its CancelledError stays in the task
        await self.release()
