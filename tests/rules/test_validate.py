"""Semantic checks of standards and programmes, pattern matching and overlap, ambiguity."""

from __future__ import annotations

import datetime
import fnmatch
import itertools
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec import structs

from creditbank.errors import StandardInvalidError
from creditbank.rules.documents import read_programme, read_standard
from creditbank.rules.validate import (
    pattern_matches,
    patterns_overlap,
    validate_programme,
    validate_standard,
)
from schemas.standards import (
    AppliesTo,
    Caps,
    Equivalence,
    FixedAward,
    LevelRow,
    LevelTableAward,
    PerHoursAward,
    Programme,
    Requirement,
    Requirements,
    Standard,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "standards"
STANDARD_FILES = [
    "enterprise-safety-training.toml",
    "community-elderly-courses.toml",
    "vocational-certificates.toml",
]
JAN_1 = datetime.date(2025, 1, 1)


def standard(**changes: Any) -> Standard:
    base = Standard(
        id="base",
        version=1,
        title="基础标准",
        category="vocational.safety",
        effective_from=JAN_1,
        applies_to=AppliesTo(outcome_types=["enterprise_training"], course_codes=["SAFE-*"]),
        award=PerHoursAward(hours_per_unit=Decimal("16")),
        max_per_outcome=Decimal("4"),
        caps=Caps(per_issuer_per_year=Decimal("8"), per_category_per_year=Decimal("12")),
        validity_months=60,
    )
    return structs.replace(base, **changes)


def programme(**changes: Any) -> Programme:
    requirement = Requirement(
        id="safety",
        title="安全生产管理",
        credits_granted=Decimal("3"),
        satisfied_by=Equivalence(categories=["vocational.safety"], min_credits=Decimal("3")),
    )
    base = Programme(
        id="admin",
        version=1,
        institution="某市开放大学",
        title="行政管理（专科）",
        effective_from=JAN_1,
        requirements=[requirement],
    )
    return structs.replace(base, **changes)


def problems_of(document: Standard, published: list[Standard] | None = None) -> list[str]:
    try:
        validate_standard(document, published or [])
    except StandardInvalidError as error:
        return [field for field, _ in error.problems]
    return []


def level(name: str, codes: list[str], credits: str) -> LevelRow:
    return LevelRow(level=name, course_codes=codes, credits=Decimal(credits))


def table(*rows: LevelRow) -> LevelTableAward:
    return LevelTableAward(levels=list(rows))


def per_hours(**changes: Any) -> PerHoursAward:
    return structs.replace(PerHoursAward(hours_per_unit=Decimal("16")), **changes)


def test_base_standard_is_valid() -> None:
    """The fixture every failing case starts from passes."""
    assert problems_of(standard()) == []


FAILURES: list[tuple[str, dict[str, Any], str]] = [
    ("until before from", {"effective_until": datetime.date(2024, 12, 31)}, "effective_until"),
    ("blank title", {"title": "  "}, "title"),
    ("control character in title", {"title": "a\nb"}, "title"),
    ("no outcome types", {"applies_to": AppliesTo(outcome_types=[])}, "applies_to.outcome_types"),
    (
        "duplicate outcome types",
        {"applies_to": AppliesTo(outcome_types=["elderly_course", "elderly_course"])},
        "applies_to.outcome_types",
    ),
    (
        "pattern too long",
        {"applies_to": AppliesTo(outcome_types=["elderly_course"], course_codes=["A" * 65])},
        "applies_to.course_codes[0]",
    ),
    (
        "pattern not printable",
        {"applies_to": AppliesTo(outcome_types=["elderly_course"], course_codes=["A", "B\tC"])},
        "applies_to.course_codes[1]",
    ),
    (
        "pattern with a trailing space",
        {"applies_to": AppliesTo(outcome_types=["elderly_course"], course_codes=["A* "])},
        "applies_to.course_codes[0]",
    ),
    ("no results", {"requires": Requirements(results=[])}, "requires.results"),
    (
        "duplicate results",
        {"requires": Requirements(results=["passed", "passed"])},
        "requires.results",
    ),
    (
        "negative min hours",
        {"requires": Requirements(min_hours=Decimal("-1"))},
        "requires.min_hours",
    ),
    (
        "min hours scale",
        {"requires": Requirements(min_hours=Decimal("1.25"))},
        "requires.min_hours",
    ),
    (
        "min score above 100",
        {"requires": Requirements(min_score=Decimal("101"))},
        "requires.min_score",
    ),
    (
        "min attendance below 0",
        {"requires": Requirements(min_attendance_pct=Decimal("-0.5"))},
        "requires.min_attendance_pct",
    ),
    (
        "zero hours per unit",
        {"award": per_hours(hours_per_unit=Decimal(0))},
        "award.hours_per_unit",
    ),
    (
        "NaN hours per unit",
        {"award": per_hours(hours_per_unit=Decimal("NaN"))},
        "award.hours_per_unit",
    ),
    (
        "zero credits per unit",
        {"award": per_hours(credits_per_unit=Decimal("0"))},
        "award.credits_per_unit",
    ),
    ("zero rounding step", {"award": per_hours(rounding_step=Decimal("0"))}, "award.rounding_step"),
    (
        "step below 0.01",
        {"award": per_hours(rounding_step=Decimal("0.005"))},
        "award.rounding_step",
    ),
    ("negative fixed credits", {"award": FixedAward(credits=Decimal("-1"))}, "award.credits"),
    ("negative zero fixed credits", {"award": FixedAward(credits=Decimal("-0"))}, "award.credits"),
    ("fixed credits scale", {"award": FixedAward(credits=Decimal("1.005"))}, "award.credits"),
    ("fixed credits exponent", {"award": FixedAward(credits=Decimal("1E+2"))}, "award.credits"),
    ("empty table", {"award": table()}, "award.levels"),
    (
        "duplicate level names",
        {"award": table(level("L1", ["SAFE-1"], "1"), level("L1", ["SAFE-2"], "2"))},
        "award.levels",
    ),
    (
        "level without patterns",
        {"award": table(level("L1", [], "1"))},
        "award.levels[0].course_codes",
    ),
    (
        "level pattern not printable",
        {"award": table(level("L1", ["SAFE-\x00"], "1"))},
        "award.levels[0].course_codes[0]",
    ),
    (
        "level credits scale",
        {"award": table(level("L1", ["SAFE-1"], "1"), level("L2", ["SAFE-2"], "0.001"))},
        "award.levels[1].credits",
    ),
    (
        "level unreachable from applies_to",
        {"award": table(level("L1", ["VC-*"], "1"))},
        "award.levels[0].course_codes",
    ),
    ("zero max per outcome", {"max_per_outcome": Decimal("0")}, "max_per_outcome"),
    ("max per outcome scale", {"max_per_outcome": Decimal("0.125")}, "max_per_outcome"),
    ("max per outcome too large", {"max_per_outcome": Decimal("1000000")}, "max_per_outcome"),
    ("max per outcome never binds", {"max_per_outcome": Decimal("9")}, "max_per_outcome"),
    ("zero cap", {"caps": Caps(lifetime=Decimal("0"))}, "caps.lifetime"),
    ("infinite cap", {"caps": Caps(lifetime=Decimal("Infinity"))}, "caps.lifetime"),
    (
        "issuer cap above category cap",
        {"caps": Caps(per_issuer_per_year=Decimal("13"), per_category_per_year=Decimal("12"))},
        "caps.per_issuer_per_year",
    ),
    (
        "category cap above lifetime",
        {"caps": Caps(per_category_per_year=Decimal("12"), lifetime=Decimal("10"))},
        "caps.per_category_per_year",
    ),
    (
        "issuer cap above lifetime",
        {"caps": Caps(per_issuer_per_year=Decimal("12"), lifetime=Decimal("10"))},
        "caps.per_issuer_per_year",
    ),
    ("year starts 02-29", {"caps": Caps(year_starts="02-29")}, "caps.year_starts"),
    ("year starts 13-01", {"caps": Caps(year_starts="13-01")}, "caps.year_starts"),
    ("year starts 04-31", {"caps": Caps(year_starts="04-31")}, "caps.year_starts"),
    ("year starts 3-1", {"caps": Caps(year_starts="3-1")}, "caps.year_starts"),
    ("validity not positive", {"validity_months": 0}, "validity_months"),
]


@pytest.mark.parametrize(
    ("changes", "field"),
    [pytest.param(changes, field, id=name) for name, changes, field in FAILURES],
)
def test_each_check_names_its_field(changes: dict[str, Any], field: str) -> None:
    """Each semantic check fails on its own and names the offending field."""
    assert field in problems_of(standard(**changes))


def test_every_problem_is_reported_at_once() -> None:
    """One validation lists all problems, not just the first."""
    document = standard(
        effective_until=datetime.date(2024, 1, 1),
        requires=Requirements(results=[], min_score=Decimal("200")),
        award=per_hours(hours_per_unit=Decimal("-16")),
        caps=Caps(year_starts="02-29"),
        validity_months=0,
    )
    assert problems_of(document) == [
        "effective_until",
        "requires.results",
        "requires.min_score",
        "award.hours_per_unit",
        "caps.year_starts",
        "validity_months",
    ]


def test_amounts_at_their_scale_are_valid() -> None:
    """Amounts written at their scale pass; bounds are inclusive where the brief says so."""
    document = standard(
        requires=Requirements(
            min_hours=Decimal("0"), min_score=Decimal("100"), min_attendance_pct=Decimal("0")
        ),
        award=per_hours(hours_per_unit=Decimal("12.5"), rounding_step=Decimal("0.01")),
        max_per_outcome=Decimal("999999.99"),
        caps=Caps(lifetime=Decimal("999999.99"), year_starts="12-31"),
    )
    assert problems_of(document) == []
    assert problems_of(standard(award=FixedAward(credits=Decimal("0.00")))) == []


@pytest.mark.parametrize(
    ("award", "requires", "field"),
    [
        (per_hours(hours_per_unit=Decimal("16." + "0" * 70)), None, "award.hours_per_unit"),
        (per_hours(rounding_step=Decimal("0.010")), None, "award.rounding_step"),
        (per_hours(), Requirements(min_score=Decimal("1E-100000000")), "requires.min_score"),
        (
            per_hours(),
            Requirements(min_attendance_pct=Decimal("0E-1000")),
            "requires.min_attendance_pct",
        ),
        (
            per_hours(hours_per_unit=Decimal("0.1"), credits_per_unit=Decimal("100")),
            None,
            "award.hours_per_unit",
        ),
    ],
)
def test_written_places_count_so_nothing_huge_reaches_the_log(
    award: object, requires: Requirements | None, field: str
) -> None:
    """Trailing zeros and tiny exponents are refused as written: their text is published and
    copied into every award, and evaluating them could cost minutes under the write lock."""
    changes: dict[str, object] = {"award": award}
    if requires is not None:
        changes["requires"] = requires
    assert field in problems_of(standard(**changes))


def test_examples_load_and_pass_in_publication_order() -> None:
    """The sample standards pass, each validated against the ones published before it."""
    published: list[Standard] = []
    for name in STANDARD_FILES:
        document = read_standard(EXAMPLES / name)
        validate_standard(document, published)
        published.append(document)
    assert [document.id for document in published] == [name[:-5] for name in STANDARD_FILES]
    validate_programme(read_programme(EXAMPLES / "programme-open-university-admin.toml"))


def test_versions_already_published_or_lower_are_refused() -> None:
    """A version number is used once per id, and never below the highest published one."""
    published = [standard(version=1), standard(version=3)]
    assert problems_of(standard(version=3), published) == ["version"]
    assert problems_of(standard(version=2), published) == ["version"]
    assert problems_of(standard(version=4), published) == []


def overlapping(**changes: Any) -> Standard:
    """Another standard that applies to some of the base standard's outcomes."""
    applies = AppliesTo(outcome_types=["enterprise_training"], course_codes=["*-2025-*"])
    return standard(**{"id": "other", "applies_to": applies, **changes})


def test_tie_on_precedence_is_reported_with_the_other_standard_and_period() -> None:
    """Two ids that can match a common outcome on a common day must differ in precedence."""
    other = overlapping(
        effective_from=datetime.date(2025, 6, 1), effective_until=datetime.date(2026, 5, 31)
    )
    with pytest.raises(StandardInvalidError) as raised:
        validate_standard(standard(effective_until=datetime.date(2025, 12, 31)), [other])
    [(field, reason)] = raised.value.problems
    assert field == "precedence"
    assert "other@1" in reason
    assert "from 2025-06-01 to 2025-12-31" in reason


def test_open_ended_tie_says_onwards() -> None:
    """An overlap without an end is described as open-ended."""
    with pytest.raises(StandardInvalidError, match="from 2025-01-01 onwards"):
        validate_standard(standard(), [overlapping()])


def test_tie_is_resolved_by_precedence() -> None:
    """Giving either standard another precedence removes the ambiguity."""
    assert problems_of(standard(precedence=5), [overlapping()]) == []
    assert problems_of(standard(), [overlapping(precedence=5)]) == []


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(
            overlapping(
                effective_until=datetime.date(2024, 12, 31),
                effective_from=datetime.date(2024, 1, 1),
            ),
            id="dates",
        ),
        pytest.param(
            overlapping(applies_to=AppliesTo(outcome_types=["elderly_course"])), id="types"
        ),
        pytest.param(
            overlapping(
                applies_to=AppliesTo(outcome_types=["enterprise_training"], course_codes=["VC-*"])
            ),
            id="course codes",
        ),
        pytest.param(
            overlapping(
                applies_to=AppliesTo(
                    outcome_types=["enterprise_training"], issuer_kinds=["college"]
                )
            ),
            id="issuer kinds",
        ),
        pytest.param(standard(version=1), id="same id"),
    ],
)
def test_no_tie_without_a_common_outcome_and_day(other: Standard) -> None:
    """Disjoint dates, types, codes or issuers, or another version of the same id, never tie."""
    base = standard(
        version=2,
        applies_to=AppliesTo(
            outcome_types=["enterprise_training"],
            issuer_kinds=["enterprise"],
            course_codes=["SAFE-*"],
        ),
    )
    assert problems_of(base, [other]) == []


