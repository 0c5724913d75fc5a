"""Properties of the rules engine over generated standards and outcomes: bounds, caps in any
order, rounding against an independent fractions oracle, determinism, dates and sealing."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Sequence
from fractions import Fraction
from unittest import mock

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.ledger.entries import SealedEntry, open_entry
from creditbank.rules import Decision, RuleBook, TotalKey, compile_rulebook, parse_credits
from schemas.entries import OutcomeRecorded
from schemas.standards import (
    AppliesTo,
    Caps,
    FixedAward,
    LevelRow,
    LevelTableAward,
    PerHoursAward,
    Requirements,
    Standard,
    StandardAward,
)
from schemas.types import OutcomeType

D = decimal.Decimal
OUTCOME_TYPES: list[OutcomeType] = ["enterprise_training", "community_course"]
ISSUER_KINDS = {"acme": "enterprise", "east-school": "community_school"}
LEARNERS = ["a" * 64, "b" * 64, "c" * 64]
COURSES = ["SAFE-101", "SAFE-202", "VC-WELD-L3", "VC-CNC-L2", "安全-1", "A.B[1]"]
PATTERNS = ["SAFE-*", "VC-*-L3", "VC-???-L2", "安全-?", "A.B[1]", "*"]
EARLIEST_EFFECTIVE = datetime.date(2024, 1, 1)
# Enough examples to find the corners, few enough to run in seconds on two cores.
RULES = settings(max_examples=150, deadline=None)


def tenths_text(tenths: int) -> str:
    return f"{tenths // 10}.{tenths % 10}"


def tenths_decimal(tenths: int) -> decimal.Decimal:
    return D(tenths_text(tenths))


def decimal_of(hundredths: int) -> decimal.Decimal:
    return D(f"{hundredths // 100}.{hundredths % 100:02d}")


amounts = st.integers(0, 1_500).map(decimal_of)
cap_amounts = st.integers(0, 800).map(decimal_of)
optional_amounts = st.none() | amounts
# Steps that are whole hundredths, so "a multiple of the step" is exact in the entry.
steps = st.sampled_from(["0.01", "0.05", "0.1", "0.25", "0.5", "1", "2.5"]).map(D)

per_hours_awards = st.builds(
    PerHoursAward,
    hours_per_unit=st.integers(1, 1_000).map(tenths_decimal),
    credits_per_unit=st.integers(1, 500).map(decimal_of),
    rounding_step=steps,
    rounding=st.sampled_from(["down", "half_up"]),
)
fixed_awards = st.builds(FixedAward, credits=amounts)
table_awards = st.builds(
    LevelTableAward,
    levels=st.lists(
        st.builds(
            LevelRow,
            level=st.sampled_from(["初级", "中级", "高级", "L4"]),
            course_codes=st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=2),
            credits=amounts,
        ),
        min_size=1,
        max_size=3,
    ),
)
awards: st.SearchStrategy[StandardAward] = per_hours_awards | fixed_awards | table_awards
requirements = st.builds(
    Requirements,
    results=st.sampled_from([["passed"], ["passed", "completed"]]),
    # Mostly no minimum, so that most outcomes earn something and the caps get to bind.
    min_hours=st.one_of(st.none(), st.none(), st.integers(0, 200).map(tenths_decimal)),
    min_score=st.one_of(st.none(), st.none(), st.integers(0, 1000).map(tenths_decimal)),
)
caps = st.builds(
    Caps,
    per_category_per_year=st.none() | cap_amounts,
    per_issuer_per_year=st.none() | cap_amounts,
    lifetime=st.none() | cap_amounts,
    year_starts=st.sampled_from(["01-01", "03-01", "09-01"]),
)


@st.composite
def standards(draw: st.DrawFn, index: int) -> Standard:
    """One standard in its own category, so every cap governs totals only it writes."""
    start = draw(st.dates(EARLIEST_EFFECTIVE, datetime.date(2025, 12, 31)))
    ends = draw(st.integers(0, 3)) == 0
    until = draw(st.dates(start, datetime.date(2027, 12, 31))) if ends else None
    return Standard(
        id=f"s{index}",
        version=draw(st.integers(1, 3)),
        title="标准",
        category=f"cat.c{index}",
        effective_from=start,
        effective_until=until,
        applies_to=AppliesTo(
            outcome_types=draw(st.sampled_from([OUTCOME_TYPES, OUTCOME_TYPES[:1]])),
            course_codes=draw(st.just([]) | st.lists(st.sampled_from(PATTERNS), max_size=2)),
        ),
        requires=draw(requirements),
        award=draw(awards),
        max_per_outcome=draw(optional_amounts),
        caps=draw(caps),
        precedence=draw(st.integers(0, 3)),
    )


@st.composite
def standard_lists(draw: st.DrawFn) -> list[Standard]:
    count = draw(st.integers(1, 3))
    return [draw(standards(index)) for index in range(count)]


TWO_YEARS = st.dates(datetime.date(2025, 6, 1), datetime.date(2027, 6, 1))


def outcomes(
    days: st.SearchStrategy[datetime.date] = TWO_YEARS,
) -> st.SearchStrategy[OutcomeRecorded]:
    return st.builds(
        OutcomeRecorded,
        issuer_id=st.sampled_from(sorted(ISSUER_KINDS)),
        record_id=st.integers(0, 10**6).map(lambda serial: f"R-{serial}"),
        learner_ref=st.sampled_from(LEARNERS),
        outcome_type=st.sampled_from(OUTCOME_TYPES),
        course_code=st.sampled_from(COURSES),
        course_title=st.just("课程"),
        hours=st.integers(0, 2_000).map(tenths_text),
        result=st.sampled_from(["passed", "passed", "passed", "completed", "failed"]),
        score=st.none() | st.integers(0, 1000).map(tenths_text),
        completed_on=days,
        recorded_at=st.just("2027-07-01T00:00:00Z"),
    )


def run(
    book: RuleBook, records: Sequence[OutcomeRecorded], totals: dict[TotalKey, int]
) -> list[Decision]:
    """Evaluate in order, adding each decision's deltas to the totals as an import would."""
    decisions = []
    for record in records:
        decision = book.evaluate(record, ISSUER_KINDS[record.issuer_id], totals)
        for key, amount in decision.deltas:
            totals[key] = totals.get(key, 0) + amount
        decisions.append(decision)
    return decisions


