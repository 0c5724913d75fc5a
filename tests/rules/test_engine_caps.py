"""The rules engine's caps: category, issuer and lifetime totals, and cap years."""

from __future__ import annotations

import datetime

import pytest

from creditbank.errors import MalformedError, StandardInvalidError
from creditbank.rules import (
    TotalKey,
    cap_year_start,
    compile_rulebook,
)
from schemas.standards import (
    Caps,
)
from tests.rules.engine_fixtures import (
    CATEGORY,
    LEARNER,
    D,
    awarded,
    credits,
    decide,
    outcome,
    standard,
)


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
