"""Secrets never reach a repr, an error (chained causes and tracebacks included) or CLI
output, whatever delimiter an unencoded password contains, on every backend.

Each case builds a store whose password / token is ``LEFT<delimiter>RIGHT`` and points it
at a closed local port, so both the constructor and the connection error path run. A
case passes when neither half of the secret appears anywhere: a parser that splits the
URL at the delimiter would quote one half on its own.
"""

from __future__ import annotations

import json
import socket
import traceback
import urllib.parse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from mastra_storage import MastraStorage, cli, connect
from mastra_storage.errors import MastraStorageError
from mastra_storage.redact import REDACTED, redact_text, redact_url, scrub_secrets, url_secrets

pytestmark = pytest.mark.anyio

LEFT = "LeftHalfQx7"
RIGHT = "RightHalfZk9"
DELIMITERS = ["#", "/", "?", "@", ":", "%", " ", "[", "]", "é", "#/?@", "&"]
DELIMITER_IDS = [
    "hash",
    "slash",
    "question",
    "at",
    "colon",
    "percent",
    "space",
    "lbracket",
    "rbracket",
    "unicode",
    "mixed",
    "amp",
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def secret_with(delimiter: str) -> str:
    return f"{LEFT}{delimiter}{RIGHT}"


def closed_port() -> int:
    """A local TCP port nobody listens on (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_clean(*texts: str) -> None:
    for text in texts:
        assert LEFT not in text, text
        assert RIGHT not in text, text


def exception_texts(exc: BaseException) -> list[str]:
    """Everything an error shows: str/repr, details, JSON, the formatted traceback with its
    chained ``__cause__``/``__context__``, and the same for every chained exception."""
    texts = ["".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    current: BaseException | None = exc
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current), str(current.args)]
        if isinstance(current, MastraStorageError):
            texts.append(json.dumps(current.to_json(), default=str))
            texts.append(repr(current.details))
        stack += [current.__cause__, current.__context__]  # type: ignore[list-item]
    return texts


# --------------------------------------------------------------------------- the core


@pytest.mark.parametrize("delimiter", DELIMITERS, ids=DELIMITER_IDS)
@pytest.mark.parametrize(
    "template",
    [
        "postgresql://app:{s}@db.example:5432/x",
        "postgres://app:{s}@db.example/x?sslmode=disable",
        "mongodb://u:{s}@h1:27017,h2:27018/db?replicaSet=rs",
        "mongodb+srv://u:{s}@cluster.example/db",
        "redis://:{s}@127.0.0.1:6379/0",
        "rediss://default:{s}@x.upstash.io:6379",
        "upstash://{s}@x.upstash.io",
        "libsql://db.turso.io?authToken={s}",
        "libsql+http://127.0.0.1:8080?tls=0&authToken={s}",
        "https://x.upstash.io?token={s}&db=1",
        "dynamodb://table?endpoint=http://key:{s}@localhost:8000",
    ],
)
def test_redact_url_does_not_depend_on_parsing(template: str, delimiter: str) -> None:
    url = template.format(s=secret_with(delimiter))
    shown = redact_url(url)
    assert_clean(shown)
    assert REDACTED in shown
    # The message a driver might build from the URL and from its halves.
    message = f"cannot use {url}: bad port {LEFT!r}, near '{RIGHT}'"
    assert_clean(redact_text(message, url))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://app:pa#ss/w?rd@db:5432/x", "postgresql://app:***@db:5432/x"),
        ("postgresql://app@db/x", "postgresql://app@db/x"),
        ("libsql://h?authToken=ab#cd&tls=0", "libsql://h?authToken=***&tls=0"),
        ("file:./mastra.db", "file:./mastra.db"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        (
            "mongodb://u:p@h/db?authSource=admin&authMechanismProperties=AWS_SESSION_TOKEN:x",
            "mongodb://u:***@h/db?authSource=admin&authMechanismProperties=***",
        ),
    ],
)
def test_redact_url_examples(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_url_secrets_and_scrub_cover_encoded_spellings() -> None:
    url = f"postgresql://app:{secret_with('#/')}@db/x"
    secrets = url_secrets(url)
    assert secret_with("#/") in secrets
    assert urllib.parse.quote(secret_with("#/"), safe="") in secrets
    text = f"a {urllib.parse.quote(secret_with('/'), safe='')} b {LEFT} c"
    assert_clean(scrub_secrets(text, [secret_with("/")]))


# --------------------------------------------------------------------------- backends

Opener = Callable[[str, int], Awaitable[Any]]


async def _exercise(build: Callable[[], Any]) -> list[str]:
    """Build a store (an error is fine if typed), show it, run ``init()`` against the
    closed port; return every text produced. The error must be a MastraStorageError."""
    texts: list[str] = []
    try:
        store = build()
    except MastraStorageError as exc:
        return exception_texts(exc)
    texts += [repr(store), str(store), str(getattr(store, "url", ""))]
    try:
        if isinstance(store, MastraStorage):
            await store.init()
        else:  # a vector store
            await store.list_indexes()
    except MastraStorageError as exc:
        texts += exception_texts(exc)
    else:  # pragma: no cover - a closed port answered
        pytest.fail("init() against a closed port succeeded")
    finally:
        try:
            await store.close()
        except MastraStorageError as exc:
            texts += exception_texts(exc)
    return texts


def _postgres(secret: str, port: int) -> Any:
    from mastra_storage_postgres import PostgresStore

    return PostgresStore(f"postgresql://app:{secret}@127.0.0.1:{port}/db", connect_timeout=3)


def _postgres_kwargs(secret: str, port: int) -> Any:
    from mastra_storage_postgres import PostgresStore

    return PostgresStore(
        host="127.0.0.1",
        port=port,
        database="db",
        user="app",
        password=secret,
        connect_timeout=3,
    )


def _mongodb(secret: str, port: int) -> Any:
    from mastra_storage_mongodb import MongoDBStore

    return MongoDBStore(
        f"mongodb://u:{secret}@127.0.0.1:{port}/db?serverSelectionTimeoutMS=300",
        db_name="db",
    )


def _mongodb_from_url(secret: str, port: int) -> Any:
    from mastra_storage_mongodb import MongoDBStore

    return MongoDBStore.from_url(
        f"mongodb://u:{secret}@127.0.0.1:{port}/db?serverSelectionTimeoutMS=300"
    )


def _redis(secret: str, port: int) -> Any:
    from mastra_storage_upstash import UpstashStore

    return UpstashStore(f"redis://:{secret}@127.0.0.1:{port}/0")


def _upstash_scheme(secret: str, port: int) -> Any:
    from mastra_storage_upstash import UpstashStore

    return UpstashStore(f"upstash://default:{secret}@127.0.0.1:{port}")


def _upstash_token(secret: str, port: int) -> Any:
    from mastra_storage_upstash import UpstashStore

    return UpstashStore(f"redis://127.0.0.1:{port}/0", token=secret)


def _dynamodb(secret: str, port: int) -> Any:
    from botocore.config import Config  # type: ignore[import-untyped]

    from mastra_storage_dynamodb import DynamoDBStore

    return DynamoDBStore(
        "mastra_secrets",
        region="us-east-1",
        endpoint=f"http://key:{secret}@127.0.0.1:{port}",
        credentials={
            "access_key_id": f"AKIA{secret}",
            "secret_access_key": secret,
            "session_token": secret,
        },
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=2),
    )


def _libsql_url_token(secret: str, port: int) -> Any:
    from mastra_storage_libsql import LibSQLStore

    return LibSQLStore(f"http://127.0.0.1:{port}?authToken={secret}")


def _libsql_kwarg_token(secret: str, port: int) -> Any:
    from mastra_storage_libsql import LibSQLStore

    return LibSQLStore(f"http://127.0.0.1:{port}", auth_token=secret)


def _pgvector(secret: str, port: int) -> Any:
    from mastra_storage_postgres.vector import PgVector

    return PgVector(f"postgresql://app:{secret}@127.0.0.1:{port}/db")


def _mongodb_vector(secret: str, port: int) -> Any:
    from mastra_storage_mongodb.vector import MongoDBVector

    return MongoDBVector(
        f"mongodb://u:{secret}@127.0.0.1:{port}/?serverSelectionTimeoutMS=300", db_name="x"
    )


def _registry(template: str) -> Callable[[str, int], Any]:
    def build(secret: str, port: int) -> Any:
        return connect(template.format(s=secret, port=port))

    return build


BACKENDS: dict[str, Callable[[str, int], Any]] = {
    "postgres-url": _postgres,
    "postgres-kwargs": _postgres_kwargs,
    "dynamodb-connect": _registry(
        "dynamodb://mastra_secrets?region=us-east-1&endpoint=http://key:{s}@127.0.0.1:{port}"
    ),
    "postgres-connect": _registry("postgresql://app:{s}@127.0.0.1:{port}/db"),
    "mongodb": _mongodb,
    "mongodb-from-url": _mongodb_from_url,
    "mongodb-connect": _registry(
        "mongodb://u:{s}@127.0.0.1:{port}/db?serverSelectionTimeoutMS=300"
    ),
    "redis": _redis,
    "upstash-scheme": _upstash_scheme,
    "upstash-token": _upstash_token,
    "redis-connect": _registry("redis://:{s}@127.0.0.1:{port}/0"),
    "dynamodb": _dynamodb,
    "libsql-url-token": _libsql_url_token,
    "libsql-kwarg-token": _libsql_kwarg_token,
    "pgvector": _pgvector,
    "mongodb-vector": _mongodb_vector,
    "libsql-connect": _registry("libsql+http://127.0.0.1:{port}?authToken={s}"),
}


@pytest.mark.parametrize("delimiter", DELIMITERS, ids=DELIMITER_IDS)
@pytest.mark.parametrize("backend", sorted(BACKENDS))
async def test_store_never_shows_its_secret(backend: str, delimiter: str) -> None:
    build = BACKENDS[backend]
    port = closed_port()
    texts = await _exercise(lambda: build(secret_with(delimiter), port))
    assert texts
    assert_clean(*texts)


# --------------------------------------------------------------------------- CLI

CLI_URLS = {
    "postgres": "postgresql://app:{s}@127.0.0.1:{port}/db",
    "mongodb": "mongodb://u:{s}@127.0.0.1:{port}/db?serverSelectionTimeoutMS=300",
    "redis": "redis://:{s}@127.0.0.1:{port}/0",
    "upstash": "upstash://{s}@127.0.0.1:{port}",
    "libsql": "libsql+http://127.0.0.1:{port}?authToken={s}",
    "dynamodb": "dynamodb://mastra_secrets?endpoint=http://key:{s}@127.0.0.1:{port}",
}


CLI_COMMANDS = {
    "doctor": ["doctor", "{url}"],
    "init": ["init", "{url}"],
    "export": ["export", "{url}", "{tmp}/out.jsonl"],
    "prune": ["prune", "--older-than", "30d", "--dry-run", "{url}"],
    "copy-from": ["copy", "{url}", "memory://"],
    "copy-to": ["copy", "memory://", "{url}"],
}


@pytest.mark.parametrize("delimiter", DELIMITERS, ids=DELIMITER_IDS)
@pytest.mark.parametrize("backend", sorted(CLI_URLS))
@pytest.mark.parametrize("command", sorted(CLI_COMMANDS))
def test_cli_never_prints_the_secret(
    command: str,
    backend: str,
    delimiter: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    url = CLI_URLS[backend].format(s=secret_with(delimiter), port=closed_port())
    argv = [a.format(url=url, tmp=tmp_path) for a in CLI_COMMANDS[command]]
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code != 0
    assert out or err
    assert_clean(out, err)
