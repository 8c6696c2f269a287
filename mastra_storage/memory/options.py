"""Typed Memory options with Mastra's defaults, and per-call overrides.

Mastra configures ``Memory`` with a camelCase object (``{lastMessages: 10, semanticRecall:
{topK: 3, messageRange: 2}}``) and lets each request pass ``memoryOptions`` that are merged
over it. Here the same settings are frozen dataclasses; :func:`parse_options` accepts either
those or a mapping with camelCase or snake_case keys (so a Mastra config ports verbatim),
and :meth:`MemoryOptions.merged` applies a per-call override the way Mastra does: fields
given replace, a partial ``semantic_recall``/``working_memory`` mapping merges into the
configured one. Every value is validated here, before any I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import ValidationError
from ..records import Message

Scope = Literal["resource", "thread"]
TitleGenerator = Callable[[Sequence[Message]], Awaitable[str]]
"""Async hook ``(messages of the first turn) -> title`` (typically an LLM call)."""

DEFAULT_LAST_MESSAGES = 10
DEFAULT_TOP_K = 4
DEFAULT_MESSAGE_RANGE = 1

# Mastra's default working-memory template (packages/core/src/memory/memory.ts).
DEFAULT_WORKING_MEMORY_TEMPLATE = """# User Information
- **First Name**:
- **Last Name**:
- **Location**:
- **Occupation**:
- **Interests**:
- **Goals**:
- **Events**:
- **Facts**:
- **Projects**:
"""

_ERROR_ID = "MASTRA_MEMORY_INVALID_OPTIONS"


def _invalid(message: str) -> ValidationError:
    return ValidationError(message, id=_ERROR_ID)


@dataclass(frozen=True)
class MessageRange:
    """How many neighbours to bring around each semantically recalled message."""

    before: int = DEFAULT_MESSAGE_RANGE
    after: int = DEFAULT_MESSAGE_RANGE

    def __post_init__(self) -> None:
        for name in ("before", "after"):
            _check_count(getattr(self, name), f"message_range.{name}")


@dataclass(frozen=True)
class SemanticRecallOptions:
    """``semanticRecall``: ``top_k`` nearest messages plus ``message_range`` context each."""

    top_k: int = DEFAULT_TOP_K
    message_range: int | MessageRange = field(default_factory=MessageRange)
    scope: Scope = "resource"
    threshold: float | None = None
    index_name: str | None = None

    def __post_init__(self) -> None:
        rng = self.message_range
        if isinstance(rng, int) and not isinstance(rng, bool):
            object.__setattr__(self, "message_range", MessageRange(rng, rng))
        if not isinstance(self.message_range, MessageRange):
            raise _invalid("semantic_recall.message_range must be an int or {before, after}")
        if not isinstance(self.top_k, int) or isinstance(self.top_k, bool) or self.top_k < 1:
            raise _invalid("semantic_recall.top_k must be a positive integer")
        _check_scope(self.scope, "semantic_recall.scope")
        if self.threshold is not None and (
            isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float))
        ):
            raise _invalid("semantic_recall.threshold must be a number")
        if self.index_name is not None and (
            not isinstance(self.index_name, str) or not self.index_name.strip()
        ):
            raise _invalid("semantic_recall.index_name must be a non-empty string")

    @property
    def window(self) -> MessageRange:
        """``message_range`` normalised to ``{before, after}``."""
        rng = self.message_range
        return rng if isinstance(rng, MessageRange) else MessageRange(rng, rng)


@dataclass(frozen=True)
class WorkingMemoryOptions:
    """``workingMemory``: a markdown block kept per resource (default) or per thread."""

    enabled: bool = False
    scope: Scope = "resource"
    template: str = DEFAULT_WORKING_MEMORY_TEMPLATE

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise _invalid("working_memory.enabled must be a bool")
        _check_scope(self.scope, "working_memory.scope")
        if not isinstance(self.template, str):
            raise _invalid("working_memory.template must be a string")


@dataclass(frozen=True)
class ObservationalMemoryOptions:
    """``observationalMemory``: serve the observations an observer stored (the observer
    and reflector models are the caller's; this SDK stores and reads), per thread (Mastra's
    default) or per resource."""

    enabled: bool = False
    scope: Scope = "thread"

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise _invalid("observational_memory.enabled must be a bool")
        _check_scope(self.scope, "observational_memory.scope")


#: Keys of Mastra's ``observationalMemory`` config that configure the observer models;
#: accepted (so a Mastra config ports verbatim) and ignored here.
_OM_MODEL_KEYS = frozenset({"model", "observation", "reflection", "shareTokenBudget"})


@dataclass(frozen=True)
class MemoryOptions:
    """Everything a :class:`~mastra_storage.memory.Memory` call is configured by.

    ``last_messages``: how many recent messages ``recall`` returns (``False`` disables
    history). ``semantic_recall``: ``None`` disables it (Mastra's default ``false``).
    ``generate_title``: called once with the first turn's messages of an untitled thread.
    ``read_only``: ``save_turn`` persists nothing; working-memory writes are refused.
    """

    last_messages: int | Literal[False] = DEFAULT_LAST_MESSAGES
    semantic_recall: SemanticRecallOptions | None = None
    working_memory: WorkingMemoryOptions = field(default_factory=WorkingMemoryOptions)
    generate_title: TitleGenerator | None = None
    read_only: bool = False
    observational_memory: ObservationalMemoryOptions = field(
        default_factory=ObservationalMemoryOptions
    )

    def __post_init__(self) -> None:
        lm = self.last_messages
        if lm is not False and (not isinstance(lm, int) or isinstance(lm, bool) or lm < 0):
            raise _invalid("last_messages must be a non-negative integer or False")
        if self.semantic_recall is not None and not isinstance(
            self.semantic_recall, SemanticRecallOptions
        ):
            raise _invalid("semantic_recall must be SemanticRecallOptions or None")
        if not isinstance(self.working_memory, WorkingMemoryOptions):
            raise _invalid("working_memory must be WorkingMemoryOptions")
        if self.generate_title is not None and not callable(self.generate_title):
            raise _invalid("generate_title must be an async callable")
        if not isinstance(self.read_only, bool):
            raise _invalid("read_only must be a bool")
        if not isinstance(self.observational_memory, ObservationalMemoryOptions):
            raise _invalid("observational_memory must be ObservationalMemoryOptions")

    @property
    def history_limit(self) -> int:
        """``last_messages`` as a count (``False`` -> 0)."""
        return 0 if self.last_messages is False else self.last_messages

    def merged(self, override: MemoryOptions | Mapping[str, Any] | None) -> MemoryOptions:
        """These options with a per-call override applied (see the module docstring)."""
        if override is None:
            return self
        if isinstance(override, MemoryOptions):
            return override
        return parse_options(override, base=self)


OptionsInput = MemoryOptions | Mapping[str, Any] | None

_ALIASES = {
    "lastMessages": "last_messages",
    "semanticRecall": "semantic_recall",
    "workingMemory": "working_memory",
    "generateTitle": "generate_title",
    "readOnly": "read_only",
    "observationalMemory": "observational_memory",
    "topK": "top_k",
    "messageRange": "message_range",
    "indexName": "index_name",
}


def _snake(raw: Mapping[str, Any], allowed: Sequence[str], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = _ALIASES.get(key, key)
        if name not in allowed:
            raise _invalid(f"unknown {where} option {key!r} (known: {', '.join(allowed)})")
        out[name] = value
    return out


def _field_names(cls: Any) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def _semantic(value: Any, base: SemanticRecallOptions | None) -> SemanticRecallOptions | None:
    if value is None or value is False:
        return None
    if value is True:
        return base or SemanticRecallOptions()
    if isinstance(value, SemanticRecallOptions):
        return value
    if not isinstance(value, Mapping):
        raise _invalid("semantic_recall must be a bool, a mapping or SemanticRecallOptions")
    fields = _snake(value, _field_names(SemanticRecallOptions), "semantic_recall")
    rng = fields.get("message_range")
    if isinstance(rng, Mapping):
        fields["message_range"] = MessageRange(**_snake(rng, ["before", "after"], "message_range"))
    start = base or SemanticRecallOptions()
    return dataclasses.replace(start, **fields)


def _working(value: Any, base: WorkingMemoryOptions) -> WorkingMemoryOptions:
    if isinstance(value, WorkingMemoryOptions):
        return value
    if isinstance(value, bool):
        return dataclasses.replace(base, enabled=value)
    if not isinstance(value, Mapping):
        raise _invalid("working_memory must be a bool, a mapping or WorkingMemoryOptions")
    return dataclasses.replace(
        base, **_snake(value, _field_names(WorkingMemoryOptions), "working_memory")
    )


def _observational(value: Any, base: ObservationalMemoryOptions) -> ObservationalMemoryOptions:
    if isinstance(value, ObservationalMemoryOptions):
        return value
    if isinstance(value, bool):
        return dataclasses.replace(base, enabled=value)
    if not isinstance(value, Mapping):
        raise _invalid(
            "observational_memory must be a bool, a mapping or ObservationalMemoryOptions"
        )
    own = {k: v for k, v in value.items() if k not in _OM_MODEL_KEYS}
    fields = _snake(own, _field_names(ObservationalMemoryOptions), "observational_memory")
    # a Mastra config object turns the feature on unless it says enabled: false
    return dataclasses.replace(base, **{"enabled": True, **fields})


def parse_options(raw: OptionsInput, *, base: MemoryOptions | None = None) -> MemoryOptions:
    """Options from a dataclass or a (camelCase or snake_case) mapping, over ``base``."""
    start = base or MemoryOptions()
    if raw is None:
        return start
    if isinstance(raw, MemoryOptions):
        return raw
    if not isinstance(raw, Mapping):
        raise _invalid(f"options must be MemoryOptions or a mapping, got {type(raw).__name__}")
    fields = _snake(raw, _field_names(MemoryOptions), "memory")
    if "semantic_recall" in fields:
        fields["semantic_recall"] = _semantic(fields["semantic_recall"], start.semantic_recall)
    if "working_memory" in fields:
        fields["working_memory"] = _working(fields["working_memory"], start.working_memory)
    if "observational_memory" in fields:
        fields["observational_memory"] = _observational(
            fields["observational_memory"], start.observational_memory
        )
    try:
        return dataclasses.replace(start, **fields)
    except TypeError as exc:  # pragma: no cover - _snake already rejects unknown keys
        raise _invalid(str(exc)) from exc


def _check_count(value: Any, name: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _invalid(f"{name} must be a non-negative integer")


def _check_scope(value: Any, name: str) -> None:
    if value not in ("resource", "thread"):
        raise _invalid(f"{name} must be 'resource' or 'thread', got {value!r}")


__all__ = [
    "DEFAULT_LAST_MESSAGES",
    "DEFAULT_MESSAGE_RANGE",
    "DEFAULT_TOP_K",
    "DEFAULT_WORKING_MEMORY_TEMPLATE",
    "MemoryOptions",
    "MessageRange",
    "OptionsInput",
    "Scope",
    "SemanticRecallOptions",
    "TitleGenerator",
    "WorkingMemoryOptions",
    "parse_options",
]
