"""The rules engine, case by case: award methods, rounding, requirements, per-outcome max."""

from __future__ import annotations

from typing import Any, Literal

import pytest

import creditbank.rules
from creditbank.errors import MalformedError
from creditbank.rules import (
    credits_text,
    parse_credits,
)
from schemas.standards import (
    AppliesTo,
    FixedAward,
    LevelRow,
    LevelTableAward,
    PerHoursAward,
    Requirements,
    Standard,
)
from tests.rules.engine_fixtures import (
    CATEGORY,
    D,
    awarded,
    credits,
    decide,
    outcome,
    standard,
)


def test_public_names_are_exported() -> None:
    """The package's __all__ is exactly the interface others code against."""
    interface = (
        "Decision RuleBook TotalKey cap_year_start compile_rulebook credits_text parse_credits"
    )
    assert sorted(creditbank.rules.__all__) == interface.split()
    for name in creditbank.rules.__all__:
        assert hasattr(creditbank.rules, name)


def test_credits_text_round_trips() -> None:
    """credits_text and parse_credits are inverses on the wire's Credits format."""
    for hundredths, text in [(0, "0.00"), (5, "0.05"), (150, "1.50"), (99_999_999, "999999.99")]:
        assert credits_text(hundredths) == text
        assert parse_credits(text) == hundredths


@pytest.mark.parametrize("text", ["1.5", "01.50", "-1.50", "1.500", " 1.50", "1,50", "", "١.٥٠"])
def test_parse_credits_refuses_other_forms(text: str) -> None:
    """parse_credits accepts only the Credits pattern and raises MalformedError otherwise."""
    with pytest.raises(MalformedError):
        parse_credits(text)


def test_per_hours_award_and_basis() -> None:
    """per_hours: 40 h at 16 h per credit, down to 0.5, gives 2.50 with the full basis."""
    decision = decide([standard()], outcome(hours="40.0"))
    assert decision.award is not None
    assert decision.award.credits == "2.50"
    assert decision.award.standard == "safety@1"
    assert decision.award.category == CATEGORY
    basis = decision.award.basis
    assert (basis.method, basis.hours, basis.ratio, basis.rounding) == (
        "per_hours",
        "40.0",
        "16h:1",
        "down 0.5",
    )
    assert (basis.computed, basis.unmet, basis.cap, basis.cap_year_start) == (
        "2.50",
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("hours", "rounding", "expected"),
    [
        ("24.0", "down", "1.50"),  # exactly on a step
        ("23.9", "down", "1.00"),  # just below a step
        ("20.0", "down", "1.00"),  # exactly half a step: down
        ("20.0", "half_up", "1.50"),  # exactly half a step: up
        ("19.9", "half_up", "1.00"),  # just below half a step
        ("24.0", "half_up", "1.50"),
        ("0.0", "half_up", "0.00"),
    ],
)
def test_rounding_on_step_boundaries(
    hours: str, rounding: Literal["down", "half_up"], expected: str
) -> None:
    """Rounding to a 0.5 step: down floors, half_up rounds exact halves up."""
    award = PerHoursAward(hours_per_unit=D("16"), rounding=rounding)
    assert credits(decide([standard(award=award)], outcome(hours=hours))) == expected


def test_ratio_and_rounding_use_the_standards_decimal_text() -> None:
    """The basis writes the standard's decimals as given: "8.0h:0.5", "half_up 0.25"."""
    award = PerHoursAward(
        hours_per_unit=D("8.0"),
        credits_per_unit=D("0.5"),
        rounding_step=D("0.25"),
        rounding="half_up",
    )
    decision = decide([standard(award=award)], outcome(hours="13.0"))
    assert decision.award is not None
    # 13 / 8 * 0.5 = 0.8125 -> 3.25 steps -> 3 -> 0.75
    assert decision.award.credits == "0.75"
    assert (decision.award.basis.ratio, decision.award.basis.rounding) == (
        "8.0h:0.5",
        "half_up 0.25",
    )


def test_steps_finer_than_a_hundredth_are_floored() -> None:
    """A result with more precision than 0.01 is floored to 0.01, even after half_up."""
    award = PerHoursAward(hours_per_unit=D("3"), rounding_step=D("0.005"), rounding="half_up")
    # 2 / 3 = 0.6666.. -> 133.33 steps -> 133 -> 0.665 -> 0.66
    assert credits(decide([standard(award=award)], outcome(hours="2.0"))) == "0.66"


