"""A small synchronous Hrana-over-HTTP client: the wire protocol of sqld and Turso.

Why our own (``docs/libsql-remote.md`` has the comparison): the only thing the store
needs from a remote libSQL server is ``POST /v3/pipeline`` (``/v2`` as a fallback) with
``batch`` requests whose steps are chained by conditions, plus a *baton* to keep an
interactive transaction open between requests. That is ~200 lines on the standard
library's :mod:`http.client`, which lets us decide exactly what goes into each network
round trip (the ``libsql`` driver's remote mode sends one request per statement) and
adds no dependency.

The client is synchronous on purpose: it runs on the store's worker thread, like the
local driver (:mod:`mastra_storage_libsql.connection`), so the event loop never blocks.
One client belongs to one worker thread; it is not thread-safe.

The auth token is sent as ``Authorization: Bearer <token>`` and is never part of a
``repr``, a URL we display, or an error message (server texts are scrubbed of it).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import logging
import math
import socket
import ssl
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mastra_storage.redact import REDACTED, redact_text, redact_url

from .errors import HranaError, HranaTransportError, ValueTooLargeError

_log = logging.getLogger("mastra_storage.libsql")

#: Seconds a request may take before the socket gives up.
DEFAULT_TIMEOUT_S = 30.0
_PATHS = ("/v3/pipeline", "/v2/pipeline")


# ---- the server's size limits (docs/libsql-remote.md, "Size limits") ---------------------

#: Largest text or blob one statement parameter may carry, in bytes. Measured against
#: sqld 0.24.32 (the test fixtures' server): 4,999,993 bytes bind, one byte more fails
#: with ``ARGS_INVALID: string or blob too big`` (its SQLite length limit, 5,000,000,
#: also caps a value built on the server). A request may carry many such values.
MAX_VALUE_BYTES = 4_999_993
#: Largest response to one request: the values of all its steps together, in bytes
#: (sqld's default ``--max-response-size``, 10 MB; measured 9,999,796 bytes of text in
#: three steps answered, 10.2 MB failed with ``RESPONSE_TOO_LARGE``). Reads that would
#: exceed it are split by :class:`~mastra_storage_libsql.remote.RemoteTx`.
MAX_RESPONSE_BYTES = 10_000_000
#: The error code of a response over :data:`MAX_RESPONSE_BYTES`.
RESPONSE_TOO_LARGE = "RESPONSE_TOO_LARGE"


def _check_size(size: int) -> None:
    if size > MAX_VALUE_BYTES:
        raise ValueTooLargeError(
            f"a value of {size} bytes is larger than a libSQL server accepts "
            f"({MAX_VALUE_BYTES} bytes per value); nothing was written",
            id="MASTRA_STORAGE_LIBSQL_VALUE_TOO_LARGE",
            details={"size": size, "limit": MAX_VALUE_BYTES},
        )


def encode_value(value: Any) -> dict[str, Any]:
    """A Python parameter as a Hrana value (the JSON encoding of protocol v2/v3)."""
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "integer", "value": "1" if value else "0"}
    if isinstance(value, int):
        return {"type": "integer", "value": str(value)}
    if isinstance(value, float):
        if not math.isfinite(value):
            raise HranaError(f"cannot send the non-finite float {value!r} to a libSQL server")
        return {"type": "float", "value": value}
    if isinstance(value, str):
        if len(value) * 4 > MAX_VALUE_BYTES:  # only then can its UTF-8 form be too large
            _check_size(
                len(value)
                if len(value) > MAX_VALUE_BYTES
                else len(value.encode("utf-8", "surrogatepass"))
            )
        return {"type": "text", "value": value}
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        _check_size(len(data))
        return {"type": "blob", "base64": base64.b64encode(data).decode("ascii")}
    raise HranaError(f"unsupported parameter type {type(value).__name__}")


def decode_value(value: dict[str, Any]) -> Any:
    """A Hrana value as the Python value the local driver would return."""
    kind = value.get("type")
    if kind == "null":
        return None
    if kind == "integer":
        return int(value["value"])
    if kind == "float":
        return float(value["value"])
    if kind == "text":
        return str(value["value"])
    if kind == "blob":
        data = str(value.get("base64", ""))
        return base64.b64decode(data + "=" * (-len(data) % 4))
    raise HranaTransportError(f"unknown Hrana value type {kind!r}")


def statement(sql: str, params: Sequence[Any] = ()) -> dict[str, Any]:
    return {"sql": sql, "args": [encode_value(p) for p in params]}


@dataclass
class StepResult:
    """Rows and counts of one executed statement."""

    rows: list[tuple[Any, ...]]
    affected_row_count: int

    @classmethod
    def from_json(cls, result: dict[str, Any]) -> StepResult:
        rows = [tuple(decode_value(v) for v in row) for row in result.get("rows", [])]
        return cls(rows=rows, affected_row_count=int(result.get("affected_row_count") or 0))


@dataclass(frozen=True)
class Endpoint:
    """Where a libSQL server's HTTP API lives (no credentials in here)."""

    scheme: str  # "http" or "https"
    host: str
    port: int | None
    path: str = ""  # a path prefix (proxies), without trailing slash

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL with a host: {url!r}")
        return cls(scheme=scheme, host=parts.hostname, port=parts.port, path=parts.path.rstrip("/"))

    @property
    def effective_port(self) -> int:
        return self.port or (443 if self.scheme == "https" else 80)

    def same_origin(self, other: Endpoint) -> bool:
        """Same scheme, host and port (``https://h`` and ``https://h:443`` are one origin)."""
        return (
            self.scheme == other.scheme
            and self.host.lower() == other.host.lower()
            and self.effective_port == other.effective_port
        )

    @property
    def origin(self) -> str:
        port = f":{self.port}" if self.port else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}{port}"


