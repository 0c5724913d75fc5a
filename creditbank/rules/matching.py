"""Which outcomes a standard version considers: its dates and ``applies_to``.

Course-code patterns: ``*`` matches any run of characters (also none), ``?`` exactly one. Every
other character is literal, including ``.``, ``[``, ``\\`` and CJK; matching is case-sensitive
and covers the whole code. Patterns without a wildcard go into a set, so the usual case is one hash
look-up; the others go through ``pattern_matches``, a greedy matcher with a single backtracking
point: a regular expression would backtrack exponentially on patterns like ``*a*a*a*b``, and an
issuer chooses the course codes it sends.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Final

from schemas.standards import Standard

__all__ = [
    "Applicability",
    "CourseMatcher",
    "compile_course_patterns",
    "pattern_matches",
    "patterns_overlap",
]

_WILDCARDS: Final = frozenset("*?")
course_codes_cached_max: Final = 65_536  # per standard; real imports have a few hundred codes


def pattern_matches(pattern: str, code: str) -> bool:
    """Whether ``code`` matches ``pattern`` (``*`` any run, ``?`` one character, else literal)."""
    # Remember the last star and, on a mismatch, let it take one more character. O(len(pattern)
    # * len(code)) at worst, linear in practice, no recursion.
    position, index = 0, 0
    star_position, star_index = -1, 0
    while index < len(code):
        if position < len(pattern) and pattern[position] == "*":
            star_position, star_index = position, index
            position += 1
        elif position < len(pattern) and pattern[position] in ("?", code[index]):
            position += 1
            index += 1
        elif star_position >= 0:
            star_index += 1
            position, index = star_position + 1, star_index
        else:
            return False
    return all(character == "*" for character in pattern[position:])


def patterns_overlap(a: str, b: str) -> bool:
    """Whether some course code matches both patterns.

    A search of the product of the two patterns' automata: state (i, j) means some string has
    taken ``a`` to position i and ``b`` to position j. A star may be skipped (it matched its run)
    or may absorb the character the other pattern consumes; both patterns ending at once is a
    common code. At most (len(a) + 1) * (len(b) + 1) states, each visited once.
    """
    seen: set[tuple[int, int]] = set()
    pending = [(0, 0)]
    while pending:
        state = pending.pop()
        if state in seen:
            continue
        seen.add(state)
        i, j = state
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "*":
            pending.append((i + 1, j))
        if j < len(b) and b[j] == "*":
            pending.append((i, j + 1))
        if i == len(a) or j == len(b):
            continue
        x, y = a[i], b[j]
        # Two stars absorbing one character together lead back to the same state: no news.
        if x == y == "*" or not (x in "*?" or y in "*?" or x == y):
            continue
        pending.append((i if x == "*" else i + 1, j if y == "*" else j + 1))
    return False


class CourseMatcher:
    """Whether a course code matches any of a list of patterns."""

    __slots__ = ("literals", "wildcards")

    def __init__(self, literals: frozenset[str], wildcards: tuple[str, ...]) -> None:
        self.literals = literals
        self.wildcards = wildcards

    def matches(self, course_code: str) -> bool:
        if course_code in self.literals:
            return True
        return any(pattern_matches(pattern, course_code) for pattern in self.wildcards)


def compile_course_patterns(patterns: Iterable[str]) -> CourseMatcher:
    """One matcher for all ``patterns``; sorted first so equal lists compile identically."""
    unique = sorted(set(patterns))
    literals = frozenset(pattern for pattern in unique if not _WILDCARDS & set(pattern))
    wildcards = tuple(pattern for pattern in unique if _WILDCARDS & set(pattern))
    return CourseMatcher(literals, wildcards)


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
