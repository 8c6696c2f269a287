"""OpenAI Responses API / Agents SDK input items <-> Mastra V2 messages, losslessly.

Items are the JSON dicts the Agents SDK keeps in a session (``TResponseInputItem``).
:func:`items_to_messages` groups them into Mastra messages and :func:`messages_to_items`
gives them back, equal to the input (``messages_to_items(items_to_messages(xs)) == xs``).

What maps to what:

* a message item (``role`` user, assistant, system or developer; text content as a string
  or as ``input_text`` / ``output_text`` parts) -> ``text`` parts of a message of that
  role (``developer`` -> ``system``); consecutive items of one role share a message;
* ``function_call`` -> a ``tool-invocation`` part in state ``call`` (``arguments`` parsed
  into ``args``), and its ``function_call_output`` -> the same part in state ``result``
  (``output`` is the ``result``), however far apart the two items are;
* ``reasoning`` -> a ``reasoning`` part (summary texts as ``details``).

Fields Mastra has no place for (item ids and statuses, ``annotations``, encrypted
reasoning, where a tool output sat among the items, ``arguments`` text that is not compact
JSON) are kept in the part's ``providerMetadata["openaiResponses"]``; an item with no
Mastra equivalent (images and files in content, hosted-tool calls, ``item_reference``,
an output whose call is unknown, ...) becomes a ``data-openaiResponses`` part holding it
verbatim (see :mod:`.tool_parts`).

Reading Mastra-written messages (no such metadata): text parts become ``{"role", "content"}``
items, tool invocations ``function_call`` (+ ``function_call_output``, a non-string result
as JSON text) items; ``step-start``, ``source``, ``file``, other ``data-*`` parts and
reasoning without an OpenAI item id have no input-item form and are left out.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ..records import Message, MessageContent, Role
from . import tool_parts as tp

__all__ = [
    "NAMESPACE",
    "Draft",
    "OrphanHandler",
    "compact_json",
    "items_to_drafts",
    "items_to_messages",
    "message_to_items",
    "messages_to_items",
    "output_extra",
    "owned_parts_to_items",
    "parts_to_items",
]

#: The ``providerMetadata`` / ``data-*`` namespace this converter preserves fields under.
NAMESPACE = "openaiResponses"

_ROLES: dict[str, Role] = {
    "user": "user",
    "assistant": "assistant",
    "system": "system",
    "developer": "system",
}
_TEXT_TYPES = frozenset({"input_text", "output_text"})

#: Called with a ``function_call_output`` item whose call is not among the items being
#: converted and whether no other item precedes it; returns True when it was handled
#: elsewhere (e.g. resolved in a stored message), False to keep it as a ``data-*`` part.
OrphanHandler = Callable[[dict[str, Any], bool], bool]


@dataclass
class Draft:
    """A Mastra message being built: its role, parts and how many items it holds."""

    role: Role
    parts: list[dict[str, Any]] = field(default_factory=list)
    item_count: int = 0


def drafts_to_messages(
    drafts: Iterable[Draft], *, thread_id: str, resource_id: str, start: datetime | None
) -> list[Message]:
    """Drafts as new Mastra messages of one thread: fresh UUID ids, ``created_at`` one
    millisecond apart from ``start`` (default now, UTC), so the messages keep their order
    whatever the backend's clock resolution."""
    first = start or datetime.now(timezone.utc)
    return [
        Message(
            id=str(uuid.uuid4()),
            role=draft.role,
            created_at=first + timedelta(milliseconds=index),
            thread_id=thread_id,
            resource_id=resource_id,
            content=MessageContent(parts=draft.parts),
        )
        for index, draft in enumerate(drafts)
    ]