def cap_for(standard: Standard, scope: str) -> decimal.Decimal | None:
    limits = {
        "category_year": standard.caps.per_category_per_year,
        "issuer_year": standard.caps.per_issuer_per_year,
        "lifetime": standard.caps.lifetime,
    }
    return limits[scope]


def hundredths(value: decimal.Decimal) -> int:
    return int(value * 100)  # the generated amounts are whole hundredths


@RULES
@given(standard_lists(), st.lists(outcomes(), max_size=30), st.data())
def test_awards_stay_within_every_bound_in_any_order(
    chosen: list[Standard], records: list[OutcomeRecorded], data: st.DataObject
) -> None:
    """Awards are never negative, never above max_per_outcome, and totals never pass a cap."""
    book = compile_rulebook(chosen)
    by_category = {standard.category: standard for standard in chosen}
    for order in (records, data.draw(st.permutations(records))):
        totals: dict[TotalKey, int] = {}
        for record, decision in zip(order, run(book, order, totals), strict=True):
            if decision.award is None:
                assert decision.deltas == ()
                continue
            standard = by_category[decision.award.category]
            awarded = parse_credits(decision.award.credits)
            assert 0 <= awarded <= parse_credits(decision.award.basis.computed)
            if standard.max_per_outcome is not None:
                assert awarded <= hundredths(standard.max_per_outcome)
            assert [amount for _, amount in decision.deltas] == ([awarded] * 3 if awarded else [])
            assert all(key[0] == record.learner_ref for key, _ in decision.deltas)
        for (_, scope, subject, _), total in totals.items():
            cap = cap_for(by_category[subject.split("|")[0]], scope)
            assert cap is None or total <= hundredths(cap), (scope, subject, total)


