"""The sync facade (mastra_storage.sync): a slice of the conformance suite run through it,
its limits (no blocking call inside a running event loop, closed-store errors, bounded
close) and thread safety."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest

from mastra_storage import (
    ConfigurationError,
    EventLoopMismatchError,
    Message,
    MessageContent,
    StoreClosedError,
    Thread,
    sync,
)
from mastra_storage.testing.conformance import (
    MessageTests,
    ResourceTests,
    ThreadTests,
    WorkflowTests,
)


class _AsyncView:
    """An async face over a blocking object: each call goes to a worker thread (which has
    no event loop), so the conformance suite's awaits drive the sync facade for real."""

    def __init__(self, target: Any) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        inner = (
            self._target.async_storage
            if isinstance(self._target, sync.SyncStorage)
            else self._target.async_object
        )
        original = getattr(inner, name, None)
        if original is None or not sync._is_async_callable(original):
            return attr  # a plain attribute or sync method is used as it is

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await anyio.to_thread.run_sync(functools.partial(attr, *args, **kwargs))

        return call


class _SyncConformanceSlice(ThreadTests, MessageTests, ResourceTests, WorkflowTests):
    """Threads, messages, resources and workflow snapshots through ``sync.connect``."""

    url: str = "memory://"

    @pytest.fixture
    async def storage(self, tmp_path: Path) -> AsyncIterator[Any]:
        url = self.url.format(tmp=tmp_path)
        facade = await anyio.to_thread.run_sync(sync.connect, url)
        await anyio.to_thread.run_sync(facade.init)
        yield _AsyncView(facade)
        await anyio.to_thread.run_sync(facade.close)

    @staticmethod
    async def memory(storage: Any) -> Any:
        return _AsyncView(await storage.require_store("memory"))

    @staticmethod
    async def workflows(storage: Any) -> Any:
        return _AsyncView(await storage.require_store("workflows"))


class TestSyncFacadeInMemory(_SyncConformanceSlice):
    supports_multiprocess = False


class TestSyncFacadeLibSQL(_SyncConformanceSlice):
    url = "file:{tmp}/sync.db"
    supports_multiprocess = False  # the reopen tests belong to the libSQL suite itself

    @pytest.fixture(autouse=True)
    def _needs_libsql(self) -> None:
        pytest.importorskip("apsw", reason="the libsql extra is not installed")


NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


def _thread(thread_id: str) -> Thread:
    return Thread(id=thread_id, resource_id="r1", title="t", created_at=NOW, updated_at=NOW)


@pytest.fixture
def facade() -> Iterator[sync.SyncStorage]:
    with sync.connect("memory://") as storage:
        yield storage


def test_a_blocking_call_inside_a_running_event_loop_is_refused(
    facade: sync.SyncStorage,
) -> None:
    memory = facade.require_store("memory")

    async def inside_loop() -> None:
        with pytest.raises(EventLoopMismatchError, match="running event loop") as info:
            memory.save_thread(_thread("t-loop"))
        assert info.value.id == "MASTRA_STORAGE_SYNC_IN_EVENT_LOOP"
        with pytest.raises(EventLoopMismatchError):
            sync.connect("memory://")

    asyncio.run(inside_loop())
    assert memory.get_thread_by_id("t-loop") is None  # nothing was written


def test_calls_from_many_threads_all_land(facade: sync.SyncStorage) -> None:
    memory = facade.require_store("memory")
    memory.save_thread(_thread("t1"))
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                memory.save_messages(
                    [
                        Message(
                            id=f"m-{n}-{i}",
                            role="user",
                            created_at=NOW,
                            thread_id="t1",
                            resource_id="r1",
                            content=MessageContent.text(f"{n}/{i}"),
                        )
                    ]
                )
        except BaseException as exc:  # collected: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    page = memory.list_messages(thread_id="t1", per_page=None)
    assert page.total == 80 and len({m.id for m in page.items}) == 80


def test_sync_memory_is_the_async_memory_driven_blocking(facade: sync.SyncStorage) -> None:
    from mastra_storage.memory import Memory as AsyncMemory

    memory = sync.Memory(facade, options={"lastMessages": 2})
    result = memory.save_turn("t2", "r1", [AsyncMemory.message("user", f"q{i}") for i in range(3)])
    assert result.thread_created
    history = memory.recall("t2", "r1").history
    assert [m.text for m in history] == ["q1", "q2"]


def test_close_is_idempotent_bounded_and_later_calls_say_closed() -> None:
    storage = sync.connect("memory://")
    storage.init()
    memory = storage.require_store("memory")
    started = time.monotonic()
    storage.close()
    storage.close()
    assert time.monotonic() - started < 5
    assert storage.closed
    with pytest.raises(StoreClosedError):
        memory.get_thread_by_id("t1")
    alive = [t.name for t in threading.enumerate() if t.name == "mastra-storage-sync"]
    assert alive == []


def test_connect_without_url_fails_before_starting_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MASTRA_STORAGE_URL", raising=False)
    before = threading.active_count()
    with pytest.raises(ConfigurationError, match="MASTRA_STORAGE_URL"):
        sync.connect()
    assert threading.active_count() == before


def test_importing_the_facade_starts_no_thread() -> None:
    import subprocess
    import sys

    code = (
        "import threading, mastra_storage.sync;"
        "assert threading.active_count() == 1, threading.enumerate()"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_notebook_may_allow_blocking_calls_inside_its_running_loop() -> None:
    async def notebook_cell() -> list[str]:
        # A Jupyter kernel runs each cell inside its event loop.
        with sync.connect("memory://", allow_running_loop=True) as storage:
            memory = storage.require_store("memory")
            memory.save_thread(_thread("t-nb"))
            found = memory.get_thread_by_id("t-nb")
            return [found.id] if found is not None else []

    assert asyncio.run(notebook_cell()) == ["t-nb"]
