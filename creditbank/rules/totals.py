"""What an award added to its learner's running totals, recomputed from the entry (pure).

The engine adds each positive award to three totals (category per cap year, category and issuer
per cap year, lifetime in the category). A revocation takes exactly those amounts back, so the
totals stay the sum of the live awards; ``award_deltas`` rebuilds them from the outcome and the
standard that decided its award, and a property test holds it to the engine's own deltas.
"""

from __future__ import annotations

from creditbank.rules.arithmetic import cap_year_start, parse_credits
from creditbank.rules.engine import TotalKey
from schemas.entries import OutcomeRecorded
from schemas.standards import Standard, standard_name

__all__ = ["award_deltas"]


def award_deltas(outcome: OutcomeRecorded, standard: Standard) -> tuple[tuple[TotalKey, int], ...]:
    """The amounts recording ``outcome`` added to its learner's totals (none for no credits)."""
    award = outcome.award
    if award is None:
        return ()
    assert award.standard == standard_name(standard.id, standard.version), (
        "the award's own standard decides"
    )
    credits = parse_credits(award.credits)
    if credits == 0:
        return ()
    period = cap_year_start(outcome.completed_on, standard.caps.year_starts).isoformat()
    learner, category = outcome.learner_ref, award.category
    return (
        ((learner, "category_year", category, period), credits),
        ((learner, "issuer_year", f"{category}|{outcome.issuer_id}", period), credits),
        ((learner, "lifetime", category, ""), credits),
    )
