"""Which outcomes a standard version considers: its dates and ``applies_to``.

Course-code patterns: ``*`` matches any run of characters (also none), ``?`` exactly one. Every
other character is literal, including ``.``, ``[``, ``\\`` and CJK; matching is case-sensitive
and covers the whole code. Patterns without a wildcard go into a set, so the usual case is one hash
look-up; the others are compiled once into a single regular expression.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import Final

from schemas.standards import Standard

__all__ = ["Applicability", "CourseMatcher", "compile_course_patterns"]

_WILDCARDS: Final = frozenset("*?")
course_codes_cached_max: Final = 65_536  # per standard; real imports have a few hundred codes


class CourseMatcher:
    """Whether a course code matches any of a list of patterns."""

    __slots__ = ("literals", "wildcard")

    def __init__(self, literals: frozenset[str], wildcard: re.Pattern[str] | None) -> None:
        self.literals = literals
        self.wildcard = wildcard

    def matches(self, course_code: str) -> bool:
        if course_code in self.literals:
            return True
        return self.wildcard is not None and self.wildcard.fullmatch(course_code) is not None


def _regex(pattern: str) -> str:
    parts = []
    for character in pattern:
        if character == "*":
            parts.append(".*")
        elif character == "?":
            parts.append(".")
        else:
            parts.append(re.escape(character))
    return "(?:" + "".join(parts) + ")"


def compile_course_patterns(patterns: Iterable[str]) -> CourseMatcher:
    """One matcher for all ``patterns``; sorted first so equal lists compile identically."""
    unique = sorted(set(patterns))
    literals = frozenset(pattern for pattern in unique if not _WILDCARDS & set(pattern))
    wildcards = [_regex(pattern) for pattern in unique if _WILDCARDS & set(pattern)]
    # DOTALL: "*" and "?" stand for any character, line breaks included.
    wildcard = re.compile("|".join(wildcards), re.DOTALL) if wildcards else None
    return CourseMatcher(literals, wildcard)


class Applicability:
    """Whether a standard version is in force on a day and considers an outcome (``applies_to``).

    Empty lists of issuer kinds, issuer ids and course codes mean any. Dates are inclusive; no end
    date means open.
    """

    __slots__ = (
        "_course_matches",
        "courses",
        "effective_from",
        "effective_until",
        "issuer_ids",
        "issuer_kinds",
    )

    def __init__(self, standard: Standard) -> None:
        applies = standard.applies_to
        self.effective_from = standard.effective_from
        self.effective_until = standard.effective_until
        self.issuer_kinds = frozenset(applies.issuer_kinds) if applies.issuer_kinds else None
        self.issuer_ids = frozenset(applies.issuer_ids) if applies.issuer_ids else None
        codes = applies.course_codes
        self.courses = compile_course_patterns(codes) if codes else None
        self._course_matches: dict[str, bool] = {}

    def in_force(self, day: datetime.date) -> bool:
        until = self.effective_until
        return self.effective_from <= day and (until is None or day <= until)

    def applies(self, issuer_kind: str, issuer_id: str, course_code: str) -> bool:
        """Whether the outcome's issuer and course fit (its type is checked by the index)."""
        if self.issuer_kinds is not None and issuer_kind not in self.issuer_kinds:
            return False
        if self.issuer_ids is not None and issuer_id not in self.issuer_ids:
            return False
        if self.courses is None:
            return True
        # Remembered per code: a wildcard costs a regular-expression match, a look-up much less.
        matches = self._course_matches.get(course_code)
        if matches is None:
            matches = self.courses.matches(course_code)
            if len(self._course_matches) >= course_codes_cached_max:
                self._course_matches.clear()
            self._course_matches[course_code] = matches
        return matches
