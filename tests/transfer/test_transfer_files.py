"""Files the CLI writes (issue 15, point 16): no overwrite without ``--force``, never
through a symlink, temporary files created exclusively beside the target, mode 0600 for
exports, checkpoints and the database files the CLI creates."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from mastra_storage.cli import main
from mastra_storage.errors import ValidationError
from mastra_storage.inmemory import InMemoryStore
from mastra_storage.transfer import export_jsonl

pytest.importorskip("mastra_storage_libsql")


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common 022 umask, under which a plain ``open()`` makes 0644 files."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    url = f"file:{tmp_path / 'src.db'}"
    assert main(["demo", "--url", url]) == 0
    capsys.readouterr()
    return url


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("name", ["dump.jsonl", "dump.jsonl.gz"])
def test_export_refuses_an_existing_file_unless_forced(
    source: str, tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / name
    target.write_bytes(b"precious")
    assert main(["export", source, str(target)]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err and err.count("\n") == 1
    assert target.read_bytes() == b"precious"
    assert main(["export", source, str(target), "--force"]) == 0
    capsys.readouterr()
    assert target.read_bytes() != b"precious" and _mode(target) == 0o600
    assert _leftovers(tmp_path) == []


def test_export_never_writes_through_a_symlink(
    source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "dump.jsonl"
    link.symlink_to(victim)
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to(tmp_path / "created-through-link.txt")
    assert main(["export", source, str(link)]) == 2
    assert main(["export", source, str(dangling)]) == 2
    capsys.readouterr()
    assert victim.read_text() == "keep me"
    assert not (tmp_path / "created-through-link.txt").exists()
    # --force replaces the link itself, not the file it points to
    assert main(["export", source, str(link), "--force"]) == 0
    capsys.readouterr()
    assert victim.read_text() == "keep me"
    assert not link.is_symlink() and _mode(link) == 0o600
    assert json.loads(link.read_text("utf-8").splitlines()[0])["kind"] == "header"


@pytest.mark.parametrize("name", ["new.jsonl", "new.jsonl.gz"])
def test_new_export_is_private(
    source: str, tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", source, str(tmp_path / name)]) == 0
    capsys.readouterr()
    assert _mode(tmp_path / name) == 0o600
    assert _leftovers(tmp_path) == []


@pytest.mark.anyio
async def test_library_export_refuses_existing_and_failed_export_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = InMemoryStore()
    target = tmp_path / "x.jsonl"
    target.write_text("old")
    with pytest.raises(ValidationError, match="already exists"):
        await export_jsonl(store, target)
    assert target.read_text() == "old"

    memory = await store.require_store("memory")
    from mastra_storage.testing.data import sample_thread

    await memory.save_thread(sample_thread(id="t1", resource_id="r"))

    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("source died")

    monkeypatch.setattr(memory.backend, "query_messages", broken)
    fresh = tmp_path / "fresh.jsonl"
    with pytest.raises(RuntimeError, match="source died"):
        await export_jsonl(store, fresh)
    assert not fresh.exists() and _leftovers(tmp_path) == []


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_checkpoint_never_writes_through_a_planted_symlink(
    source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    checkpoint = tmp_path / "copy.ckpt"
    (tmp_path / "copy.ckpt.tmp").symlink_to(victim)
    dst = f"file:{tmp_path / 'dst.db'}"
    assert main(["copy", source, dst, "--checkpoint", str(checkpoint)]) == 0
    capsys.readouterr()
    assert victim.read_text() == "keep me"
    assert json.loads(checkpoint.read_text())["version"] == 1
    assert _mode(checkpoint) == 0o600
    assert _leftovers(tmp_path) == ["copy.ckpt.tmp"]  # the planted link, untouched
    assert (tmp_path / "copy.ckpt.tmp").is_symlink()


def test_checkpoint_path_holding_another_file_is_not_replaced(
    source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    dst = f"file:{tmp_path / 'dst.db'}"
    assert main(["copy", source, dst, "--checkpoint", str(notes)]) == 2
    assert "not a mastra-storage copy checkpoint" in capsys.readouterr().err
    assert notes.read_text() == "my notes"


@pytest.mark.parametrize("command", ["init", "demo", "copy", "import"])
def test_database_files_the_cli_creates_are_private(
    command: str, source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "created.db"
    url = f"file:{db}"
    if command == "init":
        argv = ["init", url]
    elif command == "demo":
        argv = ["demo", "--url", url]
    elif command == "copy":
        argv = ["copy", source, url]
    else:
        dump = tmp_path / "dump.jsonl"
        assert main(["export", source, str(dump)]) == 0
        argv = ["import", str(dump), url]
    assert main(argv) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert _mode(db) == 0o600
    for side in (tmp_path / "created.db-wal", tmp_path / "created.db-shm"):
        if side.exists():
            assert _mode(side) == 0o600
