"""``$regex`` patterns: the accepted subset, checked once, and a linear-time matcher.

Three kinds of engine evaluate a metadata ``$regex``: RE2 here (the in-memory store), SQL
engines (PostgreSQL's ARE ``~``, SQLite's ``REGEXP``) and MongoDB's PCRE, which
backtracks, as does SecantusDB's Python ``re``. A backtracking engine takes exponential
time on ``(a|a)*b`` and polynomial time of high degree on ``\\w*\\w*\\w*x``; no guard can
list every evil shape, so instead a pattern must belong to a *subset whose worst case is
small on any engine* (:func:`check_regex`). The subset is the same for every backend, so
a filter accepted by one is accepted by all and means the same there.

The subset, precisely:

* atoms: a literal character; ``.``; an escape ``\\d \\D \\w \\W \\s \\S \\t \\n \\r``
  or a backslash before one of ``\\ . ^ $ | ? * + ( ) [ ] { } / -``; a bracket class
  ``[...]`` / ``[^...]`` of literals, such escapes and ranges ``a-z``; the anchors
  ``^`` and ``$``; a group ``( ... )`` holding alternatives separated by ``|``;
* quantifiers ``* + ? {n} {n,} {n,m}`` (counts at most :data:`MAX_REGEX_REPEAT`), only
  directly after a single-character atom: never after a group, an anchor or another
  quantifier (so no quantified groups, lazy ``*?`` or possessive ``*+``);
* at most one *repeating* quantifier (``*``, ``+``, ``{n,}``, ``{n,m}`` with m > n) in the
  whole pattern, and no choice point (``?``, ``|``) after it; the product of the choice
  points before it (2 per ``?``, the number of alternatives of each ``|``) is at most
  :data:`MAX_REGEX_CHOICES`;
* refused: ``(?`` (flags, non-capturing groups, lookarounds), backreferences, ``\\b`` and
  other escapes, POSIX classes ``[[:alpha:]]``, a NUL, an unescaped ``{``, ``}`` or ``]``
  outside their syntax.

Why this bounds a backtracking engine: an attempt at one start position tries at most
``MAX_REGEX_CHOICES`` ways through the choices, each with at most ``len(subject)`` counts
for the one repeating quantifier, after which the rest of the pattern is deterministic;
so a whole search is at worst quadratic in the subject with a small constant (the ReDoS
corpus tests measure it on every backend), never exponential or of higher degree. RE2,
PostgreSQL and SQLite's ``REGEXP`` are not backtracking engines and stay near linear.
"""

from __future__ import annotations

import functools
from typing import Any, Final

#: Largest count in ``{n}``, ``{n,}`` and ``{n,m}``.
MAX_REGEX_REPEAT: Final = 100
#: Largest product of finite choice points (``?`` counts 2, ``a|b|c`` counts 3).
MAX_REGEX_CHOICES: Final = 8
#: At most this many repeating quantifiers (``*``, ``+``, ``{n,}``, ``{n,m}`` with m > n).
MAX_REGEX_REPEATING: Final = 1

_SHORTHANDS: Final = frozenset("dDwWsS")
_CONTROL_ESCAPES: Final = frozenset("tnr")
_PUNCTUATION_ESCAPES: Final = frozenset("\\.^$|?*+()[]{}/-")
_QUANTIFIERS: Final = frozenset("*+?{")


class RegexRefused(ValueError):
    """The pattern is outside the accepted subset (the message says why)."""


