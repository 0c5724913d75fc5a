"""The rules engine's choice of standard: precedence, versions, filters, dates, patterns."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from creditbank.errors import MalformedError, StandardInvalidError
from creditbank.rules import (
    Decision,
    compile_rulebook,
)
from schemas.standards import (
    AppliesTo,
    Caps,
    FixedAward,
    PerHoursAward,
    Requirements,
)
from tests.rules.engine_fixtures import (
    D,
    awarded,
    credits,
    decide,
    outcome,
    standard,
)


def test_highest_precedence_wins() -> None:
    """Of two applicable standards the higher precedence decides, regardless of input order."""
    low = standard(id="general", precedence=1, award=FixedAward(credits=D("1")))
    high = standard(id="special", precedence=5, award=FixedAward(credits=D("3")))
    for order in ([low, high], [high, low]):
        assert compile_rulebook(order).select(outcome(), "enterprise") == high
        assert credits(decide(order)) == "3.00"


def test_equal_precedence_goes_to_the_smallest_id() -> None:
    """A tie that validation should have refused is still decided: the smallest id wins."""
    first = standard(id="alpha", award=FixedAward(credits=D("1")))
    second = standard(id="beta", award=FixedAward(credits=D("2")))
    for order in ([first, second], [second, first]):
        assert compile_rulebook(order).select(outcome(), "enterprise") == first


def test_highest_version_in_force_supersedes() -> None:
    """Version 2 replaces version 1 from its first day; before that, version 1 applies."""
    one = standard(award=FixedAward(credits=D("1")))
    two = standard(
        version=2, effective_from=datetime.date(2026, 1, 1), award=FixedAward(credits=D("2"))
    )
    book = compile_rulebook([two, one])
    assert book.select(outcome(completed_on=datetime.date(2025, 12, 31)), "enterprise") == one
    assert book.select(outcome(completed_on=datetime.date(2026, 1, 1)), "enterprise") == two
    assert awarded(decide([one, two])).standard == "safety@2"


def test_superseded_version_does_not_apply_to_what_the_new_one_dropped() -> None:
    """A version 2 that no longer covers a course code leaves it with no standard."""
    one = standard(
        applies_to=AppliesTo(outcome_types=["enterprise_training"], course_codes=["SAFE-*"])
    )
    two = standard(
        version=2,
        effective_from=datetime.date(2026, 1, 1),
        applies_to=AppliesTo(outcome_types=["enterprise_training"], course_codes=["SAFE-2*"]),
    )
    assert decide([one, two], outcome(course_code="SAFE-101")).award is None
    assert decide([one, two], outcome(course_code="SAFE-201")).award is not None
    early = outcome(course_code="SAFE-101", completed_on=datetime.date(2025, 6, 1))
    assert awarded(decide([one, two], early)).standard == "safety@1"


def test_a_lower_precedence_standard_applies_where_the_higher_does_not() -> None:
    """Selection falls through to the next standard when the best one does not apply."""
    special = standard(
        id="special",
        precedence=9,
        applies_to=AppliesTo(outcome_types=["enterprise_training"], issuer_kinds=["college"]),
    )
    general = standard(id="general")
    assert compile_rulebook([special, general]).select(outcome(), "enterprise") == general
    assert compile_rulebook([special, general]).select(outcome(), "college") == special


def test_issuer_ids_and_outcome_types_filter() -> None:
    """issuer_ids and outcome_types restrict which outcomes a standard considers."""
    only_acme = standard(
        applies_to=AppliesTo(outcome_types=["enterprise_training"], issuer_ids=["acme-training"])
    )
    book = compile_rulebook([only_acme])
    assert book.select(outcome(), "enterprise") == only_acme
    assert book.select(outcome(issuer_id="other"), "enterprise") is None
    assert book.select(outcome(outcome_type="community_course"), "enterprise") is None


@pytest.mark.parametrize(
    ("pattern", "code", "matches"),
    [
        ("SAFE-*", "SAFE-", True),  # * matches an empty run
        ("SAFE-*", "SAFE-101-A", True),
        ("SAFE-*", "safe-101", False),  # case-sensitive
        ("SAFE-*", "XSAFE-1", False),  # anchored at both ends
        ("SAFE-?01", "SAFE-101", True),
        ("SAFE-?01", "SAFE-01", False),  # ? is exactly one character
        ("SAFE-?01", "SAFE-1101", False),
        ("V1.0", "V1.0", True),
        ("V1.0", "V1x0", False),  # . is literal
        ("C[1]", "C[1]", True),
        ("C[1]", "C1", False),  # [ is literal
        ("C[1]*", "C[1]-高级", True),
        ("安全*培训", "安全生产培训", True),
        ("A\\*", "A\\B", True),  # backslash is literal, * still a wildcard
        ("A+B", "AAB", False),
        ("*", "任何", True),
    ],
)
def test_course_code_patterns(pattern: str, code: str, matches: bool) -> None:
    """* matches any run, ? one character, everything else is literal and case-sensitive."""
    one = standard(
        applies_to=AppliesTo(outcome_types=["enterprise_training"], course_codes=[pattern])
    )
    selected = compile_rulebook([one]).select(outcome(course_code=code), "enterprise")
    assert (selected is not None) is matches


@pytest.mark.parametrize(
    "day",
    [datetime.date(2024, 12, 31), datetime.date(2027, 1, 1)],
)
def test_outside_every_standards_dates_earns_nothing(day: datetime.date) -> None:
    """Before effective_from or after effective_until: award None and no deltas."""
    bounded = standard(effective_until=datetime.date(2026, 12, 31))
    decision = decide([bounded], outcome(completed_on=day))
    assert decision == Decision(award=None, deltas=())
    # Both ends are inclusive.
    for edge in (datetime.date(2025, 1, 1), datetime.date(2026, 12, 31)):
        assert decide([bounded], outcome(completed_on=edge)).award is not None


def test_no_standards_at_all() -> None:
    """An empty rule book decides nothing."""
    assert compile_rulebook([]).evaluate(outcome(), "enterprise", {}) == Decision(None, ())


def test_awards_beyond_the_entry_maximum_saturate() -> None:
    """An amount above 999999.99 is cut to it, so the entry stays valid."""
    award = PerHoursAward(hours_per_unit=D("0.1"), credits_per_unit=D("1000"))
    assert credits(decide([standard(award=award)], outcome(hours="99999.9"))) == "999999.99"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"award": PerHoursAward(hours_per_unit=D("0"))}, "award.hours_per_unit"),
        (
            {"award": PerHoursAward(hours_per_unit=D("16"), rounding_step=D("0"))},
            "award.rounding_step",
        ),
        ({"award": FixedAward(credits=D("-1"))}, "award.credits"),
        ({"award": FixedAward(credits=D("NaN"))}, "award.credits"),
        ({"max_per_outcome": D("-0.5")}, "max_per_outcome"),
        ({"caps": Caps(lifetime=D("Infinity"))}, "caps.lifetime"),
        ({"award": PerHoursAward(hours_per_unit=D("1." + "1" * 70))}, "award"),
    ],
)
def test_standards_the_engine_cannot_evaluate_are_refused(
    changes: dict[str, Any], field: str
) -> None:
    """compile_rulebook raises StandardInvalidError naming the standard and the field."""
    with pytest.raises(StandardInvalidError) as raised:
        compile_rulebook([standard(**changes)])
    assert raised.value.problems[0][0] == f"standards[safety@1].{field}"


def test_two_different_standards_under_one_name_are_refused() -> None:
    """id@version names one immutable standard; an identical duplicate is harmless."""
    assert compile_rulebook([standard(), standard()]).select(outcome(), "enterprise") is not None
    with pytest.raises(StandardInvalidError):
        compile_rulebook([standard(), standard(title="另一个")])


def test_rulebook_keeps_what_it_was_compiled_from() -> None:
    """RuleBook.standards is the input, in its order."""
    first, second = standard(id="b"), standard(id="a")
    assert compile_rulebook(iter([first, second])).standards == (first, second)


@pytest.mark.parametrize(("field", "text"), [("hours", "16"), ("score", "88"), ("score", "88.5.0")])
def test_malformed_numbers_in_an_unvalidated_outcome_are_reported(field: str, text: str) -> None:
    """An outcome built without validation, with hours or score not at scale 1, is refused."""
    book = compile_rulebook([standard(requires=Requirements(min_score=D("60")))])
    with pytest.raises(MalformedError, match=field):
        book.evaluate(outcome(**{field: text}), "enterprise", {})
