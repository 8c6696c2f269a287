"""``UpstashStore``: memory, workflows and scores in Redis (Upstash or any Redis server).

Data layout: ``@mastra/upstash`` 1.3.1's keys and JSON values, plus secondary indexes
(``docs/upstash-layout.md``), so a Mastra app and a Python service can share a database.
Transport: an ``https://`` (or ``upstash+https://``) URL plus token goes over Upstash's
REST API, as Mastra does (:mod:`mastra_storage_upstash.rest`); ``redis://``, ``rediss://``
and ``upstash://`` URLs use redis-py's asyncio client with the hiredis parser.
Observability (which Mastra's Upstash adapter lacks) keeps spans under our own keys with one
index set per ``list_traces`` access path (:mod:`mastra_storage_upstash.observability`).
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from mastra_storage.composite import DoctorCheck, DoctorReport, InitMode, MastraStorage
from mastra_storage.domains.memory import MemoryStore
from mastra_storage.domains.observability import ObservabilityStore
from mastra_storage.domains.scores import ScoresStore
from mastra_storage.domains.workflows import WorkflowsStore
from mastra_storage.errors import ConfigurationError
from mastra_storage.lifecycle import (
    DEFAULT_CLOSE_TIMEOUT_S,
    DEFAULT_CONNECT_TIMEOUT_S,
    DEFAULT_INIT_TIMEOUT_S,
    DEFAULT_OPERATION_TIMEOUT_S,
    check_timeout,
)
from mastra_storage.redact import protect_logs, redact_text, redact_url, split_url, url_secrets

from .db import RedisDB
from .errors import operation
from .keys import Keys
from .memory import UpstashMemoryBackend
from .observability import UpstashObservabilityBackend
from .scores import UpstashScoresBackend
from .ttl import parse_ttl
from .workflows import UpstashWorkflowsBackend

UPSTASH_TLS_PORT = 6379
_MAX_PREFIX = 200


_UNPARSABLE = (
    "invalid URL {url!r}: bad port, or a password with an unencoded '/', '#', '?' or '@' "
    "(percent-encode it)"
)


def _fail(message: str) -> ConfigurationError:
    return ConfigurationError(
        f"UpstashStore: {message}", id="MASTRA_STORAGE_UPSTASH_INVALID_CONFIG"
    )


def redis_url_for(url: str, token: str | None = None) -> str:
    """The redis-py URL for what the user gave.

    * ``https://X.upstash.io`` + token (Upstash's REST URL) -> ``rediss://default:TOKEN@X.upstash.io:6379``
    * ``upstash://[default:]TOKEN@host[:port]`` or ``upstash://host?token=TOKEN`` -> the same
    * ``redis://`` / ``rediss://`` -> unchanged (a token, if given, becomes the password)
    """
    if not isinstance(url, str) or not url.strip():
        raise _fail("url is required and cannot be empty.")
    if token is not None and (not isinstance(token, str) or not token.strip()):
        raise _fail("token is required and cannot be empty.")
    parts = split_url(url.strip())
    if parts is None:
        raise _fail(_UNPARSABLE.format(url=redact_url(url)))
    scheme = parts.scheme.lower()
    if scheme in ("redis", "rediss"):
        if token is None:
            return url.strip()
        host = parts.hostname or ""
        port_text = f":{parts.port}" if parts.port else ""
        user = parts.username or "default"
        tail = parts.path + (f"?{parts.query}" if parts.query else "")
        return f"{scheme}://{quote(user, safe='')}:{quote(token, safe='')}@{host}{port_text}{tail}"
    if scheme in ("http", "https"):
        if token is None:
            raise _fail("token is required and cannot be empty (an Upstash REST URL needs it).")
        if not parts.hostname:
            raise _fail(f"no host in url {redact_url(url)!r}")
        return f"rediss://default:{quote(token, safe='')}@{parts.hostname}:{UPSTASH_TLS_PORT}"
    if scheme == "upstash":
        query = dict(parse_qsl(parts.query))
        secret = (
            token or query.get("token") or (unquote(parts.password) if parts.password else None)
        )
        if secret is None and parts.username and not parts.password:
            secret = unquote(parts.username)  # upstash://TOKEN@host
        if not secret:
            raise _fail("an upstash:// URL needs a token (upstash://default:TOKEN@host).")
        if not parts.hostname:
            raise _fail(f"no host in url {redact_url(url)!r}")
        port = parts.port or UPSTASH_TLS_PORT
        return f"rediss://default:{quote(secret, safe='')}@{parts.hostname}:{port}"
    raise _fail(
        f"unsupported URL scheme in {redact_url(url)!r}: use https:// (+ token), "
        "redis://, rediss:// or upstash://"
    )


#: Schemes that select the REST transport, and the HTTP scheme each one means.
REST_SCHEMES = {
    "https": "https",
    "http": "http",
    "upstash+https": "https",
    "upstash+http": "http",
}


def rest_endpoint(url: str, token: str | None = None) -> tuple[str, str] | None:
    """``(base URL, token)`` when ``url`` names a REST endpoint, else ``None``.

    ``https://X.upstash.io`` (what Upstash's console calls the REST URL) and
    ``upstash+https://X.upstash.io`` (the form :func:`mastra_storage.connect` routes here;
    plain ``https://`` is not claimed there, libSQL and others use it) take the token from
    ``token``, else from the URL's password (``upstash+https://default:TOKEN@host``) or a
    ``?token=`` parameter. ``upstash+http://`` / ``http://`` are for local REST servers.
    """
    scheme, sep, _ = str(url).strip().partition("://")
    http_scheme = REST_SCHEMES.get(scheme.lower()) if sep else None
    if http_scheme is None:
        return None
    if token is not None and (not isinstance(token, str) or not token.strip()):
        raise _fail("token is required and cannot be empty.")
    parts = split_url(url.strip())
    if parts is None:
        raise _fail(_UNPARSABLE.format(url=redact_url(url)))
    query = dict(parse_qsl(parts.query))
    secret = (
        token
        or (unquote(parts.password) if parts.password else None)
        or query.get("token")
        or query.get("_token")
    )
    if not secret:
        raise _fail("token is required and cannot be empty (an Upstash REST URL needs it).")
    host = parts.hostname
    if not host:
        raise _fail(f"no host in url {redact_url(url)!r}")
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return f"{http_scheme}://{netloc}{parts.path.rstrip('/')}", secret


def _check_prefix(prefix: Any) -> str:
    if not isinstance(prefix, str):
        raise _fail("prefix must be a string")
    if len(prefix) > _MAX_PREFIX or any(ch.isspace() or not ch.isprintable() for ch in prefix):
        raise _fail(f"prefix must be at most {_MAX_PREFIX} printable characters without spaces")
    return prefix


class UpstashStore(MastraStorage):
    """Memory, workflows and scores in Redis, key-compatible with ``@mastra/upstash``.

    Give ``url`` + ``token`` (Upstash REST URL and token: the REST transport, over HTTPS
    only), or a ``redis://``/``rediss://``/``upstash://`` URL (TCP), or an existing
    ``redis.asyncio.Redis`` client (created with
    ``decode_responses=True``; the store never closes a client it did not create).
    ``prefix`` is put in front of every key; ``ttl`` sets per-entity expiry
    (:mod:`mastra_storage_upstash.ttl`). A client the store creates uses a blocking pool of
    ``max_connections`` (callers wait up to ``pool_timeout_s`` for a free one).
    ``follow_mastra_writes`` (default on) spends one ``ZCARD`` per thread read to notice and
    index messages a Mastra app saved into that thread, and one ``DBSIZE`` per listing to
    notice threads, runs and scores it created (indexed by bounded steps, ``adopt.py``);
    turn it off when no Mastra app writes to the database. Extra keyword arguments go to
    redis-py.

    Time bounds (seconds, ``docs/decisions.md`` "Timeouts and closing"): ``operation_timeout``
    (default 30, ``None``: none) is the overall deadline of one call (``init_timeout``, 300,
    that of ``init()``), ``connect_timeout``
    (10) of opening a connection, ``pool_timeout_s`` (20) of waiting for a pooled one,
    ``close_timeout`` (5) of ``close()``. A call past its deadline raises
    ``UnavailableError``.
    """

    name: str = "UpstashStore"
    binds_event_loop = True
    #: The redis-py pool this store created (``None``: REST, or an injected client).
    _pool: Any = None

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        client: Any = None,
        prefix: str = "",
        ttl: dict[str, Any] | None = None,
        id: str = "upstash",
        disable_init: bool = False,
        init_mode: InitMode = "migrate",
        max_connections: int = 50,
        pool_timeout_s: float = 20.0,
        follow_mastra_writes: bool = True,
        operation_timeout: float | None = DEFAULT_OPERATION_TIMEOUT_S,
        init_timeout: float | None = DEFAULT_INIT_TIMEOUT_S,
        connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT_S,
        close_timeout: float = DEFAULT_CLOSE_TIMEOUT_S,
        **redis_options: Any,
    ) -> None:
        super().__init__(id=id, disable_init=disable_init, init_mode=init_mode)
        self.operation_timeout = check_timeout(self.name, "operation_timeout", operation_timeout)
        self.init_timeout = check_timeout(self.name, "init_timeout", init_timeout)
        self.close_timeout = float(
            check_timeout(self.name, "close_timeout", close_timeout, optional=False) or 0
        )
        connect_timeout = check_timeout(self.name, "connect_timeout", connect_timeout)
        self.prefix = _check_prefix(prefix)
        ttl_seconds = parse_ttl(ttl)
        if client is not None:
            if url is not None or token is not None:
                raise _fail("give either a client or url/token, not both")
            kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", {})
            if not kwargs.get("decode_responses"):
                raise _fail("the client must be created with decode_responses=True")
            self._owns_client = False
            self.url = "<client>"
            secret_url = ""
        elif (rest := rest_endpoint(url or "", token)) is not None:
            if redis_options:
                raise _fail(f"redis-py options {sorted(redis_options)} do not apply to a REST URL")
            base_url, secret = rest
            protect_logs(self, [secret])  # out of any DEBUG log (httpx logs requests)
            try:
                from .rest import RestRedis, RestTransport
            except ImportError as exc:  # httpx arrived with the extra in a later version
                missing = exc.name or "httpx"
            else:
                missing = ""
            if missing:
                raise _fail(f"a REST URL needs {missing}: pip install 'mastra-storage[upstash]'")

            client = RestRedis(
                RestTransport(
                    base_url,
                    secret,
                    connect_timeout=connect_timeout,
                    pool_timeout=pool_timeout_s,
                    max_connections=max_connections,
                )
            )
            self._owns_client = True
            self._pool = None
            self.url = base_url
            # Only for scrubbing error texts: the token in the userinfo spot is redacted.
            scheme, _, rest_of_url = base_url.partition("://")
            secret_url = f"{scheme}://default:{quote(secret, safe='')}@{rest_of_url}"
        else:
            if url is None:
                raise _fail("url is required and cannot be empty.")
            secret_url = redis_url_for(url, token)
            protect_logs(self, [*url_secrets(secret_url), token])  # out of any DEBUG log
            from redis.asyncio import BlockingConnectionPool, Redis

            # A blocking pool: a burst of concurrent operations waits for a free
            # connection instead of failing with "Too many connections".
            options: dict[str, Any] = {
                "decode_responses": True,
                "protocol": 2,
                "max_connections": max_connections,
                "timeout": pool_timeout_s,
                "socket_connect_timeout": connect_timeout,
            }
            options.update(redis_options)
            try:
                self._pool = BlockingConnectionPool.from_url(secret_url, **options)
                refused = ""
            except (TypeError, ValueError) as exc:
                refused = redact_text(str(exc), secret_url) or type(exc).__name__
            if refused:  # outside ``except``: redis-py's message may quote the password
                raise _fail(f"invalid connection settings: {refused}")
            client = Redis(connection_pool=self._pool)
            self._owns_client = True
            self.url = redact_url(secret_url)
        self.client = client
        self._db = RedisDB(
            client,
            Keys(self.prefix),
            ttl_seconds,
            secret_url,
            follow_mastra=bool(follow_mastra_writes),
        )
        self.stores: dict[str, Any] = {
            "memory": MemoryStore(UpstashMemoryBackend(self._db)),
            "workflows": WorkflowsStore(UpstashWorkflowsBackend(self._db)),
            "scores": ScoresStore(UpstashScoresBackend(self._db)),
            "observability": ObservabilityStore(UpstashObservabilityBackend(self._db)),
        }

    @classmethod
    def from_url(cls, url: str, **options: Any) -> UpstashStore:
        """Build a store from a ``redis://``, ``rediss://`` or ``upstash://`` URL, or an
        ``upstash+https://`` REST URL (token as ``token=`` or the URL's password)."""
        return cls(url, **options)

    @property
    def db(self) -> RedisDB:
        return self._db

    @property
    def read_only(self) -> bool:
        """A store opened by a command that only reads: lists do not index what a Mastra
        app wrote (that indexing writes; see ``follow_mastra_writes``)."""
        return self._db.read_only

    @read_only.setter
    def read_only(self, value: bool) -> None:
        self._db.read_only = bool(value)

    @operation("init")
    async def _initialize(self) -> None:
        """Nothing to create in Redis; a PING proves the connection early (a server that
        cannot be reached fails ``init()`` with ``UnavailableError``, not a redis-py error)."""
        await self.client.ping()

    @operation("init")
    async def _verify_schema(self) -> None:
        """``init_mode="verify"``: Redis has no schema to verify (keys and indexes appear on
        write), so verify is the same ``PING`` as a migrating init, which writes nothing
        either: it proves connectivity (``UnavailableError`` otherwise)."""
        await self.client.ping()

    async def doctor(self) -> DoctorReport:
        """Connectivity only: Redis has no schema, and counting Mastra's unindexed records
        would need a keyspace scan (listings adopt them step by step, ``adopt.py``)."""
        report = DoctorReport(store=self.name, checks=[])
        try:
            await self.client.ping()
        except Exception as exc:  # any driver failure is the finding
            text = redact_text(f"{type(exc).__name__}: {exc}", self._db.display_url or None)
            report.checks.append(DoctorCheck(name="connectivity", ok=False, detail=text))
            return report
        detail = f"{self.url} (prefix {self.prefix!r}; domains {', '.join(sorted(self.stores))})"
        report.checks.append(DoctorCheck(name="connectivity", ok=True, detail=detail))
        return report

    async def close(self) -> None:
        """Close the client and pool this store created (an injected client stays open).
        Bounded by ``close_timeout``, then the sockets are dropped without waiting."""
        if self._owns_client:
            await self.client.aclose()
            if self._pool is not None:
                await self._pool.disconnect()

    def _abandon_connections(self) -> None:
        if not self._owns_client or self._pool is None:
            return  # REST: httpx's connections close when the client is collected
        # redis-py has no synchronous close: abort each socket's transport (the loop that
        # owns it may be closed already, hence the suppress).
        for connection in list(getattr(self._pool, "_connections", ())):
            writer = getattr(connection, "_writer", None)
            if writer is not None:
                with contextlib.suppress(Exception):
                    writer.transport.abort()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, url={self.url!r}, prefix={self.prefix!r})"


__all__ = ["REST_SCHEMES", "UPSTASH_TLS_PORT", "UpstashStore", "redis_url_for", "rest_endpoint"]
