"""Composite age-based retention: ``storage.prune(policies)`` over every domain.

A policy per kind of record says how old is too old (``max_age``, or an exact ``before``)
and how many records one batch deletes (``batch_size``). Each kind is pruned in batches of
at most ``batch_size`` records, each batch one short call on its domain (so a long prune
never holds one transaction or one deadline), until a batch comes back short. The result is
one :class:`PruneResult` per table; ``done=False`` means the run stopped early
(``max_batches``, ``max_rows`` or ``cancel``) and running it again continues: nothing is
remembered between runs, each batch re-reads what is still too old.

Kinds (policy keys) and what one batch deletes:

* ``threads`` (memory): threads last updated before the cutoff, each with its messages.
* ``messages`` (memory): messages created before the cutoff, in threads that stay.
* ``workflow_runs`` (workflows): runs last updated before the cutoff (optionally only some
  statuses).
* ``traces`` (observability): traces whose root span started before the cutoff, whole.
* ``experiments`` (experiments): experiments completed before the cutoff with their results
  (a running experiment is never pruned), one atomic unit per batch.

Dataset items are versioned history that experiments point at, so they are not pruned by
age (delete a dataset to remove it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec

from .domains.observability import MAX_TRACES_PER_PAGE, TraceFilter
from .errors import NotSupportedError, ValidationError
from .pagination import DateRange, OrderBy
from .retention import resolve_cutoff
from .timeutil import utc_now

if TYPE_CHECKING:
    from .composite import MastraStorage

DEFAULT_PRUNE_BATCH_SIZE = 500
MAX_PRUNE_BATCH_SIZE = 10_000

#: Policy key -> (domain, tables it deletes from, the first being the one it counts).
PRUNE_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "threads": ("memory", ("mastra_threads",)),
    "messages": ("memory", ("mastra_messages",)),
    "workflow_runs": ("workflows", ("mastra_workflow_snapshot",)),
    "traces": ("observability", ("mastra_ai_spans",)),
    "experiments": ("experiments", ("mastra_experiments", "mastra_experiment_results")),
}


class PrunePolicy(msgspec.Struct, kw_only=True, frozen=True):
    """How old is too old for one kind: ``max_age`` (before now) or ``before`` (an aware
    instant), and the records per batch."""

    max_age: timedelta | None = None
    before: datetime | None = None
    batch_size: int = DEFAULT_PRUNE_BATCH_SIZE


class PruneResult(msgspec.Struct, kw_only=True):
    """What one table lost; ``done=False``: stopped early, run the prune again."""

    domain: str
    table: str
    deleted: int
    done: bool


#: One batch: ``(cutoff, limit) -> counts per table`` (the first table's count decides
#: whether the batch was full).
Batch = Callable[[datetime, int], Awaitable[tuple[int, ...]]]


def _policy(key: str, value: Any) -> PrunePolicy:
    if isinstance(value, Mapping):
        try:
            value = msgspec.convert(dict(value), PrunePolicy, strict=False)
        except msgspec.ValidationError as exc:
            raise ValidationError(
                f"prune policy {key!r}: {exc}", id="MASTRA_STORAGE_PRUNE_INVALID_POLICY"
            ) from None
    if not isinstance(value, PrunePolicy):
        raise ValidationError(
            f"prune policy {key!r} must be a PrunePolicy or a mapping",
            id="MASTRA_STORAGE_PRUNE_INVALID_POLICY",
        )
    if (value.max_age is None) == (value.before is None):
        raise ValidationError(
            f"prune policy {key!r} needs exactly one of max_age and before",
            id="MASTRA_STORAGE_PRUNE_INVALID_POLICY",
        )
    size = value.batch_size
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PRUNE_BATCH_SIZE:
        raise ValidationError(
            f"prune policy {key!r}: batch_size must be an int from 1 to {MAX_PRUNE_BATCH_SIZE}",
            id="MASTRA_STORAGE_PRUNE_INVALID_POLICY",
        )
    return value


def _positive(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(
            f"{name} must be a positive int or None", id="MASTRA_STORAGE_PRUNE_INVALID_OPTIONS"
        )
    return value


async def prune_storage(
    storage: MastraStorage,
    policies: Mapping[str, PrunePolicy | Mapping[str, Any]],
    *,
    max_batches: int | None = None,
    max_rows: int | None = None,
    cancel: asyncio.Event | None = None,
    workflow_statuses: Sequence[str] | None = None,
    resource_id: str | None = None,
) -> list[PruneResult]:
    """Prune every kind named in ``policies`` (see the module docstring), in the order of
    :data:`PRUNE_KINDS`; one :class:`PruneResult` per table.

    ``max_batches`` and ``max_rows`` bound the work per kind; ``cancel`` (an
    :class:`asyncio.Event`) stops before the next batch. Either leaves ``done=False``.
    ``workflow_statuses`` keeps runs of other statuses; ``resource_id`` limits threads,
    messages, runs and traces to one resource. Everything is validated before any delete.

    :raises ValidationError: an unknown kind, a bad policy or option.
    :raises NotSupportedError: a kind whose domain the storage does not have.
    """
    unknown = sorted(set(policies) - set(PRUNE_KINDS))
    if unknown:
        raise ValidationError(
            f"unknown prune kinds {unknown}; known: {list(PRUNE_KINDS)}",
            id="MASTRA_STORAGE_PRUNE_INVALID_POLICY",
        )
    checked = {k: _policy(k, v) for k, v in policies.items()}
    batches_cap = _positive(max_batches, "max_batches")
    rows_cap = _positive(max_rows, "max_rows")
    if cancel is not None and not isinstance(cancel, asyncio.Event):
        raise ValidationError(
            "cancel must be an asyncio.Event", id="MASTRA_STORAGE_PRUNE_INVALID_OPTIONS"
        )
    if workflow_statuses is not None and (
        isinstance(workflow_statuses, str) or not all(isinstance(s, str) for s in workflow_statuses)
    ):
        raise ValidationError(
            "workflow_statuses must be a list of strings",
            id="MASTRA_STORAGE_PRUNE_INVALID_OPTIONS",
        )
    if resource_id is not None and (not isinstance(resource_id, str) or not resource_id):
        raise ValidationError(
            "resource_id must be a non-empty string", id="MASTRA_STORAGE_PRUNE_INVALID_OPTIONS"
        )
    now = utc_now()
    plan: list[tuple[str, datetime, PrunePolicy, Batch]] = []
    for kind, (domain_name, _) in PRUNE_KINDS.items():
        if kind not in checked:
            continue
        policy = checked[kind]
        cut = resolve_cutoff(policy.max_age or policy.before, now=now, name=f"{kind} cutoff")
        assert cut is not None  # _policy requires one of the two
        domain = await storage.get_store(domain_name)
        if domain is None:
            raise NotSupportedError(
                f"this store has no {domain_name} domain: {kind} cannot be pruned",
                id="MASTRA_STORAGE_PRUNE_DOMAIN_NOT_AVAILABLE",
                details={"domain": domain_name},
            )
        plan.append((kind, cut, policy, _batch(kind, domain, workflow_statuses, resource_id)))

    results: list[PruneResult] = []
    for kind, cut, policy, batch in plan:
        domain_name, tables = PRUNE_KINDS[kind]
        totals = [0] * len(tables)
        done = False
        batches = 0
        while True:
            if cancel is not None and cancel.is_set():
                break
            if batches_cap is not None and batches >= batches_cap:
                break
            limit = policy.batch_size
            if rows_cap is not None:
                if totals[0] >= rows_cap:
                    break
                limit = min(limit, rows_cap - totals[0])
            counts = await batch(cut, limit)
            batches += 1
            for i, n in enumerate(counts):
                totals[i] += n
            if counts[0] < limit:
                done = True
                break
        results.extend(
            PruneResult(domain=domain_name, table=t, deleted=n, done=done)
            for t, n in zip(tables, totals, strict=True)
        )
    return results


def _batch(
    kind: str, domain: Any, statuses: Sequence[str] | None, resource_id: str | None
) -> Batch:
    """One batch of ``kind`` over ``domain``'s public API (or its backend's primitive)."""
    wanted = set(statuses) if statuses is not None else None

    async def threads(cut: datetime, limit: int) -> tuple[int, ...]:
        page = await domain.list_threads(
            resource_id=resource_id,
            per_page=limit,
            order_by=OrderBy(field="updated_at", direction="ASC"),
        )
        old = [t.id for t in page.items if t.updated_at < cut]
        for thread_id in old:
            await domain.delete_thread(thread_id)
        return (len(old),)

    async def messages(cut: datetime, limit: int) -> tuple[int, ...]:
        # Threads are walked by cursor and only the ids of old messages kept; each batch
        # starts over, since what the previous one found is gone.
        found: list[str] = []
        cursor: str | None = None
        rng = DateRange(end=cut, end_exclusive=True)
        while len(found) < limit:
            page = await domain.list_threads(resource_id=resource_id, per_page=100, cursor=cursor)
            for thread in page.items:
                msgs = await domain.list_messages(
                    thread_id=thread.id,
                    per_page=limit - len(found),
                    date_range=rng,
                    include_total=False,
                )
                found.extend(m.id for m in msgs.items)
                if len(found) >= limit:
                    break
            cursor = page.next_cursor
            if not page.has_more or cursor is None:
                break
        if found:
            await domain.delete_messages(found[:limit])
        return (min(len(found), limit),)

    async def workflow_runs(cut: datetime, limit: int) -> tuple[int, ...]:
        old: list[tuple[str, str]] = []
        page_no = 0
        while len(old) < limit:
            page = await domain.list_workflow_runs(
                resource_id=resource_id, to_date=cut, page=page_no, per_page=limit
            )
            for run in page.items:
                status = run.snapshot.get("status") if isinstance(run.snapshot, dict) else None
                if run.updated_at < cut and (wanted is None or status in wanted):
                    old.append((run.workflow_name, run.run_id))
            if not page.has_more or not page.items:
                break
            page_no += 1
        for name, run_id in old[:limit]:
            await domain.delete_workflow_run_by_id(run_id, workflow_name=name)
        return (min(len(old), limit),)

    async def traces(cut: datetime, limit: int) -> tuple[int, ...]:
        flt = TraceFilter(
            started_at=DateRange(end=cut, end_exclusive=True), resource_id=resource_id
        )
        # ``list_traces`` pages at most MAX_TRACES_PER_PAGE roots: a batch larger than that
        # is several pages, each read from the start again (what it deleted is gone).
        deleted = 0
        while deleted < limit:
            page = await domain.list_traces(
                filter=flt,
                page=0,
                per_page=min(MAX_TRACES_PER_PAGE, limit - deleted),
                include_total=False,
            )
            ids = [span.trace_id for span in page.items]
            if not ids:
                break
            await domain.batch_delete_traces(ids)
            deleted += len(ids)
            if not page.has_more:
                break
        return (deleted,)

    async def experiments(cut: datetime, limit: int) -> tuple[int, ...]:
        parents, children = await domain.prune_experiments(cut, limit)
        return (parents, children)

    return {
        "threads": threads,
        "messages": messages,
        "workflow_runs": workflow_runs,
        "traces": traces,
        "experiments": experiments,
    }[kind]


__all__ = [
    "DEFAULT_PRUNE_BATCH_SIZE",
    "PRUNE_KINDS",
    "PrunePolicy",
    "PruneResult",
    "prune_storage",
]
