"""Enumerate every record of a store, page by page, from a resume position.

Each domain is walked in a stable order with pages of at most ``page_size`` rows:

* threads by ``(created_at, id)`` ascending through the adapters' keyset cursor
  (``_query_threads`` with ``after``), each thread followed by its messages in
  ``(created_at, seq)`` order (keyset too), so ids, timestamps and the insertion
  tie-break survive;
* resources through the optional ``_scan_resources(after_id, limit)`` primitive; a store
  without it yields the resources its threads point at (a resource without any thread is
  then invisible, and the copy says so);
* workflow runs newest first, keyset on ``created_at`` (``to_date`` bound plus the number
  of runs already seen at that exact millisecond);
* scores through the ``_scan_scores(position, limit)`` primitive (by default offset paging
  of the unfiltered score query, newest first, where a concurrent insert only repeats a
  row; DynamoDB and Upstash walk their keys instead);
* traces by ``started_at`` ascending (new traces land at the end), each with all its spans.

Only the domain-object primitives are used, never a "load everything" call.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

from ..composite import MastraStorage
from ..domains.memory import BaseMemoryStore, MessageQuery, ThreadQuery
from ..domains.observability import BaseObservabilityStore, TraceFilter, TraceQuery
from ..domains.scores import BaseScoresStore
from ..domains.workflows import BaseWorkflowsStore, WorkflowRunQuery
from ..errors import ConfigurationError
from ..pagination import Cursor, ResolvedOrder
from ..records import Resource, Thread
from ..timeutil import from_epoch_ms, to_epoch_ms
from .batch import Batch

Notice = Callable[[str], None]
Batches = AsyncGenerator[Batch, None]
_ORDER = ResolvedOrder("created_at", "ASC")


def _unsupported(domain: str, store: object) -> ConfigurationError:
    return ConfigurationError(
        f"the {domain} domain of this store ({type(store).__name__}) cannot be enumerated",
        id="MASTRA_STORAGE_TRANSFER_UNSUPPORTED",
        details={"domain": domain},
    )


async def _memory(store: MastraStorage) -> BaseMemoryStore | None:
    domain = await store.get_store("memory")
    if domain is not None and not isinstance(domain, BaseMemoryStore):
        raise _unsupported("memory", domain)
    return domain


async def scan_threads(
    memory: BaseMemoryStore, page_size: int, after: list[Any] | None
) -> AsyncIterator[tuple[list[Thread], list[Any]]]:
    """Pages of threads after ``after`` (``[created ms, id]``), with the next position."""
    while True:
        cursor = None if after is None else Cursor(int(after[0]), str(after[1]), "ASC", "")
        query = ThreadQuery(
            resource_id=None,
            metadata=None,
            order=_ORDER,
            offset=0,
            limit=page_size,
            after=cursor,
            count=False,
        )
        threads, _ = await memory._query_threads(query)
        threads = threads[:page_size]
        if not threads:
            return
        last = threads[-1]
        after = [to_epoch_ms(last.created_at), last.id]
        yield threads, after
        if len(threads) < page_size:
            return


async def _thread_messages(memory: BaseMemoryStore, thread: Thread, page_size: int) -> Batches:
    after: Cursor | None = None
    while True:
        query = MessageQuery(
            thread_ids=[thread.id],
            resource_id=None,
            date_range=None,
            descending=False,
            offset=0,
            limit=page_size,
            after=after,
            count=False,
            include=[],
        )
        rows = (await memory._query_messages(query)).page[:page_size]
        if not rows:
            return
        last = rows[-1]
        after = Cursor(to_epoch_ms(last.message.created_at), last.seq, "ASC", "")
        yield Batch("message", [row.message for row in rows], thread=thread)
        if len(rows) < page_size:
            return


async def scan_memory(store: MastraStorage, page_size: int, after: Any) -> Batches:
    """Thread pages, each followed by the messages of its threads; the thread page's key is
    only handed out (on the empty closing batch) once its messages were yielded."""
    memory = await _memory(store)
    if memory is None:
        return
    async for threads, key in scan_threads(memory, page_size, after):
        yield Batch("thread", threads)
        for thread in threads:
            wrote = False
            async for batch in _thread_messages(memory, thread, page_size):
                wrote = True
                yield batch
            if wrote:
                yield restore_thread(thread)
        yield Batch("thread", [], key=key)


def restore_thread(thread: Thread) -> Batch:
    """Re-write a thread after its messages: a store may move ``updated_at`` on a message
    write (MongoDB bumps it past the stored value), so the source's value is put back."""
    return Batch("thread", [thread], extra={"restore": True})


