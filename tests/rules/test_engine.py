"""The rules engine, case by case: award methods, rounding, requirements, caps, cap years,
selection, supersession and course-code patterns."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Mapping
from typing import Any, Literal

import msgspec
import pytest

import creditbank.rules
from creditbank.errors import MalformedError, StandardInvalidError
from creditbank.ledger.entries import SealedEntry, open_entry
from creditbank.rules import (
    Decision,
    TotalKey,
    cap_year_start,
    compile_rulebook,
    credits_text,
    parse_credits,
)
from schemas.entries import Award, OutcomeRecorded
from schemas.standards import (
    AppliesTo,
    Caps,
    FixedAward,
    LevelRow,
    LevelTableAward,
    PerHoursAward,
    Requirements,
    Standard,
)

D = decimal.Decimal
LEARNER = "a" * 64
OTHER_LEARNER = "b" * 64
CATEGORY = "vocational.safety"


def standard(**changes: Any) -> Standard:
    fields: dict[str, Any] = {
        "id": "safety",
        "version": 1,
        "title": "安全生产培训学分标准",
        "category": CATEGORY,
        "effective_from": datetime.date(2025, 1, 1),
        "applies_to": AppliesTo(outcome_types=["enterprise_training"]),
        "award": PerHoursAward(hours_per_unit=D("16")),
    }
    fields.update(changes)
    return Standard(**fields)


def outcome(**changes: Any) -> OutcomeRecorded:
    fields: dict[str, Any] = {
        "issuer_id": "acme-training",
        "record_id": "R-000001",
        "learner_ref": LEARNER,
        "outcome_type": "enterprise_training",
        "course_code": "SAFE-101",
        "course_title": "安全生产培训",
        "hours": "32.0",
        "result": "passed",
        "score": "88.5",
        "attendance_pct": "95.0",
        "completed_on": datetime.date(2026, 6, 1),
        "recorded_at": "2026-11-28T12:00:00Z",
    }
    fields.update(changes)
    return OutcomeRecorded(**fields)


def decide(
    standards: list[Standard],
    record: OutcomeRecorded | None = None,
    totals: Mapping[TotalKey, int] | None = None,
    issuer_kind: str = "enterprise",
) -> Decision:
    record = outcome() if record is None else record
    decision = compile_rulebook(standards).evaluate(record, issuer_kind, totals or {})
    sealed = SealedEntry(msgspec.structs.replace(record, award=decision.award))
    assert open_entry(sealed.body) == sealed.entry
    return decision


def awarded(decision: Decision) -> Award:
    assert decision.award is not None
    return decision.award


def credits(decision: Decision) -> str:
    return awarded(decision).credits


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


def keys(
    learner: str = LEARNER, issuer: str = "acme-training", period: str = "2026-01-01"
) -> tuple[TotalKey, TotalKey, TotalKey]:
    return (
        (learner, "category_year", CATEGORY, period),
        (learner, "issuer_year", f"{CATEGORY}|{issuer}", period),
        (learner, "lifetime", CATEGORY, ""),
    )


def test_deltas_go_to_all_three_totals_even_without_caps() -> None:
    """Credits > 0 are added to the category-year, issuer-year and lifetime totals."""
    decision = decide([standard()], outcome(hours="32.0"))
    category_year, issuer_year, lifetime = keys()
    assert decision.deltas == ((category_year, 200), (issuer_year, 200), (lifetime, 200))


def test_category_year_cap() -> None:
    """per_category_per_year leaves only the room the year's category total allows."""
    capped = standard(caps=Caps(per_category_per_year=D("3")))
    category_year, _, _ = keys()
    decision = decide([capped], outcome(hours="32.0"), {category_year: 250})
    assert decision.award is not None
    assert (decision.award.credits, decision.award.basis.computed) == ("0.50", "2.00")
    assert decision.award.basis.cap == "per_category_per_year"
    assert decision.award.basis.cap_year_start == datetime.date(2026, 1, 1)
    assert [amount for _, amount in decision.deltas] == [50, 50, 50]
    # Last year's total does not count against this year.
    last_year = (LEARNER, "category_year", CATEGORY, "2025-01-01")
    assert credits(decide([capped], outcome(hours="32.0"), {last_year: 300})) == "2.00"


