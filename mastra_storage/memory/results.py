"""What ``Memory.recall`` and ``Memory.save_turn`` return."""

from __future__ import annotations

import msgspec

from ..records import Message, Thread
from .vectors import RecallHit


class RecallResult(msgspec.Struct, kw_only=True):
    """The context for one agent turn.

    ``history``: the thread's newest ``last_messages`` messages, oldest first.
    ``recalled``: semantically recalled messages and their context windows that are not
    already in ``history`` (with resource scope they may come from other threads of the
    resource), oldest first. ``messages``: both, merged and ordered by time, no duplicates.
    ``hits``: the vector matches behind ``recalled``, best first.
    """

    thread: Thread | None
    messages: list[Message]
    history: list[Message]
    recalled: list[Message]
    hits: list[RecallHit]


class SaveTurnResult(msgspec.Struct, kw_only=True):
    """``saved``: the messages written (empty when read-only). ``thread_created``: the thread
    did not exist and was created by this turn. ``title``: the title the ``generate_title``
    hook gave the thread in this call, if it ran. ``embedded``: vectors upserted."""

    saved: list[Message]
    thread_created: bool
    title: str | None = None
    embedded: int = 0
    read_only: bool = False


__all__ = ["RecallResult", "SaveTurnResult"]
