"""Adapter behaviour beyond the shared suite: configuration, exact keys, TTL, atomicity,
no keyspace scans on request paths, and secrets kept out of errors."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from redis.asyncio import Redis
from upstash_counting import counting_client

from mastra_storage import connect
from mastra_storage.cli import main as core_cli
from mastra_storage.codec import loads
from mastra_storage.errors import ConfigurationError, UnavailableError
from mastra_storage.pagination import OrderBy
from mastra_storage.records import Message, MessageContent, Resource, ScorePayload, Thread
from mastra_storage_upstash import UpstashStore
from mastra_storage_upstash.adopt import ADOPT_SCAN_COUNT
from mastra_storage_upstash.cli import main as cli_main
from mastra_storage_upstash.store import redis_url_for

pytestmark = pytest.mark.anyio
T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def _thread(thread_id: str = "t1", resource_id: str = "r1") -> Thread:
    return Thread(id=thread_id, resource_id=resource_id, title="x", created_at=T0, updated_at=T0)


def _message(i: int, thread_id: str = "t1", resource_id: str = "r1") -> Message:
    return Message(
        id=f"m{i}",
        role="user",
        thread_id=thread_id,
        resource_id=resource_id,
        created_at=T0 + timedelta(seconds=i),
        content=MessageContent.text(f"text {i}"),
    )


def _score() -> ScorePayload:
    return ScorePayload(
        scorer_id="s1",
        entity_id="e1",
        entity_type="AGENT",
        run_id="run1",
        score=1.0,
        scorer={"id": "s1"},
        output={},
        source="TEST",
        trace_id="tr",
        span_id="sp",
    )


# --------------------------------------------------------------------------- configuration


def test_upstash_rest_url_and_token_become_the_tls_redis_endpoint() -> None:
    assert (
        redis_url_for("https://eu1-fine-cat-123.upstash.io", "AX/y+z")
        == "rediss://default:AX%2Fy%2Bz@eu1-fine-cat-123.upstash.io:6379"
    )
    assert (
        redis_url_for("upstash://default:tok@h.upstash.io")
        == "rediss://default:tok@h.upstash.io:6379"
    )
    assert (
        redis_url_for("upstash://tok@h.upstash.io:6380") == "rediss://default:tok@h.upstash.io:6380"
    )
    assert (
        redis_url_for("upstash://h.upstash.io?token=tok")
        == "rediss://default:tok@h.upstash.io:6379"
    )
    assert redis_url_for("redis://localhost:6379/2") == "redis://localhost:6379/2"
    assert redis_url_for("rediss://h:6380/0", "pw") == "rediss://default:pw@h:6380/0"


@pytest.mark.parametrize(
    ("url", "token", "message"),
    [
        ("", "t", "url is required and cannot be empty"),
        ("https://x.upstash.io", "", "token is required and cannot be empty"),
        ("https://x.upstash.io", None, "token is required"),
        ("upstash://x.upstash.io", None, "needs a token"),
        ("mysql://x", None, "unsupported URL scheme"),
    ],
)
def test_bad_configuration_is_a_clear_error(url: str, token: str | None, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        UpstashStore(url, token)


def test_bad_options_are_rejected() -> None:
    with pytest.raises(ConfigurationError, match="prefix"):
        UpstashStore("redis://localhost", prefix="has space")
    with pytest.raises(ConfigurationError, match="unknown ttl entity"):
        UpstashStore("redis://localhost", ttl={"threads": {"enabled": True}})
    with pytest.raises(ConfigurationError, match="default_ttl_seconds"):
        UpstashStore(
            "redis://localhost", ttl={"thread": {"enabled": True, "default_ttl_seconds": -1}}
        )
    with pytest.raises(ConfigurationError, match="decode_responses"):
        UpstashStore(client=Redis())
    with pytest.raises(ConfigurationError, match="either a client"):
        UpstashStore("redis://localhost", client=Redis(decode_responses=True))


def test_token_never_in_repr_and_url_registered() -> None:
    store = UpstashStore("https://x.upstash.io", "s3cr3t-token")
    assert "s3cr3t-token" not in repr(store) and "x.upstash.io" in repr(store)
    for url in ("redis://localhost:1/0", "rediss://localhost:1/0", "upstash://tok@localhost"):
        assert isinstance(connect(url), UpstashStore)


async def test_driver_errors_are_typed_and_redacted() -> None:
    store = UpstashStore("redis://default:hunter22@127.0.0.1:1/0", socket_connect_timeout=1)
    memory = store.stores["memory"]
    with pytest.raises(UnavailableError) as info:
        await memory.get_thread_by_id("t")
    assert "hunter22" not in str(info.value)
    await store.close()


async def test_doctor_reports_connectivity(store: UpstashStore) -> None:
    report = await store.doctor()
    assert report.ok and report.checks[0].name == "connectivity"
    broken = UpstashStore("redis://default:hunter22@127.0.0.1:1/0", socket_connect_timeout=1)
    report = await broken.doctor()
    assert not report.ok and "hunter22" not in report.checks[0].detail
    await broken.close()


def test_cli_reindex_error_hides_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli_main(["reindex", "redis://default:hunter22@127.0.0.1:1/0"], "mastra-storage upstash")
    assert code == 2
    # The same through the core CLI, which hands `upstash ...` to this package.
    assert core_cli(["upstash", "reindex", "https://x.invalid", "--token", "hunter22"]) == 2
    captured = capsys.readouterr()
    assert "hunter22" not in captured.err + captured.out and "error" in captured.err


# --------------------------------------------------------------------------- exact keys


async def test_writes_mastras_exact_keys_and_values(store: UpstashStore, prefix: str) -> None:
    memory = await store.require_store("memory")
    await memory.save_thread(_thread())
    await memory.save_messages([_message(1), _message(2)])
    await memory.save_resource(
        Resource(id="r1", working_memory="wm", metadata={"a": 1}, created_at=T0, updated_at=T0)
    )
    workflows = await store.require_store("workflows")
    await workflows.persist_workflow_snapshot(
        workflow_name="wf", run_id="run1", snapshot={"status": "running"}, resource_id="r1"
    )
    score = await (await store.require_store("scores")).save_score(_score())
    raw = store.client
    thread = loads(await raw.get(f"{prefix}mastra_threads:id:t1"))
    assert thread == {
        "id": "t1",
        "resourceId": "r1",
        "title": "x",
        "createdAt": "2025-01-01T00:00:00.000Z",
        "updatedAt": thread["updatedAt"],
    }  # no "metadata" key for unset metadata, as @mastra/upstash stores it
    message = loads(await raw.get(f"{prefix}mastra_messages:threadId:t1:id:m2"))
    assert message["_index"] == 1 and "type" not in message and message["role"] == "user"
    assert message["createdAt"] == "2025-01-01T00:00:02.000Z" and message["threadId"] == "t1"
    assert message["content"]["parts"] == [{"type": "text", "text": "text 2"}]
    assert await raw.get(f"{prefix}msg-idx:m2") == "t1"
    # Mastra's per-thread set scored as Mastra scores it: the position in the batch.
    assert await raw.zrange(f"{prefix}thread:t1:messages", 0, -1, withscores=True) == [
        ("m1", 0.0),
        ("m2", 1.0),
    ]
    resource = loads(await raw.get(f"{prefix}mastra_resources:r1"))
    assert resource["metadata"] == '{"a":1}' and resource["workingMemory"] == "wm"
    run = loads(
        await raw.get(
            f"{prefix}mastra_workflow_snapshot:namespace:workflows:workflow_name:wf:run_id:run1:resourceId:r1"
        )
    )
    assert run["namespace"] == "workflows" and run["snapshot"] == {"status": "running"}
    assert loads(await raw.get(f"{prefix}mastra_scorers:id:{score.id}"))["scorerId"] == "s1"
    ours = [key async for key in raw.scan_iter(match=f"{prefix}*", count=1000)]
    assert f"{prefix}mastra_threads:id:t1" in ours and len(ours) >= 12


# --------------------------------------------------------------------------- TTL


async def test_ttl_applies_to_every_key_and_expired_entries_never_break_reads(
    redis_server_url: str, prefix: str
) -> None:
    ttl = {
        "thread": {"enabled": True, "default_ttl_seconds": 600},
        "message": {"enabled": True, "defaultTtlSeconds": 300},
        "resource": {"enabled": True, "default_ttl_seconds": 900},
        "workflow_snapshot": {"enabled": True, "default_ttl_seconds": 120},
        "score": {"enabled": True, "default_ttl_seconds": 60},
        "trace": {"enabled": False},
    }
    store = UpstashStore(redis_server_url, prefix=prefix, ttl=ttl)
    try:
        memory = await store.require_store("memory")
        await memory.save_thread(_thread())
        await memory.save_messages([_message(i) for i in range(5)])
        await memory.update_resource("r1", working_memory="x")
        await (await store.require_store("workflows")).persist_workflow_snapshot(
            workflow_name="wf", run_id="run1", snapshot={"status": "running"}
        )
        await (await store.require_store("scores")).save_score(_score())
        raw = store.client
        async for key in raw.scan_iter(match=f"{prefix}*", count=1000):
            seconds = await raw.ttl(key)
            if key.endswith(":seq"):
                assert seconds == -1  # the sequence counter is not an entity key
                continue
            assert 0 < seconds <= 900, key

        # Records expire before (or without) their index entries: reads skip and repair.
        k = store.db.keys
        await raw.delete(k.message("t1", "m1"), k.message("t1", "m3"))
        page = await memory.list_messages(thread_id="t1", per_page=2)
        assert [m.id for m in page.items] == ["m0", "m2"]
        assert page.total == 3
        assert await raw.zcard(k.thread_messages("t1")) == 3
        assert [m.id for m in await memory.list_messages_by_id(["m1", "m4"])] == ["m4"]
        await raw.delete(k.thread("t1"))
        threads = await memory.list_threads(resource_id="r1")
        assert threads.items == [] and threads.total == 0
    finally:
        await store.close()


# --------------------------------------------------------------------------- atomicity


async def test_concurrent_read_modify_writes_lose_nothing(store: UpstashStore) -> None:
    memory = await store.require_store("memory")
    await asyncio.gather(*(memory.update_resource("r1", metadata={f"k{i}": i}) for i in range(20)))
    resource = await memory.get_resource_by_id("r1")
    assert resource is not None and resource.metadata == {f"k{i}": i for i in range(20)}
    workflows = await store.require_store("workflows")
    await asyncio.gather(
        *(
            workflows.update_workflow_results(
                workflow_name="wf", run_id="run", step_id=f"s{i}", result={"i": i}
            )
            for i in range(20)
        )
    )
    snapshot = await workflows.load_workflow_snapshot(workflow_name="wf", run_id="run")
    assert isinstance(snapshot, dict) and set(snapshot["context"]) == {f"s{i}" for i in range(20)}


async def test_concurrent_appends_to_one_thread_from_two_stores(
    redis_server_url: str, prefix: str
) -> None:
    """200 appends at once, from two stores (separate pools and locks, like two processes):
    no transaction gives up and nothing is lost."""
    stores = [UpstashStore(redis_server_url, prefix=prefix, max_connections=100) for _ in range(2)]
    try:
        memories = [await s.require_store("memory") for s in stores]
        await memories[0].save_thread(_thread())

        async def append(i: int) -> None:
            message = _message(i).replace(created_at=T0)  # one timestamp: order by insertion
            await memories[i % 2].save_messages([message])

        await asyncio.gather(*(append(i) for i in range(200)))
        page = await memories[1].list_messages(thread_id="t1", per_page=None)
        assert page.total == 200 and len({m.id for m in page.items}) == 200
        assert len(stores[0].db.locks) == 0  # no lock left behind
    finally:
        for s in stores:
            await s.close()


async def test_a_failed_batch_writes_nothing(store: UpstashStore, prefix: str) -> None:
    memory = await store.require_store("memory")
    await memory.save_thread(_thread())
    before = sorted([k async for k in store.client.scan_iter(match=f"{prefix}*")])
    with pytest.raises(Exception, match="not found"):
        await memory.save_messages([_message(1), _message(2, thread_id="missing")])
    after = sorted([k async for k in store.client.scan_iter(match=f"{prefix}*")])
    assert before == after


# --------------------------------------------------------------------------- no scans


@pytest.mark.parametrize("follow", [False, True])
async def test_request_paths_never_scan_the_keyspace(
    redis_server_url: str, prefix: str, follow: bool
) -> None:
    """No request walks the keyspace. Following a Mastra app (the default) lets each listing
    run at most one bounded ``SCAN`` step (``COUNT`` ``ADOPT_SCAN_COUNT``, adopt.py); with
    ``follow_mastra_writes=False`` no request sends ``SCAN`` at all."""
    client, counter = counting_client(redis_server_url)
    store = UpstashStore(client=client, prefix=prefix, follow_mastra_writes=follow)
    scan_counts: list[Any] = []
    real_scan = client.scan

    async def recording_scan(*args: Any, **kwargs: Any) -> Any:
        scan_counts.append(kwargs.get("count"))
        return await real_scan(*args, **kwargs)

    client.scan = recording_scan  # type: ignore[method-assign]
    try:
        memory = await store.require_store("memory")
        await memory.save_thread(_thread())
        await memory.save_thread(_thread("t2"))
        await memory.save_messages([_message(i) for i in range(10)])
        await memory.list_messages(thread_id=["t1", "t2"], per_page=3, page=1)
        await memory.list_messages_by_resource_id(resource_id="r1", per_page=3)
        await memory.list_threads(resource_id="r1", order_by=OrderBy(field="updated_at"))
        await memory.update_thread("t1", title="new")
        await memory.update_messages([])
        await memory.delete_messages(["m1"])
        await memory.clone_thread("t1", new_thread_id="t3")
        await memory.delete_thread("t2")
        await memory.update_resource("r1", working_memory="w")
        workflows = await store.require_store("workflows")
        await workflows.persist_workflow_snapshot(workflow_name="w", run_id="x", snapshot={})
        await workflows.list_workflow_runs(workflow_name="w", status="running")
        await workflows.get_workflow_run_by_id("x")
        await workflows.delete_workflow_run_by_id("x", workflow_name="w")
        scores = await store.require_store("scores")
        await scores.save_score(_score())
        await scores.list_scores_by_scorer_id("s1", source="TEST")
        await scores.list_scores_by_span(trace_id="tr", span_id="sp")
        assert sum(counter.values()) > 0
        assert "KEYS" not in counter, counter
        listings = 5  # list_threads, list_workflow_runs, get_workflow_run_by_id, 2 score lists
        if follow:
            assert counter["SCAN"] == len(scan_counts) <= listings, counter
            assert all(c == ADOPT_SCAN_COUNT for c in scan_counts), scan_counts
        else:
            assert "SCAN" not in counter and not scan_counts, counter
    finally:
        await client.aclose()


async def test_store_from_an_existing_client(redis_server_url: str, prefix: str) -> None:
    client = Redis.from_url(redis_server_url, decode_responses=True)
    store = UpstashStore(client=client, prefix=prefix)
    memory = await store.require_store("memory")
    await memory.save_thread(_thread())
    assert (await memory.get_thread_by_id("t1")) is not None
    await store.close()  # not ours to close
    assert await client.ping()
    await client.aclose()
