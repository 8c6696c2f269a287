"""Typed views of message parts (``MastraMessagePart``, the AI SDK v4 ``UIMessage`` parts).

Storage keeps parts as plain JSON objects so they round-trip byte for byte, whatever a newer
Mastra or AI SDK adds. These structs are the typed way to build and read them::

    content = MessageContent.from_parts([TextPart(text="Hi"), StepStartPart()])
    for part in message.content.typed_parts():
        match part:
            case TextPart(text=text): ...
            case ToolInvocationPart(tool_invocation=call): ...

``to_dict()`` of a part gives Mastra's JSON; :func:`parse_part` reads it back. A part of an
unknown type becomes :class:`UnknownPart`, which keeps the raw object.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import msgspec

from .errors import ValidationError


class _Shape(msgspec.Struct, kw_only=True, rename="camel", omit_defaults=True):
    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = msgspec.to_builtins(self)
        return data


class ToolInvocation(_Shape, kw_only=True):
    state: Literal["partial-call", "call", "result"]
    tool_call_id: str
    tool_name: str
    args: Any = None
    result: Any = None
    step: int | None = None


class Source(_Shape, kw_only=True):
    source_type: str
    id: str
    url: str
    title: str | None = None


class _Part(_Shape, kw_only=True, tag_field="type"):
    provider_metadata: dict[str, Any] | None = None


class TextPart(_Part, kw_only=True, tag="text"):
    text: str


class ReasoningPart(_Part, kw_only=True, tag="reasoning"):
    """``details`` items: ``{type: 'text', text, signature?}`` or ``{type: 'redacted', data}``."""

    reasoning: str
    details: list[dict[str, Any]] = msgspec.field(default_factory=list)


class ToolInvocationPart(_Part, kw_only=True, tag="tool-invocation"):
    tool_invocation: ToolInvocation


class SourcePart(_Part, kw_only=True, tag="source"):
    source: Source


class FilePart(_Part, kw_only=True, tag="file"):
    mime_type: str
    data: str


class StepStartPart(_Part, kw_only=True, tag="step-start"):
    pass


class DataPart(msgspec.Struct, kw_only=True):
    """An AI SDK v5 ``data-<name>`` part."""

    name: str
    data: Any = None
    id: str | None = None
    provider_metadata: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": f"data-{self.name}"}
        if self.id is not None:
            out["id"] = self.id
        out["data"] = self.data
        if self.provider_metadata is not None:
            out["providerMetadata"] = self.provider_metadata
        return out


class UnknownPart(msgspec.Struct, kw_only=True):
    """A part of a type this SDK does not model, kept as the raw JSON object."""

    raw: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.raw)


KnownPart = TextPart | ReasoningPart | ToolInvocationPart | SourcePart | FilePart | StepStartPart
Part = KnownPart | DataPart | UnknownPart
_KNOWN_TYPES = frozenset({"text", "reasoning", "tool-invocation", "source", "file", "step-start"})


def parse_part(raw: Mapping[str, Any]) -> Part:
    """The typed view of one stored part; unknown types and extra keys give :class:`UnknownPart`."""
    kind = raw.get("type")
    if isinstance(kind, str) and kind.startswith("data-"):
        extra = set(raw) - {"type", "id", "data", "providerMetadata"}
        if not extra:
            return DataPart(
                name=kind[5:],
                data=raw.get("data"),
                id=raw.get("id"),
                provider_metadata=raw.get("providerMetadata"),
            )
    if kind in _KNOWN_TYPES:
        try:
            part: KnownPart = msgspec.convert(dict(raw), KnownPart, strict=True)
        except msgspec.ValidationError:
            return UnknownPart(raw=dict(raw))
        if part.to_dict() == dict(raw):  # only when the typed view loses nothing
            return part
    return UnknownPart(raw=dict(raw))


def part_to_dict(part: Part | Mapping[str, Any]) -> dict[str, Any]:
    """Mastra's JSON for a typed part (plain dicts pass through)."""
    if isinstance(part, Mapping):
        return dict(part)
    if isinstance(part, (_Part, DataPart, UnknownPart)):
        return part.to_dict()
    raise ValidationError(
        f"not a message part: {type(part).__name__}", id="MASTRA_STORAGE_INVALID_MESSAGE"
    )


__all__ = [
    "DataPart",
    "FilePart",
    "KnownPart",
    "Part",
    "ReasoningPart",
    "Source",
    "SourcePart",
    "StepStartPart",
    "TextPart",
    "ToolInvocation",
    "ToolInvocationPart",
    "UnknownPart",
    "parse_part",
    "part_to_dict",
]