def test_fixed_award_floors_extra_precision() -> None:
    """fixed: the standard's credits, floored to 0.01."""
    assert credits(decide([standard(award=FixedAward(credits=D("2")))])) == "2.00"
    assert credits(decide([standard(award=FixedAward(credits=D("1.559")))])) == "1.55"


def table_standard() -> Standard:
    return standard(
        applies_to=AppliesTo(outcome_types=["vocational_certificate"]),
        award=LevelTableAward(
            levels=[
                LevelRow(level="高级", course_codes=["VC-*-L3"], credits=D("8")),
                LevelRow(level="中级", course_codes=["VC-*-L2", "VC-WELD-L3"], credits=D("5")),
            ]
        ),
    )


def test_table_award_takes_the_first_matching_level() -> None:
    """table: the first row whose patterns match decides credits and basis.level."""
    record = outcome(outcome_type="vocational_certificate", course_code="VC-WELD-L3")
    decision = decide([table_standard()], record)
    assert decision.award is not None
    assert (decision.award.credits, decision.award.basis.level) == ("8.00", "高级")
    assert decision.award.basis.hours is None
    assert decision.award.basis.ratio is None


def test_table_without_a_matching_level_is_unmet() -> None:
    """table: no row matches, so 0.00 with unmet "level" and no deltas."""
    record = outcome(outcome_type="vocational_certificate", course_code="VC-WELD-L1")
    decision = decide([table_standard()], record)
    assert decision.award is not None
    assert (decision.award.credits, decision.award.basis.unmet) == ("0.00", "level")
    assert decision.deltas == ()


@pytest.mark.parametrize(
    ("changes", "unmet"),
    [
        ({"result": "failed"}, "result"),
        ({"result": "completed"}, "result"),
        ({"hours": "7.9"}, "min_hours"),
        ({"score": "59.9"}, "min_score"),
        ({"score": None}, "min_score"),
        ({"attendance_pct": "79.9"}, "min_attendance_pct"),
        ({"attendance_pct": None}, "min_attendance_pct"),
        ({"result": "failed", "hours": "1.0", "score": None}, "result"),
        ({"hours": "1.0", "score": "10.0", "attendance_pct": None}, "min_hours"),
        ({"score": "10.0", "attendance_pct": "10.0"}, "min_score"),
    ],
)
def test_each_requirement_and_the_first_unmet_is_named(changes: dict[str, Any], unmet: str) -> None:
    """An unmet requirement gives 0.00, names the first unmet in order, and adds nothing."""
    requires = Requirements(min_hours=D("8"), min_score=D("60"), min_attendance_pct=D("80"))
    decision = decide([standard(requires=requires)], outcome(**changes))
    assert decision.award is not None
    assert decision.award.credits == "0.00"
    assert decision.award.basis.computed == "0.00"
    assert decision.award.basis.unmet == unmet
    assert decision.deltas == ()


def test_requirements_are_inclusive_minimums() -> None:
    """Exactly the minimum hours, score and attendance pass; "completed" passes when listed."""
    requires = Requirements(
        results=["passed", "completed"],
        min_hours=D("8"),
        min_score=D("60"),
        min_attendance_pct=D("80"),
    )
    record = outcome(result="completed", hours="8.0", score="60.0", attendance_pct="80.0")
    decision = decide([standard(requires=requires)], record)
    assert decision.award is not None
    assert decision.award.basis.unmet is None
    assert decision.award.credits == "0.50"


def test_a_threshold_between_tenths_is_raised_to_the_next_tenth() -> None:
    """min_score 59.95 needs 60.0: a score of 59.9 fails, 60.0 passes."""
    one = standard(requires=Requirements(min_score=D("59.95")))
    assert awarded(decide([one], outcome(score="59.9"))).basis.unmet == "min_score"
    assert awarded(decide([one], outcome(score="60.0"))).basis.unmet is None


def test_per_outcome_maximum() -> None:
    """max_per_outcome lowers the amount and is named; an equal maximum does not bind."""
    decision = decide([standard(max_per_outcome=D("1.5"))], outcome(hours="40.0"))
    assert decision.award is not None
    assert (decision.award.credits, decision.award.basis.computed) == ("1.50", "1.50")
    assert decision.award.basis.cap == "per_outcome"
    assert decision.deltas[0][1] == 150
    equal = decide([standard(max_per_outcome=D("2.5"))], outcome(hours="40.0"))
    assert equal.award is not None
    assert equal.award.basis.cap is None
