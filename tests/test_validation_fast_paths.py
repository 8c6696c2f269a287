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
from mastra_storage.domains.memory import checked_content_json
from mastra_storage.errors import ValidationError
from mastra_storage.records import CheckedMessages, content_json_bytes, content_json_of
from mastra_storage.validation import _has_long_digit_run, plain_json_text

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
            # The check encodes from the struct (no dict) and the adapter writes that text.
            assert calls == 0
        stored = {m.id: m for m in (await memory.list_messages(thread_id="t")).items}
        assert stored["a"].content.parts[0]["text"] == "last"
        assert stored["b"].content.parts[0]["text"] == "b"


def test_content_json_of_a_plain_list_encodes() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    thread = Thread(id="t", resource_id="r", title="", created_at=now, updated_at=now)
    messages = [_message("a", "x", thread)]
    assert content_json_of(messages) == [dumps(messages[0].content.to_dict())]
    assert content_json_of(CheckedMessages(messages, ["checked"])) == ["checked"]


# ---- a content's JSON straight from the struct --------------------------------------


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**53, 2**63 - 1, -(2**63), 10**18, 7])
    if kind == 3:
        return rng.choice([0.5, -1e300, 1e-7, float("nan"), float("inf"), 3.0])
    if kind in (4, 5):
        return "".join(
            rng.choice(["a", "é", "\u2028", '"', "\\", "\n", "😀", "0"]) for _ in range(5)
        )
    if kind == 6:
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {f"k{i}": _random_json(rng, depth + 1) for i in range(rng.randrange(4))}


def test_content_json_bytes_is_the_general_text() -> None:
    """The fast encoding is byte-for-byte ``dumps(to_dict())``, and the check takes it
    only when the general check would accept the content too."""
    rng = random.Random(7)
    for _ in range(500):
        fields: dict[str, Any] = {"parts": [{"type": "text", "text": "x"}]}
        for name in ("content", "reasoning"):
            if rng.random() < 0.3:
                fields[name] = rng.choice(["a", "", "é\u0000"[: rng.randrange(3)]])
        for name in ("metadata", "provider_metadata"):
            if rng.random() < 0.3:
                fields[name] = {"m": _random_json(rng)}
        for name in ("tool_invocations", "annotations", "experimental_attachments"):
            if rng.random() < 0.3:
                fields[name] = [_random_json(rng)]
        fields["parts"] = [
            {"type": "data", "data": _random_json(rng)} for _ in range(rng.randrange(3))
        ]
        content = MessageContent(**fields)
        if rng.random() < 0.1:
            content.extra = {"newKey": 1}
        data = content_json_bytes(content)
        try:
            general = dumps(content.to_dict())
        except ValidationError:  # a NUL: the check must not take the fast text
            assert data is None or not plain_json_text(data)
            continue
        if data is not None:
            assert data.decode() == general
        else:
            assert content.extra
    # A set is a JSON array both ways; an object msgspec cannot encode has no fast text.
    odd = MessageContent(parts=[{"type": "data", "data": {1, 2}}])
    assert content_json_bytes(odd) == dumps(odd.to_dict()).encode()
    assert content_json_bytes(MessageContent(parts=[{"type": "x", "v": object()}])) is None


def test_check_takes_the_fast_text_only_when_plain() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    thread = Thread(id="t", resource_id="r", title="", created_at=now, updated_at=now)
    plain = _message("a", "x", thread)
    assert checked_content_json(plain) == dumps(plain.content.to_dict())
    big = _message("b", "x", thread)
    big.content.parts.append({"type": "data", "data": 2**64 - 1})
    with pytest.raises(ValidationError, match="64 bits"):
        checked_content_json(big)
    deep: Any = 1
    for _ in range(120):
        deep = [deep]
    nested = _message("c", "x", thread)
    nested.content.parts.append({"type": "data", "data": deep})
    with pytest.raises(ValidationError, match="nests deeper"):
        checked_content_json(nested)
    nul = _message("d", "x\u0000y", thread)
    with pytest.raises(ValidationError, match="NUL"):
        checked_content_json(nul)
