"""One PyMongo ``AsyncMongoClient`` per store: lazy connect, transactions, error mapping.

Why one module: every domain needs the same three things from the driver: a database
handle that returns timezone-aware UTC datetimes, a way to run several writes atomically
(a multi-document transaction when the deployment has sessions and a replica set or
``mongos``; otherwise the caller's ordered writes), and driver exceptions turned into the
project's typed errors without leaking the connection string.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import timezone
from typing import Any, TypeVar

from bson import encode as bson_encode
from bson.codec_options import CodecOptions
from bson.errors import InvalidDocument
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, PyMongoError, ServerSelectionTimeoutError

from mastra_storage.backend.concurrency import RetryPolicy
from mastra_storage.errors import (
    ConflictError,
    MastraStorageError,
    ValidationError,
    storage_error_id,
)
from mastra_storage.logs import command_logging, log_command, log_schema_change

from .abandoned import AbandonedSessions
from .errors import DocumentTooLargeError, chained_cause, translate_error

T = TypeVar("T")
Session = AsyncClientSession | None
Document = dict[str, Any]

#: MongoDB's document limit; the server's ``maxBsonObjectSize`` replaces it after ``hello``.
DEFAULT_MAX_BSON_SIZE = 16 * 1024 * 1024
#: A read-modify-write that lost a race (a concurrent insert won the unique index, or a
#: compare-and-swap missed) is retried at once: the next read sees the winner, so waiting
#: buys nothing, and 20 rounds outlast any realistic burst of writers on one document.
RMW_RETRY = RetryPolicy(attempts=20, base_s=0.0, cap_s=0.0)
#: A transaction aborted by a transient error (mostly a WriteConflict: many writers bumping
#: one thread) is retried up to 200 times with jittered backoff from 1 ms capped at 50 ms:
#: writers conflict in rounds, and spreading them out lets each round finish.
TX_RETRY = RetryPolicy(attempts=200, base_s=0.001, cap_s=0.05)
#: A lost connection (and an unknown commit result) is retried only twice: the client's
#: own timeouts already waited, and an unreachable server must fail fast with
#: ``UnavailableError``, not hang through the transaction budget above.
TX_NETWORK_RETRY = RetryPolicy(attempts=2, base_s=0.0, cap_s=0.0)


#: Commands that change the layout: logged at ``INFO`` on ``mastra_storage.schema``.
_SCHEMA_COMMANDS = frozenset({"create", "createIndexes", "collMod", "dropIndexes"})
#: The arrays whose length a command record shows (documents written, updates, deletes).
_COUNTED = ("documents", "updates", "deletes")


class CommandLog(monitoring.CommandListener):
    """PyMongo command monitoring feeding the library's loggers (the one place every
    command of a client passes, transactions and sessions included).

    ``DEBUG`` on ``mastra_storage.commands``: the command name, the collection and how many
    documents, updates or deletes it carries; never a filter, a key or a value (they hold
    thread and resource ids and message content). ``INFO`` on ``mastra_storage.schema``:
    each index or collection change, with the index names and key fields.
    """

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        if name in _SCHEMA_COMMANDS:
            log_schema_change("mongodb", _describe_schema_command(name, event.command))
        elif command_logging():
            command = event.command
            target = command.get(name)
            counts = {k: len(command[k]) for k in _COUNTED if isinstance(command.get(k), list)}
            log_command(
                "mongodb",
                name,
                f"{event.database_name}.{target}" if isinstance(target, str) else "",
                **counts,
            )

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        """Nothing: the start record says what was sent."""

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """Nothing: the error reaches the caller as a typed error."""


def _describe_schema_command(name: str, command: Mapping[str, Any]) -> str:
    """``createIndexes mastra_threads: idx (resourceId, createdAt)``: names and key fields
    only (a partial index's filter may hold constants; it is left out)."""
    target = command.get(name)
    text = f"{name} {target}" if isinstance(target, str) else name
    indexes = command.get("indexes")
    if isinstance(indexes, list):
        shown = [
            f"{index.get('name')} ({', '.join(str(k) for k in index.get('key', {}))})"
            for index in indexes
            if isinstance(index, Mapping)
        ]
        text += ": " + "; ".join(shown)
    return text


class MongoConnection:
    """The client, the database and the transaction policy shared by a store's domains.

    ``transactions``: ``None`` detects support once (``hello`` reports ``setName`` or
    ``msg == "isdbgrid"``), ``True``/``False`` force it (``False`` exercises the ordered,
    non-transactional path on a server that could do transactions).
    """

    def __init__(
        self,
        client: AsyncMongoClient[Document],
        db_name: str,
        *,
        owns_client: bool,
        transactions: bool | None = None,
        display_url: str = "",
        secret_url: str | None = None,
    ) -> None:
        self.client = client
        self.db_name = db_name
        self.owns_client = owns_client
        self.display_url = display_url
        self._secret_url = secret_url
        self._forced_transactions = transactions
        self._supports_transactions: bool | None = None
        self.max_bson_size = DEFAULT_MAX_BSON_SIZE
        self._probe_lock = asyncio.Lock()
        self.abandoned = AbandonedSessions(client)
        self.db: AsyncDatabase[Document] = client.get_database(
            db_name, codec_options=CodecOptions(tz_aware=True, tzinfo=timezone.utc)
        )

    def collection(self, name: str) -> AsyncCollection[Document]:
        return self.db.get_collection(name)

    # ---- capabilities ----------------------------------------------------------------

    async def probe(self) -> bool:
        """Ask the server once what it supports; return whether transactions are used."""
        if self._supports_transactions is not None:
            return self._supports_transactions
        async with self._probe_lock:
            if self._supports_transactions is None:
                hello = await self.guard("hello", self.client.admin.command("hello"))
                self.max_bson_size = int(hello.get("maxBsonObjectSize", DEFAULT_MAX_BSON_SIZE))
                detected = bool(hello.get("setName")) or hello.get("msg") == "isdbgrid"
                if self._forced_transactions is None:
                    self._supports_transactions = detected
                else:
                    self._supports_transactions = self._forced_transactions and detected
        return bool(self._supports_transactions)

    async def server_version(self) -> str:
        """The server's reported version (``buildInfo``), for ``doctor``."""
        try:
            info = await self.client.admin.command("buildInfo")
        except PyMongoError:
            return "?"
        return str(info.get("version", "?"))

    @property
    def uses_transactions(self) -> bool | None:
        """``None`` until the first operation probed the server."""
        return self._supports_transactions

    # ---- running work ----------------------------------------------------------------

    async def atomic(self, operation: str, work: Callable[[Session], Awaitable[T]]) -> T:
        """Run ``work`` in one transaction (retried on transient errors), or, without
        transaction support, once with ``session=None``: the caller orders its writes so
        an interruption never leaves a message without its thread."""
        if not await self.probe():
            return await self.guard(operation, work(None))
        async with self.client.start_session() as session:
            result: T = await self.guard(operation, self._transaction(session, work))
            return result

    @staticmethod
    def _link_lost(exc: BaseException) -> bool:
        """Whether a connection died under the session (not: no server was selected).

        PyMongo discards such a session without ending it on the server, which may still
        hold its transaction open (see :mod:`.abandoned`).
        """
        return isinstance(exc, ConnectionFailure) and not isinstance(
            exc, ServerSelectionTimeoutError
        )

    async def _transaction(
        self, session: AsyncClientSession, work: Callable[[Session], Awaitable[T]]
    ) -> T:
        """``work`` in one transaction, retried a bounded number of times.

        Why not ``with_transaction``: it retries transient errors for up to 120 seconds,
        so a call made while the server is unreachable hung for two minutes instead of
        failing with :class:`UnavailableError` after the client's timeouts.
        """
        failures: list[BaseException] = []
        try:
            return await self._attempts(session, work, failures)
        except BaseException:
            if any(self._link_lost(exc) for exc in failures):
                # An attempt may still be open on the server: its abort was lost too.
                self.abandoned.add(session.session_id)
            raise

    async def _attempts(
        self,
        session: AsyncClientSession,
        work: Callable[[Session], Awaitable[T]],
        failures: list[BaseException],
    ) -> T:
        """The bounded retry loop of :meth:`_transaction`; appends each error it meets."""
        network_failures = 0
        network_budget = TX_NETWORK_RETRY.attempts
        for attempt in TX_RETRY.tries():
            last = attempt + 1 == TX_RETRY.attempts or network_failures >= network_budget
            await session.start_transaction()
            try:
                result = await work(session)
            except asyncio.CancelledError:
                # Cancelled (deadline or caller): no abort over a link that may be stalled;
                # the server ends the transaction when the session is reaped.
                raise
            except BaseException as exc:
                failures.append(exc)
                if isinstance(exc, ConnectionFailure):
                    network_failures += 1
                    last = last or network_failures >= network_budget
                if session.in_transaction:
                    with contextlib.suppress(PyMongoError):
                        await session.abort_transaction()
                if (
                    isinstance(exc, PyMongoError)
                    and exc.has_error_label("TransientTransactionError")
                    and not last
                ):
                    # Many writers on one document (a busy thread's bump) conflict in
                    # rounds: jittered backoff spreads them instead of a retry storm.
                    await TX_RETRY.pause(attempt)
                    continue
                raise
            for commit_attempt in TX_NETWORK_RETRY.tries():
                try:
                    await session.commit_transaction()
                    return result
                except PyMongoError as exc:
                    failures.append(exc)
                    if exc.has_error_label("UnknownTransactionCommitResult") and (
                        commit_attempt + 1 < network_budget
                    ):
                        continue
                    if exc.has_error_label("TransientTransactionError") and not last:
                        break
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def read_modify_write(
        self,
        operation: str,
        collection: str,
        key: Mapping[str, Any],
        compute: Callable[[Document | None], tuple[Document | None, T]],
    ) -> T:
        """Atomically replace the document matching ``key`` with ``compute(current)``.

        ``compute`` is pure and returns ``(fields to write or None, result)``. In a
        transaction, a concurrent writer aborts us with a WriteConflict and the
        transaction retries; without transactions the write is a compare-and-swap on every
        field read, retried when another writer got there first. An insert that loses
        the race to another insert (unique index) is retried the same way.
        """
        coll = self.collection(collection)
        transactional = await self.probe()
        for attempt in RMW_RETRY.tries():
            inserting = False

            async def work(session: Session) -> tuple[bool, T]:
                nonlocal inserting
                current = await coll.find_one(dict(key), session=session)
                fields, result = compute(current)
                if fields is None:
                    return True, result
                self.check_size(fields, operation)
                if current is None:
                    inserting = True
                    await coll.insert_one(dict(fields), session=session)
                    return True, result
                match: Document = {"_id": current["_id"]}
                if not transactional:
                    match.update({k: {"$eq": v} for k, v in current.items() if k != "_id"})
                outcome = await coll.update_one(match, {"$set": fields}, session=session)
                return outcome.matched_count == 1, result

            try:
                done, result = await self.atomic(operation, work)
            except ConflictError:
                if not inserting:
                    raise  # raised by ``compute`` itself (e.g. a failed compare-and-set)
                await RMW_RETRY.pause(attempt)
                continue  # a concurrent insert won the unique index: read it and retry
            if done:
                return result
            await RMW_RETRY.pause(attempt)
        raise ConflictError(
            f"{operation}: gave up after {RMW_RETRY.attempts} concurrent-update retries",
            id=storage_error_id("MONGODB", operation, "CONFLICT"),
        )

    def check_size(self, document: Mapping[str, Any], operation: str) -> None:
        """Reject a document the server would refuse, before anything is written."""
        try:
            size = len(bson_encode(document))
        except (InvalidDocument, OverflowError, TypeError) as exc:
            raise ValidationError(
                f"{operation}: value cannot be stored in MongoDB: {exc}",
                id=storage_error_id("MONGODB", operation, "INVALID_DOCUMENT"),
            ) from exc
        if size > self.max_bson_size:
            raise DocumentTooLargeError(
                f"{operation}: the document is {size} bytes, over MongoDB's "
                f"{self.max_bson_size}-byte limit; nothing was written (the stored version "
                "is unchanged). Shrink the payload (e.g. drop per-step request bodies from "
                "the workflow snapshot) or store large blobs elsewhere.",
                id=storage_error_id("MONGODB", operation, "DOCUMENT_TOO_LARGE"),
                details={"size": size, "limit": self.max_bson_size},
            )

    async def guard(self, operation: str, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable``, mapping driver errors to typed, redacted errors
        (:func:`.errors.translate_error`)."""
        self.abandoned.release_soon()
        try:
            return await awaitable
        except MastraStorageError:
            raise
        except Exception as exc:
            error = translate_error(
                operation, exc, display_url=self.display_url, secret_url=self._secret_url
            )
            if error is None:
                raise
            raise error from chained_cause(exc)

    async def close(self) -> None:
        await self.abandoned.close()
        if self.owns_client:
            await self.client.close()


__all__ = [
    "DEFAULT_MAX_BSON_SIZE",
    "RMW_RETRY",
    "TX_NETWORK_RETRY",
    "TX_RETRY",
    "CommandLog",
    "Document",
    "DocumentTooLargeError",
    "MongoConnection",
    "Session",
]
