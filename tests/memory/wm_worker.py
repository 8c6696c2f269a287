"""Run by test_working_memory in a separate process: append lines to working memory.

Usage: ``python wm_worker.py <db file> <scope> <name> <count> <peer name>``. Each worker
opens the store, writes ``<name>.ready`` next to the database and waits for its peer's, so
their loops overlap however slowly the interpreters start; each update sleeps between
reading and writing, so
without a cross-process compare-and-set updates would be lost. Prints how many times the
update function ran (more than ``count`` means some compare-and-sets lost and retried).
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio

from mastra_storage.memory import Memory
from mastra_storage_libsql import LibSQLStore


async def main(path: str, scope: str, name: str, count: int, peer: str) -> None:
    calls = 0
    folder = Path(path).parent
    async with LibSQLStore(f"file:{path}") as store:
        memory = Memory(store, options={"workingMemory": {"enabled": True, "scope": scope}})
        await memory.get_working_memory("t1", "r1")  # open the file before the rendezvous
        (folder / f"{name}.ready").write_text("ready")
        with anyio.fail_after(60):
            while not (folder / f"{peer}.ready").exists():  # noqa: ASYNC110 - another process
                await anyio.sleep(0.005)
        for i in range(count):

            async def append(current: str | None, line: str = f"{name}-{i}") -> str:
                nonlocal calls
                calls += 1
                await anyio.sleep(0.005)
                return (current or "") + line + "\n"

            await memory.modify_working_memory("t1", "r1", append)
    print(calls)


if __name__ == "__main__":
    anyio.run(main, *sys.argv[1:4], int(sys.argv[4]), sys.argv[5])
