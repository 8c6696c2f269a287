"""Enumerate every record of a store, page by page, from a resume position.

Each domain is walked through its backend's queries in a stable order, with pages of at
most ``page_size`` rows and keyset positions (the sort key of the last row), so a
concurrent insert never shifts a page:

* threads by ``(created_at, id)`` ascending, each thread followed by its messages in
  ``(created_at, seq)`` order, so ids, timestamps and the insertion tie-break survive;
* resources through the backend's :class:`~mastra_storage.backend.SupportsResourceScan`
  capability; a backend without it yields the resources its threads point at (a resource
  without any thread is then invisible, and the copy says so);
* workflow runs newest first, by ``(created_at, run_id)``;
* scores through the backend's :class:`~mastra_storage.backend.SupportsScoreScan`
  capability (a walk of its keys) or else newest first by ``(created_at, id)``;
* traces by ``(started_at, trace_id)`` ascending (new traces land at the end), each with
  all its spans.

Every query asks for ``limit + 1`` rows and no count (the paging contract of
:mod:`mastra_storage.backend.paging`), never for "everything". Only a core domain store
(composed over a backend) can be enumerated; a custom domain object is refused with
:class:`~mastra_storage.errors.ConfigurationError`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any, TypeVar

import msgspec

from ..backend.capabilities import SupportsResourceScan, SupportsScoreScan
from ..backend.memory import MessageQuery, ThreadQuery
from ..backend.observability import TraceFilter, TraceQuery
from ..backend.paging import PageKey, cut_page
from ..backend.scores import ScoreQuery
from ..backend.workflows import WorkflowRunQuery
from ..composite import MastraStorage
from ..domains.memory import MemoryStore
from ..domains.observability import ObservabilityStore
from ..domains.scores import ScoresStore
from ..domains.workflows import WorkflowsStore
from ..errors import ConfigurationError
from ..pagination import Cursor, Direction, ResolvedOrder
from ..records import Resource, Thread
from ..timeutil import from_epoch_ms, to_epoch_ms
from .batch import Batch

Notice = Callable[[str], None]
Batches = AsyncGenerator[Batch, None]
_ORDER = ResolvedOrder("created_at", "ASC")

D = TypeVar("D")


def _unsupported(domain: str, store: object) -> ConfigurationError:
    return ConfigurationError(
        f"the {domain} domain of this store ({type(store).__name__}) cannot be enumerated",
        id="MASTRA_STORAGE_TRANSFER_UNSUPPORTED",
        details={"domain": domain},
    )


async def _domain(store: MastraStorage, name: str, kind: type[D]) -> D | None:
    """The store's ``name`` domain (``None``: not configured); a domain that is not a core
    store over a backend cannot be walked by key."""
    domain = await store.get_store(name)
    if domain is None:
        return None
    if not isinstance(domain, kind):
        raise _unsupported(name, domain)
    return domain


def _position(key: PageKey, direction: Direction) -> Cursor:
    return Cursor(int(key[0]), key[1], direction, "")


async def scan_threads(
    memory: MemoryStore, page_size: int, after: list[Any] | None
) -> AsyncIterator[tuple[list[Thread], list[Any]]]:
    """Pages of threads after ``after`` (``[created ms, id]``), with the next position."""
    query = ThreadQuery(
        resource_id=None,
        metadata=None,
        order=_ORDER,
        offset=0,
        limit=page_size,
        after=None if after is None else Cursor(int(after[0]), str(after[1]), "ASC", ""),
        count=False,
    )
    while True:
        rows, _ = await memory.backend.query_threads(query)
        threads, more = cut_page(rows, page_size)
        if not threads:
            return
        key = query.key(threads[-1])
        yield threads, list(key)
        if not more:
            return
        query = msgspec.structs.replace(query, after=_position(key, "ASC"))


async def _thread_messages(memory: MemoryStore, thread: Thread, page_size: int) -> Batches:
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
        rows, more = cut_page((await memory.backend.query_messages(query)).page, page_size)
        if not rows:
            return
        last = rows[-1]
        after = Cursor(to_epoch_ms(last.message.created_at), last.seq, "ASC", "")
        yield Batch("message", [row.message for row in rows], thread=thread)
        if not more:
            return


async def scan_memory(store: MastraStorage, page_size: int, after: Any) -> Batches:
    """Thread pages, each followed by the messages of its threads; the thread page's key is
    only handed out (on the empty closing batch) once its messages were yielded."""
    memory = await _domain(store, "memory", MemoryStore)
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


async def scan_resources(
    store: MastraStorage, page_size: int, after: Any, notice: Notice
) -> Batches:
    memory = await _domain(store, "memory", MemoryStore)
    if memory is None:
        return
    backend = memory.backend
    if isinstance(backend, SupportsResourceScan):
        position: str | None = after
        while True:
            resources, position = await backend.scan_resources(position, page_size)
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
            resource = await backend.get_resource(resource_id)
            if resource is not None:
                found.append(resource)
        yield Batch("resource", found, key=key)


def _resume(after: Any, direction: Direction) -> tuple[Cursor | None, int]:
    """A checkpoint position as ``(cursor, offset)``: ``[ms, tie]`` continues by key; an
    offset (an int, or a digit string) left by an older copy continues by offset for the
    first page only, every later page by key."""
    if after is None:
        return None, 0
    if isinstance(after, list) and len(after) == 2 and isinstance(after[1], (int, str)):
        return _position((after[0], after[1]), direction), 0
    if isinstance(after, int) or (isinstance(after, str) and after.isdigit()):
        return None, int(after)
    raise ConfigurationError(
        "the checkpoint's position for this domain is not one this copy wrote",
        id="MASTRA_STORAGE_TRANSFER_BAD_CHECKPOINT",
    )


async def scan_workflows(store: MastraStorage, page_size: int, after: Any) -> Batches:
    domain = await _domain(store, "workflows", WorkflowsStore)
    if domain is None:
        return
    to_date = None
    if isinstance(after, list) and isinstance(after[1], int):
        # An older copy's ``[bound ms, runs seen at that ms]``: once more by offset.
        to_date, after = from_epoch_ms(int(after[0])), int(after[1])
    cursor, offset = _resume(after, "DESC")
    while True:
        query = WorkflowRunQuery(
            workflow_name=None,
            resource_id=None,
            status=None,
            from_date=None,
            to_date=to_date,
            offset=offset,
            limit=page_size,
            after=cursor,
            count=False,
        )
        rows, _ = await domain.backend.query_runs(query)
        runs, more = cut_page(rows, page_size)
        if not runs:
            return
        key = WorkflowRunQuery.key(runs[-1])
        yield Batch("workflow_run", runs, key=list(key))
        if not more:
            return
        cursor, offset, to_date = _position(key, "DESC"), 0, None


async def scan_scores(store: MastraStorage, page_size: int, after: Any) -> Batches:
    domain = await _domain(store, "scores", ScoresStore)
    if domain is None:
        return
    backend = domain.backend
    if isinstance(backend, SupportsScoreScan):
        position: str | None = after
        while True:
            scores, position = await backend.scan_scores(position, page_size)
            yield Batch("score", scores, key=position)
            if position is None:
                return
    cursor, offset = _resume(after, "DESC")
    while True:
        query = ScoreQuery(offset=offset, limit=page_size, after=cursor, count=False)
        rows, _ = await backend.query_scores(query)
        page, more = cut_page(rows, page_size)
        if not page:
            return
        key = ScoreQuery.key(page[-1])
        yield Batch("score", page, key=list(key))
        if not more:
            return
        cursor, offset = _position(key, "DESC"), 0


async def scan_spans(store: MastraStorage, page_size: int, after: Any) -> Batches:
    domain = await _domain(store, "observability", ObservabilityStore)
    if domain is None:
        return
    cursor, offset = _resume(after, "ASC")
    while True:
        query = TraceQuery(
            filter=TraceFilter(),
            started_range=None,
            ended_range=None,
            order_field="started_at",
            direction="ASC",
            offset=offset,
            limit=page_size,
            after=cursor,
            count=False,
        )
        rows, _ = await domain.backend.query_traces(query)
        roots, more = cut_page(rows, page_size)
        if not roots:
            return
        spans = []
        for root in roots:
            spans.extend(await domain.backend.get_trace_spans(root.trace_id))
        key = query.key(roots[-1])
        yield Batch("span", spans, key=list(key))
        if not more:
            return
        cursor, offset = _position(key, "ASC"), 0
