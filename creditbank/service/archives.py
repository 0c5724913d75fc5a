"""Learners' archives, their offline-verifiable export, and the ID-number -> learner_ref look-up.

A learner sees only their own archive, an admin anyone's; every other caller gets 404, so a
learner_ref cannot be probed. Everything is read in one snapshot: the archive, the entries it
rests on and the checkpoint their proofs verify against all describe the same tree.
"""

from __future__ import annotations

import base64
import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.errors import MalformedError, NotFoundError
from creditbank.learners.archive import (
    ArchiveChoices,
    ArchiveFilter,
    ArchiveSource,
    build_archive,
    everything,
    filter_choices,
)
from creditbank.privacy import Pseudonymizer, normalise_identifier
from creditbank.service import scope
from creditbank.service.context import WriteContext
from creditbank.storage import learner_reads, reads
from creditbank.tokens import Principal
from schemas.entries import (
    AwardGranted,
    OutcomeRecorded,
    OutcomeRevoked,
    RecognitionGranted,
    RecognitionReversed,
)
from schemas.learners import (
    Archive,
    ArchiveBundle,
    ArchiveOutcome,
    ArchiveRecognition,
    BundleEntry,
    LearnerLookup,
    LearnerRefView,
    bundle_format,
)

__all__ = ["ArchiveDesk", "load_archive_source"]


async def load_archive_source(
    connection: AsyncConnection, learner_ref: str, today: datetime.date
) -> tuple[ArchiveSource, dict[int, bytes]]:
    """The learner's entries and the documents they name; also the entries' canonical bytes."""
    head = await reads.log_head(connection)
    outcomes = await learner_reads.learner_outcomes(connection, learner_ref)
    recognitions = await learner_reads.learner_recognitions(connection, learner_ref)
    indices = [row.entry_index for row in outcomes]
    indices += [row.revoked_index for row in outcomes if row.revoked_index is not None]
    indices += [row.award_index for row in outcomes if row.award_index is not None]
    indices += [row.entry_index for row in recognitions]
    indices += [row.reversed_index for row in recognitions if row.reversed_index is not None]
    bodies = await learner_reads.entries_at(connection, indices)
    entries = learner_reads.decoded(bodies)
    source = ArchiveSource(learner_ref=learner_ref, tree_size=head.tree_size, today=today)
    for row in outcomes:
        entry = entries[row.entry_index]
        assert isinstance(entry, OutcomeRecorded)
        source.outcomes[row.entry_index] = entry
        if row.revoked_index is not None:
            revoked = entries[row.revoked_index]
            assert isinstance(revoked, OutcomeRevoked)
            source.revocations[row.entry_index] = (row.revoked_index, revoked)
        if row.award_index is not None:
            granted_award = entries[row.award_index]
            assert isinstance(granted_award, AwardGranted)
            source.grants[row.entry_index] = (row.award_index, granted_award)
    for grant_row in recognitions:
        granted = entries[grant_row.entry_index]
        assert isinstance(granted, RecognitionGranted)
        source.recognitions[grant_row.entry_index] = granted
        if grant_row.reversed_index is not None:
            reversal = entries[grant_row.reversed_index]
            assert isinstance(reversal, RecognitionReversed)
            source.reversals[grant_row.entry_index] = (grant_row.reversed_index, reversal)
    source.standards = await learner_reads.standards_by_name(
        connection, {row.award_standard for row in outcomes if row.award_standard is not None}
    )
    source.programmes = await learner_reads.programme_documents(
        connection, {(row.programme_id, row.programme_version) for row in recognitions}
    )
    source.issuer_names = await learner_reads.issuer_names(
        connection, {row.issuer_id for row in outcomes}
    )
    return source, bodies


