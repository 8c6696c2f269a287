"""Commands that read never create or change a database (issue 15, point 15).

``export``, ``copy``'s source, ``prune --dry-run`` and ``delete-resource --dry-run`` run
against every backend, on a store that does not exist and on an existing store that lacks
what our ``init()`` adds (a Mastra application's database): the backend's raw state
(file, tables and indexes, collections and indexes, DynamoDB tables, Redis keys) is
compared before and after. A missing store is a one-line error with exit 2 wherever the
backend can tell (a file, a PostgreSQL schema, a DynamoDB table); MongoDB databases and
Redis prefixes exist lazily, so there the command reads an empty store and creates nothing.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mastra_storage import cli_prune, registry
from mastra_storage.cli import main
from mastra_storage.records import Message, MessageContent, Thread
from mastra_storage.transfer import cli as transfer_cli

from .dataset import T0

BACKENDS = ["libsql", "postgres", "mongodb", "dynamodb", "upstash"]
READING = [
    ("export", lambda url, tmp: ["export", url, str(tmp / "out.jsonl")]),
    ("copy", lambda url, tmp: ["copy", url, "memory://"]),
    ("prune", lambda url, tmp: ["prune", url, "--older-than", "1d", "--dry-run"]),
    ("delete-resource", lambda url, tmp: ["delete-resource", url, "alice", "--dry-run"]),
]


@dataclass
class Target:
    """A store location on one backend: its URL, the connect options a URL cannot carry
    (test isolation), how to read its raw state, and whether a missing one is detectable."""

    backend: str
    url: str
    state: Callable[[], Any]
    options: dict[str, Any] = field(default_factory=dict)
    detects_missing: bool = True

    def connect(self) -> Any:
        return registry.connect(self.url, **self.options)


def _patch_connect(monkeypatch: pytest.MonkeyPatch, target: Target) -> None:
    real = registry.connect

    def connect(url: str, **options: Any) -> Any:
        extra = target.options if url == target.url else {}
        return real(url, **{**extra, **options})

    monkeypatch.setattr(registry, "connect", connect)
    monkeypatch.setattr(transfer_cli, "open_store", connect)
    monkeypatch.setattr(cli_prune, "connect", connect, raising=False)  # bound name, if any


# --------------------------------------------------------------------------- raw state


def _sqlite_state(path: Path) -> Any:
    if not path.exists():
        return "absent"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        objects = sorted(conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
    return objects


def _postgres_state(url: str, schema: str) -> Any:
    async def read() -> Any:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            exists = await conn.fetchval(
                "SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1", schema
            )
            tables = await conn.fetch(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
                schema,
            )
            indexes = await conn.fetch(
                "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1", schema
            )
        finally:
            await conn.close()
        return exists, sorted(r[0] for r in tables), sorted(r[0] for r in indexes)

    return asyncio.run(read())


def _mongo_state(url: str, db_name: str) -> Any:
    import pymongo

    client: Any = pymongo.MongoClient(url, serverSelectionTimeoutMS=5000)
    try:
        if db_name not in client.list_database_names():
            return "absent"
        db = client[db_name]
        return sorted(
            (name, sorted(db[name].index_information())) for name in db.list_collection_names()
        )
    finally:
        client.close()


def _dynamodb_state(endpoint: str, table: str) -> Any:
    import boto3

    from tests.support.servers import dynamodb_client_kwargs

    client = boto3.client("dynamodb", **dynamodb_client_kwargs(endpoint))
    if table not in client.list_tables()["TableNames"]:
        return "absent"
    items = client.scan(TableName=table)["Items"]
    return sorted(str(sorted(item.items())) for item in items)


def _redis_state(url: str, prefix: str) -> Any:
    import redis

    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        keys = sorted(client.scan_iter(match=f"{prefix}*", count=1000))
        return [(key, client.type(key)) for key in keys]
    finally:
        client.close()


# --------------------------------------------------------------------------- targets


def _target(backend: str, request: pytest.FixtureRequest, tmp_path: Path, tag: str) -> Target:
    """A (not yet existing) store location of ``backend``."""
    pytest.importorskip(f"mastra_storage_{backend}")
    unique = f"g_{tag}_{uuid.uuid4().hex[:8]}"
    if backend == "libsql":
        path = tmp_path / f"{unique}.db"
        return Target(backend, f"file:{path}", lambda: _sqlite_state(path))
    if backend == "postgres":
        server = request.getfixturevalue("postgres_server")
        options = {"schema_name": unique, "max_size": 2}
        return Target(backend, server.url, lambda: _postgres_state(server.url, unique), options)
    if backend == "mongodb":
        server = request.getfixturevalue("mongodb_server")
        options = {"db_name": unique}
        state = lambda: _mongo_state(server.url, unique)  # noqa: E731
        return Target(backend, server.url, state, options, detects_missing=False)
    if backend == "dynamodb":
        from tests.support.servers import dynamodb_client_kwargs

        server = request.getfixturevalue("dynamodb_server")
        kwargs = dynamodb_client_kwargs(server.url)
        table = unique.replace("_", "-")
        url = f"dynamodb://{table}?region={kwargs['region_name']}&endpoint={server.url}"
        credentials = {
            "access_key_id": kwargs["aws_access_key_id"],
            "secret_access_key": kwargs["aws_secret_access_key"],
        }
        state = lambda: _dynamodb_state(server.url, table)  # noqa: E731
        return Target(backend, url, state, {"credentials": credentials})
    url = request.getfixturevalue("upstash_server")
    prefix = f"{unique}:"
    state = lambda: _redis_state(url, prefix)  # noqa: E731
    return Target(backend, url, state, {"prefix": prefix}, detects_missing=False)


async def _create_like_mastra(target: Target) -> None:
    """Create the store with our ``init()``, write a little, then take away what only our
    ``init()`` adds (version record, our indexes), as in a Mastra application's database."""
    store = target.connect()
    try:
        if target.backend == "dynamodb":
            await store.create_table()
        await store.init()
        memory = await store.require_store("memory")
        thread = Thread(id="t1", resource_id="alice", title="t", created_at=T0, updated_at=T0)
        await memory.save_thread(thread)
        message = Message(
            id="m1",
            role="user",
            created_at=T0,
            thread_id="t1",
            resource_id="alice",
            content=MessageContent.text("hi"),
        )
        await memory.save_messages([message])
        workflows = await store.require_store("workflows")
        await workflows.persist_workflow_snapshot(
            workflow_name="wf", run_id="r1", snapshot={"status": "success"}, resource_id="alice"
        )
        if target.backend == "libsql":
            await store.database.run(
                "strip", lambda tx: tx.execute("DROP TABLE IF EXISTS mastra_storage_schema")
            )
        elif target.backend == "postgres":
            schema = target.options["schema_name"]
            await store.database.execute(
                "strip", f'DROP TABLE IF EXISTS "{schema}"."mastra_storage_schema"'
            )
        elif target.backend == "mongodb":
            db = store._conn.db  # drop our indexes, as in a database Mastra made
            for name in await db.list_collection_names():
                await db[name].drop_indexes()
    finally:
        await store.close()


