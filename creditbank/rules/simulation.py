"""What a draft standard would award over a sequence of outcomes: the pure core of a simulation.

Every outcome in the log is evaluated twice, in log order, each with its own running totals:
under the standards in force now, and under the same set with the draft added (replacing any
version of the same id). The report counts what the draft would decide and award, totals by
category under both, the learners a cap of the draft would hold back, and the largest changes.
The outcomes come from the log or from the caller (a file an issuer is about to send); the
service's simulation desk reads them in one snapshot and feeds them here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import msgspec

from creditbank.rules.engine import (
    RuleBook,
    TotalKey,
    compile_rulebook,
    credits_text,
    parse_credits,
)
from creditbank.rules.validate import validate_standard
from schemas.api import CategoryTotal, OutcomeChange, SimulationReport
from schemas.entries import Award, OutcomeRecorded
from schemas.standards import Standard, standard_name

__all__ = ["Simulation", "check_draft"]

_LEARNER_CAPS = frozenset({"per_category_per_year", "per_issuer_per_year", "lifetime"})


def _hundredths(award: Award | None) -> int:
    return 0 if award is None else parse_credits(award.credits)


@dataclass
class Simulation:
    draft: Standard
    in_force: RuleBook
    with_draft: RuleBook
    totals_in_force: dict[TotalKey, int] = field(default_factory=dict)
    totals_with_draft: dict[TotalKey, int] = field(default_factory=dict)
    by_category: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    changes: list[tuple[int, int, OutcomeChange]] = field(default_factory=list)
    considered: int = 0
    matched: int = 0
    awarded: int = 0
    capped_learners: set[str] = field(default_factory=set)
    skipped: int = 0
    # Learners are numbered within the report: a pseudonym would let an accreditor link a
    # supplied identity number to the learner_ref the log uses.
    learners: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, draft: Standard, in_force: list[Standard]) -> Simulation:
        # As publication would: the draft joins the standards in force and supersedes older
        # versions of its id only where the engine says so (on the days it is in force).
        others = [s for s in in_force if (s.id, s.version) != (draft.id, draft.version)]
        return cls(
            draft=draft,
            in_force=compile_rulebook(in_force),
            with_draft=compile_rulebook([*others, draft]),
        )

    def feed(self, index: int, outcome: OutcomeRecorded, issuer_kind: str) -> None:
        self.considered += 1
        plain = msgspec.structs.replace(outcome, award=None)
        now = _apply(self.in_force, plain, issuer_kind, self.totals_in_force)
        then = _apply(self.with_draft, plain, issuer_kind, self.totals_with_draft)
        if then is not None and then.standard == standard_name(self.draft.id, self.draft.version):
            self.matched += 1
            self.awarded += _hundredths(then) > 0
            if then.basis.cap in _LEARNER_CAPS:
                self.capped_learners.add(outcome.learner_ref)
        for position, award in ((0, now), (1, then)):
            if award is not None:
                self.by_category[award.category][position] += _hundredths(award)
        # A change is a change in credits (or in whether any standard applies at all), not a
        # new version deciding the same amount.
        if (now is None) != (then is None) or _hundredths(now) != _hundredths(then):
            change = OutcomeChange(
                index=index,
                learner=self.learners.setdefault(outcome.learner_ref, len(self.learners) + 1),
                in_force=None if now is None else now.credits,
                with_draft=None if then is None else then.credits,
            )
            self.changes.append((abs(_hundredths(then) - _hundredths(now)), index, change))

    def report(self, largest: int) -> SimulationReport:
        ranked = sorted(self.changes, key=lambda item: (-item[0], item[1]))
        return SimulationReport(
            standard=standard_name(self.draft.id, self.draft.version),
            outcomes_considered=self.considered,
            outcomes_matched=self.matched,
            outcomes_awarded=self.awarded,
            outcomes_changed=len(self.changes),
            outcomes_skipped=self.skipped,
            learners_capped=len(self.capped_learners),
            totals_by_category=[
                CategoryTotal(
                    category=category,
                    in_force=credits_text(amounts[0]),
                    with_draft=credits_text(amounts[1]),
                )
                for category, amounts in sorted(self.by_category.items())
            ],
            largest_changes=[change for _, _, change in ranked[:largest]],
        )


def _apply(
    rulebook: RuleBook, outcome: OutcomeRecorded, kind: str, totals: dict[TotalKey, int]
) -> Award | None:
    decision = rulebook.evaluate(outcome, kind, totals)
    for key, amount in decision.deltas:
        totals[key] = totals.get(key, 0) + amount
    return decision.award


def check_draft(draft: Standard) -> None:
    """The draft's own checks (not its ties with the published ones, which a simulation may well
    be exploring): an amount the engine cannot evaluate fast and exactly never reaches it."""
    validate_standard(draft, [])