class _Checker:
    """A recursive-descent reader of the subset; counts repeating quantifiers and choices."""

    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.pos = 0
        self.repeating = 0
        self.choices = 1

    # -- helpers ---------------------------------------------------------------------------

    def peek(self) -> str | None:
        return self.text[self.pos] if self.pos < len(self.text) else None

    def fail(self, reason: str) -> RegexRefused:
        return RegexRefused(f"{reason} (at position {self.pos})")

    def add_choices(self, factor: int) -> None:
        if self.repeating:
            raise self.fail(
                "'?' or '|' after a repeating quantifier (each repetition count would be "
                "retried with every choice)"
            )
        self.choices *= factor
        if self.choices > MAX_REGEX_CHOICES:
            raise self.fail(
                f"more than {MAX_REGEX_CHOICES} combined alternatives and optional parts"
            )

    # -- grammar ---------------------------------------------------------------------------

    def check(self) -> None:
        self.alternatives(top=True)
        if self.pos != len(self.text):
            raise self.fail("unbalanced ')'")

    def alternatives(self, *, top: bool) -> None:
        branches = 1
        self.sequence()
        while self.peek() == "|":
            if self.repeating:
                self.add_choices(1)  # refused: an alternative after a repeating quantifier
            self.pos += 1
            branches += 1
            self.sequence()
        if branches > 1:
            self.add_choices(branches)
        if not top and self.peek() != ")":
            raise self.fail("missing ')'")

    def sequence(self) -> None:
        while (char := self.peek()) is not None and char not in "|)":
            quantifiable = self.atom()
            if self.peek() in _QUANTIFIERS:
                if not quantifiable:
                    raise self.fail(
                        "a quantifier may follow only a single character, '.', an escape or "
                        "a [class] (no quantified groups or anchors)"
                    )
                self.quantifier()
                if self.peek() in _QUANTIFIERS:
                    raise self.fail("a quantifier cannot follow a quantifier (no lazy/possessive)")

    def atom(self) -> bool:
        """Read one atom; whether a quantifier may follow it."""
        char = self.text[self.pos]
        if char == "(":
            self.pos += 1
            if self.peek() == "?":
                raise self.fail("'(?' (inline flags, non-capturing groups, lookarounds)")
            self.alternatives(top=False)
            self.pos += 1  # the ')'
            return False
        if char in "^$":
            self.pos += 1
            return False
        if char == "[":
            self.bracket_class()
            return True
        if char == "\\":
            self.escape(in_class=False)
            return True
        if char in "{}]":
            raise self.fail(f"unescaped {char!r}")
        if char in "*+?":
            raise self.fail(f"nothing to repeat before {char!r}")
        if char == "\x00":
            raise self.fail("NUL character")
        self.pos += 1  # a literal or '.'
        return True

    def escape(self, *, in_class: bool) -> str | None:
        """Read ``\\x``; the literal character it stands for (``None`` for a shorthand)."""
        self.pos += 1
        char = self.peek()
        if char is None:
            raise self.fail("trailing backslash")
        self.pos += 1
        if char in _SHORTHANDS:
            return None
        if char in _CONTROL_ESCAPES:
            return {"t": "\t", "n": "\n", "r": "\r"}[char]
        if char in _PUNCTUATION_ESCAPES:
            return char
        self.pos -= 1
        raise self.fail(
            f"unsupported escape \\{char} (backreferences, \\b, \\A, unicode and hex escapes "
            "are not portable)"
        )

    def bracket_class(self) -> None:
        self.pos += 1
        if self.peek() == "^":
            self.pos += 1
        members = 0
        previous: str | None = None  # the last literal member, a range's possible start
        while (char := self.peek()) != "]":
            if char is None:
                raise self.fail("missing ']'")
            if char == "[":
                raise self.fail("'[' inside a class (POSIX classes are not portable)")
            if char == "\x00":
                raise self.fail("NUL character")
            if char == "-" and previous is not None and self.text[self.pos + 1 : self.pos + 2]:
                following = self.text[self.pos + 1]
                if following != "]":
                    self.pos += 1
                    end = self.escape(in_class=True) if following == "\\" else self.take()
                    if end is None or end < previous:
                        raise self.fail("invalid range in class")
                    previous = None
                    members += 1
                    continue
            literal = self.escape(in_class=True) if char == "\\" else self.take()
            previous = literal
            members += 1
        if members == 0:
            raise self.fail("empty class")
        self.pos += 1

    def take(self) -> str:
        char = self.text[self.pos]
        self.pos += 1
        return char

    def quantifier(self) -> None:
        char = self.take()
        if char == "?":
            self.add_choices(2)
            return
        if char in "*+":
            self.count_repeating()
            return
        low, high = self.braces()
        if high is None or high > low:
            self.count_repeating()

    def braces(self) -> tuple[int, int | None]:
        close = self.text.find("}", self.pos)
        body = self.text[self.pos : close] if close >= 0 else ""
        low_text, comma, high_text = body.partition(",")
        if close < 0 or not low_text.isdigit() or (high_text and not high_text.isdigit()):
            raise self.fail("'{' must be a {n}, {n,} or {n,m} quantifier (escape a literal '{')")
        if not all(c.isascii() for c in body):
            raise self.fail("non-ASCII digits in a {n,m} quantifier")
        low = int(low_text)
        high = int(high_text) if high_text else (None if comma else low)
        if low > MAX_REGEX_REPEAT or (high is not None and high > MAX_REGEX_REPEAT):
            raise self.fail(f"repetition counts above {MAX_REGEX_REPEAT}")
        if high is not None and high < low:
            raise self.fail("{n,m} with m < n")
        self.pos = close + 1
        return low, high

    def count_repeating(self) -> None:
        self.repeating += 1
        if self.repeating > MAX_REGEX_REPEATING:
            raise self.fail(
                f"more than {MAX_REGEX_REPEATING} repeating quantifier (*, +, {{n,}}, {{n,m}}): "
                "several of them can make a backtracking engine take polynomial time"
            )


def check_regex(pattern: str) -> None:
    """Raise :class:`RegexRefused` unless ``pattern`` is in the accepted subset (module
    docstring). Pure and fast: one pass over the pattern."""
    _Checker(pattern).check()


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str, ignore_case: bool) -> Any:
    # Imported here: the core loads no optional native module at import time.
    import re2  # type: ignore[import-untyped]

    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.log_errors = False
    return re2.compile(pattern, options)


def regex_search(pattern: str, subject: str, *, ignore_case: bool = False) -> bool:
    """Whether ``pattern`` (already checked) occurs in ``subject``, with RE2: time linear in
    the subject whatever the pattern."""
    return _compiled(pattern, ignore_case).search(subject) is not None


__all__ = [
    "MAX_REGEX_CHOICES",
    "MAX_REGEX_REPEAT",
    "MAX_REGEX_REPEATING",
    "RegexRefused",
    "check_regex",
    "regex_search",
]