def compact_json(value: Any) -> str:
    """JSON text as OpenAI models write tool arguments (no spaces)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _text_content(content: Any) -> bool:
    """Whether message content is a string or a non-empty list of plain text parts."""
    if isinstance(content, str):
        return True
    return (
        isinstance(content, list)
        and bool(content)
        and all(
            isinstance(p, dict) and p.get("type") in _TEXT_TYPES and isinstance(p.get("text"), str)
            for p in content
        )
    )


def _message_parts(item: dict[str, Any], role: Role) -> list[dict[str, Any]]:
    content = item["content"]
    rest = tp.without(item, "content")
    if isinstance(content, str):
        part: dict[str, Any] = {"type": "text", "text": content}
        if rest != {"role": role}:  # the plain ``{"role", "content"}`` item needs no metadata
            tp.preserve(part, NAMESPACE, {"item": rest})
        return [part]
    parts = []
    for index, piece in enumerate(content):
        part = {"type": "text", "text": piece["text"]}
        kept: dict[str, Any] = {"part": tp.without(piece, "text")}
        if index == 0:
            kept["item"] = rest
        tp.preserve(part, NAMESPACE, kept)
        parts.append(part)
    return parts


def _call_part(item: dict[str, Any]) -> dict[str, Any]:
    arguments = item["arguments"]
    kept: dict[str, Any] = {}
    try:
        args: Any = json.loads(arguments)
    except ValueError:
        args = arguments
        kept["arguments"] = arguments
    else:
        if compact_json(args) != arguments:
            kept["arguments"] = arguments
    rest = tp.without(item, "type", "call_id", "name", "arguments")
    if rest:
        kept["item"] = rest
    return tp.call_part(item["call_id"], item["name"], args, namespace=NAMESPACE, extra=kept)


def _reasoning_part(item: dict[str, Any]) -> dict[str, Any]:
    summary = item.get("summary")
    clean = isinstance(summary, list) and all(
        isinstance(s, dict)
        and set(s) == {"type", "text"}
        and s["type"] == "summary_text"
        and isinstance(s["text"], str)
        for s in summary
    )
    texts = [s["text"] for s in summary] if clean and isinstance(summary, list) else []
    kept: dict[str, Any] = {"item": tp.without(item, "summary")}
    if not clean:
        kept["summary"] = summary
    part: dict[str, Any] = {
        "type": "reasoning",
        "reasoning": "\n\n".join(texts),
        "details": [{"type": "text", "text": t} for t in texts],
    }
    return tp.preserve(part, NAMESPACE, kept)


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def items_to_drafts(
    items: Iterable[Mapping[str, Any]], *, on_orphan: OrphanHandler | None = None
) -> list[Draft]:
    """Group items into draft Mastra messages (see the module docstring for the mapping).

    Items are copied, never mutated. A ``function_call_output`` whose call is not among
    ``items`` goes to ``on_orphan``; unhandled, it is kept as a ``data-openaiResponses``
    part.
    """
    drafts: list[Draft] = []
    calls: dict[str, tuple[dict[str, Any], Draft, int]] = {}

    def target(role: Role) -> Draft:
        if not drafts or drafts[-1].role != role:
            drafts.append(Draft(role=role))
        return drafts[-1]

    for original in items:
        item = tp.json_object(original, "an input item")
        kind = item.get("type", "message" if "role" in item else None)
        role_name = item.get("role")
        role = _ROLES.get(role_name) if kind == "message" and isinstance(role_name, str) else None
        if kind == "message" and role is not None and _text_content(item.get("content")):
            draft = target(role)
            draft.parts.extend(_message_parts(item, role))
        elif (
            kind == "function_call"
            and _nonempty_str(item.get("call_id"))
            and _nonempty_str(item.get("name"))
            and isinstance(item.get("arguments"), str)
        ):
            draft = target("assistant")
            part = _call_part(item)
            draft.parts.append(part)
            calls[item["call_id"]] = (part, draft, draft.item_count)
        elif kind == "function_call_output" and isinstance(item.get("call_id"), str):
            found = calls.get(item["call_id"])
            if found is not None and found[1] is drafts[-1]:
                # Only into the newest message: resolving a call of an older one would
                # move the output before the messages in between.
                del calls[item["call_id"]]
                part, draft, call_index = found
                tp.resolve(
                    part,
                    item.get("output"),
                    namespace=NAMESPACE,
                    extra=output_extra(item, draft.item_count, call_index),
                )
                draft.item_count += 1
                continue
            if on_orphan is not None and on_orphan(item, not drafts):
                continue
            draft = target("assistant")
            draft.parts.append(tp.opaque_part(NAMESPACE, item))
        elif kind == "reasoning":
            draft = target("assistant")
            draft.parts.append(_reasoning_part(item))
        else:
            draft = target("assistant")
            draft.parts.append(tp.opaque_part(NAMESPACE, item))
        draft.item_count += 1
    return drafts


def output_extra(item: Mapping[str, Any], index: int, call_index: int) -> dict[str, Any]:
    """What a call part keeps of its ``function_call_output`` item.

    ``index`` is the output's position among the items of the Mastra message holding the
    call, ``call_index`` the call's. The position is kept unless the output directly
    follows its call with text output (what a Mastra-written result reads back as).
    """
    extra: dict[str, Any] = {}
    rest = tp.without(item, "type", "call_id", "output")
    if rest:
        extra["output"] = rest
    if "output" not in item:
        extra["noOutput"] = True
    if index != call_index + 1 or "output" not in item or not isinstance(item["output"], str):
        extra["outputIndex"] = index
    return extra


def items_to_messages(
    items: Iterable[Mapping[str, Any]],
    *,
    thread_id: str,
    resource_id: str,
    start: datetime | None = None,
) -> list[Message]:
    """Items as new Mastra messages of one thread (fresh UUID ids).

    ``created_at`` counts up by one millisecond per message from ``start`` (default now,
    UTC), so the messages keep their order whatever the backend's clock resolution.
    """
    return drafts_to_messages(
        items_to_drafts(items), thread_id=thread_id, resource_id=resource_id, start=start
    )


def _call_item(call: tp.ToolCall, kept: Mapping[str, Any]) -> dict[str, Any]:
    arguments = kept["arguments"] if "arguments" in kept else compact_json(call.args)
    return {
        "type": "function_call",
        **kept.get("item", {}),
        "call_id": call.tool_call_id,
        "name": call.tool_name,
        "arguments": arguments,
    }


def _output_item(call: tp.ToolCall, kept: Mapping[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "function_call_output",
        **kept.get("output", {}),
        "call_id": call.tool_call_id,
    }
    if "outputIndex" in kept:  # written by this converter: the output exactly as it was
        if not kept.get("noOutput"):
            item["output"] = call.result
    else:  # text, or written by a Mastra app: tools return any JSON, outputs are text
        item["output"] = call.result if isinstance(call.result, str) else compact_json(call.result)
    return item


def message_to_items(message: Message) -> list[dict[str, Any]]:
    """The input items one Mastra message stands for, in their original order."""
    return tp.detached(_parts_to_items(message.content.parts, message.role))


_OPAQUE = f"data-{NAMESPACE}"


def parts_to_items(parts: Sequence[Mapping[str, Any]], role: Role) -> list[dict[str, Any]]:
    """The input items of a message's parts (see :func:`message_to_items`)."""
    return tp.detached(_parts_to_items(parts, role))


