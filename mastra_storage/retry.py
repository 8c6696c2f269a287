"""Read-modify-write with version checks, retried until it wins.

Why: a plain load -> change -> persist loses whatever another writer stored in between
(Mastra users lost workflow state this way). :func:`update_with_retry` loads a value and
its version, computes the new value, writes it with ``expected_version`` and, when
another writer got there first (:class:`VersionConflictError`), waits a jittered backoff
and starts again from a fresh read. ``compute`` may therefore run several times: keep it
free of side effects. :func:`update_workflow_snapshot` and
:func:`update_resource_working_memory` apply it to the two versioned records.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from .errors import ValidationError, VersionConflictError
from .versioning import NEW

if TYPE_CHECKING:
    from .domains.memory import MemoryStore
    from .domains.workflows import WorkflowsStore
    from .records import Resource

S = TypeVar("S")
N = TypeVar("N")

DEFAULT_ATTEMPTS = 32
BACKOFF_BASE_S = 0.002
BACKOFF_CAP_S = 0.2

Snapshot = dict[str, Any] | str


async def update_with_retry(
    load: Callable[[], Awaitable[tuple[S, str]]],
    compute: Callable[[S], N | Awaitable[N]],
    store: Callable[[N, str], Awaitable[str]],
    *,
    attempts: int = DEFAULT_ATTEMPTS,
) -> tuple[N, str]:
    """``load() -> (state, version)``, ``compute(state)`` (sync or async), then
    ``store(new, version)`` which must raise :class:`VersionConflictError` when the stored
    version moved on; retried up to ``attempts`` times with full-jitter exponential backoff.
    Returns ``(new, new_version)``; after ``attempts`` lost races raises
    :class:`VersionConflictError` (id ``MASTRA_STORAGE_UPDATE_WITH_RETRY_CONTENDED``)."""
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
        raise ValidationError(
            f"attempts must be a positive integer, got {attempts!r}",
            id="MASTRA_STORAGE_UPDATE_WITH_RETRY_INVALID_ARGS",
        )
    last: VersionConflictError | None = None
    for attempt in range(attempts):
        if attempt:
            # Full jitter: writers that keep colliding drift apart instead of in lockstep.
            await anyio.sleep(random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt)))
        state, version = await load()
        result = compute(state)
        new: N = await result if inspect.isawaitable(result) else result
        try:
            return new, await store(new, version)
        except VersionConflictError as exc:
            last = exc
    raise VersionConflictError(
        f"gave up after {attempts} attempts: other writers kept changing the record",
        id="MASTRA_STORAGE_UPDATE_WITH_RETRY_CONTENDED",
        details={"attempts": attempts},
    ) from last


async def update_workflow_snapshot(
    store: WorkflowsStore,
    *,
    workflow_name: str,
    run_id: str,
    update: Callable[
        [Snapshot | None], Mapping[str, Any] | str | Awaitable[Mapping[str, Any] | str]
    ],
    resource_id: str | None = None,
    attempts: int = DEFAULT_ATTEMPTS,
) -> tuple[Snapshot, str]:
    """Replace a run's snapshot with ``update(current)`` (``None`` when the run does not
    exist yet) without losing concurrent writes. An existing run keeps its resource id;
    a new one gets ``resource_id``. Returns ``(snapshot, version)``."""
    stored_resource: list[str | None] = [resource_id]

    async def load() -> tuple[Snapshot | None, str]:
        run = await store.get_workflow_run_by_id(run_id, workflow_name=workflow_name)
        if run is None:
            stored_resource[0] = resource_id
            return None, NEW
        stored_resource[0] = run.resource_id
        return run.snapshot, run.version

    async def write(new: Mapping[str, Any] | str, version: str) -> str:
        return await store.persist_workflow_snapshot(
            workflow_name=workflow_name,
            run_id=run_id,
            snapshot=new,
            resource_id=stored_resource[0],
            expected_version=version,
        )

    result: tuple[Mapping[str, Any] | str, str] = await update_with_retry(
        load, update, write, attempts=attempts
    )
    new, version = result
    return (dict(new) if isinstance(new, Mapping) else new), version


async def update_resource_working_memory(
    store: MemoryStore,
    resource_id: str,
    update: Callable[[str | None], str | Awaitable[str]],
    *,
    attempts: int = DEFAULT_ATTEMPTS,
) -> Resource:
    """Replace a resource's working memory with ``update(current)`` without losing
    concurrent writes (creates the resource if needed). Returns the stored resource."""
    written: list[Resource] = []

    async def load() -> tuple[str | None, str]:
        resource = await store.get_resource_by_id(resource_id)
        if resource is None:
            return None, NEW
        return resource.working_memory, resource.version

    async def write(new: str, version: str) -> str:
        resource = await store.update_resource(
            resource_id, working_memory=new, expected_version=version
        )
        written.append(resource)
        return resource.version

    await update_with_retry(load, update, write, attempts=attempts)
    return written[-1]


__all__ = [
    "update_resource_working_memory",
    "update_with_retry",
    "update_workflow_snapshot",
]
