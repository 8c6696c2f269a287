"""Rows another client nested far deeper than ``MAX_JSON_DEPTH`` (issue 15) read back
whole, and never break the listing of the records next to them."""

from __future__ import annotations

import asyncpg
import pytest

from mastra_storage.testing.hostile_corpus import nested_text, nesting_depth
from mastra_storage_postgres import PostgresStore

pytestmark = pytest.mark.anyio
DEPTH = 5000  # past the decoder's recursion limit (issue 15 stored 600-900 on MongoDB)


async def test_deep_rows_read_back_and_do_not_poison_listings(
    store: PostgresStore, pg_url: str
) -> None:
    schema = store.schema_name
    raw = await asyncpg.connect(pg_url)
    try:
        for n, metadata in enumerate(('{"ok":1}', nested_text(DEPTH), '{"ok":2}')):
            await raw.execute(
                f'INSERT INTO "{schema}".mastra_threads (id, "resourceId", title, metadata, '
                '"createdAt", "updatedAt") VALUES ($1, $2, $3, $4::jsonb, '
                "now() + make_interval(secs => $5), now() + make_interval(secs => $5))",
                f"t{n}",
                "r",
                "",
                metadata,
                float(n),
            )
        await raw.execute(
            f'INSERT INTO "{schema}".mastra_workflow_snapshot (workflow_name, run_id, snapshot, '
            '"createdAt", "updatedAt") VALUES ($1, $2, $3::jsonb, now(), now())',
            "wf",
            "run",
            nested_text(DEPTH),
        )
    finally:
        await raw.close()
    memory = await store.require_store("memory")
    page = await memory.list_threads(resource_id="r", per_page=None)
    assert [t.id for t in page.items] == ["t2", "t1", "t0"]
    deep = await memory.get_thread_by_id("t1")
    assert deep is not None and nesting_depth(deep.metadata) == DEPTH
    workflows = await store.require_store("workflows")
    snapshot = await workflows.load_workflow_snapshot(workflow_name="wf", run_id="run")
    assert nesting_depth(snapshot) == DEPTH
    runs = await workflows.list_workflow_runs(workflow_name="wf")
    assert [r.run_id for r in runs.items] == ["run"]
