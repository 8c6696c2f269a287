"""Retention: prune data older than a cutoff, and delete everything of one resource.

Mastra's users could not expire old data (lessons file). This module is written once,
against the public domain APIs, so it works on every adapter: each kind is walked in pages
of ``batch_size`` (only ids are kept in memory) and deleted through the domain's own delete
methods, which are atomic per call where the backend allows (a thread with its messages).

Backends that expire natively (DynamoDB TTL, Redis EXPIRE) can be configured from the same
:class:`RetentionPolicy` via ``ttl=policy.ttl_config()``; the others need a
scheduled :func:`prune` (see ``docs/decisions.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec

from .backend.capabilities import SupportsResourceDelete
from .domains.memory import MemoryStore
from .domains.observability import TraceFilter
from .errors import NotSupportedError, ValidationError
from .pagination import DateRange, OrderBy
from .records import Resource
from .timeutil import normalize_datetime, utc_now

if TYPE_CHECKING:
    from .composite import MastraStorage
    from .memory.memory import Memory

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "RetentionPolicy",
    "RetentionResult",
    "delete_resource",
    "prune",
    "resolve_cutoff",
]

#: Rows per page read and per delete call.
DEFAULT_BATCH_SIZE = 100

Cutoff = datetime | timedelta


class RetentionPolicy(msgspec.Struct, kw_only=True, frozen=True):
    """How long each kind of data is kept (``None``: forever).

    One policy drives both :func:`prune` (``prune(storage, policy=...)``) and the native TTL
    options of the DynamoDB and Upstash adapters (``ttl=policy.ttl_config()``).
    """

    threads: timedelta | None = None
    messages: timedelta | None = None
    workflow_runs: timedelta | None = None
    traces: timedelta | None = None

    def __post_init__(self) -> None:
        for name in ("threads", "messages", "workflow_runs", "traces"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, timedelta) or value <= timedelta(0)):
                raise ValidationError(
                    f"RetentionPolicy.{name} must be a positive timedelta or None",
                    id="MASTRA_STORAGE_RETENTION_INVALID_POLICY",
                )

    def ttl_seconds(self) -> dict[str, int]:
        """Whole seconds per entity, in the adapters' TTL vocabulary (``thread``, ``message``,
        ``workflow_snapshot``); kinds kept forever are left out."""
        mapping = {
            "thread": self.threads,
            "message": self.messages,
            "workflow_snapshot": self.workflow_runs,
            "trace": self.traces,
        }
        return {k: max(1, int(v.total_seconds())) for k, v in mapping.items() if v is not None}

    def ttl_config(self) -> dict[str, dict[str, Any]]:
        """The ``ttl=`` option of ``DynamoDBStore`` and ``UpstashStore`` for this policy:
        ``DynamoDBStore(..., ttl=policy.ttl_config())`` makes the backend expire the data
        itself (a row expires ``ttl`` after its last write), so no scheduled prune is needed
        for the kinds the policy sets."""
        return {
            entity: {"enabled": True, "default_ttl_seconds": seconds}
            for entity, seconds in self.ttl_seconds().items()
        }


class RetentionResult(msgspec.Struct, kw_only=True):
    """What a :func:`prune` or :func:`delete_resource` deleted (or would delete, on a dry run)."""

    dry_run: bool
    threads: int = 0
    messages: int = 0
    workflow_runs: int = 0
    traces: int = 0
    resources: int = 0
    vectors_cleared: bool = False


def resolve_cutoff(value: Cutoff | None, *, now: datetime, name: str) -> datetime | None:
    """An aware UTC cutoff from an aware datetime or an age (``timedelta`` before ``now``)."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        if value <= timedelta(0):
            raise ValidationError(
                f"{name} must be a positive age", id="MASTRA_STORAGE_RETENTION_INVALID_CUTOFF"
            )
        try:
            return now - value
        except OverflowError:
            # Older than year 1: a typo (seconds for days?) rather than a real policy.
            raise ValidationError(
                f"{name} reaches before year 1 (age {value.days} days)",
                id="MASTRA_STORAGE_RETENTION_INVALID_CUTOFF",
            ) from None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError(
                f"{name} must be timezone-aware (a naive datetime is ambiguous)",
                id="MASTRA_STORAGE_RETENTION_INVALID_CUTOFF",
            )
        return normalize_datetime(value, field=name)
    raise ValidationError(
        f"{name} must be a datetime or a timedelta, not {type(value).__name__}",
        id="MASTRA_STORAGE_RETENTION_INVALID_CUTOFF",
    )


