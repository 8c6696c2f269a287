"""Tests for tests.support.servers against real local servers.

Servers that are missing on this machine (or drivers not installed) make the affected tests
skip through skip_or_fail, which fails them instead when MASTRA_TEST_REQUIRE names the backend.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from tests.support import servers
from tests.support.servers import (
    KNOWN_BACKENDS,
    ServerUnavailable,
    dynamodb_client_kwargs,
    dynamodb_table_name,
    dynamodb_url,
    mongodb_database,
    mongodb_uri,
    pgvector_url,
    postgres_database,
    postgres_url,
    redis_key_prefix,
    redis_url,
    required_backends,
    server_url_or_skip,
    skip_or_fail,
    sqld_instance,
    sqld_url,
    stop_all,
)

_ENV_VARS = [*servers.URL_ENV.values(), servers.NO_STANDARD_PORTS_ENV]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests decide themselves whether server URLs come from the environment."""
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True, scope="module")
def _private_server_registry() -> Iterator[None]:
    """This module starts, kills and forgets servers; it does so in registries of its own, so
    the shared servers other test directories of the same session use stay up."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(servers, "_SHARED", {})
        patch.setattr(servers, "_FAILED", {})
        patch.setattr(servers, "_LIVE", set())
        yield
        stop_all()  # only what this module started


async def _enter(
    stack: contextlib.AsyncExitStack, backend: str, cm: AbstractAsyncContextManager[str]
) -> str:
    try:
        return await stack.enter_async_context(cm)
    except ServerUnavailable as exc:
        skip_or_fail(backend, exc.reason)


def _port(url: str) -> int:
    port = urllib.parse.urlsplit(url).port
    assert port is not None
    return port


def _redis(url: str, *args: str) -> bytes:
    """Send one command over a raw socket and return the raw reply (independent of servers)."""
    payload = f"*{len(args)}\r\n".encode() + b"".join(
        f"${len(arg.encode())}\r\n{arg}\r\n".encode() for arg in args
    )
    db = urllib.parse.urlsplit(url).path.strip("/") or "0"
    with socket.create_connection(("127.0.0.1", _port(url)), timeout=2) as sock:
        # The database of the URL (each parallel test worker has its own).
        sock.sendall(f"*2\r\n$6\r\nSELECT\r\n${len(db)}\r\n{db}\r\n".encode())
        assert sock.recv(5) == b"+OK\r\n"
        sock.sendall(payload)
        return sock.recv(65536)


def _http(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------- env parsing


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", set()),
        ("   ", set()),
        ("redis", {"redis"}),
        ("postgres,redis", {"postgres", "redis"}),
        (" redis  sqld,,mongodb ,", {"redis", "sqld", "mongodb"}),
        ("PostgreSQL, Mongo", {"postgres", "mongodb"}),
        ("all", set(KNOWN_BACKENDS)),
        ("redis, ALL", set(KNOWN_BACKENDS)),
        ("libsql,postgres,pgvector,redis,sqld,dynamodb,mongodb,node", set(KNOWN_BACKENDS)),
    ],
)
def test_required_backends_parsing(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: set[str]
) -> None:
    monkeypatch.setenv(servers.REQUIRE_ENV, raw)
    assert required_backends() == frozenset(expected)


def test_required_backends_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(servers.REQUIRE_ENV, raising=False)
    assert required_backends() == frozenset()


def test_required_backends_rejects_typos(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(servers.REQUIRE_ENV, "postgres,redsi")
    with pytest.raises(ValueError, match="redsi"):
        required_backends()


def test_server_unavailable_reason_is_one_line() -> None:
    exc = ServerUnavailable("first line\n  second\tline\n")
    assert exc.reason == "first line second line"
    assert str(exc) == exc.reason


# --------------------------------------------------------------------------- skip_or_fail


def test_skip_or_fail_skips_when_not_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(servers.REQUIRE_ENV, "redis")
    with pytest.raises(pytest.skip.Exception) as info:
        skip_or_fail("postgres", "nothing on\n127.0.0.1:5432")
    assert str(info.value) == "postgres unavailable: nothing on 127.0.0.1:5432"


def test_skip_or_fail_skips_without_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(servers.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^mongodb unavailable: no server$"):
        skip_or_fail("mongodb", "no server")


@pytest.mark.parametrize("require", ["postgres", "redis postgres", "all"])
def test_skip_or_fail_fails_when_required(monkeypatch: pytest.MonkeyPatch, require: str) -> None:
    monkeypatch.setenv(servers.REQUIRE_ENV, require)
    with pytest.raises(pytest.fail.Exception, match=r"^postgres unavailable: no initdb"):
        skip_or_fail("postgres", "no initdb")


def test_skip_or_fail_rejects_unknown_backend() -> None:
    with pytest.raises(ValueError, match="cassandra"):
        skip_or_fail("cassandra", "x")


# --------------------------------------------------------------------------- env precedence

_PROVIDERS: list[tuple[str, Callable[[], str]]] = [
    ("postgres", postgres_url),
    ("pgvector", pgvector_url),
    ("redis", redis_url),
    ("sqld", sqld_url),
    ("dynamodb", dynamodb_url),
    ("mongodb", mongodb_uri),
]


@pytest.mark.parametrize(("backend", "provider"), _PROVIDERS, ids=[b for b, _ in _PROVIDERS])
def test_env_url_takes_precedence(
    monkeypatch: pytest.MonkeyPatch, backend: str, provider: Callable[[], str]
) -> None:
    url = f"{backend}://env-host.invalid:1234/x"
    monkeypatch.setenv(servers.URL_ENV[backend], f"  {url} ")
    assert provider() == url
    assert server_url_or_skip(backend) == url


@pytest.mark.anyio
async def test_sqld_instance_yields_env_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASTRA_TEST_SQLD_URL", "http://sqld.invalid:8080")
    async with sqld_instance() as url:
        assert url == "http://sqld.invalid:8080"


def test_dynamodb_client_kwargs_have_dummy_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    monkeypatch.delenv("MASTRA_TEST_DYNAMODB_REGION", raising=False)
    assert dynamodb_client_kwargs("http://127.0.0.1:9") == {
        "endpoint_url": "http://127.0.0.1:9",
        "region_name": "us-east-1",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }


def test_start_failure_is_remembered_until_stop_all(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def failing_start() -> servers._Server:
        calls.append(1)
        raise ServerUnavailable("no server binary")

    monkeypatch.setenv(servers.NO_STANDARD_PORTS_ENV, "1")
    monkeypatch.setattr(servers, "_start_mongodb", failing_start)
    for _ in range(2):
        with pytest.raises(ServerUnavailable) as info:
            mongodb_uri()
        assert info.value.reason == "no server binary; or set MASTRA_TEST_MONGODB_URI"
    assert len(calls) == 1
    stop_all()
    with pytest.raises(ServerUnavailable):
        mongodb_uri()
    assert len(calls) == 2
    stop_all()


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("module", "backend", "factory"),
    [
        ("asyncpg", "postgres", lambda: postgres_database("postgresql://u@127.0.0.1:1/d")),
        ("aioboto3", "dynamodb", lambda: dynamodb_table_name("http://127.0.0.1:1")),
        ("pymongo", "mongodb", lambda: mongodb_database("mongodb://127.0.0.1:1")),
    ],
)
async def test_missing_driver_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    backend: str,
    factory: Callable[[], AbstractAsyncContextManager[str]],
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` raise ImportError
    with pytest.raises(ServerUnavailable) as info:
        async with factory():
            pass
    assert module in info.value.reason
    assert f"mastra-storage[{backend}]" in info.value.reason


def test_spawn_reports_early_exit_with_log_tail(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "import sys; print('boom: port in use'); sys.exit(3)"]
    with pytest.raises(ServerUnavailable, match="exited with code 3 before answering: boom"):
        servers._spawn("probe", argv, cwd=str(tmp_path), url="", ready=lambda: "not yet")
    assert not [server for server in servers._LIVE if server.backend == "probe"]


def test_spawn_gives_up_after_start_timeout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(servers.START_TIMEOUT_ENV, "0.3")
    argv = [sys.executable, "-c", "import time; time.sleep(60)"]
    with pytest.raises(ServerUnavailable, match=r"did not answer within 0\.3s \(still starting\)"):
        servers._spawn("probe", argv, cwd=str(tmp_path), url="", ready=lambda: "still starting")
    assert not [server for server in servers._LIVE if server.backend == "probe"]


# --------------------------------------------------------------------------- Redis


def test_redis_provider_finds_standard_port() -> None:
    problem = servers._redis_ping("127.0.0.1", 6379)
    if problem is not None:
        skip_or_fail("redis", f"nothing usable on 127.0.0.1:6379: {problem}")
    assert redis_url() == f"redis://127.0.0.1:6379/{servers._redis_db()}"


@pytest.mark.anyio
async def test_redis_key_prefix_removes_only_its_keys() -> None:
    url = server_url_or_skip("redis")
    async with contextlib.AsyncExitStack() as stack:
        prefix = await _enter(stack, "redis", redis_key_prefix(url))
        assert prefix.startswith("mastra-test-")
        assert prefix.endswith(":")
        outsider = prefix.replace("mastra-test-", "mastra-outsider-")
        for i in range(30):
            assert _redis(url, "SET", f"{prefix}k{i}", "v") == b"+OK\r\n"
        assert _redis(url, "HSET", f"{prefix}hash", "f", "v") == b":1\r\n"
        assert _redis(url, "SET", outsider, "keep") == b"+OK\r\n"
        async with redis_key_prefix(url) as other:
            assert other != prefix
    try:
        assert _redis(url, "EXISTS", f"{prefix}k0", f"{prefix}k29", f"{prefix}hash") == b":0\r\n"
        assert _redis(url, "EXISTS", outsider) == b":1\r\n"
    finally:
        _redis(url, "DEL", outsider)


def test_redis_ephemeral_server_starts_and_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(servers.NO_STANDARD_PORTS_ENV, "1")
    try:
        url = redis_url()
    except ServerUnavailable as exc:
        skip_or_fail("redis", exc.reason)
    port = _port(url)
    assert port != 6379
    assert redis_url() == url  # started once per process
    assert _redis(url, "PING") == b"+PONG\r\n"
    tmpdir = servers._SHARED["redis"].tmpdir
    assert tmpdir is not None
    assert Path(tmpdir).is_dir()
    stop_all()
    assert not _answers(port)
    assert not Path(tmpdir).exists()


def test_ephemeral_start_retries_a_taken_port(monkeypatch: pytest.MonkeyPatch) -> None:
    stop_all()
    monkeypatch.setenv(servers.NO_STANDARD_PORTS_ENV, "1")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))  # bound, not listening: bind fails, connect is refused
        taken = squatter.getsockname()[1]
        ports = iter([taken])
        real_free_port = servers._free_port
        monkeypatch.setattr(servers, "_free_port", lambda: next(ports, None) or real_free_port())
        try:
            url = redis_url()
        except ServerUnavailable as exc:
            skip_or_fail("redis", exc.reason)
        assert _port(url) != taken
        assert _redis(url, "PING") == b"+PONG\r\n"
    stop_all()


# --------------------------------------------------------------------------- PostgreSQL


def test_postgres_provider_finds_standard_port() -> None:
    problem = servers._pg_probe("127.0.0.1", 5432)
    if problem is not None:
        skip_or_fail("postgres", f"nothing usable on 127.0.0.1:5432: {problem}")
    assert postgres_url() == "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.mark.anyio
async def test_postgres_database_is_created_and_dropped() -> None:
    admin_url = server_url_or_skip("postgres")
    async with contextlib.AsyncExitStack() as stack:
        url = await _enter(stack, "postgres", postgres_database(admin_url))
        import asyncpg  # present, or _enter skipped above

        name = urllib.parse.urlsplit(url).path.lstrip("/")
        assert name.startswith("mastra_test_")
        conn = await asyncpg.connect(url)
        assert await conn.fetchval("SELECT current_database()") == name
        await conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
        await conn.execute("INSERT INTO t VALUES (1)")
        # conn stays open on purpose: the drop must still succeed (WITH (FORCE)).
    admin = await asyncpg.connect(admin_url)
    try:
        exists = await admin.fetchval("SELECT count(*) FROM pg_database WHERE datname = $1", name)
        assert exists == 0
    finally:
        await admin.close()
        with contextlib.suppress(Exception):
            await conn.close()


@pytest.mark.anyio
async def test_postgres_ephemeral_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(servers.NO_STANDARD_PORTS_ENV, "1")
    try:
        url = postgres_url()
    except ServerUnavailable as exc:
        skip_or_fail("postgres", exc.reason)
    port = _port(url)
    assert port != 5432
    assert servers._pg_probe("127.0.0.1", port) is None
    async with contextlib.AsyncExitStack() as stack:
        db_url = await _enter(stack, "postgres", postgres_database())
        assert _port(db_url) == port
        import asyncpg

        conn = await asyncpg.connect(db_url)
        try:
            assert await conn.fetchval("SELECT 41 + 1") == 42
        finally:
            await conn.close()
    stop_all()
    assert not _answers(port)


# --------------------------------------------------------------------------- sqld


def _sqld_select_one(port: int) -> object:
    body = json.dumps(
        {"requests": [{"type": "execute", "stmt": {"sql": "SELECT 1"}}, {"type": "close"}]}
    ).encode()
    status, reply = _http(port, "POST", "/v2/pipeline", body)
    assert status == 200
    result = json.loads(reply)["results"][0]["response"]["result"]
    return result["rows"][0][0]["value"]


@pytest.mark.anyio
async def test_sqld_shared_and_per_call_instances() -> None:
    shared = server_url_or_skip("sqld")
    shared_port = _port(shared)
    assert _http(shared_port, "GET", "/health")[0] == 200
    assert _sqld_select_one(shared_port) == "1"
    async with contextlib.AsyncExitStack() as stack:
        url = await _enter(stack, "sqld", sqld_instance())
        port = _port(url)
        assert url.startswith("http://127.0.0.1:")
        assert port != shared_port
        assert _http(port, "GET", "/health")[0] == 200
        assert _sqld_select_one(port) == "1"
    assert not _answers(port)
    assert _http(shared_port, "GET", "/health")[0] == 200


# --------------------------------------------------------------------------- DynamoDB / MongoDB


@pytest.mark.anyio
async def test_dynamodb_table_is_deleted() -> None:
    async with contextlib.AsyncExitStack() as stack:
        name = await _enter(stack, "dynamodb", dynamodb_table_name())
        import aioboto3  # present, or _enter skipped above

        session = aioboto3.Session()
        client = await stack.enter_async_context(
            session.client("dynamodb", **dynamodb_client_kwargs())
        )
        await client.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        await client.put_item(TableName=name, Item={"pk": {"S": "a"}})
    async with session.client("dynamodb", **dynamodb_client_kwargs()) as client:
        assert name not in (await client.list_tables())["TableNames"]


@pytest.mark.anyio
async def test_mongodb_database_is_dropped() -> None:
    async with contextlib.AsyncExitStack() as stack:
        name = await _enter(stack, "mongodb", mongodb_database())
        import pymongo  # present, or _enter skipped above

        client = pymongo.AsyncMongoClient(mongodb_uri())
        try:
            await client[name]["items"].insert_one({"_id": 1})
            assert name in await client.list_database_names()
            await stack.aclose()
            assert name not in await client.list_database_names()
        finally:
            await client.close()


def test_module_imports_only_the_standard_library() -> None:
    source = Path(servers.__file__).read_text()
    top_level = [
        line
        for line in source.splitlines()
        if line.startswith(("import ", "from ")) and not line.startswith("from __future__")
    ]
    for line in top_level:
        module = line.split()[1].split(".")[0]
        assert module in sys.stdlib_module_names, line
