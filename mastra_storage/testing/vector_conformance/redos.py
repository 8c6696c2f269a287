"""A ReDoS corpus for ``$regex`` filters: classic evil patterns and the subjects that
make backtracking engines blow up on them.

Every vector backend must, for each pattern, either refuse it with ``ValidationError``
before any query is sent, or answer within :data:`REDOS_BOUND_S` on every subject (a
generous bound: the classic patterns take minutes, or forever, where they are not
linear). :data:`REDOS_ACCEPTED` are patterns inside the accepted subset built to be as
slow as the subset allows on a backtracking engine; they must be accepted *and* fast.
"""

from __future__ import annotations

from typing import Final

#: Seconds one pattern may take over all subjects on one backend (loaded machine).
REDOS_BOUND_S: Final = 2.0

#: Hostile subjects, ~30 to ~5000 characters: long runs of what the patterns repeat,
#: ended by a character that makes the match fail at the last moment.
REDOS_SUBJECTS: Final[tuple[str, ...]] = (
    "a" * 28 + "!",
    "a" * 5000 + "!",
    "a" * 4998 + "!x",
    "ab" * 2500 + "!",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa" + " " * 30 + "!",
    "word " * 1000 + "!",
    "1" * 2000 + "x",
    "x" * 30 + "=" * 30 + "!",
)

#: (case id, pattern): each is refused, or fast everywhere.
REDOS_CORPUS: Final[tuple[tuple[str, str], ...]] = (
    ("alt-overlap-star", "(a|a)*b"),
    ("alt-overlap-plus", "(a|aa)+b"),
    ("alt-prefix", "(a|ab|abc)*d"),
    ("nested-plus", "(a+)+b"),
    ("nested-star", "(a*)*b"),
    ("nested-star-anchored", "^(a*)*$"),
    ("dot-a-repeat-11", "(.*a){11}"),
    ("dot-a-repeat-20", "(.*a){20}"),
    ("words-spaces", r"(\w+\s?)*$"),
    ("nested-alt-classes", r"([a-z]+|[a-z0-9]+)*!x"),
    ("email-like", r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}$"),
    ("adjacent-stars-2", r"\w*\w*x"),
    ("adjacent-stars-5", r"a*a*a*a*a*b"),
    ("dot-stars", r".*.*.*=.*x"),
    ("optional-chain", "a?" * 30 + "a" * 30),
    ("alt-chain", "(a|a)" * 20 + "b"),
    ("backreference", r"(a+)\1b"),
    ("backreference-2", r"^(\w+)\s\1$"),
    ("lookahead", r"(?=a*)a*b"),
    ("lookbehind", r"(?<=a)b"),
    ("atomic-group", r"(?>a+)b"),
    ("lazy", r"a*?b"),
    ("possessive", r"a*+b"),
    ("huge-count", "a{1000}"),
    ("huge-range", "(a{1,100}){1,100}b"),
    ("huge-count-max", "a{99999}b"),
    ("huge-count-nested", "((a{50}){50}){50}"),
    ("inline-flag", "(?i)a*b"),
    ("recursion", r"(a(?R)?b)"),
    ("unicode-escape", r"\x61*b"),
    ("star-then-alternation", "a*(a|a)(a|a)b"),
    ("star-then-optionals", r"\w*a?a?!x"),
    ("words-then-choice", r"\w+(a|b|\s|1)x"),
    ("alternation-around-star", "(b|a*)(a|a)"),
)

#: (case id, pattern): inside the subset, as slow as it allows; accepted and fast.
REDOS_ACCEPTED: Final[tuple[tuple[str, str], ...]] = (
    ("one-star", "a*b"),
    ("one-star-dot", ".*x"),
    ("word-plus", r"\w+x"),
    ("range-100", "a{0,100}b"),
    ("optional-choices", "a?a?a{30}b"),
    ("alternation-then-star", "(a|a)(a|a)a*b"),
    ("choices-then-star", "(a|a)(a|a)(a|a)a*b"),
    ("url-prefix", r"^https?://[a-z]+\.example\.com/"),
    ("suffix", r"\.pdf$"),
)

__all__ = ["REDOS_ACCEPTED", "REDOS_BOUND_S", "REDOS_CORPUS", "REDOS_SUBJECTS"]
