"""The pure rules of recognition and revocation, against naive oracles (hypothesis)."""

from __future__ import annotations

import calendar
import datetime
import decimal

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.learners.recognition import (
    Candidate,
    Grant,
    Refusal,
    add_months,
    decide,
    valid_until,
)
from creditbank.rules.engine import compile_rulebook
from creditbank.rules.totals import award_deltas
from schemas.entries import OutcomeRecorded
from schemas.standards import Equivalence, Programme, Requirement, Standard
from tests.rules.test_engine_properties import outcomes, run, standard_lists

TODAY = datetime.date(2026, 11, 28)
PROGRAMME_ID, REQUIREMENT_ID = "prog", "req"
days = st.dates(datetime.date(2018, 1, 1), datetime.date(2026, 11, 28))

candidates = st.builds(
    Candidate,
    index=st.integers(0, 10_000),
    standard_id=st.sampled_from(["safety", "first-aid", "other"]),
    category=st.sampled_from(["vocational.safety", "health", "arts"]),
    credits=st.integers(0, 400),
    completed_on=days,
    valid_until=st.none() | days,
    revoked=st.booleans(),
    used_for=st.sampled_from(
        [frozenset(), frozenset({(PROGRAMME_ID, REQUIREMENT_ID)}), frozenset({("x", "y")})]
    ),
)


@st.composite
def requirements(draw: st.DrawFn) -> Requirement:
    return Requirement(
        id=REQUIREMENT_ID,
        title="要求",
        credits_granted=decimal.Decimal("2"),
        satisfied_by=Equivalence(
            standards=draw(st.lists(st.sampled_from(["safety", "first-aid"]), unique=True)),
            categories=draw(
                st.lists(st.sampled_from(["vocational.safety", "health"]), unique=True)
            ),
            min_credits=decimal.Decimal(draw(st.integers(1, 800))) / 100,
            max_age_months=draw(st.none() | st.integers(1, 60)),
        ),
    )


def programme_with(requirement: Requirement) -> Programme:
    return Programme(
        id=PROGRAMME_ID,
        version=1,
        institution="开放大学",
        title="专业",
        effective_from=datetime.date(2020, 1, 1),
        requirements=[requirement],
    )


def eligible(candidate: Candidate, requirement: Requirement) -> bool:
    """The rule, said plainly."""
    rule = requirement.satisfied_by
    oldest = None
    if rule.max_age_months is not None:
        oldest = add_months(TODAY, -rule.max_age_months)
    return (
        candidate.credits > 0
        and (candidate.standard_id in rule.standards or candidate.category in rule.categories)
        and not candidate.revoked
        and (PROGRAMME_ID, REQUIREMENT_ID) not in candidate.used_for
        and (candidate.valid_until is None or candidate.valid_until >= TODAY)
        and (oldest is None or candidate.completed_on >= oldest)
    )


@settings(max_examples=300)
@given(requirements(), st.lists(candidates, max_size=12, unique_by=lambda c: c.index))
def test_a_grant_uses_only_eligible_outcomes_and_just_enough_of_them(
    requirement: Requirement, pool: list[Candidate]
) -> None:
    """``decide`` reports the credits of the eligible candidates, refuses with not_enough_credits
    when they fall short, and otherwise grants only eligible ones, oldest first, stopping at the
    minimum."""
    decision = decide(programme_with(requirement), requirement, pool, today=TODAY)
    usable = [candidate for candidate in pool if eligible(candidate, requirement)]
    required = int(requirement.satisfied_by.min_credits * 100)
    available = sum(candidate.credits for candidate in usable)
    assert decision.credits_available == available
    if available < required or not usable:
        assert isinstance(decision, Refusal)
        assert decision.reason == "not_enough_credits"
        return
    assert isinstance(decision, Grant)
    by_index = {candidate.index: candidate for candidate in pool}
    chosen = [by_index[index] for index in decision.outcomes]
    assert all(eligible(candidate, requirement) for candidate in chosen)
    assert decision.credits_used == sum(candidate.credits for candidate in chosen) >= required
    # The oldest first, and not one more than needed: without the newest chosen, too few.
    newest = max(chosen, key=lambda c: (c.completed_on, c.index))
    assert decision.credits_used - newest.credits < required
    left_out = [c for c in usable if c.index not in decision.outcomes]
    assert all((c.completed_on, c.index) > (newest.completed_on, newest.index) for c in left_out)


@given(days, st.integers(-600, 600))
def test_add_months_keeps_the_day_or_the_month_end(day: datetime.date, months: int) -> None:
    """``add_months`` moves exactly that many calendar months and keeps the day of the month, or the
    month's last day when the target month is shorter."""
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    last = calendar.monthrange(moved.year, moved.month)[1]
    assert moved.day == min(day.day, last)


@given(days, st.integers(1, 1200))
def test_valid_until_is_the_day_before_the_anniversary(day: datetime.date, months: int) -> None:
    """``valid_until`` is the day before the completion day recurs that many months later, and None
    without a validity period."""
    until = valid_until(day, months)
    assert until is not None
    assert until + datetime.timedelta(days=1) == add_months(day, months)
    assert valid_until(day, None) is None


@settings(max_examples=150)
@given(standard_lists(), st.lists(outcomes(), max_size=15))
def test_revocation_takes_back_exactly_what_recording_added(
    standards: list[Standard], records: list[OutcomeRecorded]
) -> None:
    """award_deltas rebuilds, from the entry and its standard, the engine's own deltas."""
    book = compile_rulebook(standards)
    by_name = {f"{s.id}@{s.version}": s for s in standards}
    for record, decision in zip(records, run(book, records, {}), strict=True):
        if decision.award is None:
            assert decision.deltas == ()
            continue
        entry = msgspec.structs.replace(record, award=decision.award)
        assert award_deltas(entry, by_name[decision.award.standard]) == decision.deltas
