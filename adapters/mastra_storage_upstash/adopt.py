"""Following a live Mastra app: index the threads, workflow runs and scores it writes.

``@mastra/upstash`` writes records without our indexes, and its own listings ``SCAN`` the
whole keyspace on every call. Here each listing first asks :class:`Adopter` to catch up,
with work bounded per call:

* **Change detector.** ``DBSIZE`` (O(1), one command). After a completed pass over a
  family's keys, the key count at that pass's start is stored; while ``DBSIZE`` still equals
  it, nothing can have been created since, and a listing costs exactly one extra command
  (the last value is also cached in-process, so no state read either).
* **Bounded, resumable pass.** Otherwise one step of a ``SCAN`` over the family's pattern
  (``COUNT`` :data:`ADOPT_SCAN_COUNT`): the records found are loaded with one ``MGET``,
  checked against our indexes with one command per family (``ZMSCORE``/``MGET``; scores one
  ``ZMSCORE`` per scorer in the step), and the ones missing are indexed (one pipeline). The
  cursor is stored in Redis (hash ``<P>mastra-storage:["adopt"]``, a field per family), so
  the pass resumes on the next listing, in this or any other process. When it wraps to 0,
  the count at its start becomes the new baseline; anything created during the pass moved
  ``DBSIZE``, so another pass follows. A record Mastra creates is therefore listed at most
  two passes later: on the very next listing while the database has fewer keys than one
  ``SCAN`` step covers, else within ``2 * keys / ADOPT_SCAN_COUNT`` listings of that family.

Limits (documented in ``docs/upstash-layout.md``): the detector is a key count, so a creation
exactly offset by deletions between two listings is noticed only at the next change of the
count; Mastra's updates of an existing record need no adoption (our reads load the record,
and thread listings repair an entry whose time moved).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from mastra_storage.codec import dumps
from mastra_storage.layout import TABLE_SCORERS, TABLE_THREADS, TABLE_WORKFLOW_SNAPSHOT
from mastra_storage.records import Score, Thread, WorkflowRun
from mastra_storage.timeutil import to_epoch_ms

from .db import RedisDB, decode_json
from .indexes import (
    newest_runs,
    run_index_keys,
    run_member,
    run_pointer,
    score_index_keys,
    score_member,
    thread_index_ops,
)
from .keys import OURS, timed_member
from .rows import run_from_json, score_from_json, thread_from_json

#: ``COUNT`` hint of one adoption ``SCAN`` step (keyspace slots visited per listing).
ADOPT_SCAN_COUNT = 1000

#: Indexes the records of one ``SCAN`` step: ``[(key, decoded value)]`` -> adopted count.
AdoptBatch = Callable[[list[tuple[str, Any]]], Awaitable[int]]


class Adopter:
    """Bounded, cursor-persisted adoption of one Mastra table (see the module notes)."""

    def __init__(self, db: RedisDB, family: str, pattern: str, adopt: AdoptBatch) -> None:
        self._db = db
        self._pattern = pattern
        self._adopt = adopt
        self._family = family
        # One hash for every family: its creation moves DBSIZE once, not once per family.
        self._state_key = f"{db.keys.prefix}{OURS}:{dumps(['adopt'])}"
        #: ``DBSIZE`` at the start of the last pass known complete (in-process cache).
        self._baseline: int | None = None
        #: Records adopted by this process (tests and logs read it).
        self.adopted = 0

    @property
    def enabled(self) -> bool:
        return self._db.follow_mastra and not self._db.read_only

    async def pending(self) -> bool:
        """Whether records of this family may exist that our indexes lack (``DBSIZE``, and
        the stored pass state when the count moved). ``False`` when following is off."""
        if not self.enabled:
            return False
        size = int(await self._db.client.dbsize())
        if size == self._baseline:
            return False
        state = await self._state()
        if state["c"] == 0 and state["b"] == size:
            self._baseline = size
            return False
        return True

    async def step(self) -> None:
        """One bounded step of the adoption pass (nothing but ``DBSIZE`` on a quiet
        database). Idempotent and safe to run from several processes at once: adoption
        only adds index entries a record's own write would add."""
        if not self.enabled:
            return
        size = int(await self._db.client.dbsize())
        if size == self._baseline:
            return
        state = await self._state()
        if state["c"] == 0:
            if state["b"] == size:
                self._baseline = size
                return
            # A new pass covers what is there now (plus the state key, if this step
            # creates it: that key alone must not start another pass).
            state["s"] = size + (0 if state["stored"] else 1)
        cursor, keys = await self._db.client.scan(
            cursor=state["c"], match=self._pattern, count=ADOPT_SCAN_COUNT
        )
        found = sorted({str(k) for k in keys})
        if found:
            rows = await self._db.mget_json(found)
            self.adopted += await self._adopt(list(zip(found, rows, strict=True)))
        state["c"] = int(cursor)
        if state["c"] == 0:
            state["b"] = state["s"]
            after = size + (0 if state["stored"] else 1)  # once the state below is stored
            if state["b"] == after:
                self._baseline = after
        value = dumps({k: state[k] for k in ("c", "s", "b")})
        await self._db.client.hset(self._state_key, self._family, value)

    async def _state(self) -> dict[str, Any]:
        stored = await self._db.client.hgetall(self._state_key)
        raw = decode_json(stored.get(self._family))
        state: dict[str, Any] = {"c": 0, "s": None, "b": None, "stored": bool(stored)}
        if isinstance(raw, dict):
            state.update({k: raw.get(k) for k in ("c", "s", "b")})
        if not isinstance(state["c"], int):
            state["c"] = 0
        return state


