"""Upstash's REST API as a stand-in for the subset of ``redis.asyncio.Redis`` the adapter uses.

Why: many places only let HTTPS out (serverless functions, edge runtimes, locked-down
egress), and Upstash's REST endpoint is what ``@mastra/upstash`` itself talks to.

How: the command builders are redis-py's own (``AsyncCoreCommands``), so every domain sends
exactly the commands it sends over TCP; only ``execute_command`` differs. One command is
``POST /`` with a JSON array, a plain pipeline is ``POST /pipeline``, a transaction without
watched keys is ``POST /multi-exec``. Replies are asked for base64-encoded
(``Upstash-Encoding: base64``, as ``@upstash/redis`` does) and parsed by redis-py's RESP2
reply callbacks, so domains see the same Python values as over TCP.

REST has no ``WATCH`` (each request may land on another connection). An optimistic
transaction works instead like this:

* ``watch(keys)`` is one ``EVAL`` returning a digest (SHA-1 of the content) of each key;
* the reads in between are ordinary requests;
* ``execute()`` after ``multi()`` is one ``EVAL`` that recomputes the digests and runs the
  queued writes only if none changed; otherwise it writes nothing and the pipeline raises
  redis-py's ``WatchError``, so :meth:`RedisDB.transaction` retries exactly as over TCP.

A Lua script runs atomically, so the check and the writes are one step: the guarantee of
``WATCH``/``MULTI``/``EXEC``. Command counts: ``WATCH`` -> one ``EVAL``; ``MULTI`` + writes
+ ``EXEC`` -> one ``EVAL`` (``docs/upstash-layout.md``, "Transport").
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

import httpx
from redis.client import EMPTY_RESPONSE, NEVER_DECODE
from redis.commands.core import AsyncCoreCommands
from redis.exceptions import AuthenticationError, RedisError, ResponseError, WatchError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

#: A key's content as a digest (``""``: no such key). The adapter watches strings and sorted
#: sets, read with plain GET/ZRANGE (each element length-prefixed, so no two contents
#: collide); any other type falls back to DUMP.
_DIGEST = """
local function digest(key)
  local kind = redis.call('TYPE', key).ok
  if kind == 'none' then return '' end
  if kind == 'string' then return redis.sha1hex('s' .. redis.call('GET', key)) end
  local parts = {kind}
  if kind == 'zset' then
    for _, v in ipairs(redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')) do
      parts[#parts + 1] = #v .. ':' .. v
    end
  else
    parts[2] = redis.call('DUMP', key) or ''
  end
  return redis.sha1hex(table.concat(parts, ','))
end
"""

#: Digest of each watched key.
WATCH_SCRIPT = (
    _DIGEST
    + """
local out = {}
for i = 1, #KEYS do out[i] = digest(KEYS[i]) end
return out
"""
)

#: ARGV[1] = number of watched keys (the first KEYS), ARGV[2..n+1] their digests,
#: ARGV[n+2] = the queued commands as JSON; an argument ``{k}`` stands for ``KEYS[k]``.
#: Returns 0 (and writes nothing) if a watched key changed, else ``{1, {reply}, ...}``.
COMMIT_SCRIPT = (
    _DIGEST
    + """
local watched = tonumber(ARGV[1])
for i = 1, watched do
  if digest(KEYS[i]) ~= ARGV[i + 1] then return 0 end
end
local out = {1}
for _, command in ipairs(cjson.decode(ARGV[watched + 2])) do
  local args = {}
  for j, arg in ipairs(command) do
    if type(arg) == 'table' then args[j] = KEYS[arg[1]] else args[j] = arg end
  end
  out[#out + 1] = {redis.call(unpack(args))}
end
return out
"""
)

#: Commands whose arguments after the name are all keys, and those with keys at even
#: positions; every other write the adapter queues has one key, right after the name.
_ALL_KEYS = {"DEL", "UNLINK", "EXISTS", "TOUCH"}
_PAIR_KEYS = {"MSET"}
#: Lua's ``unpack`` fails past about 8,000 values: longer variadic writes are split into
#: several calls inside the one script (``ZADD``/``ZREM`` keep their key on each part).
_SPLIT_ARGS = 4000
_SPLITTABLE = {"DEL": 1, "UNLINK": 1, "MSET": 2, "ZADD": 2, "ZREM": 1}


def _arg(value: Any) -> str:
    """One command argument as text (Lua's ``redis.call`` wants strings)."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _decode(value: Any) -> Any:
    """A base64 reply (nested for arrays) back to text; integers and nulls stay as they are."""
    if isinstance(value, str):
        # Upstash leaves the status reply OK unencoded ("OK" is no valid base64 text).
        return value if value == "OK" else base64.b64decode(value).decode()
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


class RestTransport:
    """An ``httpx.AsyncClient`` on one Upstash REST endpoint, bearer-authenticated.

    Errors come out as redis-py exceptions (the adapter's error mapping stays one):
    unreachable or slow -> ``ConnectionError``/``TimeoutError``, a refused token ->
    ``AuthenticationError``, a command error -> ``ResponseError``. The token is sent only in
    the ``Authorization`` header and never appears in an error.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        connect_timeout: float | None,
        pool_timeout: float | None,
        max_connections: int,
    ) -> None:
        self.url = url.rstrip("/")
        timeout = httpx.Timeout(None, connect=connect_timeout, pool=pool_timeout)
        self._http = httpx.AsyncClient(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}", "Upstash-Encoding": "base64"},
            timeout=timeout,
            limits=httpx.Limits(max_connections=max_connections),
        )

    async def post(self, path: str, body: Any) -> Any:
        """Send one request; the decoded JSON reply (an HTTP error status raises)."""
        try:
            response = await self._http.post(path, content=json.dumps(body))
        except httpx.TimeoutException as exc:
            raise RedisTimeoutError(
                f"Upstash REST request timed out ({type(exc).__name__})"
            ) from None
        except httpx.HTTPError as exc:
            raise RedisConnectionError(f"Upstash REST endpoint unreachable: {exc}") from None
        if response.status_code in (401, 403):
            raise AuthenticationError(
                f"Upstash REST refused the token (HTTP {response.status_code})"
            )
        try:
            reply = response.json()
        except ValueError:
            reply = None
        if response.status_code >= 500 or not isinstance(reply, (dict, list)):
            raise RedisConnectionError(f"Upstash REST answered HTTP {response.status_code}")
        if response.status_code >= 400 and not (isinstance(reply, dict) and "error" in reply):
            raise ResponseError(f"Upstash REST answered HTTP {response.status_code}")
        return reply

    async def aclose(self) -> None:
        await self._http.aclose()


def _result(entry: Any) -> Any:
    """The decoded ``result`` of one ``{"result"|"error": ...}`` entry."""
    if not isinstance(entry, dict):
        raise ResponseError("Upstash REST: malformed reply")
    if "error" in entry:
        raise ResponseError(str(entry["error"]))
    return _decode(entry.get("result"))


class _RestCommands(AsyncCoreCommands):
    """redis-py's command builders over a :class:`RestTransport`."""

    #: redis-py's connection events; nothing here has connections to report on.
    _event_dispatcher: Any = None

    def __init__(self, transport: RestTransport) -> None:
        self.transport = transport
        # redis-py's RESP2 reply callbacks with decode_responses=True: same values as TCP.
        from redis.asyncio import Redis

        self._callbacks: dict[str, Any] = dict(_callbacks(Redis))

    def _parse(self, args: Sequence[Any], reply: Any, options: dict[str, Any]) -> Any:
        if reply is None and EMPTY_RESPONSE in options:
            return options[EMPTY_RESPONSE]
        options = {k: v for k, v in options.items() if k not in (EMPTY_RESPONSE, NEVER_DECODE)}
        options.pop("keys", None)
        callback = self._callbacks.get(str(args[0]).upper())
        return callback(reply, **options) if callback is not None else reply

    async def _one(self, args: Sequence[Any], options: dict[str, Any]) -> Any:
        if EMPTY_RESPONSE in options and len(args) == 1:  # e.g. MGET of no keys
            return options[EMPTY_RESPONSE]
        reply = await self.transport.post("/", [_arg(a) for a in args])
        return self._parse(args, _result(reply), options)


_CALLBACKS: dict[str, Any] | None = None


def _callbacks(redis_class: Any) -> dict[str, Any]:
    """redis-py's RESP2 reply callbacks, taken from a client object that never connects."""
    global _CALLBACKS
    if _CALLBACKS is None:
        probe = redis_class(protocol=2, decode_responses=True)
        _CALLBACKS = {str(k).upper(): v for k, v in probe.response_callbacks.items()}
    return _CALLBACKS


class RestRedis(_RestCommands):
    """An async Redis client over Upstash REST (what the adapter's domains call)."""

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        return await self._one(args, options)

    def pipeline(self, transaction: bool = True) -> RestPipeline:
        return RestPipeline(self.transport, self._callbacks, transaction)

    async def aclose(self) -> None:
        await self.transport.aclose()


class RestPipeline(_RestCommands):
    """A redis-py-style pipeline: buffered commands, or immediate ones while watching."""

    def __init__(
        self, transport: RestTransport, callbacks: dict[str, Any], transaction: bool
    ) -> None:
        self.transport = transport
        self._callbacks = callbacks
        self.is_transaction = transaction
        self.command_stack: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        self.watching = False
        self.explicit_transaction = False
        self._digests: dict[str, str] = {}

    async def __aenter__(self) -> RestPipeline:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._clear()

    def _clear(self) -> None:
        self.command_stack = []
        self.watching = False
        self.explicit_transaction = False
        self._digests = {}

    def execute_command(self, *args: Any, **options: Any) -> Any:
        if self.watching and not self.explicit_transaction:
            return self._one(args, options)  # a read between WATCH and MULTI
        self.command_stack.append((args, options))
        return self

    async def watch(self, *names: Any) -> None:  # type: ignore[override]
        """Remember a digest of each key (one ``EVAL``; see the module docstring)."""
        if self.explicit_transaction:
            raise RedisError("Cannot issue a WATCH after a MULTI")
        keys = [_arg(n) for n in names]
        reply = await self.transport.post("/", ["EVAL", WATCH_SCRIPT, str(len(keys)), *keys])
        digests = _result(reply)
        for key, digest in zip(keys, digests or [], strict=True):
            self._digests.setdefault(key, str(digest))
        self.watching = True

    def multi(self) -> None:
        if self.explicit_transaction:
            raise RedisError("Cannot issue nested calls to MULTI")
        if self.command_stack:
            raise RedisError("Commands without an initial WATCH have already been issued")
        self.explicit_transaction = True

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        """Send the queued commands (``/pipeline``, ``/multi-exec`` or the commit script)."""
        stack = self.command_stack
        try:
            if not stack:
                return []
            if self.is_transaction and self._digests:
                replies = await self._commit(stack)
            else:
                path = "/multi-exec" if self.is_transaction else "/pipeline"
                body = [[_arg(a) for a in args] for args, _ in stack]
                entries = await self.transport.post(path, body)
                if not isinstance(entries, list) or len(entries) != len(stack):
                    raise ResponseError("Upstash REST: malformed pipeline reply")
                replies = []
                for entry in entries:
                    try:
                        replies.append(_result(entry))
                    except ResponseError as exc:
                        if raise_on_error:
                            raise
                        replies.append(exc)
            return [
                r if isinstance(r, Exception) else self._parse(args, r, options)
                for (args, options), r in zip(stack, replies, strict=True)
            ]
        finally:
            self._clear()

    async def _commit(self, stack: list[tuple[tuple[Any, ...], dict[str, Any]]]) -> list[Any]:
        watched = list(self._digests)
        keys = list(watched)
        slot: dict[str, int] = {k: i + 1 for i, k in enumerate(keys)}

        def key_ref(key: Any) -> list[Any]:
            text = _arg(key)
            if text not in slot:
                keys.append(text)
                slot[text] = len(keys)
            return [slot[text]]

        commands: list[list[Any]] = []
        owner: list[int] = []  # the queued command each script call belongs to
        for index, (args, _) in enumerate(stack):
            name = _arg(args[0]).upper()
            rest = list(args[1:])
            if name in _ALL_KEYS:
                out: list[Any] = [key_ref(a) for a in rest]
            elif name in _PAIR_KEYS:
                out = [key_ref(a) if i % 2 == 0 else _arg(a) for i, a in enumerate(rest)]
            else:
                out = [key_ref(rest[0]), *[_arg(a) for a in rest[1:]]] if rest else []
            for part in _split(name, out):
                commands.append([name, *part])
                owner.append(index)
        argv = [str(len(watched)), *(self._digests[k] for k in watched), json.dumps(commands)]
        reply = await self.transport.post(
            "/", ["EVAL", COMMIT_SCRIPT, str(len(keys)), *keys, *argv]
        )
        result = _result(reply)
        if not isinstance(result, list):
            raise WatchError("Watched variable changed.")
        parts: list[list[Any]] = [[] for _ in stack]
        for index, reply_part in zip(owner, result[1:], strict=True):
            parts[index].append(reply_part[0] if reply_part else None)
        # A split write answers per part: counts add up (DEL, ZADD, ZREM), OK stays OK (MSET).
        return [p[0] if len(p) == 1 or not isinstance(p[0], int) else sum(p) for p in parts]


def _split(name: str, args: list[Any]) -> list[list[Any]]:
    """``args`` as one call, or as several when a variadic write is too long for ``unpack``."""
    step = _SPLITTABLE.get(name)
    if step is None or len(args) <= _SPLIT_ARGS:
        return [args]
    head = [args[0]] if name in ("ZADD", "ZREM") else []
    body = args[len(head) :]
    if name == "ZADD" and body and _arg(body[0]).upper() in {"NX", "XX", "GT", "LT", "CH"}:
        return [args]  # options before the pairs: never queued by the adapter; keep whole
    size = _SPLIT_ARGS - _SPLIT_ARGS % step
    return [head + body[i : i + size] for i in range(0, len(body), size)]


__all__ = ["COMMIT_SCRIPT", "WATCH_SCRIPT", "RestPipeline", "RestRedis", "RestTransport"]
