"""The statistics' facts recomputed from the log's entries alone (pure): the check on the SQL.

``LogFacts`` is fed the entries below a tree size in index order and keeps what each outcome
contributes: its issuer's kind and district (from the registration), its award (decided at
deposit, or granted by a later entry), its cap year (from the deciding standard's publication,
or the grant), whether it was revoked, whether a recognition in force used it. The learner's age
band and sex are the one input not in the log (an entry never carries an ID number): the outcome
rows keep them from deposit, and the shell passes them as ``Demography``. ``facts()`` then
yields the ``OutcomeFact`` of every live outcome, for ``tabulate``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from creditbank.rules.arithmetic import cap_year_start, parse_credits
from creditbank.statistics.facts import UNKNOWN, OutcomeFact
from schemas.entries import (
    AwardGranted,
    Entry,
    IssuerRegistered,
    OutcomeRecorded,
    OutcomeRevoked,
    RecognitionGranted,
    RecognitionReversed,
    StandardPublished,
)
from schemas.standards import standard_name

__all__ = ["Demography", "LogFacts"]


# What the log cannot say: each outcome's age band and sex, by its index, derived from the
# resident ID number when it was deposited (never in an entry).
Demography = Mapping[int, tuple[str, str]]


class _Outcome(NamedTuple):
    learner_ref: str
    completed_on: datetime.date
    issuer_id: str
    outcome_type: str
    hours_tenths: int
    credits: int
    category: str | None
    cap_year: str


@dataclass
class LogFacts:
    issuers: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    year_starts: dict[str, str] = field(default_factory=dict)  # standard name -> "MM-DD"
    outcomes: dict[int, _Outcome] = field(default_factory=dict)
    revoked: set[int] = field(default_factory=set)
    recognitions: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def feed(self, index: int, entry: Entry) -> None:
        if isinstance(entry, OutcomeRecorded):
            self.outcomes[index] = self._outcome(entry)
        elif isinstance(entry, AwardGranted):
            held = self.outcomes[entry.outcome_index]
            self.outcomes[entry.outcome_index] = held._replace(
                credits=parse_credits(entry.credits),
                category=entry.category,
                cap_year=entry.cap_year_start.isoformat(),
            )
        elif isinstance(entry, OutcomeRevoked):
            self.revoked.add(entry.outcome_index)
        elif isinstance(entry, RecognitionGranted):
            self.recognitions[index] = tuple(entry.outcomes)
        elif isinstance(entry, RecognitionReversed):
            del self.recognitions[entry.recognition_index]
        elif isinstance(entry, IssuerRegistered):
            self.issuers[entry.issuer_id] = (entry.issuer_kind, entry.district)
        elif isinstance(entry, StandardPublished):
            name = standard_name(entry.standard.id, entry.standard.version)
            self.year_starts[name] = entry.standard.caps.year_starts

    def _outcome(self, entry: OutcomeRecorded) -> _Outcome:
        award, completed_on = entry.award, entry.completed_on
        starts = "01-01" if award is None else self.year_starts[award.standard]
        return _Outcome(
            learner_ref=entry.learner_ref,
            completed_on=completed_on,
            issuer_id=entry.issuer_id,
            outcome_type=entry.outcome_type,
            hours_tenths=int(entry.hours.replace(".", "")),
            credits=0 if award is None else parse_credits(award.credits),
            category=None if award is None else award.category,
            cap_year=cap_year_start(completed_on, starts).isoformat(),
        )

    def facts(self, demography: Demography) -> Iterator[OutcomeFact]:
        """Every outcome live at the size fed, as the statistics count it."""
        recognised = {used for uses in self.recognitions.values() for used in uses}
        for index, held in self.outcomes.items():
            if index in self.revoked:
                continue
            kind, district = self.issuers[held.issuer_id]
            band, sex = demography.get(index, (UNKNOWN, UNKNOWN))
            yield OutcomeFact(
                index=index,
                learner_ref=held.learner_ref,
                completed_on=held.completed_on,
                cap_year=held.cap_year,
                issuer_id=held.issuer_id,
                issuer_kind=kind,
                district=district,
                outcome_type=held.outcome_type,
                category=held.category,
                hours_tenths=held.hours_tenths,
                credits=held.credits,
                recognised=index in recognised,
                age_band=band,
                sex=sex,
            )
