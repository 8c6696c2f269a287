"""Shared helpers for the adapters' cross-read tests against Mastra's own npm packages.

Every adapter's compat test compares what Mastra reads with what we read: a node harness
(``tests/compat/mastra_<adapter>_harness.mjs``) prints Mastra's view of a database as JSON,
and :func:`our_view` computes the same shape through our store. Both sides must normalise
the same way (nulls dropped, fields Mastra does not model ignored), and both directions
write the same records (:func:`write_fixture`), so the logic lives here once; adapters
differ only through the parameters (``thread``, ``drop``, the ``write_fixture`` flags).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from mastra_storage.composite import MastraStorage
from mastra_storage.domains import (
    MemoryStore,
    ObservabilityStore,
    ScoresStore,
    WorkflowsStore,
)
from mastra_storage.records import (
    Message,
    MessageContent,
    Record,
    Resource,
    ScorePayload,
    Span,
    Thread,
)

from .node import mastra_npm_dir, run_node_harness

__all__ = [
    "T0",
    "UTC",
    "Domains",
    "Harness",
    "as_dict",
    "clean",
    "harness_runner",
    "mastra_view",
    "our_view",
    "pop_structured_output",
    "reply_in_mastra_thread",
    "span_dict",
    "write_fixture",
]

Harness = Callable[..., dict[str, Any]]
"""A conftest's ``mastra_harness`` fixture: runs the node harness, returns its parsed JSON."""

UTC = timezone.utc
T0 = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)

ThreadView = Callable[[dict[str, Any]], dict[str, Any]]


def harness_runner(
    harness: Path, packages: Sequence[str], *, env: Mapping[str, str] | None = None
) -> Harness:
    """The body of every conftest's ``mastra_harness`` fixture: installs (or finds) the
    npm ``packages`` once, then runs ``harness`` with the given arguments per call."""
    npm_dir = mastra_npm_dir(packages)
    extra = dict(env) if env is not None else None

    def run(*args: str, timeout: float = 180) -> dict[str, Any]:
        return run_node_harness(harness, npm_dir, *args, timeout=timeout, env=extra)

    return run


def clean(record: dict[str, Any]) -> dict[str, Any]:
    """A record dict without null top-level fields (absent and null mean the same)."""
    return {k: v for k, v in record.items() if v is not None}


def as_dict(record: Record) -> dict[str, Any]:
    return clean(record.to_dict())


def span_dict(span: Span) -> dict[str, Any]:
    return {**as_dict(span), "status": span.status}


def _same(thread: dict[str, Any]) -> dict[str, Any]:
    return thread


class Domains:
    """The four domains a compat test reads and writes, checked to be there."""

    def __init__(self, store: MastraStorage) -> None:
        memory, workflows = store.stores["memory"], store.stores["workflows"]
        scores, observability = store.stores["scores"], store.stores["observability"]
        assert isinstance(memory, MemoryStore)
        assert isinstance(workflows, WorkflowsStore)
        assert isinstance(scores, ScoresStore)
        assert isinstance(observability, ObservabilityStore)
        self.memory, self.workflows = memory, workflows
        self.scores, self.observability = scores, observability


async def our_view(
    store: MastraStorage,
    resource_ids: list[str],
    scorer_ids: list[str],
    *,
    thread: ThreadView = _same,
) -> Any:
    """What the harness' ``read`` prints, computed through our store.

    ``thread`` normalises each thread dict (the same function goes to :func:`mastra_view`).
    """
    d = Domains(store)
    threads = (await d.memory.list_threads(per_page=None)).items
    messages = {
        t.id: [as_dict(m) for m in (await d.memory.list_messages(thread_id=t.id, per_page=None))]
        for t in threads
    }
    resources: dict[str, Any] = {}
    for rid in resource_ids:
        resource = await d.memory.get_resource_by_id(rid)
        resources[rid] = None if resource is None else as_dict(resource)
    runs = await d.workflows.list_workflow_runs()
    scores = {
        sid: [as_dict(s) for s in await d.scores.list_scores_by_scorer_id(sid, per_page=None)]
        for sid in scorer_ids
    }
    traces = (await d.observability.list_traces(per_page=100)).items
    trace_spans = {}
    for root in traces:
        trace = await d.observability.get_trace(root.trace_id)
        assert trace is not None
        trace_spans[root.trace_id] = [as_dict(s) for s in trace.spans]
    return {
        "threads": [thread(as_dict(t)) for t in threads],
        "messages": messages,
        "resources": resources,
        "workflowRuns": {"runs": [as_dict(r) for r in runs.items], "total": runs.total},
        "scores": scores,
        "traces": [span_dict(s) for s in traces],
        "traceSpans": trace_spans,
    }


def mastra_view(
    data: dict[str, Any], *, drop: tuple[str, ...] = (), thread: ThreadView = _same
) -> Any:
    """The harness output with null fields dropped (and fields Mastra does not model);
    every section must have succeeded (no ``{"error": ...}`` in place of a record)."""

    def strip(record: Any) -> Any:
        if not isinstance(record, dict):
            return record
        assert set(record) != {"error"}, record
        return {k: v for k, v in clean(record).items() if k not in drop}

    return {
        "threads": [thread(strip(t)) for t in data["threads"]],
        "messages": {k: [strip(m) for m in v] for k, v in data["messages"].items()},
        "resources": {k: strip(v) for k, v in data["resources"].items()},
        "workflowRuns": {
            "runs": [strip(r) for r in data["workflowRuns"]["runs"]],
            "total": data["workflowRuns"]["total"],
        },
        "scores": {k: [strip(s) for s in v] for k, v in data["scores"].items()},
        "traces": [strip(s) for s in data["traces"]],
        "traceSpans": {k: [strip(s) for s in v] for k, v in data["traceSpans"].items()},
    }


