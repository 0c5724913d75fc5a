"""``creditbank audit replay``: re-derive every award and learner total from the log alone.

``Replayer`` is the pure core: fed the entries in index order, it keeps the standards in force
and the issuers' kinds exactly as the log declared them at each point, re-evaluates every
outcome with the engine and running totals, holds every grant to the caps as the log stood
when it was made, and notes each award that differs from the one recorded. The shell reads the
entries in one snapshot and then compares the replayed state with the read tables (outcomes,
standards, learner totals).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import NamedTuple

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from creditbank.audit.replay_recognition import RecognitionReplay
from creditbank.errors import CapExceededError, MalformedError, SignatureError
from creditbank.imports.signature import verify_file_signature
from creditbank.rules.engine import (
    RuleBook,
    TotalKey,
    compile_rulebook,
    credits_text,
    parse_credits,
)
from creditbank.rules.grants import GrantTarget, caps_standard, plan_grant
from creditbank.storage import audit_reads, reads
from creditbank.storage.audit_reads import log_entries
from creditbank.storage.engine import snapshot
from creditbank.storage.projections import copied_facts, load_totals
from schemas.api import ReplayDifference, ReplayReport
from schemas.entries import (
    Award,
    AwardGranted,
    BatchCommitted,
    Entry,
    IssuerRegistered,
    OutcomeRecorded,
    OutcomeRevoked,
    StandardPublished,
    StandardRetired,
)
from schemas.standards import Standard, parse_standard_name, standard_name

__all__ = ["Replayer", "replay_log"]


class OutcomeState(NamedTuple):
    """An outcome row: entry, award held, revocation and the grant that gave the award."""

    entry_index: int
    credits: int | None
    category: str | None
    standard: str | None
    revoked_index: int | None
    award_index: int | None
    cap_year: str | None
    # Copied from the entry: completion YYYYMMDD, hours in tenths, outcome type, course code.
    facts: tuple[int, int, str, str] | None


@dataclass
class Replayer:
    """The log's meaning, recomputed entry by entry."""

    kinds: dict[str, str] = field(default_factory=dict)
    in_force: dict[tuple[str, int], Standard] = field(default_factory=dict)
    totals: dict[TotalKey, int] = field(default_factory=dict)
    # (issuer, record) -> an outcome row as the read table should hold it
    awards: dict[tuple[str, str], OutcomeState] = field(default_factory=dict)
    # Outcomes recorded without an award, not yet granted one: their completion dates.
    awaiting: dict[int, datetime.date] = field(default_factory=dict)
    documents: dict[tuple[str, int], Standard] = field(default_factory=dict)
    differences: list[ReplayDifference] = field(default_factory=list)
    entries: int = 0
    outcomes: int = 0
    issuer_keys: dict[str, str | None] = field(default_factory=dict)
    # The issuer and first index of the run of outcome entries that ends at the last entry fed.
    _outcome_run: tuple[str, int] | None = None
    _rulebook: RuleBook | None = None
    recognition: RecognitionReplay = field(init=False)

    def __post_init__(self) -> None:
        self.recognition = RecognitionReplay(differ=self.differ)

    def feed(self, index: int, entry: Entry) -> None:
        self.entries += 1
        self.recognition.feed(index, entry)
        if isinstance(entry, OutcomeRevoked):
            self._revoked(index, entry)
        elif isinstance(entry, AwardGranted):
            self._granted(index, entry)
        run = self._outcome_run
        self._outcome_run = None
        if isinstance(entry, OutcomeRecorded):
            self._outcome(index, entry)
            continues = run is not None and run[0] == entry.issuer_id
            self._outcome_run = run if continues else (entry.issuer_id, index)
        elif isinstance(entry, BatchCommitted):
            self._batch(index, entry, run)
        elif isinstance(entry, IssuerRegistered):
            self.kinds[entry.issuer_id] = entry.issuer_kind
            self.issuer_keys[entry.issuer_id] = entry.public_key
        elif isinstance(entry, StandardPublished):
            self.in_force[(entry.standard.id, entry.standard.version)] = entry.standard
            self.documents[(entry.standard.id, entry.standard.version)] = entry.standard
            self._rulebook = None
        elif isinstance(entry, StandardRetired):
            for name in [name for name in self.in_force if name[0] == entry.standard_id]:
                if name[1] <= entry.version:
                    del self.in_force[name]
            self._rulebook = None

    def rulebook(self) -> RuleBook:
        if self._rulebook is None:
            self._rulebook = compile_rulebook(self.in_force.values())
        return self._rulebook

    def _outcome(self, index: int, entry: OutcomeRecorded) -> None:
        self.outcomes += 1
        kind = self.kinds.get(entry.issuer_id)
        if kind is None:
            self.differ(index, f"outcome of issuer {entry.issuer_id}, not registered before it")
            return
        decision = self.rulebook().evaluate(
            msgspec.structs.replace(entry, award=None), kind, self.totals
        )
        if decision.award != entry.award:
            self.differ(
                index,
                f"recorded {_award(entry.award)}, the standards give {_award(decision.award)}",
            )
        for key, amount in decision.deltas:
            self.totals[key] = self.totals.get(key, 0) + amount
        award = entry.award
        credits = None if award is None else parse_credits(award.credits)
        self.awards[(entry.issuer_id, entry.record_id)] = OutcomeState(
            index,
            credits,
            None if award is None else award.category,
            None if award is None else award.standard,
            None,
            None,
            None,
            copied_facts(entry),
        )
        if award is None:
            self.awaiting[index] = entry.completed_on
        self.recognition.outcome_recorded(index, entry.learner_ref, credits, decision.deltas)

    def _granted(self, index: int, entry: AwardGranted) -> None:
        """A grant names a live outcome without an award and fits its caps as the log stood."""
        key = (entry.issuer_id, entry.record_id)
        row = self.awards.get(key)
        completed_on = self.awaiting.pop(entry.outcome_index, None)
        if row is None or row.entry_index != entry.outcome_index or completed_on is None:
            self.differ(index, "grant for an outcome that is not one without an award")
            return
        if row.revoked_index is not None:
            self.differ(index, "grant for a revoked outcome")
            return
        if entry.standard is None:
            caps = caps_standard(self.in_force.values(), entry.category, completed_on)
        else:
            named = parse_standard_name(entry.standard)
            caps = self.in_force.get((named.id, named.version))
            if caps is None:
                self.differ(index, f"grant names {entry.standard}, not in force")
                return
        target = GrantTarget(entry.learner_ref, entry.issuer_id, completed_on)
        try:
            plan = plan_grant(
                target, parse_credits(entry.credits), entry.category, caps, self.totals
            )
        except (CapExceededError, MalformedError) as refused:
            self.differ(index, f"grant the caps refuse: {refused.message}")
            return
        if (plan.caps, plan.cap_year_start) != (entry.caps, entry.cap_year_start):
            self.differ(index, f"grant under the caps of {entry.caps}; the log gives {plan.caps}")
        for total, amount in plan.deltas:
            self.totals[total] = self.totals.get(total, 0) + amount
        credits = parse_credits(entry.credits)
        self.awards[key] = row._replace(
            credits=credits,
            category=entry.category,
            standard=entry.standard,
            award_index=index,
            cap_year=entry.cap_year_start.isoformat(),
        )
        self.recognition.award_granted(entry.outcome_index, credits, plan.deltas)

    def _revoked(self, index: int, entry: OutcomeRevoked) -> None:
        """The award stops counting: its totals are taken back, its row marked revoked."""
        key = (entry.issuer_id, entry.record_id)
        row = self.awards.get(key)
        if row is None or row.entry_index != entry.outcome_index or row.revoked_index is not None:
            return  # the recognition replay reports what is wrong with this revocation
        for total, amount in self.recognition.revoked_deltas(entry.outcome_index):
            self.totals[total] = self.totals.get(total, 0) + amount
        self.awaiting.pop(entry.outcome_index, None)
        self.awards[key] = row._replace(revoked_index=index)

    def _batch(self, index: int, entry: BatchCommitted, run: tuple[str, int] | None) -> None:
        """A batch entry closes exactly its outcomes, of its issuer, as many as it counts."""
        batch = f"batch of {entry.issuer_id}"
        if not (
            entry.last_index == index - 1
            and run is not None
            and run[0] == entry.issuer_id
            and run[1] <= entry.first_index <= entry.last_index
        ):
            self.differ(index, f"{batch} does not follow its own outcomes")
        elif entry.counts.recorded != entry.last_index - entry.first_index + 1:
            self.differ(index, f"{batch} counts {entry.counts.recorded} recorded rows")
        if entry.signature is not None:
            try:
                verify_file_signature(
                    self.issuer_keys.get(entry.issuer_id), entry.signature, entry.file_sha256
                )
            except SignatureError:
                self.differ(index, f"{batch} carries a signature its issuer's key does not verify")

    def differ(self, index: int | None, what: str) -> None:
        self.differences.append(ReplayDifference(index=index, what=what))


