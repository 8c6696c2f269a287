"""Sample records for storage tests (the builders of Mastra's ``domains/*/data.ts``, spec 12.1).

Every builder returns a fresh, valid record with unique ids; keyword arguments override the
defaults. Default timestamps come from :func:`mastra_storage.timeutil.utc_now` (UTC,
millisecond precision, strictly increasing), so a later write's ``updated_at`` is strictly
greater than a sample's without sleeping.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..records import (
    Message,
    MessageContent,
    Resource,
    Role,
    ScorePayload,
    ScoreSource,
    Span,
    Thread,
)
from ..timeutil import UTC, to_epoch_ms, utc_now

#: A fixed instant for fixtures that need reproducible timestamps.
BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)


def uid(prefix: str = "") -> str:
    """A fresh unique id, optionally prefixed (``thread-…``, ``run-…``)."""
    value = str(uuid.uuid4())
    return f"{prefix}-{value}" if prefix else value


def at(
    base: datetime, *, days: float = 0, hours: float = 0, seconds: float = 0, ms: int = 0
) -> datetime:
    """``base`` shifted by days, hours, seconds and milliseconds."""
    return base + timedelta(days=days, hours=hours, seconds=seconds, milliseconds=ms)


def sample_thread(
    *,
    id: str | None = None,
    resource_id: str | None = None,
    date: datetime | None = None,
    **overrides: Any,
) -> Thread:
    """``createSampleThread``: title ``Test Thread``, metadata ``{"key": "value"}``."""
    when = date if date is not None else utc_now()
    fields: dict[str, Any] = {
        "id": id if id is not None else uid("thread"),
        "resource_id": resource_id if resource_id is not None else uid("resource"),
        "title": "Test Thread",
        "created_at": when,
        "updated_at": when,
        "metadata": {"key": "value"},
    }
    fields.update(overrides)
    return Thread(**fields)


def sample_message(
    *,
    thread_id: str | None = None,
    thread: Thread | None = None,
    resource_id: str | None = None,
    role: Role = "user",
    text: str | None = None,
    content: dict[str, Any] | None = None,
    created_at: datetime | None = None,
    id: str | None = None,
    type: str | None = None,
) -> Message:
    """``createSampleMessageV2``: a V2 message with one text part.

    ``thread`` supplies ``thread_id`` and ``resource_id`` when they are not given.
    ``content`` is merged over ``{format: 2, parts: [text part], content: text}``.
    """
    if thread is not None:
        thread_id = thread_id if thread_id is not None else thread.id
        resource_id = resource_id if resource_id is not None else thread.resource_id
    body = text if text is not None else f"Sample content {uuid.uuid4()}"
    raw: dict[str, Any] = {
        "format": 2,
        "parts": [{"type": "text", "text": body}],
        "content": body,
    }
    if content:
        raw.update(content)
    return Message(
        id=id if id is not None else uid(),
        role=role,
        created_at=created_at if created_at is not None else utc_now(),
        thread_id=thread_id,
        resource_id=resource_id if resource_id is not None else "test-resource",
        type=type,
        content=MessageContent.from_dict(raw),
    )


_DEFAULT_RESOURCE_METADATA: dict[str, Any] = {"key": "value", "test": True}


def sample_resource(
    *,
    id: str | None = None,
    date: datetime | None = None,
    **overrides: Any,
) -> Resource:
    """``createSampleResource``: working memory text and ``{"key": "value", "test": True}``."""
    when = date if date is not None else utc_now()
    fields: dict[str, Any] = {
        "id": id if id is not None else uid("resource"),
        "working_memory": "Sample working memory content",
        "metadata": dict(_DEFAULT_RESOURCE_METADATA),
        "created_at": when,
        "updated_at": when,
    }
    fields.update(overrides)
    return Resource(**fields)


@dataclass(frozen=True)
class SampleSnapshot:
    """What :func:`sample_workflow_snapshot` returns."""

    snapshot: dict[str, Any]
    run_id: str
    step_id: str


def sample_workflow_snapshot(
    status: str = "success", created_at: datetime | None = None
) -> SampleSnapshot:
    """``createSampleWorkflowSnapshot``: ``context[step_id]`` holds the step's ``status``."""
    run_id = uid("run")
    step_id = uid("step")
    ms = to_epoch_ms(created_at if created_at is not None else utc_now())
    snapshot: dict[str, Any] = {
        "runId": run_id,
        "status": status,
        "value": {},
        "context": {
            "input": {},
            step_id: {"status": status, "payload": {}, "startedAt": ms, "endedAt": ms},
        },
        "serializedStepGraph": [],
        "activePaths": [],
        "activeStepsPath": {},
        "suspendedPaths": {},
        "resumeLabels": {},
        "waitingPaths": {},
        "timestamp": ms,
    }
    return SampleSnapshot(snapshot=snapshot, run_id=run_id, step_id=step_id)


