"""Options of :class:`~mastra_storage_dynamodb.store.DynamoDBStore`: table name, TTL, URL.

Mirrors ``@mastra/dynamodb``'s config (``tableName``, ``region`` default ``us-east-1``,
``endpoint``, ``credentials``, per-entity ``ttl``) with Python names, and validates it up
front so a bad option fails at construction, not on the first write.
"""

from __future__ import annotations

import math
import re
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

import msgspec

from mastra_storage.errors import ConfigurationError
from mastra_storage.redact import redact_text, redact_url

from .keys import ENTITIES

# fullmatch, not ``^...$``: ``$`` also matches before a trailing newline.
_TABLE_NAME = re.compile(r"[a-zA-Z0-9_.-]{3,255}")
_ATTRIBUTE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,254}")
#: Attribute names the adapter writes itself; a TTL attribute must not collide with them.
_RESERVED = frozenset(
    {"pk", "sk", "entity", "id", "createdAt", "updatedAt", "seq", "rev", "__edb_e__", "__edb_v__"}
    | {f"gsi{n}{p}" for n in range(1, 8) for p in ("pk", "sk")}
)


class EntityTtl(msgspec.Struct, kw_only=True, frozen=True):
    """TTL of one entity type: when ``enabled`` and ``default_ttl_seconds > 0``, each write
    sets ``attribute_name`` to now + seconds (epoch seconds), as ``@mastra/dynamodb`` does."""

    enabled: bool = False
    attribute_name: str = "ttl"
    default_ttl_seconds: int | None = None


def validate_table_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise ConfigurationError(
            "DynamoDBStore: table_name must be provided and cannot be empty.",
            id="MASTRA_STORAGE_DYNAMODB_INVALID_TABLE_NAME",
        )
    if not _TABLE_NAME.fullmatch(name):
        raise ConfigurationError(
            f'DynamoDBStore: table_name "{name}" contains invalid characters or is not '
            "between 3 and 255 characters long.",
            id="MASTRA_STORAGE_DYNAMODB_INVALID_TABLE_NAME",
        )
    return name


def parse_ttl(ttl: Mapping[str, Any] | None) -> dict[str, EntityTtl]:
    """Accept ``{"message": {"enabled": True, "default_ttl_seconds": 86400}}`` (Mastra's
    camelCase keys ``attributeName``/``defaultTtlSeconds`` too) or :class:`EntityTtl`."""
    out: dict[str, EntityTtl] = {}
    for entity, raw in (ttl or {}).items():
        if entity not in ENTITIES:
            raise ConfigurationError(
                f"DynamoDBStore: unknown ttl entity {entity!r}; known: {', '.join(ENTITIES)}",
                id="MASTRA_STORAGE_DYNAMODB_INVALID_TTL",
            )
        if isinstance(raw, EntityTtl):
            config = raw
        elif isinstance(raw, Mapping):
            renamed = {
                {"attributeName": "attribute_name", "defaultTtlSeconds": "default_ttl_seconds"}.get(
                    k, k
                ): v
                for k, v in raw.items()
            }
            try:
                config = msgspec.convert(renamed, EntityTtl)
            except msgspec.ValidationError as exc:
                raise ConfigurationError(
                    f"DynamoDBStore: invalid ttl for {entity!r}: {exc}",
                    id="MASTRA_STORAGE_DYNAMODB_INVALID_TTL",
                ) from None
        else:
            raise ConfigurationError(
                f"DynamoDBStore: ttl[{entity!r}] must be a mapping or EntityTtl",
                id="MASTRA_STORAGE_DYNAMODB_INVALID_TTL",
            )
        if not _ATTRIBUTE.fullmatch(config.attribute_name) or config.attribute_name in _RESERVED:
            raise ConfigurationError(
                f"DynamoDBStore: ttl attribute name {config.attribute_name!r} is not usable",
                id="MASTRA_STORAGE_DYNAMODB_INVALID_TTL",
            )
        out[entity] = config
    return out


def ttl_attribute(ttl: Mapping[str, EntityTtl]) -> str | None:
    """The one attribute the table's TTL must watch (DynamoDB allows one per table)."""
    names = {c.attribute_name for c in ttl.values() if c.enabled}
    if len(names) > 1:
        raise ConfigurationError(
            "DynamoDBStore: a DynamoDB table has a single TTL attribute, but the ttl config "
            f"names several: {sorted(names)}",
            id="MASTRA_STORAGE_DYNAMODB_INVALID_TTL",
        )
    return names.pop() if names else None


