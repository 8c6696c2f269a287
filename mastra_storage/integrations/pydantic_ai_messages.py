"""Lossless conversion between Pydantic AI ``ModelMessage`` lists and Mastra V2 messages.

Pydantic AI -> Mastra (:func:`from_pydantic_ai`):

* a ``ModelRequest`` becomes a ``user`` message; a ``ModelResponse`` an ``assistant`` message;
* user prompts (plain text) and response text become ``text`` parts, thinking becomes a
  ``reasoning`` part, a tool call a ``tool-invocation`` part in state ``call``;
* the ``ModelRequest`` that answers a response's tool calls (only tool returns and tool retry
  prompts, each for a call of that response) is folded into the assistant message: each call's
  part moves to state ``result`` with the return's content (a retry prompt's content for a
  failed call), so a Mastra app shows the call and its result as its own;
* every other part (system prompts, multimodal prompts, output-validation retries, files,
  native tools, ...) becomes a ``data-pydanticAi`` part holding the part's JSON.

Whatever a Mastra part does not hold (timestamps, ids, provider details, usage, the
message envelope) is kept under ``providerMetadata.pydanticAi`` (per part and per content), so
:func:`to_pydantic_ai` rebuilds the very messages: their ``ModelMessagesTypeAdapter`` JSON is
equal.

Mastra -> Pydantic AI (:func:`to_pydantic_ai`): messages a Mastra app wrote map the other way
(text, reasoning, tool invocations; a ``result`` becomes a call plus a ``ModelRequest`` with
its ``ToolReturnPart``); parts a model cannot take (files, sources, step markers, data parts)
are left out of the model's view.

Identity: each produced message carries ``metadata["mastra"] = {"id", "createdAt", "index",
"metadata"}`` (the stored message's id and createdAt, its position in the group, and the
message's own metadata), never sent to a model. Converting such messages back keeps the
stored id and createdAt, so saving a loaded history again rewrites those messages in place
instead of duplicating them; given the ``stored`` messages, an unchanged group gives its
stored message back exactly (parts a model cannot take included). ``keep_identity=False``
leaves the key out (the exact framework messages).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
    SystemPromptPart,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from ..errors import ValidationError
from ..records import Message, MessageContent
from .tool_parts import call_part, opaque_part, preserve, preserved, resolve

#: Key under ``providerMetadata`` (content and parts) holding what Mastra has no field for.
META_KEY = "pydanticAi"
#: Type of the part holding a Pydantic AI part that has no Mastra equivalent.
DATA_PART_TYPE = f"data-{META_KEY}"
#: Key of a Pydantic AI message's ``metadata`` holding the stored Mastra message it came from.
IDENTITY_KEY = "mastra"

logger = logging.getLogger("mastra_storage.integrations.pydantic_ai")

_RESULT_KINDS = frozenset({"tool-return", "retry-prompt"})
_ONE_MS = timedelta(milliseconds=1)


def _dump(messages: Sequence[ModelMessage]) -> list[dict[str, Any]]:
    dumped: list[dict[str, Any]] = ModelMessagesTypeAdapter.dump_python(list(messages), mode="json")
    return dumped


def _without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


# ---- Pydantic AI -> Mastra -----------------------------------------------------------------


def _plain_part(part: dict[str, Any], slot: list[int]) -> dict[str, Any]:
    """The Mastra part of one Pydantic AI part (not a tool return); ``slot`` is
    ``[message index in the group, part index in that message]``."""
    kind = part.get("part_kind")
    if kind in ("user-prompt", "text") and isinstance(part.get("content"), str):
        text_part = {"type": "text", "text": part["content"]}
        return preserve(text_part, META_KEY, {"slot": slot, "part": _without(part, "content")})
    if kind == "thinking" and isinstance(part.get("content"), str):
        text = part["content"]
        reasoning = {
            "type": "reasoning",
            "reasoning": text,
            "details": [{"type": "text", "text": text}],
        }
        return preserve(reasoning, META_KEY, {"slot": slot, "part": _without(part, "content")})
    if kind == "tool-call":
        args = part.get("args")
        rest: dict[str, Any] = {
            "slot": slot,
            "part": _without(part, "tool_call_id", "tool_name", "args"),
        }
        if not isinstance(args, dict):
            # A JSON string (or none): Mastra shows the object, the exact value is kept.
            rest["args"] = args
            args = _parse_args(args)
        try:
            return call_part(
                part.get("tool_call_id"),  # type: ignore[arg-type]  # checked by call_part
                part.get("tool_name"),  # type: ignore[arg-type]
                args,
                namespace=META_KEY,
                extra=rest,
            )
        except ValidationError:
            pass  # no id or name: Mastra cannot show it, kept whole below
    return preserve(opaque_part(META_KEY, part), META_KEY, {"slot": slot})


def _parse_args(args: Any) -> Any:
    if isinstance(args, str):
        try:
            parsed = json.loads(args)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _answers(request: dict[str, Any], calls: dict[str, dict[str, Any]]) -> bool:
    """Whether ``request`` only answers the tool calls in ``calls`` (each at most once)."""
    parts = request["parts"]
    if not parts:
        return False
    seen: set[str] = set()
    for part in parts:
        call_id = part.get("tool_call_id")
        if part.get("part_kind") not in _RESULT_KINDS or call_id not in calls or call_id in seen:
            return False
        if part.get("part_kind") == "retry-prompt" and part.get("tool_name") is None:
            return False
        seen.add(call_id)
    return True


def _group_to_mastra(
    group: list[dict[str, Any]], created_at: datetime, id: str | None = None
) -> Message:
    first = group[0]
    parts: list[dict[str, Any]] = []
    calls: dict[str, dict[str, Any]] = {}
    for index, part in enumerate(first["parts"]):
        mastra_part = _plain_part(part, [0, index])
        parts.append(mastra_part)
        if mastra_part["type"] == "tool-invocation":
            calls[mastra_part["toolInvocation"]["toolCallId"]] = mastra_part
    if len(group) == 2:
        for index, part in enumerate(group[1]["parts"]):
            result = {"slot": [1, index], "part": _without(part, "content", "tool_call_id")}
            resolve(
                calls[part["tool_call_id"]],
                part.get("content"),
                namespace=META_KEY,
                extra={"result": result},
            )
    envelopes = [_without(message, "parts") for message in group]
    content = MessageContent(parts=parts, provider_metadata={META_KEY: {"messages": envelopes}})
    return Message(
        id=id or str(uuid.uuid4()),
        role="user" if first["kind"] == "request" else "assistant",
        created_at=created_at,
        content=content,
    )


def _timestamp(message: dict[str, Any]) -> datetime | None:
    raw = message.get("timestamp")
    if not isinstance(raw, str):
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def from_pydantic_ai(
    messages: Iterable[ModelMessage],
    *,
    not_before: datetime | None = None,
    stored: Iterable[Message] = (),
) -> list[Message]:
    """Mastra V2 messages for Pydantic AI messages (see the module docstring).

    ``createdAt`` is each message's timestamp, raised where needed so the list is strictly
    increasing by at least a millisecond and after ``not_before`` (Mastra orders a thread by
    ``createdAt``; the exact timestamps are kept in the metadata). Messages carrying
    ``metadata["mastra"]`` keep that stored id and createdAt; when they still match their
    message in ``stored`` (what they were loaded from), that message is given back as is.
    Raises :class:`~mastra_storage.errors.ValidationError` for anything but ModelMessages.
    """
    items = list(messages)
    for item in items:
        if not isinstance(item, (ModelRequest, ModelResponse)):
            raise ValidationError(
                f"expected a Pydantic AI ModelMessage, got {type(item).__name__}",
                id="MASTRA_STORAGE_INVALID_MESSAGE",
            )
    known = {m.id: m for m in stored}
    out: list[Message] = []
    last = _ms(not_before) if not_before is not None else None
    index = 0
    while index < len(items):
        restored, used = _restore(items, index, known)
        if restored is not None:
            out.append(restored)
            last = max(last, restored.created_at) if last is not None else restored.created_at
            index += used
            continue
        reused = _identity_of(items[index])
        dumped = _dump(_strip_identity(items[index : index + 2]))
        group = [dumped[0]]
        if (
            len(dumped) == 2
            and dumped[0]["kind"] == "response"
            and dumped[1]["kind"] == "request"
            and _identity_of(items[index + 1]) is None  # not the start of a stored message
        ):
            calls = {
                p["tool_call_id"]: p for p in dumped[0]["parts"] if p["part_kind"] == "tool-call"
            }
            if _answers(dumped[1], calls):
                group.append(dumped[1])
        if reused is not None and reused[0] not in {m.id for m in out}:
            # Loaded from storage but changed: it replaces its stored message, in place.
            out.append(_group_to_mastra(group, reused[1], reused[0]))
            last = max(last, reused[1]) if last is not None else reused[1]
            index += len(group)
            continue
        created = _ms(_timestamp(group[0]) or datetime.now(timezone.utc))
        if last is not None and created <= last:
            created = last + _ONE_MS
        out.append(_group_to_mastra(group, created))
        last = created
        index += len(group)
    return out


def _identity_of(message: ModelMessage) -> tuple[str, datetime] | None:
    """The stored id and createdAt a message was loaded with (first of its group only)."""
    identity = (message.metadata or {}).get(IDENTITY_KEY)
    if not isinstance(identity, dict) or identity.get("index") != 0:
        return None
    id, created = identity.get("id"), identity.get("createdAt")
    if not isinstance(id, str) or not id or not isinstance(created, str):
        return None
    try:
        when = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return None
    return id, when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _has_identity(message: ModelMessage) -> bool:
    return bool(message.metadata) and IDENTITY_KEY in (message.metadata or {})


def _strip_identity(messages: Sequence[ModelMessage]) -> list[ModelMessage]:
    """The messages without the ``metadata["mastra"]`` key (copies only where it is set)."""
    import dataclasses

    out: list[ModelMessage] = []
    for message in messages:
        if _has_identity(message):
            meta = dict(message.metadata or {})
            original = meta.pop(IDENTITY_KEY)
            keep = original.get("metadata") if isinstance(original, dict) else None
            message = dataclasses.replace(message, metadata=meta or keep)
        out.append(message)
    return out


def _restore(
    items: list[ModelMessage], index: int, known: dict[str, Message]
) -> tuple[Message | None, int]:
    """The stored Mastra message the messages at ``index`` came from, if unchanged."""
    identity = _identity_of(items[index])
    stored = known.get(identity[0]) if identity is not None else None
    if stored is None:
        return None, 0
    expected = _message_to_pydantic(stored, keep_identity=True)
    given = items[index : index + len(expected)]
    if len(given) == len(expected) and _dump(given) == _dump(expected):
        return stored, len(expected)
    return None, 0


# ---- Mastra -> Pydantic AI -----------------------------------------------------------------


def to_pydantic_ai(
    messages: Iterable[Message], *, keep_identity: bool = True
) -> list[ModelMessage]:
    """Pydantic AI messages for stored Mastra messages, in order (see the module docstring).

    System messages become a ``SystemPromptPart`` request. A message whose Pydantic AI
    metadata no longer forms messages (edited by a tool that does not know it) loads as a
    Mastra-written one would, with a warning on the ``mastra_storage`` logger.
    """
    out: list[ModelMessage] = []
    for message in messages:
        out.extend(_message_to_pydantic(message, keep_identity=keep_identity))
    return out


def _message_to_pydantic(message: Message, *, keep_identity: bool) -> list[ModelMessage]:
    meta = message.content.provider_metadata or {}
    saved = meta.get(META_KEY)
    if isinstance(saved, dict) and isinstance(saved.get("messages"), list):
        built = _rebuild(message, saved["messages"]) or _native(message)
    else:
        built = _native(message)
    if keep_identity:
        created = message.created_at.isoformat()
        for position, item in enumerate(built):
            identity = {
                "id": message.id,
                "createdAt": created,
                "index": position,
                "metadata": item.metadata,
            }
            item.metadata = {**(item.metadata or {}), IDENTITY_KEY: identity}
    return built


def _rebuild(message: Message, envelopes: list[Any]) -> list[ModelMessage] | None:
    """The exact Pydantic AI messages a converted group came from."""
    shells: list[dict[str, Any]] = [dict(e, parts=[]) for e in envelopes if isinstance(e, dict)]
    placed: list[list[tuple[int, dict[str, Any]]]] = [[] for _ in shells]
    try:
        for part in message.content.parts:
            rest = preserved(part, META_KEY)
            kind = part.get("type")
            slot = rest["slot"]
            if kind == DATA_PART_TYPE:
                placed[slot[0]].append((slot[1], part["data"]))
            elif kind == "text":
                placed[slot[0]].append((slot[1], {**rest["part"], "content": part["text"]}))
            elif kind == "reasoning":
                placed[slot[0]].append((slot[1], {**rest["part"], "content": part["reasoning"]}))
            elif kind == "tool-invocation":
                call = part["toolInvocation"]
                args = rest["args"] if "args" in rest else call.get("args")
                placed[slot[0]].append(
                    (
                        slot[1],
                        {
                            **rest["part"],
                            "tool_call_id": call["toolCallId"],
                            "tool_name": call["toolName"],
                            "args": args,
                        },
                    )
                )
                if "result" in rest and call.get("state") == "result":
                    result = rest["result"]
                    placed[result["slot"][0]].append(
                        (
                            result["slot"][1],
                            {
                                **result["part"],
                                "tool_call_id": call["toolCallId"],
                                "content": call.get("result"),
                            },
                        )
                    )
        for shell, parts in zip(shells, placed, strict=True):
            shell["parts"] = [p for _, p in sorted(parts, key=lambda item: item[0])]
        return ModelMessagesTypeAdapter.validate_python(shells)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        # Changed by something that does not know the layout (a part added without its
        # slot, say): the message still loads, as the model's view of its Mastra parts.
        logger.warning(
            "message %s: its Pydantic AI metadata no longer forms messages (%s); "
            "loading its Mastra parts instead",
            message.id,
            type(exc).__name__,
        )
        return None


def _native(message: Message) -> list[ModelMessage]:
    """A Mastra-written message as the model's view (text, reasoning, tool calls)."""
    stamp = message.created_at
    if message.role != "assistant":
        request_parts: list[Any] = []
        for part in message.content.parts:
            if part.get("type") == "text" and isinstance(part.get("text"), str):
                if message.role == "system":
                    request_parts.append(SystemPromptPart(part["text"], timestamp=stamp))
                else:
                    request_parts.append(UserPromptPart(part["text"], timestamp=stamp))
        if not request_parts and message.content.content:
            request_parts.append(UserPromptPart(message.content.content, timestamp=stamp))
        return [ModelRequest(parts=request_parts, timestamp=stamp)]
    out: list[ModelMessage] = []
    response: list[Any] = []
    returns: list[Any] = []

    def flush() -> None:
        if response or returns:
            out.append(ModelResponse(parts=list(response), timestamp=stamp))
        if returns:
            out.append(ModelRequest(parts=list(returns), timestamp=stamp))
        response.clear()
        returns.clear()

    for part in message.content.parts:
        kind = part.get("type")
        if kind == "text" and isinstance(part.get("text"), str):
            if returns:
                flush()
            response.append(TextPart(part["text"]))
        elif kind == "reasoning" and isinstance(part.get("reasoning"), str):
            if returns:
                flush()
            response.append(ThinkingPart(part["reasoning"]))
        elif kind == "tool-invocation" and isinstance(part.get("toolInvocation"), dict):
            call = part["toolInvocation"]
            if call.get("state") == "partial-call":
                continue
            if returns and call.get("state") != "result":
                flush()
            call_id, name = str(call.get("toolCallId")), str(call.get("toolName"))
            response.append(ToolCallPart(name, call.get("args"), call_id))
            if call.get("state") == "result":
                returns.append(ToolReturnPart(name, call.get("result"), call_id, timestamp=stamp))
    flush()
    if not out:
        out.append(ModelResponse(parts=[], timestamp=stamp))
    return out


__all__ = [
    "DATA_PART_TYPE",
    "IDENTITY_KEY",
    "META_KEY",
    "from_pydantic_ai",
    "to_pydantic_ai",
]
