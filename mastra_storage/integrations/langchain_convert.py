"""Lossless conversion between LangChain chat messages and Mastra V2 messages.

``to_mastra`` maps ``HumanMessage`` -> a ``user`` message, ``SystemMessage`` -> ``system``,
``AIMessage`` -> ``assistant`` (text parts, then one ``tool-invocation`` part per entry of
``tool_calls``), and a ``ToolMessage`` resolves the call part it answers (state
``"result"``), as a Mastra app writes tool use (:mod:`.tool_parts`). ``from_mastra`` is
the inverse: an assistant message with resolved calls gives the ``AIMessage`` followed by
one ``ToolMessage`` per result.

Nothing is dropped either way (docs/frameworks-langchain.md):

* LangChain fields with no Mastra equivalent (``name``, ``additional_kwargs``,
  ``response_metadata``, ``usage_metadata``, ``invalid_tool_calls``, a list-shaped
  ``content``) go into ``content.metadata["langchain"]``; a tool result's ``id``,
  ``name``, ``status``, ``artifact`` (JSON) into its part's ``providerMetadata.langchain``;
  a content block other than plain text (image, tool_use, ...) becomes a
  ``data-langchain`` part holding it verbatim; any other message class (``ChatMessage``,
  ``FunctionMessage``, ...) one ``data-langchainMessage`` part holding the whole message.
* Mastra fields with no LangChain equivalent (``createdAt``, a thread or resource other
  than the one converted for, ``type``, content fields besides ``parts``, parts such as
  reasoning, files or step starts and their position) ride in the LangChain message's
  ``additional_kwargs["mastra"]``, which ``to_mastra`` reads back. Chat-model
  integrations send only the keys they know, so this never reaches a provider.

Reserved names: ``content.metadata["langchain"]`` on the Mastra side and
``additional_kwargs["mastra"]`` on the LangChain side belong to this converter.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import ValidationError
from ..records import Message, MessageContent, Role
from ..timeutil import parse_iso, to_iso, utc_now
from .tool_parts import (
    PendingCalls,
    call_part,
    find_call,
    is_tool_part,
    opaque_part,
    opaque_value,
    preserved,
    resolve,
)

if TYPE_CHECKING:
    from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

__all__ = ["MASTRA_KEY", "NAMESPACE", "from_mastra", "to_mastra"]

#: The namespace of LangChain-only data on the Mastra side.
NAMESPACE = "langchain"
#: The ``additional_kwargs`` key of Mastra-only data on the LangChain side.
MASTRA_KEY = "mastra"
_WHOLE = "langchainMessage"
_ROLES: dict[str, Role] = {"human": "user", "system": "system", "ai": "assistant"}
# Fields of each message kind kept when they differ from LangChain's default.
_EXTRA_FIELDS: dict[str, tuple[str, ...]] = {
    "human": ("name", "response_metadata"),
    "system": ("name", "response_metadata"),
    "ai": ("name", "response_metadata", "usage_metadata", "invalid_tool_calls"),
}
_RESULT_FIELDS = ("id", "name", "status", "artifact", "additional_kwargs", "response_metadata")
_RESULT_DEFAULTS: dict[str, Any] = {
    "id": None,
    "name": None,
    "status": "success",
    "artifact": None,
    "additional_kwargs": {},
    "response_metadata": {},
}


def _lc() -> Any:
    try:
        import langchain_core.messages as messages
    except ImportError as exc:  # pragma: no cover - exercised without the extra
        from ..errors import MissingDependencyError

        raise MissingDependencyError(
            "the LangChain integration needs langchain-core: "
            "pip install 'mastra-storage[langchain]'",
            id="MASTRA_STORAGE_MISSING_DEPENDENCY",
            details={"extra": "langchain"},
        ) from exc
    return messages


def _json(value: Any, what: str) -> Any:
    """``value`` if it is JSON (what storage keeps exactly), else ValidationError."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"LangChain {what} must be JSON-serialisable to be stored",
            id="MASTRA_STORAGE_INVALID_MESSAGE",
        ) from exc
    return value


def _is_text_block(block: Any) -> bool:
    return (
        isinstance(block, dict)
        and set(block) == {"type", "text"}
        and block["type"] == "text"
        and isinstance(block["text"], str)
    )


