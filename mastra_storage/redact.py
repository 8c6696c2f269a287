"""Keep secrets out of reprs, logs, errors and CLI output.

Every adapter formats the URLs it shows with :func:`redact_url` and scrubs driver messages
with :func:`redact_text` before they become part of an error.

Redaction never depends on the URL parsing correctly: users write passwords with
unencoded ``#``, ``/``, ``?``, ``@`` or spaces, which :func:`urllib.parse.urlsplit` reads as
a fragment, a path or a query, leaving the password outside what it calls the "netloc".
So the rules work on the raw text:

* everything between ``scheme://`` and the **last** ``@`` of the URL is credentials
  (``user:password``); it becomes ``user:***`` (or ``***`` when no plain user name can be
  told apart). A URL whose path or query contains an ``@`` loses its host in the display,
  which is the safe side of the trade;
* the value of any query-like ``name=value`` whose name sounds secret (``authToken``,
  ``token``, ``password``, ``secret``, ``key``, ``signature``, ``credential`` ...) becomes
  ``***``, wherever it stands.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import urllib.parse
import weakref
from collections.abc import Callable, Iterable
from typing import Any

REDACTED = "***"
#: Parameter names whose value is a secret (matched case-insensitively as a substring).
_SECRET_NAME = (
    r"[A-Za-z0-9_.\-]*(?:pass|pwd|secret|token|auth|key|signature|sig|credential)[A-Za-z0-9_.\-]*"
)
#: ``?name=value`` / ``&name=value`` / ``;name=value`` in a URL: the value runs to the next
#: ``&name=`` (an unencoded ``#``, ``?`` or lone ``&`` may be part of the secret).
_SECRET_PARAM_IN_URL = re.compile(
    rf"(?P<pre>[?&;](?P<key>{_SECRET_NAME})=)(?P<value>(?:[^&]|&(?![A-Za-z0-9_.\-]*=))*)", re.I
)
#: Parameters whose names sound secret but whose values are not (MongoDB's).
_PUBLIC_PARAMS = frozenset({"authsource", "authmechanism"})
#: ``scheme://`` at the start of a URL.
_SCHEME = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.\-]*://")
#: ``scheme://userinfo@`` anywhere in a text; userinfo runs to the last ``@`` before a space
#: or quote (greedy on purpose: an unencoded ``@`` or ``/`` may be part of the password).
_USERINFO_IN_TEXT = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^\s'\"<>`]*)@"
)
#: ``authToken=...`` / ``password=...`` anywhere in a text.
_SECRET_PARAM_IN_TEXT = re.compile(
    r"(?P<key>\b[A-Za-z_]*(?:password|passwd|pwd|secret|token|auth|api[_-]?key)[A-Za-z_]*)"
    r"(?P<sep>=)(?P<value>[^&\s'\"]+)",
    re.I,
)
#: A user name shown as is: short, and made of characters no URL delimiter can hide in.
_PLAIN_USER = re.compile(r"[A-Za-z0-9._~\-]{1,64}\Z")
#: A user-only ``userinfo`` (no ``:``) shown as is; longer ones may be tokens
#: (``upstash://TOKEN@host``) and are hidden.
_PLAIN_USER_ONLY = re.compile(r"[A-Za-z0-9._~\-]{1,32}\Z")
#: Schemes whose whole userinfo is a token (``upstash://TOKEN@host``): never shown.
_TOKEN_USERINFO_SCHEMES = ("upstash:",)
#: Characters that split a secret into the pieces a parser may quote on their own.
_DELIMITERS = re.compile(r"(?:[#/?@:\[\]%&;=,]|[^\x21-\x7e])+")
#: Shorter secret fragments are not replaced in free text (too many false hits).
_MIN_SECRET = 3
_MIN_PIECE = 4


def _split_userinfo(url: str) -> tuple[str, str, str] | None:
    """``(prefix, userinfo, rest)`` of ``url``, split on ``scheme://`` and the last ``@``."""
    match = _SCHEME.match(url)
    if match is None:
        return None
    after = url[match.end() :]
    userinfo, at, rest = after.rpartition("@")
    if not at:
        return None
    return url[: match.end()], userinfo, rest


