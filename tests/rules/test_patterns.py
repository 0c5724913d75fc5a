"""Course-code patterns: matching is fnmatch with only * and ? special, and overlap between two
patterns is exact (checked against brute force) and fast."""

from __future__ import annotations

import fnmatch
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.rules.validate import (
    pattern_matches,
    patterns_overlap,
)

PATTERN_CASES = [
    ("SAFE-*", "*-2025", True),
    ("VC-*-L5", "VC-*-L4", False),
    ("VC-*-L5", "VC-ELEC-L?", True),
    ("A?", "A", False),
    ("A*", "A", True),
    ("*", "", True),
    ("?", "", False),
    ("a*b", "*c", False),
    ("[ab]", "a", False),
    ("[ab]", "[ab]", True),
    ("abc", "ABC", False),
]


@pytest.mark.parametrize(("a", "b", "expected"), PATTERN_CASES)
def test_patterns_overlap_examples(a: str, b: str, expected: bool) -> None:
    """Known pairs overlap or not, in both orders; brackets are literal, case matters."""
    assert patterns_overlap(a, b) is expected
    assert patterns_overlap(b, a) is expected


def brute_force_overlap(a: str, b: str) -> bool:
    # A common code, if any, is at most len(a) + len(b) long: every step of the product automaton
    # advances at least one pattern. Over {a, b} is enough: a character both sides leave to a
    # wildcard can be replaced by "a" without changing either match.
    for length in range(len(a) + len(b) + 1):
        for letters in itertools.product("ab", repeat=length):
            code = "".join(letters)
            if fnmatch.fnmatchcase(code, a) and fnmatch.fnmatchcase(code, b):
                return True
    return False


small_patterns = st.text(alphabet="ab*?", max_size=5)


@settings(max_examples=300, deadline=None)
@given(a=small_patterns, b=small_patterns)
def test_patterns_overlap_agrees_with_brute_force(a: str, b: str) -> None:
    """Overlap is exactly "some string over a small alphabet matches both" (fnmatch)."""
    assert patterns_overlap(a, b) is brute_force_overlap(a, b)


def fnmatch_literal(code: str, pattern: str) -> bool:
    # fnmatch also knows [...] classes; escaping "[" leaves only * and ? special.
    return fnmatch.fnmatchcase(code, pattern.replace("[", "[[]"))


@settings(max_examples=500, deadline=None)
@given(
    pattern=st.text(alphabet=st.sampled_from("ab*?[]!-\\.\n中"), max_size=8),
    code=st.text(alphabet=st.sampled_from("ab*?[]!-\\.\n中"), max_size=8),
)
def test_pattern_matches_agrees_with_fnmatch(pattern: str, code: str) -> None:
    """pattern_matches is fnmatch with only * and ? special, case-sensitive, whole code."""
    assert pattern_matches(pattern, code) is fnmatch_literal(code, pattern)


@settings(max_examples=200, deadline=None)
@given(a=small_patterns, b=small_patterns, code=st.text(alphabet="ab", max_size=8))
def test_a_code_matching_both_patterns_proves_overlap(a: str, b: str, code: str) -> None:
    """Whenever one code matches both patterns, they overlap."""
    if pattern_matches(a, code) and pattern_matches(b, code):
        assert patterns_overlap(a, b)


def test_long_patterns_overlap_quickly() -> None:
    """Overlap is polynomial: 64-character patterns full of stars answer at once."""
    a, b = "*a" * 32, "*b" * 31 + "*c"
    assert not patterns_overlap(a, b)
    assert patterns_overlap("*a" * 32, "a" * 40 + "*")