def _award(award: Award | None) -> str:
    return "no award" if award is None else f"{award.credits} under {award.standard}"


async def replay_log(engine: AsyncEngine) -> ReplayReport:
    replayer = Replayer()
    async with snapshot(engine) as connection:
        head = await reads.log_head(connection)
        async for index, entry in log_entries(connection, head.tree_size):
            replayer.feed(index, entry)
        replayer.recognition.finish()
        await _compare_outcomes(connection, replayer)
        await _compare_recognitions(connection, replayer.recognition)
        await _compare_standards(connection, replayer)
        checked = await _compare_totals(connection, replayer)
    return ReplayReport(
        entries=replayer.entries,
        outcomes=replayer.outcomes,
        awards_checked=replayer.outcomes,
        totals_checked=checked,
        differences=replayer.differences,
    )


async def _compare_outcomes(connection: AsyncConnection, replayer: Replayer) -> None:
    seen = set()
    for row in await audit_reads.all_outcome_awards(connection):
        key = (row.issuer_id, row.record_id)
        seen.add(key)
        stored = OutcomeState(
            row.entry_index,
            row.award_credits,
            row.award_category,
            row.award_standard,
            row.revoked_index,
            row.award_index,
            row.cap_year,
            (row.completed_ymd, row.hours_tenths, row.outcome_type, row.course_code),  # type: ignore[arg-type]
        )
        if replayer.awards.get(key) != stored:
            replayer.differ(
                row.entry_index,
                f"outcome row {row.issuer_id}/{row.record_id} disagrees with the log",
            )
    for key, (index, *_) in replayer.awards.items():
        if key not in seen:
            replayer.differ(index, f"outcome {key[0]}/{key[1]} has no read-table row")