def test_issuer_year_cap() -> None:
    """per_issuer_per_year counts one issuer's outcomes; another issuer has its own room."""
    capped = standard(caps=Caps(per_issuer_per_year=D("2.5")))
    _, issuer_year, _ = keys()
    decision = decide([capped], outcome(hours="32.0"), {issuer_year: 100})
    assert decision.award is not None
    assert (decision.award.credits, decision.award.basis.cap) == ("1.50", "per_issuer_per_year")
    assert decision.award.basis.cap_year_start == datetime.date(2026, 1, 1)
    other = decide([capped], outcome(hours="32.0", issuer_id="other-school"), {issuer_year: 100})
    assert credits(other) == "2.00"


def test_lifetime_cap_spans_years_and_sets_no_year() -> None:
    """lifetime counts every year; the basis then names no cap year."""
    capped = standard(caps=Caps(lifetime=D("10")))
    _, _, lifetime = keys()
    decision = decide([capped], outcome(hours="32.0"), {lifetime: 900})
    assert decision.award is not None
    assert (decision.award.credits, decision.award.basis.cap) == ("1.00", "lifetime")
    assert decision.award.basis.cap_year_start is None


def test_exhausted_cap_gives_zero_and_no_deltas() -> None:
    """A total at or over the cap gives 0.00, names the cap and adds nothing."""
    capped = standard(caps=Caps(per_category_per_year=D("3"), lifetime=D("3")))
    category_year, _, lifetime = keys()
    decision = decide([capped], outcome(), {category_year: 400, lifetime: 500})
    assert decision.award is not None
    assert (decision.award.credits, decision.award.basis.cap) == ("0.00", "per_category_per_year")
    assert decision.deltas == ()


def test_equal_remainders_name_the_first_cap() -> None:
    """When two caps leave the same room, the first in order is named."""
    capped = standard(
        max_per_outcome=D("1"),
        caps=Caps(per_category_per_year=D("5"), per_issuer_per_year=D("5"), lifetime=D("5")),
    )
    category_year, issuer_year, lifetime = keys()
    totals = {category_year: 450, issuer_year: 450, lifetime: 450}
    decision = decide([capped], outcome(), totals)
    assert decision.award is not None
    assert (decision.award.credits, decision.award.basis.cap) == ("0.50", "per_category_per_year")
    # Room equal to the per-outcome maximum leaves per_outcome named.
    totals = {category_year: 400, issuer_year: 400, lifetime: 400}
    assert awarded(decide([capped], outcome(), totals)).basis.cap == "per_outcome"


def test_the_smallest_room_binds() -> None:
    """The cap with the least room decides, whatever its place in the order."""
    capped = standard(
        caps=Caps(per_category_per_year=D("10"), per_issuer_per_year=D("10"), lifetime=D("10"))
    )
    category_year, issuer_year, lifetime = keys()
    decision = decide([capped], outcome(), {category_year: 500, issuer_year: 700, lifetime: 950})
    assert decision.award is not None
    assert (decision.award.credits, decision.award.basis.cap) == ("0.50", "lifetime")


@pytest.mark.parametrize(
    ("day", "start"),
    [
        (datetime.date(2026, 2, 28), datetime.date(2025, 3, 1)),
        (datetime.date(2028, 2, 29), datetime.date(2027, 3, 1)),
        (datetime.date(2028, 3, 1), datetime.date(2028, 3, 1)),
        (datetime.date(2026, 3, 1), datetime.date(2026, 3, 1)),
        (datetime.date(2026, 12, 31), datetime.date(2026, 3, 1)),
    ],
)
def test_cap_year_starting_on_1_march(day: datetime.date, start: datetime.date) -> None:
    """A cap year from 1 March: 28/29 February belong to the year before, 1 March starts one."""
    assert cap_year_start(day, "03-01") == start
    capped = standard(caps=Caps(per_category_per_year=D("3"), year_starts="03-01"))
    period = start.isoformat()
    totals = {(LEARNER, "category_year", CATEGORY, period): 200}
    decision = decide([capped], outcome(completed_on=day), totals)
    assert decision.award is not None
    assert (decision.award.credits, decision.award.basis.cap_year_start) == ("1.00", start)
    assert decision.deltas[0][0] == (LEARNER, "category_year", CATEGORY, period)
    assert decision.deltas[1][0][3] == period


@pytest.mark.parametrize("year_starts", ["02-29", "13-01", "04-31", "3-1", "00-10"])
def test_cap_year_must_start_on_a_day_of_every_year(year_starts: str) -> None:
    """year_starts must be MM-DD naming a day every year has; 29 February is refused."""
    with pytest.raises(MalformedError):
        cap_year_start(datetime.date(2026, 1, 1), year_starts)
    with pytest.raises(StandardInvalidError, match=r"safety@1\]\.caps\.year_starts"):
        compile_rulebook([standard(caps=Caps(year_starts=year_starts))])


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
