"""Records <-> DynamoDB items, attribute for attribute as ``@mastra/dynamodb`` writes them.

JSON-valued attributes (thread/resource ``metadata``, message ``content``, ``snapshot``,
the score's JSON fields) are JSON *strings*, timestamps are ISO strings
(``2024-01-01T00:00:00.000Z``), and keys come from :mod:`.keys`. Two attributes are ours:
``seq`` on messages (the insertion-order tie-break for equal ``createdAt``; Mastra-written
messages lack it and sort as 0) and ``rev`` (an optimistic-concurrency counter). ElectroDB
ignores attributes outside its schema, so Mastra reads these items unchanged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import msgspec

from mastra_storage.codec import dumps, parse_json_column
from mastra_storage.records import Message, MessageContent, Resource, Score, Thread, WorkflowRun
from mastra_storage.timeutil import parse_iso, to_iso

from . import keys

Item = dict[str, Any]


class _SeqClock:
    """Message ``seq``: microseconds since the epoch, strictly increasing in this process.

    A shared counter item would cost a write per append; a clock keeps insertion order
    within a process and across processes up to clock skew (ties then fall back to
    ``createdAt``, which is the contract's primary order anyway).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def next(self) -> int:
        with self._lock:
            value = max(time.time_ns() // 1000, self._last + 1)
            self._last = value
            return value


next_seq = _SeqClock().next


def _json_or_none(value: Any) -> str | None:
    return None if value is None else dumps(value)


def _dict_or_none(raw: Any) -> dict[str, Any] | None:
    value = parse_json_column(raw)
    return value if isinstance(value, dict) else None


# ---- threads -----------------------------------------------------------------------------


def thread_item(thread: Thread) -> Item:
    created = to_iso(thread.created_at)
    return {
        **keys.thread_key(thread.id),
        **keys.ownership("thread"),
        "id": thread.id,
        "resourceId": thread.resource_id,
        "title": thread.title,
        "metadata": _json_or_none(thread.metadata),
        "createdAt": created,
        "updatedAt": to_iso(thread.updated_at),
        "gsi1pk": keys.thread_gsi1pk(thread.resource_id),
        "gsi1sk": keys.created_sort_key("thread", created),
    }


def thread_from_item(item: Mapping[str, Any]) -> Thread:
    return Thread(
        id=item["id"],
        resource_id=item.get("resourceId", ""),
        title=item.get("title") or "",
        metadata=_dict_or_none(item.get("metadata")),
        created_at=parse_iso(item["createdAt"]),
        updated_at=parse_iso(item.get("updatedAt") or item["createdAt"]),
    )


# ---- messages ----------------------------------------------------------------------------


def message_fields(message: Message) -> Item:
    """Every attribute a save replaces (not ``createdAt``/``gsi1sk``/``seq``, kept on upsert)."""
    assert message.thread_id is not None
    return {
        **keys.ownership("message"),
        "id": message.id,
        "threadId": message.thread_id,
        "resourceId": message.resource_id,
        "role": message.role,
        "type": message.type,
        "content": dumps(message.content.to_dict()),
        "gsi1pk": keys.message_gsi1pk(message.thread_id),
    }


def message_item(message: Message, *, seq: int, updated_at: str) -> Item:
    created = to_iso(message.created_at)
    return {
        **keys.message_key(message.id),
        **message_fields(message),
        "createdAt": created,
        "updatedAt": updated_at,
        "gsi1sk": keys.created_sort_key("message", created),
        "seq": seq,
    }


def message_seq(item: Mapping[str, Any]) -> int:
    value = item.get("seq")
    return int(value) if isinstance(value, (int, float)) else 0


def message_from_item(item: Mapping[str, Any]) -> Message:
    raw = item.get("content")
    content: Any = parse_json_column(raw) if isinstance(raw, str) else raw
    if isinstance(content, str) or content is None:
        text = content or ""
        content = {"format": 2, "content": text, "parts": [{"type": "text", "text": text}]}
    return Message(
        id=item["id"],
        role=item.get("role", "user"),
        created_at=parse_iso(item["createdAt"]),
        thread_id=item.get("threadId"),
        resource_id=item.get("resourceId"),
        type=item.get("type"),
        content=MessageContent.from_dict(content),
    )


# ---- resources ---------------------------------------------------------------------------


def resource_item(resource: Resource) -> Item:
    return {
        **keys.resource_key(resource.id),
        **keys.ownership("resource"),
        "id": resource.id,
        "workingMemory": resource.working_memory,
        "metadata": _json_or_none(resource.metadata),
        "createdAt": to_iso(resource.created_at),
        "updatedAt": to_iso(resource.updated_at),
    }


def resource_from_item(item: Mapping[str, Any]) -> Resource:
    return Resource(
        id=item["id"],
        working_memory=item.get("workingMemory"),
        metadata=_dict_or_none(item.get("metadata")),
        created_at=parse_iso(item["createdAt"]),
        updated_at=parse_iso(item.get("updatedAt") or item["createdAt"]),
    )


# ---- workflow runs -----------------------------------------------------------------------


def run_item(run: WorkflowRun) -> Item:
    return {
        **keys.run_key(run.workflow_name, run.run_id),
        **keys.ownership("workflow_snapshot"),
        **keys.run_gsi2(run.workflow_name, run.run_id),
        "workflow_name": run.workflow_name,
        "run_id": run.run_id,
        "snapshot": dumps(run.snapshot),
        "resourceId": run.resource_id,
        "createdAt": to_iso(run.created_at),
        "updatedAt": to_iso(run.updated_at),
    }


def run_from_item(item: Mapping[str, Any]) -> WorkflowRun:
    snapshot = parse_json_column(item.get("snapshot"))
    return WorkflowRun(
        workflow_name=item["workflow_name"],
        run_id=item["run_id"],
        snapshot=snapshot if isinstance(snapshot, (dict, str)) else {},
        resource_id=item.get("resourceId") or None,
        created_at=parse_iso(item["createdAt"]),
        updated_at=parse_iso(item.get("updatedAt") or item["createdAt"]),
    )


# ---- scores ------------------------------------------------------------------------------

_SCORE_FIELDS = {f.name: f.encode_name for f in msgspec.structs.fields(Score)}
#: Score fields stored as JSON strings (``entity`` lives in ``entityData``, as in Mastra).
_SCORE_JSON = frozenset(
    {
        "scorer",
        "input",
        "output",
        "entity",
        "additional_context",
        "request_context",
        "extract_step_result",
        "analyze_step_result",
        "preprocess_step_result",
        "metadata",
    }
)
#: Optional ids Mastra stores as ``""`` when absent (every score GSI key is then defined).
_SCORE_BLANK = frozenset({"trace_id", "span_id", "resource_id", "thread_id"})
_SCORE_SKIP = frozenset({"id", "created_at", "updated_at"})


def _score_attribute(name: str) -> str:
    return "entityData" if name == "entity" else _SCORE_FIELDS[name]


def score_item(score: Score) -> Item:
    created = to_iso(score.created_at)
    item: Item = {
        **keys.score_key(score.id),
        **keys.ownership("score"),
        "id": score.id,
        "createdAt": created,
        "updatedAt": to_iso(score.updated_at or score.created_at),
    }
    for name in _SCORE_FIELDS:
        if name in _SCORE_SKIP:
            continue
        value = getattr(score, name)
        if name in _SCORE_JSON:
            value = dumps(value) if name in ("input", "output") or value is not None else None
        elif name in _SCORE_BLANK and value is None:
            value = ""
        item[_score_attribute(name)] = value
    for index, composite in keys.SCORE_INDEXES.items():
        item[f"{index}pk"] = keys.score_gsi_pk(index, [str(item[c] or "") for c in composite])
        item[f"{index}sk"] = keys.created_sort_key("score", created)
    return item


def score_from_item(item: Mapping[str, Any]) -> Score:
    values: dict[str, Any] = {
        "id": item["id"],
        "created_at": parse_iso(item["createdAt"]),
        "updated_at": parse_iso(item["updatedAt"]) if item.get("updatedAt") else None,
    }
    for name in _SCORE_FIELDS:
        if name in _SCORE_SKIP:
            continue
        raw = item.get(_score_attribute(name))
        if name in _SCORE_JSON:
            raw = parse_json_column(raw)
        elif name in _SCORE_BLANK and raw == "":
            raw = None
        elif name == "score" and raw is not None:
            raw = float(raw)
        values[name] = raw
    return Score(**values)


__all__ = [
    "message_fields",
    "message_from_item",
    "message_item",
    "message_seq",
    "next_seq",
    "resource_from_item",
    "resource_item",
    "run_from_item",
    "run_item",
    "score_from_item",
    "score_item",
    "thread_from_item",
    "thread_item",
]
