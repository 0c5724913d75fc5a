"""Replay of programmes, revocations and recognitions (pure): what the log says they are.

Fed the entries in index order alongside ``Replayer``, it checks each against the state the log
had reached: a revocation names a live outcome; a recognition uses live outcomes of its own
learner, none already serving that requirement, under a published programme, with the credits it
claims; a reversal names a live recognition; and a revocation is followed at once (same append)
by the reversal of every recognition that used the outcome. It keeps what the read tables
should hold, for the shell to compare.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from creditbank.rules.arithmetic import hundredths_floor, parse_credits
from creditbank.rules.engine import TotalKey
from schemas.entries import (
    Entry,
    OutcomeRevoked,
    ProgrammePublished,
    RecognitionGranted,
    RecognitionReversed,
)
from schemas.standards import Programme, standard_name

__all__ = ["LoggedOutcome", "RecognitionReplay", "RecognitionState"]

Differ = Callable[[int | None, str], None]


@dataclass(slots=True)
class LoggedOutcome:
    """What replay needs of an outcome entry to recognise or revoke it later: a few shared
    strings per outcome, since a replay holds one of these for every outcome in the log."""

    learner_ref: str
    credits: int | None  # hundredths; None without award
    # The totals recording it added to: ("<category>|<issuer>", cap-year start, amount).
    counted_in: tuple[str, str, int] | None
    revoked_index: int | None = None


@dataclass(slots=True)
class RecognitionState:
    """A recognition.granted entry and what became of it: one row of ``recognition``."""

    learner_ref: str
    programme_id: str
    programme_version: int
    requirement_id: str
    credits_granted: int
    outcomes: tuple[int, ...]
    reversed_index: int | None = None


@dataclass
class RecognitionReplay:
    differ: Differ
    outcomes: dict[int, LoggedOutcome] = field(default_factory=dict)
    programmes: dict[tuple[str, int], Programme] = field(default_factory=dict)
    recognitions: dict[int, RecognitionState] = field(default_factory=dict)
    # (programme_id, requirement_id, outcome_index) -> the live recognition using it
    uses: dict[tuple[str, str, int], int] = field(default_factory=dict)
    # Recognitions a revocation left standing, which the next entries must reverse.
    _owed: dict[int, int] = field(default_factory=dict)  # recognition -> revocation index

    def outcome_recorded(
        self,
        index: int,
        learner_ref: str,
        credits: int | None,
        deltas: tuple[tuple[TotalKey, int], ...],
    ) -> None:
        counted_in = None
        if deltas:
            # The engine's three keys: category per year, "category|issuer" per year, lifetime.
            (category_key, amount), (issuer_key, _), _ = deltas
            counted_in = (sys.intern(issuer_key[2]), sys.intern(category_key[3]), amount)
        self.outcomes[index] = LoggedOutcome(
            learner_ref=sys.intern(learner_ref), credits=credits, counted_in=counted_in
        )

    def award_granted(
        self, outcome_index: int, credits: int, deltas: tuple[tuple[TotalKey, int], ...]
    ) -> None:
        """A grant gave the outcome its award: it can now be recognised, and a revocation
        takes the grant's amounts back."""
        logged = self.outcomes[outcome_index]
        (category_key, amount), (issuer_key, _), _ = deltas
        logged.credits = credits
        logged.counted_in = (sys.intern(issuer_key[2]), sys.intern(category_key[3]), amount)

    def revoked_deltas(self, outcome_index: int) -> tuple[tuple[TotalKey, int], ...]:
        """What a revocation of the outcome takes back from the totals."""
        logged = self.outcomes.get(outcome_index)
        if logged is None or logged.counted_in is None:
            return ()
        subject, period, counted = logged.counted_in
        category = subject.split("|", 1)[0]
        learner, amount = logged.learner_ref, -counted
        return (
            ((learner, "category_year", category, period), amount),
            ((learner, "issuer_year", subject, period), amount),
            ((learner, "lifetime", category, ""), amount),
        )

    def feed(self, index: int, entry: Entry) -> None:
        if self._owed and not (
            isinstance(entry, RecognitionReversed)
            and entry.cause == "outcome_revoked"
            and entry.recognition_index in self._owed
        ):
            for recognition, revocation in sorted(self._owed.items()):
                self.differ(revocation, f"revocation left recognition {recognition} standing")
            self._owed.clear()
        if isinstance(entry, ProgrammePublished):
            self.programmes[(entry.programme.id, entry.programme.version)] = entry.programme
        elif isinstance(entry, OutcomeRevoked):
            self._revoked(index, entry)
        elif isinstance(entry, RecognitionGranted):
            self._granted(index, entry)
        elif isinstance(entry, RecognitionReversed):
            self._reversed(index, entry)

    def finish(self) -> None:
        """The log may not end with a revocation's reversals still owed."""
        for recognition, revocation in sorted(self._owed.items()):
            self.differ(revocation, f"revocation left recognition {recognition} standing")
        self._owed.clear()

    def _revoked(self, index: int, entry: OutcomeRevoked) -> None:
        logged = self.outcomes.get(entry.outcome_index)
        if logged is None:
            self.differ(index, f"revokes entry {entry.outcome_index}, which is not an outcome")
            return
        if logged.revoked_index is not None:
            self.differ(index, f"revokes entry {entry.outcome_index} a second time")
            return
        if logged.learner_ref != entry.learner_ref:
            self.differ(index, "names another learner than its outcome's")
        logged.revoked_index = index
        for (_, _, outcome_index), recognition in self.uses.items():
            if outcome_index == entry.outcome_index:
                self._owed[recognition] = index

    def _granted(self, index: int, entry: RecognitionGranted) -> None:
        programme_name = standard_name(entry.programme_id, entry.programme_version)
        name = f"recognition {programme_name}/{entry.requirement_id}"
        programme = self.programmes.get((entry.programme_id, entry.programme_version))
        requirement = None
        if programme is not None:
            requirement = next(
                (r for r in programme.requirements if r.id == entry.requirement_id), None
            )
        if requirement is None:
            self.differ(index, f"{name}: no such published programme requirement")
        used = 0
        for outcome_index in entry.outcomes:
            logged = self.outcomes.get(outcome_index)
            problem = _unusable(logged, entry.learner_ref)
            if problem is None and (
                (entry.programme_id, entry.requirement_id, outcome_index) in self.uses
            ):
                problem = "already serves this requirement"
            if problem is not None:
                self.differ(index, f"{name}: outcome {outcome_index} {problem}")
            elif logged is not None and logged.credits is not None:
                used += logged.credits
        if used != parse_credits(entry.credits_used):
            self.differ(index, f"{name}: its outcomes' awards add up to {used} hundredths")
        if requirement is not None:
            if used < hundredths_floor(requirement.satisfied_by.min_credits, "min_credits"):
                self.differ(index, f"{name}: fewer credits than the requirement asks")
            granted = hundredths_floor(requirement.credits_granted, "credits_granted")
            if granted != parse_credits(entry.credits_granted):
                self.differ(index, f"{name}: grants other credits than the programme")
        self.recognitions[index] = RecognitionState(
            learner_ref=entry.learner_ref,
            programme_id=entry.programme_id,
            programme_version=entry.programme_version,
            requirement_id=entry.requirement_id,
            credits_granted=parse_credits(entry.credits_granted),
            outcomes=tuple(entry.outcomes),
        )
        for outcome_index in entry.outcomes:
            self.uses.setdefault((entry.programme_id, entry.requirement_id, outcome_index), index)

    def _reversed(self, index: int, entry: RecognitionReversed) -> None:
        state = self.recognitions.get(entry.recognition_index)
        if state is None or state.reversed_index is not None:
            self.differ(index, f"reverses {entry.recognition_index}, not a live recognition")
            return
        state.reversed_index = index
        self._owed.pop(entry.recognition_index, None)
        for outcome_index in state.outcomes:
            key = (state.programme_id, state.requirement_id, outcome_index)
            if self.uses.get(key) == entry.recognition_index:
                del self.uses[key]


def _unusable(logged: LoggedOutcome | None, learner_ref: str) -> str | None:
    if logged is None:
        return "is not an outcome"
    if logged.learner_ref != learner_ref:
        return "is another learner's"
    if logged.revoked_index is not None:
        return "was revoked"
    if not logged.credits:
        return "has no credits"
    return None
