"""A Hypothesis state machine comparing an adapter's memory domain with the reference store.

Random sequences of memory operations (threads, messages with duplicate ids and moves,
updates, deletes, resources, listings with random pages, orders, includes and date ranges)
run on the adapter under test and on :class:`mastra_storage.inmemory.InMemoryStore`; every
result must be identical (records compared through ``to_dict()``) and failing operations
must raise the same error type. After every step the complete memory state of both stores
is compared, so a failed operation that writes half a batch is caught too.

Ids come from small alphabets so collisions (upserts, moves, missing ids) are frequent, and
``created_at`` values come from a handful of fixed millisecond instants so equal timestamps
(and their insertion-order tie-break) are exercised all the time.

Hypothesis' state machines are synchronous: the machine owns a private event loop
(``asyncio.new_event_loop()``, closed in ``teardown``) and runs each async call on it.

Usage (an adapter's test module)::

    class TestMyStoreStateful(MemoryStatefulConformance):
        async def make_storage(self) -> MastraStorage:
            store = MyStore(...)          # initialised, empty, isolated
            await store.init()
            return store

Settings default to ``max_examples=25, stateful_step_count=30``; override them with the
environment variables ``MASTRA_STORAGE_STATEFUL_EXAMPLES`` / ``MASTRA_STORAGE_STATEFUL_STEPS``
(``MASTRA_STORAGE_STATEFUL_NO_SHRINK=1`` skips the slow shrinking of a failure) or the class
attribute ``hypothesis_settings``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ..composite import MastraStorage
from ..domains.memory import UNSET, IncludeSpec, MemoryStore
from ..pagination import DateRange, OrderBy, Page
from ..records import Message, MessageContent, MessageUpdate, Resource, Thread
from ..timeutil import UTC
from .conformance._base import DivergenceMixin, resource_scoped_queries

T = TypeVar("T")
StorageFactory = Callable[[], Awaitable[MastraStorage]]
StorageCleanup = Callable[[MastraStorage], Awaitable[None]]

ENV_EXAMPLES = "MASTRA_STORAGE_STATEFUL_EXAMPLES"
ENV_STEPS = "MASTRA_STORAGE_STATEFUL_STEPS"
ENV_NO_SHRINK = "MASTRA_STORAGE_STATEFUL_NO_SHRINK"
DEFAULT_EXAMPLES = 25
DEFAULT_STEPS = 30

THREAD_IDS = ("t1", "t2", "t3", "t4")
MISSING_THREAD = "t-missing"
RESOURCE_IDS = ("r1", "r2")
MESSAGE_IDS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8")
MISSING_MESSAGE = "m-missing"
_BASE = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)
#: The only ``created_at`` values used: few, so that ties are common.
TIMES = tuple(_BASE + timedelta(milliseconds=ms) for ms in (0, 1, 2, 5))
FIXED_TIMES = frozenset(TIMES)
TEXTS = ("hi", "hello there", '{"json": [1, 2]}', "caf\u00e9 \U0001f389")


def stateful_settings(
    max_examples: int | None = None, stateful_step_count: int | None = None
) -> settings:
    """Modest defaults (fast on two cores), overridable through the environment.

    Shrinking a failure can take minutes (Hypothesis caps it at five);
    ``MASTRA_STORAGE_STATEFUL_NO_SHRINK=1`` reports the first failing sequence unshrunk.
    """
    examples = max_examples or int(os.environ.get(ENV_EXAMPLES, DEFAULT_EXAMPLES))
    steps = stateful_step_count or int(os.environ.get(ENV_STEPS, DEFAULT_STEPS))
    no_shrink = os.environ.get(ENV_NO_SHRINK, "").strip().lower() in ("1", "true", "yes")
    phases = [p for p in Phase if not (no_shrink and p is Phase.shrink)]
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        phases=phases,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


# ---------------------------------------------------------------------------- strategies

times = st.sampled_from(TIMES)
thread_ids = st.sampled_from(THREAD_IDS)
thread_ids_or_missing = st.sampled_from((*THREAD_IDS, MISSING_THREAD))
resource_ids = st.sampled_from(RESOURCE_IDS)
message_ids = st.sampled_from(MESSAGE_IDS)
message_ids_or_missing = st.sampled_from((*MESSAGE_IDS, MISSING_MESSAGE))
metadata_values = st.sampled_from((1, True, "x", None, 0, False, "1"))
metadata = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={"a": metadata_values, "b": metadata_values}),
)
#: Thread metadata filters draw from the same values: ``True`` vs ``1``, ``None`` vs missing.
metadata_filters = metadata
#: Mostly a valid resource id, sometimes ``None`` (which makes the whole batch invalid).
message_resource_ids = st.integers(0, 19).map(
    lambda i: None if i == 0 else RESOURCE_IDS[i % len(RESOURCE_IDS)]
)
#: Mostly the seeded threads t1/t2, sometimes t3/t4 (which may not exist) or a missing one.
message_thread_ids = st.integers(0, 11).map(
    lambda i: MISSING_THREAD if i == 0 else ("t1", "t2", "t1", "t2", "t3", "t4")[i % 6]
)


@st.composite
def messages(
    draw: st.DrawFn,
    thread_ids: st.SearchStrategy[str] = message_thread_ids,
    resource_ids: st.SearchStrategy[str | None] = message_resource_ids,
) -> Message:
    text = draw(st.sampled_from(TEXTS))
    return Message(
        id=draw(message_ids),
        role=draw(st.sampled_from(("user", "assistant", "user", "system"))),
        created_at=draw(times),
        thread_id=draw(thread_ids),
        resource_id=draw(resource_ids),
        type=draw(st.sampled_from((None, "text"))),
        content=MessageContent.text(text),
    )


@st.composite
def message_updates(draw: st.DrawFn, alive_threads: Sequence[str]) -> MessageUpdate:
    content = draw(
        st.one_of(
            st.none(),
            st.sampled_from(TEXTS).map(lambda t: {"content": t}),
            st.fixed_dictionaries(
                {
                    "metadata": st.fixed_dictionaries(
                        {}, optional={"k": metadata_values, "j": metadata_values}
                    )
                }
            ),
        )
    )
    targets = (*alive_threads, MISSING_THREAD)
    move_to = draw(st.one_of(st.none(), st.sampled_from(targets)))
    return MessageUpdate(
        id=draw(message_ids_or_missing),
        role=draw(st.sampled_from((None, "user", "assistant"))),
        type=draw(st.sampled_from((None, "text"))),
        thread_id=move_to,
        resource_id=draw(st.one_of(st.none(), resource_ids)),
        content=content,
    )


includes = st.one_of(
    st.none(),
    st.lists(
        st.builds(
            IncludeSpec,
            id=message_ids_or_missing,
            thread_id=st.one_of(st.none(), thread_ids),
            with_previous_messages=st.integers(0, 2),
            with_next_messages=st.integers(0, 2),
        ),
        max_size=2,
    ),
)
date_ranges = st.one_of(
    st.none(),
    st.none(),
    st.builds(
        DateRange,
        start=st.one_of(st.none(), times),
        end=st.one_of(st.none(), times),
        start_exclusive=st.booleans(),
        end_exclusive=st.booleans(),
    ),
)
orders = st.one_of(
    st.none(),
    st.builds(
        OrderBy,
        field=st.sampled_from((None, "created_at")),
        direction=st.sampled_from((None, "ASC", "DESC")),
    ),
)
thread_orders = st.one_of(
    st.none(),
    st.builds(
        OrderBy,
        field=st.sampled_from((None, "created_at", "updated_at")),
        direction=st.sampled_from((None, "ASC", "DESC")),
    ),
)
pages = st.sampled_from((0, 0, 0, 1, 2))
per_pages = st.sampled_from((None, None, 0, 1, 2, 2, 3, 5, 40))


# ---------------------------------------------------------------------------- comparison


class Outcome:
    """What one call did on one store: a value or an exception."""

    def __init__(self, value: Any = None, error: BaseException | None = None) -> None:
        self.value = value
        self.error = error


def _canonical_threads(threads: Sequence[Thread], everything: Sequence[Thread]) -> list[Any]:
    """Thread dicts with store-generated ``updated_at`` values replaced by their rank.

    ``updated_at`` bumps use the clock, so the adapter's and the reference's values differ;
    only their order (and equality) must agree. Ranks are computed over every thread of the
    store, so the comparison stays strict about relative order.
    """
    generated = sorted({t.updated_at for t in everything if t.updated_at not in FIXED_TIMES})
    rank = {value: i for i, value in enumerate(generated)}
    out = []
    for thread in threads:
        data = thread.to_dict()
        if thread.updated_at not in FIXED_TIMES:
            data["updatedAt"] = ("generated", rank.get(thread.updated_at, -1))
        out.append(data)
    return out


def _canonical_resource(resource: Resource | None) -> Any:
    if resource is None:
        return None
    data = resource.to_dict()
    for key, value in (("createdAt", resource.created_at), ("updatedAt", resource.updated_at)):
        if value not in FIXED_TIMES:
            data[key] = "generated"
    data["createdEqualsUpdated"] = resource.created_at == resource.updated_at
    return data


def _messages(items: Sequence[Message]) -> list[dict[str, Any]]:
    return [m.to_dict() for m in items]


def _page_shape(page: Page[Any]) -> tuple[Any, ...]:
    return (page.total, page.page, page.per_page, page.has_more, page.next_cursor is None)


# ---------------------------------------------------------------------------- the machine


class MemoryStateMachine(RuleBasedStateMachine):
    """Runs every rule on the adapter and on the reference store and compares.

    Subclasses (see :func:`memory_state_machine`) set ``make_storage``/``cleanup_storage``.
    """

    make_storage: ClassVar[StorageFactory]
    cleanup_storage: ClassVar[StorageCleanup | None] = None

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.storages: list[MastraStorage] = []
        self.alive: set[str] = set()
        try:
            adapter = self.run(type(self).make_storage())
            self.storages.append(adapter)
            self.storages.append(self.run(self._make_reference()))
            self.adapter = self.run(self._memory(adapter))
            self.reference = self.run(self._memory(self.storages[1]))
            # ``list_messages_by_resource_id`` is exercised when the adapter's backend has
            # the capability (the same check the core makes).
            self.resource_scoped = resource_scoped_queries(self.adapter)
        except BaseException:
            self.teardown()
            raise

    @staticmethod
    async def _make_reference() -> MastraStorage:
        from ..inmemory import InMemoryStore

        store = InMemoryStore()
        await store.init()
        return store

    @staticmethod
    async def _memory(storage: MastraStorage) -> MemoryStore:
        return await storage.require_store("memory")

    def run(self, awaitable: Awaitable[T]) -> T:
        return self.loop.run_until_complete(awaitable)

    def teardown(self) -> None:
        """Release the adapter's storage (``cleanup_storage``) and the reference, then the loop."""
        try:
            cleanup = type(self).cleanup_storage
            for index, storage in enumerate(self.storages):
                if index == 0 and cleanup is not None:
                    self.run(cleanup(storage))
                else:
                    self.run(storage.close())
        finally:
            self.storages = []
            self.loop.close()

    # ---- helpers ------------------------------------------------------------------------

    def both(
        self, call: Callable[[MemoryStore], Coroutine[Any, Any, T]]
    ) -> tuple[Outcome, Outcome]:
        """Run ``call`` on the adapter, then on the reference; errors must match by type."""
        outcomes = []
        for memory in (self.adapter, self.reference):
            try:
                outcomes.append(Outcome(self.run(call(memory))))
            except Exception as exc:  # compared below
                outcomes.append(Outcome(error=exc))
        ours, ref = outcomes
        ours_type = None if ours.error is None else type(ours.error)
        ref_type = None if ref.error is None else type(ref.error)
        assert ours_type == ref_type, (
            f"adapter outcome {ours.error!r} differs from reference outcome {ref.error!r}"
        )
        return ours, ref

    def all_threads(self, memory: MemoryStore) -> list[Thread]:
        return self.run(memory.list_threads(per_page=None)).items

    def compare_threads(self, ours: Sequence[Thread], ref: Sequence[Thread], what: str) -> None:
        assert _canonical_threads(ours, self.all_threads(self.adapter)) == _canonical_threads(
            ref, self.all_threads(self.reference)
        ), what

    def compare_pages(self, ours: Page[Message], ref: Page[Message], what: str) -> None:
        assert _messages(ours.items) == _messages(ref.items), what
        assert _page_shape(ours) == _page_shape(ref), what

    # ---- rules ----------------------------------------------------------------------------

    @initialize(
        first=st.tuples(resource_ids, metadata, times),
        second=st.tuples(resource_ids, metadata),
        batch=st.lists(
            messages(thread_ids=st.sampled_from(("t1", "t2")), resource_ids=resource_ids),
            min_size=2,
            max_size=6,
        ),
    )
    def seed(
        self,
        first: tuple[str, dict[str, Any] | None, datetime],
        second: tuple[str, dict[str, Any] | None],
        batch: list[Message],
    ) -> None:
        """Start from two threads (t1, t2) and a few messages, so most steps have data."""
        for thread_id, (resource, meta) in (("t1", first[:2]), ("t2", second)):
            self._save_thread(
                Thread(
                    id=thread_id,
                    resource_id=resource,
                    title="seed",
                    metadata=meta,
                    created_at=first[2],
                    updated_at=first[2],
                )
            )
        self.save_messages(batch)

    def _save_thread(self, thread: Thread) -> None:
        ours, ref = self.both(lambda m: m.save_thread(thread))
        assert ours.value == ref.value == thread
        self.alive.add(thread.id)

    @rule(
        thread_id=thread_ids,
        resource_id=resource_ids,
        title=st.sampled_from(("", "A", "B")),
        meta=metadata,
        created=times,
        updated=times,
    )
    def save_thread(
        self,
        thread_id: str,
        resource_id: str,
        title: str,
        meta: dict[str, Any] | None,
        created: datetime,
        updated: datetime,
    ) -> None:
        self._save_thread(
            Thread(
                id=thread_id,
                resource_id=resource_id,
                title=title,
                metadata=meta,
                created_at=created,
                updated_at=updated,
            )
        )

    @rule(batch=st.lists(messages(), min_size=1, max_size=4))
    def save_messages(self, batch: list[Message]) -> None:
        ours, ref = self.both(lambda m: m.save_messages(batch))
        if ours.error is None:
            assert _messages(ours.value) == _messages(ref.value)

    @rule(data=st.data())
    def update_messages(self, data: st.DataObject) -> None:
        updates = data.draw(
            st.lists(message_updates(sorted(self.alive)), min_size=0, max_size=3),
            label="updates",
        )
        ours, ref = self.both(lambda m: m.update_messages(updates))
        if ours.error is None:
            assert sorted(_messages(ours.value), key=lambda d: d["id"]) == sorted(
                _messages(ref.value), key=lambda d: d["id"]
            )

    @rule(ids=st.lists(message_ids_or_missing, max_size=3))
    def delete_messages(self, ids: list[str]) -> None:
        self.both(lambda m: m.delete_messages(ids))

    @rule(thread_id=thread_ids_or_missing)
    def delete_thread(self, thread_id: str) -> None:
        self.both(lambda m: m.delete_thread(thread_id))
        self.alive.discard(thread_id)

    @rule(
        thread_id=thread_ids_or_missing,
        title=st.one_of(st.none(), st.sampled_from(("", "renamed"))),
        meta=metadata,
    )
    def update_thread(self, thread_id: str, title: str | None, meta: dict[str, Any] | None) -> None:
        ours, ref = self.both(lambda m: m.update_thread(thread_id, title=title, metadata=meta))
        if ours.error is None:
            self.compare_threads([ours.value], [ref.value], "update_thread result")

    @rule(
        resource_id=resource_ids,
        working_memory=st.one_of(st.just(UNSET), st.none(), st.sampled_from(("", "wm", "# x"))),
        meta=metadata,
    )
    def update_resource(
        self, resource_id: str, working_memory: Any, meta: dict[str, Any] | None
    ) -> None:
        ours, ref = self.both(
            lambda m: m.update_resource(resource_id, working_memory=working_memory, metadata=meta)
        )
        if ours.error is None:
            assert _canonical_resource(ours.value) == _canonical_resource(ref.value)

    @rule(
        resource_id=resource_ids,
        working_memory=st.one_of(st.none(), st.just("saved")),
        meta=metadata,
        created=times,
    )
    def save_resource(
        self,
        resource_id: str,
        working_memory: str | None,
        meta: dict[str, Any] | None,
        created: datetime,
    ) -> None:
        resource = Resource(
            id=resource_id,
            working_memory=working_memory,
            metadata=meta,
            created_at=created,
            updated_at=created,
        )
        self.both(lambda m: m.save_resource(resource))

    @rule(
        threads=st.lists(thread_ids_or_missing, min_size=1, max_size=2, unique=True),
        resource_id=st.one_of(st.none(), resource_ids),
        include=includes,
        page=pages,
        per_page=per_pages,
        order=orders,
        window=date_ranges,
    )
    def list_messages(
        self,
        threads: list[str],
        resource_id: str | None,
        include: list[IncludeSpec] | None,
        page: int,
        per_page: int | None,
        order: OrderBy | None,
        window: DateRange | None,
    ) -> None:
        thread_arg: str | list[str] = threads[0] if len(threads) == 1 else threads
        kwargs: dict[str, Any] = {
            "resource_id": resource_id,
            "include": include,
            "page": page,
            "per_page": per_page,
            "order_by": order,
            "date_range": window,
        }
        ours, ref = self.both(lambda m: m.list_messages(thread_id=thread_arg, **kwargs))
        if ours.error is not None:
            return
        self.compare_pages(ours.value, ref.value, "list_messages")
        if ours.value.next_cursor is not None:
            kwargs["page"] = 0
            nxt = [
                self.run(
                    memory.list_messages(thread_id=thread_arg, cursor=page_.next_cursor, **kwargs)
                )
                for memory, page_ in ((self.adapter, ours.value), (self.reference, ref.value))
            ]
            self.compare_pages(nxt[0], nxt[1], "list_messages, next cursor page")

    @precondition(lambda self: self.resource_scoped)
    @rule(
        resource_id=resource_ids,
        include=includes,
        page=pages,
        per_page=per_pages,
        order=orders,
        window=date_ranges,
    )
    def list_messages_by_resource(
        self,
        resource_id: str,
        include: list[IncludeSpec] | None,
        page: int,
        per_page: int | None,
        order: OrderBy | None,
        window: DateRange | None,
    ) -> None:
        ours, ref = self.both(
            lambda m: m.list_messages_by_resource_id(
                resource_id=resource_id,
                include=include,
                page=page,
                per_page=per_page,
                order_by=order,
                date_range=window,
            )
        )
        if ours.error is None:
            self.compare_pages(ours.value, ref.value, "list_messages_by_resource_id")

    @rule(
        resource_id=st.one_of(st.none(), resource_ids),
        meta=metadata_filters,
        page=pages,
        per_page=per_pages,
        order=thread_orders,
    )
    def list_threads(
        self,
        resource_id: str | None,
        meta: dict[str, Any] | None,
        page: int,
        per_page: int | None,
        order: OrderBy | None,
    ) -> None:
        kwargs: dict[str, Any] = {
            "resource_id": resource_id,
            "metadata": meta,
            "page": page,
            "per_page": per_page,
            "order_by": order,
        }
        ours, ref = self.both(lambda m: m.list_threads(**kwargs))
        if ours.error is not None:
            return
        self.compare_threads(ours.value.items, ref.value.items, "list_threads")
        assert _page_shape(ours.value) == _page_shape(ref.value), "list_threads page"
        if ours.value.next_cursor is not None:
            kwargs["page"] = 0
            ours_next = self.run(self.adapter.list_threads(cursor=ours.value.next_cursor, **kwargs))
            ref_next = self.run(self.reference.list_threads(cursor=ref.value.next_cursor, **kwargs))
            self.compare_threads(ours_next.items, ref_next.items, "list_threads, next page")
            assert _page_shape(ours_next) == _page_shape(ref_next), "list_threads next page"

    @rule(ids=st.lists(message_ids_or_missing, max_size=4))
    def list_messages_by_id(self, ids: list[str]) -> None:
        ours, ref = self.both(lambda m: m.list_messages_by_id(ids))
        if ours.error is None:
            assert _messages(ours.value) == _messages(ref.value)

    # ---- the whole state, after every step ----------------------------------------------

    @invariant()
    def same_state(self) -> None:
        ours_threads = self.all_threads(self.adapter)
        ref_threads = self.all_threads(self.reference)
        assert _canonical_threads(ours_threads, ours_threads) == _canonical_threads(
            ref_threads, ref_threads
        ), "threads differ"
        for thread in ref_threads:
            ours_msgs = self.run(self.adapter.list_messages(thread_id=thread.id, per_page=None))
            ref_msgs = self.run(self.reference.list_messages(thread_id=thread.id, per_page=None))
            self.compare_pages(ours_msgs, ref_msgs, f"messages of {thread.id}")
        every = list(MESSAGE_IDS)
        assert _messages(self.run(self.adapter.list_messages_by_id(every))) == _messages(
            self.run(self.reference.list_messages_by_id(every))
        ), "stored messages differ"
        for resource_id in RESOURCE_IDS:
            assert _canonical_resource(
                self.run(self.adapter.get_resource_by_id(resource_id))
            ) == _canonical_resource(self.run(self.reference.get_resource_by_id(resource_id)))


