"""Awards granted by accreditation staff (``award.granted``): whose caps apply, and whether the
credits fit under them (pure).

An outcome no standard covered at deposit (``no_standard``) can still earn credits by a person's
decision. That decision is held to the same limits the engine applies, so a grant cannot do what
a standard could not:

* The caps are those of one standard: the one the grant names as its basis, else the category's
  standard in force on the completion date (``caps_standard``: effective dates, the highest
  version of each id, then the highest precedence and the smallest id, as the engine selects).
  With neither, no learner caps apply and the cap year is the calendar year.
* Over a cap the grant is refused, naming the cap and what is left, rather than cut down as the
  engine cuts an award: a person asked for an amount, and silently granting less would record a
  decision nobody made. A cap equal to the amount does not bind, as in the engine.
* The credits count in the same three running totals as an engine award (category per cap year,
  category and issuer per cap year, lifetime in the category), so later deposits see them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from creditbank.errors import CapExceededError, MalformedError
from creditbank.rules.arithmetic import (
    award_hundredths_max,
    cap_year_start,
    credits_text,
    optional_amount,
    parse_credits,
)
from creditbank.rules.engine import TotalKey
from schemas.entries import AwardGranted, OutcomeRecorded
from schemas.standards import Standard, standard_name

__all__ = ["GrantPlan", "GrantTarget", "caps_standard", "granted_deltas", "plan_grant"]

Deltas = tuple[tuple[TotalKey, int], ...]


class GrantTarget(NamedTuple):
    """What a grant needs of the outcome it is for."""

    learner_ref: str
    issuer_id: str
    completed_on: datetime.date

    @classmethod
    def of(cls, outcome: OutcomeRecorded) -> GrantTarget:
        return cls(outcome.learner_ref, outcome.issuer_id, outcome.completed_on)


@dataclass(frozen=True, slots=True)
class GrantPlan:
    """What a grant that fits records: whose caps applied, its cap year, what it adds."""

    caps: str | None  # "<id>@<version>"
    cap_year_start: datetime.date
    deltas: Deltas


def _in_force(standard: Standard, day: datetime.date) -> bool:
    until = standard.effective_until
    return standard.effective_from <= day and (until is None or day <= until)


def caps_standard(
    standards: Iterable[Standard], category: str, completed_on: datetime.date
) -> Standard | None:
    """The category's standard in force on ``completed_on`` (``standards``: those not retired)."""
    newest: dict[str, Standard] = {}
    for standard in standards:
        if standard.category != category or not _in_force(standard, completed_on):
            continue
        held = newest.get(standard.id)
        if held is None or held.version < standard.version:
            newest[standard.id] = standard
    if not newest:
        return None
    return min(newest.values(), key=lambda standard: (-standard.precedence, standard.id))


def _deltas(
    learner_ref: str, issuer_id: str, category: str, start: datetime.date, credits: int
) -> Deltas:
    period = start.isoformat()
    return (
        ((learner_ref, "category_year", category, period), credits),
        ((learner_ref, "issuer_year", f"{category}|{issuer_id}", period), credits),
        ((learner_ref, "lifetime", category, ""), credits),
    )


def plan_grant(
    outcome: GrantTarget,
    credits: int,
    category: str,
    caps: Standard | None,
    totals: Mapping[TotalKey, int],
) -> GrantPlan:
    """The grant of ``credits`` (hundredths) in ``category`` to ``outcome``, or
    ``CapExceededError`` naming the first cap it would pass (in the engine's order)."""
    if not 0 < credits <= award_hundredths_max:
        most = credits_text(award_hundredths_max)
        raise MalformedError("credits", f"must be more than 0.00 and at most {most}")
    if caps is None:
        start = datetime.date(outcome.completed_on.year, 1, 1)
        deltas = _deltas(outcome.learner_ref, outcome.issuer_id, category, start, credits)
        return GrantPlan(None, start, deltas)
    if caps.category != category:
        raise MalformedError(
            "category", f"must be {caps.category}, the category of the standard named"
        )
    start = cap_year_start(outcome.completed_on, caps.caps.year_starts)
    deltas = _deltas(outcome.learner_ref, outcome.issuer_id, category, start, credits)
    (category_key, _), (issuer_key, _), (lifetime_key, _) = deltas
    limits = caps.caps
    checks = (
        ("per_outcome", optional_amount(caps.max_per_outcome, "max_per_outcome"), 0),
        (
            "per_category_per_year",
            optional_amount(limits.per_category_per_year, "caps.per_category_per_year"),
            totals.get(category_key, 0),
        ),
        (
            "per_issuer_per_year",
            optional_amount(limits.per_issuer_per_year, "caps.per_issuer_per_year"),
            totals.get(issuer_key, 0),
        ),
        (
            "lifetime",
            optional_amount(limits.lifetime, "caps.lifetime"),
            totals.get(lifetime_key, 0),
        ),
    )
    name = standard_name(caps.id, caps.version)
    for cap, limit, used in checks:
        if limit is not None and used + credits > limit:
            raise CapExceededError(cap, name, remaining=max(limit - used, 0))
    return GrantPlan(name, start, deltas)


def granted_deltas(entry: AwardGranted) -> Deltas:
    """What the grant added to its learner's totals, from the entry alone (to take it back)."""
    return _deltas(
        entry.learner_ref,
        entry.issuer_id,
        entry.category,
        entry.cap_year_start,
        parse_credits(entry.credits),
    )
