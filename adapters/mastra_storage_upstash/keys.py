"""Every key this adapter reads or writes, in one place.

Two families share one key prefix (empty by default, so the keys are exactly Mastra's):

* Mastra's keys (``@mastra/upstash`` 1.3.1): the JSON records and Mastra's own small
  indexes (``msg-idx:<id>``, ``thread:<id>:messages``). Mastra reads and writes these.
* Our secondary indexes under ``mastra-storage:``. They are sorted sets whose members all
  have score 0 and sort *lexicographically*: a member starts with a fixed-width position
  (created-at milliseconds, then an insertion sequence), so ``ZRANGE ... BYLEX LIMIT``
  pages in time order with a stable tie-break, and ``ZLEXCOUNT`` counts a date range in
  O(log n). Mastra never touches them; ``mastra-storage upstash reindex`` builds them for
  data Mastra wrote.

Ids are never parsed out of a key; where an index member must carry ids they are a JSON
array at the end of the member, so ids may contain any character.

Key identity (no two records share a key). Our keys are a JSON array after a fixed head,
so they are injective. Mastra's keys join ids with ``:``; each is a fixed head, then ids
separated by a fixed marker, so a key is ambiguous only when an id *before* a marker could
hide that marker. The rule (:func:`check_thread_key_id`, :func:`check_run_key_ids`) refuses
exactly those ids: a thread id ``t`` with ``":id:" in t + ":"``, a workflow name ``w`` with
``":run_id:" in w + ":"``, a run id ``r`` with ``":resourceId:" in r + ":"``. Every other id
(``user:42``, ids *after* the last marker: message ids, resource ids, score ids) is free.

Why that suffices, for ``<head><t>:id:<m>`` (the workflow markers are alike): if ``":id:"``
is not in ``t + ":"``, the first ``":id:"`` of ``t + ":id:" + m`` starts exactly after ``t``.
An earlier start ``p`` either lies inside ``t + ":"`` (excluded) or is ``len(t) - 2`` or
``len(t) - 1``, which would need the ``:`` after ``t`` to be an ``i`` or a ``d``. So ``t``
(and then ``m``) is read back from the key alone: two records with one key are one record.
Heads differ between families (``mastra_threads:``, ``mastra_messages:``, ``msg-idx:``,
``thread:``, ``mastra-storage:``, …; none is a prefix of another), so families never meet.
``tests/upstash/test_upstash_key_identity.py`` checks this as a property over ids built
from separator fragments.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mastra_storage.codec import dumps, loads
from mastra_storage.errors import ValidationError
from mastra_storage.layout import (
    TABLE_MESSAGES,
    TABLE_RESOURCES,
    TABLE_SCORERS,
    TABLE_THREADS,
    TABLE_WORKFLOW_SNAPSHOT,
)

#: Shifts epoch milliseconds (years 1..9999) into a fixed-width non-negative decimal.
_MS_OFFSET = 10**14
_MS_WIDTH = 15
_SEQ_WIDTH = 16
POS_WIDTH = _MS_WIDTH + 1 + _SEQ_WIDTH

OURS = "mastra-storage"


def _refuse_marker(value: str, marker: str, field: str, operation: str) -> None:
    if marker in value + ":":
        raise ValidationError(
            f"{field} must not contain {marker!r} nor end with {marker[:-1]!r}: "
            "in the Upstash key layout it would name another record's key",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
            details={"field": field},
        )


def thread_key_is_unambiguous(thread_id: str) -> bool:
    """Whether message keys of this thread name no other record (false only for thread ids
    a Mastra app wrote that :func:`check_thread_key_id` would refuse)."""
    return ":id:" not in thread_id + ":"


def check_thread_key_id(thread_id: str, *, operation: str) -> None:
    """Refuse a thread id that would make a message key ambiguous (see the module notes).

    Called before any write that creates a thread or a message key of that thread.
    Raises :class:`ValidationError`; nothing has been written.
    """
    _refuse_marker(thread_id, ":id:", "thread_id", operation)


def check_run_key_ids(workflow_name: str, run_id: str, *, operation: str) -> None:
    """Refuse a workflow name or run id that would make a run's key ambiguous.

    Raises :class:`ValidationError` before any write; nothing has been written.
    """
    _refuse_marker(workflow_name, ":run_id:", "workflow_name", operation)
    _refuse_marker(run_id, ":resourceId:", "run_id", operation)


def ms_text(ms: int) -> str:
    """Epoch milliseconds as a fixed-width string whose byte order is numeric order."""
    return f"{ms + _MS_OFFSET:0{_MS_WIDTH}d}"


def datetime_us(value: datetime) -> int:
    """Epoch microseconds of an aware datetime (date-range bounds may be finer than ms)."""
    delta = value - datetime(1970, 1, 1, tzinfo=value.tzinfo)
    return delta.days * 86_400_000_000 + delta.seconds * 1_000_000 + delta.microseconds


def position(ms: int, seq: int) -> str:
    """``<ms>:<seq>``: the sort key of a message (created-at, then insertion order)."""
    return f"{ms_text(ms)}:{seq:0{_SEQ_WIDTH}d}"


def message_member(ms: int, seq: int, thread_id: str, message_id: str) -> str:
    """A message's member in every message index: position, then ``[threadId, id]``."""
    return f"{position(ms, seq)}:{dumps([thread_id, message_id])}"


