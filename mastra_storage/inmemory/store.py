"""The in-memory reference store: the executable definition of behaviour.

One backend per domain (:mod:`mastra_storage.backend`), over one shared :class:`InMemoryDB`.
It is also the worked example of ``docs/writing-a-backend.md``: the paging, filtering and
cursor logic comes from the query types' reference executors, so what is left here is only
what storing records in dictionaries needs. Every method runs without an ``await`` in the
middle, so each one is atomic with respect to other tasks on the event loop. Records are
deep-copied on the way in and out: mutating a returned record never changes stored state.
"""

from __future__ import annotations

import copy
import itertools
from datetime import datetime
from typing import Any, TypeVar

from ..backend.capabilities import OMMutation
from ..backend.memory import (
    CloneBuilder,
    MemoryBackend,
    MessageMutation,
    MessageQuery,
    MessageQueryResult,
    ResourceMutation,
    StoredMessage,
    ThreadMutation,
    ThreadQuery,
    context_window,
    message_sort_key,
)
from ..backend.observability import ObservabilityBackend, SpanUpdate, TraceQuery
from ..backend.scores import ScoreQuery, ScoresBackend
from ..backend.workflows import RunMutation, WorkflowRunQuery, WorkflowsBackend
from ..codec import dumps, loads
from ..composite import MastraStorage
from ..domains.favorites import FavoritesStore
from ..domains.memory import MemoryStore
from ..domains.observability import ObservabilityStore
from ..domains.scores import ScoresStore
from ..domains.workflows import WorkflowsStore
from ..errors import ConflictError, NotFoundError
from ..favorites_records import Favorite
from ..om_records import ObservationalMemoryRecord, om_record_exists
from ..records import Message, Resource, Score, Span, Thread, WorkflowRun
from .editor import EditorTables, inmemory_editor_stores
from .evals import EvalsDB, evals_domains
from .favorites import FavoriteKey, InMemoryFavoritesBackend

T = TypeVar("T")


def _copy(value: T) -> T:
    return copy.deepcopy(value)


class InMemoryDB:
    """The shared state of one :class:`InMemoryStore` (all domains see the same data)."""

    def __init__(self) -> None:
        self.seq = itertools.count(1)
        self.threads: dict[str, Thread] = {}
        self.messages: dict[str, StoredMessage] = {}
        self.resources: dict[str, Resource] = {}
        self.runs: dict[tuple[str, str], tuple[WorkflowRun, int]] = {}
        self.scores: dict[str, tuple[Score, int]] = {}
        self.spans: dict[tuple[str, str], Span] = {}
        self.om: dict[str, ObservationalMemoryRecord] = {}
        self.editor: dict[str, EditorTables] = {}
        self.favorites: dict[FavoriteKey, Favorite] = {}


