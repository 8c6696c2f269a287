"""Observational memory cross-reads with Mastra's releases (``tests/compat/mastra_om_harness.mjs``).

Both directions build the same memories: :func:`write_ours` does through our API what the
harness's ``write`` does through Mastra's, and :func:`our_read` returns the shape of the
harness's ``read`` (histories newest first plus the current record of each key), so a
test compares the two JSON views with ``==`` after :func:`mastra_om_view`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from mastra_storage.domains.observational_memory import ObservationalMemoryStore
from mastra_storage.om_records import NewObservationChunk, ObservationalMemoryRecord
from mastra_storage.timeutil import parse_iso, to_iso

#: Record fields Mastra's OM readers do not return (they read neither column back).
NOT_MODELLED = frozenset({"lastReflectionAt", "bufferedMessageIds"})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def om_dict(record: ObservationalMemoryRecord | None) -> dict[str, Any] | None:
    """Every field of ``record`` under Mastra's names (defaults included), ``None`` dropped."""
    if record is None:
        return None
    out: dict[str, Any] = {}
    for field in msgspec.structs.fields(record):
        value = getattr(record, field.name)
        if value is None or field.encode_name in NOT_MODELLED:
            continue
        if field.name == "buffered_observation_chunks":
            value = [c.to_dict() for c in value]
        out[field.encode_name] = _plain(value)
    return out


def mastra_om_view(view: Any) -> Any:
    """The harness's JSON with ``null`` dropped (our records leave unset fields out)."""
    return _plain(view)


async def our_read(om: ObservationalMemoryStore, resource_id: str, thread_id: str) -> Any:
    """What the harness's ``read`` prints, through our store."""
    resource = await om.get_observational_memory_history(None, resource_id, 50)
    thread = await om.get_observational_memory_history(thread_id, resource_id, 50)
    current = {
        "resource": om_dict(await om.get_observational_memory(None, resource_id)),
        "thread": om_dict(await om.get_observational_memory(thread_id, resource_id)),
    }
    return {
        "resource": [om_dict(r) for r in resource],
        "thread": [om_dict(r) for r in thread],
        "current": {k: v for k, v in current.items() if v is not None},
    }


async def write_ours(om: ObservationalMemoryStore, resource_id: str, thread_id: str) -> None:
    """The harness's ``write``, through our API."""
    record = await om.initialize_observational_memory(
        thread_id=None,
        resource_id=resource_id,
        scope="resource",
        config={"observationThreshold": 5000, "nested": {"reflection": {"tokens": 40000}}},
        observed_timezone="Europe/Paris",
    )
    await om.update_active_observations(
        id=record.id,
        observations="- line 1\n- line 2 🌍\n- line 3",
        token_count=120,
        last_observed_at=parse_iso("2024-05-01T10:00:00.123Z"),
        observed_message_ids=["m-1", "m-2"],
    )
    await om.set_observing_flag(record.id, True)
    await om.set_buffering_observation_flag(record.id, True, 4321)
    for n in (1, 2):
        await om.update_buffered_observations(
            id=record.id,
            chunk=NewObservationChunk(
                cycle_id=f"cycle-{n}",
                observations=f"buffered {n}",
                token_count=350,
                message_ids=[f"bm-{n}"],
                message_tokens=700,
                last_observed_at=parse_iso(f"2024-05-01T11:0{n}:00.000Z"),
                suggested_continuation=f"continue {n}",
                current_task=f"task {n}",
            ),
            last_buffered_at_time=parse_iso("2024-05-01T11:30:00.000Z"),
        )
    await om.set_pending_message_tokens(record.id, 1400)
    await om.swap_buffered_to_active(
        id=record.id, activation_ratio=0, message_tokens_threshold=1000, current_pending_tokens=1400
    )
    current = await om.get_observational_memory(None, resource_id)
    assert current is not None
    reflection = await om.create_reflection_generation(
        current_record=current, reflection="condensed reflection", token_count=30
    )
    await om.set_reflecting_flag(reflection.id, True)
    await om.update_buffered_reflection(
        id=reflection.id,
        reflection="buffered reflection",
        token_count=50,
        input_token_count=120,
        reflected_observation_line_count=1,
    )
    threaded = await om.initialize_observational_memory(
        thread_id=thread_id,
        resource_id=resource_id,
        scope="thread",
        config={"observationThreshold": 100},
    )
    await om.set_pending_message_tokens(threaded.id, 77)
    await om.set_buffering_reflection_flag(threaded.id, True)
    await om.update_buffered_observations(
        id=threaded.id,
        chunk=NewObservationChunk(
            cycle_id="thread-cycle",
            observations="thread chunk",
            token_count=10,
            message_ids=["tm-1", "tm-2"],
            message_tokens=20,
            last_observed_at=parse_iso("2024-05-02T00:00:00.000Z"),
        ),
    )


def check_written_shape(view: Any) -> None:
    """What both writers must have produced (so an empty read cannot pass as equal)."""
    resource = view["resource"]
    assert [r["originType"] for r in resource] == ["reflection", "initial"]
    initial = resource[1]
    assert initial["activeObservations"].endswith(
        "\n\n--- message boundary (2024-05-01T11:01:00.000Z) ---\n\nbuffered 1"
    )
    assert [c["cycleId"] for c in initial["bufferedObservationChunks"]] == ["cycle-2"]
    assert initial["observedMessageIds"] == ["m-1", "m-2"]
    assert (initial["observationTokenCount"], initial["pendingMessageTokens"]) == (470, 700)
    assert initial["isObserving"] is True and initial["lastBufferedAtTokens"] == 4321
    reflection = resource[0]
    assert reflection["bufferedReflection"] == "buffered reflection"
    assert reflection["bufferedReflectionInputTokens"] == 120
    assert reflection["generationCount"] == 1 and reflection["isReflecting"] is True
    thread = view["thread"]
    assert len(thread) == 1 and thread[0]["scope"] == "thread"
    assert thread[0]["bufferedObservationChunks"][0]["messageIds"] == ["tm-1", "tm-2"]
    assert view["current"]["resource"] == reflection


__all__ = [
    "NOT_MODELLED",
    "check_written_shape",
    "mastra_om_view",
    "om_dict",
    "our_read",
    "write_ours",
]
