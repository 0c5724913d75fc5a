"""The deposit desk: registering issuers and recording single outcomes (the bulk path is the
import desk). Both go through the group commit (``service.group_commit``): each write decides
``exists`` and evaluates caps under the log's write lock, in arrival order, so it sees every
award committed or grouped before it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.errors import (
    CreditbankError,
    ExistsWithDifferentContentError,
    MalformedError,
    UnknownIssuerError,
)
from creditbank.imports.classify import Banked
from creditbank.ledger.entries import SealedEntry, content_sha256, open_entry
from creditbank.outcomes import PersonalData, demography, entry_for_issuer, normalise_outcome
from creditbank.privacy import Pseudonymizer
from creditbank.rules.engine import TotalKey
from creditbank.service import scope
from creditbank.service.context import WriteContext
from creditbank.service.group_commit import GroupSlot, Pending
from creditbank.service.rulebooks import Rulebooks
from creditbank.storage import reads
from creditbank.storage.import_rows import banked_records, upsert_people
from creditbank.storage.projections import load_totals
from creditbank.storage.reads import IssuerRecord
from creditbank.tokens import Principal
from schemas.api import IssuerAccepted, IssuerRegistration, OutcomeAccepted, OutcomeRecord
from schemas.entries import Award, OutcomeRecorded

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

        async def write(slot: GroupSlot) -> IssuerAccepted:
            existing = await reads.find_issuer(slot.connection, entry.issuer_id)
            if existing is not None:
                if existing.content_sha256 != digest:
                    raise ExistsWithDifferentContentError(
                        f"issuer {entry.issuer_id} is registered with other details",
                        index=existing.entry_index,
                    )
                return IssuerAccepted(
                    status="exists", issuer_id=entry.issuer_id, index=existing.entry_index
                )
            placed = await slot.append([SealedEntry(entry)])
            return IssuerAccepted(
                status="recorded", issuer_id=entry.issuer_id, index=placed.first_index
            )

        return await self._context.grouped(write)

    async def issuers(self) -> list[reads.IssuerListing]:
        async with self._context.connect() as connection:
            return await reads.list_issuers(connection)

    async def record_outcome(self, principal: Principal, record: OutcomeRecord) -> OutcomeAccepted:
        """Check and pseudonymise here, then decide ``exists`` and the award in the next group
        commit, with every deposit that arrived meanwhile (``_apply_deposits``)."""
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
        deposit = _Deposit(entry=entry, digest=content_sha256(entry), personal=personal)
        return await self._context.grouped_batch(self._apply_deposits, deposit)

    async def _apply_deposits(
        self, slot: GroupSlot, pendings: list[Pending[OutcomeAccepted]]
    ) -> None:
        """Decide a run of deposits in arrival order, as one at a time would, with the reads
        batched: each issuer and its banked record ids once, the learners' totals once. A record
        sent twice in the run is ``exists`` (or a conflict) the second time, and each award's
        caps count the awards of the deposits before it."""
        connection = slot.connection
        deposits: list[_Deposit] = [pending.payload for pending in pendings]
        issuers: dict[str, IssuerRecord | None] = {}
        banked: dict[tuple[str, str], Banked] = {}
        for issuer_id in dict.fromkeys(deposit.entry.issuer_id for deposit in deposits):
            issuers[issuer_id] = await reads.find_issuer(connection, issuer_id)
            record_ids = [d.entry.record_id for d in deposits if d.entry.issuer_id == issuer_id]
            found = await banked_records(connection, issuer_id, record_ids)
            banked.update(((issuer_id, record_id), row) for record_id, row in found.items())
        rulebook = await self._rulebooks.current(connection)
        totals = await load_totals(connection, [deposit.entry.learner_ref for deposit in deposits])
        run = _Run(first_index=await slot.next_index())
        for pending, deposit in zip(pendings, deposits, strict=True):
            entry = deposit.entry
            issuer = issuers[entry.issuer_id]
            key = (entry.issuer_id, entry.record_id)
            try:
                if issuer is None:
                    raise UnknownIssuerError(f"issuer {entry.issuer_id} is not registered")
                if key in banked:
                    pending.answer(await _banked_answer(connection, banked[key], deposit))
                elif key in run.placed:
                    pending.answer(_repeated_answer(run.placed[key], deposit))
                else:
                    decision = rulebook.evaluate(entry, issuer.kind, totals)
                    for total, amount in decision.deltas:
                        totals[total] = totals.get(total, 0) + amount
                    pending.answer(run.add(deposit, decision.award, decision.deltas))
            except CreditbankError as error:
                pending.refuse(error)
        if run.entries:
            await slot.append(run.entries, run.deltas, run.digests, demography(run.people))
            await upsert_people(connection, run.people)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Deposit:
    """A deposit checked and pseudonymised in its request, waiting for its group."""

    entry: OutcomeRecorded  # without its award, decided in the group
    digest: bytes
    personal: PersonalData


@dataclass(kw_only=True)
class _Run:
    """What a run of deposits appends, and where each new record went."""

    first_index: int
    entries: list[SealedEntry] = field(default_factory=list)
    digests: list[bytes] = field(default_factory=list)
    deltas: list[tuple[TotalKey, int]] = field(default_factory=list)
    people: list[PersonalData] = field(default_factory=list)
    placed: dict[tuple[str, str], tuple[int, bytes, OutcomeRecorded]] = field(default_factory=dict)

    def add(
        self, deposit: _Deposit, award: Award | None, deltas: Iterable[tuple[TotalKey, int]]
    ) -> OutcomeAccepted:
        entry = msgspec.structs.replace(deposit.entry, award=award)
        index = self.first_index + len(self.entries)
        self.entries.append(SealedEntry(entry))
        self.digests.append(deposit.digest)
        self.deltas.extend(deltas)
        self.people.append(deposit.personal)
        self.placed[(entry.issuer_id, entry.record_id)] = (index, deposit.digest, entry)
        return _accepted("recorded", index, entry)


async def _banked_answer(
    connection: AsyncConnection, banked: Banked, deposit: _Deposit
) -> OutcomeAccepted:
    entry = deposit.entry
    if banked.digest != deposit.digest:
        raise ExistsWithDifferentContentError(
            f"record {entry.record_id} of issuer {entry.issuer_id} was recorded with other content",
            index=banked.index,
        )
    original = open_entry(await reads.entry(connection, banked.index))
    assert isinstance(original, OutcomeRecorded)
    return _accepted("exists", banked.index, original)


def _repeated_answer(
    placed: tuple[int, bytes, OutcomeRecorded], deposit: _Deposit
) -> OutcomeAccepted:
    """The same record sent again while its first send waits in the same group."""
    index, digest, original = placed
    if digest != deposit.digest:
        raise ExistsWithDifferentContentError(
            f"record {original.record_id} of issuer {original.issuer_id} was recorded with "
            "other content",
            index=index,
        )
    return _accepted("exists", index, original)


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