class InMemoryMemoryBackend(MemoryBackend):
    def __init__(self, db: InMemoryDB) -> None:
        self._db = db

    async def dangerously_clear_all(self) -> None:
        self._db.threads.clear()
        self._db.messages.clear()
        self._db.resources.clear()
        self._db.om.clear()

    async def get_thread(self, thread_id: str) -> Thread | None:
        return _copy(self._db.threads.get(thread_id))

    async def upsert_thread(self, thread: Thread) -> None:
        self._db.threads[thread.id] = _copy(thread)

    async def modify_thread(self, thread_id: str, mutate: ThreadMutation) -> Thread | None:
        current = self._db.threads.get(thread_id)
        if current is None:
            return None
        updated = mutate(_copy(current))
        self._db.threads[thread_id] = _copy(updated)
        return updated

    async def delete_thread(self, thread_id: str) -> None:
        self._db.threads.pop(thread_id, None)
        for message_id in [
            k for k, v in self._db.messages.items() if v.message.thread_id == thread_id
        ]:
            del self._db.messages[message_id]

    async def query_threads(self, query: ThreadQuery) -> tuple[list[Thread], int]:
        threads, total = query.execute(self._db.threads.values())
        return _copy(threads), total

    def _thread_messages(self, thread_id: str) -> list[StoredMessage]:
        return sorted(
            (m for m in self._db.messages.values() if m.message.thread_id == thread_id),
            key=message_sort_key,
        )

    async def query_messages(self, query: MessageQuery) -> MessageQueryResult:
        page, total = query.execute_page(self._db.messages.values())
        included: list[StoredMessage] = []
        for spec in query.include:
            target = self._db.messages.get(spec.id)
            if target is None or target.message.thread_id is None:
                continue
            included.extend(
                context_window(
                    self._thread_messages(target.message.thread_id),
                    spec.id,
                    spec.with_previous_messages,
                    spec.with_next_messages,
                )
            )
        return MessageQueryResult(page=_copy(page), total=total, included=_copy(included))

    async def query_resource_messages(self, query: MessageQuery) -> MessageQueryResult:
        """Resource-scoped messages (:class:`~mastra_storage.backend.SupportsResourceMessages`):
        the same executor, since the query's filter already selects by resource."""
        return await self.query_messages(query)

    async def get_messages(self, message_ids: list[str]) -> list[StoredMessage]:
        return _copy([self._db.messages[i] for i in message_ids if i in self._db.messages])

    async def save_messages(self, messages: list[Message], now: datetime) -> None:
        thread_ids = list(dict.fromkeys(m.thread_id for m in messages if m.thread_id))
        missing = [t for t in thread_ids if t not in self._db.threads]
        if missing:
            raise NotFoundError(
                f"Thread {missing[0]} not found",
                id="MASTRA_STORAGE_SAVE_MESSAGES_THREAD_NOT_FOUND",
                details={"thread_id": missing[0]},
            )
        for message in messages:
            existing = self._db.messages.get(message.id)
            if existing is None:
                stored = StoredMessage(_copy(message), next(self._db.seq))
            else:
                stored = StoredMessage(
                    _copy(message.replace(created_at=existing.message.created_at)), existing.seq
                )
            self._db.messages[message.id] = stored
        self._bump(thread_ids, now)

    def _bump(self, thread_ids: Any, now: datetime) -> None:
        for thread_id in thread_ids:
            thread = self._db.threads.get(thread_id)
            if thread is not None:
                self._db.threads[thread_id] = thread.replace(updated_at=max(now, thread.updated_at))

    async def modify_messages(
        self, message_ids: list[str], mutate: MessageMutation, now: datetime
    ) -> list[Message]:
        planned: list[tuple[StoredMessage, Message]] = []
        for message_id in message_ids:
            stored = self._db.messages.get(message_id)
            if stored is not None:
                updated = mutate(_copy(stored.message)).replace(
                    created_at=stored.message.created_at
                )
                planned.append((stored, updated))
        for _, updated in planned:
            if updated.thread_id not in self._db.threads:
                raise NotFoundError(
                    f"Thread {updated.thread_id} not found",
                    id="MASTRA_STORAGE_UPDATE_MESSAGES_THREAD_NOT_FOUND",
                    details={"thread_id": updated.thread_id},
                )
        touched: dict[str, None] = {}
        for stored, updated in planned:
            self._db.messages[updated.id] = StoredMessage(_copy(updated), stored.seq)
            touched.update(
                dict.fromkeys(t for t in (stored.message.thread_id, updated.thread_id) if t)
            )
        self._bump(touched, now)
        return [updated for _, updated in planned]

    async def delete_messages(self, message_ids: list[str], now: datetime) -> None:
        touched: dict[str, None] = {}
        for message_id in message_ids:
            stored = self._db.messages.pop(message_id, None)
            if stored is not None and stored.message.thread_id:
                touched[stored.message.thread_id] = None
        self._bump(touched, now)

    async def get_resource(self, resource_id: str) -> Resource | None:
        return _copy(self._db.resources.get(resource_id))

    async def upsert_resource(self, resource: Resource) -> None:
        self._db.resources[resource.id] = _copy(resource)

    async def delete_resource(self, resource_id: str) -> None:
        """Retention's optional primitive: remove the resource row itself."""
        self._db.resources.pop(resource_id, None)

    async def scan_resources(
        self, position: str | None, limit: int
    ) -> tuple[list[Resource], str | None]:
        ids = sorted(i for i in self._db.resources if position is None or i > position)[:limit]
        return [_copy(self._db.resources[i]) for i in ids], ids[-1] if len(ids) == limit else None

    async def modify_resource(self, resource_id: str, mutate: ResourceMutation) -> Resource:
        updated = mutate(_copy(self._db.resources.get(resource_id)))
        self._db.resources[resource_id] = _copy(updated)
        return updated

    async def clone_thread(
        self, source_thread_id: str, new_thread_id: str, build: CloneBuilder
    ) -> tuple[Thread, list[Message]] | None:
        source = self._db.threads.get(source_thread_id)
        if source is None:
            return None
        if new_thread_id in self._db.threads:
            raise ConflictError(
                f"Thread with id {new_thread_id} already exists",
                id="MASTRA_STORAGE_CLONE_THREAD_THREAD_EXISTS",
                details={"thread_id": new_thread_id},
            )
        messages = [m.message for m in self._thread_messages(source_thread_id)]
        thread, copies = build(_copy(source), _copy(messages))
        self._db.threads[thread.id] = _copy(thread)
        for message in copies:
            self._db.messages[message.id] = StoredMessage(_copy(message), next(self._db.seq))
        return thread, copies

    # ---- observational memory (SupportsObservationalMemory) -------------------------------

    async def insert_om_record(self, record: ObservationalMemoryRecord) -> None:
        if record.id in self._db.om:
            raise om_record_exists(record.id)
        self._db.om[record.id] = _copy(record)

    async def list_om_records(
        self, lookup_key: str, limit: int | None
    ) -> list[ObservationalMemoryRecord]:
        found = [r for r in self._db.om.values() if r.lookup_key == lookup_key]
        found.sort(key=lambda r: (r.generation_count, r.created_at), reverse=True)
        return _copy(found[:limit] if limit is not None else found)

    async def modify_om_record(
        self, record_id: str, mutate: OMMutation
    ) -> ObservationalMemoryRecord | None:
        current = self._db.om.get(record_id)
        if current is None:
            return None
        update = mutate(_copy(current))
        if update.new_generation is not None and update.new_generation.id in self._db.om:
            raise om_record_exists(update.new_generation.id)
        self._db.om[record_id] = _copy(update.record)
        if update.new_generation is not None:
            self._db.om[update.new_generation.id] = _copy(update.new_generation)
        return _copy(update.record)

    async def delete_om_records(self, lookup_key: str) -> None:
        for record_id in [k for k, r in self._db.om.items() if r.lookup_key == lookup_key]:
            del self._db.om[record_id]