async def _compare_standards(connection: AsyncConnection, replayer: Replayer) -> None:
    """Every published version's document and status; deposits compile from this table."""
    in_table: set[tuple[str, int]] = set()
    for row in await audit_reads.all_standards(connection):
        name = (row.standard_id, row.version)
        label = f"standard {standard_name(*name)}"
        in_table.add(name)
        if replayer.documents.get(name) != row.document:
            replayer.differ(row.published_index, f"{label} differs from the log")
        expected = "published" if name in replayer.in_force else "retired"
        if row.status != expected:
            replayer.differ(None, f"{label} is {row.status} in the table, {expected} in the log")
    for name in sorted(set(replayer.documents) - in_table):
        replayer.differ(None, f"standard {standard_name(*name)} has no read-table row")


async def _compare_totals(connection: AsyncConnection, replayer: Replayer) -> int:
    stored = await load_totals(connection, None)
    for key in sorted(set(stored) | set(replayer.totals)):
        if stored.get(key, 0) != replayer.totals.get(key, 0):
            replayer.differ(
                None,
                f"total {'/'.join(key)} is {credits_text(stored.get(key, 0))} in the table, "
                f"{credits_text(replayer.totals.get(key, 0))} from the log",
            )
    return len(stored)


async def _compare_recognitions(connection: AsyncConnection, replay: RecognitionReplay) -> None:
    """Programmes, recognitions and the uses that make an outcome serve a requirement once."""
    if await audit_reads.all_programmes(connection) != replay.programmes:
        replay.differ(None, "the programme table differs from the log")
    rows = await audit_reads.all_recognitions(connection)
    for index in sorted(set(rows) | set(replay.recognitions)):
        state = replay.recognitions.get(index)
        expected = (
            None
            if state is None
            else audit_reads.RecognitionStateRow(
                learner_ref=state.learner_ref,
                programme_id=state.programme_id,
                programme_version=state.programme_version,
                requirement_id=state.requirement_id,
                credits_granted=state.credits_granted,
                reversed_index=state.reversed_index,
            )
        )
        if rows.get(index) != expected:
            replay.differ(index, f"recognition row {index} disagrees with the log")
    if await audit_reads.all_recognition_uses(connection) != replay.uses:
        replay.differ(None, "the recognition_use table differs from the log")
