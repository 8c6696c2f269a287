"""The sync facade on PostgreSQL: asyncpg's connections belong to one event loop, so this
checks that the facade builds and drives the store on its own loop, from many threads."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

pytest.importorskip("asyncpg", reason="the postgres extra is not installed")

from mastra_storage import Message, MessageContent, Thread, sync
from tests.support.servers import ServerUnavailable, postgres_database, skip_or_fail

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    manager = postgres_database()
    loop = asyncio.new_event_loop()
    try:
        try:
            url = loop.run_until_complete(manager.__aenter__())
        except ServerUnavailable as exc:
            skip_or_fail("postgres", str(exc))
        try:
            yield url
        finally:
            loop.run_until_complete(manager.__aexit__(None, None, None))
    finally:
        loop.close()


@pytest.fixture
def storage(pg_url: str) -> Iterator[sync.SyncStorage]:
    schema = f"sync_{uuid.uuid4().hex[:12]}"
    with sync.connect(pg_url, schema_name=schema) as facade:
        yield facade


def test_threads_messages_and_workflows_through_the_facade(storage: sync.SyncStorage) -> None:
    memory = storage.require_store("memory")
    memory.save_thread(Thread(id="t1", resource_id="r1", title="x", created_at=NOW, updated_at=NOW))
    memory.save_messages(
        [
            Message(
                id=f"m{i}",
                role="user",
                created_at=NOW.replace(second=i),
                thread_id="t1",
                resource_id="r1",
                content=MessageContent.text(f"hello {i}"),
            )
            for i in range(5)
        ]
    )
    page = memory.list_messages(thread_id="t1", per_page=3)
    assert [m.id for m in page.items] == ["m0", "m1", "m2"] and page.total == 5

    workflows = storage.require_store("workflows")
    workflows.persist_workflow_snapshot(
        workflow_name="wf", run_id="run-1", snapshot={"status": "running", "n": 1}
    )
    assert workflows.load_workflow_snapshot(workflow_name="wf", run_id="run-1") == {
        "status": "running",
        "n": 1,
    }


def test_many_threads_share_one_postgres_facade(storage: sync.SyncStorage) -> None:
    memory = storage.require_store("memory")
    memory.save_thread(Thread(id="t2", resource_id="r1", title="x", created_at=NOW, updated_at=NOW))
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(5):
                memory.save_messages(
                    [
                        Message(
                            id=f"w{n}-{i}",
                            role="user",
                            created_at=NOW,
                            thread_id="t2",
                            resource_id="r1",
                            content=MessageContent.text("x"),
                        )
                    ]
                )
        except BaseException as exc:  # a worker's failure must fail the test
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert memory.list_messages(thread_id="t2", per_page=None).total == 30
