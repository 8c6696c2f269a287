"""LibSQLStore basics: plugin, URLs, repr, init/version table, doctor, errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import apsw
import pytest

from mastra_storage import (
    BackendError,
    ConfigurationError,
    MastraStorage,
    Thread,
    UnavailableError,
    connect,
)
from mastra_storage.backend import (
    SupportsResourceDelete,
    SupportsResourceMessages,
    SupportsResourceScan,
    has_capability,
)
from mastra_storage.domains import (
    MemoryStore,
    ObservabilityStore,
    ScoresStore,
    WorkflowsStore,
)
from mastra_storage.timeutil import utc_now
from mastra_storage_libsql import LibSQLStore
from mastra_storage_libsql.memory import LibSQLMemoryBackend
from mastra_storage_libsql.schema import ALL_INDEXES, SCHEMA_VERSION, TABLES
from mastra_storage_libsql.store import parse_url

pytestmark = pytest.mark.anyio


def _thread(thread_id: str = "t1", resource_id: str = "r1") -> Thread:
    now = utc_now()
    return Thread(id=thread_id, resource_id=resource_id, title="T", created_at=now, updated_at=now)


def test_plugin_import_does_not_import_the_driver() -> None:
    code = (
        "import sys, mastra_storage_libsql.plugin as p, mastra_storage_libsql.store; "
        "assert p.ADAPTER.name == 'libsql'; "
        "assert p.ADAPTER.schemes[:3] == ('file', 'sqlite', 'libsql'); "
        "assert set(p.ADAPTER.schemes[3:]) == {'libsql+http', 'libsql+https', 'libsql+ws', "
        "'libsql+wss'}; "
        "import mastra_storage_libsql.vector; "
        "assert 'libsql' not in sys.modules and 'apsw' not in sys.modules, 'driver imported'; "
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_the_gil_holding_libsql_driver_never_loads_in_the_application(tmp_path: Path) -> None:
    """Store and vector work on one file: apsw in this process, libsql only in the vector
    worker process (it would freeze the event loop here, and two SQLite libraries in one
    process do not see each other's file locks)."""
    code = (
        "import asyncio, sys\n"
        "from mastra_storage_libsql import LibSQLStore\n"
        "from mastra_storage_libsql.vector import LibSQLVector\n"
        "async def main():\n"
        "    store = LibSQLStore(sys.argv[1]); await store.init()\n"
        "    vectors = LibSQLVector.from_store(store)\n"
        "    await vectors.create_index('docs', 2)\n"
        "    await vectors.upsert('docs', [[1.0, 0.0]], ids=['a'])\n"
        "    assert (await vectors.query('docs', [1.0, 0.0]))[0].id == 'a'\n"
        "    await store.close()\n"
        "asyncio.run(main())\n"
        "print('apsw' in sys.modules, 'libsql' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, f"file:{tmp_path / 'one.db'}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["True", "False"]


def test_mastra_jsonb_is_read_whatever_sqlite_python_ships(tmp_path: Path) -> None:
    """Mastra writes JSON columns as JSONB (SQLite 3.45+); the engine bundles its SQLite."""
    import asyncio

    assert tuple(int(x) for x in apsw.sqlite_lib_version().split(".")[:2]) >= (3, 45)
    path = tmp_path / "jsonb.db"

    async def read() -> object:
        store = LibSQLStore(f"file:{path}")
        await store.init()
        try:
            thread = await store.stores["memory"].get_thread_by_id("t1")  # type: ignore[attr-defined]
            return None if thread is None else thread.metadata
        finally:
            await store.close()

    asyncio.run(read())  # creates the tables
    conn = apsw.Connection(str(path))
    conn.execute(
        'INSERT INTO mastra_threads (id, "resourceId", title, metadata, "createdAt", '
        "\"updatedAt\") VALUES ('t1', 'r1', 'x', jsonb('{\"k\": [1, 2]}'), "
        "'2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z')"
    )
    assert conn.execute("SELECT typeof(metadata) FROM mastra_threads").fetchall() == [("blob",)]
    conn.close()
    assert asyncio.run(read()) == {"k": [1, 2]}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file:rel.db", "rel.db"),
        ("file:./sub/rel.db", "sub/rel.db"),
        ("file://rel.db", "rel.db"),
        ("file:///abs/x.db", "/abs/x.db"),
        ("file://localhost/abs/x.db", "/abs/x.db"),
        ("sqlite:///rel.db", "rel.db"),
        ("sqlite:////abs/x.db", "/abs/x.db"),
        ("plain.db", "plain.db"),
    ],
)
def test_file_urls(url: str, expected: str) -> None:
    target = parse_url(url)
    assert not target.memory
    assert target.path == os.path.abspath(expected)


