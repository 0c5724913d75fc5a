"""The simulation desk: what a draft standard would award, over the outcomes already banked or
over outcomes the caller supplies (a file an issuer is about to send). Read-only.

The outcomes are read in one snapshot and fed to the pure ``rules.simulation.Simulation``.
"""

from __future__ import annotations

from collections.abc import Sequence

from creditbank.errors import MalformedError
from creditbank.outcomes import normalise_outcome
from creditbank.privacy import Pseudonymizer
from creditbank.rules.simulation import Simulation, check_draft
from creditbank.service.context import WriteContext
from creditbank.storage import audit_reads, reads
from creditbank.storage import standards as stored
from schemas.api import OutcomeRecord, SimulationReport
from schemas.entries import IssuerRegistered, OutcomeRecorded
from schemas.standards import Standard

__all__ = ["SimulationDesk"]

# How many of the largest changes a report lists unless the caller asks for another number.
largest_changes_default = 10


class SimulationDesk:
    def __init__(self, context: WriteContext, pseudonymizer: Pseudonymizer) -> None:
        self._context = context
        self._pseudonymizer = pseudonymizer

    async def over_log(
        self, draft: Standard, largest: int = largest_changes_default
    ) -> SimulationReport:
        """The draft over every outcome in the log, in log order."""
        check_draft(draft)
        async with self._context.snapshot() as connection:
            simulation = Simulation.of(draft, await stored.published_documents(connection))
            head = await reads.log_head(connection)
            kinds: dict[str, str] = {}
            async for index, entry in audit_reads.log_entries(connection, head.tree_size):
                if isinstance(entry, IssuerRegistered):
                    kinds[entry.issuer_id] = entry.issuer_kind
                elif isinstance(entry, OutcomeRecorded) and entry.issuer_id in kinds:
                    simulation.feed(index, entry, kinds[entry.issuer_id])
        return simulation.report(largest)

    async def over_records(
        self,
        draft: Standard,
        records: Sequence[OutcomeRecord],
        largest: int = largest_changes_default,
    ) -> SimulationReport:
        """The draft over outcomes supplied by the caller, in their order; ``index`` in the
        changes is the position in ``records``. Nothing is recorded."""
        check_draft(draft)
        async with self._context.snapshot() as connection:
            simulation = Simulation.of(draft, await stored.published_documents(connection))
            kinds = await audit_reads.issuer_kinds(connection)
        now = self._context.now()
        for position, record in enumerate(records):
            kind = kinds.get(record.issuer_id or "")
            if kind is None or record.issuer_id is None:
                simulation.skipped += 1
                continue
            try:
                entry, _ = normalise_outcome(
                    record, issuer_id=record.issuer_id, pseudonymizer=self._pseudonymizer, now=now
                )
            except MalformedError:
                simulation.skipped += 1
                continue
            simulation.feed(position, entry, kind)
        return simulation.report(largest)
