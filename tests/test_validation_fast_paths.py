"""The checks of new input on their fast paths: the same answers as a plain definition, and
a message content encoded once per save (the check's text goes on to the backend)."""

from __future__ import annotations

import random
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from mastra_storage import Message, MessageContent, Thread, connect
from mastra_storage.codec import dumps
from mastra_storage.records import CheckedMessages, content_json_of
from mastra_storage.validation import _has_long_digit_run

#: The definition: 19 or more ASCII digits in a row, not following a ``.``.
_REFERENCE = re.compile(rb"(?<![.\d])\d{19}")


def test_long_digit_run_matches_its_definition() -> None:
    rng = random.Random(19)
    alphabet = "0123456789. x\u0661"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90)))
        if rng.random() < 0.5:  # long runs are rare at random: plant some
            at = rng.randint(0, len(text))
            run = "".join(rng.choice("0123456789") for _ in range(rng.randint(15, 45)))
            text = text[:at] + rng.choice(["", ".", " ", "1."]) + run + text[at:]
        expected = _REFERENCE.search(text.encode("utf-8")) is not None
        assert _has_long_digit_run(text) is expected, text
        assert _has_long_digit_run(text.encode("utf-8")) is expected, text


def test_long_digit_run_edges() -> None:
    assert _has_long_digit_run("1" * 19)
    assert not _has_long_digit_run("1" * 18)
    assert not _has_long_digit_run("0." + "1" * 40)  # a fraction
    assert _has_long_digit_run("0." + "1" * 40 + " " + "2" * 19)  # then an integer
    assert _has_long_digit_run("0." + "1" * 40 + "," + "2" * 19)
    assert not _has_long_digit_run('{"a": 0.' + "5" * 25 + ', "b": ' + "7" * 18 + "}")
    assert _has_long_digit_run('{"a": 0.' + "5" * 25 + ', "b": -' + "7" * 19 + "}")


# ---- a message's content is encoded once per save -----------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _message(message_id: str, text: str, thread: Thread) -> Message:
    return Message(
        id=message_id,
        role="user",
        created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        thread_id=thread.id,
        resource_id=thread.resource_id,
        content=MessageContent.text(text),
    )


@pytest.mark.anyio
@pytest.mark.parametrize("url", ["memory://", "file"])
async def test_save_messages_encodes_each_content_once(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with connect(f"file:{tmp_path}/c.db" if url == "file" else url) as store:
        memory = await store.require_store("memory")
        now = datetime(2026, 1, 1, tzinfo=timezone.utc)
        thread = Thread(id="t", resource_id="r", title="", created_at=now, updated_at=now)
        await memory.save_thread(thread)
        batch = [_message("a", "first", thread), _message("b", "b", thread)]
        batch.append(_message("a", "last", thread))  # a repeated id: the last one is kept
        calls = 0
        to_dict = MessageContent.to_dict

        def counting(self: MessageContent) -> dict[str, Any]:
            nonlocal calls
            calls += 1
            return to_dict(self)

        monkeypatch.setattr(MessageContent, "to_dict", counting)
        await memory.save_messages(batch)
        monkeypatch.undo()
        if url == "file":  # the in-memory backend keeps records, it encodes nothing
            assert calls == len(batch)  # the check's encoding only
        stored = {m.id: m for m in (await memory.list_messages(thread_id="t")).items}
        assert stored["a"].content.parts[0]["text"] == "last"
        assert stored["b"].content.parts[0]["text"] == "b"


def test_content_json_of_a_plain_list_encodes() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    thread = Thread(id="t", resource_id="r", title="", created_at=now, updated_at=now)
    messages = [_message("a", "x", thread)]
    assert content_json_of(messages) == [dumps(messages[0].content.to_dict())]
    assert content_json_of(CheckedMessages(messages, ["checked"])) == ["checked"]
