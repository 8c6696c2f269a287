"""Optimistic read-modify-writes: retry while another writer changed the item first.

Every read-modify-write of this adapter reads an item, computes the new one and writes it
on condition that the item is unchanged (``updatedAt`` + ``rev``, :func:`.table.cas_condition`).
A false condition, or a transaction cancelled by a false condition or a conflict, means
another writer won the race: :func:`optimistic` runs the attempt again, within
:data:`WRITE_RETRY`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from mastra_storage.backend.concurrency import RetryPolicy
from mastra_storage.errors import ConflictError

from .errors import ConditionFailed, TransactionCancelled
from .table import DynamoTable

T = TypeVar("T")

#: Twelve tries, each pause between 5 ms x 2**n and 10 ms x 2**n (capped at 0.64 s; about
#: 3 s in all): the per-item locks already queue this process's writers, so a lost race
#: means a writer in another process, and a dozen rounds outlast any realistic burst of
#: them on one item before the caller sees ``ConflictError``. The floor keeps a minimum
#: pause: an immediate retry mostly meets the same writer again (and, against moto, makes
#: its non-atomic conditional writes race more often).
WRITE_RETRY = RetryPolicy(attempts=12, base_s=0.01, cap_s=0.64, floor=0.5)


async def optimistic(
    table: DynamoTable, locks: Iterable[str], attempt: Callable[[], Awaitable[T]], *, what: str
) -> T:
    """Run ``attempt`` until its write's condition holds, holding this process's locks on
    ``locks`` (:attr:`DynamoTable.locks`) for each try.

    Atomicity is the attempt's own (one conditional write or one transaction). Raises
    :class:`~mastra_storage.errors.ConflictError` when every try of :data:`WRITE_RETRY` lost
    its race; any other error of ``attempt`` propagates at once.
    """
    names = list(locks)
    for n in WRITE_RETRY.tries():
        try:
            async with table.locks.hold_many(names):
                return await attempt()
        except ConditionFailed:
            pass
        except TransactionCancelled as exc:
            if not exc.condition_failed and "TransactionConflict" not in exc.reasons:
                raise
        if n + 1 < WRITE_RETRY.attempts:
            await WRITE_RETRY.pause(n)
    raise ConflictError(
        f"{what}: the item kept changing under concurrent writers; giving up",
        id="MASTRA_STORAGE_DYNAMODB_WRITE_CONFLICT",
    )


__all__ = ["WRITE_RETRY", "optimistic"]
