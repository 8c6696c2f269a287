"""An import checks the whole file before its first write (issue 15, point 3).

A file rejected on line 3 must not have written line 2: the records go through the
stores' own validation in a first pass (files and stdin alike); damaged or truncated gzip,
over-long lines and over-deep nesting are ``ValidationError`` too, and write nothing.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mastra_storage.cli import main
from mastra_storage.errors import ValidationError
from mastra_storage.inmemory import InMemoryStore
from mastra_storage.transfer import export_jsonl, import_jsonl

from .conftest import PERSISTENT, Place
from .dataset import dump, seed

T = "2026-01-01T00:00:00Z"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _thread(thread_id: str = "t-ok", **extra: Any) -> str:
    data = {"id": thread_id, "resourceId": "alice", "title": "ok", "createdAt": T, "updatedAt": T}
    return json.dumps({"kind": "thread", "data": {**data, **extra}})


def _resource(**extra: Any) -> str:
    data = {"id": "alice", "workingMemory": "wm", "createdAt": T, "updatedAt": T}
    return json.dumps({"kind": "resource", "data": {**data, **extra}})


def _message(message_id: str, thread_id: str = "t-ok") -> str:
    data = {
        "id": message_id,
        "role": "user",
        "createdAt": T,
        "threadId": thread_id,
        "resourceId": "alice",
        "content": {"format": 2, "parts": [{"type": "text", "text": "hi"}]},
    }
    return json.dumps({"kind": "message", "data": data})


HEADER = json.dumps(
    {"kind": "header", "data": {"format": "mastra-storage-jsonl", "version": 1, "source": ""}}
)


def _nested(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


#: Line 3 passes the file's framing and the record's shape, but the store refuses it.
STORE_REFUSES = {
    "blank-thread-id": _thread("   "),
    "nul-in-title": _thread("t-2", title="a\u0000b"),
    "int-beyond-int64": _thread("t-2", metadata={"n": 2**70}),
    "nul-in-working-memory": _resource(workingMemory="a\u0000b"),
    "deep-metadata": _thread("t-2", metadata=_nested(150)),
}


async def _is_empty(store: Any) -> bool:
    memory = await store.require_store("memory")
    threads = await memory.list_threads(per_page=None)
    resource = await memory.get_resource_by_id("alice")
    return threads.items == [] and resource is None


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@pytest.mark.anyio
@pytest.mark.parametrize("bad", list(STORE_REFUSES.values()), ids=list(STORE_REFUSES))
async def test_store_check_on_line_3_writes_nothing(tmp_path: Path, bad: str) -> None:
    path = _write(tmp_path / "bad.jsonl", [HEADER, _thread(), bad])
    dst = InMemoryStore()
    with pytest.raises(ValidationError, match="line 3"):
        await import_jsonl(path, dst, page_size=1)
    assert await _is_empty(dst)


@pytest.mark.parametrize(
    "bad",
    ["not json", STORE_REFUSES["blank-thread-id"], _message("m-1", "t-elsewhere")],
    ids=["not-json", "blank-thread-id", "orphan-message"],
)
def test_stdin_import_checks_the_whole_stream_first(
    tmp_path: Path,
    bad: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = "\n".join([HEADER, _thread(), _message("m-0"), bad]) + "\n"
    stdin = io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    db = tmp_path / "dst.db"
    assert main(["import", "-", f"file:{db}", "--page-size", "1"]) == 2
    err = capsys.readouterr().err
    assert "line 4" in err and err.count("\n") == 1
    assert not db.exists()  # refused before the destination was even created


def _gzip_bytes(lines: list[str]) -> bytes:
    return gzip.compress(("\n".join(lines) + "\n").encode())


GZIP_DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "not-gzip": lambda data: gzip.decompress(data),  # plain JSON Lines named .gz
    "cut-mid-stream": lambda data: data[: len(data) // 2],
    "cut-before-trailer": lambda data: data[:-4],
    "corrupt-body": lambda data: data[:20] + bytes(b ^ 0xFF for b in data[20:40]) + data[40:],
}


@pytest.mark.anyio
@pytest.mark.parametrize("damage", list(GZIP_DAMAGE.values()), ids=list(GZIP_DAMAGE))
async def test_damaged_gzip_is_a_validation_error_and_writes_nothing(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    lines = [HEADER] + [_thread(f"t-{i}", title="x" * 200) for i in range(200)]
    path = tmp_path / "dump.jsonl.gz"
    path.write_bytes(damage(_gzip_bytes(lines)))
    dst = InMemoryStore()
    with pytest.raises(ValidationError, match="gzip"):
        await import_jsonl(path, dst, page_size=1)
    assert await _is_empty(dst)


@pytest.mark.anyio
async def test_over_long_line_is_refused_with_a_bounded_read(tmp_path: Path) -> None:
    path = _write(tmp_path / "long.jsonl", [HEADER, _thread(), _thread("t-2", title="x" * 50_000)])
    dst = InMemoryStore()
    with pytest.raises(ValidationError, match="line 3: line longer than 4096 bytes"):
        await import_jsonl(path, dst, page_size=1, max_line_bytes=4096)
    assert await _is_empty(dst)
    # the same file within a larger bound imports
    report = await import_jsonl(path, dst, max_line_bytes=1 << 20)
    assert report.ok and report.counts["thread"] == [2, 2]


@pytest.mark.anyio
async def test_a_file_without_newlines_is_refused_without_reading_it_whole(
    tmp_path: Path,
) -> None:
    path = tmp_path / "one-line.jsonl"
    path.write_bytes(HEADER.encode() + b"\n" + b"[" * 3_000_000)
    with pytest.raises(ValidationError, match="line 2: line longer than 65536 bytes"):
        await import_jsonl(path, InMemoryStore(), max_line_bytes=65536)


@pytest.mark.anyio
@pytest.mark.parametrize("depth", [102, 5_000, 200_000])
async def test_over_deep_nesting_is_a_validation_error(tmp_path: Path, depth: int) -> None:
    deep = "[" * depth + "]" * depth
    bad = '{"kind": "thread", "data": {"id": "t-2", "metadata": {"k": ' + deep + "}}}"
    path = _write(tmp_path / "deep.jsonl", [HEADER, _thread(), bad])
    dst = InMemoryStore()
    with pytest.raises(ValidationError, match="line 3: JSON nested deeper than 100 levels"):
        await import_jsonl(path, dst)
    assert await _is_empty(dst)


@pytest.mark.anyio
async def test_deep_but_allowed_nesting_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path / "ok.jsonl", [HEADER, _thread(metadata=_nested(60))])
    report = await import_jsonl(path, InMemoryStore())
    assert report.counts["thread"] == [1, 1]


def test_cli_max_line_bytes_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "long.jsonl", [HEADER, _thread(title="x" * 10_000)])
    db = tmp_path / "dst.db"
    assert main(["import", str(path), f"file:{db}", "--max-line-bytes", "4096"]) == 2
    assert "line 2: line longer than 4096 bytes" in capsys.readouterr().err
    assert not db.exists()
    assert main(["import", str(path), f"file:{db}", "--max-line-bytes", "20000"]) == 0
    assert "thread: 1 read, 1 in destination" in capsys.readouterr().err


@pytest.mark.parametrize("backend", PERSISTENT)
def test_rejected_file_writes_nothing_on_every_backend(
    backend: str, destinations: Callable[[str], Place], tmp_path: Path
) -> None:
    place = destinations(backend)

    async def run() -> None:
        src = InMemoryStore()
        await seed(src)
        good = tmp_path / "good.jsonl"
        await export_jsonl(src, good)
        lines = good.read_text("utf-8").splitlines()
        # every record of a real export, then one the stores refuse at the very end
        bad = _write(tmp_path / "bad.jsonl", [*lines, STORE_REFUSES["nul-in-title"]])
        dst = place.make()
        try:
            with pytest.raises(ValidationError, match=f"line {len(lines) + 1}"):
                await import_jsonl(bad, dst, page_size=3)
            await dst.init()
            assert await dump(dst, spans=False) == await dump(InMemoryStore(), spans=False)
        finally:
            await dst.close()

    asyncio.run(run())


@pytest.mark.anyio
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
async def test_a_named_pipe_is_spooled_and_read_twice(tmp_path: Path) -> None:
    fifo = tmp_path / "dump.fifo"
    os.mkfifo(fifo)
    text = ("\n".join([HEADER, _thread(), _message("m-0")]) + "\n").encode()

    def feed() -> None:
        with open(fifo, "wb") as pipe:
            pipe.write(text)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    dst = InMemoryStore()
    report = await import_jsonl(fifo, dst)
    writer.join(timeout=10)
    assert report.ok and report.counts == {"thread": [1, 1], "message": [1, 1]}
