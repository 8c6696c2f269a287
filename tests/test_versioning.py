"""Unit tests of the version tokens (mastra_storage.versioning) and the retry helper."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mastra_storage.errors import ConflictError, ValidationError, VersionConflictError
from mastra_storage.records import Resource, WorkflowRun
from mastra_storage.retry import update_with_retry
from mastra_storage.versioning import (
    NEW,
    check_expected_version,
    check_version,
    next_updated_at,
    version_token,
)

T0 = datetime(2026, 11, 28, 6, 0, tzinfo=timezone.utc)


def test_token_depends_on_state_and_time_not_key_order() -> None:
    a = version_token(T0, {"x": 1, "y": [1, 2]})
    assert a == version_token(T0, {"y": [1, 2], "x": 1})
    assert a != version_token(T0, {"x": 2, "y": [1, 2]})
    assert a != version_token(T0 + timedelta(milliseconds=1), {"x": 1, "y": [1, 2]})
    assert version_token(T0, "{}") != version_token(T0, {})  # string vs object snapshot
    assert check_expected_version(a, operation="OP") == a


def test_token_names_numbers_by_value_as_backends_rewrite_them() -> None:
    """PostgreSQL jsonb returns 1e20 as an int; the token must not change on the way."""
    assert version_token(T0, {"a": 1e20, "b": 1.0}) == version_token(T0, {"a": 10**20, "b": 1})
    assert version_token(T0, {"a": 0.1}) != version_token(T0, {"a": 0.10000001})
    assert version_token(T0, {"a": 2**70}) != version_token(T0, {"a": 2**70 + 1})


def test_record_versions_ignore_created_at() -> None:
    run = WorkflowRun(workflow_name="w", run_id="r", snapshot={}, created_at=T0, updated_at=T0)
    assert run.version == run.replace(created_at=T0 - timedelta(days=1)).version
    assert run.version != run.replace(resource_id="u").version
    res = Resource(id="u", working_memory="a", created_at=T0, updated_at=T0)
    assert res.version != res.replace(working_memory="b").version
    assert res.version != res.replace(metadata={"k": 1}).version


def test_next_updated_at_always_moves_forward() -> None:
    assert next_updated_at(None, T0) == T0
    assert next_updated_at(T0, T0) == T0 + timedelta(milliseconds=1)
    assert next_updated_at(T0 + timedelta(seconds=5), T0) == T0 + timedelta(
        seconds=5, milliseconds=1
    )
    assert next_updated_at(T0, T0 + timedelta(seconds=1)) == T0 + timedelta(seconds=1)


@pytest.mark.parametrize("bad", [0, 1.5, b"1.0", "", "new ", "12.abc", "x.0123456789abcdef"])
def test_malformed_expected_versions_are_validation_errors(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        check_expected_version(bad, operation="PERSIST_WORKFLOW_SNAPSHOT")
    assert info.value.id == "MASTRA_STORAGE_PERSIST_WORKFLOW_SNAPSHOT_INVALID_ARGS"


def test_check_version_messages_and_details() -> None:
    token = version_token(T0, {})
    check_version(token, token, operation="OP")
    check_version(token, None, operation="OP")
    check_version(NEW, NEW, operation="OP")
    for stored, expected, text in (
        (token, NEW, "already exists"),
        (NEW, token, "no longer exists"),
        (version_token(T0, {"a": 1}), token, "another writer"),
    ):
        with pytest.raises(VersionConflictError, match=text) as info:
            check_version(stored, expected, operation="OP", details={"run_id": "r"})
        assert isinstance(info.value, ConflictError)
        assert info.value.id == "MASTRA_STORAGE_OP_VERSION_CONFLICT"
        assert info.value.details == {
            "run_id": "r",
            "expected_version": expected,
            "actual_version": stored,
        }


@pytest.mark.anyio
async def test_retry_rereads_after_a_conflict_and_gives_up_typed() -> None:
    state = {"value": 0, "version": "v0"}
    calls: list[int] = []

    async def load() -> tuple[int, str]:
        return state["value"], state["version"]  # type: ignore[return-value]

    async def store(new: int, version: str) -> str:
        if len(calls) < 2:  # someone else writes first, twice
            calls.append(new)
            state["value"], state["version"] = 10 * len(calls), f"other{len(calls)}"
            raise VersionConflictError("stale", id="X")
        assert version == state["version"]
        state["value"], state["version"] = new, "mine"
        return "mine"

    assert await update_with_retry(load, lambda v: v + 1, store) == (21, "mine")
    assert state["value"] == 21

    async def always_stale(new: int, version: str) -> str:
        raise VersionConflictError("stale", id="X")

    with pytest.raises(VersionConflictError) as info:
        await update_with_retry(load, lambda v: v + 1, always_stale, attempts=3)
    assert info.value.id == "MASTRA_STORAGE_UPDATE_WITH_RETRY_CONTENDED"
    assert isinstance(info.value.__cause__, VersionConflictError)
    with pytest.raises(ValidationError):
        await update_with_retry(load, lambda v: v + 1, store, attempts=0)


@pytest.mark.anyio
async def test_retry_accepts_async_compute_and_propagates_other_errors() -> None:
    async def load() -> tuple[int, str]:
        return 1, "v"

    async def compute(v: int) -> int:
        return v * 2

    async def store(new: int, version: str) -> str:
        return f"{new}"

    assert await update_with_retry(load, compute, store) == (2, "2")

    async def broken(new: int, version: str) -> str:
        raise ValidationError("bad", id="Y")

    with pytest.raises(ValidationError):
        await update_with_retry(load, compute, broken)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
