"""The transfer engine on the embedded stores (in-memory, libSQL file): Python API round
trips, idempotence, resume after an interruption, JSON Lines export/import, the count
check, bounded pages, bad input and secret redaction."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from mastra_storage import MastraStorage
from mastra_storage.cli import main
from mastra_storage.errors import ValidationError
from mastra_storage.inmemory import InMemoryStore
from mastra_storage.transfer import cli as transfer_cli
from mastra_storage.transfer import copy_storage, export_jsonl, import_jsonl
from mastra_storage.transfer.sink import Sink

from .dataset import dump, seed

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def libsql(path: Path) -> MastraStorage:
    from mastra_storage_libsql import LibSQLStore

    return LibSQLStore(f"file:{path}")


async def dump_files(*paths: Path) -> list[dict[str, Any]]:
    """Everything stored in each libSQL file (opened, read, closed), in argument order."""
    dumps = []
    for path in paths:
        store = libsql(path)
        try:
            await store.init()
            dumps.append(await dump(store))
        finally:
            await store.close()
    return dumps


async def seeded() -> InMemoryStore:
    store = InMemoryStore()
    await store.init()
    await seed(store)
    return store


async def test_in_memory_round_trip_through_libsql(tmp_path: Path) -> None:
    """in-memory -> libSQL -> in-memory with the Python API: the same store comes back."""
    src = await seeded()
    middle = libsql(tmp_path / "m.db")
    back = InMemoryStore()
    try:
        first = await copy_storage(src, middle, page_size=5, notice=lambda _: None)
        second = await copy_storage(middle, back, page_size=3, notice=lambda _: None)
        assert first.ok and second.ok
        assert first.counts == second.counts
        assert first.counts["message"] == [49, 49]
        assert await dump(back) == await dump(src)
    finally:
        await middle.close()


async def test_copy_twice_is_idempotent(tmp_path: Path) -> None:
    src = await seeded()
    dst = libsql(tmp_path / "d.db")
    try:
        await copy_storage(src, dst, page_size=4, notice=lambda _: None)
        once = await dump(dst)
        report = await copy_storage(src, dst, page_size=6, notice=lambda _: None)
        assert report.ok
        assert await dump(dst) == once == await dump(src)
    finally:
        await dst.close()


async def test_interrupted_copy_resumes_from_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = await seeded()
    dst = libsql(tmp_path / "d.db")
    checkpoint = tmp_path / "copy.ckpt"
    real_write = Sink.write
    writes = 0

    async def failing_write(self: Sink, batch: Any) -> None:
        nonlocal writes
        writes += 1
        if writes == 25:  # in the messages of the second thread page
            raise ConnectionError("network gone")
        await real_write(self, batch)

    monkeypatch.setattr(Sink, "write", failing_write)
    with pytest.raises(ConnectionError):
        await copy_storage(src, dst, page_size=2, checkpoint=checkpoint, notice=lambda _: None)
    saved = json.loads(checkpoint.read_text())
    assert saved["positions"]["memory"]  # at least one thread page completed
    assert saved["done"] == []
    monkeypatch.setattr(Sink, "write", real_write)

    memory: Any = await src.require_store("memory")
    pages: list[Any] = []
    real_query = memory.backend.query_threads

    async def spy(query: Any) -> Any:
        pages.append(query.after)
        return await real_query(query)

    monkeypatch.setattr(memory.backend, "query_threads", spy)
    try:
        report = await copy_storage(
            src, dst, page_size=2, checkpoint=checkpoint, resume=True, notice=lambda _: None
        )
        assert report.ok
        assert pages[0] is not None  # the resumed run started after the saved position
        assert report.counts["thread"][0] >= 3  # counts carry over from the first run
        assert await dump(dst) == await dump(src)
        again = await copy_storage(
            src, dst, page_size=2, checkpoint=checkpoint, resume=True, notice=lambda _: None
        )  # a finished copy resumed copies nothing and reports the same counts
        assert again.counts == report.counts
        assert sorted(json.loads(checkpoint.read_text())["done"]) == sorted(
            ["memory", "resources", "workflows", "scores", "observability"]
        )
    finally:
        await dst.close()


async def test_checkpoint_of_another_copy_is_refused(tmp_path: Path) -> None:
    from mastra_storage.errors import ConfigurationError

    checkpoint = tmp_path / "c.ckpt"
    src = await seeded()
    await copy_storage(
        src, InMemoryStore(), checkpoint=checkpoint, source_label="a", notice=lambda _: None
    )
    with pytest.raises(ConfigurationError, match="another copy"):
        await copy_storage(
            src,
            InMemoryStore(),
            checkpoint=checkpoint,
            resume=True,
            source_label="b",
            notice=lambda _: None,
        )


async def test_pages_never_exceed_page_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bounded memory: every enumeration call asks the source's backend for at most N
    rows, never for a count, and continues by key (no offsets)."""
    src = await seeded()
    asked: list[int | None] = []
    queries: list[Any] = []
    for name, method in [
        ("memory", "query_threads"),
        ("memory", "query_messages"),
        ("memory", "scan_resources"),
        ("workflows", "query_runs"),
        ("scores", "query_scores"),
        ("observability", "query_traces"),
    ]:
        backend: Any = (await src.get_store(name)).backend  # type: ignore[union-attr]
        real = getattr(backend, method)

        def spy(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            limit = kwargs.get("limit", args[-1] if args else None)
            if hasattr(limit, "count"):
                queries.append(limit)
            limit = getattr(limit, "limit", limit)
            asked.append(limit)
            return _real(*args, **kwargs)

        monkeypatch.setattr(backend, method, spy)
    dst = InMemoryStore()
    report = await copy_storage(src, dst, page_size=2, notice=lambda _: None)
    assert report.ok
    assert len(asked) > 20 and all(n is not None and n <= 2 for n in asked)
    assert queries and not any(q.count or q.offset for q in queries)
    # every domain with more than one page continued after a key
    assert {type(q).__name__ for q in queries if q.after is not None} >= {
        "ThreadQuery",
        "MessageQuery",
        "WorkflowRunQuery",
        "ScoreQuery",
    }
    monkeypatch.undo()
    assert await dump(dst) == await dump(src)


async def test_invalid_page_size_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        await copy_storage(InMemoryStore(), InMemoryStore(), page_size=0)


async def test_export_import_round_trip(tmp_path: Path) -> None:
    src = await seeded()
    for name in ("dump.jsonl", "dump.jsonl.gz"):
        target = tmp_path / name
        exported = await export_jsonl(src, target, source_label="memory://", page_size=4)
        back = InMemoryStore()
        imported = await import_jsonl(target, back, page_size=5)
        assert imported.ok
        assert {k: v[0] for k, v in imported.counts.items()} == {
            k: v[0] for k, v in exported.counts.items()
        }
        assert await dump(back) == await dump(src)
    with gzip.open(tmp_path / "dump.jsonl.gz", "rt", encoding="utf-8") as f:
        header = json.loads(f.readline())
        first = json.loads(f.readline())
    assert header["kind"] == "header"
    assert header["data"]["format"] == "mastra-storage-jsonl" and header["data"]["version"] == 1
    assert first["kind"] == "thread" and "createdAt" in first["data"]


@pytest.mark.parametrize(
    ("lines", "error"),
    [
        (['{"kind": "thread", "data": {}}'], "missing header"),
        (["HEADER", "not json"], "line 3: not valid JSON"),
        (["HEADER", '{"kind": "planet", "data": {}}'], "unknown kind"),
        (["HEADER", '{"kind": "thread", "data": {"id": 3}}'], "line 3: invalid Thread"),
        (
            [
                "HEADER",
                '{"kind": "message", "data": {"id": "m", "role": "user", '
                '"createdAt": "2026-01-01T00:00:00Z", "threadId": "t", "content": {}}}',
            ],
            "before its thread",
        ),
    ],
)
async def test_bad_import_file_writes_nothing(tmp_path: Path, lines: list[str], error: str) -> None:
    src = await seeded()
    good = tmp_path / "good.jsonl"
    await export_jsonl(src, good)
    header = good.read_text("utf-8").splitlines()[0]
    text = [header if line == "HEADER" else line for line in lines]
    # a valid first thread before the bad line: it must not be written either
    if text[0] == header:
        text.insert(1, good.read_text("utf-8").splitlines()[1])
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(text) + "\n", "utf-8")
    dst = InMemoryStore()
    with pytest.raises(ValidationError, match=error):
        await import_jsonl(bad, dst)
    memory = await dst.require_store("memory")
    assert (await memory.list_threads(per_page=None)).items == []


