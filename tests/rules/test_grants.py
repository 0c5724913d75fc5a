"""Grants by accreditation staff against the caps (pure): never over a cap, never negative,
refused with the cap that binds, and the caps' standard chosen as the engine would choose."""

from __future__ import annotations

import datetime
import decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import CapExceededError, MalformedError
from creditbank.rules.arithmetic import cap_year_start
from creditbank.rules.engine import compile_rulebook
from creditbank.rules.grants import GrantTarget, caps_standard, plan_grant
from schemas.entries import OutcomeRecorded
from schemas.standards import AppliesTo, Caps, FixedAward, Standard

D = decimal.Decimal
LEARNER = "a" * 64
TARGET = GrantTarget(LEARNER, "east-school", datetime.date(2026, 2, 10))
GRANTS = settings(max_examples=200, deadline=None)


def hundredths(value: int) -> D:
    return D(value) / 100


def standard(
    standard_id: str = "community",
    version: int = 1,
    *,
    category: str = "community.culture",
    precedence: int = 0,
    effective_from: datetime.date = datetime.date(2020, 1, 1),
    effective_until: datetime.date | None = None,
    caps: Caps | None = None,
    max_per_outcome: D | None = None,
) -> Standard:
    return Standard(
        id=standard_id,
        version=version,
        title="社区教育",
        category=category,
        effective_from=effective_from,
        effective_until=effective_until,
        applies_to=AppliesTo(outcome_types=["community_course"]),
        award=FixedAward(credits=D(1)),
        caps=caps or Caps(),
        max_per_outcome=max_per_outcome,
        precedence=precedence,
    )


optional_caps = st.none() | st.integers(0, 1_000)


@GRANTS
@given(
    credits=st.integers(1, 1_200),
    per_outcome=optional_caps,
    per_year=optional_caps,
    per_issuer=optional_caps,
    lifetime=optional_caps,
    used=st.tuples(st.integers(0, 900), st.integers(0, 900), st.integers(0, 900)),
    year_starts=st.sampled_from(["01-01", "03-01", "09-01"]),
)
def test_a_grant_fits_every_cap_or_is_refused_naming_one_that_binds(
    credits: int,
    per_outcome: int | None,
    per_year: int | None,
    per_issuer: int | None,
    lifetime: int | None,
    used: tuple[int, int, int],
    year_starts: str,
) -> None:
    """Granted: the totals plus the grant stay within every cap and the deltas are the
    credits, positive, in the cap year the standard says. Refused: the named cap is one the
    grant would pass, and what is said to fit is exactly what that cap leaves."""
    caps = Caps(
        per_category_per_year=None if per_year is None else hundredths(per_year),
        per_issuer_per_year=None if per_issuer is None else hundredths(per_issuer),
        lifetime=None if lifetime is None else hundredths(lifetime),
        year_starts=year_starts,
    )
    document = standard(
        caps=caps, max_per_outcome=None if per_outcome is None else hundredths(per_outcome)
    )
    start = cap_year_start(TARGET.completed_on, year_starts)
    period = start.isoformat()
    keys = (
        (LEARNER, "category_year", "community.culture", period),
        (LEARNER, "issuer_year", "community.culture|east-school", period),
        (LEARNER, "lifetime", "community.culture", ""),
    )
    totals = dict(zip(keys, used, strict=True))
    limits = {
        "per_outcome": (per_outcome, 0),
        "per_category_per_year": (per_year, used[0]),
        "per_issuer_per_year": (per_issuer, used[1]),
        "lifetime": (lifetime, used[2]),
    }
    refused: CapExceededError | None = None
    try:
        plan = plan_grant(TARGET, credits, "community.culture", document, totals)
    except CapExceededError as error:
        refused = error
    if refused is not None:
        limit, spent = limits[refused.cap]
        assert limit is not None
        assert spent + credits > limit
        assert refused.remaining == max(limit - spent, 0)
        for earlier in list(limits)[: list(limits).index(refused.cap)]:  # the first that binds
            bound, before = limits[earlier]
            assert bound is None or before + credits <= bound
        return
    for limit, spent in limits.values():
        assert limit is None or spent + credits <= limit
    assert plan.deltas == tuple((key, credits) for key in keys)
    assert plan.cap_year_start == start
    assert plan.caps == "community@1"


@GRANTS
@given(credits=st.integers(-5, 0) | st.integers(99_999_900 + 100, 10**9))
def test_nothing_or_too_much_is_refused_as_malformed(credits: int) -> None:
    """A grant of no credits, fewer than none, or more than an entry can hold is malformed."""
    with pytest.raises(MalformedError):
        plan_grant(TARGET, credits, "community.culture", None, {})


def test_without_a_standard_the_calendar_year_and_no_caps_apply() -> None:
    """No standard in the category: any amount fits, counted in the calendar year."""
    plan = plan_grant(TARGET, 99_999_999, "community.health", None, {})
    assert plan.caps is None
    assert plan.cap_year_start == datetime.date(2026, 1, 1)
    assert plan.deltas[0] == (
        (LEARNER, "category_year", "community.health", "2026-01-01"),
        99_999_999,
    )


def test_a_named_standard_of_another_category_is_refused() -> None:
    """The caps are a category's: a grant in another category cannot borrow them."""
    with pytest.raises(MalformedError) as refused:
        plan_grant(TARGET, 100, "vocational.safety", standard(), {})
    assert refused.value.field == "category"


days = st.dates(datetime.date(2019, 1, 1), datetime.date(2027, 12, 31))
generated_standards = st.builds(
    standard,
    standard_id=st.sampled_from(["a", "b", "c"]),
    version=st.integers(1, 3),
    category=st.sampled_from(["community.culture", "community.health"]),
    precedence=st.integers(0, 2),
    effective_from=days,
    effective_until=st.none() | days,
)


@GRANTS
@given(
    # One document per id@version, as in a log (validation refuses a second publication).
    documents=st.lists(generated_standards, max_size=8, unique_by=lambda d: (d.id, d.version)),
    day=days,
)
def test_the_caps_standard_is_the_engines_choice_within_the_category(
    documents: list[Standard], day: datetime.date
) -> None:
    """A naive reading of the rule: of the category's versions in force on the day, keep each
    id's highest version; the highest precedence wins, then the smallest id."""
    chosen = caps_standard(documents, "community.culture", day)
    in_force = [
        d
        for d in documents
        if d.category == "community.culture"
        and d.effective_from <= day
        and (d.effective_until is None or day <= d.effective_until)
    ]
    newest = {
        d.id: d for d in in_force if all(d.version >= o.version for o in in_force if o.id == d.id)
    }
    if not newest:
        assert chosen is None
        return
    best = sorted(newest.values(), key=lambda d: (-d.precedence, d.id))[0]
    assert chosen == best


def test_granted_deltas_match_what_the_engine_adds_for_the_same_amount() -> None:
    """A grant counts in the same three totals, with the same keys and amount, as the engine's
    award of those credits to the same outcome under the same standard."""
    document = standard(caps=Caps(year_starts="09-01"))
    outcome = OutcomeRecorded(
        issuer_id=TARGET.issuer_id,
        record_id="R-1",
        learner_ref=LEARNER,
        outcome_type="community_course",
        course_code="ART-1",
        course_title="书法",
        hours="16.0",
        result="passed",
        completed_on=TARGET.completed_on,
        recorded_at="2026-03-01T00:00:00Z",
    )
    decision = compile_rulebook([document]).evaluate(outcome, "community_school", {})
    assert decision.award is not None
    plan = plan_grant(TARGET, 100, "community.culture", document, {})
    assert plan.deltas == decision.deltas
