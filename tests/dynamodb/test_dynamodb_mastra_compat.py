"""Data compatibility with the real ``@mastra/dynamodb`` 1.0.0 (through the node harness),
both directions, on one moto table: threads, messages, resources, workflow snapshots and
scores, field by field as each app's own read API returns them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
import pytest

from mastra_storage import Message, MessageContent, Thread
from mastra_storage.errors import KeyCollisionError
from mastra_storage.pagination import OrderBy
from mastra_storage.records import Resource, Score, ScorePayload
from mastra_storage_dynamodb import DynamoDBStore, keys
from mastra_storage_dynamodb import items as conv
from mastra_storage_dynamodb.resource_index import STATE_KEY
from tests.support.compat import T0, UTC, Harness, as_dict, clean

pytestmark = pytest.mark.anyio


def _prefix() -> str:
    return f"Compat-{uuid.uuid4().hex[:8]}"  # mixed case: ElectroDB lower-cases key values


async def test_python_reads_what_mastra_wrote(
    store: DynamoDBStore, mastra_harness: Harness
) -> None:
    prefix = _prefix()
    assert mastra_harness("write", store.table_name, prefix)["ok"] is True
    memory = await store.require_store("memory")
    workflows = await store.require_store("workflows")

    thread = await memory.get_thread_by_id(f"{prefix}-thread")
    assert thread is not None
    assert (thread.resource_id, thread.title) == (f"{prefix}-resource", "From TypeScript")
    assert thread.metadata == {"source": "ts", "nested": {"a": [1, 2]}}
    assert thread.created_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    listed = await memory.list_threads(resource_id=f"{prefix}-resource")
    assert [t.id for t in listed.items] == [f"{prefix}-bare", thread.id] and listed.total == 2

    page = await memory.list_messages(thread_id=thread.id, per_page=None)
    assert [m.id for m in page.items] == [f"{prefix}-msg-{i}" for i in (1, 2, 3)]
    assert [m.text for m in page.items] == ["Hello from TS", "Hi, I am the assistant", "Thanks!"]
    assert [m.role for m in page.items] == ["user", "assistant", "user"]
    assert {m.type for m in page.items} == {"v2"}
    newest = await memory.list_messages(
        thread_id=thread.id, per_page=2, order_by=OrderBy(field="created_at", direction="DESC")
    )
    assert [m.id for m in newest.items] == [f"{prefix}-msg-3", f"{prefix}-msg-2"]
    assert (newest.total, newest.has_more) == (3, True)

    snapshot = await workflows.load_workflow_snapshot(
        workflow_name=f"{prefix}-wf", run_id=f"{prefix}-run"
    )
    assert isinstance(snapshot, dict) and snapshot["context"]["step1"]["output"] == {"x": 1}
    run = await workflows.get_workflow_run_by_id(f"{prefix}-run")  # via gsi2
    assert run is not None and run.workflow_name == f"{prefix}-wf"
    assert run.resource_id == f"{prefix}-resource"
    runs = await workflows.list_workflow_runs(workflow_name=f"{prefix}-wf")
    assert [r.run_id for r in runs.items] == [f"{prefix}-run-2", f"{prefix}-run"]

    # Our key builders reproduce ElectroDB's strings for every item Mastra wrote.
    for item in await store.table.scan_all():
        if item["pk"] == STATE_KEY["pk"]:  # ours: the resource index's state
            continue
        entity = item["__edb_e__"]
        if entity == "thread":
            rebuilt = conv.thread_item(conv.thread_from_item(item))
        elif entity == "message":
            rebuilt = conv.message_item(conv.message_from_item(item), seq=0, updated_at="")
        elif entity == "resource":
            rebuilt = conv.resource_item(conv.resource_from_item(item))
        elif entity == "score":
            rebuilt = conv.score_item(conv.score_from_item(item))
        else:
            assert entity == "workflow_snapshot"
            rebuilt = conv.run_item(conv.run_from_item(item))
        names = [f"gsi{i}{part}" for i in range(1, 8) for part in ("pk", "sk")]
        for name in ("pk", "sk", *names, "__edb_v__"):
            assert rebuilt.get(name) == item.get(name), (entity, name)


async def test_mastra_reads_what_python_wrote(
    store: DynamoDBStore, mastra_harness: Harness
) -> None:
    prefix = _prefix()
    resource_id, thread_id = f"{prefix}-resource", f"{prefix}-thread"
    memory = await store.require_store("memory")
    workflows = await store.require_store("workflows")
    await memory.save_thread(
        Thread(
            id=thread_id,
            resource_id=resource_id,
            title="From Python",
            metadata={"source": "py", "n": [1, 2]},
            created_at=T0,
            updated_at=T0,
        )
    )
    texts = ["Hello from Python", "Hi!", "Bye"]
    messages = [
        Message(
            id=f"{prefix}-msg-{i + 1}",
            thread_id=thread_id,
            resource_id=resource_id,
            role="user" if i % 2 == 0 else "assistant",
            type="v2",
            created_at=datetime(2024, 6, 1, 12, 0, i + 1, tzinfo=UTC),
            content=MessageContent.text(text),
        )
        for i, text in enumerate(texts)
    ]
    await memory.save_messages(messages)
    await workflows.persist_workflow_snapshot(
        workflow_name=f"{prefix}-wf",
        run_id=f"{prefix}-run",
        resource_id=resource_id,
        snapshot={"status": "running", "context": {"a": {"status": "success"}}, "runId": "x"},
        created_at=T0,
    )
    await workflows.update_workflow_results(
        workflow_name=f"{prefix}-wf", run_id=f"{prefix}-run", step_id="b", result={"ok": 1}
    )

    seen = mastra_harness("read", store.table_name, resource_id, f"{prefix}-wf")
    assert [t["id"] for t in seen["threads"]] == [thread_id]
    thread = seen["threads"][0]
    assert thread["title"] == "From Python"
    assert thread["metadata"] == {"source": "py", "n": [1, 2]}
    assert thread["createdAt"] == "2024-06-01T12:00:00.000Z"
    got = seen["messages"][thread_id]
    assert [m["id"] for m in got] == [m.id for m in messages]
    assert [m["content"]["parts"][0]["text"] for m in got] == texts
    assert [m["role"] for m in got] == ["user", "assistant", "user"]
    assert [m["resourceId"] for m in got] == [resource_id] * 3
    assert [r["runId"] for r in seen["runs"]] == [f"{prefix}-run"]
    snapshot = seen["snapshots"][f"{prefix}-run"]
    assert snapshot["context"] == {"a": {"status": "success"}, "b": {"ok": 1}}
    assert snapshot["status"] == "running"


def test_key_strings_match_electrodb() -> None:
    """Spot checks against ElectroDB 3.9.3's ``.params()`` output for @mastra/dynamodb 1.0.0."""
    assert keys.thread_key("Th-1") == {
        "pk": "$mastra#entity_thread#id_th-1",
        "sk": "$thread_1#id_th-1",
    }
    assert keys.thread_gsi1pk("Res-A") == "$mastra#entity_thread#resourceid_res-a"
    assert (
        keys.created_sort_key("thread", "2024-01-02T03:04:05.678Z")
        == "$thread_1#createdat_2024-01-02t03:04:05.678z"
    )
    assert keys.message_key("M-1") == {
        "pk": "$mastra#entity_message#id_m-1",
        "sk": "$message_1#entity_message",
    }
    assert keys.message_gsi1pk("Th-1") == "$mastra#entity_message#threadid_th-1"
    assert keys.resource_key("R-1") == {
        "pk": "$mastra#entity_resource#id_r-1",
        "sk": "$resource_1#entity_resource",
    }
    assert keys.run_key("WF-a", "Run-1") == {
        "pk": "$mastra#entity_workflow_snapshot#workflow_name_wf-a",
        "sk": "$workflow_snapshot_1#run_id_run-1",
    }
    assert keys.run_gsi2("WF-a", "Run-1") == {
        "gsi2pk": "$mastra#entity_workflow_snapshot#run_id_run-1",
        "gsi2sk": "$workflow_snapshot_1#workflow_name_wf-a",
    }
    assert keys.score_gsi_pk("gsi7", ["Tr", "Sp"]) == "$mastra#entity_score#traceid_tr#spanid_sp"
    assert keys.score_gsi_pk("gsi3", [""]) == "$mastra#entity_score#traceid_"


