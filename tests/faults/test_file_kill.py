"""Issue 10: a process killed (SIGKILL) while it writes a libSQL/SQLite file leaves a
readable database: ``PRAGMA integrity_check`` is ok, every batch is whole or absent, and
a new store on the file keeps working."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("libsql")

from mastra_storage.testing.data import sample_message, sample_thread
from mastra_storage_libsql import LibSQLStore

BATCH = 20
KILLS = 3

_WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from mastra_storage.testing.data import sample_message
    from mastra_storage_libsql import LibSQLStore

    async def main(path, thread_id, resource_id, run):
        store = LibSQLStore(f"file:{path}")
        await store.init()
        memory = store.stores["memory"]
        for i in range(100000):
            tag = f"{run}-{i}"
            print(tag, flush=True)
            await memory.save_messages([
                sample_message(thread_id=thread_id, resource_id=resource_id, id=f"{tag}-{j}")
                for j in range(20)
            ])

    asyncio.run(main(*sys.argv[1:5]))
    """
)


def test_sigkill_mid_write_leaves_a_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    thread = sample_thread()

    async def setup() -> None:
        store = LibSQLStore(f"file:{path}")
        await store.init()
        await store.stores["memory"].save_thread(thread)
        await store.close()

    asyncio.run(setup())
    tags: list[str] = []
    for run in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), thread.id, thread.resource_id, str(run)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ},
        )
        assert proc.stdout is not None
        for _ in range(5 + 3 * run):  # let it write a few batches, then kill it mid-write
            tags.append(proc.stdout.readline().strip())
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        tags.extend(line.strip() for line in proc.stdout.read().splitlines())
        proc.stdout.close()

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    async def check() -> None:
        store = LibSQLStore(f"file:{path}")
        await store.init()
        memory = store.stores["memory"]
        ids = [f"{tag}-{j}" for tag in tags for j in range(BATCH)]
        found = {m.id for m in await memory.list_messages_by_id(ids)}
        whole = 0
        for tag in tags:
            present = sum(1 for j in range(BATCH) if f"{tag}-{j}" in found)
            assert present in (0, BATCH), f"batch {tag}: {present}/{BATCH}"
            whole += present == BATCH
        assert whole >= KILLS, "the writers wrote nothing before being killed"
        await memory.save_messages([sample_message(thread=thread)])  # the store continues
        await store.close()

    asyncio.run(check())