def _check_batch(batch_size: Any) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValidationError(
            "batch_size must be a positive int", id="MASTRA_STORAGE_RETENTION_INVALID_BATCH"
        )
    return batch_size


def _chunks(items: Sequence[Any], size: int) -> list[list[Any]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


async def prune(
    storage: MastraStorage,
    *,
    threads_older_than: Cutoff | None = None,
    messages_older_than: Cutoff | None = None,
    workflow_runs_older_than: Cutoff | None = None,
    workflow_statuses: Sequence[str] | None = None,
    traces_older_than: Cutoff | None = None,
    policy: RetentionPolicy | None = None,
    resource_id: str | None = None,
    memory: Memory | None = None,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> RetentionResult:
    """Delete what is older than the cutoffs; return the counts per kind.

    - threads whose ``updated_at`` is before ``threads_older_than``, with their messages;
    - messages whose ``created_at`` is before ``messages_older_than`` (in threads that stay);
    - workflow runs whose ``updated_at`` is before ``workflow_runs_older_than``, only those
      whose snapshot status is in ``workflow_statuses`` when given (e.g. finished runs);
    - traces (all their spans) whose root span started before ``traces_older_than``; a store
      without an observability domain raises ``NotSupportedError`` before deleting anything.

    A cutoff is an aware ``datetime`` or an age (``timedelta`` before now); ``policy`` fills
    the cutoffs not given. ``resource_id`` limits threads/messages/runs to one tenant.
    ``memory`` (a :class:`~mastra_storage.memory.Memory` over this storage) makes deletes go
    through it so the vectors of deleted messages go too. Validation happens before any I/O.
    """
    now = utc_now()
    if policy is not None and not isinstance(policy, RetentionPolicy):
        raise ValidationError(
            "policy must be a RetentionPolicy", id="MASTRA_STORAGE_RETENTION_INVALID_POLICY"
        )
    if policy is not None:
        threads_older_than = threads_older_than or policy.threads
        messages_older_than = messages_older_than or policy.messages
        workflow_runs_older_than = workflow_runs_older_than or policy.workflow_runs
        traces_older_than = traces_older_than or policy.traces
    thread_cut = resolve_cutoff(threads_older_than, now=now, name="threads_older_than")
    message_cut = resolve_cutoff(messages_older_than, now=now, name="messages_older_than")
    run_cut = resolve_cutoff(workflow_runs_older_than, now=now, name="workflow_runs_older_than")
    trace_cut = resolve_cutoff(traces_older_than, now=now, name="traces_older_than")
    size = _check_batch(batch_size)
    if workflow_statuses is not None and (
        isinstance(workflow_statuses, str) or not all(isinstance(s, str) for s in workflow_statuses)
    ):
        raise ValidationError(
            "workflow_statuses must be a list of strings",
            id="MASTRA_STORAGE_RETENTION_INVALID_STATUSES",
        )
    if resource_id is not None and (not isinstance(resource_id, str) or not resource_id):
        raise ValidationError(
            "resource_id must be a non-empty string", id="MASTRA_STORAGE_RETENTION_INVALID_ID"
        )
    if thread_cut is None and message_cut is None and run_cut is None and trace_cut is None:
        raise ValidationError(
            "prune needs at least one cutoff (threads, messages, workflow runs or traces)",
            id="MASTRA_STORAGE_RETENTION_NOTHING_TO_DO",
        )

    if trace_cut is not None and await storage.get_store("observability") is None:
        raise NotSupportedError(
            "this store has no observability domain: traces cannot be pruned",
            id="MASTRA_STORAGE_RETENTION_NO_OBSERVABILITY",
        )

    result = RetentionResult(dry_run=dry_run)
    if thread_cut is not None or message_cut is not None:
        await _prune_memory(
            storage, thread_cut, message_cut, resource_id, memory, dry_run, size, result
        )
    if run_cut is not None:
        runs = await _old_runs(storage, run_cut, workflow_statuses, resource_id, size)
        result.workflow_runs = len(runs)
        if not dry_run:
            workflows = await storage.require_store("workflows")
            for name, run_id in runs:
                await workflows.delete_workflow_run_by_id(run_id, workflow_name=name)
    if trace_cut is not None:
        traces = await _old_traces(storage, trace_cut, resource_id, size)
        result.traces = len(traces)
        if not dry_run:
            observability = await storage.require_store("observability")
            for chunk in _chunks(traces, size):
                await observability.batch_delete_traces(chunk)
    return result


async def _old_traces(
    storage: MastraStorage, cut: datetime, resource_id: str | None, size: int
) -> list[str]:
    """Ids of the traces whose root span started before ``cut`` (read page by page)."""
    observability = await storage.require_store("observability")
    flt = TraceFilter(started_at=DateRange(end=cut, end_exclusive=True), resource_id=resource_id)
    found: list[str] = []
    page_no = 0
    while True:
        page = await observability.list_traces(filter=flt, page=page_no, per_page=size)
        found.extend(span.trace_id for span in page.items)
        if not page.has_more or not page.items:
            return found
        page_no += 1


async def _thread_ids(
    storage: MastraStorage, resource_id: str | None, size: int
) -> list[tuple[str, datetime]]:
    """Every thread's (id, updated_at), oldest update first, read page by page."""
    store = await storage.require_store("memory")
    found: list[tuple[str, datetime]] = []
    cursor: str | None = None
    order = OrderBy(field="updated_at", direction="ASC")
    while True:
        page = await store.list_threads(
            resource_id=resource_id, per_page=size, order_by=order, cursor=cursor
        )
        found.extend((t.id, t.updated_at) for t in page.items)
        cursor = page.next_cursor
        if not page.has_more or cursor is None:
            return found


async def _prune_memory(
    storage: MastraStorage,
    thread_cut: datetime | None,
    message_cut: datetime | None,
    resource_id: str | None,
    memory: Memory | None,
    dry_run: bool,
    size: int,
    result: RetentionResult,
) -> None:
    store = await storage.require_store("memory")
    threads = await _thread_ids(storage, resource_id, size)
    for thread_id, updated_at in threads:
        if thread_cut is not None and updated_at < thread_cut:
            result.threads += 1
            result.messages += await _count_messages(storage, thread_id, None, size)
            if not dry_run:
                if memory is not None:
                    await memory.delete_thread(thread_id)
                else:
                    await store.delete_thread(thread_id)
            continue
        if message_cut is None:
            continue
        old = await _message_ids(storage, thread_id, message_cut, size)
        result.messages += len(old)
        if dry_run:
            continue
        for chunk in _chunks(old, size):
            if memory is not None:
                await memory.delete_messages(chunk)
            else:
                await store.delete_messages(chunk)
    if memory is not None and memory.vector is not None and not dry_run:
        result.vectors_cleared = True


async def _message_ids(
    storage: MastraStorage, thread_id: str, before: datetime | None, size: int
) -> list[str]:
    """Ids of the thread's messages created before ``before`` (all when ``None``)."""
    store = await storage.require_store("memory")
    rng = DateRange(end=before, end_exclusive=True) if before is not None else None
    found: list[str] = []
    cursor: str | None = None
    while True:
        page = await store.list_messages(
            thread_id=thread_id, per_page=size, date_range=rng, cursor=cursor
        )
        found.extend(m.id for m in page.items)
        cursor = page.next_cursor
        if not page.has_more or cursor is None:
            return found


async def _count_messages(
    storage: MastraStorage, thread_id: str, before: datetime | None, size: int
) -> int:
    store = await storage.require_store("memory")
    rng = DateRange(end=before, end_exclusive=True) if before is not None else None
    page = await store.list_messages(
        thread_id=thread_id, per_page=1, date_range=rng, include_total=True
    )
    assert page.total is not None  # include_total=True: the count is the point here
    return page.total


async def _old_runs(
    storage: MastraStorage,
    cut: datetime,
    statuses: Sequence[str] | None,
    resource_id: str | None,
    size: int,
) -> list[tuple[str, str]]:
    """(workflow_name, run_id) of runs last updated before ``cut``, optionally by status.

    ``list_workflow_runs`` filters on ``created_at``; a run last updated before ``cut`` was
    created before it too, so the runs created up to ``cut`` are read and the ``updated_at``
    test is applied here.
    """
    workflows = await storage.require_store("workflows")
    wanted = set(statuses) if statuses is not None else None
    found: list[tuple[str, str]] = []
    page_no = 0
    while True:
        page = await workflows.list_workflow_runs(
            resource_id=resource_id, to_date=cut, page=page_no, per_page=size
        )
        for run in page.items:
            if run.updated_at >= cut:
                continue
            status = run.snapshot.get("status") if isinstance(run.snapshot, dict) else None
            if wanted is not None and status not in wanted:
                continue
            found.append((run.workflow_name, run.run_id))
        if not page.has_more or not page.items:
            return found
        page_no += 1


def resource_remover(memory_domain: object) -> SupportsResourceDelete | None:
    """The memory domain's backend when it can delete a resource record; ``None`` for a
    backend without the capability or a custom memory domain (not a core store)."""
    if isinstance(memory_domain, MemoryStore) and isinstance(
        memory_domain.backend, SupportsResourceDelete
    ):
        return memory_domain.backend
    return None


async def delete_resource(
    storage: MastraStorage,
    resource_id: str,
    *,
    memory: Memory | None = None,
    include_workflow_runs: bool = True,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> RetentionResult:
    """Delete everything of one resource (a user leaving): its threads and their messages,
    its workflow runs, and its working memory; with ``memory``, the vectors too.

    The resource row itself is removed when the memory backend has the
    :class:`~mastra_storage.backend.SupportsResourceDelete` capability; otherwise it is
    overwritten with no working memory and no metadata (the data is gone, an empty row with
    the id remains). Scores are not touched: they belong to runs and evaluations, not to a
    user's conversation (docs/decisions.md). Other resources are never
    read for writing. Idempotent: a second call deletes nothing.
    """
    if not isinstance(resource_id, str) or not resource_id:
        raise ValidationError(
            "resource_id must be a non-empty string", id="MASTRA_STORAGE_RETENTION_INVALID_ID"
        )
    size = _check_batch(batch_size)
    store = await storage.require_store("memory")
    result = RetentionResult(dry_run=dry_run)
    threads = await _thread_ids(storage, resource_id, size)
    for thread_id, _ in threads:
        result.threads += 1
        result.messages += await _count_messages(storage, thread_id, None, size)
        if dry_run:
            continue
        if memory is not None:
            await memory.delete_thread(thread_id)
        else:
            await store.delete_thread(thread_id)
    if memory is not None and memory.vector is not None and not dry_run:
        result.vectors_cleared = True
    resource = await store.get_resource_by_id(resource_id)
    remover = resource_remover(store)
    has_data = resource is not None and (resource.working_memory is not None or resource.metadata)
    if resource is not None and (remover is not None or has_data):
        result.resources = 1
        if not dry_run:
            if remover is not None:
                await remover.delete_resource(resource_id)
            else:
                await store.save_resource(
                    Resource(
                        id=resource_id,
                        working_memory=None,
                        metadata=None,
                        created_at=resource.created_at,
                        updated_at=utc_now(),
                    )
                )
    if include_workflow_runs:
        workflows = await storage.get_store("workflows")
        if workflows is not None:
            runs: list[tuple[str, str]] = []
            page_no = 0
            while True:
                page = await workflows.list_workflow_runs(
                    resource_id=resource_id, page=page_no, per_page=size
                )
                runs.extend((r.workflow_name, r.run_id) for r in page.items)
                if not page.has_more or not page.items:
                    break
                page_no += 1
            result.workflow_runs = len(runs)
            if not dry_run:
                for name, run_id in runs:
                    await workflows.delete_workflow_run_by_id(run_id, workflow_name=name)
    return result