# ---- the edge-case dataset, both ways (issue 16) -----------------------------------------

T1 = datetime(2024, 5, 2, 8, 0, 0, tzinfo=UTC)
T2 = datetime(2024, 5, 2, 8, 0, 1, tzinfo=UTC)

#: label -> (input, output), the same values the harness' ``write`` saves through Mastra.
SCORE_VALUES: dict[str, tuple[Any, Any]] = {
    "str": ("hello", "world"),
    "num": ("123", "4.5"),
    "jsonstr": ('{"a":1}', "[1,2]"),
    "obj": ({"a": 1}, [1, 2]),
    "nullstr": ("null", ""),
}
#: label -> (input, output) as *both* apps read them back: the release parses only text
#: starting with ``{``/``[``, so the JSON-looking strings come back as JSON values.
SCORE_READ_BACK: dict[str, tuple[Any, Any]] = {
    "str": ("hello", "world"),
    "num": ("123", "4.5"),
    "jsonstr": ({"a": 1}, [1, 2]),
    "obj": ({"a": 1}, [1, 2]),
    "nullstr": ("null", ""),
}
THREAD_FIELDS = ("id", "resourceId", "title", "metadata", "createdAt", "updatedAt")
MESSAGE_FIELDS = ("id", "threadId", "resourceId", "role", "type", "content", "createdAt")
RESOURCE_FIELDS = ("id", "workingMemory", "metadata", "createdAt")
RUN_FIELDS = ("workflowName", "runId", "resourceId", "snapshot", "createdAt", "updatedAt")
SCORE_FIELDS = tuple(
    f.encode_name for f in msgspec.structs.fields(Score) if f.name != "structured_output"
)
#: Mastra sets ``updatedAt`` to "now" on every save of a message, resource or score.
_VOLATILE = frozenset({"updatedAt"})