def _is_text_part(part: dict[str, Any]) -> bool:
    return (
        set(part) == {"type", "text"} and part["type"] == "text" and isinstance(part["text"], str)
    )


def _canonical_is_str(content_parts: Sequence[dict[str, Any]], has_tool_calls: bool) -> bool:
    """Whether ``from_mastra`` writes ``content`` as a string for these content parts: one
    plain text part, or none beside tool calls (LangChain's ``""``)."""
    if not content_parts:
        return has_tool_calls
    # An empty text beside tool calls reads as no text at all, so it stays a list.
    return (
        len(content_parts) == 1
        and _is_text_part(content_parts[0])
        and (content_parts[0]["text"] != "" or not has_tool_calls)
    )


# ---- LangChain -> Mastra -------------------------------------------------------------------


def to_mastra(
    messages: Iterable[BaseMessage],
    *,
    thread_id: str | None,
    resource_id: str | None,
    stored: Sequence[Message] = (),
) -> list[Message]:
    """Mastra messages for LangChain ``messages``, in order.

    A ``ToolMessage`` resolves its call in this batch or, failing that, in ``stored``
    (earlier messages of the thread): the stored message is then returned, updated, after
    the new ones (``save_messages`` upserts it). A result with no call anywhere is kept as
    an assistant message holding only that resolved part. Raises ``ValidationError`` for
    values storage cannot keep exactly (a non-JSON ``artifact`` or metadata).
    """
    lc = _lc()
    out: list[Message] = []
    pending = PendingCalls()
    call_order: dict[str, tuple[int, int]] = {}  # call id -> (message, index of its call)
    answered: dict[int, int] = {}  # message -> results seen for it so far
    tool_counts: dict[int, int] = {}  # message -> its tool calls so far
    updated: dict[str, Message] = {}
    stored_copies: list[Message] = [Message.from_dict(m.to_dict()) for m in stored]
    for message in messages:
        if isinstance(message, lc.ToolMessage):
            part = pending.take(message.tool_call_id)
            if part is None:
                found = find_call(stored_copies, message.tool_call_id)
                if found is not None:
                    holder, index = found
                    part = holder.content.parts[index]
                    updated[holder.id] = holder
            if part is None:
                out.append(_orphan_result(message, thread_id, resource_id))
                continue
            _resolve(part, message, call_order.pop(message.tool_call_id, None), answered)
            continue
        kind = message.type if message.type in _ROLES else None
        if kind is None or type(message) not in (lc.HumanMessage, lc.SystemMessage, lc.AIMessage):
            out.append(_whole(message, thread_id, resource_id))
            continue
        restore = message.additional_kwargs.get(MASTRA_KEY)
        if (
            kind == "ai"
            and isinstance(restore, dict)
            and restore.get("continues")
            and out
            and out[-1].role == "assistant"
        ):
            # A later step of the previous assistant message (see _steps): append its parts.
            parts, tool_parts, _ = _parts_of(message, restore)
            owner = len(out) - 1
            offset = tool_counts.get(owner, 0)
            out[-1].content.parts.extend(parts)
        else:
            converted, tool_parts = _message(message, kind, thread_id, resource_id)
            owner, offset = len(out), 0
            out.append(converted)
        for index, part in enumerate(tool_parts, start=offset):
            pending.add(part)
            call_order[part["toolInvocation"]["toolCallId"]] = (owner, index)
        tool_counts[owner] = offset + len(tool_parts)
    return out + list(updated.values())


def _resolve(
    part: dict[str, Any],
    message: ToolMessage,
    position: tuple[int, int] | None,
    answered: dict[int, int],
) -> None:
    dumped = message.model_dump()
    extra = {
        key: _json(dumped[key], f"tool message {key}")
        for key in _RESULT_FIELDS
        if dumped[key] != _RESULT_DEFAULTS[key]
    }
    extra.pop("additional_kwargs", None)
    kwargs = dict(message.additional_kwargs)
    restore = kwargs.pop(MASTRA_KEY, None)
    if kwargs:
        extra["additional_kwargs"] = _json(kwargs, "additional_kwargs")
    content = message.content
    if isinstance(restore, dict) and restore.get("resultJson") and isinstance(content, str):
        result: Any = json.loads(content)
    else:
        result = _json(content, "tool message content")
        if not isinstance(content, str):
            extra["contentList"] = True
    order: dict[str, int] = {}
    if position is not None:
        # ``from_mastra`` emits results by this key: the call's index unless recorded. A
        # result arriving out of call order records a key just past the last one used.
        holder, index = position
        last = answered.get(holder, -1)
        key = index if index > last else last + 1
        if key != index:
            order["order"] = key
        answered[holder] = key
    resolve(
        part,
        result,
        namespace=NAMESPACE,
        extra={"result": {**extra, **order}} if (extra or order) else None,
    )