def ttl_fields(ttl: Mapping[str, EntityTtl], entity: str) -> dict[str, int]:
    """``{attribute: expiry epoch seconds}`` for a write of ``entity`` (empty when off)."""
    config = ttl.get(entity)
    if config is None or not config.enabled:
        return {}
    seconds = config.default_ttl_seconds
    if seconds is None or seconds <= 0:
        return {}
    return {config.attribute_name: math.floor(time.time()) + seconds}


def validate_endpoint(endpoint: Any, *, source_url: str | None = None) -> str | None:
    """An ``http(s)://host[:port]`` endpoint, or ``None``; credentials in it are refused.

    DynamoDB signs requests with the AWS credentials, never with a URL's ``user:password``;
    one in the endpoint would only end up in botocore's error messages and logs. The
    check does not rely on the URL parsing (an unencoded ``#`` or ``/`` in a password
    moves it out of what a parser calls the host), and a parser's own error is never
    chained (its message quotes the URL). ``source_url``: the ``dynamodb://`` URL the
    endpoint came from, whose secrets are scrubbed from the message too.
    """
    if endpoint is None or endpoint == "":
        return None
    if not isinstance(endpoint, str):
        raise ConfigurationError(
            "DynamoDBStore: endpoint must be a string", id="MASTRA_STORAGE_DYNAMODB_INVALID_URL"
        )
    display = redact_text(redact_url(endpoint), source_url)
    try:
        parts = urllib.parse.urlsplit(endpoint.strip())
        valid = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        valid = False
    if "@" in endpoint:
        raise ConfigurationError(
            f"DynamoDBStore: credentials in the endpoint {display!r} are not supported; pass "
            "credentials={'access_key_id': ..., 'secret_access_key': ...}",
            id="MASTRA_STORAGE_DYNAMODB_INVALID_URL",
        )
    if not valid:
        raise ConfigurationError(
            f"DynamoDBStore: endpoint {display!r} is not an http(s)://host[:port] URL",
            id="MASTRA_STORAGE_DYNAMODB_INVALID_URL",
        )
    return endpoint.strip()


class UrlOptions(msgspec.Struct, kw_only=True, frozen=True):
    table_name: str
    region: str | None = None
    endpoint: str | None = None


def parse_url(url: str) -> UrlOptions:
    """``dynamodb://TABLE?region=eu-west-1&endpoint=http://localhost:8000``."""
    display = redact_url(url) if isinstance(url, str) else repr(url)
    if not isinstance(url, str) or not url.lower().startswith("dynamodb://"):
        raise ConfigurationError(
            f"DynamoDBStore: expected 'dynamodb://TABLE?region=...', got {display!r}",
            id="MASTRA_STORAGE_DYNAMODB_INVALID_URL",
        )
    try:
        parsed = urllib.parse.urlsplit(url)
        valid = not parsed.fragment and "@" not in parsed.netloc
    except ValueError:  # the parser's message may quote the URL: not chained
        valid = False
    if not valid:
        raise ConfigurationError(
            f"DynamoDBStore: malformed URL {display!r} (no credentials in the table part; "
            "percent-encode '#', '&' and '[' in the endpoint)",
            id="MASTRA_STORAGE_DYNAMODB_INVALID_URL",
        )
    table = urllib.parse.unquote(parsed.netloc + parsed.path.rstrip("/"))
    params = urllib.parse.parse_qs(parsed.query, keep_blank_values=False)
    unknown = set(params) - {"region", "endpoint"}
    if unknown:
        # redact_text: an unencoded '&' in an endpoint's password makes its tail a "name".
        names = redact_text(str(sorted(unknown)), url)
        raise ConfigurationError(
            f"DynamoDBStore: unknown URL parameters {names} in {display!r}",
            id="MASTRA_STORAGE_DYNAMODB_INVALID_URL",
        )
    return UrlOptions(
        table_name=validate_table_name(table),
        region=params["region"][-1] if "region" in params else None,
        endpoint=validate_endpoint(params["endpoint"][-1], source_url=url)
        if "endpoint" in params
        else None,
    )


__all__ = [
    "EntityTtl",
    "UrlOptions",
    "parse_ttl",
    "parse_url",
    "ttl_attribute",
    "ttl_fields",
    "validate_endpoint",
    "validate_table_name",
]
