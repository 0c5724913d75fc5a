"""Give every row of an import exactly one classification, and the award it would get (pure).

The order of the checks decides which class a row with several faults gets, and is fixed:

1. ``malformed``: the row cannot be read as an outcome (field and reason).
2. ``duplicate_in_file``: an earlier row of the same file used its record id.
3. ``unknown_issuer``: the import's issuer is not registered.
4. ``exists`` / ``exists_with_different_content``: the issuer banked that record id before, with
   the same or other content (content is what the issuer sent, not the times and award the bank
   added; see "Canonical bytes" in docs/architecture.md).
5. The engine decides the award with the learner's running totals, which start from what is
   banked and grow with every row before this one, so caps hold across the file:
   ``no_standard`` (recorded without award), ``capped`` (a learner cap lowered the award), else
   ``ready``.

``malformed``, ``duplicate_in_file``, ``unknown_issuer`` and ``exists_with_different_content``
are errors: under ``on_error=reject`` any of them rejects the batch. ``exists`` is not: sending a
file again must commit nothing and fail nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, get_args

import msgspec

from creditbank.imports.prepare import Prepared, Unreadable
from creditbank.imports.row_results import RowResult
from creditbank.imports.running_totals import RunningTotals
from creditbank.imports.seen import SeenRecordIds
from creditbank.ledger.entries import SealedEntry
from creditbank.outcomes import PersonalData
from creditbank.rules.engine import RuleBook, TotalKey, credits_text
from schemas.entries import BatchCounts
from schemas.imports import RowStatus

__all__ = [
    "ERROR_STATUSES",
    "ROW_STATUSES",
    "Banked",
    "ChunkResult",
    "Classifier",
    "RowResult",
    "RowStatus",
]

ROW_STATUSES: Final[tuple[RowStatus, ...]] = get_args(RowStatus)
ERROR_STATUSES: Final = frozenset(
    {"malformed", "duplicate_in_file", "exists_with_different_content", "unknown_issuer"}
)
RECORDED_STATUSES: Final = frozenset({"ready", "capped", "no_standard"})


@dataclass(frozen=True, slots=True)
class Banked:
    """What the read tables hold for a record id the issuer already banked."""

    digest: bytes
    index: int
    credits: int | None  # hundredths; None without award
    standard: str | None


@dataclass(slots=True)
class ChunkResult:
    """A chunk's rows, and what to append for those to record."""

    results: list[RowResult]
    entries: list[SealedEntry] = field(default_factory=list)
    digests: list[bytes] = field(default_factory=list)
    people: list[PersonalData] = field(default_factory=list)
    recorded: list[RowResult] = field(default_factory=list)  # results of entries, in order
    errors: int = 0


