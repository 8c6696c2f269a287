"""Round trips per operation, counted by a TCP proxy between client and server.

Why a proxy: it counts what costs latency on every backend alike (PostgreSQL, Redis, MongoDB
and DynamoDB's HTTP), without hooks into any driver. A round trip is one client-to-server
burst that follows server data (or opens the connection): a pipelined batch counts once, a
statement that waits for its answer before the next counts twice. The proxy adds latency,
so it is only used for the untimed counting pass, never for timed figures.
"""

from __future__ import annotations

import asyncio
import contextlib

from .backends.base import Address

CHUNK = 65536


class _Direction:
    __slots__ = ("last",)

    def __init__(self) -> None:
        self.last = ""


class RoundTripProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target`` and counts round trips on all connections."""

    def __init__(self, target: Address) -> None:
        self.target = target
        self.round_trips = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> Address:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return Address("127.0.0.1", port)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(self.target.host, self.target.port)
        except OSError:
            client_w.close()
            return
        self._writers.update((client_w, server_w))
        state = _Direction()
        up = asyncio.create_task(self._pump(client_r, server_w, state, "c"))
        down = asyncio.create_task(self._pump(server_r, client_w, state, "s"))
        for task in (up, down):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await asyncio.gather(up, down, return_exceptions=True)

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        state: _Direction,
        side: str,
    ) -> None:
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                if side == "c" and state.last != "c":
                    self.round_trips += 1
                state.last = side
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
