"""The per-turn hot path keeps its server-side cost down without changing what it writes.

A turn's save is a prepared statement that PostgreSQL must be able to run on its cached
generic plan (re-planning cost as much as executing it, under concurrency twice the raw
driver's server CPU per turn), and a save that repeats a stored id must still upsert
through the fallback statement, atomically, with the thread bumped once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from mastra_storage import Message, MessageContent, OrderBy, Thread
from mastra_storage.errors import NotFoundError
from mastra_storage_postgres import PostgresStore

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _msg(mid: str, thread: str, at: datetime, text: str, role: str = "user") -> Message:
    return Message(
        id=mid,
        role="user" if role == "user" else "assistant",
        created_at=at,
        thread_id=thread,
        resource_id="r",
        content=MessageContent.text(text),
    )


async def test_turn_saves_reuse_a_generic_plan_and_duplicates_upsert(pg_url: str) -> None:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    store = PostgresStore(pg_url, schema_name=schema, min_size=1, max_size=1)
    try:
        await store.init()
        memory = await store.require_store("memory")
        for tid in ("a", "b"):
            await memory.save_thread(
                Thread(id=tid, resource_id="r", title="", created_at=T0, updated_at=T0)
            )
        for i in range(8):  # past the 5 custom plans PostgreSQL tries first
            at = T0 + timedelta(seconds=2 * i)
            await memory.save_messages(
                [_msg(f"u{i}", "a", at, f"q{i}"), _msg(f"a{i}", "a", at, f"r{i}", "assistant")]
            )
            page = await memory.list_messages(
                thread_id="a", per_page=4, order_by=OrderBy(field="created_at", direction="DESC")
            )
        assert [m.id for m in page.items] == ["a7", "u7", "a6", "u6"]  # batch order kept

        # A repeated id (moved to thread b, new text) beside a new one: the plain insert
        # fails whole, the upsert writes both; createdAt and seq of the old row are kept.
        await memory.save_messages(
            [_msg("u3", "b", T0 + timedelta(days=1), "moved"), _msg("n1", "b", T0, "new")]
        )
        moved = await memory.list_messages(thread_id="b", per_page=10)
        assert {m.id: m.content.to_dict()["parts"][0]["text"] for m in moved.items} == {
            "u3": "moved",
            "n1": "new",
        }
        assert next(m for m in moved.items if m.id == "u3").created_at == T0 + timedelta(seconds=6)
        assert (await memory.list_messages(thread_id="a", per_page=100)).total == 15

        # A missing thread still fails the small-batch statement whole.
        with pytest.raises(NotFoundError):
            await memory.save_messages(
                [_msg(uuid.uuid4().hex, "b", T0, "x"), _msg(uuid.uuid4().hex, "nope", T0, "y")]
            )
        assert (await memory.list_messages(thread_id="b", per_page=10)).total == 2

        pool = await store.get_pool()
        async with pool.acquire() as conn:  # the pool's one connection: its statements
            rows = await conn.fetch(
                "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE 'WITH bumped%' OR statement LIKE 'SELECT 0, pg.*%'"
            )
        saves = [r for r in rows if r["statement"].startswith("WITH bumped")]
        assert saves and max(r["generic_plans"] for r in saves) >= 3, rows
    finally:
        await store.close()
        conn = await asyncpg.connect(pg_url)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()
