"""The deposit desk: registering issuers and recording single outcomes (the bulk path is the
import desk). Each write decides ``exists`` and evaluates caps under the log's write lock, so it
sees every award committed before it."""

from __future__ import annotations

from typing import Literal

import msgspec

from creditbank.errors import ExistsWithDifferentContentError, MalformedError, UnknownIssuerError
from creditbank.ledger.entries import SealedEntry, content_sha256, open_entry
from creditbank.outcomes import entry_for_issuer, normalise_outcome
from creditbank.privacy import Pseudonymizer
from creditbank.service import scope
from creditbank.service.context import WriteContext
from creditbank.service.rulebooks import Rulebooks
from creditbank.storage import access, reads
from creditbank.storage.projections import load_totals
from creditbank.tokens import Principal
from schemas.api import IssuerAccepted, IssuerRegistration, OutcomeAccepted, OutcomeRecord
from schemas.entries import OutcomeRecorded

__all__ = ["DepositDesk"]


class DepositDesk:
    def __init__(
        self, context: WriteContext, pseudonymizer: Pseudonymizer, rulebooks: Rulebooks
    ) -> None:
        self._context = context
        self._pseudonymizer = pseudonymizer
        self._rulebooks = rulebooks

    async def register_issuer(self, registration: IssuerRegistration) -> IssuerAccepted:
        self._context.require_writable()
        entry = entry_for_issuer(registration, now=self._context.now())
        digest = content_sha256(entry)
        async with self._context.transaction() as transaction:
            existing = await reads.find_issuer(transaction.connection, entry.issuer_id)
            if existing is not None:
                if existing.content_sha256 != digest:
                    raise ExistsWithDifferentContentError(
                        f"issuer {entry.issuer_id} is registered with other details",
                        index=existing.entry_index,
                    )
                return IssuerAccepted(
                    status="exists", issuer_id=entry.issuer_id, index=existing.entry_index
                )
            appended = await transaction.append([SealedEntry(entry)])
            await transaction.commit()
        return IssuerAccepted(
            status="recorded", issuer_id=entry.issuer_id, index=appended.first_index
        )

    async def record_outcome(self, principal: Principal, record: OutcomeRecord) -> OutcomeAccepted:
        self._context.require_writable()
        if record.issuer_id is None:
            raise MalformedError("issuer_id", "is required")
        scope.acts_for_issuer(principal, record.issuer_id, "record outcomes")
        entry, personal = normalise_outcome(
            record,
            issuer_id=record.issuer_id,
            pseudonymizer=self._pseudonymizer,
            now=self._context.now(),
        )
        digest = content_sha256(entry)
        async with self._context.transaction() as transaction:
            connection = transaction.connection
            issuer = await reads.find_issuer(connection, entry.issuer_id)
            if issuer is None:
                raise UnknownIssuerError(f"issuer {entry.issuer_id} is not registered")
            existing = await reads.find_outcome(connection, entry.issuer_id, entry.record_id)
            if existing is not None:
                if existing.content_sha256 != digest:
                    raise ExistsWithDifferentContentError(
                        f"record {entry.record_id} of issuer {entry.issuer_id} was recorded "
                        "with other content",
                        index=existing.entry_index,
                    )
                original = open_entry(await reads.entry(connection, existing.entry_index))
                assert isinstance(original, OutcomeRecorded)
                return _accepted("exists", existing.entry_index, original)
            # Under the lock, so the caps see every award committed before this one.
            rulebook = await self._rulebooks.current(connection)
            totals = await load_totals(connection, [entry.learner_ref])
            decision = rulebook.evaluate(entry, issuer.kind, totals)
            entry = msgspec.structs.replace(entry, award=decision.award)
            appended = await transaction.append([SealedEntry(entry)], decision.deltas)
            await access.upsert_person(connection, personal)
            await transaction.commit()
        return _accepted("recorded", appended.first_index, entry)


def _accepted(
    status: Literal["recorded", "exists"], index: int, entry: OutcomeRecorded
) -> OutcomeAccepted:
    return OutcomeAccepted(
        status=status,
        index=index,
        learner_ref=entry.learner_ref,
        award=entry.award,
        receipt=f"/v1/log/receipt/{index}",
    )