def oracle(award: PerHoursAward, hours: str, maximum: decimal.Decimal | None) -> int:
    """The per-hours amount in hundredths, computed independently with fractions."""
    raw = Fraction(hours) / Fraction(award.hours_per_unit) * Fraction(award.credits_per_unit)
    step = Fraction(award.rounding_step)
    steps = raw / step
    rounded = int(steps // 1) if award.rounding == "down" else int((steps + Fraction(1, 2)) // 1)
    amount = int(rounded * step * 100 // 1)
    return amount if maximum is None else min(amount, hundredths(maximum))


@RULES
@given(
    per_hours_awards,
    optional_amounts,
    caps,
    st.lists(outcomes(), min_size=1, max_size=10),
)
def test_per_hours_rounding_follows_the_step(
    award: PerHoursAward,
    maximum: decimal.Decimal | None,
    limits: Caps,
    records: list[OutcomeRecorded],
) -> None:
    """computed equals a fractions oracle; credits are a multiple of the step unless capped."""
    one = Standard(
        id="hours",
        version=1,
        title="按学时",
        category="cat.hours",
        effective_from=EARLIEST_EFFECTIVE,
        applies_to=AppliesTo(outcome_types=OUTCOME_TYPES),
        requires=Requirements(results=["passed", "completed"]),
        award=award,
        max_per_outcome=maximum,
        caps=limits,
    )
    step = hundredths(award.rounding_step)
    for record, decision in zip(records, run(compile_rulebook([one]), records, {}), strict=True):
        assert decision.award is not None
        basis = decision.award.basis
        if record.result == "failed":
            assert (basis.unmet, basis.computed, decision.deltas) == ("result", "0.00", ())
            continue
        assert parse_credits(basis.computed) == oracle(award, record.hours, maximum)
        if basis.cap is None:
            assert parse_credits(decision.award.credits) % step == 0
            assert decision.award.credits == basis.computed


@RULES
@given(standard_lists(), st.lists(outcomes(), max_size=20))
def test_evaluation_is_deterministic(
    chosen: list[Standard], records: list[OutcomeRecorded]
) -> None:
    """Two rule books from the same standards, in any input order, decide byte for byte alike."""
    first = run(compile_rulebook(chosen), records, {})
    second = run(compile_rulebook(list(reversed(chosen))), records, {})
    again = run(compile_rulebook(chosen), records, {})
    encode = msgspec.json.encode
    assert encode([d.award for d in first]) == encode([d.award for d in second])
    assert encode([d.award for d in first]) == encode([d.award for d in again])
    assert [d.deltas for d in first] == [d.deltas for d in second] == [d.deltas for d in again]


@RULES
@given(standard_lists(), outcomes(st.dates(datetime.date(2000, 1, 1), datetime.date(2023, 12, 31))))
def test_outside_every_standards_dates_earns_nothing(
    chosen: list[Standard], record: OutcomeRecorded
) -> None:
    """An outcome completed before every standard took effect gets no award and no deltas."""
    book = compile_rulebook(chosen)
    assert book.evaluate(record, ISSUER_KINDS[record.issuer_id], {}) == Decision(None, ())
    after = max(s.effective_until or datetime.date.max for s in chosen)
    if after < datetime.date.max:
        late = msgspec.structs.replace(record, completed_on=after + datetime.timedelta(days=1))
        assert book.select(late, ISSUER_KINDS[record.issuer_id]) is None


totals_of_any_size = st.dictionaries(
    st.sampled_from(["category_year", "issuer_year", "lifetime"]), st.integers(0, 10**9)
)


@RULES
@given(standard_lists(), st.lists(outcomes(), max_size=10), totals_of_any_size)
def test_every_award_seals_into_a_canonical_entry(
    chosen: list[Standard], records: list[OutcomeRecorded], existing: dict[str, int]
) -> None:
    """Whatever the totals, the award fits its schema and the entry round-trips canonically."""
    book = compile_rulebook(chosen)
    for record in records:
        totals: dict[TotalKey, int] = {}
        for standard in chosen:
            for scope, amount in existing.items():
                subject = standard.category
                if scope == "issuer_year":
                    subject = f"{subject}|{record.issuer_id}"
                starts = standard.caps.year_starts
                periods = ["", *(f"{year}-{starts}" for year in range(2024, 2028))]
                for period in periods:
                    totals[(record.learner_ref, scope, subject, period)] = amount
        decision = book.evaluate(record, ISSUER_KINDS[record.issuer_id], totals)
        sealed = SealedEntry(msgspec.structs.replace(record, award=decision.award))
        reopened = open_entry(sealed.body)
        assert reopened == sealed.entry
        assert SealedEntry(reopened).body == sealed.body


@RULES
@given(
    st.text(alphabet="ab.[*?安", min_size=1, max_size=8),
    st.text(alphabet="ab.[*?安\n", max_size=10),
)
def test_course_patterns_agree_with_the_validator(pattern: str, code: str) -> None:
    """The engine's compiled patterns match exactly what the validator's matcher matches."""
    from creditbank.rules.matching import compile_course_patterns
    from creditbank.rules.validate import pattern_matches

    assert compile_course_patterns([pattern]).matches(code) is pattern_matches(pattern, code)


@RULES
@given(standard_lists(), st.lists(outcomes(), max_size=30))
def test_full_memos_are_cleared_without_changing_decisions(
    chosen: list[Standard], records: list[OutcomeRecorded]
) -> None:
    """With every memo bounded at two entries, decisions equal those of an unbounded book."""
    unbounded = run(compile_rulebook(chosen), records, {})
    with (
        mock.patch("creditbank.rules.engine.memo_entries_max", 2),
        mock.patch("creditbank.rules.arithmetic.verdicts_cached_max", 2),
        mock.patch("creditbank.rules.matching.course_codes_cached_max", 2),
    ):
        assert run(compile_rulebook(chosen), records, {}) == unbounded