def _redact_userinfo(userinfo: str, scheme: str = "") -> str:
    if scheme.strip().lower().startswith(_TOKEN_USERINFO_SCHEMES):
        return REDACTED
    user, colon, _ = userinfo.partition(":")
    if colon:
        return f"{user}:{REDACTED}" if user == "" or _PLAIN_USER.match(user) else REDACTED
    return userinfo if _PLAIN_USER_ONLY.match(userinfo) else REDACTED


def redact_url(url: str) -> str:
    """``url`` with its password and secret query parameters replaced by ``***``.

    ``postgresql://app:s3cret@db:5432/x`` -> ``postgresql://app:***@db:5432/x``;
    ``libsql://db.turso.io?authToken=abc`` -> ``libsql://db.turso.io?authToken=***``;
    ``postgresql://app:pa#ss/w?rd@db/x`` -> ``postgresql://app:***@db/x``.
    Works on hostless URLs (``file:./mastra.db``), multi-host ones (``mongodb://u:p@h1,h2``)
    and URLs no parser accepts; never raises.
    """
    text = _SECRET_PARAM_IN_URL.sub(
        lambda m: (
            m[0]
            if m["value"] in ("", REDACTED) or m["key"].lower() in _PUBLIC_PARAMS
            else f"{m['pre']}{REDACTED}"
        ),
        url,
    )
    split = _split_userinfo(text)
    if split is not None:
        prefix, userinfo, rest = split
        text = f"{prefix}{_redact_userinfo(userinfo, prefix)}@{rest}"
    return text


def split_url(url: str) -> urllib.parse.SplitResult | None:
    """``urllib.parse.urlsplit(url)`` with its port checked, or ``None`` when the URL does
    not parse (a bad port, an unencoded ``/``, ``#``, ``?`` or ``@`` in a password).

    Why ``None`` rather than the parser's ``ValueError``: that message quotes the URL, so
    callers raise their own typed error outside any ``except`` block (nothing chained)
    with :func:`redact_url`'s rendering of it.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        return None
    return parts


def url_secrets(url: str) -> list[str]:
    """The literal secret strings inside ``url`` (password, secret query values), in the
    spellings a driver may quote them (as written, percent-decoded, percent-encoded), plus
    the pieces between URL delimiters a parser may quote on their own. Longest first."""
    found: list[str] = []
    split = _split_userinfo(url)
    if split is not None:
        userinfo = split[1]
        user, colon, password = userinfo.partition(":")
        found.append(password if colon else userinfo)
        if colon and (
            split[0].strip().lower().startswith(_TOKEN_USERINFO_SCHEMES)
            or not _PLAIN_USER.match(user)
        ):
            found.append(userinfo)  # no telling the user name from the password
    found += [
        m["value"]
        for m in _SECRET_PARAM_IN_URL.finditer(url)
        if m["key"].lower() not in _PUBLIC_PARAMS
    ]
    return _spellings(found)


def _spellings(secrets: Iterable[str]) -> list[str]:
    out: set[str] = set()
    for secret in secrets:
        for form in (
            secret,
            urllib.parse.unquote(secret),
            urllib.parse.unquote_plus(secret),
            urllib.parse.quote(secret, safe=""),
            urllib.parse.quote(urllib.parse.unquote(secret), safe=""),
        ):
            if len(form) >= _MIN_SECRET:
                out.add(form)
            out.update(p for p in _DELIMITERS.split(form) if len(p) >= _MIN_PIECE)
    return sorted(out, key=len, reverse=True)


def scrub_secrets(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every literal occurrence of ``secrets`` (and their percent-encoded,
    decoded and delimiter-split spellings) replaced by ``***``."""
    for secret in _spellings(s for s in secrets if isinstance(s, str) and s):
        text = text.replace(secret, REDACTED)
    return text


def redact_text(text: str, url: str | None = None) -> str:
    """Scrub secrets from a message: ``url`` (and its password/token wherever they appear
    alone, whole or in pieces) plus any ``scheme://user:password@`` or ``token=...``
    pattern."""
    if url:
        redacted = redact_url(url)
        if redacted != url:
            text = text.replace(url, redacted)
        for secret in url_secrets(url):
            text = text.replace(secret, REDACTED)
    text = _USERINFO_IN_TEXT.sub(
        lambda m: f"{m['scheme']}{_redact_userinfo(m['userinfo'], m['scheme'])}@", text
    )
    text = _SECRET_PARAM_IN_TEXT.sub(
        lambda m: m[0] if m["value"] == REDACTED else f"{m['key']}={REDACTED}", text
    )
    return text