@dataclass
class HranaClient:
    """Sends pipeline requests; keeps one keep-alive connection per origin.

    ``round_trips`` counts HTTP requests sent (what "one network round trip" means).
    """

    endpoint: Endpoint
    auth_token: str | None = field(default=None, repr=False)
    timeout_s: float = DEFAULT_TIMEOUT_S
    round_trips: int = 0
    _connections: dict[str, http.client.HTTPConnection] = field(default_factory=dict, repr=False)
    _path_index: int = field(default=0, repr=False)
    #: Streams whose request failed in transit: (baton, base_url), closed before the next
    #: new stream starts (see :meth:`abandon`).
    _abandoned: list[tuple[str, str | None]] = field(default_factory=list, repr=False)
    #: ``base_url`` values refused by :meth:`route` (each is logged once).
    _ignored_base_urls: set[str] = field(default_factory=set, repr=False)
    #: Set by :meth:`interrupt` (from the event loop's thread): the request in flight is
    #: not resent on the fresh connection its failure would otherwise earn.
    _interrupted: bool = field(default=False, repr=False)

    def interrupt(self) -> None:
        """Shut down the sockets of requests in flight (safe from any thread).

        Why: ``timeout_s`` bounds each socket read, not a whole response, so a server that
        trickles bytes holds the worker thread for ever; the store calls this when a call
        passes its overall deadline (``operation_timeout``), and the blocked read fails.
        """
        self._interrupted = True
        with contextlib.suppress(RuntimeError):  # the worker may change the dict meanwhile
            for conn in list(self._connections.values()):
                sock = conn.sock
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

    def abandon(self, baton: str, base_url: str | None) -> None:
        """Remember a stream the connection was lost on, to close it later.

        Why: a write transaction on a server-side stream holds sqld's write lock until the
        stream is closed or expires (seconds later); every other writer waits and times
        out meanwhile. Closing it explicitly once the server answers again rolls it back
        at once, so the store recovers as soon as the network does.
        """
        self._abandoned.append((baton, base_url))

    def _close_abandoned(self) -> None:
        """Close remembered streams; keep those the server still cannot be reached for."""
        pending, self._abandoned = self._abandoned, []
        for index, (baton, base_url) in enumerate(pending):
            try:
                self.pipeline([{"type": "close"}], baton=baton, base_url=base_url)
            except HranaTransportError:
                self._abandoned.extend(pending[index:])  # still unreachable: try later
                return
            except HranaError:
                pass  # the stream is already gone (expired, or committed before the cut)

    def pipeline(
        self,
        requests: list[dict[str, Any]],
        *,
        baton: str | None = None,
        base_url: str | None = None,
    ) -> dict[str, Any]:
        """One ``POST .../pipeline``; returns the decoded body (``baton``, ``results``...).

        ``base_url`` (from an earlier response of the same stream) routes the request to
        the server instance that holds the stream, as Hrana's sticky sessions require.
        """
        self._interrupted = False
        if baton is None and self._abandoned:
            self._close_abandoned()
        body = json.dumps({"baton": baton, "requests": requests}).encode("utf-8")
        endpoint = self.route(base_url)
        while True:
            path = endpoint.path + _PATHS[self._path_index]
            status, data = self._post(endpoint, path, body)
            if status == 404 and self._path_index + 1 < len(_PATHS) and baton is None:
                self._path_index += 1  # an older server: speak Hrana v2
                continue
            break
        if status != 200:
            text = self._scrub(data.decode("utf-8", "replace").strip())[:300]
            try:
                parsed = json.loads(text)
                text = str(parsed.get("message") or parsed.get("error") or text)
            except (ValueError, AttributeError):
                pass
            hint = " (check the auth token)" if status in (401, 403) else ""
            raise HranaError(
                f"libSQL server answered HTTP {status}{hint}: {text or 'no details'}",
                f"HTTP_{status}",
                status=status,
            )
        try:
            decoded = json.loads(data)
        except ValueError as exc:
            raise HranaTransportError("the libSQL server sent a response that is not JSON") from exc
        if not isinstance(decoded, dict) or not isinstance(decoded.get("results"), list):
            raise HranaTransportError("the libSQL server sent a response without results")
        return decoded

    def route(self, base_url: str | None) -> Endpoint:
        """Where a stream's next request goes: its ``base_url`` only on our own origin.

        The bearer token goes with every request, so a ``base_url`` naming another
        scheme (``http`` after ``https``), host or port is ignored (with a warning) and
        the request goes to the configured endpoint: a response must not be able to send
        the token elsewhere. A path on the same origin is followed (proxies).
        """
        if not base_url:
            return self.endpoint
        try:
            candidate: Endpoint | None = Endpoint.parse(base_url)
        except ValueError:
            candidate = None
        if candidate is not None and candidate.same_origin(self.endpoint):
            return candidate
        if base_url not in self._ignored_base_urls:
            self._ignored_base_urls.add(base_url)
            _log.warning(
                "libSQL server at %s named base_url %s on another origin; ignored (the auth "
                "token is only sent to %s)",
                self.endpoint.origin,
                redact_url(base_url),
                self.endpoint.origin,
            )
        return self.endpoint

    def _post(self, endpoint: Endpoint, path: str, body: bytes) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.auth_token:
            headers["Authorization"] = f"Bearer {self.auth_token}"
        for attempt in (0, 1):
            conn, reused = self._connection(endpoint)
            self.round_trips += 1
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self._drop(endpoint)
                if reused and attempt == 0 and not self._interrupted:
                    continue  # the server closed an idle keep-alive connection: resend once
                raise HranaTransportError(
                    f"lost the connection to {endpoint.origin}: {self._scrub(str(exc))}"
                ) from exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop(endpoint)
                raise HranaTransportError(
                    f"failed to connect to {endpoint.origin}: "
                    f"{self._scrub(str(exc)) or type(exc).__name__}"
                ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _connection(self, endpoint: Endpoint) -> tuple[http.client.HTTPConnection, bool]:
        key = endpoint.origin
        conn = self._connections.get(key)
        if conn is not None:
            return conn, True
        if endpoint.scheme == "https":
            conn = http.client.HTTPSConnection(
                endpoint.host,
                endpoint.port,
                timeout=self.timeout_s,
                context=ssl.create_default_context(),
            )
        else:
            conn = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=self.timeout_s)
        self._connections[key] = conn
        return conn, False

    def _drop(self, endpoint: Endpoint) -> None:
        conn = self._connections.pop(endpoint.origin, None)
        if conn is not None:
            conn.close()

    def _scrub(self, text: str) -> str:
        if self.auth_token:
            text = text.replace(self.auth_token, REDACTED)
        return redact_text(text)

    def close(self) -> None:
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()


def response_error(result: dict[str, Any]) -> HranaError | None:
    """The error of one pipeline result (``{"type": "error", ...}``), if it failed."""
    if result.get("type") == "error":
        error = result.get("error") or {}
        return HranaError(str(error.get("message", "unknown error")), error.get("code"))
    return None


__all__ = [
    "DEFAULT_TIMEOUT_S",
    "MAX_RESPONSE_BYTES",
    "MAX_VALUE_BYTES",
    "RESPONSE_TOO_LARGE",
    "Endpoint",
    "HranaClient",
    "HranaError",
    "HranaTransportError",
    "StepResult",
    "ValueTooLargeError",
    "decode_value",
    "encode_value",
    "response_error",
    "statement",
]