class Classifier:
    """Classifies an import's rows in file order, keeping what spans chunks: the record ids seen,
    the learners' running totals and the counts."""

    def __init__(
        self,
        *,
        issuer_kind: str | None,
        rulebook: RuleBook,
        seen: SeenRecordIds | None = None,
    ) -> None:
        self.issuer_kind = issuer_kind
        self.rulebook = rulebook
        self.totals = RunningTotals()
        self.counts: dict[str, int] = dict.fromkeys(ROW_STATUSES, 0)
        self._seen = SeenRecordIds() if seen is None else seen
        self._people: dict[str, bool] = {}  # learners whose data is written: with a name?

    def learners_to_load(self, rows: Sequence[Prepared | Unreadable]) -> list[str]:
        """Learners of these rows whose banked totals are not loaded yet; marks them loaded."""
        totals = self.totals
        fresh = {
            row.entry.learner_ref
            for row in rows
            if isinstance(row, Prepared) and not totals.has_learner(row.entry.learner_ref)
        }
        for learner_ref in fresh:
            totals.add_learner(learner_ref)
        return sorted(fresh)

    def load_totals(self, totals: Mapping[TotalKey, int]) -> None:
        """The banked totals of learners ``learners_to_load`` just named."""
        for key, amount in totals.items():
            self.totals.load(key, amount)

    @property
    def learners_in_memory(self) -> int:
        return self.totals.learners

    def deltas(self) -> Iterator[tuple[TotalKey, int]]:
        """What the import has added to each learner's totals so far, one total at a time (a
        million-row import has hundreds of thousands)."""
        return self.totals.deltas()

    def take_deltas(self) -> Iterator[tuple[TotalKey, int]]:
        """Hand over the deltas so far and forget every learner's totals.

        The caller stores the deltas where ``learners_to_load`` will find them again (the
        import's spill), so memory holds only the learners since the last hand-over.
        """
        handed, self.totals = self.totals, RunningTotals()
        return handed.deltas()

    def classify(
        self, rows: Sequence[Prepared | Unreadable], banked: Mapping[str, Banked]
    ) -> ChunkResult:
        chunk = ChunkResult(results=[])
        for row in rows:
            result = self._classify(row, banked, chunk)
            self.counts[result.status] += 1
            if result.status in ERROR_STATUSES:
                chunk.errors += 1
            chunk.results.append(result)
        return chunk

    def _keep_person(self, person: PersonalData, chunk: ChunkResult) -> None:
        """Write each learner's personal data once: at their first recorded row, and again only
        if that row had no name and this one has (the first name given stays)."""
        named = self._people.get(person.learner_ref)
        if named is None or (not named and person.name is not None):
            self._people[person.learner_ref] = person.name is not None
            chunk.people.append(person)

    def batch_counts(self) -> BatchCounts:
        counts = self.counts
        return BatchCounts(
            rows=sum(counts.values()),
            recorded=sum(counts[status] for status in RECORDED_STATUSES),
            **counts,
        )

    def _classify(
        self, row: Prepared | Unreadable, banked: Mapping[str, Banked], chunk: ChunkResult
    ) -> RowResult:
        if isinstance(row, Unreadable):
            if row.record_id is not None:
                self._seen.add(row.record_id)
            return RowResult(
                number=row.number,
                status="malformed",
                record_id=row.record_id,
                field=row.field,
                reason=row.reason,
            )
        entry = row.entry
        record_id = entry.record_id
        if not self._seen.add(record_id):
            return RowResult(
                number=row.number,
                status="duplicate_in_file",
                record_id=record_id,
                field="record_id",
                reason="an earlier row of this file has this record id",
            )
        if self.issuer_kind is None:
            return RowResult(
                number=row.number,
                status="unknown_issuer",
                record_id=record_id,
                field="issuer_id",
                reason=f"issuer {entry.issuer_id} is not registered",
            )
        before = banked.get(record_id)
        if before is not None:
            same = before.digest == row.digest
            return RowResult(
                number=row.number,
                status="exists" if same else "exists_with_different_content",
                record_id=record_id,
                field=None if same else "record_id",
                reason=None if same else f"banked as entry {before.index} with other content",
                index=before.index,
                credits=None if before.credits is None else credits_text(before.credits),
                standard=before.standard,
            )
        return self._evaluate(row, chunk)

    def _evaluate(self, row: Prepared, chunk: ChunkResult) -> RowResult:
        assert self.issuer_kind is not None
        totals = self.totals
        decision = self.rulebook.evaluate(row.entry, self.issuer_kind, totals)
        for key, amount in decision.deltas:
            totals.add(key, amount)
        award = decision.award
        if row.draft is not None:
            sealed = SealedEntry.outcome(row.draft, award)
        else:
            sealed = SealedEntry(
                row.entry if award is None else msgspec.structs.replace(row.entry, award=award)
            )
        if award is None:
            status: RowStatus = "no_standard"
        elif award.credits != award.basis.computed:
            status = "capped"
        else:
            status = "ready"
        result = RowResult(
            number=row.number,
            status=status,
            record_id=row.entry.record_id,
            reason=None if award is None or award.basis.unmet is None else award.basis.unmet,
            credits=None if award is None else award.credits,
            standard=None if award is None else award.standard,
        )
        chunk.entries.append(sealed)
        chunk.digests.append(row.digest)
        self._keep_person(row.personal, chunk)
        chunk.recorded.append(result)
        return result
