"""mastra-storage beside Agno's own async PostgreSQL db (``agno.db.postgres.AsyncPostgresDb``).

Agno keeps a conversation as a session row plus one row per run (agno 3), each run holding
its messages. Both sides run on the same private PostgreSQL server, interleaved operation
by operation:

* W1 append a turn (a user and an assistant message, 200 characters each), 500 turns on a
  new conversation. Ours: ``MemoryStore.save_messages`` of the two messages (one
  statement). Agno: what its agent persists after a run, ``upsert_session`` then
  ``upsert_run`` with the run's two messages.
* W2 newest 40 of 1,000 messages, 200 reads. Ours: ``list_messages(per_page=40,
  newest first, include_total=False)``. Agno: ``get_session(runs_limit=20)`` (20 runs of
  two messages), deserialized into its session and run objects, as its agent reads it.

Agno runs on ``postgresql+psycopg_async`` (its documented driver) with its engine
defaults. Run: ``python -m benchmarks.peers_agno [--quick] [--append-to FILE]``.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from benchmarks.peers_common import Cell, alternating_ms, cell, comparisons, run_cli
from mastra_storage import Message, MessageContent, OrderBy, Thread, connect

TEXT_CHARS = 200
PEER = "agno AsyncPostgresDb"
NEWEST_FIRST = OrderBy(field="created_at", direction="DESC")


@dataclass(frozen=True)
class Sizes:
    """Counts of one run (the issue's W1/W2 figures by default)."""

    w1_turns: int = 500
    w2_thread_messages: int = 1000
    w2_recall: int = 40
    w2_ops: int = 200
    warmup: int = 20


QUICK = Sizes(w1_turns=60, w2_thread_messages=200, w2_ops=40, warmup=5)


def _text(i: int) -> str:
    return (f"turn {i} " * 40)[:TEXT_CHARS]


class Ours:
    """The SDK's memory store: a thread per conversation, a row per message."""

    def __init__(self, memory: Any) -> None:
        self.memory = memory

    async def start(self, conversation: str) -> None:
        now = datetime.now(timezone.utc)
        await self.memory.save_thread(
            Thread(id=conversation, resource_id="bench", title="", created_at=now, updated_at=now)
        )

    async def append(self, conversation: str, i: int) -> None:
        now = datetime.now(timezone.utc)
        text = _text(i)
        await self.memory.save_messages(
            [
                self._message(conversation, "user", now, text),
                self._message(conversation, "assistant", now + timedelta(milliseconds=1), text),
            ]
        )

    @staticmethod
    def _message(
        conversation: str, role: Literal["user", "assistant"], at: datetime, text: str
    ) -> Message:
        return Message(
            id=uuid.uuid4().hex,
            role=role,
            created_at=at,
            thread_id=conversation,
            resource_id="bench",
            content=MessageContent.text(text),
        )

    async def recall(self, conversation: str, n: int) -> int:
        page = await self.memory.list_messages(
            thread_id=conversation, per_page=n, order_by=NEWEST_FIRST, include_total=False
        )
        return len(page.items)


class AgnoSide:
    """Agno 3's session + runs tables, called as its agent calls them."""

    def __init__(self, db: Any) -> None:
        from agno.models.message import Message as AgnoMessage
        from agno.run.agent import RunOutput
        from agno.session.agent import AgentSession

        self.db = db
        self._message = AgnoMessage
        self._run = RunOutput
        self._session = AgentSession
        self._runs: dict[str, int] = {}

    def _session_of(self, conversation: str) -> Any:
        now = int(time.time())
        return self._session(
            session_id=conversation,
            agent_id="bench",
            user_id="bench",
            session_data={},
            created_at=now,
            updated_at=now,
        )

    async def start(self, conversation: str) -> None:
        await self.db.upsert_session(self._session_of(conversation))

    async def append(self, conversation: str, i: int) -> None:
        index = self._runs.get(conversation, 0)
        self._runs[conversation] = index + 1
        text = _text(i)
        run = self._run(
            run_id=uuid.uuid4().hex,
            agent_id="bench",
            session_id=conversation,
            user_id="bench",
            content=text,
            messages=[
                self._message(role="user", content=text),
                self._message(role="assistant", content=text),
            ],
        )
        await self.db.upsert_session(self._session_of(conversation))
        await self.db.upsert_run(run, conversation, user_id="bench", run_index=index)

    async def recall(self, conversation: str, n: int) -> int:
        from agno.db.base import SessionType

        session = await self.db.get_session(conversation, SessionType.AGENT, runs_limit=n // 2)
        runs = session.runs or []
        return sum(len(r.messages or []) for r in runs)


async def _interleaved(sides: dict[str, Any], sizes: Sizes) -> list[Cell]:
    """Both sides operation by operation, alternating which goes first."""
    names = list(sides)

    w1_ids = {name: f"w1-{uuid.uuid4().hex[:8]}" for name in names}
    w2_ids = {name: f"w2-{uuid.uuid4().hex[:8]}" for name in names}
    for name, side in sides.items():
        await side.start(w1_ids[name])
        await side.start(w2_ids[name])
    w1 = await alternating_ms(
        names, sizes.w1_turns, 0, lambda name, i: sides[name].append(w1_ids[name], i)
    )
    for i in range(sizes.w2_thread_messages // 2):
        for name, side in sides.items():
            await side.append(w2_ids[name], i)

    async def recall(name: str, _i: int) -> None:
        got = await sides[name].recall(w2_ids[name], sizes.w2_recall)
        assert got == sizes.w2_recall, (name, got)

    w2 = await alternating_ms(names, sizes.w2_ops, sizes.warmup, recall)
    return [
        cell("PostgreSQL", w, name, data[name])
        for w, data in (("W1", w1), ("W2", w2))
        for name in names
    ]


async def measure(backends: list[str], sizes: Sizes) -> list[Cell]:
    """PostgreSQL only (``backends`` is accepted for the shared command line)."""
    del backends
    from agno.db.postgres import AsyncPostgresDb

    from tests.support.servers import postgres_database

    async with postgres_database() as url:
        agno_url = "postgresql+psycopg_async://" + url.split("://", 1)[1]
        db = AsyncPostgresDb(db_url=agno_url)
        storage = connect(url)
        try:
            await storage.init()
            memory = await storage.require_store("memory")
            return await _interleaved({"ours": Ours(memory), PEER: AgnoSide(db)}, sizes)
        finally:
            await storage.close()
            await db.db_engine.dispose()


def markdown(cells: Sequence[Cell], sizes: Sizes) -> str:
    """The comparison table: one row per workload, p50 (p90) per side."""
    lines = [
        "## Agno",
        "",
        "Ours: the SDK's `MemoryStore` on PostgreSQL (`asyncpg`). Peer: agno 3's "
        "`AsyncPostgresDb` (`postgresql+psycopg_async`, its engine defaults), same server. "
        f"W1: append a turn (user + assistant), {sizes.w1_turns} turns (agno: "
        "`upsert_session` + `upsert_run`, as its agent persists a run); W2: newest "
        f"{sizes.w2_recall} of {sizes.w2_thread_messages} messages, {sizes.w2_ops} reads "
        "(agno: `get_session(runs_limit=20)`). Interleaved, operation by operation. "
        "Milliseconds per operation, p50 (p90).",
        "",
        "| backend | workload | ours | peer | ours faster |",
        "|---|---|---|---|---|",
    ]
    for ours, peer, ratio in comparisons(cells, "ours"):
        lines.append(
            f"| {ours.backend} | {ours.workload} | {ours.p50_ms:.2f} ({ours.p90_ms:.2f}) | "
            f"{peer.p50_ms:.2f} ({peer.p90_ms:.2f}) | {ratio:.1f}x |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: measure, print the table, optionally append it to a results file."""
    return run_cli(
        argv,
        prog="python -m benchmarks.peers_agno",
        sizes=Sizes(),
        quick=QUICK,
        measure=measure,
        markdown=markdown,
        backends="postgres",
    )


if __name__ == "__main__":
    sys.exit(main())
