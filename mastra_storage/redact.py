"""Keep secrets out of reprs, logs, errors and CLI output.

Every adapter formats the URLs it shows with :func:`redact_url` and scrubs driver messages
with :func:`redact_text` before they become part of an error.
"""

from __future__ import annotations

import re
import urllib.parse

REDACTED = "***"
#: Query parameters whose value is a secret (matched case-insensitively as a substring).
_SECRET_PARAM = re.compile(r"pass|pwd|secret|token|auth|key|signature|sig$|credential", re.I)
#: ``scheme://user:password@`` anywhere in a text.
_USERINFO_IN_TEXT = re.compile(r"(?P<pre>[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*):(?P<pw>[^@/\s]+)@")
#: ``authToken=...`` / ``password=...`` anywhere in a text.
_SECRET_PARAM_IN_TEXT = re.compile(
    r"(?P<key>\b[A-Za-z_]*(?:password|passwd|pwd|secret|token|auth|api[_-]?key)[A-Za-z_]*)"
    r"(?P<sep>=)(?P<value>[^&\s'\"]+)",
    re.I,
)


def redact_url(url: str) -> str:
    """``url`` with its password and secret query parameters replaced by ``***``.

    ``postgresql://app:s3cret@db:5432/x`` -> ``postgresql://app:***@db:5432/x``;
    ``libsql://db.turso.io?authToken=abc`` -> ``libsql://db.turso.io?authToken=***``.
    Works on hostless URLs (``file:./mastra.db``) and multi-host ones (``mongodb://u:p@h1,h2``)
    and never raises: whatever cannot be parsed is scrubbed with the text patterns.
    """
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    userinfo, at, hostinfo = netloc.rpartition("@")
    if at and ":" in userinfo:
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{REDACTED}@{hostinfo}"
    query = parts.query
    if query:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_PARAM.search(key) for key, _ in pairs):
            query = "&".join(
                f"{key}={REDACTED if _SECRET_PARAM.search(key) else value}" for key, value in pairs
            )
    if netloc == parts.netloc and query == parts.query:
        return url  # nothing secret: keep the user's spelling exactly
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=query))


def _url_secrets(url: str) -> list[str]:
    """The literal secret strings inside ``url`` (password, secret query values)."""
    found: list[str] = []
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return found
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        password = userinfo.split(":", 1)[1]
        found += [password, urllib.parse.unquote(password)]
    for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        if _SECRET_PARAM.search(key):
            found += [value, urllib.parse.quote(value, safe="")]
    return [s for s in found if len(s) >= 3]


def redact_text(text: str, url: str | None = None) -> str:
    """Scrub secrets from a message: ``url`` (and its password/token wherever they appear
    alone) plus any ``scheme://user:password@`` or ``token=...`` pattern."""
    if url:
        redacted = redact_url(url)
        if redacted != url:
            text = text.replace(url, redacted)
        for secret in sorted(set(_url_secrets(url)), key=len, reverse=True):
            text = text.replace(secret, REDACTED)
    text = _USERINFO_IN_TEXT.sub(lambda m: f"{m['pre']}:{REDACTED}@", text)
    text = _SECRET_PARAM_IN_TEXT.sub(
        lambda m: m[0] if m["value"] == REDACTED else f"{m['key']}={REDACTED}", text
    )
    return text


__all__ = ["REDACTED", "redact_text", "redact_url"]
