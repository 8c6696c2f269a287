"""Shared rules for converting framework messages to Mastra parts and back.

Two rules every converter in :mod:`mastra_storage.integrations` follows:

**One part per tool call.** A tool call and its result are one Mastra ``tool-invocation``
part, as a Mastra app writes them: :func:`call_part` builds it in state ``"call"``;
when the result arrives (in the same message, a later message or a later turn, matched by
``toolCallId``) :func:`resolve` turns it into state ``"result"`` in place.
:class:`PendingCalls` finds the part to resolve across the messages being built, and
:func:`find_call` across stored :class:`~mastra_storage.records.Message` objects.
:func:`tool_call` reads a part back as a :class:`ToolCall` (call and optional result).

**What Mastra cannot hold is preserved, not dropped.** Fields of a framework item with
no Mastra equivalent (ids, statuses, provider details, the position of a tool result)
go into the part's ``providerMetadata`` under a namespace owned by the converter
(:func:`preserve` / :func:`preserved`); a whole item with no Mastra equivalent becomes a
``data-<namespace>`` part holding it verbatim (:func:`opaque_part` / :func:`opaque_value`).
Namespaces are the converter's name (e.g. ``"openaiResponses"``, ``"pydanticAi"``,
``"langchain"``) and never a model provider's (``"openai"``, ``"anthropic"``), so real
provider metadata a Mastra app wrote is left alone. A Mastra app ignores both: it shows
the text, reasoning and tool calls and keeps the rest when it writes the message back.

Parts here are plain JSON ``dict`` objects (Mastra's wire shape); the builders return new
dicts and only :func:`resolve` and :func:`preserve` mutate the part they are given.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from ..errors import ValidationError
from ..records import Message

__all__ = [
    "PendingCalls",
    "ToolCall",
    "call_part",
    "detached",
    "find_call",
    "is_tool_part",
    "json_object",
    "kept",
    "opaque_part",
    "opaque_value",
    "preserve",
    "preserved",
    "resolve",
    "tool_call",
    "without",
]

TOOL_INVOCATION = "tool-invocation"
_EMPTY: Mapping[str, Any] = {}  # never mutated: the "nothing kept" answer of kept()


class ToolCall(msgspec.Struct, kw_only=True, frozen=True):
    """A tool call read from a ``tool-invocation`` part.

    ``has_result`` tells a ``None`` result (state ``"result"``) from no result yet.
    """

    tool_call_id: str
    tool_name: str
    args: Any = None
    result: Any = None
    has_result: bool = False


def call_part(
    tool_call_id: str,
    tool_name: str,
    args: Any,
    *,
    namespace: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A new ``tool-invocation`` part in state ``"call"``.

    ``extra`` (fields of the framework's call with no Mastra equivalent) is preserved
    under ``namespace`` (see :func:`preserve`). Raises :class:`ValidationError` for an
    empty ``tool_call_id`` or ``tool_name``.
    """
    if not isinstance(tool_call_id, str) or not tool_call_id:
        raise ValidationError(
            "a tool call needs a non-empty id", id="MASTRA_STORAGE_INVALID_MESSAGE"
        )
    if not isinstance(tool_name, str) or not tool_name:
        raise ValidationError(
            "a tool call needs a non-empty tool name", id="MASTRA_STORAGE_INVALID_MESSAGE"
        )
    part: dict[str, Any] = {
        "type": TOOL_INVOCATION,
        "toolInvocation": {
            "state": "call",
            "toolCallId": tool_call_id,
            "toolName": tool_name,
            "args": args,
        },
    }
    if namespace is not None and extra:
        preserve(part, namespace, extra)
    return part


