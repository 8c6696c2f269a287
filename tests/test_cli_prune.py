"""``mastra-storage prune`` / ``delete-resource`` on a libSQL file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from mastra_storage.cli import main
from mastra_storage.registry import connect
from mastra_storage.testing.data import BASE_TIME, sample_message, sample_thread
from mastra_storage.timeutil import utc_now

pytest.importorskip("mastra_storage_libsql")


async def _seed(url: str) -> None:
    async with connect(url) as storage:
        memory = await storage.require_store("memory")
        old = await memory.save_thread(sample_thread(id="old", resource_id="r1", date=BASE_TIME))
        await memory.save_messages([sample_message(thread=old, created_at=BASE_TIME)])
        await memory.save_thread(old)  # keep its old updated_at
        await memory.save_thread(sample_thread(id="new", resource_id="r2", date=utc_now()))


async def _thread_ids(url: str) -> list[str]:
    async with connect(url) as storage:
        memory = await storage.require_store("memory")
        page = await memory.list_threads(per_page=None)
        return sorted(t.id for t in page.items)


def test_prune_dry_run_then_prune_then_delete_resource(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"file:{tmp_path / 'p.db'}"
    asyncio.run(_seed(url))
    assert main(["prune", url, "--older-than", "30d", "--dry-run"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert (dry["dry_run"], dry["threads"], dry["messages"], dry["traces"]) == (True, 1, 1, 0)
    assert asyncio.run(_thread_ids(url)) == ["new", "old"]
    assert main(["prune", url, "--older-than", "30d", "--kind", "threads"]) == 0
    assert json.loads(capsys.readouterr().out)["threads"] == 1
    assert asyncio.run(_thread_ids(url)) == ["new"]
    assert main(["delete-resource", url, "r2"]) == 0
    assert json.loads(capsys.readouterr().out)["threads"] == 1
    assert asyncio.run(_thread_ids(url)) == []


def test_bad_age_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"file:{tmp_path / 'p.db'}"
    assert main(["prune", url, "--older-than", "soon"]) == 2
    err = capsys.readouterr().err
    assert "--older-than" in err and err.count("\n") == 1
    assert main(["prune", url, "--older-than", "2024-01-01T00:00:00"]) == 2  # naive: refused
    assert "error" in capsys.readouterr().err
    assert not (tmp_path / "p.db").exists()  # refused before opening the store


@pytest.mark.parametrize(
    "argv",
    [
        ["prune", "{url}", "--older-than", "30d"],
        ["prune", "{url}", "--older-than", "30d", "--dry-run"],
        ["delete-resource", "{url}", "r1"],
        ["delete-resource", "{url}", "r1", "--dry-run"],
    ],
    ids=["prune", "prune-dry-run", "delete-resource", "delete-resource-dry-run"],
)
def test_missing_database_file_is_an_error_and_is_not_created(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "typo.db"
    assert main([a.replace("{url}", f"file:{path}") for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err and "nothing was created" in err
    assert list(tmp_path.iterdir()) == []