def _orphan_result(message: ToolMessage, thread_id: str | None, resource_id: str | None) -> Message:
    part = call_part(
        message.tool_call_id,
        message.name or "unknown",
        {},
        namespace=NAMESPACE,
        extra={"orphan": True},
    )
    _resolve(part, message, None, {})
    return Message(
        id=str(uuid.uuid4()),
        role="assistant",
        created_at=utc_now(),
        thread_id=thread_id,
        resource_id=resource_id,
        content=MessageContent(parts=[part]),
    )


def _whole(message: BaseMessage, thread_id: str | None, resource_id: str | None) -> Message:
    data = _lc().message_to_dict(message)
    return Message(
        id=message.id or str(uuid.uuid4()),
        role="assistant",
        created_at=utc_now(),
        thread_id=thread_id,
        resource_id=resource_id,
        content=MessageContent(parts=[opaque_part(_WHOLE, _json(data, "message"))]),
    )


def _message(
    message: BaseMessage, kind: str, thread_id: str | None, resource_id: str | None
) -> tuple[Message, list[dict[str, Any]]]:
    # Attribute reads, not model_dump(): this runs on every append (the W1 benchmark).
    kwargs = dict(message.additional_kwargs)
    restore: dict[str, Any] = kwargs.pop(MASTRA_KEY, None) or {}
    extras: dict[str, Any] = {}
    for key in _EXTRA_FIELDS[kind]:
        value = getattr(message, key)
        if value not in (None, {}, []):
            extras[key] = copy.deepcopy(_json(value, key))
    if kwargs:
        extras["additional_kwargs"] = _json(kwargs, "additional_kwargs")
    generated: list[str] = []
    parts, tool_parts, content_list = _parts_of(message, restore)
    if content_list:
        extras["contentList"] = True
    content = (
        MessageContent.from_dict({"format": 2, **restore["content"], "parts": []})
        if isinstance(restore.get("content"), dict)
        else MessageContent()
    )
    content.parts = parts  # these very dicts: a later ToolMessage resolves its call in place
    if "createdAt" in restore:
        created_at: datetime | str = restore["createdAt"]
    else:
        created_at = utc_now()
        generated.append("createdAt")
    if message.id is None:
        generated.append("id")
    if generated:
        extras["generated"] = generated
    if extras:
        content.metadata = {**(content.metadata or {}), NAMESPACE: extras}
    converted = Message(
        id=message.id or str(uuid.uuid4()),
        role=_ROLES[kind],
        created_at=parse_iso(created_at, field="createdAt"),
        thread_id=restore.get("threadId", thread_id),
        resource_id=restore.get("resourceId", resource_id),
        type=restore.get("type"),
        content=content,
    )
    return converted, tool_parts


