"""``Memory``: an agent's conversation memory on top of any storage (and a vector store).

The Python counterpart of ``@mastra/memory``'s ``Memory`` (spec 14): same defaults, same
storage layout, same vector index names and metadata, so it can share a database with a
Mastra app. What it does differently, on purpose (lessons file):

* a fixed round-trip budget. ``recall``: one ``get_thread_by_id`` (run concurrently with
  the embedding and vector query) and one ``list_messages`` that fetches the newest N *and*
  every recalled message's context window together (its ``include`` merge); Mastra makes
  separate history and recall reads. ``save_turn``: the two ownership reads (concurrent)
  and one ``save_messages`` (which also bumps the thread), plus one ``save_thread`` on a
  thread's first turn.
* every call made for a resource acts only on that resource's threads, messages and
  working memory (:mod:`.ownership`); Mastra checks the owner only when reading.
* deletes also delete vectors, awaited, so deleted text cannot come back through recall.
* working memory updates are compare-and-set in storage (see :mod:`.working`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast

from ..composite import MastraStorage
from ..domains.base import StorageDomain
from ..domains.memory import IncludeSpec, MemoryStore
from ..errors import ConfigurationError, NotFoundError, ValidationError
from ..om_records import ObservationalMemoryRecord
from ..pagination import OrderBy, Page
from ..records import Message, MessageContent, MessageUpdate, Role, Thread
from ..timeutil import utc_now
from ..validation import check_json_object, check_text
from ..vector.protocol import VectorStore
from .embedder import Embedder
from .locks import KeyedLocks
from .options import MemoryOptions, OptionsInput, SemanticRecallOptions, parse_options
from .ownership import MESSAGE_MISMATCH, ResourceMismatchError, check_messages, check_thread
from .results import RecallResult, SaveTurnResult
from .sanitize import clean_message
from .vectors import (
    RecallHit,
    batches,
    index_name,
    message_text,
    recall_filter,
    vector_metadata,
)
from .working import MAX_ATTEMPTS, WorkingMemory, WorkingMemoryUpdate, atomic_backend

_THREAD_NOT_FOUND_ON_SAVE = "MASTRA_STORAGE_SAVE_MESSAGES_THREAD_NOT_FOUND"
_NEWEST_FIRST = OrderBy(field="created_at", direction="DESC")
_TITLED_CACHE_LIMIT = 10_000


def _require_id(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string", id="MASTRA_MEMORY_INVALID_ARGS")
    return value


def _optional_id(value: Any) -> str | None:
    """``resource_id`` of a scoped call: ``None`` (unscoped) or a non-empty string."""
    return None if value is None else _require_id(value, "resource_id")


class Memory:
    """Conversation memory for agents: history, semantic recall, working memory, threads.

    ``storage`` is a :class:`~mastra_storage.MastraStorage` (its ``memory`` domain is used)
    or a memory domain object. ``vector`` and ``embedder`` are needed only for semantic
    recall. ``options`` (a :class:`MemoryOptions` or Mastra-style mapping such as
    ``{"lastMessages": 10}``) are the defaults; every call takes an ``options`` override.

    Every thread call acts for one ``resource_id`` and only on that resource's threads:
    naming another resource's thread raises :class:`ResourceMismatchError` and changes
    nothing. Writes go through the memory domain's atomic operations (a turn's messages
    in one write); vectors are written after the messages they index. Errors: invalid
    options :class:`~mastra_storage.errors.ValidationError`, semantic recall without a
    vector store or embedder :class:`~mastra_storage.errors.ConfigurationError`, and the
    storage's own errors (:class:`~mastra_storage.errors.UnavailableError`, ...).

    :raises ConfigurationError: ``storage``, ``vector`` or ``embedder`` of the wrong kind
        (constructor).
    """

    def __init__(
        self,
        storage: MastraStorage | MemoryStore,
        vector: VectorStore | None = None,
        embedder: Embedder | None = None,
        options: OptionsInput = None,
    ) -> None:
        if not isinstance(storage, (MastraStorage, StorageDomain)):
            raise ConfigurationError(
                f"Memory needs a MastraStorage or a memory store, got {type(storage).__name__}",
                id="MASTRA_MEMORY_INVALID_STORAGE",
            )
        if vector is not None and not isinstance(vector, VectorStore):
            raise ConfigurationError(
                f"vector must implement the VectorStore protocol, got {type(vector).__name__}",
                id="MASTRA_MEMORY_INVALID_VECTOR",
            )
        if embedder is not None and not isinstance(embedder, Embedder):
            raise ConfigurationError(
                "embedder must have a 'dimension' and an async 'embed(texts)'",
                id="MASTRA_MEMORY_INVALID_EMBEDDER",
            )
        self._storage = storage
        # A memory domain given directly: a core MemoryStore, or a custom domain object with
        # the same public API (it gets the non-atomic fallbacks, see ``atomic_backend``).
        self._store: MemoryStore | None = None if isinstance(storage, MastraStorage) else storage
        self.vector = vector
        self.embedder = embedder
        self.options = parse_options(options)
        self._check_semantic(self.options)
        self._locks = KeyedLocks()
        self._indexes_ready: set[str] = set()
        self._titled: set[str] = set()

    def __repr__(self) -> str:
        return (
            f"Memory(storage={type(self._storage).__name__}, "
            f"vector={type(self.vector).__name__ if self.vector is not None else None}, "
            f"embedder={self.embedder!r})"
        )

    # ---- plumbing -------------------------------------------------------------------------

    async def store(self) -> MemoryStore:
        """The memory domain (initialising the storage once, as Mastra's ``getStore``)."""
        if self._store is None:
            assert isinstance(self._storage, MastraStorage)
            domain = await self._storage.get_store("memory")
            if domain is None:
                raise ConfigurationError(
                    f"Memory storage domain is not available on {type(self._storage).__name__}",
                    id="MASTRA_MEMORY_STORAGE_DOMAIN_MISSING",
                )
            self._store = domain
        return self._store

    def resolve(self, options: OptionsInput = None) -> MemoryOptions:
        """The options a call runs with: the defaults with ``options`` merged over them."""
        resolved = parse_options(options, base=self.options)
        self._check_semantic(resolved)
        return resolved

    def _check_semantic(self, options: MemoryOptions) -> None:
        if options.semantic_recall is None:
            return
        if self.vector is None:
            raise ConfigurationError(
                "Semantic recall requires a vector store to be configured",
                id="SEMANTIC_RECALL_MISSING_VECTOR_STORE",
            )
        if self.embedder is None:
            raise ConfigurationError(
                "Semantic recall requires an embedder to be configured",
                id="SEMANTIC_RECALL_MISSING_EMBEDDER",
            )

    def _working(self) -> WorkingMemory:
        assert self._store is not None
        return WorkingMemory(self._store, self._locks)

    # ---- threads --------------------------------------------------------------------------

    async def create_thread(
        self,
        *,
        resource_id: str,
        thread_id: str | None = None,
        title: str = "",
        metadata: Mapping[str, Any] | None = None,
        options: OptionsInput = None,
    ) -> Thread:
        """Save a new thread (Mastra's ``createThread``: an upsert).

        Replacing an existing thread is allowed only for its own resource: a thread of
        another resource raises :class:`~.ownership.ResourceMismatchError` and is left as
        it was. A string ``metadata["workingMemory"]`` with resource-scoped working memory
        enabled is also written to the resource, as Mastra does.
        """
        opts = self.resolve(options)
        _require_id(resource_id, "resource_id")
        if thread_id is not None:
            _require_id(thread_id, "thread_id")
            async with self._locks.hold(f"thread-{thread_id}"):
                return await self._create_thread(
                    opts, resource_id, thread_id, title, metadata, checked=False
                )
        return await self._create_thread(
            opts, resource_id, str(uuid.uuid4()), title, metadata, checked=True
        )

    async def _create_thread(
        self,
        opts: MemoryOptions,
        resource_id: str,
        thread_id: str,
        title: str,
        metadata: Mapping[str, Any] | None,
        *,
        checked: bool,
    ) -> Thread:
        """``create_thread`` under the thread's lock (``checked``: known not to be taken)."""
        now = utc_now()
        thread = Thread(
            id=thread_id,
            resource_id=resource_id,
            title=title or "",
            metadata=dict(metadata) if metadata is not None else {},
            created_at=now,
            updated_at=now,
        )
        store = await self.store()
        saved = await (store.save_thread(thread) if checked else self._save_own(store, thread))
        await self._propagate_working_memory(opts, thread.resource_id, thread.metadata)
        if saved.title:
            self._remember_titled(saved.id)
        return saved

    @staticmethod
    async def _save_own(store: MemoryStore, thread: Thread) -> Thread:
        """Insert ``thread``, or replace the stored one if ``thread.resource_id`` owns it;
        a thread of another resource raises :class:`~.ownership.ResourceMismatchError`.

        Replacing is one atomic read-modify-write (the backend's ``modify_thread``: the
        owner check and the write see the same row). Inserting a new id is a second call: a
        thread created under that id by another process in between would be replaced
        (docs/memory.md). A custom memory domain (no backend) gets read-check-write.
        """
        backend = atomic_backend(store)
        if backend is None:
            check_thread(await store.get_thread_by_id(thread.id), thread.resource_id)
            return await store.save_thread(thread)
        # The checks save_thread makes, before the read-modify-write that bypasses it.
        check_text(thread.title, field="title", operation="SAVE_THREAD")
        check_json_object(thread.metadata or {}, field="thread.metadata", operation="SAVE_THREAD")

        def replace(existing: Thread) -> Thread:
            check_thread(existing, thread.resource_id)
            return thread

        if await backend.modify_thread(thread.id, replace) is not None:
            return thread
        return await store.save_thread(thread)

    async def get_thread(self, thread_id: str, *, resource_id: str | None = None) -> Thread | None:
        """The thread, ``None`` if missing. With ``resource_id``: a thread of another
        resource raises :class:`~.ownership.ResourceMismatchError`."""
        _require_id(thread_id, "thread_id")
        thread = await (await self.store()).get_thread_by_id(thread_id)
        check_thread(thread, _optional_id(resource_id))
        return thread

    async def list_threads(
        self,
        resource_id: str,
        *,
        page: int = 0,
        per_page: int | None = 100,
        include_total: bool = True,
    ) -> Page[Thread]:
        """A resource's threads, most recently updated first (``include_total=False``: no
        count, ``total`` is ``None``)."""
        store = await self.store()
        return await store.list_threads(
            resource_id=_require_id(resource_id, "resource_id"),
            page=page,
            per_page=per_page,
            order_by=OrderBy(field="updated_at", direction="DESC"),
            include_total=include_total,
        )

    async def update_thread(
        self,
        thread_id: str,
        *,
        resource_id: str | None = None,
        title: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        options: OptionsInput = None,
    ) -> Thread:
        """Set the title and merge metadata (:class:`NotFoundError` if missing). With
        ``resource_id``: a thread of another resource raises
        :class:`~.ownership.ResourceMismatchError` and is not changed."""
        opts = self.resolve(options)
        _require_id(thread_id, "thread_id")
        owner = _optional_id(resource_id)
        store = await self.store()
        async with self._locks.hold(f"thread-{thread_id}"):
            if owner is None:
                updated = await store.update_thread(thread_id, title=title, metadata=metadata)
            elif atomic_backend(store) is not None:
                updated = await self._update_own(store, thread_id, owner, title, metadata)
            else:
                check_thread(await store.get_thread_by_id(thread_id), owner)
                updated = await store.update_thread(thread_id, title=title, metadata=metadata)
        await self._propagate_working_memory(opts, updated.resource_id, metadata)
        if updated.title:
            self._remember_titled(updated.id)
        return updated

    @staticmethod
    async def _update_own(
        store: MemoryStore,
        thread_id: str,
        owner: str,
        title: str | None,
        metadata: Mapping[str, Any] | None,
    ) -> Thread:
        """``update_thread`` with the owner check inside the store's atomic
        read-modify-write; a missing thread raises ``MASTRA_MEMORY_THREAD_NOT_FOUND``."""

        def owned(thread: Thread) -> None:
            check_thread(thread, owner)

        try:
            return await store.update_thread(thread_id, title=title, metadata=metadata, check=owned)
        except NotFoundError as exc:
            if exc.id != "MASTRA_STORAGE_UPDATE_THREAD_NOT_FOUND":
                raise
            raise NotFoundError(
                f"Thread {thread_id} not found",
                id="MASTRA_MEMORY_THREAD_NOT_FOUND",
                details={"thread_id": thread_id},
            ) from None

    async def _propagate_working_memory(
        self, opts: MemoryOptions, resource_id: str, metadata: Mapping[str, Any] | None
    ) -> None:
        wm = opts.working_memory
        text = (metadata or {}).get("workingMemory")
        if isinstance(text, str) and wm.enabled and wm.scope == "resource":
            await (await self.store()).update_resource(resource_id, working_memory=text)

    async def delete_thread(self, thread_id: str, *, resource_id: str | None = None) -> None:
        """Delete the thread, its messages and their vectors (in every memory index). With
        ``resource_id``: a thread of another resource raises
        :class:`~.ownership.ResourceMismatchError` and nothing is deleted."""
        _require_id(thread_id, "thread_id")
        owner = _optional_id(resource_id)
        store = await self.store()
        async with self._locks.hold(f"thread-{thread_id}"):
            if owner is not None:
                check_thread(await store.get_thread_by_id(thread_id), owner)
            await store.delete_thread(thread_id)
            self._titled.discard(thread_id)
            if self.vector is not None:
                for name in await self._memory_indexes():
                    await self._vec().delete_vectors(
                        index_name=name, filter={"thread_id": thread_id}
                    )

    async def delete_messages(
        self, messages: Sequence[str | Message], *, resource_id: str | None = None
    ) -> None:
        """Delete messages (by id or record) and their vectors; unknown ids are ignored.
        With ``resource_id``: if any of them belongs to another resource,
        :class:`~.ownership.ResourceMismatchError` and nothing is deleted."""
        if isinstance(messages, (str, Message)) or not isinstance(messages, Sequence):
            raise ValidationError(
                "messages must be a list of message ids or messages",
                id="MASTRA_MEMORY_DELETE_MESSAGES_INVALID_ARGS",
            )
        ids = [m.id if isinstance(m, Message) else m for m in messages]
        for message_id in ids:
            _require_id(message_id, "message id")
        owner = _optional_id(resource_id)
        if not ids:
            return
        store = await self.store()
        if owner is not None:
            check_messages(await store.list_messages_by_id(ids), owner)
        await store.delete_messages(ids)
        if self.vector is not None:
            await self._delete_vectors(ids)

    async def _delete_vectors(self, message_ids: Sequence[str]) -> None:
        """Delete the vectors of these messages in every memory index (batches of 100)."""
        for name in await self._memory_indexes():
            for batch in batches(list(message_ids)):
                await self._vec().delete_vectors(
                    index_name=name, filter={"message_id": {"$in": batch}}
                )

    # ---- messages -------------------------------------------------------------------------

    async def update_messages(
        self,
        updates: Sequence[MessageUpdate],
        *,
        resource_id: str | None = None,
        options: OptionsInput = None,
    ) -> list[Message]:
        """Partially update messages; those whose content changed get their vectors replaced
        (old ones deleted in every memory index, the new text embedded when semantic recall
        is on), so an edited-away text cannot be recalled. Storage: one ``update_messages``.

        With ``resource_id``: every message must belong to it, may not be given to another
        resource and may move only to a thread of that resource, else
        :class:`~.ownership.ResourceMismatchError` (or :class:`NotFoundError` for a missing
        target thread) and nothing is updated (two more reads)."""
        opts = self.resolve(options)
        if opts.read_only:
            raise ConfigurationError(
                "Memory is read-only: messages cannot be updated", id="MASTRA_MEMORY_READ_ONLY"
            )
        if isinstance(updates, MessageUpdate):
            updates = [updates]
        owner = _optional_id(resource_id)
        store = await self.store()
        if owner is not None:
            await self._check_updates(store, updates, owner)
        updated = await store.update_messages(updates)
        edited = {u.id for u in updates if isinstance(u, MessageUpdate) and u.content is not None}
        changed = [m for m in updated if m.id in edited]
        if changed and self.vector is not None:
            await self._delete_vectors([m.id for m in changed])
            await self._embed(opts, changed)
        return updated

    @staticmethod
    async def _check_updates(
        store: MemoryStore, updates: Sequence[MessageUpdate], owner: str
    ) -> None:
        """Refuse updates that touch, give away or move messages out of ``owner``'s data."""
        ids: list[str] = []
        targets: set[str] = set()
        for update in updates:
            if not isinstance(cast(object, update), MessageUpdate):
                continue  # the store reports it
            ids.append(update.id)
            if update.resource_id is not None and update.resource_id != owner:
                raise ResourceMismatchError(
                    f"Message {update.id} cannot be given to another resource",
                    id=MESSAGE_MISMATCH,
                    details={"message_id": update.id},
                )
            if update.thread_id is not None:
                targets.add(update.thread_id)
        check_messages(await store.list_messages_by_id(ids), owner)
        for target in sorted(targets):
            _require_id(target, "thread_id")
            thread = await store.get_thread_by_id(target)
            if thread is None:
                raise NotFoundError(
                    f"Thread {target} not found",
                    id="MASTRA_MEMORY_THREAD_NOT_FOUND",
                    details={"thread_id": target},
                )
            check_thread(thread, owner)

    @staticmethod
    def message(
        role: Role,
        text: str,
        *,
        thread_id: str | None = None,
        resource_id: str | None = None,
        id: str | None = None,
    ) -> Message:
        """A text message ready for :meth:`save_turn` (ids and time filled in)."""
        return Message(
            id=id or str(uuid.uuid4()),
            role=role,
            created_at=utc_now(),
            thread_id=thread_id,
            resource_id=resource_id,
            content=MessageContent.text(text),
        )

    async def recall(
        self,
        thread_id: str,
        resource_id: str | None = None,
        *,
        query: str | None = None,
        options: OptionsInput = None,
    ) -> RecallResult:
        """The newest ``last_messages`` messages plus, when ``query`` is given and semantic
        recall is on, the ``top_k`` closest messages with their context windows.

        Storage: ``get_thread_by_id`` and one ``list_messages``; vector: one ``query``
        (plus a ``create_index`` the first time an index is used by this object).
        """
        _require_id(thread_id, "thread_id")
        if resource_id is not None:
            _require_id(resource_id, "resource_id")
        opts = self.resolve(options)
        semantic = opts.semantic_recall if query else None
        if semantic is not None and semantic.scope == "resource" and not resource_id:
            raise ValidationError(
                "Memory error: Resource-scoped semantic recall is enabled but no resourceId "
                "was provided. Either provide a resourceId or explicitly set "
                "semanticRecall.scope to 'thread'.",
                id="MASTRA_MEMORY_SEMANTIC_RECALL_MISSING_RESOURCE_ID",
            )
        store = await self.store()
        limit = opts.history_limit
        found: dict[str, Any] = {}

        async def load_thread() -> None:
            found["thread"] = await store.get_thread_by_id(thread_id)

        async def load_messages() -> None:
            hits: list[RecallHit] = []
            if semantic is not None and query:
                hits = await self._search(semantic, query, thread_id, resource_id)
            found["hits"] = hits
            window = semantic.window if semantic is not None else None
            include = [
                IncludeSpec(
                    id=h.message_id,
                    thread_id=h.thread_id,
                    with_previous_messages=window.before if window else 0,
                    with_next_messages=window.after if window else 0,
                )
                for h in hits
            ]
            if limit == 0 and not include:
                found["messages"] = []
                return
            page = await store.list_messages(
                thread_id=thread_id,
                resource_id=resource_id,
                include=include,
                page=0,
                per_page=limit,
                order_by=_NEWEST_FIRST,
                include_total=False,  # a turn's context never shows the count
            )
            found["messages"] = page.items

        # Both reads run concurrently; gather (not a task group) so a storage error
        # surfaces as itself, not wrapped in an ExceptionGroup.
        outcomes = await asyncio.gather(load_thread(), load_messages(), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

        thread: Thread | None = found["thread"]
        check_thread(thread, resource_id)
        newest_first: list[Message] = found["messages"]
        history_ids: set[str] = set()
        for message in newest_first:  # the page is the thread's first `limit` in this order
            if len(history_ids) >= limit:
                break
            if message.thread_id == thread_id and (
                resource_id is None or message.resource_id == resource_id
            ):
                history_ids.add(message.id)
        chronological = list(reversed(newest_first))
        return RecallResult(
            thread=thread,
            messages=chronological,
            history=[m for m in chronological if m.id in history_ids],
            recalled=[m for m in chronological if m.id not in history_ids],
            hits=found["hits"],
        )

    async def save_turn(
        self,
        thread_id: str,
        resource_id: str,
        messages: Sequence[Message],
        *,
        thread_title: str = "",
        thread_metadata: Mapping[str, Any] | None = None,
        options: OptionsInput = None,
    ) -> SaveTurnResult:
        """Persist a turn's messages, bump the thread (creating it on its first turn), give
        an untitled thread a title (``generate_title``), and embed the new text.

        As in Mastra, ``updateWorkingMemory`` tool calls, still-streaming (``partial-call``)
        tool calls and ``<working_memory>`` blocks are not persisted (:mod:`.sanitize`);
        a message left empty is skipped.

        Ownership: a thread of another resource, or a message id already used by another
        resource, raises :class:`~.ownership.ResourceMismatchError` and nothing is written.

        Storage: the ownership reads (``get_thread_by_id`` and ``list_messages_by_id``, run
        concurrently), then one ``save_messages`` (it bumps ``updated_at``); on a thread's
        first turn also one ``save_thread`` and a retried ``save_messages``; with
        ``generate_title``, an ``update_thread`` until the thread has a title.
        Vector: one ``upsert`` for all the turn's text. ``read_only``: nothing is written.
        """
        _require_id(thread_id, "thread_id")
        _require_id(resource_id, "resource_id")
        opts = self.resolve(options)
        batch = self._turn_messages(thread_id, resource_id, messages)
        if opts.read_only:
            return SaveTurnResult(saved=[], thread_created=False, read_only=True)
        if not batch:
            return SaveTurnResult(saved=[], thread_created=False)
        store = await self.store()
        created = False
        title: str | None = None
        async with self._locks.hold(f"thread-{thread_id}"):
            thread, stored = await asyncio.gather(
                store.get_thread_by_id(thread_id),
                store.list_messages_by_id([m.id for m in batch]),
            )
            check_thread(thread, resource_id)
            check_messages(stored, resource_id)
            try:
                saved = await store.save_messages(batch)
            except NotFoundError as exc:
                if exc.id != _THREAD_NOT_FOUND_ON_SAVE:
                    raise
                if opts.generate_title is not None and not thread_title:
                    title = await self._generate_title(opts, batch)
                await self._create_thread(
                    opts,
                    resource_id,
                    thread_id,
                    title or thread_title,
                    thread_metadata,
                    checked=False,
                )
                created = True
                saved = await store.save_messages(batch)
            if not created and opts.generate_title is not None and thread_id not in self._titled:
                title = await self._title_existing(opts, store, thread, batch)
            embedded = await self._embed(opts, batch)
        return SaveTurnResult(saved=saved, thread_created=created, title=title, embedded=embedded)

    def _turn_messages(
        self, thread_id: str, resource_id: str, messages: Sequence[Message]
    ) -> list[Message]:
        if isinstance(messages, Message) or not isinstance(messages, Sequence):
            raise ValidationError(
                "messages must be a list of Message", id="MASTRA_MEMORY_SAVE_TURN_INVALID_ARGS"
            )
        out: list[Message] = []
        for message in messages:
            if not isinstance(message, Message):
                raise ValidationError(
                    f"expected a Message, got {type(message).__name__}",
                    id="MASTRA_MEMORY_SAVE_TURN_INVALID_ARGS",
                )
            if message.thread_id not in (None, thread_id) or message.resource_id not in (
                None,
                resource_id,
            ):
                raise ValidationError(
                    f"message {message.id} belongs to another thread or resource",
                    id="MASTRA_MEMORY_SAVE_TURN_INVALID_ARGS",
                    details={"message_id": message.id},
                )
            cleaned = clean_message(message)
            if cleaned is not None:
                out.append(cleaned.replace(thread_id=thread_id, resource_id=resource_id))
        return out

    async def _generate_title(self, opts: MemoryOptions, batch: Sequence[Message]) -> str:
        assert opts.generate_title is not None
        title = await opts.generate_title(batch)
        if not isinstance(title, str):
            raise ValidationError(
                "generate_title must return a string", id="MASTRA_MEMORY_INVALID_TITLE"
            )
        return title.strip()

    async def _title_existing(
        self,
        opts: MemoryOptions,
        store: MemoryStore,
        thread: Thread | None,
        batch: Sequence[Message],
    ) -> str | None:
        """Title an untitled thread (``thread``: as read before this turn's save)."""
        thread_id = batch[0].thread_id
        assert thread_id is not None
        if thread is None or thread.title:
            self._remember_titled(thread_id)
            return None
        title = await self._generate_title(opts, batch)
        if title:
            await store.update_thread(thread_id, title=title)
            self._remember_titled(thread_id)
        return title or None

    def _remember_titled(self, thread_id: str) -> None:
        if len(self._titled) >= _TITLED_CACHE_LIMIT:
            self._titled.clear()
        self._titled.add(thread_id)

    # ---- vectors --------------------------------------------------------------------------

    def _vec(self) -> VectorStore:
        if self.vector is None:  # pragma: no cover - callers check first
            raise ConfigurationError("no vector store", id="SEMANTIC_RECALL_MISSING_VECTOR_STORE")
        return self.vector

    def _index_name(self, semantic: SemanticRecallOptions | None) -> str:
        assert self.embedder is not None
        if semantic is not None and semantic.index_name:
            return semantic.index_name
        return index_name(self.embedder.dimension, self._vec().index_separator)

    async def _ensure_index(self, name: str) -> None:
        """``create_index`` once per index per Memory object (it is idempotent anyway)."""
        if name in self._indexes_ready:
            return
        assert self.embedder is not None
        await self._vec().create_index(
            index_name=name, dimension=self.embedder.dimension, metric="cosine"
        )
        self._indexes_ready.add(name)

    async def _memory_indexes(self) -> list[str]:
        """Every memory index (any dimension): where a thread's vectors may be."""
        vector = self._vec()
        prefix = vector.index_separator.join(("memory", "messages"))
        return [n for n in await vector.list_indexes() if n.startswith(prefix)]

    async def _search(
        self,
        semantic: SemanticRecallOptions,
        query: str,
        thread_id: str,
        resource_id: str | None,
    ) -> list[RecallHit]:
        assert self.embedder is not None
        [vector] = await self.embedder.embed([query])
        name = self._index_name(semantic)
        await self._ensure_index(name)
        results = await self._vec().query(
            index_name=name,
            query_vector=vector,
            top_k=semantic.top_k,
            filter=recall_filter(semantic.scope, thread_id, resource_id),
        )
        hits: list[RecallHit] = []
        for result in results:
            meta = result.metadata or {}
            message_id = meta.get("message_id")
            if not isinstance(message_id, str) or not message_id:
                continue
            if semantic.threshold is not None and result.score < semantic.threshold:
                continue
            hits.append(
                RecallHit(
                    message_id=message_id,
                    thread_id=str(meta.get("thread_id") or thread_id),
                    score=float(result.score),
                )
            )
        return hits

    async def _embed(self, opts: MemoryOptions, batch: Sequence[Message]) -> int:
        if opts.semantic_recall is None or self.vector is None or self.embedder is None:
            return 0
        pairs = [(m, message_text(m)) for m in batch]
        pairs = [(m, t) for m, t in pairs if t.strip()]
        if not pairs:
            return 0
        vectors = await self.embedder.embed([t for _, t in pairs])
        name = self._index_name(opts.semantic_recall)
        await self._ensure_index(name)
        await self._vec().upsert(
            index_name=name,
            vectors=vectors,
            metadata=[vector_metadata(m) for m, _ in pairs],
            ids=[m.id for m, _ in pairs],
        )
        return len(pairs)

    # ---- observational memory -------------------------------------------------------------

    async def get_observational_memory(
        self, thread_id: str, resource_id: str, *, options: OptionsInput = None
    ) -> ObservationalMemoryRecord | None:
        """The current observational memory record of the thread (``scope="thread"``) or of
        the resource, as an observer stored it; ``None`` when the ``observational_memory``
        option is off or nothing is stored. Raises
        :class:`~mastra_storage.errors.NotSupportedError` when the backend stores no OM."""
        opts = self.resolve(options).observational_memory
        if not opts.enabled:
            return None
        om = (await self.store()).observational_memory
        thread = thread_id if opts.scope == "thread" else None
        return await om.get_observational_memory(thread, resource_id)

    async def get_observations(
        self, thread_id: str, resource_id: str, *, options: OptionsInput = None
    ) -> str | None:
        """The current active observations text to show the model (see
        :meth:`get_observational_memory`); ``None`` when off or none stored."""
        record = await self.get_observational_memory(thread_id, resource_id, options=options)
        return None if record is None else record.active_observations

    # ---- working memory -------------------------------------------------------------------

    def working_memory_template(self, options: OptionsInput = None) -> str | None:
        """The template to show the model, ``None`` when working memory is disabled."""
        wm = self.resolve(options).working_memory
        return wm.template if wm.enabled else None

    async def get_working_memory(
        self, thread_id: str, resource_id: str | None = None, *, options: OptionsInput = None
    ) -> str | None:
        """The stored working memory (``None`` when unset, or disabled)."""
        opts = self.resolve(options)
        await self.store()
        return await self._working().get(opts.working_memory, thread_id, resource_id)

    async def update_working_memory(
        self,
        thread_id: str,
        resource_id: str | None,
        working_memory: str,
        *,
        expected: Any = ...,
        expected_version: str | None = None,
        options: OptionsInput = None,
    ) -> str:
        """Replace the working memory. With ``expected`` (a string or ``None``): only if the
        stored value still equals it, else :class:`~.working.StaleWorkingMemory`. With
        ``expected_version`` (resource scope: ``Resource.version`` or
        :data:`~mastra_storage.versioning.NEW`): only if the resource is still at that
        version, else :class:`~mastra_storage.errors.VersionConflictError`."""
        opts = self._writable(options)
        await self.store()
        return await self._working().set(
            opts.working_memory,
            thread_id,
            resource_id,
            working_memory,
            expected=expected,
            expected_version=expected_version,
        )

    async def modify_working_memory(
        self,
        thread_id: str,
        resource_id: str | None,
        update: WorkingMemoryUpdate,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        options: OptionsInput = None,
    ) -> str:
        """Read-modify-write the working memory without lost updates, across tasks and
        processes: ``update(current)`` (sync or async) may run more than once; after
        ``max_attempts`` lost compare-and-sets it raises :class:`ConflictError`."""
        opts = self._writable(options)
        await self.store()
        return await self._working().modify(
            opts.working_memory, thread_id, resource_id, update, max_attempts=max_attempts
        )

    def _writable(self, options: OptionsInput) -> MemoryOptions:
        opts = self.resolve(options)
        if opts.read_only:
            raise ConfigurationError(
                "Memory is read-only: working memory cannot be updated",
                id="MASTRA_MEMORY_READ_ONLY",
            )
        return opts


__all__ = ["Memory"]
