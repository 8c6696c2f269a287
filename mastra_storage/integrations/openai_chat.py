"""OpenAI Chat Completions messages <-> Mastra V2 messages, losslessly.

:func:`chat_to_messages` groups Chat Completions messages (the dicts sent as
``messages=[...]``) into Mastra messages and :func:`messages_to_chat` gives them back,
equal to the input.

What maps to what:

* ``system``, ``developer`` (-> Mastra ``system``) and ``user`` messages with text content
  (a string or ``{"type": "text"}`` parts) -> ``text`` parts;
* an ``assistant`` message -> its text as ``text`` parts and each of its ``tool_calls``
  as a ``tool-invocation`` part (state ``call``, ``arguments`` parsed into ``args``);
* a ``tool`` message -> the ``result`` of the call it answers (state ``result``), when
  that call is in the same Mastra message (the usual assistant -> tool sequence).

As in :mod:`.openai_responses`, fields with no Mastra equivalent (``name``, ``refusal``,
an absent ``content``, a tool result's position, non-compact ``arguments``)
are kept in ``providerMetadata["openaiChat"]``, and a message with no Mastra equivalent
(images, audio, ``function`` messages, a tool result whose call is elsewhere) becomes a
``data-openaiChat`` part holding it verbatim.

Mastra-written messages (no such metadata) read as ``{"role", "content"}`` messages, an
assistant message with ``tool_calls`` per run of tool invocations, then one ``tool``
message per result (a non-string result as JSON text); parts with no Chat Completions
form (``step-start``, ``reasoning``, ``source``, ``file``, other ``data-*``) are left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..records import Message, Role
from . import tool_parts as tp
from .openai_responses import Draft, compact_json, drafts_to_messages

__all__ = ["NAMESPACE", "chat_to_drafts", "chat_to_messages", "messages_to_chat", "parts_to_chat"]

#: The ``providerMetadata`` / ``data-*`` namespace this converter preserves fields under.
NAMESPACE = "openaiChat"
_OPAQUE = f"data-{NAMESPACE}"
_ROLES: dict[str, Role] = {"user": "user", "system": "system", "developer": "system"}


def _text_list(content: Any) -> bool:
    return (
        isinstance(content, list)
        and bool(content)
        and all(
            isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
            for p in content
        )
    )


def _valid_call(call: Any) -> bool:
    if not isinstance(call, dict) or not isinstance(call.get("function"), dict):
        return False
    fn = call["function"]
    return (
        isinstance(call.get("id"), str)
        and bool(call["id"])
        and isinstance(fn.get("name"), str)
        and bool(fn["name"])
        and isinstance(fn.get("arguments"), str)
    )


def _text_parts(content: Any, first: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Text parts of string or text-list content; ``first`` is kept on the first part."""
    if isinstance(content, str):
        part: dict[str, Any] = {"type": "text", "text": content}
        if first:
            tp.preserve(part, NAMESPACE, first)
        return [part]
    parts = []
    for index, piece in enumerate(content):
        kept: dict[str, Any] = {"part": tp.without(piece, "text")}
        if index == 0 and first:
            kept.update(first)
        parts.append(tp.preserve({"type": "text", "text": piece["text"]}, NAMESPACE, kept))
    return parts


def _call_part(call: dict[str, Any]) -> dict[str, Any]:
    fn = call["function"]
    arguments = fn["arguments"]
    kept: dict[str, Any] = {}
    try:
        args: Any = json.loads(arguments)
    except ValueError:
        args, kept["arguments"] = arguments, arguments
    else:
        if compact_json(args) != arguments:
            kept["arguments"] = arguments
    rest = tp.without(call, "id", "function")
    if rest != {"type": "function"}:
        kept["call"] = rest
    if set(fn) != {"name", "arguments"}:
        kept["function"] = tp.without(fn, "name", "arguments")
    return tp.call_part(call["id"], fn["name"], args, namespace=NAMESPACE, extra=kept)