def _score_payload(prefix: str, label: str, value_in: Any, value_out: Any) -> ScorePayload:
    return ScorePayload(
        id=f"{prefix}-supplied-{label}",
        scorer_id=f"{prefix}-scorer",
        entity_id=f"{prefix}-agent",
        entity_type="AGENT",
        run_id=f"{prefix}-{label}",
        source="LIVE",
        score=0.5,
        scorer={"id": f"{prefix}-scorer"},
        entity={"id": f"{prefix}-agent"},
        input=value_in,
        output=value_out,
    )


async def _python_writes_edge_dataset(store: DynamoDBStore, prefix: str) -> None:
    """What the harness' ``write`` adds after its conversation, written through our API."""
    memory = await store.require_store("memory")
    workflows = await store.require_store("workflows")
    scores = await store.require_store("scores")
    resource_id, bare = f"{prefix}-resource", f"{prefix}-bare"
    await memory.save_thread(
        Thread(id=bare, resource_id=resource_id, title="Bare", created_at=T1, updated_at=T1)
    )
    await memory.save_messages(
        [
            Message(
                id=f"{prefix}-eq-{suffix}",
                thread_id=bare,
                resource_id=resource_id,
                role="user",
                created_at=T1 if i < 2 else T2,
                content=MessageContent.text(text),
            )
            for i, (suffix, text) in enumerate(
                [("b", "first written"), ("a", "second written"), ("c", "later")]
            )
        ]
    )
    await memory.save_resource(
        Resource(
            id=resource_id,
            working_memory="# Notes",
            metadata={"k": [1, {}]},
            created_at=T1,
            updated_at=T1,
        )
    )
    await memory.save_resource(Resource(id=bare, created_at=T1, updated_at=T1))
    await workflows.persist_workflow_snapshot(
        workflow_name=f"{prefix}-wf",
        run_id=f"{prefix}-run-2",
        snapshot={
            "status": "running",
            "context": {},
            "activePaths": [],
            "value": {"list": []},
            "runId": f"{prefix}-run-2",
        },
        created_at=T1,
        updated_at=T1,
    )
    for label, (value_in, value_out) in SCORE_VALUES.items():
        await scores.save_score(_score_payload(prefix, label, value_in, value_out))
    await scores.save_score(_score_payload(prefix, "absent", None, "o"))


