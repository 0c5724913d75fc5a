"""Semantic checks of one standard document: each check names its field, all problems are
reported at once, amounts keep to their scale, and the examples pass."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from creditbank.rules.documents import read_programme, read_standard
from creditbank.rules.validate import (
    validate_programme,
    validate_standard,
)
from schemas.standards import (
    AppliesTo,
    Caps,
    FixedAward,
    Requirements,
    Standard,
)
from tests.rules.validate_fixtures import (
    EXAMPLES,
    STANDARD_FILES,
    level,
    per_hours,
    problems_of,
    standard,
    table,
)


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