def _parts_of(
    message: BaseMessage, restore: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
    """The message's Mastra parts in order, its tool-call parts, and whether its content
    was a list where a string was expected."""
    content_list = False
    # Content: plain text blocks are text parts; any other block is kept verbatim.
    content_parts: list[dict[str, Any]] = []
    tool_calls = list(getattr(message, "tool_calls", ()) or ())
    if isinstance(message.content, str):
        if message.content or not tool_calls:
            content_parts.append({"type": "text", "text": message.content})
    else:
        for block in message.content:
            if isinstance(block, dict) and _is_text_block(block):
                content_parts.append({"type": "text", "text": block["text"]})
            else:
                content_parts.append(opaque_part(NAMESPACE, _json(block, "content block")))
        if _canonical_is_str(content_parts, bool(tool_calls)):
            content_list = True

    tool_parts: list[dict[str, Any]] = []
    for call in tool_calls:
        call_id = call.get("id")
        part = call_part(
            call_id or str(uuid.uuid4()),
            call["name"],
            _json(call["args"], "tool call args"),
            namespace=NAMESPACE,
            extra={"call": {"noId": True}} if not call_id else None,
        )
        tool_parts.append(part)

    return _layout(content_parts, tool_parts, restore.get("layout")), tool_parts, content_list


def _layout(
    content_parts: list[dict[str, Any]], tool_parts: list[dict[str, Any]], layout: Any
) -> list[dict[str, Any]]:
    """The parts in their Mastra order: ``layout`` (from ``from_mastra``) or content then
    tool calls."""
    if not isinstance(layout, list):
        return content_parts + tool_parts
    queues = {"c": iter(content_parts), "t": iter(tool_parts)}
    parts: list[dict[str, Any]] = []
    for entry in layout:
        if isinstance(entry, dict):
            parts.append(entry)
        else:
            nxt = next(queues[entry], None)
            if nxt is not None:
                parts.append(nxt)
    # Parts added on the LangChain side since (an edited message) are kept, at the end.
    return parts + list(queues["c"]) + list(queues["t"])


# ---- Mastra -> LangChain -------------------------------------------------------------------


def from_mastra(
    messages: Iterable[Message], *, thread_id: str | None = None, resource_id: str | None = None
) -> list[BaseMessage]:
    """LangChain messages for Mastra ``messages`` (an assistant message with resolved
    tool calls gives its ``AIMessage`` then one ``ToolMessage`` per result).

    ``thread_id``/``resource_id``: the thread being read; messages of another thread or
    resource carry theirs in ``additional_kwargs["mastra"]``.
    """
    out: list[BaseMessage] = []
    for message in messages:
        out.extend(_from_one(message, thread_id, resource_id))
    return out


def _from_one(message: Message, thread_id: str | None, resource_id: str | None) -> list[Any]:
    lc = _lc()
    parts = message.content.parts
    if len(parts) == 1:
        whole, data = opaque_value(parts[0], _WHOLE)
        if whole:
            return list(lc.messages_from_dict([data]))
        if is_tool_part(parts[0]) and preserved(parts[0], NAMESPACE).get("orphan"):
            return [_tool_message(parts[0], lc)]
    metadata_in = message.content.metadata or {}
    metadata = dict(metadata_in)
    extras: dict[str, Any] = metadata.pop(NAMESPACE, None) or {}
    generated = set(extras.pop("generated", ()))

    entries: list[tuple[str | None, dict[str, Any]]] = []
    for part in parts:
        if _is_text_part(part) or (
            opaque_value(part, NAMESPACE)[0] and set(part) == {"type", "data"}
        ):
            entries.append(("c", part))
        elif message.role == "assistant" and _is_lc_tool_part(part):
            entries.append(("t", part))
        else:
            entries.append((None, part))
    steps = _steps(entries) if message.role == "assistant" else [entries]
    all_tools = [part for kind, part in entries if kind == "t"]

    restore: dict[str, Any] = {}
    if "createdAt" not in generated:
        restore["createdAt"] = to_iso(message.created_at)
    if message.thread_id != thread_id:
        restore["threadId"] = message.thread_id
    if message.resource_id != resource_id:
        restore["resourceId"] = message.resource_id
    if message.type is not None:
        restore["type"] = message.type
    rest = message.content.to_dict()
    for key in ("format", "parts", "metadata"):
        rest.pop(key, None)
    if metadata or (message.content.metadata is not None and NAMESPACE not in metadata_in):
        rest["metadata"] = metadata  # an empty metadata object stays one
    if rest:
        restore["content"] = rest

    out: list[Any] = []
    for number, step in enumerate(steps):
        content_parts = [part for kind, part in step if kind == "c"]
        tool_parts = [part for kind, part in step if kind == "t"]
        layout = [kind if kind is not None else part for kind, part in step]
        step_restore: dict[str, Any] = dict(restore) if number == 0 else {"continues": True}
        if layout != ["c"] * len(content_parts) + ["t"] * len(tool_parts):
            step_restore["layout"] = layout
        blocks: list[Any] = [
            {"type": "text", "text": p["text"]}
            if p.get("type") == "text"
            else opaque_value(p, NAMESPACE)[1]
            for p in content_parts
        ]
        content: Any
        as_list = extras.pop("contentList", False) if number == 0 else False
        if _canonical_is_str(content_parts, bool(tool_parts)) and not as_list:
            content = content_parts[0]["text"] if content_parts else ""
        else:
            content = blocks
        if number == 0:
            kwargs = dict(extras.pop("additional_kwargs", {}))
            fields: dict[str, Any] = {"id": None if "id" in generated else message.id, **extras}
        else:
            kwargs, fields = {}, {}
        if step_restore:
            kwargs[MASTRA_KEY] = step_restore
        fields.update(content=content, additional_kwargs=kwargs)
        if message.role == "user":
            return [lc.HumanMessage(**fields)]
        if message.role == "system":
            return [lc.SystemMessage(**fields)]
        calls = []
        for part in tool_parts:
            invocation = part["toolInvocation"]
            noid = preserved(part, NAMESPACE).get("call", {}).get("noId")
            calls.append(
                {
                    "name": invocation["toolName"],
                    "args": invocation["args"],
                    "id": None if noid else invocation["toolCallId"],
                    "type": "tool_call",
                }
            )
        ai: AIMessage = lc.AIMessage(tool_calls=calls, **fields)
        results = [p for p in tool_parts if p["toolInvocation"].get("state") == "result"]
        results.sort(
            key=lambda p: preserved(p, NAMESPACE).get("result", {}).get("order", all_tools.index(p))
        )
        out += [ai, *(_tool_message(p, lc) for p in results)]
    return out


def _steps(
    entries: list[tuple[str | None, dict[str, Any]]],
) -> list[list[tuple[str | None, dict[str, Any]]]]:
    """An assistant message's parts cut where text follows a tool call: a Mastra agent
    stores its steps (call, result, then the answer) in one message, while LangChain reads
    them as an ``AIMessage`` with the call, the ``ToolMessage``, then an ``AIMessage`` with
    the answer. Parts after the step's last call (e.g. ``step-start``) open the next step;
    ``to_mastra`` joins the steps back (``additional_kwargs["mastra"]["continues"]``)."""
    steps: list[list[tuple[str | None, dict[str, Any]]]] = [[]]
    for entry in entries:
        current = steps[-1]
        if entry[0] == "c" and any(kind == "t" for kind, _ in current):
            last_tool = max(i for i, (kind, _) in enumerate(current) if kind == "t")
            steps[-1], carried = current[: last_tool + 1], current[last_tool + 1 :]
            steps.append(carried)
        steps[-1].append(entry)
    return steps


def _is_lc_tool_part(part: dict[str, Any]) -> bool:
    """A tool part LangChain can hold exactly as a tool call (and its ToolMessage)."""
    if not is_tool_part(part) or not set(part) <= {"type", "toolInvocation", "providerMetadata"}:
        return False
    invocation = part["toolInvocation"]
    state = invocation.get("state")
    keys = {"state", "toolCallId", "toolName", "args"} | (
        {"result"} if state == "result" else set()
    )
    meta = part.get("providerMetadata")
    return (
        state in ("call", "result")
        and set(invocation) == keys
        and isinstance(invocation["args"], dict)
        and isinstance(invocation["toolName"], str)
        and bool(invocation["toolName"])
        and (meta is None or set(meta) == {NAMESPACE})
    )


def _tool_message(part: dict[str, Any], lc: Any) -> ToolMessage:
    invocation = part["toolInvocation"]
    extra = dict(preserved(part, NAMESPACE).get("result", {}))
    extra.pop("order", None)
    result = invocation.get("result")
    kwargs = dict(extra.pop("additional_kwargs", {}))
    if isinstance(result, str) or extra.pop("contentList", False):
        content = result
    else:
        content = json.dumps(result)
        kwargs[MASTRA_KEY] = {"resultJson": True}
    message: ToolMessage = lc.ToolMessage(
        content=content,
        tool_call_id=invocation["toolCallId"],
        additional_kwargs=kwargs,
        **extra,
    )
    return message