def _cli_stores(monkeypatch: pytest.MonkeyPatch, stores: dict[str, Any]) -> None:
    monkeypatch.setattr(transfer_cli, "open_store", lambda url: stores[url]())


def test_cli_export_import_and_count_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src_path, dst_path = tmp_path / "src.db", tmp_path / "dst.db"

    async def prepare() -> None:
        store = libsql(src_path)
        try:
            await store.init()
            await seed(store)
        finally:
            await store.close()

    asyncio.run(prepare())
    src_url, dst_url = f"file:{src_path}", f"file:{dst_path}"
    out = tmp_path / "x.jsonl.gz"
    assert main(["export", src_url, str(out), "--progress"]) == 0
    err = capsys.readouterr().err
    assert "export: " in err and "message: 49 read" in err  # progress line and counts
    assert main(["import", str(out), dst_url]) == 0

    left, right = asyncio.run(dump_files(src_path, dst_path))
    assert left == right

    # a destination that silently drops resources fails the count check with exit 1
    def dropping() -> MastraStorage:
        store = InMemoryStore()

        async def lost(resource: Any) -> None:
            return None

        store.stores["memory"].backend.upsert_resource = lost  # type: ignore[attr-defined]
        return store

    _cli_stores(monkeypatch, {"src://": lambda: libsql(src_path), "dst://": dropping})
    capsys.readouterr()
    assert main(["copy", "src://", "dst://"]) == 1
    err = capsys.readouterr().err
    assert "count check failed for resource: 2 read, 0 found" in err