def resolve(
    part: dict[str, Any],
    result: Any,
    *,
    namespace: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Record ``result`` on a call part, in place: state ``"result"``; returns the part.

    ``extra`` (fields of the framework's result item with no Mastra equivalent) is merged
    into what the part preserves under ``namespace``. Raises :class:`ValidationError` if
    ``part`` is not a ``tool-invocation`` part.
    """
    if not is_tool_part(part):
        raise ValidationError(
            "only a tool-invocation part takes a result", id="MASTRA_STORAGE_INVALID_MESSAGE"
        )
    invocation = dict(part["toolInvocation"])
    invocation["state"] = "result"
    invocation["result"] = result
    part["toolInvocation"] = invocation
    if namespace is not None and extra:
        preserve(part, namespace, {**preserved(part, namespace), **extra})
    return part


def is_tool_part(part: Mapping[str, Any]) -> bool:
    """Whether ``part`` is a well-formed ``tool-invocation`` part."""
    invocation = part.get("toolInvocation")
    return (
        part.get("type") == TOOL_INVOCATION
        and isinstance(invocation, Mapping)
        and isinstance(invocation.get("toolCallId"), str)
    )


def tool_call(part: Mapping[str, Any]) -> ToolCall:
    """The call (and result, once state is ``"result"``) held by a ``tool-invocation`` part.

    Raises :class:`ValidationError` for any other part.
    """
    if not is_tool_part(part):
        raise ValidationError("not a tool-invocation part", id="MASTRA_STORAGE_INVALID_MESSAGE")
    invocation = part["toolInvocation"]
    has_result = invocation.get("state") == "result"
    return ToolCall(
        tool_call_id=invocation["toolCallId"],
        tool_name=str(invocation.get("toolName", "")),
        args=invocation.get("args"),
        result=invocation.get("result") if has_result else None,
        has_result=has_result,
    )


def preserve(part: dict[str, Any], namespace: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Keep ``data`` in ``part["providerMetadata"][namespace]``, in place; returns the part.

    An empty ``data`` removes the namespace (and an empty ``providerMetadata``), so a
    part that preserves nothing carries no trace of the converter.
    """
    metadata = dict(part.get("providerMetadata") or {})
    if data:
        metadata[namespace] = copy.deepcopy(dict(data))
    else:
        metadata.pop(namespace, None)
    if metadata:
        part["providerMetadata"] = metadata
    else:
        part.pop("providerMetadata", None)
    return part


def preserved(part: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    """What :func:`preserve` kept under ``namespace`` (a copy; ``{}`` when nothing)."""
    metadata = part.get("providerMetadata")
    if not isinstance(metadata, Mapping):
        return {}
    value = metadata.get(namespace)
    return copy.deepcopy(dict(value)) if isinstance(value, Mapping) else {}


def kept(part: Mapping[str, Any], namespace: str) -> Mapping[str, Any]:
    """What :func:`preserve` kept under ``namespace``, not copied (``{}`` when nothing):
    for converters that detach their whole result once (:func:`detached`)."""
    metadata = part.get("providerMetadata")
    if metadata is None:  # most parts: no ABC isinstance check (it ran per part per read)
        return _EMPTY
    if type(metadata) is dict or isinstance(metadata, Mapping):
        value = metadata.get(namespace)
        if type(value) is dict or isinstance(value, Mapping):
            return value
    return _EMPTY


def without(item: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """A shallow copy of ``item`` without ``keys``."""
    return {k: v for k, v in item.items() if k not in keys}


def json_object(item: Mapping[str, Any], what: str) -> dict[str, Any]:
    """A deep copy of ``item``, which must be a JSON object (``what`` names it in the
    :class:`ValidationError` raised otherwise)."""
    try:
        copied = json.loads(json.dumps(item))
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"{what} must be JSON: {exc}", id="MASTRA_STORAGE_INVALID_MESSAGE"
        ) from exc
    if not isinstance(copied, dict):
        raise ValidationError(f"{what} must be a JSON object", id="MASTRA_STORAGE_INVALID_MESSAGE")
    return copied


def detached(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A deep copy of JSON items, so they share nothing with the messages they came from.

    Why one msgspec round trip at the end: copying each preserved field on the way
    (``copy.deepcopy``) was most of the cost of a 40-message read.
    """
    copied: list[dict[str, Any]] = msgspec.json.decode(msgspec.json.encode(items))
    return copied


def opaque_part(namespace: str, value: Any) -> dict[str, Any]:
    """A ``data-<namespace>`` part holding a framework item with no Mastra equivalent."""
    return {"type": f"data-{namespace}", "data": copy.deepcopy(value)}


def opaque_value(part: Mapping[str, Any], namespace: str) -> tuple[bool, Any]:
    """``(True, item)`` for an :func:`opaque_part` of ``namespace``, else ``(False, None)``."""
    if part.get("type") == f"data-{namespace}" and "data" in part:
        return True, copy.deepcopy(part["data"])
    return False, None


class PendingCalls:
    """Call parts awaiting their result while a converter builds Mastra messages.

    ``add`` each call part as it is built; ``take(tool_call_id)`` returns (and forgets)
    the part to :func:`resolve`, or ``None`` when the call is not among the parts seen
    (its result then needs :func:`find_call` over stored messages, or is kept as is).
    """

    def __init__(self) -> None:
        self._parts: dict[str, dict[str, Any]] = {}

    def add(self, part: dict[str, Any]) -> None:
        """Remember a call part by its ``toolCallId`` (a later call with that id wins)."""
        self._parts[part["toolInvocation"]["toolCallId"]] = part

    def add_all(self, parts: Iterable[dict[str, Any]]) -> None:
        """Remember every unresolved ``tool-invocation`` part of ``parts``."""
        for part in parts:
            if is_tool_part(part) and part["toolInvocation"].get("state") != "result":
                self.add(part)

    def take(self, tool_call_id: str) -> dict[str, Any] | None:
        """The pending call part with this id, forgotten once taken; ``None`` if unknown."""
        return self._parts.pop(tool_call_id, None)

    def __len__(self) -> int:
        return len(self._parts)


def find_call(messages: Sequence[Message], tool_call_id: str) -> tuple[Message, int] | None:
    """The newest stored message holding an unresolved call with this id, and the part index.

    Used when a tool result arrives in a later batch than its call: resolve a copy of that
    part and write the message back with ``update_messages``. ``None`` when no message
    holds the call in state ``"call"``.
    """
    for message in reversed(messages):
        for index, part in enumerate(message.content.parts):
            if (
                is_tool_part(part)
                and part["toolInvocation"]["toolCallId"] == tool_call_id
                and part["toolInvocation"].get("state") != "result"
            ):
                return message, index
    return None