def _parts_to_items(parts: Sequence[Mapping[str, Any]], role: Role) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    _append_items(items, parts, role)
    return items


def _append_items(
    items: list[dict[str, Any]],
    parts: Sequence[Mapping[str, Any]],
    role: Role | str,
    owned: bool = False,
) -> None:
    """Append the items of one message's parts to ``items`` (shared by a whole read, so a
    page is one list; ``outputIndex`` positions count from this message's first item).

    ``owned``: the parts belong to this call, so preserved dicts become the items
    themselves instead of copies (each is used by one item only)."""
    base = len(items)
    placed: list[tuple[int, dict[str, Any]]] | None = None
    current: dict[str, Any] | None = None  # the item whose content list text parts extend
    for part in parts:
        kind = part.get("type")
        # Most parts of a Mastra-written message carry no metadata: skip the lookup.
        kept = _NOTHING if part.get("providerMetadata") is None else tp.kept(part, NAMESPACE)
        if kind == "text":
            text = part.get("text", "")
            if "item" in kept:
                current = kept["item"] if owned else dict(kept["item"])
                if "part" in kept:
                    piece = kept["part"] if owned else dict(kept["part"])
                    piece["text"] = text
                    current["content"] = [piece]
                else:
                    current["content"] = text
                items.append(current)
            elif "part" in kept and current is not None and isinstance(current["content"], list):
                piece = kept["part"] if owned else dict(kept["part"])
                piece["text"] = text
                current["content"].append(piece)
            else:
                items.append({"role": role, "content": text})
                current = None
            continue
        current = None
        if tp.is_tool_part(part):
            call = tp.tool_call(part)
            items.append(_call_item(call, kept))
            if call.has_result:
                output = _output_item(call, kept)
                if "outputIndex" in kept:
                    if placed is None:
                        placed = []
                    placed.append((int(kept["outputIndex"]), output))
                else:
                    items.append(output)
        elif kind == "reasoning" and "item" in kept:
            summary = (
                kept["summary"]
                if "summary" in kept
                else [
                    {"type": "summary_text", "text": d.get("text", "")}
                    for d in part.get("details", [])
                ]
            )
            items.append({**kept["item"], "summary": summary})
        elif kind == _OPAQUE and "data" in part:
            items.append(part["data"])
    if placed:
        for index, output in sorted(placed, key=lambda entry: entry[0]):
            items.insert(base + index, output)


_NOTHING: Mapping[str, Any] = {}


def owned_parts_to_items(
    messages: Iterable[tuple[str, str, list[dict[str, Any]]]],
) -> list[dict[str, Any]]:
    """The input items of ``(id, role, parts)`` messages, oldest first, taking the parts
    over: the items reuse their objects instead of copying them, so only pass parts
    nothing else holds (:meth:`~mastra_storage.domains.memory.MemoryStore.list_message_parts`
    decodes them fresh for each call)."""
    items: list[dict[str, Any]] = []
    append = items.append
    for _id, role, parts in messages:
        if len(parts) == 1 and parts[0].get("type") == "text":
            # The two commonest messages inline (a call per message was most of a read's
            # conversion): a plain text message, and one SDK message item of one text.
            part = parts[0]
            metadata = part.get("providerMetadata")
            if metadata is None:
                append({"role": role, "content": part.get("text", "")})
                continue
            kept = metadata.get(NAMESPACE) if type(metadata) is dict else None
            if type(kept) is dict and len(kept) == 2:
                item, piece = kept.get("item"), kept.get("part")
                if type(item) is dict and type(piece) is dict:
                    piece["text"] = part.get("text", "")
                    item["content"] = [piece]
                    append(item)
                    continue
        _append_items(items, parts, role, owned=True)
    return items


def messages_to_items(messages: Iterable[Message]) -> list[dict[str, Any]]:
    """The input items of messages, oldest message first (as a session returns them)."""
    items: list[dict[str, Any]] = []
    for message in messages:
        _append_items(items, message.content.parts, message.role)
    return tp.detached(items)