def memory_state_machine(
    make_storage: StorageFactory,
    cleanup_storage: StorageCleanup | None = None,
) -> type[MemoryStateMachine]:
    """A :class:`MemoryStateMachine` subclass bound to an adapter factory.

    ``make_storage`` returns an initialised, empty, isolated storage (called once per
    example, on the machine's event loop); ``cleanup_storage`` releases it (default:
    ``storage.close()``).
    """

    class BoundMemoryStateMachine(MemoryStateMachine):
        pass

    BoundMemoryStateMachine.make_storage = staticmethod(make_storage)
    BoundMemoryStateMachine.cleanup_storage = (
        staticmethod(cleanup_storage) if cleanup_storage is not None else None
    )
    return BoundMemoryStateMachine


class MemoryStatefulConformance(DivergenceMixin):
    """Subclass and implement :meth:`make_storage` to run the state machine on an adapter."""

    #: Hypothesis settings; ``None`` means :func:`stateful_settings` (env-overridable).
    hypothesis_settings: ClassVar[settings | None] = None

    async def make_storage(self) -> MastraStorage:
        """Return an initialised, empty, isolated storage (one per Hypothesis example)."""
        raise NotImplementedError("subclasses must implement make_storage()")

    async def cleanup_storage(self, storage: MastraStorage) -> None:
        """Release a storage made by :meth:`make_storage`."""
        await storage.close()

    def test_memory_matches_reference(self) -> None:
        machine = memory_state_machine(self.make_storage, self.cleanup_storage)
        run_state_machine_as_test(machine, settings=self.hypothesis_settings or stateful_settings())


__all__ = [
    "DEFAULT_EXAMPLES",
    "DEFAULT_STEPS",
    "ENV_EXAMPLES",
    "ENV_NO_SHRINK",
    "ENV_STEPS",
    "MemoryStateMachine",
    "MemoryStatefulConformance",
    "memory_state_machine",
    "stateful_settings",
]
