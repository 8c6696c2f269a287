"""A small dataset touching every domain, and a dump of a store through the public API.

Ids carry separators and unicode, messages share timestamps (the insertion tie-break must
survive), content carries keys this SDK does not know. ``dump`` reads a store only
through the public domain methods, so it checks the transfer engine independently.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from mastra_storage import MastraStorage
from mastra_storage.pagination import OrderBy
from mastra_storage.records import Message, MessageContent, Resource, ScorePayload, Span, Thread

T0 = datetime(2026, 3, 1, 8, 30, 15, 123000, tzinfo=timezone.utc)
RESOURCES = ["user:λ/1#x", "user|β 2"]
THREADS = [("thr:1/λ", RESOURCES[0]), ("thr|2 ünï", RESOURCES[0]), ("thr#3", RESOURCES[1])]
RUNS = [("wf:λ", "run/1"), ("wf:λ", "run/2"), ("wf β", "run|3")]
TRACES = ["trace:1/λ", "trace|2"]


async def seed(store: MastraStorage) -> None:
    memory = await store.require_store("memory")
    for i, resource_id in enumerate(RESOURCES):
        await memory.save_resource(
            Resource(
                id=resource_id,
                working_memory=f"# Profil {i}\n- naam: Zoë 🚀\n- likes: 日本語",
                metadata={"tier": i, "nested": {"k": [1, "二"]}},
                created_at=T0 + timedelta(minutes=i),
                updated_at=T0 + timedelta(minutes=i, seconds=3),
            )
        )
    for n, (thread_id, resource_id) in enumerate(THREADS):
        start = T0 + timedelta(hours=n)
        await memory.save_thread(
            Thread(
                id=thread_id,
                resource_id=resource_id,
                title=f"Fil n°{n} — ✓",
                created_at=start,
                updated_at=start,
                metadata={"n": n, "tags": ["a", "ü"]} if n != 2 else None,
            )
        )
        messages = []
        for i in range(17 if n == 0 else 16):
            content = MessageContent.from_dict(
                {
                    "format": 2,
                    "parts": [{"type": "text", "text": f"msg {i} of {thread_id} ☃"}],
                    "content": f"msg {i}",
                    "futureKey": {"kept": [i, None, True]},
                }
            )
            messages.append(
                Message(
                    id=f"{thread_id}:m/{i}",
                    role="user" if i % 2 == 0 else "assistant",
                    # pairs of messages share a millisecond: the insertion order decides
                    created_at=start + timedelta(milliseconds=(i // 2) * 250 + 1),
                    thread_id=thread_id,
                    resource_id=resource_id,
                    type="text" if i % 3 else None,
                    content=content,
                )
            )
        # saved in reverse pairs so the tie-break differs from the id order
        order = [m for pair in zip(messages[1::2], messages[0::2], strict=False) for m in pair]
        if len(messages) % 2:
            order.append(messages[-1])
        await memory.save_messages(order)
    workflows = await store.require_store("workflows")
    for i, (name, run_id) in enumerate(RUNS):
        await workflows.persist_workflow_snapshot(
            workflow_name=name,
            run_id=run_id,
            snapshot={"runId": run_id, "status": "success", "value": {"ö": i}, "context": {}},
            resource_id=RESOURCES[i % 2] if i != 2 else None,
            created_at=T0 + timedelta(seconds=i if i < 2 else 1),
            updated_at=T0 + timedelta(seconds=10 + i),
        )
    scores = await store.require_store("scores")
    for i in range(3):
        await scores.save_score(
            ScorePayload(
                scorer_id=f"scorer:{i % 2}",
                entity_id="agent/λ",
                entity_type="AGENT",
                run_id=RUNS[i][1],
                score=0.25 * i,
                scorer={"name": "relevance"},
                output={"text": "réponse"},
                input=[{"q": "¿qué?"}],
                source="LIVE",
                metadata={"i": i},
                thread_id=THREADS[0][0],
                resource_id=RESOURCES[0],
            )
        )
    observability = await store.get_store("observability")
    if observability is not None:
        spans = []
        for t, trace_id in enumerate(TRACES):
            start = T0 + timedelta(minutes=5 * t)
            spans.append(_span(trace_id, "root", None, start, {"input": "ça"}))
            spans.append(_span(trace_id, "child:1", "root", start + timedelta(milliseconds=5), {}))
        await observability.batch_create_spans(spans)


def _span(trace: str, span: str, parent: str | None, at: datetime, attrs: dict[str, Any]) -> Span:
    return Span(
        trace_id=trace,
        span_id=span,
        parent_span_id=parent,
        name=f"{span} ✓",
        span_type="agent_run",
        started_at=at,
        ended_at=at + timedelta(milliseconds=40),
        attributes=attrs,
        metadata={"env": "test"},
    )


async def dump(store: MastraStorage, *, spans: bool = True) -> dict[str, Any]:
    """Every record of the dataset's keys, as wire dicts; messages in stored order."""
    memory = await store.require_store("memory")
    threads = (await memory.list_threads(per_page=None)).items
    out: dict[str, Any] = {"threads": sorted((t.to_dict() for t in threads), key=str)}
    asc = OrderBy(field="created_at", direction="ASC")
    out["messages"] = {
        t.id: [
            m.to_dict()
            for m in (await memory.list_messages(thread_id=t.id, per_page=None, order_by=asc))
        ]
        for t in threads
    }
    out["resources"] = [
        r.to_dict() if (r := await memory.get_resource_by_id(i)) else None for i in RESOURCES
    ]
    workflows = await store.require_store("workflows")
    runs = (await workflows.list_workflow_runs()).items
    out["runs"] = sorted((r.to_dict() for r in runs), key=str)
    scores = await store.require_store("scores")
    found = []
    for _, run_id in RUNS:
        found.extend((await scores.list_scores_by_run_id(run_id, per_page=None)).items)
    out["scores"] = sorted((s.to_dict() for s in found), key=str)
    observability = await store.get_store("observability")
    if spans and observability is not None:
        traces = [await observability.get_trace(t) for t in TRACES]
        out["spans"] = [
            sorted((s.to_dict() for s in trace.spans), key=str) if trace else None
            for trace in traces
        ]
    return out