@pytest.mark.parametrize(
    "url",
    [":memory:", "file::memory:", "file::memory:?cache=shared", "sqlite://", "sqlite:///:memory:"],
)
def test_memory_urls(url: str) -> None:
    assert parse_url(url).memory


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://db.turso.io?authToken=TOKEN123", "https://db.turso.io"),
        ("libsql://db.turso.io?authToken=TOKEN123", "https://db.turso.io"),
        ("libsql://localhost:8080?tls=0&authToken=TOKEN123", "http://localhost:8080"),
        ("wss://db.turso.io/?authToken=TOKEN123", "https://db.turso.io"),
        ("ws://localhost:8080", "http://localhost:8080"),
        ("libsql+http://localhost:8080", "http://localhost:8080"),
    ],
)
def test_remote_urls_map_to_http_and_never_show_the_token(url: str, base: str) -> None:
    store = LibSQLStore.from_url(url)
    assert store.target.remote == base
    assert "TOKEN123" not in f"{store!r} {store.url} {store.target!r} {store.database!r}"


@pytest.mark.parametrize(
    "url",
    [
        "libsql://user:secret@db.turso.io?authToken=TOKEN123",
        "http://u:secret@localhost:8080",
        "https://db.turso.io?authToken=TOKEN123&foo=secret",
        "libsql://",
    ],
)
def test_bad_remote_urls_never_leak_secrets(url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        LibSQLStore.from_url(url)
    text = f"{info.value} {info.value.details} {info.value!r}"
    assert "secret" not in text and "TOKEN123" not in text
    assert info.value.id == "MASTRA_STORAGE_LIBSQL_INVALID_URL"


def test_auth_token_option_is_validated_and_never_shown() -> None:
    with pytest.raises(ConfigurationError) as info:
        LibSQLStore("https://db.turso.io?authToken=TOKEN123", auth_token="OTHER456")
    assert "TOKEN123" not in str(info.value) and "OTHER456" not in str(info.value)
    with pytest.raises(ConfigurationError) as info:
        LibSQLStore("https://db.turso.io", auth_token="bad token\n")
    assert "bad token" not in str(info.value)
    store = LibSQLStore("https://db.turso.io", auth_token="TOKEN123")
    assert "TOKEN123" not in repr(store) and "TOKEN123" not in repr(store.database.target)


@pytest.mark.parametrize("url", ["postgres://x/y", "file:x.db?mode=ro", "file:", ""])
def test_bad_urls(url: str) -> None:
    with pytest.raises(ConfigurationError):
        LibSQLStore(url)


def test_options_are_validated() -> None:
    with pytest.raises(ConfigurationError):
        LibSQLStore(":memory:", max_retries=-1)
    with pytest.raises(ConfigurationError):
        LibSQLStore(":memory:", id="")


def test_store_shape_and_repr(tmp_path: Path) -> None:
    store = LibSQLStore(f"file:{tmp_path}/x.db")
    assert isinstance(store, MastraStorage)
    assert store.name == "LibSQLStore"
    assert store.id == "libsql"
    assert isinstance(store.stores["memory"], MemoryStore)
    assert isinstance(store.stores["workflows"], WorkflowsStore)
    assert isinstance(store.stores["scores"], ScoresStore)
    assert isinstance(store.stores["observability"], ObservabilityStore)
    backend = store.stores["memory"].backend
    assert isinstance(backend, LibSQLMemoryBackend)
    for capability in (SupportsResourceMessages, SupportsResourceScan, SupportsResourceDelete):
        assert has_capability(backend, capability)
    assert repr(store) == f"LibSQLStore(id='libsql', url='file:{tmp_path}/x.db')"


async def test_connect_builds_a_libsql_store(tmp_path: Path) -> None:
    async with connect(f"file:{tmp_path}/c.db", id="c") as store:
        assert isinstance(store, LibSQLStore) and store.id == "c"
        memory = await store.get_store("memory")
        assert memory is not None
        await memory.save_thread(_thread())
        assert (await memory.get_thread_by_id("t1")) is not None


async def test_warm_init_issues_at_most_three_statements(db_path: Path) -> None:
    cold = LibSQLStore(f"file:{db_path}")
    await cold.init()
    await cold.close()

    warm = LibSQLStore(f"file:{db_path}")
    await warm.init()
    assert warm.statements_executed <= 3
    before = warm.statements_executed
    await warm.init()  # cached: nothing more
    for domain in warm.stores.values():
        await domain.init()
    assert warm.statements_executed == before
    await warm.close()


async def test_removing_an_entitys_favourites_statements(db_path: Path) -> None:
    """The deleted rows are counted by the delete itself (RETURNING), not a SELECT first:
    BEGIN, the delete, the count reset and COMMIT."""
    store = LibSQLStore(f"file:{db_path}")
    await store.init()
    try:
        agents = await store.require_store("agents")
        favs = await store.require_store("favorites")
        model = {"provider": "openai", "name": "gpt-4o"}
        await agents.create("a1", config={"name": "A", "instructions": "i", "model": model})
        await favs.favorite("u1", "agent", "a1")
        await favs.favorite("u2", "agent", "a1")
        before = store.statements_executed
        assert await favs.delete_favorites_for_entity("agent", "a1") == 2
        assert store.statements_executed - before == 4
        entity = await agents.get_by_id("a1")
        assert entity is not None and entity.extra.get("favoriteCount") == 0
    finally:
        await store.close()


async def test_cold_init_creates_every_table_index_and_the_version_row(db_path: Path) -> None:
    import libsql

    store = LibSQLStore(f"file:{db_path}")
    await store.init()
    await store.close()
    conn = libsql.connect(str(db_path))
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master").fetchall()}
    assert {t.name for t in TABLES} <= names
    assert set(ALL_INDEXES) <= names
    assert conn.execute("SELECT component, version FROM mastra_storage_schema").fetchall() == [
        ("libsql", SCHEMA_VERSION)
    ]
    assert conn.execute("PRAGMA journal_mode").fetchall() == [("wal",)]
    conn.close()


async def test_concurrent_init_calls_share_one_run(db_path: Path) -> None:
    import asyncio

    store = LibSQLStore(f"file:{db_path}")
    await asyncio.gather(*(store.init() for _ in range(10)))
    memory = store.stores["memory"]
    await asyncio.gather(*(d.init() for d in store.stores.values()))
    await memory.save_thread(_thread())  # type: ignore[attr-defined]
    await store.close()


async def test_memory_database_is_pinned(memory_store: LibSQLStore) -> None:
    memory = memory_store.stores["memory"]
    await memory.save_thread(_thread())  # type: ignore[attr-defined]
    for _ in range(3):
        assert (await memory.get_thread_by_id("t1")) is not None  # type: ignore[attr-defined]


async def test_using_tables_before_init_explains_what_to_do(db_path: Path) -> None:
    store = LibSQLStore(f"file:{db_path}")
    with pytest.raises(BackendError) as info:
        await store.stores["memory"].get_thread_by_id("x")  # type: ignore[attr-defined]
    assert info.value.id == "MASTRA_STORAGE_LIBSQL_GET_THREAD_BY_ID_FAILED"
    assert "init()" in str(info.value)
    assert isinstance(info.value.__cause__, apsw.SQLError)  # the driver error
    await store.close()


async def test_closed_store_refuses_work(db_path: Path) -> None:
    from mastra_storage import UnavailableError

    store = LibSQLStore(f"file:{db_path}")
    await store.init()
    await store.close()
    await store.close()  # idempotent
    with pytest.raises(UnavailableError):
        await store.stores["memory"].get_thread_by_id("x")  # type: ignore[attr-defined]


async def test_doctor_reports_without_modifying(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    store = LibSQLStore(f"file:{missing}")
    report = await store.doctor()
    assert not report.ok and report.checks[0].name == "connectivity"
    assert not missing.exists()
    # inspecting a file that vanished since is an error, never a new empty database
    with pytest.raises(UnavailableError):
        await store.database.inspect(lambda tx: tx.fetchall("SELECT 1"))
    assert not missing.exists()
    await store.close()

    path = tmp_path / "d.db"
    fresh = LibSQLStore(f"file:{path}")
    await fresh.init()
    report = await fresh.doctor()
    assert report.ok, report
    assert {c.name for c in report.checks} >= {"connectivity", "schema_version", "indexes"}
    await fresh.close()

    import libsql

    conn = libsql.connect(str(path))
    conn.execute("DROP INDEX mastra_storage_threads_resource_created_idx")
    conn.execute("DELETE FROM mastra_storage_schema")
    conn.commit()
    conn.close()
    again = LibSQLStore(f"file:{path}")
    report = await again.doctor()
    failed = {c.name: c.detail for c in report.checks if not c.ok}
    assert set(failed) == {"schema_version", "indexes"}
    assert "mastra_storage_threads_resource_created_idx" in failed["indexes"]
    report2 = await again.doctor()  # doctor changed nothing
    assert [c.ok for c in report2.checks] == [c.ok for c in report.checks]
    await again.init()  # and init repairs it
    assert (await again.doctor()).ok
    await again.close()
