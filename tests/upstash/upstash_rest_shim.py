"""A small Upstash REST API in front of a real Redis server, for Mastra's ``@upstash/redis``.

No Upstash-compatible REST server exists in any registry, so the Mastra compatibility
tests run this one: ``POST /`` takes one command as a JSON array, ``POST /pipeline`` and
``POST /multi-exec`` take a list of them; replies are ``{"result": ...}`` /
``{"error": ...}`` with bulk strings base64-encoded (``Upstash-Encoding: base64``, what
``@upstash/redis`` asks for). Requests need ``Authorization: Bearer <token>``.

Isolation: every key is put under ``prefix`` on the way in (and taken off ``SCAN``/``KEYS``
replies on the way out), so Mastra works on the same prefixed keyspace as a Python store
built with ``prefix=...``, on a Redis server other test runs share. ``commands`` counts
the commands Mastra sent (Upstash bills each one).

The server runs on its own event loop in a background thread, so a test can call node
synchronously while the shim answers.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import ResponseError

_ALL_KEYS = {"del", "mget", "exists", "unlink", "touch", "watch"}
_NO_KEYS = {"ping", "echo", "time", "dbsize", "info", "multi", "exec", "discard", "script"}


class RestShim:
    def __init__(self, redis_url: str, prefix: str, token: str) -> None:
        self.redis_url = redis_url
        self.prefix = prefix
        self.token = token
        self.commands = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._redis: Redis | None = None

    # ---- key prefixing ------------------------------------------------------------------

    def _prefixed(self, command: list[Any]) -> list[Any]:
        name = str(command[0]).lower()
        args = [str(a) if not isinstance(a, (int, float)) else a for a in command[1:]]
        p = self.prefix
        if name in _NO_KEYS or not args:
            return [name, *args]
        if name in _ALL_KEYS:
            return [name, *[p + str(a) for a in args]]
        if name == "mset":
            return [name, *[p + str(a) if i % 2 == 0 else a for i, a in enumerate(args)]]
        if name in ("eval", "evalsha", "eval_ro", "evalsha_ro"):
            count = int(args[1])
            keys = [p + str(k) for k in args[2 : 2 + count]]
            return [name, args[0], args[1], *keys, *args[2 + count :]]
        if name == "scan":
            out = [args[0]]
            rest = args[1:]
            i = 0
            while i < len(rest):
                if str(rest[i]).lower() == "match" and i + 1 < len(rest):
                    out += [rest[i], p + str(rest[i + 1])]
                    i += 2
                else:
                    out.append(rest[i])
                    i += 1
            if not any(str(a).lower() == "match" for a in rest):
                out += ["match", p + "*"]
            return [name, *out]
        if name == "keys":
            return [name, p + str(args[0])]
        return [name, p + str(args[0]), *args[1:]]

    def _strip(self, name: str, reply: Any) -> Any:
        n = len(self.prefix.encode())
        if name == "scan" and isinstance(reply, list) and len(reply) == 2:
            return [reply[0], [k[n:] for k in reply[1]]]
        if name == "keys" and isinstance(reply, list):
            return [k[n:] for k in reply]
        return reply

    # ---- encoding -----------------------------------------------------------------------

    @classmethod
    def _encode(cls, value: Any) -> Any:
        if isinstance(value, bytes):
            return base64.b64encode(value).decode()
        if isinstance(value, list):
            return [cls._encode(v) for v in value]
        if isinstance(value, bool):
            return int(value)
        return value

    async def _run(self, redis: Redis, command: list[Any]) -> dict[str, Any]:
        self.commands += 1
        prefixed = self._prefixed(command)
        try:
            reply = await redis.execute_command(*prefixed)
        except ResponseError as exc:
            return {"error": str(exc)}
        return {"result": self._encode(self._strip(prefixed[0], reply))}

    # ---- HTTP ---------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": "Unauthorized"}, status=401)
        if request.path == "/__count":  # test hook: commands since the last call, then reset
            count, self.commands = self.commands, 0
            return web.json_response({"count": count})
        body = await request.json()
        redis = self._redis
        assert redis is not None
        path = request.path.rstrip("/")
        if path == "":
            reply = await self._run(redis, body)
            return web.json_response(reply, status=400 if "error" in reply else 200)
        if path == "/pipeline":
            return web.json_response([await self._run(redis, c) for c in body])
        if path == "/multi-exec":
            async with redis.client() as conn:
                conn.response_callbacks.clear()
                await conn.execute_command("MULTI")
                for command in body:
                    self.commands += 1
                    await conn.execute_command(*self._prefixed(command))
                replies = await conn.execute_command("EXEC")
            names = [self._prefixed(c)[0] for c in body]
            return web.json_response(
                [
                    {"error": str(r)}
                    if isinstance(r, Exception)
                    else {"result": self._encode(self._strip(n, r))}
                    for n, r in zip(names, replies, strict=True)
                ]
            )
        return web.json_response({"error": f"unknown path {request.path}"}, status=404)

    async def _start(self) -> None:
        self._redis = Redis.from_url(self.redis_url, protocol=2, decode_responses=False)
        self._redis.response_callbacks.clear()  # raw RESP2 replies, as Upstash returns them
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = int(server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._redis is not None:
            await self._redis.aclose()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


@contextmanager
def rest_shim(redis_url: str, prefix: str, token: str) -> Iterator[RestShim]:
    shim = RestShim(redis_url, prefix, token)
    shim.start()
    try:
        yield shim
    finally:
        shim.stop()