# ---- the three families -------------------------------------------------------------------
# Each ``adopt`` callback checks the records of one step against our indexes with one
# command (scores: one per scorer in the step, in one round trip) and indexes the missing
# ones in one pipeline, without TTL: a record Mastra wrote keeps the expiry Mastra gave it.


def _foreign(db: RedisDB) -> RedisDB:
    return RedisDB(db.client, db.keys, {}, db.display_url, follow_mastra=False)


def thread_adopter(db: RedisDB) -> Adopter:
    """Adopts ``mastra_threads:id:*`` records missing from our thread indexes."""
    k = db.keys

    async def adopt(rows: list[tuple[str, Any]]) -> int:
        threads: list[Thread] = []
        for key, data in rows:
            thread = _parsed(data, thread_from_json)
            if isinstance(thread, Thread) and k.thread(thread.id) == key:
                threads.append(thread)
        if not threads:
            return 0
        members = [timed_member(to_epoch_ms(t.created_at), t.id) for t in threads]
        scores = await db.client.zmscore(k.threads_by("created_at", None), members)
        missing = [t for t, score in zip(threads, scores, strict=True) if score is None]
        if missing:
            plain = _foreign(db)
            async with db.client.pipeline(transaction=False) as pipe:
                for thread in missing:
                    thread_index_ops(plain, pipe, None, thread)
                await pipe.execute()
        return len(missing)

    return Adopter(db, "threads", k.table_pattern(TABLE_THREADS), adopt)


def run_index_writes(db: RedisDB, pipe: Any, key: str, run: WorkflowRun) -> None:
    """Queue the pointer and index entries of a run stored under ``key`` (foreign data)."""
    pipe.set(db.keys.run_meta(run.workflow_name, run.run_id), dumps(run_pointer(key, run)))
    member = run_member(run)
    for index_key in run_index_keys(db, run):
        pipe.zadd(index_key, {member: 0})


def run_adopter(db: RedisDB) -> Adopter:
    """Adopts ``mastra_workflow_snapshot:*`` records that have no run pointer of ours."""
    k = db.keys

    async def adopt(rows: list[tuple[str, Any]]) -> int:
        parsed = [(key, _parsed(data, run_from_json)) for key, data in rows]
        newest = newest_runs(
            (key, run)
            for key, run in parsed
            if isinstance(run, WorkflowRun)
            and k.workflow(run.workflow_name, run.run_id, run.resource_id) == key
        )
        if not newest:
            return 0
        names = list(newest)
        pointers = await db.client.mget([k.run_meta(w, r) for w, r in names])
        missing = [newest[n] for n, p in zip(names, pointers, strict=True) if p is None]
        if missing:
            async with db.client.pipeline(transaction=False) as pipe:
                for key, run in missing:
                    run_index_writes(db, pipe, key, run)
                await pipe.execute()
        return len(missing)

    return Adopter(db, "runs", k.table_pattern(TABLE_WORKFLOW_SNAPSHOT), adopt)


def score_adopter(db: RedisDB) -> Adopter:
    """Adopts ``mastra_scorers:id:*`` records missing from our by-scorer index."""
    k = db.keys

    async def adopt(rows: list[tuple[str, Any]]) -> int:
        by_scorer: dict[str, list[Score]] = {}
        for key, data in rows:
            score = _parsed(data, score_from_json)
            if isinstance(score, Score) and k.score(score.id) == key:
                by_scorer.setdefault(score.scorer_id, []).append(score)
        if not by_scorer:
            return 0
        async with db.client.pipeline(transaction=False) as pipe:
            for scorer_id, scores in by_scorer.items():
                members = [score_member(s) for s in scores]
                pipe.zmscore(k.scores_by("scorer", scorer_id), members)
            replies = await pipe.execute()
        missing = [
            s
            for scores, found in zip(by_scorer.values(), replies, strict=True)
            for s, score in zip(scores, found, strict=True)
            if score is None
        ]
        if missing:
            async with db.client.pipeline(transaction=False) as pipe:
                for s in missing:
                    member = score_member(s)
                    for index_key in score_index_keys(db, s):
                        pipe.zadd(index_key, {member: 0})
                await pipe.execute()
        return len(missing)

    return Adopter(db, "scores", k.table_pattern(TABLE_SCORERS), adopt)


def _parsed(data: Any, parse: Callable[[dict[str, Any]], Any]) -> Any:
    """A record parsed from a stored value, or ``None`` for anything malformed (a bad
    record Mastra or a third party wrote must not break a listing)."""
    if not isinstance(data, dict):
        return None
    try:
        return parse(data)
    except Exception:  # malformed foreign data: skipped, as reindex reports it
        return None


__all__ = [
    "ADOPT_SCAN_COUNT",
    "AdoptBatch",
    "Adopter",
    "run_adopter",
    "run_index_writes",
    "score_adopter",
    "thread_adopter",
]
