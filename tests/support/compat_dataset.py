"""The issue-16 cross-read dataset: supplied score ids, string / number-like / JSON-looking
score inputs and outputs, and unset optional fields on every record kind.

:func:`write_dataset` writes, through the SDK, the records that
``tests/compat/null_rule_dataset.mjs`` writes through Mastra's own API; :func:`read_dataset`
reads them back through the SDK in the shape that file's ``readDataset`` prints. A compat
test writes the dataset with each app into its own database and checks that each app's read
API returns the same for both databases, field by field (null and absent kept apart), and
what each backend stored (:func:`volatile_free` removes what differs between any two writes).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from mastra_storage.composite import MastraStorage
from mastra_storage.records import Message, MessageContent, Resource, ScorePayload, Thread

from .compat import Domains

__all__ = ["SCORE_IDS", "read_dataset", "volatile_free", "write_dataset"]

T1 = datetime(2024, 7, 1, 8, 0, 0, tzinfo=timezone.utc)
SCORE_IDS = ("ds-score-str", "ds-score-num", "ds-score-json", "ds-score-bare", "ds-score-over")
#: Fields a save sets to "now" (scores): equal in two databases only by accident.
_NOW_FIELDS = frozenset({"createdAt", "updatedAt"})


def _score(score_id: str, **fields: Any) -> ScorePayload:
    base: dict[str, Any] = {
        "id": score_id,
        "scorer_id": "ds-scorer",
        "entity_id": "ds-agent",
        "run_id": "ds-run",
        "source": "LIVE",
        "score": 0.5,
        "scorer": {"id": "ds-scorer"},
        "entity": {"id": "ds-agent"},
        "output": None,
    }
    return ScorePayload(**{**base, **fields})


async def write_dataset(store: MastraStorage) -> None:
    """The dataset, written through the SDK's public API."""
    d = Domains(store)
    await d.memory.save_thread(
        Thread(id="ds-thread", resource_id="ds-res", title="bare", created_at=T1, updated_at=T1)
    )
    await d.memory.save_messages(
        [
            Message(
                id="ds-m1",
                thread_id="ds-thread",
                resource_id="ds-res",
                role="user",
                created_at=T1 + timedelta(seconds=1),
                content=MessageContent(parts=[{"type": "text", "text": "a"}]),
            ),
            Message(
                id="ds-m2",
                thread_id="ds-thread",
                resource_id="ds-res",
                role="assistant",
                created_at=T1 + timedelta(seconds=1),
                content=MessageContent.text("b"),
            ),
        ]
    )
    await d.memory.save_resource(Resource(id="ds-res-bare", created_at=T1, updated_at=T1))
    await d.memory.save_resource(
        Resource(
            id="ds-res-full",
            working_memory="# wm",
            metadata={"k": 1},
            created_at=T1,
            updated_at=T1,
        )
    )
    await d.workflows.persist_workflow_snapshot(
        workflow_name="ds-wf",
        run_id="ds-run-bare",
        snapshot={
            "status": "success",
            "runId": "ds-run-bare",
            "context": {},
            "activePaths": [],
            "suspendedPaths": {},
            "serializedStepGraph": [],
            "value": {},
            "timestamp": 1719820800000,
        },
        created_at=T1,
        updated_at=T1,
    )
    save = d.scores.save_score
    await save(_score("ds-score-str", input="hello", output="world", reason="r"))
    await save(_score("ds-score-num", input="123", output=42))
    await save(_score("ds-score-json", input='{"a":1}', output="[1,2]", metadata={"m": 1}))
    await save(_score("ds-score-bare", output="x"))
    await save(_score("ds-score-over", input="first", output="first", reason="old", score=0.1))
    await save(_score("ds-score-over", output={"second": True}, score=0.9))


async def read_dataset(store: MastraStorage) -> dict[str, Any]:
    """The dataset as the SDK's read API returns it (``to_dict()``: unset fields absent)."""
    d = Domains(store)
    thread = await d.memory.get_thread_by_id("ds-thread")
    messages = await d.memory.list_messages(thread_id="ds-thread", per_page=None)
    resources = {
        rid: await d.memory.get_resource_by_id(rid) for rid in ("ds-res-bare", "ds-res-full")
    }
    run = await d.workflows.get_workflow_run_by_id("ds-run-bare", workflow_name="ds-wf")
    scores = {sid: await d.scores.get_score_by_id(sid) for sid in SCORE_IDS}
    return volatile_free(
        {
            "thread": None if thread is None else thread.to_dict(),
            "messages": [m.to_dict() for m in messages],
            "resources": {k: None if v is None else v.to_dict() for k, v in resources.items()},
            "run": None if run is None else run.to_dict(),
            "scores": {k: None if v is None else v.to_dict() for k, v in scores.items()},
        }
    )


def volatile_free(view: dict[str, Any]) -> dict[str, Any]:
    """``view`` with write-time timestamps (each score's, the thread's ``updatedAt``)
    replaced by whether they are set, without the thread's ``_id`` (Mastra's MongoDB read
    returns it), and messages keyed by id (two of them share a ``createdAt``)."""
    out = dict(view)
    thread = view["thread"]
    if isinstance(thread, dict):  # save_messages bumps it; Mastra's read shows its _id
        out["thread"] = {
            k: (v is not None) if k == "updatedAt" else v for k, v in thread.items() if k != "_id"
        }
    out["scores"] = {
        sid: None
        if score is None
        else {k: (v is not None) if k in _NOW_FIELDS else v for k, v in score.items()}
        for sid, score in view["scores"].items()
    }
    messages = view["messages"]
    if isinstance(messages, list):
        out["messages"] = {m["id"]: m for m in messages}
    return out