class ArchiveDesk:
    def __init__(self, context: WriteContext, pseudonymizer: Pseudonymizer) -> None:
        self._context = context
        self._pseudonymizer = pseudonymizer

    async def archive(
        self, principal: Principal, learner_ref: str, query: ArchiveFilter | None = None
    ) -> Archive:
        return build_archive(await self._source(principal, learner_ref), query)

    async def archive_page(
        self, principal: Principal, learner_ref: str, query: ArchiveFilter
    ) -> tuple[Archive, ArchiveChoices]:
        """A page of the archive and everything it could be filtered by, from one read."""
        source = await self._source(principal, learner_ref)
        return build_archive(source, query), filter_choices(source)

    async def outcome(
        self, principal: Principal, learner_ref: str, index: int
    ) -> tuple[ArchiveOutcome, list[ArchiveRecognition]]:
        """One outcome of the archive, and the live or reversed recognitions that used it."""
        source = await self._source(principal, learner_ref)
        if index not in source.outcomes:
            raise NotFoundError(f"no outcome at {index} in this archive")
        archive = build_archive(source, everything(source))
        [found] = [item for item in archive.outcomes if item.index == index]
        return found, [grant for grant in archive.recognitions if index in grant.outcomes]

    async def _source(self, principal: Principal, learner_ref: str) -> ArchiveSource:
        scope.sees_learner(principal, learner_ref)
        async with self._context.snapshot() as connection:
            source, _ = await load_archive_source(connection, learner_ref, self._context.today())
        _known_to(principal, source)
        return source

    async def export(self, principal: Principal, learner_ref: str) -> ArchiveBundle:
        """The whole archive, each entry it rests on with its inclusion proof, one checkpoint.

        Besides the learner's own entries, the bundle holds the registrations of the issuers
        and the publications of the standards and programmes the archive names.
        """
        scope.sees_learner(principal, learner_ref)
        async with self._context.snapshot() as connection:
            source, bodies = await load_archive_source(
                connection, learner_ref, self._context.today()
            )
            _known_to(principal, source)
            # The entries behind names, titles and validity, so the bundle proves those too.
            documents = await learner_reads.document_indices(
                connection,
                source.issuer_names,
                source.standards,
                source.programmes,
            )
            bodies.update(await learner_reads.entries_at(connection, documents))
            stored = await reads.latest_checkpoint(connection)
            if stored is None:
                raise NotFoundError("the log has no checkpoint yet")
            proofs = await reads.inclusion_proofs(connection, bodies, stored.tree_size)
            entries = [
                BundleEntry(
                    index=index, body=_b64(body), proof=[_b64(node) for node in proofs[index]]
                )
                for index, body in sorted(bodies.items())
            ]
        return ArchiveBundle(
            format=bundle_format,
            archive=build_archive(source, everything(source)),
            checkpoint=stored.signed_note,
            verifier_keys=self._context.keys.active_verifier_keys(),
            entries=entries,
        )

    def lookup(self, principal: Principal, lookup: LearnerLookup) -> LearnerRefView:
        """The caller's own learner_ref, if the identifier is theirs; 404 otherwise."""
        own_ref = scope.is_the_learner(principal)
        if lookup.learner_id_type == "employee_no" and lookup.issuer_id is None:
            raise MalformedError("issuer_id", "an employee number is looked up with its employer")
        identifier = normalise_identifier(
            lookup.learner_id_type, lookup.learner_id, issuer_id=lookup.issuer_id or ""
        )
        learner_ref = self._pseudonymizer.learner_ref(identifier)
        if learner_ref != own_ref:
            raise NotFoundError("that identifier is not the one this token was issued for")
        return LearnerRefView(learner_ref=learner_ref)


def _known_to(principal: Principal, source: ArchiveSource) -> None:
    """An admin naming a learner the log has nothing about is told there is none (404), not
    shown an empty archive that reads as "this person learned nothing". A learner's own empty
    archive is simply empty: their token says they exist."""
    if principal.role == "learner":
        return
    if not source.outcomes and not source.recognitions:
        raise NotFoundError(f"no learner {source.learner_ref}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
