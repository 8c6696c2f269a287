"""JSON codec shared by every adapter.

Mastra serialises with ``JSON.stringify``: compact, UTF-8, key order preserved. msgspec
produces the same bytes for the same values and is the fastest codec available, so all
JSON that reaches a database goes through :func:`dumps` and comes back through
:func:`loads` or :func:`safely_parse_json`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
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


# ---- decoding nested deeper than the interpreter's recursion limit ---------------------
#
# msgspec's decoder recurses (in C, bounded by the recursion limit), so JSON nested more
# than ~1000 levels, which this SDK never writes but Mastra, an older version or a raw
# insert may have, raises ``RecursionError``. Such text is decoded again by the small
# iterative parser below: slower, but only ever used for those rows, so reading them never
# raises ``RecursionError`` and never poisons a listing that holds them.

_TOKEN = re.compile(
    rb"""\s*(?:(?P<open>[\[{])|(?P<close>[\]}])|(?P<sep>[,:])"""
    rb"""|(?P<str>"[^"\\]*(?:\\.[^"\\]*)*")|(?P<scalar>[^\s\[\]{},:"]+)|(?P<bad>\S))""",
    re.S,
)


class _Malformed(ValueError):
    pass


def _decode_iteratively(data: bytes) -> Any:
    """Decode JSON text without recursion: a stack of open containers, values attached to
    the innermost one; strings and scalars are decoded one token at a time by msgspec."""
    stack: list[Any] = []
    keys: list[Any] = []  # per open container: the pending key of a dict (None: none yet)
    root: list[Any] = []
    expect_value = True

    def attach(value: Any) -> None:
        if not stack:
            if root:
                raise _Malformed("more than one top-level value")
            root.append(value)
        elif type(stack[-1]) is dict:
            if keys[-1] is None:
                raise _Malformed("object value without a key")
            stack[-1][keys[-1]] = value
            keys[-1] = None
        else:
            stack[-1].append(value)

    end = len(data.rstrip())
    position = 0
    while position < end:
        match = _TOKEN.match(data, position)
        if match is None or match.lastgroup == "bad":
            raise _Malformed(f"unexpected character at {position}")
        position = match.end()
        kind = match.lastgroup or "bad"
        token = match.group(kind)
        if kind == "open":
            container: Any = {} if token == b"{" else []
            attach(container)
            stack.append(container)
            keys.append(None)
            expect_value = token == b"["
        elif kind == "close":
            if not stack or (token == b"}") != (type(stack[-1]) is dict):
                raise _Malformed(f"unbalanced {token.decode()!r}")
            stack.pop()
            keys.pop()
            expect_value = False
        elif kind == "sep":
            expect_value = token == b":" or (bool(stack) and type(stack[-1]) is list)
        elif kind == "str" and stack and type(stack[-1]) is dict and not expect_value:
            keys[-1] = _decoder.decode(token)
        else:
            attach(_decoder.decode(token))
            expect_value = False
    if stack or not root:
        raise _Malformed("unterminated JSON")
    return root[0]


def _decode(text: str | bytes) -> Any:
    """msgspec's decode, falling back to the iterative parser for very deep text."""
    try:
        return _decoder.decode(text)
    except RecursionError:
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        try:
            return _decode_iteratively(data)
        except (_Malformed, msgspec.DecodeError) as exc:
            raise msgspec.DecodeError(str(exc)) from None


def copy_json(value: Any, scalar: Callable[[Any], Any] | None = None) -> Any:
    """A deep copy of a JSON value (dicts and lists copied, tuples become lists, scalars
    shared, or mapped through ``scalar`` when it is given), without recursion:
    ``copy.deepcopy`` raises ``RecursionError`` on a stored value nested a few hundred
    levels deep."""
    kind = type(value)
    if kind is not dict and kind is not list and kind is not tuple:
        return value if scalar is None else scalar(value)
    root: Any = {} if kind is dict else []
    work = [(value, root)]
    while work:
        source, target = work.pop()
        items = source.items() if type(source) is dict else enumerate(source)
        for key, item in items:
            item_kind = type(item)
            if item_kind is dict or item_kind is list or item_kind is tuple:
                copied: Any = {} if item_kind is dict else []
                work.append((item, copied))
            else:
                copied = item if scalar is None else scalar(item)
            if type(target) is dict:
                target[key] = copied
            else:
                target.append(copied)
    return root


def loads(text: str | bytes) -> Any:
    """Decode JSON text (any nesting depth); raises :class:`ValidationError` on malformed
    input."""
    try:
        return _decode(text)
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
            return _decode(value)
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
            return _decode(value)
        except msgspec.DecodeError:
            return value
    return value


__all__ = ["copy_json", "dumps", "loads", "parse_json_column", "safely_parse_json"]