def sample_score(
    *,
    scorer_id: str | None = None,
    entity_id: str = "eval-agent",
    entity_type: str = "AGENT",
    source: ScoreSource = "LIVE",
    trace_id: str | None = None,
    span_id: str | None = None,
    run_id: str | None = None,
    **overrides: Any,
) -> ScorePayload:
    """``createSampleScore``: a full payload with ``score`` 0.8 and every JSON field set."""
    scorer = scorer_id if scorer_id is not None else uid("scorer")
    fields: dict[str, Any] = {
        "scorer_id": scorer,
        "entity_id": entity_id,
        "entity_type": entity_type,
        "run_id": run_id if run_id is not None else uid("run"),
        "score": 0.8,
        "scorer": {"id": scorer, "name": "my-eval", "description": "My eval"},
        "input": [{"id": uid(), "name": "input-1", "value": "Sample input"}],
        "output": {"text": "Sample output"},
        "source": source,
        "entity": {"id": entity_id, "name": "Sample entity"},
        "metadata": {"scorerVersion": "1.0.0", "customField": "test-value"},
        "request_context": {},
        "preprocess_step_result": {"text": "Sample preprocess step result"},
        "analyze_step_result": {"text": "Sample analyze step result"},
        "reason": "Sample reason",
        "trace_id": trace_id,
        "span_id": span_id,
    }
    fields.update(overrides)
    return ScorePayload(**fields)


def sample_span(**overrides: Any) -> Span:
    """``createSpan``: a finished root ``agent_run`` span started at :data:`BASE_TIME`.

    Every field not set here is null.
    """
    started = overrides.pop("started_at", BASE_TIME)
    fields: dict[str, Any] = {
        "trace_id": uid("trace"),
        "span_id": uid("span"),
        "name": "test-agent-run",
        "span_type": "agent_run",
        "is_event": False,
        "started_at": started,
        "ended_at": started + timedelta(seconds=1),
        "parent_span_id": None,
        "entity_type": "agent",
        "entity_id": "agent-1",
        "environment": "test",
        "source": "local",
        "service_name": "test-service",
    }
    fields.update(overrides)
    return Span(**fields)


class Samples:
    """The builders bundled as one object (what the ``mastra_samples`` fixture returns)."""

    base_time = BASE_TIME
    at = staticmethod(at)
    uid = staticmethod(uid)
    thread = staticmethod(sample_thread)
    message = staticmethod(sample_message)
    resource = staticmethod(sample_resource)
    workflow_snapshot = staticmethod(sample_workflow_snapshot)
    score = staticmethod(sample_score)
    span = staticmethod(sample_span)


__all__ = [
    "BASE_TIME",
    "SampleSnapshot",
    "Samples",
    "at",
    "sample_message",
    "sample_resource",
    "sample_score",
    "sample_span",
    "sample_thread",
    "sample_workflow_snapshot",
    "uid",
]