class _Builder:
    """The state of one conversion (mirrors what :func:`parts_to_chat` will decide)."""

    def __init__(self) -> None:
        self.drafts: list[Draft] = []
        # The newest assistant message's calls in this draft: call id -> (part, draft).
        self.calls: dict[str, tuple[dict[str, Any], Draft]] = {}
        self.open_index = -1  # item index of the assistant message tool calls could join
        self.open_calls: list[str] = []  # its call ids, in order
        self.defaults = 0  # how many of its results sit in the default place
        self.last_default = -1  # the call position of the newest of those

    def target(self, role: Role) -> Draft:
        if not self.drafts or self.drafts[-1].role != role:
            self.drafts.append(Draft(role=role))
            self.calls.clear()
            self.open_index = -1
        return self.drafts[-1]

    def opaque(self, item: dict[str, Any]) -> None:
        draft = self.target("assistant")
        draft.parts.append(tp.opaque_part(NAMESPACE, item))
        draft.item_count += 1
        self.open_index = -1

    def plain(self, item: dict[str, Any], role: Role) -> None:
        draft = self.target(role)
        content = item["content"]
        rest = tp.without(item, "content")
        first = {"item": rest} if (rest != {"role": role} or not isinstance(content, str)) else {}
        draft.parts.extend(_text_parts(content, first))
        draft.item_count += 1
        self.open_index = -1

    def assistant(self, item: dict[str, Any]) -> None:
        draft = self.target("assistant")
        content = item.get("content")
        calls = item.get("tool_calls")
        rest = tp.without(item, "content", "tool_calls")
        texts = isinstance(content, str) or _text_list(content)
        first: dict[str, Any] = {}
        if not texts and "content" not in item:  # else None, the canonical no-text form
            first["noContent"] = True
        if calls == []:
            first["emptyToolCalls"] = True
        canonical = rest == {"role": "assistant"} and not first and not isinstance(content, list)
        # A message opening with a tool call would join an open assistant message.
        if not canonical or (not texts and self.open_index >= 0):
            first = {"item": rest, **first}
        parts = _text_parts(content, first) if texts else []
        call_parts = [_call_part(c) for c in calls or []]
        if not texts and first:
            tp.preserve(
                call_parts[0], NAMESPACE, {**tp.preserved(call_parts[0], NAMESPACE), **first}
            )
        draft.parts.extend(parts + call_parts)
        self.open_index = draft.item_count
        self.open_calls = [c["id"] for c in calls or []]
        self.defaults = 0
        self.last_default = -1
        draft.item_count += 1
        for part in call_parts:
            self.calls[part["toolInvocation"]["toolCallId"]] = (part, draft)

    def tool(self, item: dict[str, Any]) -> bool:
        found = self.calls.pop(item["tool_call_id"], None)
        if found is None or found[1] is not self.drafts[-1]:
            return False
        part, draft = found
        index = draft.item_count
        content = item.get("content")
        extra: dict[str, Any] = {}
        rest = tp.without(item, "role", "tool_call_id", "content")
        if rest:
            extra["output"] = rest
        if "content" not in item:
            extra["outputNoContent"] = True
        default = (
            self.open_index >= 0
            and index == self.open_index + 1 + self.defaults
            and item["tool_call_id"] in self.open_calls[self.last_default + 1 :]
            and isinstance(content, str)
        )
        if default:
            self.defaults += 1
            self.last_default = self.open_calls.index(item["tool_call_id"], self.last_default + 1)
        else:
            extra["outputIndex"] = index
        tp.resolve(part, content, namespace=NAMESPACE, extra=extra)
        draft.item_count += 1
        return True