def parse_message_member(member: str) -> tuple[int, int, str, str]:
    """``(ms, seq, thread_id, message_id)`` of a message index member."""
    ms = int(member[:_MS_WIDTH]) - _MS_OFFSET
    seq = int(member[_MS_WIDTH + 1 : POS_WIDTH])
    thread_id, message_id = loads(member[POS_WIDTH + 1 :])
    return ms, seq, str(thread_id), str(message_id)


def timed_member(ms: int, tail: str) -> str:
    """``<ms>:<tail>``: a thread/score/run member ordered by time, then ``tail``."""
    return f"{ms_text(ms)}:{tail}"


def parse_timed_member(member: str) -> tuple[int, str]:
    return int(member[:_MS_WIDTH]) - _MS_OFFSET, member[_MS_WIDTH + 1 :]


def run_tail(workflow_name: str, run_id: str) -> str:
    """Run members order by run id, then workflow (NUL sorts before every id character)."""
    return f"{run_id}\x00{workflow_name}"


def parse_run_tail(tail: str) -> tuple[str, str]:
    run_id, _, workflow_name = tail.rpartition("\x00")
    return workflow_name, run_id


class Keys:
    """Key names under one prefix (validated by the store; empty = Mastra's exact keys)."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix

    # ---- Mastra's keys -------------------------------------------------------------------

    def thread(self, thread_id: str) -> str:
        return f"{self.prefix}{TABLE_THREADS}:id:{thread_id}"

    def message(self, thread_id: str, message_id: str) -> str:
        return f"{self.prefix}{TABLE_MESSAGES}:threadId:{thread_id}:id:{message_id}"

    def mastra_thread_messages(self, thread_id: str) -> str:
        return f"{self.prefix}thread:{thread_id}:messages"

    def message_index(self, message_id: str) -> str:
        return f"{self.prefix}msg-idx:{message_id}"

    def resource(self, resource_id: str) -> str:
        return f"{self.prefix}{TABLE_RESOURCES}:{resource_id}"

    def workflow(self, workflow_name: str, run_id: str, resource_id: str | None) -> str:
        key = (
            f"{self.prefix}{TABLE_WORKFLOW_SNAPSHOT}:namespace:workflows:"
            f"workflow_name:{workflow_name}:run_id:{run_id}"
        )
        return f"{key}:resourceId:{resource_id}" if resource_id else key

    def score(self, score_id: str) -> str:
        return f"{self.prefix}{TABLE_SCORERS}:id:{score_id}"

    def table_pattern(self, table: str) -> str:
        """SCAN pattern of one of Mastra's tables (clear-all and reindex only)."""
        return f"{_glob_escape(self.prefix)}{table}:*"

    # ---- our indexes ---------------------------------------------------------------------

    def _ours(self, *parts: Any) -> str:
        return f"{self.prefix}{OURS}:{dumps(list(parts))}"

    def seq(self) -> str:
        """Counter handing out message insertion sequences."""
        return f"{self.prefix}{OURS}:seq"

    def message_meta(self, message_id: str) -> str:
        """``{"t": threadId, "r": resourceId, "m": createdMs, "s": seq}`` of a message."""
        return self._ours("msg", message_id)

    def thread_messages(self, thread_id: str) -> str:
        return self._ours("thread-messages", thread_id)

    def thread_resource_messages(self, thread_id: str, resource_id: str) -> str:
        return self._ours("thread-resource-messages", thread_id, resource_id)

    def resource_messages(self, resource_id: str) -> str:
        return self._ours("resource-messages", resource_id)

    def threads_by(self, field: str, resource_id: str | None) -> str:
        """Threads ordered by ``created_at``/``updated_at`` (of a resource, or all)."""
        return self._ours("threads", field, resource_id)

    def run_meta(self, workflow_name: str, run_id: str) -> str:
        """``{"k": Mastra key, "m": createdMs, "r": resourceId}`` of a workflow run."""
        return self._ours("run", workflow_name, run_id)

    def runs_by(self, kind: str, value: str | None) -> str:
        """Runs newest first: ``("all", None)``, ``("workflow", name)``, ``("resource", id)``,
        ``("run", run_id)``."""
        return self._ours("runs", kind, value)

    def scores_by(self, kind: str, *values: str) -> str:
        """Scores newest first, by ``scorer``, ``run``, ``entity`` (id, type) or ``span``."""
        return self._ours("scores", kind, *values)

    def om_record(self, record_id: str) -> str:
        """An observational memory record (JSON)."""
        return self._ours("om", record_id)

    def om_generations(self, lookup_key: str) -> str:
        """The generations of one observational memory, newest last (lexicographic)."""
        return self._ours("om-generations", lookup_key)

    def span(self, trace_id: str, span_id: str) -> str:
        """A tracing span (JSON)."""
        return self._ours("span", trace_id, span_id)

    def trace(self, trace_id: str) -> str:
        """A trace's hash: span id -> the facts its index entries derive from."""
        return self._ours("trace", trace_id)

    def traces_by(self, order: str, *family: str) -> str:
        """Root spans by ``started_at``/``ended_at`` (lexicographic), per access path."""
        return self._ours("traces", order, *family)

    def ours_pattern(self, kind: str | None = None) -> str:
        """SCAN pattern of our index keys (of one kind) (clear-all and reindex only)."""
        if kind is None:
            return f"{_glob_escape(self.prefix)}{OURS}:*"
        return _glob_escape(f"{self.prefix}{OURS}:[{dumps(kind)},") + "*"

    def raw_pattern(self, pattern: str) -> str:
        """A glob of Mastra's un-tabled keys (``msg-idx:*``, ``thread:*``) under the prefix."""
        return f"{_glob_escape(self.prefix)}{pattern}"


def glob_escape(text: str) -> str:
    """``text`` as a literal in a ``SCAN MATCH`` glob."""
    return _glob_escape(text)


def _glob_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in "*?[]\\":
            out.append("\\")
        out.append(ch)
    return "".join(out)


__all__ = [
    "OURS",
    "POS_WIDTH",
    "Keys",
    "check_run_key_ids",
    "check_thread_key_id",
    "datetime_us",
    "glob_escape",
    "message_member",
    "ms_text",
    "parse_message_member",
    "parse_run_tail",
    "parse_timed_member",
    "position",
    "run_tail",
    "thread_key_is_unambiguous",
    "timed_member",
]
