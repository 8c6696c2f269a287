"""Run by test_working_memory in a separate process: append lines to working memory.

Usage: ``python wm_worker.py <db file> <scope> <name> <count> <start epoch>``. Both workers
start at the same wall-clock time, and each update sleeps between reading and writing, so
without a cross-process compare-and-set updates would be lost. Prints how many times the
update function ran (more than ``count`` means some compare-and-sets lost and retried).
"""

from __future__ import annotations

import sys
import time

import anyio

from mastra_storage.memory import Memory
from mastra_storage_libsql import LibSQLStore


async def main(path: str, scope: str, name: str, count: int, start: float) -> None:
    calls = 0
    async with LibSQLStore(f"file:{path}") as store:
        memory = Memory(store, options={"workingMemory": {"enabled": True, "scope": scope}})
        await memory.get_working_memory("t1", "r1")  # open the file before the start line
        await anyio.sleep(max(0.0, start - time.time()))
        for i in range(count):

            async def append(current: str | None, line: str = f"{name}-{i}") -> str:
                nonlocal calls
                calls += 1
                await anyio.sleep(0.003)
                return (current or "") + line + "\n"

            await memory.modify_working_memory("t1", "r1", append)
    print(calls)


if __name__ == "__main__":
    anyio.run(main, *sys.argv[1:4], int(sys.argv[4]), float(sys.argv[5]))