def has_resource_scan(memory: BaseMemoryStore) -> bool:
    """Whether the adapter implements the optional ``_scan_resources`` primitive."""
    return type(memory)._scan_resources is not BaseMemoryStore._scan_resources


async def scan_resources(
    store: MastraStorage, page_size: int, after: Any, notice: Notice
) -> Batches:
    memory = await _memory(store)
    if memory is None:
        return
    if has_resource_scan(memory):
        position: str | None = after
        while True:
            resources, position = await memory._scan_resources(position, page_size)
            yield Batch("resource", resources, key=position)
            if position is None:
                return
    notice(
        "resources: this store cannot list resources; copying the resources its threads "
        "belong to (a resource without threads is not copied)"
    )
    seen: set[str] = set()
    async for threads, key in scan_threads(memory, page_size, after):
        found: list[Resource] = []
        for resource_id in dict.fromkeys(t.resource_id for t in threads):
            if resource_id in seen:
                continue
            seen.add(resource_id)
            resource = await memory._get_resource(resource_id)
            if resource is not None:
                found.append(resource)
        yield Batch("resource", found, key=key)


async def scan_workflows(store: MastraStorage, page_size: int, after: Any) -> Batches:
    domain = await store.get_store("workflows")
    if domain is None:
        return
    if not isinstance(domain, BaseWorkflowsStore):
        raise _unsupported("workflows", domain)
    bound: int | None = None if after is None else int(after[0])
    skip = 0 if after is None else int(after[1])
    while True:
        query = WorkflowRunQuery(
            workflow_name=None,
            resource_id=None,
            status=None,
            from_date=None,
            to_date=None if bound is None else from_epoch_ms(bound),
            offset=skip,
            limit=page_size,
        )
        runs = (await domain._query_runs(query))[0][:page_size]
        if not runs:
            return
        last_ms = to_epoch_ms(runs[-1].created_at)
        at_last = sum(1 for run in runs if to_epoch_ms(run.created_at) == last_ms)
        skip = skip + at_last if last_ms == bound else at_last
        bound = last_ms
        yield Batch("workflow_run", runs, key=[bound, skip])
        if len(runs) < page_size:
            return


async def scan_scores(store: MastraStorage, page_size: int, after: Any) -> Batches:
    domain = await store.get_store("scores")
    if domain is None:
        return
    if not isinstance(domain, BaseScoresStore):
        raise _unsupported("scores", domain)
    position: str | None = after
    while True:
        scores, position = await domain._scan_scores(position, page_size)
        yield Batch("score", scores, key=position)
        if position is None:
            return


async def scan_spans(store: MastraStorage, page_size: int, after: Any) -> Batches:
    domain = await store.get_store("observability")
    if domain is None:
        return
    if not isinstance(domain, BaseObservabilityStore):
        raise _unsupported("observability", domain)
    offset = int(after or 0)
    while True:
        query = TraceQuery(
            filter=TraceFilter(),
            started_range=None,
            ended_range=None,
            order_field="started_at",
            direction="ASC",
            offset=offset,
            limit=page_size,
        )
        roots = (await domain._query_traces(query))[0][:page_size]
        if not roots:
            return
        offset += len(roots)
        spans = []
        for root in roots:
            spans.extend(await domain._get_trace_spans(root.trace_id))
        yield Batch("span", spans, key=offset)
        if len(roots) < page_size:
            return
