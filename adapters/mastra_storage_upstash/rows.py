"""Records <-> the JSON values ``@mastra/upstash`` 1.3.1 stores (one JSON string per key).

Mastra's REST client ``JSON.stringify``s objects on ``SET``: dates become ISO strings,
``undefined`` fields disappear. Quirks kept for compatibility: a message carries ``_index``
(its position in its ``saveMessages`` batch); a resource's ``metadata`` is itself a JSON
*string* inside the JSON; a workflow row nests the snapshot as an object.
"""

from __future__ import annotations

from typing import Any

from mastra_storage.codec import dumps, loads
from mastra_storage.errors import MastraStorageError
from mastra_storage.records import Message, Resource, Score, Thread, WorkflowRun
from mastra_storage.timeutil import parse_iso, utc_now

_EMPTY_CONTENT = {"format": 2, "parts": [{"type": "text", "text": ""}]}


def _json_field(value: Any) -> Any:
    """A field Mastra may have stored as a JSON string or as a value."""
    if isinstance(value, str):
        try:
            return loads(value)
        except MastraStorageError:
            return value
    return value


# ---- threads ----------------------------------------------------------------------------


def thread_to_json(thread: Thread) -> dict[str, Any]:
    """The thread as Mastra stores it: an unset field (``metadata``) has no key at all."""
    return {k: v for k, v in thread.to_dict().items() if v is not None}


def thread_from_json(data: dict[str, Any]) -> Thread:
    raw = dict(data)
    metadata = _json_field(raw.get("metadata"))
    raw["metadata"] = metadata if isinstance(metadata, dict) else None
    if raw.get("title") is None:
        raw["title"] = ""
    return Thread.from_dict(raw)


# ---- messages ---------------------------------------------------------------------------


def message_to_json(message: Message, index: int | None) -> dict[str, Any]:
    """The message as Mastra stores it: ``type`` only when the message has one (Mastra
    writes the message as given), ``_index`` its position in its ``saveMessages`` batch
    (``None``: no ``_index``, as Mastra's ``cloneThread`` writes its copies)."""
    data = {k: v for k, v in message.to_dict().items() if v is not None}
    if index is not None:
        data["_index"] = index
    return data


def message_from_json(data: dict[str, Any]) -> Message:
    raw = {k: v for k, v in data.items() if k != "_index"}
    if raw.get("type") in ("v2", None):  # "v2" is every backend's default: read as unset
        raw.pop("type", None)
    content = _json_field(raw.get("content"))
    raw["content"] = content if content else dict(_EMPTY_CONTENT)
    return Message.from_dict(raw)


# ---- resources --------------------------------------------------------------------------


def resource_to_json(resource: Resource) -> dict[str, Any]:
    data: dict[str, Any] = {"id": resource.id}
    if resource.working_memory is not None:
        data["workingMemory"] = resource.working_memory
    if resource.metadata is not None:
        data["metadata"] = dumps(resource.metadata)
    data["createdAt"] = resource.to_dict()["createdAt"]
    data["updatedAt"] = resource.to_dict()["updatedAt"]
    return data


def resource_from_json(data: dict[str, Any]) -> Resource:
    working_memory = data.get("workingMemory")
    if working_memory is not None and not isinstance(working_memory, str):
        working_memory = dumps(working_memory)
    metadata = _json_field(data.get("metadata"))
    return Resource(
        id=str(data["id"]),
        working_memory=working_memory,
        metadata=metadata if isinstance(metadata, dict) else None,
        created_at=parse_iso(data["createdAt"]) if data.get("createdAt") else utc_now(),
        updated_at=parse_iso(data["updatedAt"]) if data.get("updatedAt") else utc_now(),
    )


# ---- workflow runs ----------------------------------------------------------------------


def run_to_json(run: WorkflowRun) -> dict[str, Any]:
    data: dict[str, Any] = {
        "namespace": "workflows",
        "workflow_name": run.workflow_name,
        "run_id": run.run_id,
    }
    if run.resource_id is not None:
        data["resourceId"] = run.resource_id
    data["snapshot"] = run.snapshot
    iso = run.to_dict()
    data["createdAt"] = iso["createdAt"]
    data["updatedAt"] = iso["updatedAt"]
    return data


def run_from_json(data: dict[str, Any]) -> WorkflowRun:
    snapshot = data.get("snapshot")
    if isinstance(snapshot, str):
        snapshot = _json_field(snapshot)
    return WorkflowRun(
        workflow_name=str(data["workflow_name"]),
        run_id=str(data["run_id"]),
        snapshot=snapshot if isinstance(snapshot, (dict, str)) else {},
        resource_id=data.get("resourceId") or None,
        created_at=parse_iso(data["createdAt"]),
        updated_at=parse_iso(data.get("updatedAt") or data["createdAt"]),
    )


# ---- scores -----------------------------------------------------------------------------


def score_to_json(score: Score) -> dict[str, Any]:
    return score.to_dict()


def score_from_json(data: dict[str, Any]) -> Score:
    return Score.from_dict(data)


__all__ = [
    "message_from_json",
    "message_to_json",
    "resource_from_json",
    "resource_to_json",
    "run_from_json",
    "run_to_json",
    "score_from_json",
    "score_to_json",
    "thread_from_json",
    "thread_to_json",
]