def test_cli_never_prints_url_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["copy", "postgresql://bob:s3cr3t-pw@127.0.0.1:1/db", "memory://", "--page-size", "5"]
    )
    err = capsys.readouterr().err
    assert code == 2  # an error (unreachable source), not a count mismatch (1)
    assert "s3cr3t-pw" not in err and "mastra-storage copy: error:" in err


def test_cli_resume_needs_checkpoint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["copy", "memory://", "memory://", "--resume"]) == 2  # a usage error
    assert "--resume needs --checkpoint" in capsys.readouterr().err


async def test_page_size_one_keeps_ties_and_order(tmp_path: Path) -> None:
    """One row per page: the keyset positions must step over equal timestamps (two runs and
    pairs of messages share a millisecond) without losing or repeating a record."""
    src = await seeded()
    dst = libsql(tmp_path / "d.db")
    try:
        report = await copy_storage(src, dst, page_size=1, notice=lambda _: None)
        assert report.ok and report.counts["workflow_run"] == [3, 3]
        assert report.counts["message"] == [49, 49] and report.counts["score"] == [3, 3]
        assert await dump(dst) == await dump(src)
    finally:
        await dst.close()


async def test_writes_during_the_copy_do_not_shift_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Records added to the source while it is copied never make the walk skip an existing
    record (keyset positions, not offsets)."""
    from mastra_storage.records import Thread

    from .dataset import T0, THREADS

    src = await seeded()
    memory = await src.require_store("memory")
    real_write = Sink.write
    added = 0

    async def write_and_insert(self: Sink, batch: Any) -> None:
        nonlocal added
        await real_write(self, batch)
        if batch.kind == "thread" and batch.records and added < 3:
            added += 1  # an older thread: an offset walk would now skip one
            await memory.save_thread(
                Thread(id=f"late-{added}", resource_id="r", created_at=T0, updated_at=T0)
            )

    monkeypatch.setattr(Sink, "write", write_and_insert)
    dst = InMemoryStore()
    report = await copy_storage(src, dst, page_size=1, notice=lambda _: None)
    assert report.ok
    copied = await dst.require_store("memory")
    for thread_id, _ in THREADS:
        assert await copied.get_thread_by_id(thread_id) is not None


async def test_store_without_resource_scan_copies_resources_of_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A backend without the resource scan capability (a third-party one): resources are
    reached through their threads, and a notice says that thread-less ones are not."""
    from mastra_storage.backend import SupportsResourceScan

    src = await seeded()
    backend = (await src.require_store("memory")).backend

    class WithoutScan(type(backend)):  # type: ignore[misc]
        # ``None`` marks a protocol member absent: the capability check fails.
        scan_resources = None

    monkeypatch.setattr(backend, "__class__", WithoutScan)
    assert not isinstance(backend, SupportsResourceScan)
    notices: list[str] = []
    dst = InMemoryStore()
    report = await copy_storage(src, dst, page_size=2, notice=notices.append)
    assert report.ok and report.counts["resource"] == [2, 2]
    assert any("cannot list resources" in n for n in notices)
    assert await dump(dst) == await dump(src)


KILLED_COPY = """
import asyncio, os, signal, sys
from mastra_storage_libsql import LibSQLStore
from mastra_storage.transfer import copy_storage
from mastra_storage.transfer.sink import Sink
from mastra_storage.redact import redact_url

real, writes = Sink.write, 0

async def write_then_die(self, batch):
    global writes
    writes += 1
    if writes == int(sys.argv[3]):
        os.kill(os.getpid(), signal.SIGKILL)  # no finally block, no flush: a real kill
    await real(self, batch)

Sink.write = write_then_die
asyncio.run(copy_storage(LibSQLStore(sys.argv[1]), LibSQLStore(sys.argv[2]), page_size=2,
                         checkpoint=sys.argv[4], notice=lambda _: None,
                         source_label=redact_url(sys.argv[1]),
                         destination_label=redact_url(sys.argv[2])))
"""


def test_killed_copy_resumes_to_the_same_result(tmp_path: Path) -> None:
    """SIGKILL in the middle of a copy (another process), then ``--resume``."""
    import signal
    import subprocess
    import sys

    src_url, dst_url = f"file:{tmp_path / 's.db'}", f"file:{tmp_path / 'd.db'}"
    checkpoint = tmp_path / "ck.json"

    async def prepare() -> None:
        store = libsql(tmp_path / "s.db")
        try:
            await store.init()
            await seed(store)
        finally:
            await store.close()

    asyncio.run(prepare())
    done = subprocess.run(
        [sys.executable, "-c", KILLED_COPY, src_url, dst_url, "33", str(checkpoint)],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert json.loads(checkpoint.read_text())["positions"]["memory"]
    assert main(["copy", src_url, dst_url, "--checkpoint", str(checkpoint), "--resume"]) == 0

    left, right = asyncio.run(dump_files(tmp_path / "s.db", tmp_path / "d.db"))
    assert left == right
