"""LangChain chat history on mastra-storage beside langchain_postgres's PostgreSQL history.

Both sides are LangChain ``BaseChatMessageHistory`` objects on the same PostgreSQL server,
called through their async methods with LangChain messages, so each side's conversion is
inside its timings. Ours: :class:`~mastra_storage.integrations.langchain.MastraChatMessageHistory`
(``postgresql://`` store); peer: ``PostgresChatMessageHistory`` on one ``psycopg``
``AsyncConnection``, its table created by its own ``acreate_tables``.

* W1 append a turn (a ``HumanMessage`` and an ``AIMessage``, 200 characters each):
  ``aadd_messages`` on a new conversation, 500 turns.
* W2 newest 40 of 1,000 messages: ours ``aget_messages()`` with ``last_messages=40``; the
  peer has no limit, so ``aget_messages()[-40:]`` (it reads the whole history every time).

Run: ``python -m benchmarks.peers_langchain [--quick] [--append-to FILE]``.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from benchmarks.peers_common import Cell, alternating_ms, cell, comparisons, run_cli
from mastra_storage import connect
from mastra_storage.integrations.langchain import MastraChatMessageHistory

TEXT_CHARS = 200
PEER = "langchain_postgres.PostgresChatMessageHistory"


@dataclass(frozen=True)
class Sizes:
    """Counts of one run (the issue's W1/W2 figures by default)."""

    w1_turns: int = 500
    w2_thread_messages: int = 1000
    w2_recall: int = 40
    w2_ops: int = 200
    warmup: int = 20


QUICK = Sizes(w1_turns=60, w2_thread_messages=200, w2_ops=40, warmup=5)


def _turn(i: int) -> list[BaseMessage]:
    text = (f"turn {i} " * 40)[:TEXT_CHARS]
    return [HumanMessage(text), AIMessage(text)]


History = Any  # a BaseChatMessageHistory of either side


async def _interleaved(
    makers: dict[str, Callable[[str, int | None], History]], sizes: Sizes
) -> list[Cell]:
    """Both sides operation by operation, alternating which goes first, so that load from
    elsewhere on the machine (or the server's own housekeeping) falls on both alike."""
    sides = list(makers)

    appenders = {side: make("w1", None) for side, make in makers.items()}
    turns = [_turn(i) for i in range(sizes.w1_turns)]
    w1 = await alternating_ms(
        sides, sizes.w1_turns, 0, lambda side, i: appenders[side].aadd_messages(turns[i])
    )

    readers = {side: make("w2", sizes.w2_recall) for side, make in makers.items()}
    for i in range(sizes.w2_thread_messages // 2):
        for reader in readers.values():
            await reader.aadd_messages(_turn(i))

    async def recall(side: str, _i: int) -> None:
        got = await readers[side].aget_messages()
        assert len(got[-sizes.w2_recall :]) == sizes.w2_recall

    w2 = await alternating_ms(sides, sizes.w2_ops, sizes.warmup, recall)
    return [
        cell("PostgreSQL", w, side, data[side])
        for w, data in (("W1", w1), ("W2", w2))
        for side in sides
    ]


async def measure(backends: list[str], sizes: Sizes) -> list[Cell]:
    """PostgreSQL only (``backends`` is accepted for the shared command line)."""
    del backends
    """Both sides on one private PostgreSQL database, interleaved."""
    import psycopg
    from langchain_postgres import PostgresChatMessageHistory

    from tests.support.servers import postgres_database

    async with postgres_database() as url:
        conn = await psycopg.AsyncConnection.connect(url)
        storage = connect(url)
        try:
            await PostgresChatMessageHistory.acreate_tables(conn, "chat_history")
            await storage.init()
            sessions = {"w1": str(uuid.uuid4()), "w2": str(uuid.uuid4())}
            return await _interleaved(
                {
                    "ours": lambda name, n: MastraChatMessageHistory(
                        storage, name, "bench", last_messages=n
                    ),
                    PEER: lambda name, _n: PostgresChatMessageHistory(
                        "chat_history", sessions[name], async_connection=conn
                    ),
                },
                sizes,
            )
        finally:
            await storage.close()
            await conn.close()


def markdown(cells: Sequence[Cell], sizes: Sizes) -> str:
    """The comparison table: one row per workload, p50 (p90) per side."""
    lines = [
        "## LangChain",
        "",
        "Ours: `MastraChatMessageHistory` on PostgreSQL (`asyncpg`). Peer: "
        "`langchain_postgres.PostgresChatMessageHistory` (one `psycopg` async connection), "
        "same server. Both through their async methods with LangChain messages. W1: append a "
        f"turn (human + AI), {sizes.w1_turns} turns; W2: newest {sizes.w2_recall} of "
        f"{sizes.w2_thread_messages} messages, {sizes.w2_ops} reads (the peer reads the whole "
        "history and slices). The two sides run interleaved, operation by operation. "
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
        prog="python -m benchmarks.peers_langchain",
        sizes=Sizes(),
        quick=QUICK,
        measure=measure,
        markdown=markdown,
        backends="postgres",
    )


if __name__ == "__main__":
    sys.exit(main())
