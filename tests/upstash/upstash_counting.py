"""Count Redis commands two ways: what our client sends, and what a private server executed.

Upstash bills per command, so the adapter's cost is its command count. The client-side count
(a redis-py connection class that counts every packed command) is exact even on a shared
server; a private ``redis-server`` that only this test talks to confirms it from the server
side with ``INFO commandstats`` (reset with ``CONFIG RESETSTAT`` before each measurement).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import Connection, ConnectionPool

#: Connection set-up commands; not part of any storage operation.
HANDSHAKE = {"HELLO", "CLIENT", "AUTH", "SELECT"}
#: What the measuring side sends to the private server.
MEASURING = {"info", "config"}


class CountingConnection(Connection):
    """A redis-py connection that tallies every command it packs (pipelines included)."""

    counter: Counter[str] = Counter()

    def pack_command(self, *args: Any) -> list[bytes]:
        name = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
        name = name.split()[0].upper()
        if name not in HANDSHAKE:
            type(self).counter[name] += 1
        return super().pack_command(*args)


def counting_client(url: str) -> tuple[Redis, Counter[str]]:
    """A client whose connections all count into one fresh counter."""
    counter: Counter[str] = Counter()
    cls = type("BoundCountingConnection", (CountingConnection,), {"counter": counter})
    pool = ConnectionPool.from_url(url, connection_class=cls, decode_responses=True, protocol=2)
    return Redis(connection_pool=pool), counter


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def private_redis() -> Iterator[str | None]:
    """A throwaway ``redis-server`` only this test uses (``None`` if there is no binary)."""
    binary = shutil.which("redis-server") or shutil.which(
        "redis-server", path="/usr/bin:/usr/sbin:/usr/local/bin"
    )
    if binary is None:
        yield None
        return
    directory = tempfile.mkdtemp(prefix="mastra-upstash-cost-")
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            directory,
            "--logfile",
            "",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(directory, ignore_errors=True)


async def server_calls(admin: Redis) -> Counter[str]:
    """Commands the server executed since the last ``CONFIG RESETSTAT`` (ours only)."""
    stats = await admin.info("commandstats")
    out: Counter[str] = Counter()
    for key, value in stats.items():
        name = key.removeprefix("cmdstat_")
        if name.split("|")[0] in MEASURING or name.split("|")[0] in {"hello", "client"}:
            continue
        out[name.upper()] = int(value["calls"])
    return out