def test_issuer_ids_and_kinds_filter_separately() -> None:
    """An id on one side and a kind on the other may be the same issuer; two ids may not."""
    kinds = AppliesTo(outcome_types=["enterprise_training"], issuer_kinds=["enterprise"])
    ids = AppliesTo(outcome_types=["enterprise_training"], issuer_ids=["acme"])
    other_ids = AppliesTo(outcome_types=["enterprise_training"], issuer_ids=["globex"])
    assert problems_of(standard(applies_to=kinds), [overlapping(applies_to=ids)]) == ["precedence"]
    assert problems_of(standard(applies_to=ids), [overlapping(applies_to=other_ids)]) == []


def test_superseded_versions_do_not_tie() -> None:
    """Only the highest version of another id in force on a day counts, as in the engine."""
    old = overlapping(version=1, effective_from=datetime.date(2024, 1, 1))
    new = overlapping(version=2, effective_from=datetime.date(2025, 1, 1), precedence=5)
    assert problems_of(standard(), [old, new]) == []
    # Before 2025 the old version is still the one in force.
    early = standard(effective_from=datetime.date(2024, 6, 1))
    with pytest.raises(StandardInvalidError, match=r"other@1\b.* from 2024-06-01 to 2024-12-31"):
        validate_standard(early, [old, new])