class InMemoryWorkflowsBackend(WorkflowsBackend):
    def __init__(self, db: InMemoryDB) -> None:
        self._db = db

    async def dangerously_clear_all(self) -> None:
        self._db.runs.clear()

    def _store(self, run: WorkflowRun) -> None:
        key = (run.workflow_name, run.run_id)
        existing = self._db.runs.get(key)
        seq = existing[1] if existing else next(self._db.seq)
        # a JSON round trip mirrors what a database does to the snapshot
        snapshot = loads(dumps(run.snapshot)) if isinstance(run.snapshot, dict) else run.snapshot
        self._db.runs[key] = (run.replace(snapshot=snapshot), seq)

    async def upsert_run(self, run: WorkflowRun) -> None:
        existing = self._db.runs.get((run.workflow_name, run.run_id))
        if existing is not None:
            run = run.replace(created_at=existing[0].created_at)
        self._store(run)

    async def get_run(self, workflow_name: str, run_id: str) -> WorkflowRun | None:
        found = self._db.runs.get((workflow_name, run_id))
        return _copy(found[0]) if found else None

    async def modify_run(
        self, workflow_name: str, run_id: str, mutate: RunMutation
    ) -> WorkflowRun | None:
        found = self._db.runs.get((workflow_name, run_id))
        updated = mutate(_copy(found[0]) if found else None)
        if updated is not None:
            self._store(updated)
        return _copy(updated)

    def _ordered(self) -> list[WorkflowRun]:
        items = sorted(
            self._db.runs.values(), key=lambda r: (r[0].created_at, r[0].run_id), reverse=True
        )
        return [run for run, _ in items]

    async def query_runs(self, query: WorkflowRunQuery) -> tuple[list[WorkflowRun], int]:
        runs, total = query.execute(run for run, _ in self._db.runs.values())
        return _copy(runs), total

    async def find_run(self, run_id: str, workflow_name: str | None) -> WorkflowRun | None:
        for run in self._ordered():
            if run.run_id == run_id and (
                workflow_name is None or run.workflow_name == workflow_name
            ):
                return _copy(run)
        return None

    async def delete_run(self, run_id: str, workflow_name: str) -> None:
        self._db.runs.pop((workflow_name, run_id), None)


