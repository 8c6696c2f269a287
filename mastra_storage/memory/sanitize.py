"""What must not be persisted from a turn (spec 14.2, MessageHistory.persistMessages).

An agent with working memory writes it through the ``updateWorkingMemory`` tool or inline
``<working_memory>...</working_memory>`` blocks; neither belongs in the conversation history
(they would be replayed and embedded). Tool calls still streaming (``partial-call``) are
incomplete and are dropped too. A message left with nothing is not saved at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..records import Message

START_TAG = "<working_memory>"
END_TAG = "</working_memory>"
WORKING_MEMORY_TOOL = "updateWorkingMemory"


def strip_working_memory_tags(text: str) -> str:
    """``text`` without its ``<working_memory>`` blocks (an unclosed tag is kept as is).

    A linear scan rather than a regex, so hostile input cannot cause backtracking.
    """
    out: list[str] = []
    pos = 0
    while True:
        start = text.find(START_TAG, pos)
        if start < 0:
            out.append(text[pos:])
            break
        end = text.find(END_TAG, start + len(START_TAG))
        if end < 0:
            out.append(text[pos:])
            break
        out.append(text[pos:start])
        pos = end + len(END_TAG)
    return "".join(out)


def _drop_invocation(invocation: Any) -> bool:
    if not isinstance(invocation, Mapping):
        return False
    return (
        invocation.get("toolName") == WORKING_MEMORY_TOOL
        or invocation.get("state") == "partial-call"
    )


def _clean_part(part: dict[str, Any]) -> dict[str, Any] | None:
    kind = part.get("type")
    if kind == "tool-invocation" and _drop_invocation(part.get("toolInvocation")):
        return None
    if kind == "text" and isinstance(part.get("text"), str) and START_TAG in part["text"]:
        text = strip_working_memory_tags(part["text"])
        return {**part, "text": text} if text.strip() else None
    return part


def clean_message(message: Message) -> Message | None:
    """The message as it should be stored, or ``None`` when nothing worth saving is left."""
    content = message.content
    parts = [p for p in (_clean_part(part) for part in content.parts) if p is not None]
    text = content.content
    if isinstance(text, str) and START_TAG in text:
        text = strip_working_memory_tags(text) or None
    invocations = content.tool_invocations
    if invocations:
        invocations = [i for i in invocations if not _drop_invocation(i)] or None
    if (
        parts == content.parts
        and text == content.content
        and invocations == content.tool_invocations
    ):
        return message
    if not parts and not (text or "").strip() and not invocations:
        return None
    cleaned = content.replace(parts=parts, content=text, tool_invocations=invocations)
    return message.replace(content=cleaned)


__all__ = ["WORKING_MEMORY_TOOL", "clean_message", "strip_working_memory_tags"]
