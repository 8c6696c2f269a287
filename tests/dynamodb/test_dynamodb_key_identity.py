"""Case twins on DynamoDB (issue 15, point 2): ElectroDB lower-cases key values, so ``Thread-1``
and ``thread-1`` share one item key. A write whose key holds a record with a different exact id
is refused with :class:`KeyCollisionError` and changes nothing; reads check the exact id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mastra_storage.errors import ConflictError, KeyCollisionError, NotFoundError
from mastra_storage.inmemory import InMemoryStore
from mastra_storage.records import MessageUpdate, Score
from mastra_storage.testing.data import sample_message, sample_resource, sample_thread, uid
from mastra_storage.timeutil import utc_now
from mastra_storage.transfer import export_jsonl, import_jsonl
from mastra_storage_dynamodb import DynamoDBStore
from mastra_storage_dynamodb.scores import DynamoScoresBackend

pytestmark = pytest.mark.anyio


def _twins(prefix: str) -> tuple[str, str]:
    upper = uid(prefix).upper()
    return upper, upper.lower()


async def _one_item_per_key(store: DynamoDBStore, *ids: str) -> list[dict[str, Any]]:
    items = await store.table.scan_all()
    wanted = {i.lower() for i in ids}
    return [i for i in items if str(i.get("id", i.get("run_id", ""))).lower() in wanted]


async def test_thread_case_twin_is_refused_and_changes_nothing(store: DynamoDBStore) -> None:
    memory = await store.require_store("memory")
    upper, lower = _twins("Thread")
    await memory.save_thread(sample_thread(id=upper, resource_id="alice", title="alice's"))
    with pytest.raises(KeyCollisionError) as caught:
        await memory.save_thread(sample_thread(id=lower, resource_id="mallory", title="evil"))
    assert lower in str(caught.value) and "alice" not in str(caught.value)
    kept = await memory.get_thread_by_id(upper)
    assert kept is not None and (kept.title, kept.resource_id) == ("alice's", "alice")
    assert await memory.get_thread_by_id(lower) is None
    with pytest.raises(NotFoundError):
        await memory.update_thread(lower, title="evil")
    await memory.delete_thread(lower)
    assert (await memory.get_thread_by_id(upper)) == kept
    # The twin of a thread is refused as a clone target too, never "already exists".
    source = await memory.save_thread(sample_thread(resource_id="alice"))
    with pytest.raises(KeyCollisionError):
        await memory.clone_thread(source.id, new_thread_id=lower)
    assert (await memory.get_thread_by_id(upper)) == kept


async def test_message_case_twin_is_refused_and_changes_nothing(store: DynamoDBStore) -> None:
    memory = await store.require_store("memory")
    alice = await memory.save_thread(sample_thread(resource_id="alice"))
    mallory = await memory.save_thread(sample_thread(resource_id="mallory"))
    upper, lower = _twins("Msg")
    original = sample_message(id=upper, thread=alice, text="alice's message")
    await memory.save_messages([original])
    for thread in (alice, mallory):  # same thread, or another one
        with pytest.raises(KeyCollisionError):
            await memory.save_messages(
                [sample_message(thread=thread, text="ok"), sample_message(id=lower, thread=thread)]
            )
    page = await memory.list_messages(thread_id=alice.id)
    assert [(m.id, m.content.content) for m in page.items] == [(upper, "alice's message")]
    assert (await memory.list_messages(thread_id=mallory.id)).items == []
    assert [m.id for m in await memory.list_messages_by_id([lower, upper])] == [upper]
    assert await memory.update_messages([MessageUpdate(id=lower, thread_id=mallory.id)]) == []
    assert (await memory.list_messages(thread_id=alice.id)).items[0].id == upper


async def test_moving_a_message_to_a_threads_case_twin_is_refused(store: DynamoDBStore) -> None:
    memory = await store.require_store("memory")
    upper, lower = _twins("Thread")
    await memory.save_thread(sample_thread(id=upper, resource_id="alice"))
    mine = await memory.save_thread(sample_thread(resource_id="mallory"))
    message = sample_message(thread=mine)
    await memory.save_messages([message])
    with pytest.raises(NotFoundError):
        await memory.update_messages([MessageUpdate(id=message.id, thread_id=lower)])
    with pytest.raises(NotFoundError):
        await memory.save_messages([sample_message(thread_id=lower, resource_id="mallory")])
    assert (await memory.list_messages(thread_id=upper)).items == []
    assert [m.id for m in (await memory.list_messages(thread_id=mine.id)).items] == [message.id]


async def test_resource_case_twin_is_refused_and_changes_nothing(store: DynamoDBStore) -> None:
    memory = await store.require_store("memory")
    upper, lower = _twins("Res")
    await memory.save_resource(sample_resource(id=upper, working_memory="alice's"))
    with pytest.raises(KeyCollisionError):
        await memory.save_resource(sample_resource(id=lower, working_memory="evil"))
    with pytest.raises(KeyCollisionError):
        await memory.update_resource(lower, working_memory="evil")
    kept = await memory.get_resource_by_id(upper)
    assert kept is not None and kept.working_memory == "alice's"
    assert await memory.get_resource_by_id(lower) is None
    assert len(await _one_item_per_key(store, upper)) == 1


async def test_workflow_run_case_twin_is_refused_and_changes_nothing(store: DynamoDBStore) -> None:
    workflows = await store.require_store("workflows")
    run_upper, run_lower = _twins("Run")
    await workflows.persist_workflow_snapshot(
        workflow_name="WF", run_id=run_upper, snapshot={"owner": "alice"}
    )
    for workflow_name, run_id in (("WF", run_lower), ("wf", run_upper), ("wf", run_lower)):
        with pytest.raises(KeyCollisionError):
            await workflows.persist_workflow_snapshot(
                workflow_name=workflow_name, run_id=run_id, snapshot={"owner": "mallory"}
            )
        with pytest.raises(KeyCollisionError):
            await workflows.update_workflow_state(
                workflow_name=workflow_name, run_id=run_id, status="failed"
            )
        with pytest.raises(KeyCollisionError):
            await workflows.update_workflow_results(
                workflow_name=workflow_name, run_id=run_id, step_id="s", result={"x": 1}
            )
        assert (
            await workflows.load_workflow_snapshot(workflow_name=workflow_name, run_id=run_id)
            is None
        )
        assert await workflows.get_workflow_run_by_id(run_id, workflow_name=workflow_name) is None
        await workflows.delete_workflow_run_by_id(run_id, workflow_name=workflow_name)
    assert await workflows.load_workflow_snapshot(workflow_name="WF", run_id=run_upper) == {
        "owner": "alice"
    }
    assert [r.run_id for r in (await workflows.list_workflow_runs(workflow_name="WF")).items] == [
        run_upper
    ]
    assert (await workflows.list_workflow_runs(workflow_name="wf")).items == []


async def test_score_case_twin_is_refused_on_import(store: DynamoDBStore) -> None:
    """Scores get fresh ids on save; an import keeps the source's ids, so twins can meet."""
    scores = await store.require_store("scores")
    backend = scores.backend
    assert isinstance(backend, DynamoScoresBackend)
    upper, lower = _twins("Score")
    now = utc_now()
    base = dict(
        scorer_id="s",
        entity_id="e",
        entity_type="AGENT",
        run_id="r",
        score=1.0,
        scorer={},
        output={},
        source="TEST",
        created_at=now,
        updated_at=now,
    )
    await backend.insert_score(Score(id=upper, **base))  # type: ignore[arg-type]
    with pytest.raises(KeyCollisionError):
        await backend.insert_score(Score(id=lower, **{**base, "score": 0.0}))  # type: ignore[arg-type]
    with pytest.raises(ConflictError):
        await backend.insert_score(Score(id=upper, **{**base, "score": 0.0}))  # type: ignore[arg-type]
    kept = await scores.get_score_by_id(upper)
    assert kept is not None and kept.score == 1.0
    assert await scores.get_score_by_id(lower) is None


async def test_import_of_case_twins_is_refused_and_keeps_the_first(
    store: DynamoDBStore, tmp_path: Path
) -> None:
    """``mastra-storage import`` writes through the adapter: a twin in a file is refused."""
    memory = await store.require_store("memory")
    upper, lower = _twins("Thread")
    await memory.save_thread(sample_thread(id=upper, resource_id="alice", title="alice's"))
    source = InMemoryStore()
    await source.init()
    src_memory = await source.require_store("memory")
    twin = await src_memory.save_thread(sample_thread(id=lower, resource_id="mallory"))
    await src_memory.save_messages([sample_message(thread=twin)])
    dump = tmp_path / "twin.jsonl"
    await export_jsonl(source, dump)
    with pytest.raises(KeyCollisionError):
        await import_jsonl(dump, store)
    kept = await memory.get_thread_by_id(upper)
    assert kept is not None and (kept.title, kept.resource_id) == ("alice's", "alice")
    assert (await memory.list_messages(thread_id=upper)).items == []
