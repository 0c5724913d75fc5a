"""Revocation and correction of outcomes (an issuer's own, or by admin).

A revocation's append carries, with the ``outcome.revoked``, a ``recognition.reversed`` for every
live recognition that used the outcome and the negative of what the award (decided at deposit or
granted later) added to the totals, so the totals stay the sum of the live awards. A correction
adds the replacing ``outcome.recorded`` to the same append, its award evaluated as if the revoked
one had never counted.
"""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.errors import (
    AlreadyRevokedError,
    ExistsWithDifferentContentError,
    MalformedError,
    NotFoundError,
)
from creditbank.ledger.entries import SealedEntry, open_entry
from creditbank.outcomes import demography, format_timestamp, normalise_outcome
from creditbank.privacy import Pseudonymizer
from creditbank.rules.engine import TotalKey
from creditbank.rules.grants import granted_deltas
from creditbank.rules.totals import award_deltas
from creditbank.service import scope
from creditbank.service.context import WriteContext
from creditbank.service.group_commit import GroupSlot
from creditbank.service.rulebooks import Rulebooks
from creditbank.storage import access, learner_reads, reads
from creditbank.storage.projections import load_totals
from creditbank.tokens import Principal
from schemas.entries import AwardGranted, OutcomeRecorded, OutcomeRevoked, RecognitionReversed
from schemas.learners import CorrectionRequest, RevocationAccepted

__all__ = ["RevocationDesk"]

Entries = list[SealedEntry]
Deltas = list[tuple[TotalKey, int]]


class RevocationDesk:
    def __init__(
        self, context: WriteContext, pseudonymizer: Pseudonymizer, rulebooks: Rulebooks
    ) -> None:
        self._context = context
        self._pseudonymizer = pseudonymizer
        self._rulebooks = rulebooks

    async def revoke(
        self, principal: Principal, issuer_id: str, record_id: str, reason: str
    ) -> RevocationAccepted:
        async def write(slot: GroupSlot) -> RevocationAccepted:
            entries, deltas = await self._revocation(
                slot.connection, principal, issuer_id, record_id, reason, None
            )
            placed = await slot.append(entries, deltas)
            return _revocation_accepted(placed.first_index, len(entries) - 1, None)

        return await self._context.grouped(write)

    async def correct(
        self, principal: Principal, issuer_id: str, record_id: str, request: CorrectionRequest
    ) -> RevocationAccepted:
        """Revoke the outcome and record its replacement, under a new record id, in one append."""
        # Before any look-up: another issuer must not learn which record ids exist.
        scope.changes_outcome(principal, issuer_id, record_id)
        self._context.require_writable()
        record = request.outcome
        if record.issuer_id not in (None, issuer_id):
            raise MalformedError("outcome.issuer_id", f"a correction stays with {issuer_id}")
        if record.record_id == record_id:
            raise MalformedError("outcome.record_id", "a correction needs a new record id")
        replacement, personal = normalise_outcome(
            record, issuer_id=issuer_id, pseudonymizer=self._pseudonymizer, now=self._context.now()
        )

        async def write(slot: GroupSlot) -> RevocationAccepted:
            connection = slot.connection
            taken = await reads.find_outcome(connection, issuer_id, replacement.record_id)
            if taken is not None:
                raise ExistsWithDifferentContentError(
                    f"record {replacement.record_id} of issuer {issuer_id} exists already; "
                    "a correction needs a record id not used before",
                    index=taken.entry_index,
                )
            entries, deltas = await self._revocation(
                connection, principal, issuer_id, record_id, request.reason, replacement.record_id
            )
            issuer = await reads.find_issuer(connection, issuer_id)
            assert issuer is not None  # it deposited the outcome being corrected
            totals = await load_totals(connection, [replacement.learner_ref])
            for key, amount in deltas:  # the revoked award no longer counts toward the caps
                totals[key] = totals.get(key, 0) + amount
            rulebook = await self._rulebooks.current(connection)
            decision = rulebook.evaluate(replacement, issuer.kind, totals)
            awarded = msgspec.structs.replace(replacement, award=decision.award)
            entries.append(SealedEntry(awarded))
            placed = await slot.append(
                entries, [*deltas, *decision.deltas], demography=demography([personal])
            )
            await access.upsert_person(connection, personal)
            return _revocation_accepted(placed.first_index, len(entries) - 2, placed.tree_size - 1)

        return await self._context.grouped(write)

    async def _revocation(
        self,
        connection: AsyncConnection,
        principal: Principal,
        issuer_id: str,
        record_id: str,
        reason: str,
        replaced_by: str | None,
    ) -> tuple[Entries, Deltas]:
        """The revocation, the reversals it causes, and the totals to take back."""
        scope.changes_outcome(principal, issuer_id, record_id)
        found = await learner_reads.outcome_row(connection, issuer_id, record_id)
        if found is None:
            raise NotFoundError(f"no outcome {issuer_id}/{record_id}")
        if found.revoked_index is not None:
            raise AlreadyRevokedError(
                f"outcome {issuer_id}/{record_id} was revoked by entry {found.revoked_index}"
            )
        entry = open_entry(await reads.entry(connection, found.entry_index))
        assert isinstance(entry, OutcomeRecorded)
        deltas = await _taken_back(connection, entry, found.award_index)
        now = format_timestamp(self._context.now())
        entries: Entries = [
            SealedEntry(
                OutcomeRevoked(
                    issuer_id=issuer_id,
                    record_id=record_id,
                    outcome_index=found.entry_index,
                    learner_ref=entry.learner_ref,
                    reason=reason,
                    replaced_by=replaced_by,
                    revoked_by="admin" if scope.acts_as_admin(principal) else "issuer",
                    revoked_at=now,
                )
            )
        ]
        uses = await learner_reads.uses_of(connection, [found.entry_index])
        for recognition_index in sorted(
            {use.recognition_index for use in uses.get(found.entry_index, ())}
        ):
            entries.append(
                SealedEntry(
                    RecognitionReversed(
                        recognition_index=recognition_index,
                        learner_ref=entry.learner_ref,
                        reason=f"outcome {issuer_id}/{record_id} was revoked: {reason}"[:200],
                        cause="outcome_revoked",
                        reversed_at=now,
                    )
                )
            )
        return entries, deltas


async def _taken_back(
    connection: AsyncConnection, entry: OutcomeRecorded, award_index: int | None
) -> Deltas:
    """The negative of what the outcome's award added to the totals: the award decided at
    deposit (recomputed with its standard), or the one granted later (from its entry)."""
    if entry.award is not None:
        standards = await learner_reads.standards_by_name(connection, [entry.award.standard])
        added = award_deltas(entry, standards[entry.award.standard])
    elif award_index is not None:
        grant = open_entry(await reads.entry(connection, award_index))
        assert isinstance(grant, AwardGranted)
        added = granted_deltas(grant)
    else:
        added = ()
    return [(key, -amount) for key, amount in added]


def _revocation_accepted(first: int, reversals: int, replacement: int | None) -> RevocationAccepted:
    return RevocationAccepted(
        index=first,
        reversed_recognitions=list(range(first + 1, first + 1 + reversals)),
        replacement_index=replacement,
    )