@pytest.fixture
def targets(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str, str], Target]:
    def make(backend: str, tag: str) -> Target:
        return _target(backend, request, tmp_path, tag)

    return make


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("command", "argv"), READING, ids=[c for c, _ in READING])
def test_reading_a_missing_store_creates_nothing(
    backend: str,
    command: str,
    argv: Callable[[str, Path], list[str]],
    targets: Callable[[str, str], Target],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = targets(backend, "missing")
    _patch_connect(monkeypatch, target)
    before = target.state()
    code = main(argv(target.url, tmp_path))
    err = capsys.readouterr().err
    assert target.state() == before
    if target.detects_missing:
        assert code == 2, err
        assert err.count("\n") == 1 and "error:" in err and "nothing was created" in err
        assert not (tmp_path / "out.jsonl").exists()
    else:
        assert code == 0, err


@pytest.mark.parametrize("backend", BACKENDS)
def test_reading_commands_leave_an_existing_store_unchanged(
    backend: str,
    targets: Callable[[str, str], Target],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = targets(backend, "mastra")
    _patch_connect(monkeypatch, target)
    asyncio.run(_create_like_mastra(target))
    before = target.state()
    assert before != "absent"
    for command, argv in READING:
        code = main(argv(target.url, tmp_path))
        err = capsys.readouterr().err
        assert code == 0, f"{command}: {err}"
        assert target.state() == before, command
    # the export did read the data
    assert '"id": "t1"' in (tmp_path / "out.jsonl").read_text("utf-8")


@pytest.mark.parametrize(
    "url",
    ["postgresql://postgres@127.0.0.1:1/postgres", "redis://127.0.0.1:1/0"],
    ids=["postgres", "redis"],
)
def test_unreachable_source_is_a_one_line_unavailable_error(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip(
        "mastra_storage_postgres" if "postgres" in url else "mastra_storage_upstash"
    )
    assert main(["export", url, str(tmp_path / "out.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read" in err and "nothing was created" in err
    assert list(tmp_path.iterdir()) == []
