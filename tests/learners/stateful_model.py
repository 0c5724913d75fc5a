"""The plain-Python model behind the stateful ledger test (``test_stateful.py``).

What the runs draw from (two learners, course hours, completion dates around the requirements'
windows), the model's record of each outcome and recognition, and the recognition rules of
``creditbank/recognition.py`` written out again over that record: ``ModelDecisions`` says what
the bank must decide for an application and checks the decision the bank made against it.
Nothing here touches a database; ``stateful_machine.py`` drives the bank and keeps the model.
"""

from __future__ import annotations

import calendar
import datetime
import decimal
from dataclasses import dataclass, field

from hypothesis import event
from hypothesis import strategies as st

from creditbank.rules.arithmetic import credits_text
from schemas.learners import RequirementDecision
from tests.learners.seed import PROGRAMME, SAFETY, TODAY


def months_back(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` earlier, clamped to the end of a shorter month."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, _days_in(year, month + 1)))


def _days_in(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


LEARNERS = (1, 2)
HOURS = ("16.0", "8.0", "24.0", "40.0", "4.0")  # 1.00, 0.50, 1.50, 2.50 and 0.00 credits
COURSES = ("SAFE-101", "SAFE-202", "SAFE-303", "MATH-101")  # MATH: no standard applies
REQUIREMENTS = {requirement.id: requirement for requirement in PROGRAMME.requirements}
REASONS = ("录入错误", "证书作废")
# Dates on either side of the elective's 24-month window and of SAFETY's 36-month validity.
EDGES = [
    months_back(TODAY, months) + datetime.timedelta(days=shift)
    for months in (24, 36)
    for shift in (-1, 0, 1)
] + [TODAY]
COMPLETIONS = st.one_of(
    st.dates(min_value=months_back(TODAY, 24), max_value=TODAY),  # good for both requirements
    st.dates(min_value=months_back(TODAY, 48), max_value=TODAY),  # a quarter past validity
    st.sampled_from(EDGES),
)
DEPOSITS = st.lists(
    st.tuples(st.sampled_from(HOURS), COMPLETIONS, st.sampled_from(COURSES)),
    min_size=1,
    max_size=3,
)
Deposits = list[tuple[str, datetime.date, str]]


# The model -------------------------------------------------------------------------------------


@dataclass
class ModelOutcome:
    index: int  # its outcome.recorded entry
    learner: int
    record_id: str
    credits: int  # hundredths; 0 without an award
    awarded: bool  # a standard applied (SAFETY: the course code is SAFE-*)
    completed_on: datetime.date
    revoked: bool = False
    granted: bool = False  # accreditation staff granted it credits later (not awarded)
    named: bool = False  # the grant named SAFETY as its basis: its validity applies

    @property
    def under_safety(self) -> bool:
        """Its credits count as SAFETY's: for the standard's requirement and its validity."""
        return self.awarded or self.named


@dataclass
class ModelRecognition:
    index: int  # its recognition.granted entry
    learner: int
    requirement: str
    outcomes: tuple[int, ...]
    credits_used: int  # hundredths
    reversal: tuple[int, str] | None = None  # the recognition.reversed entry and its cause

    @property
    def reversed(self) -> bool:
        return self.reversal is not None


@dataclass
class Expected:
    """What the model says one requirement's decision must be."""

    status: str
    reason: str | None
    outcomes: tuple[int, ...] = ()
    used: int = 0
    available: int = 0
    excluded: dict[str, int] = field(default_factory=dict)


def model_credits(hours: str, course: str) -> int:
    if not course.startswith("SAFE-"):
        return 0
    units = decimal.Decimal(hours) / decimal.Decimal(16) / decimal.Decimal("0.5")
    return int(units.to_integral_value(rounding=decimal.ROUND_FLOOR)) * 50


def counts_on(completed_on: datetime.date) -> bool:
    """Within SAFETY's validity today: the completion day has not recurred 36 months later."""
    assert SAFETY.validity_months == 36
    return completed_on > months_back(TODAY, 36)


def model_status(item: ModelOutcome) -> str:
    if item.revoked:
        return "revoked"
    # An outcome no standard applied to (and whose grant named none) has no validity to run out.
    return "valid" if not item.under_safety or counts_on(item.completed_on) else "expired"


def young_enough(completed_on: datetime.date, max_age_months: int | None) -> bool:
    return max_age_months is None or completed_on >= months_back(TODAY, max_age_months)


# The model's decision --------------------------------------------------------------------------


class ModelDecisions:
    """The model's decision for an application, and the check of the bank's against it.

    Mixed into ``LedgerMachine``, which keeps ``model_outcomes`` and ``model_recognitions``.
    """

    model_outcomes: list[ModelOutcome]
    model_recognitions: list[ModelRecognition]

    def expected_decision(self, learner: int, requirement_id: str) -> Expected:
        """creditbank/recognition.py's rules, written out again over the model."""
        if any(
            grant.learner == learner and grant.requirement == requirement_id and not grant.reversed
            for grant in self.model_recognitions
        ):
            return Expected(status="refused", reason="already_recognised")
        rule_ = REQUIREMENTS[requirement_id].satisfied_by
        required = int(rule_.min_credits * 100)
        used = self.used_for(requirement_id)
        excluded = {"too_old": 0, "expired": 0, "already_used": 0, "revoked": 0}
        usable = []
        for item in self.model_outcomes:
            if item.learner != learner or item.credits <= 0:
                continue
            if rule_.standards and not item.under_safety:
                continue  # a grant naming no standard matches the category requirement only
            if item.revoked:
                excluded["revoked"] += 1
            elif item.index in used:
                excluded["already_used"] += 1
            elif item.under_safety and not counts_on(item.completed_on):
                excluded["expired"] += 1
            elif not young_enough(item.completed_on, rule_.max_age_months):
                excluded["too_old"] += 1
            else:
                usable.append(item)
        available = sum(item.credits for item in usable)
        if available < required:
            return Expected(
                status="refused",
                reason="not_enough_credits",
                available=available,
                excluded=excluded,
            )
        chosen, total = [], 0
        for item in sorted(usable, key=lambda item: (item.completed_on, item.index)):
            chosen.append(item.index)
            total += item.credits
            if total >= required:
                break
        return Expected(
            status="granted",
            reason=None,
            outcomes=tuple(sorted(chosen)),
            used=total,
            available=available,
            excluded=excluded,
        )

    def used_for(self, requirement_id: str) -> set[int]:
        return {
            index
            for grant in self.model_recognitions
            if grant.requirement == requirement_id and not grant.reversed
            for index in grant.outcomes
        }

    def check_decision(self, learner: int, decision: RequirementDecision, want: Expected) -> None:
        got = (decision.status, decision.reason)
        assert got == (want.status, want.reason), (decision, want)
        rule_ = REQUIREMENTS[decision.requirement_id].satisfied_by
        assert decision.credits_required == credits_text(int(rule_.min_credits * 100))
        event(f"apply: {want.reason or 'granted'} ({decision.requirement_id})")
        if want.reason == "already_recognised":
            return
        for reason, count in want.excluded.items():
            if count:
                event(f"apply: excluded as {reason}")
        assert decision.credits_available == credits_text(want.available), (decision, want)
        assert {
            "too_old": decision.excluded.too_old,
            "expired": decision.excluded.expired,
            "already_used": decision.excluded.already_used,
            "revoked": decision.excluded.revoked,
        } == want.excluded, (decision, want)
        if want.status != "granted":
            assert decision.index is None
            return
        assert tuple(decision.outcomes) == want.outcomes, (decision, want)
        assert decision.credits_granted == credits_text(
            int(REQUIREMENTS[decision.requirement_id].credits_granted * 100)
        )
        # Every outcome the bank chose is, in the model, the learner's, live, fresh and unused.
        max_age = REQUIREMENTS[decision.requirement_id].satisfied_by.max_age_months
        by_index = {item.index: item for item in self.model_outcomes}
        used = self.used_for(decision.requirement_id)
        for index in decision.outcomes:
            item = by_index[index]
            assert item.learner == learner
            assert item.credits > 0
            assert not item.revoked
            assert index not in used
            assert not item.under_safety or counts_on(item.completed_on)
            assert young_enough(item.completed_on, max_age)