async def _our_edge_view(store: DynamoDBStore, prefix: str) -> dict[str, Any]:
    """The harness' ``read`` output for ``prefix``, computed through our API."""
    memory = await store.require_store("memory")
    workflows = await store.require_store("workflows")
    scores = await store.require_store("scores")
    resource_id = f"{prefix}-resource"
    threads = (await memory.list_threads(resource_id=resource_id, per_page=None)).items
    runs = (await workflows.list_workflow_runs(workflow_name=f"{prefix}-wf")).items
    listed = (await scores.list_scores_by_scorer_id(f"{prefix}-scorer", per_page=None)).items
    resources = {}
    for rid in (resource_id, f"{prefix}-bare"):
        resource = await memory.get_resource_by_id(rid)
        resources[rid] = None if resource is None else as_dict(resource)
    by_id = {}
    for score in listed:
        got = await scores.get_score_by_id(score.id)
        by_id[score.id] = None if got is None else as_dict(got)
    return {
        "threads": [as_dict(t) for t in threads],
        "messages": {
            t.id: [as_dict(m) for m in (await memory.list_messages(thread_id=t.id, per_page=None))]
            for t in threads
        },
        "runs": [as_dict(r) for r in runs],
        "snapshots": {r.run_id: r.snapshot for r in runs},
        "resources": resources,
        "scores": [as_dict(s) for s in listed],
        "scoresById": by_id,
    }


def _mastra_edge_view(mastra_harness: Harness, table: str, prefix: str) -> dict[str, Any]:
    resource_id = f"{prefix}-resource"
    return mastra_harness(
        "read",
        table,
        resource_id,
        f"{prefix}-wf",
        f"{prefix}-scorer",
        f"{resource_id},{prefix}-bare",
    )


def _same_fields(ours: Any, theirs: Any, fields: tuple[str, ...], what: str) -> None:
    """Field by field; a missing key and ``null`` both mean "not set" (clean())."""
    assert isinstance(ours, dict) and isinstance(theirs, dict), (what, ours, theirs)
    ours, theirs = clean(ours), clean(theirs)
    for name in fields:
        assert ours.get(name) == theirs.get(name), (what, name, ours.get(name), theirs.get(name))


def _check_views(
    ours: dict[str, Any], theirs: dict[str, Any], prefix: str, *, python_wrote: bool
) -> None:
    """Both apps' reads of one dataset agree field by field, and hold the expected values.

    One field differs by design: a message we saved without ``type`` reads back without one
    for us (what was saved) and as ``"text"`` for Mastra (what its own save would store)."""
    by_id = {t["id"]: t for t in theirs["threads"]}
    assert sorted(by_id) == sorted(t["id"] for t in ours["threads"])
    for thread in ours["threads"]:
        _same_fields(thread, by_id[thread["id"]], THREAD_FIELDS, "thread")
    bare = f"{prefix}-bare"
    assert "metadata" not in clean(by_id[bare])  # unset stays unset for Mastra too
    for thread_id, messages in ours["messages"].items():
        mastra_messages = {m["id"]: m for m in theirs["messages"][thread_id]}
        assert sorted(mastra_messages) == sorted(m["id"] for m in messages)
        for message in messages:
            theirs_message = mastra_messages[message["id"]]
            if python_wrote and "type" not in message:
                theirs_message = {k: v for k, v in theirs_message.items() if k != "type"}
            _same_fields(message, theirs_message, MESSAGE_FIELDS, "message")
    eq = [m for m in theirs["messages"][bare]]
    assert [m["type"] for m in eq] == ["text"] * 3  # Mastra's entity default
    # Equal createdAt: Mastra orders by id, we keep insertion order (both documented).
    assert [m["id"] for m in eq] == [f"{prefix}-eq-{s}" for s in "abc"]
    for rid, resource in ours["resources"].items():
        assert resource is not None, rid
        _same_fields(resource, theirs["resources"][rid], RESOURCE_FIELDS, "resource")
    assert set(clean(theirs["resources"][bare])) - {"entity"} == {"id", "createdAt", "updatedAt"}
    runs = {r["runId"]: r for r in theirs["runs"]}
    for run in ours["runs"]:
        _same_fields(run, runs[run["runId"]], RUN_FIELDS, "run")
        assert ours["snapshots"][run["runId"]] == theirs["snapshots"][run["runId"]]
    run2 = runs[f"{prefix}-run-2"]
    assert "resourceId" not in clean(run2) and run2["createdAt"] == run2["updatedAt"]
    assert run2["snapshot"]["activePaths"] == [] and run2["snapshot"]["value"] == {"list": []}
    mastra_scores = {s["id"]: s for s in theirs["scores"]}
    assert sorted(mastra_scores) == sorted(s["id"] for s in ours["scores"])
    for score in ours["scores"]:
        _same_fields(score, mastra_scores[score["id"]], SCORE_FIELDS, "score")
        _same_fields(score, theirs["scoresById"][score["id"]], SCORE_FIELDS, "score by id")
        _same_fields(score, ours["scoresById"][score["id"]], SCORE_FIELDS, "our score by id")
    by_label = {s["runId"].removeprefix(f"{prefix}-"): clean(s) for s in theirs["scores"]}
    for label, (value_in, value_out) in SCORE_READ_BACK.items():
        assert (by_label[label]["input"], by_label[label]["output"]) == (value_in, value_out)
        for unset in ("traceId", "spanId", "resourceId", "threadId", "metadata", "reason"):
            assert unset not in by_label[label], (label, unset)