# --------------------------------------------------------------------------- logs


class _LogScrubber:
    """Replaces registered secrets in every log record as it is created.

    Why a record factory and not a :class:`logging.Filter`: a filter on a logger sees only
    records logged to that very logger, not to its children (``botocore.auth``,
    ``botocore.endpoint`` log the signed request, session token included, at DEBUG), and
    drivers create loggers whenever they like. The factory runs for every record of every
    logger, but only for records that pass their logger's level, so it costs nothing
    while DEBUG is off.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._spellings: tuple[str, ...] = ()
        self._previous: Callable[..., logging.LogRecord] | None = None
        #: Secrets of stores that are gone, dropped at the next chance (see :meth:`remove`).
        self._garbage: list[list[str]] = []

    def add(self, secrets: Iterable[str]) -> list[str]:
        added = [s for s in secrets if isinstance(s, str) and len(s) >= _MIN_SECRET]
        with self._lock:
            self._collect()
            for secret in added:
                self._counts[secret] = self._counts.get(secret, 0) + 1
            self._refresh()
            if self._previous is None and self._spellings:
                self._previous = logging.getLogRecordFactory()
                logging.setLogRecordFactory(self._make_record)
        return added

    def remove(self, secrets: list[str]) -> None:
        """Forget a dead store's secrets. Called by ``weakref.finalize``, which may run
        inside garbage collection on a thread that already holds the lock (in
        :meth:`add`): so only queue them, without locking."""
        self._garbage.append(secrets)

    def _collect(self) -> None:
        """Apply queued removals (the lock is held)."""
        changed = False
        while self._garbage:
            for secret in self._garbage.pop():
                count = self._counts.get(secret, 0) - 1
                if count > 0:
                    self._counts[secret] = count
                else:
                    self._counts.pop(secret, None)
                changed = True
        if changed:
            self._refresh()

    def _refresh(self) -> None:
        spellings = set(_spellings(self._counts))
        for secret in self._counts:  # base64 too: HTTP basic auth, tokens inside JWTs...
            for data in (secret.encode("utf-8", "surrogatepass"),):
                spellings.add(base64.b64encode(data).decode("ascii").rstrip("="))
                spellings.add(base64.urlsafe_b64encode(data).decode("ascii").rstrip("="))
        self._spellings = tuple(sorted(spellings, key=len, reverse=True))

    def _make_record(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        previous = self._previous or logging.LogRecord
        record = previous(*args, **kwargs)
        if self._garbage and self._lock.acquire(blocking=False):  # never wait in a log call
            try:
                self._collect()
            finally:
                self._lock.release()
        spellings = self._spellings
        if spellings:
            self.scrub(record, spellings)
        return record

    @staticmethod
    def scrub(record: logging.LogRecord, spellings: tuple[str, ...]) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a broken format: leave it to logging's own error report
            return
        cleaned = message
        for secret in spellings:
            if secret in cleaned:
                cleaned = cleaned.replace(secret, REDACTED)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            for secret in spellings:
                text = text.replace(secret, REDACTED)
            record.exc_text = text  # formatters use exc_text when it is set
        if record.stack_info:
            for secret in spellings:
                record.stack_info = record.stack_info.replace(secret, REDACTED)


_LOG_SCRUBBER = _LogScrubber()


def protect_logs(owner: object, secrets: Iterable[str | None]) -> None:
    """Keep ``secrets`` out of every log record, of every logger (drivers included), for as
    long as ``owner`` (a store) lives.

    Records are scrubbed when they are created: the secret, its percent-encoded, decoded
    and base64 spellings become ``***``. Adapters call this with the credentials they hand
    to their driver (passwords, tokens, AWS keys), so a driver's DEBUG logging (botocore
    logs the signed request with its session token) never prints them.
    """
    added = _LOG_SCRUBBER.add(s for s in secrets if s)
    if added:
        weakref.finalize(owner, _LOG_SCRUBBER.remove, added)


__all__ = [
    "REDACTED",
    "protect_logs",
    "redact_text",
    "redact_url",
    "scrub_secrets",
    "split_url",
    "url_secrets",
]