def pop_structured_output(view: Any) -> None:
    """Remove ``structuredOutput`` from every score of :func:`our_view`'s result, checking
    it was ``True``: it is the one Score field Mastra has no column for."""
    for scores in view["scores"].values():
        for score in scores:
            assert score.pop("structuredOutput") is True


async def reply_in_mastra_thread(store: MastraStorage) -> Domains:
    """Mixed writers: append a Python reply to Mastra's ``ts-thread-1`` and set its metadata
    to ``{"py": True}``. Returns the store's :class:`Domains` for further writes."""
    d = Domains(store)
    await d.memory.save_messages(
        [
            Message(
                id="py-reply",
                role="assistant",
                created_at=datetime(2024, 5, 1, 10, 0, 4, tzinfo=UTC),
                thread_id="ts-thread-1",
                resource_id="ts-resource",
                content=MessageContent.text("reply from Python"),
            )
        ]
    )
    await d.memory.update_thread("ts-thread-1", metadata={"py": True})
    return d


async def write_fixture(
    store: MastraStorage, *, provider_metadata: bool = True, structured_output: bool = True
) -> None:
    """Write the ``py-*`` records that the harness' ``read`` then reads back through Mastra.

    ``provider_metadata`` puts ``providerMetadata`` in the second message's content;
    ``structured_output`` sets the score's ``structuredOutput`` (see
    :func:`pop_structured_output`).
    """
    d = Domains(store)
    await d.memory.save_thread(
        Thread(
            id="py-thread-1",
            resource_id="py-resource",
            title="Från Python ✓",
            metadata={"source": "py", "flag": True, "nested": {"a": [1, 2.5, None]}},
            created_at=T0,
            updated_at=T0,
        )
    )
    await d.memory.save_thread(
        Thread(
            id="py-thread-2",
            resource_id="py-resource",
            title="",
            created_at=T0 + timedelta(minutes=1),
            updated_at=T0 + timedelta(minutes=1),
        )
    )
    tool_content: dict[str, Any] = {
        "format": 2,
        "parts": [
            {"type": "text", "text": "calling a tool"},
            {
                "type": "tool-invocation",
                "toolInvocation": {
                    "state": "result",
                    "toolCallId": "c1",
                    "toolName": "weather",
                    "args": {"city": "Oslo"},
                    "result": {"temp": -3.5},
                },
            },
        ],
        "metadata": {"model": "x"},
    }
    if provider_metadata:
        tool_content["providerMetadata"] = {"openai": {"id": "r1"}}
    tool_content["someFutureKey"] = {"kept": True}
    contents = [
        MessageContent.text("Hello from Python"),
        MessageContent.from_dict(tool_content),
        MessageContent(parts=[{"type": "text", "text": "bye"}], content="bye", reasoning="r"),
    ]
    await d.memory.save_messages(
        [
            Message(
                id=f"py-msg-{i + 1}",
                role="assistant" if i == 1 else "user",
                created_at=T0 + timedelta(seconds=i + 1),
                thread_id="py-thread-1",
                resource_id="py-resource",
                type="v3" if i == 2 else None,
                content=content,
            )
            for i, content in enumerate(contents)
        ]
    )
    await d.memory.save_resource(
        Resource(
            id="py-resource",
            working_memory="# Notes\n- likes tea",
            metadata={"tier": "gold", "n": 3},
            created_at=T0,
            updated_at=T0,
        )
    )
    await d.workflows.persist_workflow_snapshot(
        workflow_name="py-wf",
        run_id="py-run",
        resource_id="py-resource",
        snapshot={
            "status": "success",
            "context": {"step1": {"status": "success", "output": {"x": 1}}},
            "runId": "py-run",
            "value": {},
            "activePaths": [],
            "timestamp": 1717243200000,
        },
        created_at=T0,
        updated_at=T0,
    )
    await d.scores.save_score(
        ScorePayload(
            scorer_id="py-scorer",
            entity_id="py-agent",
            entity_type="AGENT",
            run_id="py-run",
            score=0.25,
            scorer={"id": "py-scorer", "name": "n"},
            entity={"id": "py-agent"},
            input=[{"a": 1}],
            output={"text": "o"},
            source="LIVE",
            reason="ok",
            metadata={"m": [1]},
            analyze_step_result={"r": True},
            structured_output=True if structured_output else None,
            trace_id="py-trace",
            span_id="py-root",
        )
    )
    await d.observability.batch_create_spans(
        [
            Span(
                trace_id="py-trace",
                span_id="py-root",
                name="agent run",
                span_type="agent_run",
                started_at=T0,
                ended_at=T0 + timedelta(seconds=5),
                input="hello",
                output={"text": "hi"},
                tags=["prod", "py"],
                metadata={"k": "v"},
                attributes={"model": "x"},
                entity_type="agent",
                entity_id="py-agent",
                user_id="u1",
            ),
            Span(
                trace_id="py-trace",
                span_id="py-child",
                parent_span_id="py-root",
                name="tool",
                span_type="tool_call",
                is_event=True,
                started_at=T0 + timedelta(seconds=1),
                error={"message": "boom", "id": "E"},
            ),
            Span(
                trace_id="py-trace-2",
                span_id="py-root-2",
                name="still running",
                span_type="workflow_run",
                started_at=T0 + timedelta(seconds=10),
            ),
        ]
    )