async def _raw_items(store: DynamoDBStore, prefix: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The stored items of ``prefix``'s edge dataset, keyed by (entity, logical name) with the
    prefix replaced by ``P`` and the score's (possibly generated) id replaced by its label."""
    found = {}
    low = prefix.lower()
    for item in await store.table.scan_all():
        if item["pk"] == STATE_KEY["pk"]:  # ours: the resource index's state
            continue
        entity = item["__edb_e__"]
        name = str(item["runId"] if entity == "score" else item.get("run_id") or item["id"])
        if not name.lower().startswith(low):
            continue
        normal = {
            k: v.replace(prefix, "P").replace(low, "p") if isinstance(v, str) else v
            for k, v in item.items()
        }
        found[(entity, name.replace(prefix, "P"))] = normal
    return found


async def test_edge_dataset_both_ways_read_and_stored_alike(
    store: DynamoDBStore, mastra_harness: Harness
) -> None:
    """Mastra writes dataset A, we write the same records as dataset B; each app's read API
    returns the same fields for both, and the items hold the same attributes and values."""
    ts, py = _prefix(), _prefix()
    written = mastra_harness("write", store.table_name, ts)
    assert written["ok"] is True
    # @mastra/dynamodb 1.0.0 replaces a supplied score id with a random UUID, and cannot
    # store a score without input (its entity requires the attribute).
    assert all(i != f"{ts}-supplied-{label}" for label, i in written["scoreIds"].items())
    assert "error" in written["absentInput"]
    await _python_writes_edge_dataset(store, py)

    for prefix in (ts, py):
        _check_views(
            await _our_edge_view(store, prefix),
            _mastra_edge_view(mastra_harness, store.table_name, prefix),
            prefix,
            python_wrote=prefix == py,
        )

    # Our reads keep what we were given: supplied ids and insertion order for equal times.
    scores = await store.require_store("scores")
    memory = await store.require_store("memory")
    for label in SCORE_VALUES:
        assert await scores.get_score_by_id(f"{py}-supplied-{label}") is not None
    absent = await scores.get_score_by_id(f"{py}-supplied-absent")
    assert absent is not None and absent.input is None
    seen = _mastra_edge_view(mastra_harness, store.table_name, py)["scoresById"]
    assert "input" not in seen[f"{py}-supplied-absent"]  # not the string "null"
    page = await memory.list_messages(thread_id=f"{py}-bare", per_page=None)
    assert [m.id for m in page.items] == [f"{py}-eq-{s}" for s in "bac"]
    assert {m.type for m in page.items} == {None}  # as saved; Mastra reads "text"
    page = await memory.list_messages(thread_id=f"{ts}-bare", per_page=None)
    assert {m.type for m in page.items} == {"text"}  # as Mastra stored and reads it

    # Stored alike: the same attribute names and values, item for item (no NULLs anywhere).
    theirs, ours = await _raw_items(store, ts), await _raw_items(store, py)
    shared = sorted(set(theirs) & set(ours))
    assert len(shared) == 1 + 3 + 2 + 1 + len(SCORE_VALUES), shared
    for key in shared:
        a, b = theirs[key], ours[key]
        # Ours beyond Mastra's: seq, rev, untyped and the messages' resource index (gsi2).
        extra = {"seq", "rev", "untyped"} | ({"gsi2pk", "gsi2sk"} if key[0] == "message" else set())
        assert set(a) == set(b) - extra, (key, set(a) ^ set(b))
        for name in set(a) - _VOLATILE:
            if key[0] == "score" and (name in ("id", "pk", "createdAt") or name.endswith("sk")):
                continue  # Mastra generates the id and stamps a score with "now"
            assert a[name] == b[name], (key, name, a[name], b[name])
        assert all(v is not None for v in b.values()), key


def _score(**fields: Any) -> Score:
    payload = _score_payload("P", "x", "in", "out")
    values = {f.name: getattr(payload, f.name) for f in msgspec.structs.fields(payload)}
    return Score(**{**values, "id": "s1", "created_at": T1, **fields})


def test_score_json_attributes_use_the_release_encoding() -> None:
    """Strings are stored as they are, other values as JSON text, None as no attribute;
    reading parses only text that starts with ``{`` or ``[``."""
    item = conv.score_item(_score(input="hello", output="123", metadata={"m": 1}))
    assert (item["input"], item["output"], item["metadata"]) == ("hello", "123", '{"m":1}')
    item = conv.score_item(_score(input=None, output={"a": 1}, extract_step_result={"e": []}))
    assert "input" not in {k for k, v in item.items() if v is not None}
    assert (item["output"], item["extractStepResult"]) == ('{"a":1}', '{"e":[]}')
    assert conv.score_item(_score(input='{"a":1}'))["input"] == '{"a":1}'
    assert conv.score_item(_score(input=123))["input"] == "123"  # read back as "123"
    for stored, read in [
        ("123", "123"),
        ("null", "null"),
        ('"hello"', '"hello"'),
        ("hello", "hello"),
        ('{"a":1}', {"a": 1}),
        ("[1,2]", [1, 2]),
        ("{not json", "{not json"),
        ("", ""),
    ]:
        got = conv.score_from_item({**conv.score_item(_score()), "input": stored})
        assert got.input == read, stored
    assert (
        conv.score_from_item(
            {k: v for k, v in conv.score_item(_score()).items() if k != "input"}
        ).input
        is None
    )


def test_message_without_type_is_stored_as_text() -> None:
    message = Message(
        id="m1", thread_id="t1", role="user", created_at=T1, content=MessageContent.text("x")
    )
    item = conv.message_item(message, seq=1, updated_at="")
    assert (item["type"], item["untyped"]) == ("text", True)
    assert conv.message_from_item(item).type is None  # read back as saved
    typed = conv.message_item(_with_type(message, "v2"), seq=1, updated_at="")
    assert (typed["type"], typed["untyped"]) == ("v2", None)
    # Mastra's own items (no marker), and our item after Mastra set another type:
    assert conv.message_from_item({**item, "untyped": None}).type == "text"
    assert conv.message_from_item({**item, "type": "v2"}).type == "v2"


def _with_type(message: Message, kind: str) -> Message:
    return msgspec.structs.replace(message, type=kind)


async def test_supplied_score_id_is_kept_and_replaced_exactly(store: DynamoDBStore) -> None:
    scores = await store.require_store("scores")
    saved = await scores.save_score(_score_payload("P", "a", "in", "out"))
    assert saved.id == "P-supplied-a"
    again = await scores.save_score(
        msgspec.structs.replace(_score_payload("P", "a", "in2", "out"), score=0.9)
    )
    got = await scores.get_score_by_id("P-supplied-a")
    assert got is not None and (got.input, got.score) == ("in2", 0.9) == (again.input, 0.9)
    twin = msgspec.structs.replace(_score_payload("P", "a", "x", "y"), id="p-SUPPLIED-A")
    with pytest.raises(KeyCollisionError):
        await scores.save_score(twin)
    kept = await scores.get_score_by_id("P-supplied-a")
    assert kept is not None and kept.input == "in2"
    assert await scores.get_score_by_id("p-SUPPLIED-A") is None
