"""Network fault injection for adapter tests: a TCP proxy that can cut or stall a server.

Why a proxy: the fault tests must break the connection between a store and its server at
a chosen moment without stopping a server other tests share (the PostgreSQL on 5432, the
Redis on 6379), and without knowing how each server is started.  :class:`FaultProxy`
listens on a free local port and forwards every byte to the real server; the store under
test is pointed at the proxy.  Then:

* :meth:`FaultProxy.cut` drops every live connection (TCP reset) and refuses new ones, as
  a crashed server or a pulled cable would;
* :meth:`FaultProxy.cut_after` forwards only ``n`` more request bytes to the server and
  then cuts, so the server receives a request that stops half way (the hardest case for
  atomicity: the server saw part of a write);
* :meth:`FaultProxy.stall` keeps connections open and accepts new ones but delivers
  nothing in either direction (a hung server or a black-holed network: only a client
  timeout ends the wait);
* :meth:`FaultProxy.stall_replies` forwards requests to the server but holds every reply
  byte (the server got the request and never answers: "stall before the first byte");
* :meth:`FaultProxy.stall_replies_after` lets each connection deliver ``n`` more reply
  bytes and then holds the rest (a reply that stops half way: "stall in the middle of a
  reply");
* :meth:`FaultProxy.trickle` delivers replies one byte per interval (a server or network
  that is alive but hopelessly slow: every socket read gets a byte before its timeout, so
  only an overall deadline per call ends the wait);
* :meth:`FaultProxy.restore` forwards again.  Connections that were open during a stall
  are reset then, because the client gave up on them and what they carried is lost.

The proxy runs its own asyncio loop on a daemon thread, so it keeps working while the
code under test blocks (a synchronous HTTP client on a worker thread, a test that
misbehaves), and it can be used from synchronous and asynchronous tests alike.  The
control methods are thread-safe and return once the proxy has applied the change
(milliseconds).  Only the standard library is used, so third-party adapters can reuse it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

__all__ = ["FaultProxy", "Mode", "ProxyStats", "wait_until"]

T = TypeVar("T")

_CHUNK = 64 * 1024
_CONTROL_TIMEOUT_S = 5.0


class Mode(str, Enum):
    """What the proxy does with traffic right now."""

    PASS = "pass"
    CUT = "cut"
    STALL = "stall"
    STALL_REPLIES = "stall_replies"
    STALL_MID_REPLY = "stall_mid_reply"
    TRICKLE = "trickle"


#: Modes whose held or half-delivered connections are reset by :meth:`FaultProxy.restore`.
_HOLDING = (Mode.STALL, Mode.STALL_REPLIES, Mode.STALL_MID_REPLY, Mode.TRICKLE)


@dataclass
class ProxyStats:
    """Counters since the proxy started (read them through :attr:`FaultProxy.stats`)."""

    accepted: int = 0
    refused: int = 0
    reset: int = 0
    bytes_up: int = 0
    bytes_down: int = 0


class _Link:
    """One client connection and its upstream connection."""

    def __init__(self, client: asyncio.StreamWriter) -> None:
        self.client = client
        self.upstream: asyncio.StreamWriter | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.reply_left: int | None = None  # STALL_MID_REPLY: reply bytes still delivered

    def reset(self) -> None:
        for writer in (self.client, self.upstream):
            if writer is None:
                continue
            sock = writer.get_extra_info("socket")
            if sock is not None:
                # SO_LINGER 0: close() sends RST, so the peer sees "connection reset" at
                # once instead of a polite FIN it might take for the end of a response.
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        for task in self.tasks:
            task.cancel()


class FaultProxy:
    """A TCP proxy in front of ``target_host:target_port`` with switchable faults.

    Use as a context manager (``with FaultProxy(host, port) as proxy:``) or call
    :meth:`start` / :meth:`close`.  Point the client at :attr:`host` / :attr:`port`
    (:meth:`url_for` rewrites a URL).  ``listen_port=0`` picks a free port; the port stays
    the same across :meth:`cut` / :meth:`restore`.
    """

    def __init__(
        self, target_host: str, target_port: int, *, listen_host: str = "127.0.0.1"
    ) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = listen_host
        self.port = 0
        self.stats = ProxyStats()
        self._mode = Mode.PASS
        self._budget: int | None = None  # request bytes still allowed before a cut
        self._reply_budget = 0  # STALL_MID_REPLY: reply bytes each connection delivers
        self._trickle_interval_s = 0.0
        self._links: set[_Link] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()  # cleared while stalled (used on the proxy loop only)
        self._flowing.set()
        self._replies_flowing = asyncio.Event()  # cleared while replies are held
        self._replies_flowing.set()

    # ---- lifecycle --------------------------------------------------------------------

    def start(self) -> FaultProxy:
        """Start the proxy thread and listen; returns ``self``."""
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(
            target=loop.run_forever, name=f"fault-proxy-{self.target_port}", daemon=True
        )
        self._thread.start()
        self._call(self._listen())
        return self

    def close(self) -> None:
        """Drop every connection, stop listening and end the proxy thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(Exception):
            self._call(self._shutdown())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_CONTROL_TIMEOUT_S)
        if not thread.is_alive():
            loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- faults -----------------------------------------------------------------------

    @property
    def mode(self) -> Mode:
        return self._mode

    @property
    def live_connections(self) -> int:
        return len(self._links)

    def cut(self) -> None:
        """Reset every live connection and refuse new ones until :meth:`restore`."""
        self._call(self._set(Mode.CUT))

    def cut_after(self, request_bytes: int) -> None:
        """Forward ``request_bytes`` more bytes towards the server, then :meth:`cut`.

        The request in flight at that moment reaches the server only in part.
        """
        if request_bytes < 0:
            raise ValueError("request_bytes must be >= 0")
        self._call(self._arm(request_bytes))

    def stall(self) -> None:
        """Accept connections but deliver nothing, in either direction, until :meth:`restore`."""
        self._call(self._set(Mode.STALL))

    def stall_replies(self) -> None:
        """Forward requests but hold every reply byte, until :meth:`restore`."""
        self._call(self._set(Mode.STALL_REPLIES))

    def stall_replies_after(self, reply_bytes: int) -> None:
        """Let each connection deliver ``reply_bytes`` more reply bytes, then hold its
        replies until :meth:`restore` (the reply in flight stops part way)."""
        if reply_bytes < 1:
            raise ValueError("reply_bytes must be >= 1 (0 is stall_replies())")
        self._reply_budget = reply_bytes
        self._call(self._set(Mode.STALL_MID_REPLY))

    def trickle(self, interval_s: float = 0.2) -> None:
        """Deliver replies one byte every ``interval_s`` seconds, until :meth:`restore`."""
        if interval_s <= 0:
            raise ValueError("interval_s must be > 0")
        self._trickle_interval_s = interval_s
        self._call(self._set(Mode.TRICKLE))

    def restore(self) -> None:
        """Forward traffic again (connections held during a stall are reset first)."""
        self._call(self._set(Mode.PASS))

    def url_for(self, url: str) -> str:
        """``url`` with its ``host:port`` for the target replaced by the proxy's address."""
        target = f"{self.target_host}:{self.target_port}"
        if target not in url:
            raise ValueError(f"{url!r} does not contain {target!r}")
        return url.replace(target, f"{self.host}:{self.port}", 1)

    # ---- loop side --------------------------------------------------------------------

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            coro.close()
            raise RuntimeError("FaultProxy is not started")
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(_CONTROL_TIMEOUT_S)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self.host, self.port, reuse_address=True
        )
        if self.port == 0:
            self.port = int(self._server.sockets[0].getsockname()[1])

    async def _shutdown(self) -> None:
        self._drop_all()
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _set(self, mode: Mode) -> None:
        previous, self._mode = self._mode, mode
        self._budget = None
        for link in self._links:
            link.reply_left = None
        if mode is Mode.STALL:
            self._flowing.clear()
        else:
            self._flowing.set()
        if mode in (Mode.STALL, Mode.STALL_REPLIES):
            self._replies_flowing.clear()
        else:
            self._replies_flowing.set()
        if mode is Mode.CUT or (mode is Mode.PASS and previous in _HOLDING):
            self._drop_all()
        if mode is Mode.CUT and self._server is not None:
            # Stop listening: new connections are refused by the kernel (ECONNREFUSED).
            self._server.close()
            self._server = None
        if mode is not Mode.CUT and self._server is None:
            await self._listen()

    async def _arm(self, request_bytes: int) -> None:
        if request_bytes == 0:
            await self._set(Mode.CUT)
        else:
            self._budget = request_bytes

    async def _deliver(self, link: _Link, data: bytes, sink: asyncio.StreamWriter) -> bool:
        """Send reply bytes as the mode allows; ``False`` once the link is gone."""
        while data:
            if self._mode is Mode.TRICKLE:
                sink.write(data[:1])
                self.stats.bytes_down += 1
                data = data[1:]
                await sink.drain()
                await asyncio.sleep(self._trickle_interval_s)
            elif self._mode is Mode.STALL_MID_REPLY:
                if link.reply_left is None:
                    link.reply_left = self._reply_budget
                part = data[: link.reply_left]
                link.reply_left -= len(part)
                data = data[len(part) :]
                if part:
                    sink.write(part)
                    self.stats.bytes_down += len(part)
                    await sink.drain()
                if data:
                    # Held for good: restore() resets this link (cancelling the wait).
                    await asyncio.Event().wait()
            else:
                # Held: restore() resets this link (cancelling the wait).
                await self._replies_flowing.wait()
                if self.mode in (Mode.TRICKLE, Mode.STALL_MID_REPLY):
                    continue  # the mode changed while held (``self.mode``: not narrowed)
                sink.write(data)
                self.stats.bytes_down += len(data)
                data = b""
                await sink.drain()
            if link not in self._links:
                return False
        return True

    def _drop_all(self) -> None:
        for link in list(self._links):
            link.reset()
            self.stats.reset += 1
        self._links.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = _Link(writer)
        if self._mode is Mode.CUT:
            self.stats.refused += 1
            link.reset()
            return
        self.stats.accepted += 1
        self._links.add(link)
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            self._links.discard(link)
            link.reset()
            return
        link.upstream = up_writer
        if link not in self._links:  # cut while connecting
            link.reset()
            return
        link.tasks = [
            asyncio.create_task(self._pump(link, reader, up_writer, upstream=True)),
            asyncio.create_task(self._pump(link, up_reader, writer, upstream=False)),
        ]

    async def _pump(
        self,
        link: _Link,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        *,
        upstream: bool,
    ) -> None:
        try:
            while True:
                data = await source.read(_CHUNK)
                # Stalled: hold the bytes; restore() resets this link (cancelling the wait).
                await self._flowing.wait()
                if link not in self._links:
                    return
                if not data:
                    with contextlib.suppress(OSError):
                        sink.write_eof()
                    return
                if upstream and self._budget is not None:
                    allowed = data[: self._budget]
                    self._budget -= len(allowed)
                    if allowed:
                        sink.write(allowed)
                        self.stats.bytes_up += len(allowed)
                        with contextlib.suppress(OSError):
                            await sink.drain()
                    if self._budget <= 0:
                        await self._set(Mode.CUT)
                        return
                    continue
                if not upstream:
                    if not await self._deliver(link, data, sink):
                        return
                    continue
                sink.write(data)
                self.stats.bytes_up += len(data)
                await sink.drain()
        except (OSError, asyncio.IncompleteReadError):
            if link in self._links:
                self._links.discard(link)
                link.reset()


async def wait_until(
    probe: Callable[[], Awaitable[T]],
    *,
    timeout_s: float,
    interval_s: float = 0.05,
) -> tuple[T, float]:
    """Call ``probe()`` until it returns without raising; return (result, seconds taken).

    For "the store recovers by itself": ``probe`` is a zero-argument async callable that
    uses the store.  Raises :class:`TimeoutError` (chained to the last error) when it still
    fails after ``timeout_s``.
    """
    started = time.monotonic()
    last: BaseException | None = None
    while time.monotonic() - started < timeout_s:
        try:
            result: T = await probe()
            return result, time.monotonic() - started
        except Exception as exc:  # the probe's failure is what we wait out
            last = exc
        await asyncio.sleep(interval_s)
    raise TimeoutError(f"still failing after {timeout_s} s: {last!r}") from last
