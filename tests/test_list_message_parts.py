"""``MemoryStore.list_message_parts``: the records path and the stored-JSON path agree.

The in-memory backend has no ``SupportsMessageJSON`` (records, then a copy); libSQL reads
``(id, role, content text)`` rows and decodes only the parts. PostgreSQL runs the same
checks in ``tests/postgres/test_postgres_message_parts.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mastra_storage import connect
from mastra_storage.backend import SupportsMessageJSON
from mastra_storage.domains.memory import MemoryStore
from mastra_storage.errors import ValidationError
from mastra_storage.pagination import OrderBy
from mastra_storage.records import Message, MessageContent, Thread

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def seed_messages(thread_id: str = "t") -> list[Message]:
    """Text, a tool call with its result, unknown content keys, and equal timestamps."""
    contents = [
        MessageContent.text("hello"),
        MessageContent.from_dict(
            {
                "format": 2,
                "parts": [
                    {
                        "type": "tool-invocation",
                        "toolInvocation": {
                            "state": "result",
                            "toolCallId": "c1",
                            "toolName": "weather",
                            "args": {"city": "Paris"},
                            "result": {"sunny": True},
                        },
                    }
                ],
                "futureKey": {"kept": [1, 2]},
            }
        ),
        MessageContent(
            parts=[
                {"type": "text", "text": "a", "providerMetadata": {"x": {"deep": [{"y": 1}]}}},
                {"type": "reasoning", "reasoning": "r", "details": []},
            ]
        ),
    ]
    return [
        Message(
            id=f"m{n:02d}",
            role="user" if n % 2 == 0 else "assistant",
            # Pairs share a millisecond: insertion order is the tie-break.
            created_at=T0 + timedelta(milliseconds=n // 2),
            thread_id=thread_id,
            resource_id="r",
            content=contents[n % len(contents)],
        )
        for n in range(9)
    ]


@pytest.fixture(params=["memory", "libsql"])
async def memory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MemoryStore]:
    url = "memory://" if request.param == "memory" else f"file:{tmp_path / 'parts.db'}"
    storage = connect(url)
    await storage.init()
    store = await storage.require_store("memory")
    assert isinstance(store.backend, SupportsMessageJSON) == (request.param == "libsql")
    await store.save_thread(Thread(id="t", resource_id="r", created_at=T0, updated_at=T0))
    await store.save_messages(seed_messages())
    if request.param == "libsql":
        # What older writers left: plain text, and a null ``parts``.
        db = store.backend.db  # type: ignore[attr-defined]
        update = "UPDATE mastra_messages SET content = ? WHERE id = ?"
        await db.run("t", lambda tx: tx.execute(update, ("plain old text", "m03")))
        await db.run("t", lambda tx: tx.execute(update, ('{"format":2,"parts":null}', "m04")))
    yield store
    await storage.close()


async def check_agrees_with_list_messages(store: MemoryStore) -> None:
    for limit in (None, 1, 2, 5, 100):
        if limit is None:
            page = await store.list_messages(thread_id="t", per_page=None, include_total=False)
            expected = page.items
        else:
            page = await store.list_messages(
                thread_id="t",
                per_page=limit,
                order_by=OrderBy(field="created_at", direction="DESC"),
                include_total=False,
            )
            expected = list(reversed(page.items))
        got = await store.list_message_parts("t", limit=limit)
        assert [(m.id, m.role, m.content.parts) for m in expected] == [tuple(r) for r in got]
        assert [r.id for r in got] == [m.id for m in expected]
    # Owned by the caller: changing a result changes nothing stored or returned later.
    first = await store.list_message_parts("t")
    for row in first:
        for part in row.parts:
            part.clear()
    assert await store.list_message_parts("t") != first
    assert await store.list_message_parts("t", limit=0) == []
    assert await store.list_message_parts("nobody", limit=3) == []
    for bad_thread in ("", "  ", None):
        with pytest.raises(ValidationError):
            await store.list_message_parts(bad_thread, limit=3)  # type: ignore[arg-type]
    for bad_limit in (-1, 1.5, True, "3"):
        with pytest.raises(ValidationError):
            await store.list_message_parts("t", limit=bad_limit)  # type: ignore[arg-type]


async def test_list_message_parts(memory: MemoryStore) -> None:
    await check_agrees_with_list_messages(memory)
