"""Per-entity time-to-live, configured like the DynamoDB adapter (and ``@mastra/dynamodb``).

``ttl={"message": {"enabled": True, "default_ttl_seconds": 86400}, ...}`` for the entity
types ``thread``, ``message``, ``trace``, ``eval``, ``workflow_snapshot``, ``resource`` and
``score`` (``defaultTtlSeconds`` and ``attributeName`` are accepted as in Mastra; Redis has
no TTL attribute, so ``attribute_name`` is ignored). Every write of an entity sets the
expiry on each of its keys and refreshes it on the index sets it belongs to; an index set
therefore never expires before the newest entry in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mastra_storage.errors import ConfigurationError

ENTITIES = ("thread", "message", "trace", "eval", "workflow_snapshot", "resource", "score")


def parse_ttl(config: Mapping[str, Any] | None) -> dict[str, int]:
    """Entity -> seconds, for the entities with TTL enabled and a positive duration."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise ConfigurationError(
            "UpstashStore: ttl must be a mapping of entity type to settings",
            id="MASTRA_STORAGE_UPSTASH_INVALID_TTL",
        )
    out: dict[str, int] = {}
    for entity, settings in config.items():
        if entity not in ENTITIES:
            raise ConfigurationError(
                f"UpstashStore: unknown ttl entity {entity!r} (known: {', '.join(ENTITIES)})",
                id="MASTRA_STORAGE_UPSTASH_INVALID_TTL",
            )
        if not isinstance(settings, Mapping):
            raise ConfigurationError(
                f"UpstashStore: ttl[{entity!r}] must be a mapping",
                id="MASTRA_STORAGE_UPSTASH_INVALID_TTL",
            )
        unknown = set(settings) - {
            "enabled",
            "default_ttl_seconds",
            "defaultTtlSeconds",
            "attribute_name",
            "attributeName",
        }
        if unknown:
            raise ConfigurationError(
                f"UpstashStore: unknown ttl[{entity!r}] settings {sorted(unknown)}",
                id="MASTRA_STORAGE_UPSTASH_INVALID_TTL",
            )
        enabled = settings.get("enabled", False)
        if not isinstance(enabled, bool):
            raise ConfigurationError(
                f"UpstashStore: ttl[{entity!r}].enabled must be a bool",
                id="MASTRA_STORAGE_UPSTASH_INVALID_TTL",
            )
        seconds = settings.get("default_ttl_seconds", settings.get("defaultTtlSeconds"))
        if seconds is not None and (
            not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0
        ):
            raise ConfigurationError(
                f"UpstashStore: ttl[{entity!r}].default_ttl_seconds must be an integer >= 0",
                id="MASTRA_STORAGE_UPSTASH_INVALID_TTL",
            )
        # As in Mastra: nothing expires when disabled, without a duration, or with 0.
        if enabled and seconds:
            out[entity] = seconds
    return out


__all__ = ["ENTITIES", "parse_ttl"]