def test_retired_versions_do_not_tie_but_keep_their_number() -> None:
    """A retired version matches nothing, yet its version number stays taken."""
    published = [overlapping()]
    assert problems_of(standard(), published) == ["precedence"]
    validate_standard(standard(), published, retired=[("other", 1)])
    with pytest.raises(StandardInvalidError, match="already published"):
        validate_standard(overlapping(), published, retired=[("other", 1)])


# Patterns.

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


# Programmes.


def test_example_like_programme_is_valid() -> None:
    """The programme fixture passes."""
    validate_programme(programme())


def requirement(**changes: Any) -> Requirement:
    return structs.replace(programme().requirements[0], **changes)


PROGRAMME_FAILURES: list[tuple[str, dict[str, Any], str]] = [
    ("until before from", {"effective_until": datetime.date(2024, 1, 1)}, "effective_until"),
    ("no requirements", {"requirements": []}, "requirements"),
    ("duplicate ids", {"requirements": [requirement(), requirement()]}, "requirements"),
    (
        "zero credits granted",
        {"requirements": [requirement(credits_granted=Decimal(0))]},
        "requirements[0].credits_granted",
    ),
    (
        "credits granted scale",
        {"requirements": [requirement(credits_granted=Decimal("1.001"))]},
        "requirements[0].credits_granted",
    ),
    (
        "satisfied by nothing",
        {"requirements": [requirement(satisfied_by=Equivalence(min_credits=Decimal(1)))]},
        "requirements[0].satisfied_by",
    ),
    (
        "zero min credits",
        {
            "requirements": [
                requirement(satisfied_by=Equivalence(standards=["x"], min_credits=Decimal(0)))
            ]
        },
        "requirements[0].satisfied_by.min_credits",
    ),
    (
        "max age not positive",
        {
            "requirements": [
                requirement(
                    satisfied_by=Equivalence(
                        standards=["x"], min_credits=Decimal(1), max_age_months=0
                    )
                )
            ]
        },
        "requirements[0].satisfied_by.max_age_months",
    ),
    ("blank institution", {"institution": " "}, "institution"),
]


@pytest.mark.parametrize(
    ("changes", "field"),
    [pytest.param(changes, field, id=name) for name, changes, field in PROGRAMME_FAILURES],
)
def test_each_programme_check_names_its_field(changes: dict[str, Any], field: str) -> None:
    """Each programme check fails on its own and names the offending field."""
    with pytest.raises(StandardInvalidError) as raised:
        validate_programme(programme(**changes))
    assert field in [name for name, _ in raised.value.problems]