def chat_to_drafts(messages: Iterable[Mapping[str, Any]]) -> list[Draft]:
    """Group Chat Completions messages into draft Mastra messages (module docstring)."""
    builder = _Builder()
    for original in messages:
        item = tp.json_object(original, "a chat message")
        role = item.get("role")
        content = item.get("content")
        if (
            isinstance(role, str)
            and role in _ROLES
            and (isinstance(content, str) or _text_list(content))
        ):
            builder.plain(item, _ROLES[role])
        elif (
            role == "assistant"
            and (content is None or isinstance(content, str) or _text_list(content))
            and (
                "tool_calls" not in item
                or (
                    isinstance(item["tool_calls"], list)
                    and all(_valid_call(c) for c in item["tool_calls"])
                )
            )
            and (isinstance(content, str) or _text_list(content) or bool(item.get("tool_calls")))
        ):
            builder.assistant(item)
        elif role == "tool" and isinstance(item.get("tool_call_id"), str) and builder.tool(item):
            pass
        else:
            builder.opaque(item)
    return builder.drafts


def chat_to_messages(
    messages: Iterable[Mapping[str, Any]],
    *,
    thread_id: str,
    resource_id: str,
    start: datetime | None = None,
) -> list[Message]:
    """Chat messages as new Mastra messages of one thread (fresh UUID ids, +1 ms each)."""
    return drafts_to_messages(
        chat_to_drafts(messages), thread_id=thread_id, resource_id=resource_id, start=start
    )


def _tool_message(call: tp.ToolCall, kept: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "role": "tool",
        **kept.get("output", {}),
        "tool_call_id": call.tool_call_id,
    }
    if kept.get("outputNoContent"):
        return out
    result = call.result
    if "outputIndex" in kept or isinstance(result, str):
        out["content"] = result
    else:  # a Mastra tool's JSON result
        out["content"] = compact_json(result)
    return out


def _parts_to_chat(parts: Sequence[Mapping[str, Any]], role: Role) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    placed: list[tuple[int, dict[str, Any]]] = []
    pending: list[dict[str, Any]] = []  # default-placed results of the open message
    current: dict[str, Any] | None = None  # the message text parts / tool calls extend

    def start(message: dict[str, Any]) -> dict[str, Any]:
        out.extend(pending)
        pending.clear()
        out.append(message)
        return message

    for part in parts:
        kind = part.get("type")
        kept = tp.kept(part, NAMESPACE)
        if kind == "text":
            text = part.get("text", "")
            if "item" in kept:
                message = dict(kept["item"])
                message["content"] = [{**kept["part"], "text": text}] if "part" in kept else text
                if kept.get("emptyToolCalls"):
                    message["tool_calls"] = []
                current = start(message)
            elif (
                "part" in kept and current is not None and isinstance(current.get("content"), list)
            ):
                current["content"].append({**kept["part"], "text": text})
            else:
                current = start({"role": role, "content": text})
        elif tp.is_tool_part(part):
            call = tp.tool_call(part)
            if "item" in kept or current is None or current.get("role") != "assistant":
                message = dict(kept.get("item", {"role": "assistant"}))
                if not kept.get("noContent"):
                    message["content"] = None
                current = start(message)
            fn: dict[str, Any] = {**kept.get("function", {}), "name": call.tool_name}
            fn["arguments"] = kept["arguments"] if "arguments" in kept else compact_json(call.args)
            entry = {
                "id": call.tool_call_id,
                **kept.get("call", {"type": "function"}),
                "function": fn,
            }
            current.setdefault("tool_calls", []).append(entry)
            if call.has_result:
                result = _tool_message(call, kept)
                if "outputIndex" in kept:
                    placed.append((int(kept["outputIndex"]), result))
                else:
                    pending.append(result)
        elif kind == _OPAQUE and "data" in part:
            start(part["data"])
            current = None
    out.extend(pending)
    for index, message in sorted(placed, key=lambda entry: entry[0]):
        out.insert(index, message)
    return out


def parts_to_chat(parts: Sequence[Mapping[str, Any]], role: Role) -> list[dict[str, Any]]:
    """The Chat Completions messages of one Mastra message's parts (copies)."""
    return tp.detached(_parts_to_chat(parts, role))


def messages_to_chat(messages: Iterable[Message]) -> list[dict[str, Any]]:
    """The Chat Completions messages of Mastra messages, oldest first (copies)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        out.extend(_parts_to_chat(message.content.parts, message.role))
    return tp.detached(out)
