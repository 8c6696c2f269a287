"""Build our secondary indexes for data that ``@mastra/upstash`` wrote (a one-time job).

Mastra writes records without the indexes this adapter reads through, so until they exist
those records are invisible to listings. ``reindex`` walks Mastra's tables with ``SCAN``
(the only place besides ``dangerously_clear_all`` that may: it is maintenance, run once
per database, not on a request path) and rebuilds every index from the records. It is
idempotent, keeps the insertion sequence of messages it already knows, and orders new ones
by ``(createdAt, _index, id)``. Run it while Mastra is not writing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mastra_storage.layout import (
    TABLE_MESSAGES,
    TABLE_SCORERS,
    TABLE_THREADS,
    TABLE_WORKFLOW_SNAPSHOT,
)
from mastra_storage.records import Thread
from mastra_storage.timeutil import to_epoch_ms

from .db import RedisDB, WriteBatch
from .indexes import (
    MessageMeta,
    message_index_keys,
    newest_runs,
    run_index_keys,
    run_member,
    run_pointer,
    score_index_keys,
    score_member,
    thread_index_ops,
)
from .rows import message_from_json, run_from_json, score_from_json, thread_from_json
from .scan import delete_matching, scan_keys

#: Index kinds rebuilt from scratch (message metas are kept: they hold known sequences).
_REBUILT = (
    "threads",
    "thread-messages",
    "thread-resource-messages",
    "resource-messages",
    "run",
    "runs",
    "scores",
)


@dataclass
class ReindexReport:
    threads: int = 0
    messages: int = 0
    workflow_runs: int = 0
    scores: int = 0
    skipped: list[str] = field(default_factory=list)


async def _records(db: RedisDB, table: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    seen: set[str] = set()
    async for batch in scan_keys(db.client, db.keys.table_pattern(table)):
        fresh = [k for k in batch if k not in seen]
        seen.update(fresh)
        if fresh:
            out.extend(zip(fresh, await db.mget_json(fresh), strict=True))
    return out


def _parsed(
    records: list[tuple[str, Any]], parse: Callable[[dict[str, Any]], Any], report: ReindexReport
) -> list[tuple[str, Any, dict[str, Any]]]:
    out = []
    for key, data in records:
        try:
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            out.append((key, parse(data), data))
        except Exception as exc:  # a malformed record must not stop the job
            report.skipped.append(f"{key}: {exc}")
    return out


async def reindex(db: RedisDB) -> ReindexReport:
    """Rebuild every secondary index from Mastra's records (see the module docstring)."""
    report = ReindexReport()
    k = db.keys
    plain = RedisDB(db.client, k, {}, db.display_url)  # index entries of foreign data: no TTL
    for kind in _REBUILT:
        await delete_matching(db.client, k.ours_pattern(kind))

    threads = _parsed(await _records(db, TABLE_THREADS), thread_from_json, report)
    async with db.client.pipeline(transaction=False) as pipe:
        for _, thread, _ in threads:
            assert isinstance(thread, Thread)
            thread_index_ops(plain, pipe, None, thread)
        await pipe.execute()
    report.threads = len(threads)

    messages = await _one_copy_per_id(
        db, _parsed(await _records(db, TABLE_MESSAGES), message_from_json, report), report
    )
    messages.sort(
        key=lambda item: (
            to_epoch_ms(item[1].created_at),
            item[2].get("_index") if isinstance(item[2].get("_index"), int) else 0,
            item[1].id,
        )
    )
    ids = [m.id for _, m, _ in messages]
    known: list[Any] = []
    for start in range(0, len(ids), 500):
        known += await db.mget_json([k.message_meta(i) for i in ids[start : start + 500]])
    fresh = sum(1 for meta in known if not isinstance(meta, dict))
    next_seq = int(await db.client.incrby(k.seq(), fresh)) - fresh + 1 if fresh else 0
    batch = WriteBatch(plain)
    for (_, message, _), raw_meta in zip(messages, known, strict=True):
        old = MessageMeta.from_json(message.id, raw_meta)
        if old is not None:
            seq = old.seq
        else:
            seq, next_seq = next_seq, next_seq + 1
        meta = MessageMeta(
            message.id,
            str(message.thread_id),
            message.resource_id,
            to_epoch_ms(message.created_at),
            seq,
        )
        batch.set_json(k.message_meta(message.id), meta.to_json(), "message")
        batch.set_text(k.message_index(message.id), str(message.thread_id), "message")
        for key in message_index_keys(plain, meta):
            batch.zadd(key, {meta.member: 0}, "message")
    await _send(db, batch)
    report.messages = len(messages)

    runs = _parsed(await _records(db, TABLE_WORKFLOW_SNAPSHOT), run_from_json, report)
    newest = newest_runs((key, run) for key, run, _ in runs)
    batch = WriteBatch(plain)
    for key, run in newest.values():
        pointer = run_pointer(key, run)
        batch.set_json(k.run_meta(run.workflow_name, run.run_id), pointer, "workflow_snapshot")
        member = run_member(run)
        for index_key in run_index_keys(db, run):
            batch.zadd(index_key, {member: 0}, "workflow_snapshot")
    await _send(db, batch)
    report.workflow_runs = len(newest)

    scores = _parsed(await _records(db, TABLE_SCORERS), score_from_json, report)
    batch = WriteBatch(plain)
    for _, score, _ in scores:
        member = score_member(score)
        for index_key in score_index_keys(db, score):
            batch.zadd(index_key, {member: 0}, "score")
    await _send(db, batch)
    report.scores = len(scores)
    return report


async def _send(db: RedisDB, batch: WriteBatch) -> None:
    """Write ``batch`` in one pipeline round trip (not a transaction: a rebuild that
    stops half-way is finished by running it again)."""
    async with db.client.pipeline(transaction=False) as pipe:
        batch.flush(pipe)
        await pipe.execute()


async def _one_copy_per_id(
    db: RedisDB, messages: list[tuple[str, Any, dict[str, Any]]], report: ReindexReport
) -> list[tuple[str, Any, dict[str, Any]]]:
    """Older Mastra releases left a message's old copy behind when it moved thread; keep the
    copy in the thread ``msg-idx`` names (else the newest) and report the others."""
    by_id: dict[str, list[tuple[str, Any, dict[str, Any]]]] = {}
    for item in messages:
        by_id.setdefault(item[1].id, []).append(item)
    duplicated = [i for i, copies in by_id.items() if len(copies) > 1]
    if duplicated:
        owners = await db.client.mget([db.keys.message_index(i) for i in duplicated])
        for message_id, owner in zip(duplicated, owners, strict=True):
            copies = sorted(by_id[message_id], key=lambda c: to_epoch_ms(c[1].created_at))
            keep = next((c for c in copies if c[1].thread_id == owner), copies[-1])
            by_id[message_id] = [keep]
            report.skipped += [
                f"{c[0]}: stale copy of {message_id}" for c in copies if c is not keep
            ]
    return [copies[0] for copies in by_id.values()]


__all__ = ["ReindexReport", "reindex"]
