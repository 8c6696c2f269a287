"""JSON codec shared by every adapter.

Mastra serialises with ``JSON.stringify``: compact, UTF-8, key order preserved. msgspec
produces the same bytes for the same values and is the fastest codec available, so all
JSON that reaches a database goes through :func:`dumps` and comes back through
:func:`loads` or :func:`safely_parse_json`.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

import msgspec

from .errors import ValidationError
from .timeutil import to_iso


def _enc_hook(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise NotImplementedError(f"cannot encode {type(value).__name__} as JSON")


_encoder = msgspec.json.Encoder(enc_hook=_enc_hook)
_decoder = msgspec.json.Decoder()


def _jsonable(value: Any) -> Any:
    """Replace values JSON cannot carry the way ``JSON.stringify`` does: non-finite floats
    become ``null``. (Datetimes nested in JSON values are encoded by msgspec as RFC 3339,
    which JavaScript's ``Date`` parses; record timestamps use :func:`to_iso` instead.)
    """
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


#: An escaped NUL that is not itself an escaped backslash followed by ``u0000``.
_ESCAPED_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def dumps(value: Any) -> str:
    """Encode ``value`` as compact JSON text (what ``JSON.stringify`` would write).

    Raises :class:`ValidationError` for what cannot be stored the same way everywhere:
    non-JSON values, lone surrogates, nesting deeper than the interpreter's recursion
    limit, and NUL characters in strings (PostgreSQL's ``jsonb`` rejects ``\\u0000``).
    """
    try:
        text = _encoder.encode(value).decode()
    except RecursionError:
        raise ValidationError(
            "value is nested too deeply to store as JSON", id="MASTRA_STORAGE_INVALID_JSON"
        ) from None
    except (TypeError, NotImplementedError, msgspec.EncodeError, ValueError):
        try:
            text = _encoder.encode(_jsonable(value)).decode()
        except RecursionError:
            raise ValidationError(
                "value is nested too deeply to store as JSON", id="MASTRA_STORAGE_INVALID_JSON"
            ) from None
        except (TypeError, NotImplementedError, msgspec.EncodeError, ValueError) as exc:
            raise ValidationError(
                f"value is not JSON-serialisable: {exc}", id="MASTRA_STORAGE_INVALID_JSON"
            ) from exc
    if "\\u0000" in text and _ESCAPED_NUL.search(text):
        raise ValidationError(
            "value contains a NUL character, which not every backend can store",
            id="MASTRA_STORAGE_INVALID_JSON",
        )
    return text


def loads(text: str | bytes) -> Any:
    """Decode JSON text; raises :class:`ValidationError` on malformed input."""
    try:
        return _decoder.decode(text)
    except msgspec.DecodeError as exc:
        raise ValidationError(f"malformed JSON: {exc}", id="MASTRA_STORAGE_INVALID_JSON") from exc


def safely_parse_json(value: Any) -> Any:
    """Mastra's ``safelyParseJSON``: objects pass through, ``None`` becomes ``{}``,
    strings are parsed and kept raw when they are not JSON, other scalars become ``{}``.
    """
    if value is None:
        return {}
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode()
    if isinstance(value, str):
        try:
            return _decoder.decode(value)
        except msgspec.DecodeError:
            return value
    return {}


def parse_json_column(value: Any) -> Any:
    """Decode a nullable JSON column: ``None`` stays ``None``; bad JSON stays a string."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode()
    if isinstance(value, str):
        try:
            return _decoder.decode(value)
        except msgspec.DecodeError:
            return value
    return value


__all__ = ["dumps", "loads", "parse_json_column", "safely_parse_json"]