class InMemoryScoresBackend(ScoresBackend):
    def __init__(self, db: InMemoryDB) -> None:
        self._db = db

    async def dangerously_clear_all(self) -> None:
        self._db.scores.clear()

    async def insert_score(self, score: Score) -> None:
        if score.id in self._db.scores:
            raise ConflictError(
                f"Score {score.id} already exists",
                id="MASTRA_STORAGE_SAVE_SCORE_EXISTS",
                details={"score_id": score.id},
            )
        self._db.scores[score.id] = (_copy(score), next(self._db.seq))

    async def get_score(self, score_id: str) -> Score | None:
        found = self._db.scores.get(score_id)
        return _copy(found[0]) if found else None

    async def query_scores(self, query: ScoreQuery) -> tuple[list[Score], int]:
        scores, total = query.execute(score for score, _ in self._db.scores.values())
        return _copy(scores), total

    async def upsert_score(self, score: Score) -> None:
        existing = self._db.scores.get(score.id)
        seq = existing[1] if existing else next(self._db.seq)
        self._db.scores[score.id] = (_copy(score), seq)


class InMemoryObservabilityBackend(ObservabilityBackend):
    def __init__(self, db: InMemoryDB) -> None:
        self._db = db

    async def dangerously_clear_all(self) -> None:
        self._db.spans.clear()

    async def upsert_spans(self, spans: list[Span]) -> None:
        for span in spans:
            key = (span.trace_id, span.span_id)
            existing = self._db.spans.get(key)
            if existing is not None:
                span = span.replace(created_at=existing.created_at)
            self._db.spans[key] = _copy(span)

    async def get_span(self, trace_id: str, span_id: str) -> Span | None:
        return _copy(self._db.spans.get((trace_id, span_id)))

    async def get_root_span(self, trace_id: str) -> Span | None:
        for span in self._db.spans.values():
            if span.trace_id == trace_id and span.parent_span_id is None:
                return _copy(span)
        return None

    async def get_trace_spans(self, trace_id: str) -> list[Span]:
        spans = [s for s in self._db.spans.values() if s.trace_id == trace_id]
        return _copy(sorted(spans, key=lambda s: (s.started_at, s.span_id)))

    async def update_spans(self, updates: list[SpanUpdate], now: datetime) -> None:
        for update in updates:
            key = (update.trace_id, update.span_id)
            span = self._db.spans.get(key)
            if span is not None:
                self._db.spans[key] = _copy(span.replace(**update.changes, updated_at=now))

    async def delete_traces(self, trace_ids: list[str]) -> None:
        wanted = set(trace_ids)
        for key in [k for k in self._db.spans if k[0] in wanted]:
            del self._db.spans[key]

    async def query_traces(self, query: TraceQuery) -> tuple[list[Span], int]:
        errored = {s.trace_id for s in self._db.spans.values() if s.error is not None}
        roots = (s for s in self._db.spans.values() if s.parent_span_id is None)
        page, total = query.execute(roots, errored)
        return _copy(page), total


class InMemoryStore(MastraStorage):
    """Every domain, in process memory. Data lives as long as the object."""

    name = "InMemoryStore"

    def __init__(self, *, id: str = "in-memory", disable_init: bool = False) -> None:
        super().__init__(id=id, disable_init=disable_init)
        self.db = InMemoryDB()
        self.evals = EvalsDB()
        self.stores = {
            "memory": MemoryStore(InMemoryMemoryBackend(self.db)),
            "workflows": WorkflowsStore(InMemoryWorkflowsBackend(self.db)),
            "scores": ScoresStore(InMemoryScoresBackend(self.db)),
            "observability": ObservabilityStore(InMemoryObservabilityBackend(self.db)),
            **inmemory_editor_stores(self.db.editor, self.db.favorites),
            "favorites": FavoritesStore(
                InMemoryFavoritesBackend(self.db.favorites, self.db.editor)
            ),
            **evals_domains(self.evals),
        }

    @classmethod
    def from_url(cls, url: str, **options: Any) -> InMemoryStore:
        """``memory://`` (anything after the scheme is ignored)."""
        return cls(**options)


__all__ = [
    "InMemoryDB",
    "InMemoryMemoryBackend",
    "InMemoryObservabilityBackend",
    "InMemoryScoresBackend",
    "InMemoryStore",
    "InMemoryWorkflowsBackend",
]
