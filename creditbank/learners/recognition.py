"""Recognition (转换): which of a learner's outcomes satisfy a programme's requirement (pure).

A requirement's equivalence rule names standards and/or categories and a minimum of credits,
optionally only from outcomes completed in the last ``max_age_months``. An outcome can count when
its award has credits under one of those standards or categories, and it is:

- not revoked,
- within its standard's validity on the day of the application,
- young enough for the rule,
- not already used toward this requirement of this programme (any version).

From those, the oldest are taken first (ties by log index) until the minimum is reached: old
outcomes are the ones about to leave the rule's window, and the choice is deterministic, so a
replay of the log makes the same one. Outcomes left over stay free for later applications.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from typing import Literal

import msgspec

from creditbank.rules.arithmetic import credits_text, hundredths_floor
from schemas.entries import RecognitionGranted
from schemas.learners import Exclusions, RequirementDecision
from schemas.standards import Programme, Requirement

__all__ = [
    "Candidate",
    "Grant",
    "Refusal",
    "add_months",
    "decide",
    "decide_application",
    "valid_until",
]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One of the learner's awarded outcomes, as recognition needs to see it."""

    index: int  # its outcome.recorded entry
    # The id (without version) of the standard that decided the award, or that a grant named.
    standard_id: str | None
    category: str
    credits: int  # hundredths
    completed_on: datetime.date
    valid_until: datetime.date | None
    revoked: bool
    used_for: frozenset[tuple[str, str]]  # (programme_id, requirement_id) it already serves


@dataclass(frozen=True, slots=True)
class Grant:
    outcomes: tuple[int, ...]
    credits_used: int  # hundredths
    credits_available: int
    excluded: Exclusions


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str  # a RequirementDecision reason code
    detail: str
    credits_available: int
    excluded: Exclusions


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or earlier), on the month's last day when it is shorter."""
    serial = day.year * 12 + day.month - 1 + months
    year, month = divmod(serial, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def valid_until(completed_on: datetime.date, validity_months: int | None) -> datetime.date | None:
    """The last day an outcome counts: the day before its completion date recurs
    ``validity_months`` later; None when its standard sets no validity."""
    if validity_months is None:
        return None
    return add_months(completed_on, validity_months) - datetime.timedelta(days=1)


def decide(
    programme: Programme,
    requirement: Requirement,
    candidates: list[Candidate],
    *,
    today: datetime.date,
) -> Grant | Refusal:
    """Whether the candidates satisfy the requirement today, and with which outcomes."""
    rule = requirement.satisfied_by
    standards, categories = frozenset(rule.standards), frozenset(rule.categories)
    use = (programme.id, requirement.id)
    oldest = None if rule.max_age_months is None else add_months(today, -rule.max_age_months)
    counts = {"too_old": 0, "expired": 0, "already_used": 0, "revoked": 0}
    usable: list[Candidate] = []
    for candidate in candidates:
        if candidate.credits <= 0 or not (
            candidate.standard_id in standards or candidate.category in categories
        ):
            continue
        if candidate.revoked:
            counts["revoked"] += 1
        elif use in candidate.used_for:
            counts["already_used"] += 1
        elif candidate.valid_until is not None and candidate.valid_until < today:
            counts["expired"] += 1
        elif oldest is not None and candidate.completed_on < oldest:
            counts["too_old"] += 1
        else:
            usable.append(candidate)
    excluded = Exclusions(**counts)
    required = hundredths_floor(rule.min_credits, "min_credits")
    available = sum(candidate.credits for candidate in usable)
    if available < required or not usable:
        return Refusal(
            reason="not_enough_credits",
            detail=_shortfall(required, available, excluded),
            credits_available=available,
            excluded=excluded,
        )
    chosen: list[int] = []
    total = 0
    for candidate in sorted(usable, key=lambda c: (c.completed_on, c.index)):
        chosen.append(candidate.index)
        total += candidate.credits
        if total >= required:
            break
    return Grant(
        outcomes=tuple(sorted(chosen)),
        credits_used=total,
        credits_available=available,
        excluded=excluded,
    )


def _shortfall(required: int, available: int, excluded: Exclusions) -> str:
    reasons = [
        f"{count} {label}"
        for count, label in (
            (excluded.too_old, "too old for the rule"),
            (excluded.expired, "past their validity"),
            (excluded.already_used, "already used for this requirement"),
            (excluded.revoked, "revoked"),
        )
        if count
    ]
    detail = f"{credits_text(available)} of {credits_text(required)} credits required"
    return detail + (f"; outcomes not counted: {', '.join(reasons)}" if reasons else "")


def decide_application(
    programme: Programme,
    requirements: list[Requirement],
    candidates: list[Candidate],
    recognised: set[tuple[str, str]],
    *,
    today: datetime.date,
    learner_ref: str,
    applied_by: Literal["learner", "admin"],
    granted_at: str,
) -> list[tuple[RequirementDecision, RecognitionGranted | None]]:
    """Each requirement's decision and, when granted, the entry to append (index not yet known).

    Requirements are decided independently: one outcome may serve several requirements, each
    at most once. ``recognised`` holds the (programme, requirement) pairs the learner already has
    a live recognition for.
    """
    return [
        _decide_requirement(
            programme,
            requirement,
            candidates,
            already=(programme.id, requirement.id) in recognised,
            today=today,
            learner_ref=learner_ref,
            applied_by=applied_by,
            granted_at=granted_at,
        )
        for requirement in requirements
    ]


def _decide_requirement(
    programme: Programme,
    requirement: Requirement,
    candidates: list[Candidate],
    *,
    already: bool,
    today: datetime.date,
    learner_ref: str,
    applied_by: Literal["learner", "admin"],
    granted_at: str,
) -> tuple[RequirementDecision, RecognitionGranted | None]:
    required = credits_text(hundredths_floor(requirement.satisfied_by.min_credits, "min_credits"))
    refused = RequirementDecision(
        requirement_id=requirement.id,
        status="refused",
        reason="already_recognised",
        detail="this requirement is already recognised for the learner",
        index=None,
        outcomes=[],
        credits_required=required,
        credits_available="0.00",
        credits_granted=None,
        excluded=Exclusions(),
    )
    if already:
        return refused, None
    outcome = decide(programme, requirement, candidates, today=today)
    available = credits_text(outcome.credits_available)
    if isinstance(outcome, Refusal):
        return msgspec.structs.replace(
            refused,
            reason="not_enough_credits",
            detail=outcome.detail,
            credits_available=available,
            excluded=outcome.excluded,
        ), None
    granted = credits_text(hundredths_floor(requirement.credits_granted, "credits_granted"))
    grant = RecognitionGranted(
        learner_ref=learner_ref,
        programme_id=programme.id,
        programme_version=programme.version,
        requirement_id=requirement.id,
        outcomes=list(outcome.outcomes),
        credits_used=credits_text(outcome.credits_used),
        credits_granted=granted,
        applied_by=applied_by,
        granted_at=granted_at,
    )
    decision = msgspec.structs.replace(
        refused,
        status="granted",
        reason=None,
        detail=f"recognised with {len(outcome.outcomes)} outcome(s)",
        outcomes=list(outcome.outcomes),
        credits_available=available,
        credits_granted=granted,
        excluded=outcome.excluded,
    )
    return decision, grant
