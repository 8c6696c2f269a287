"""One rule for unset fields (issue 16): ``to_dict`` omits ``None``; ``from_dict`` reads
``null`` like a missing key. ``Span`` is the documented exception."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from mastra_storage.errors import ValidationError
from mastra_storage.records import (
    Message,
    MessageContent,
    Record,
    Resource,
    Score,
    ScorePayload,
    Span,
    Thread,
    WorkflowRun,
)

NOW = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
_SCORE: dict[str, Any] = {
    "scorer_id": "s",
    "entity_id": "e",
    "run_id": "r",
    "score": 0.5,
    "scorer": {"id": "s"},
    "output": "out",
    "source": "LIVE",
}

MINIMAL: list[tuple[Record, set[str]]] = [
    (
        Thread(id="t", resource_id="r", created_at=NOW, updated_at=NOW),
        {"id", "resourceId", "title", "createdAt", "updatedAt"},
    ),
    (
        Message(id="m", role="user", created_at=NOW, content=MessageContent.text("hi")),
        {"id", "role", "createdAt", "content"},
    ),
    (Resource(id="r", created_at=NOW, updated_at=NOW), {"id", "createdAt", "updatedAt"}),
    (
        WorkflowRun(workflow_name="w", run_id="x", snapshot={}, created_at=NOW, updated_at=NOW),
        {"workflowName", "runId", "snapshot", "createdAt", "updatedAt"},
    ),
    (
        Score(id="i", created_at=NOW, **_SCORE),
        {"id", "createdAt", "scorerId", "entityId", "runId", "score", "scorer", "output", "source"},
    ),
    (
        ScorePayload(**_SCORE),
        {"scorerId", "entityId", "runId", "score", "scorer", "output", "source"},
    ),
]
_IDS = [type(record).__name__ for record, _ in MINIMAL]


@pytest.mark.parametrize(("record", "keys"), MINIMAL, ids=_IDS)
def test_to_dict_omits_unset_fields(record: Record, keys: set[str]) -> None:
    data = record.to_dict()
    assert set(data) == keys
    assert None not in data.values()


@pytest.mark.parametrize(("record", "keys"), MINIMAL, ids=_IDS)
def test_from_dict_reads_null_like_a_missing_key(record: Record, keys: set[str]) -> None:
    cls = type(record)
    names = {f: None for f in _optional_wire_names(cls) if f not in keys}
    assert names, "every record type has optional fields"
    assert cls.from_dict({**record.to_dict(), **names}) == record
    assert cls.from_dict(record.to_dict()) == record


def _optional_wire_names(cls: type[Record]) -> list[str]:
    import msgspec

    return [
        f.encode_name
        for f in msgspec.structs.fields(cls)
        if f.default is None and f.name not in ("extra",)
    ]


def test_thread_keeps_an_empty_title_and_set_metadata() -> None:
    thread = Thread(id="t", resource_id="r", created_at=NOW, updated_at=NOW, metadata={})
    assert thread.to_dict()["title"] == ""
    assert thread.to_dict()["metadata"] == {}


def test_span_is_the_exception_every_key_present() -> None:
    span = Span(trace_id="t", span_id="s", name="n", span_type="agent_run", started_at=NOW)
    data = span.to_dict()
    assert data["parentSpanId"] is None and data["endedAt"] is None and data["input"] is None


def test_score_payload_keeps_a_supplied_id_on_the_wire() -> None:
    payload = ScorePayload(id="fixed", **_SCORE)
    assert payload.to_dict()["id"] == "fixed"
    assert ScorePayload.from_dict(payload.to_dict()) == payload


@pytest.mark.parametrize("key", ["traceID", "createdAt", "projectId", "entity_id"])
def test_score_payload_from_dict_names_unknown_keys(key: str) -> None:
    wire = ScorePayload(**_SCORE).to_dict()
    with pytest.raises(ValidationError, match=key) as info:
        ScorePayload.from_dict({**wire, key: "x"})
    assert info.value.id == "MASTRA_STORAGE_INVALID_RECORD"


def test_score_from_dict_still_reads_unknown_keys_a_newer_mastra_stores() -> None:
    score = Score(id="i", created_at=NOW, **_SCORE)
    assert Score.from_dict({**score.to_dict(), "projectId": "p", "batchId": None}) == score
