"""Timestamps do not depend on the machine's time zone (Mastra users saw +6 h shifts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = r"""
import asyncio, sys, time
from datetime import datetime, timedelta, timezone
from mastra_storage import Message, MessageContent, Thread, connect
from mastra_storage.timeutil import utc_now

async def main(url):
    assert time.localtime().tm_gmtoff != 0, "TZ was not applied"
    drift = abs((utc_now() - datetime.now(timezone.utc)).total_seconds())
    assert drift < 5, drift
    when = datetime(2024, 3, 10, 7, 59, 59, 999000, tzinfo=timezone(timedelta(hours=-6)))
    async with connect(url) as storage:
        memory = await storage.get_store("memory")
        await memory.save_thread(Thread(id="t", resource_id="r", created_at=when, updated_at=when))
        await memory.save_messages([Message(id="m", role="user", created_at=when, thread_id="t",
                                            resource_id="r", content=MessageContent.text("x"))])
        thread = await memory.get_thread_by_id("t")
        page = await memory.list_messages(thread_id="t")
    print(thread.created_at.isoformat(), page.items[0].created_at.isoformat())

asyncio.run(main(sys.argv[1]))
"""


@pytest.mark.parametrize("tz", ["America/Chicago", "Asia/Kolkata"])
@pytest.mark.parametrize("backend", ["memory", "libsql"])
def test_round_trip_is_exact_in_a_non_utc_time_zone(tmp_path: Path, tz: str, backend: str) -> None:
    url = "memory://" if backend == "memory" else f"file:{tmp_path / 'tz.db'}"
    env = {**os.environ, "TZ": tz}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, url], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    expected = "2024-03-10T13:59:59.999000+00:00"
    assert out.stdout.split() == [expected, expected]
