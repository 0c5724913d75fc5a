"""The recognition desk: programmes, recognition (转换) toward them, and its reversal.

Each operation decides under the log's write lock and appends once, so what it read cannot change
before its entries land. The decisions themselves are pure (``learners.recognition``). The read
table ``recognition_use`` refuses, by its primary key, an outcome used twice for one requirement,
should anything slip past the check made here. Revocations, which reverse recognitions in their
own append, are the revocation desk's.
"""

from __future__ import annotations

import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.errors import (
    AlreadyReversedError,
    ExistsWithDifferentContentError,
    MalformedError,
    NotFoundError,
    NotInEffectError,
    StandardInvalidError,
)
from creditbank.learners.archive import held_award
from creditbank.learners.recognition import Candidate, decide_application, valid_until
from creditbank.ledger.entries import SealedEntry
from creditbank.outcomes import format_timestamp
from creditbank.rules.engine import TotalKey
from creditbank.rules.validate import validate_programme
from creditbank.service import scope
from creditbank.service.archives import load_archive_source
from creditbank.service.context import WriteContext
from creditbank.service.group_commit import GroupSlot
from creditbank.storage import learner_reads
from creditbank.storage.append import LogTransaction
from creditbank.tokens import Principal
from schemas.entries import (
    ProgrammePublished,
    RecognitionReversed,
)
from schemas.learners import (
    ProgrammeView,
    RecognitionApplication,
    RecognitionResult,
    RequirementDecision,
)
from schemas.standards import Programme, Requirement, parse_standard_name, standard_name

__all__ = ["RecognitionDesk"]

Entries = list[SealedEntry]
Deltas = list[tuple[TotalKey, int]]


class RecognitionDesk:
    def __init__(self, context: WriteContext) -> None:
        self._context = context

    # Programmes --------------------------------------------------------------------------------

    async def publish_programme(self, programme: Programme) -> ProgrammeView:
        """Append ``programme.published``; the same document again is answered with the first."""
        self._context.require_writable()
        validate_programme(programme)
        async with self._context.transaction() as transaction:
            connection = transaction.connection
            known = await learner_reads.programme_document(
                connection, programme.id, programme.version
            )
            if known is not None:
                if known.programme != programme:
                    raise ExistsWithDifferentContentError(
                        f"programme {standard_name(programme.id, programme.version)} is published "
                        "with other content; publish a new version",
                        index=known.published_index,
                    )
                return ProgrammeView(
                    programme=known.programme, published_index=known.published_index
                )
            await _check_standards_exist(transaction, programme)
            entry = ProgrammePublished(
                programme=programme, published_at=format_timestamp(self._context.now())
            )
            appended = await transaction.append([SealedEntry(entry)])
            await transaction.commit()
        return ProgrammeView(programme=programme, published_index=appended.first_index)

    async def programmes(self) -> list[ProgrammeView]:
        """The newest version of every published programme."""
        async with self._context.connect() as connection:
            found = await learner_reads.latest_programmes(connection)
        return [
            ProgrammeView(programme=item.programme, published_index=item.published_index)
            for item in found
        ]

    async def programme(self, programme_id: str, version: int | None = None) -> ProgrammeView:
        async with self._context.connect() as connection:
            found = await learner_reads.programme_document(connection, programme_id, version)
        if found is None:
            raise NotFoundError(f"no programme {programme_id}")
        return ProgrammeView(programme=found.programme, published_index=found.published_index)

    # Recognition -------------------------------------------------------------------------------

    async def apply(
        self, principal: Principal, learner_ref: str, application: RecognitionApplication
    ) -> RecognitionResult:
        """Decide every requested requirement; append one ``recognition.granted`` per grant."""
        scope.sees_learner(principal, learner_ref)
        self._context.require_writable()
        now = self._context.now()
        today = now.astimezone(datetime.UTC).date()

        async def write(slot: GroupSlot) -> tuple[Programme, list[RequirementDecision]]:
            connection = slot.connection
            programme = await _programme_for(connection, application, today)
            requirements = _requested(programme, application.requirement_ids)
            candidates, recognised = await _candidates(connection, learner_ref, today)
            decided = decide_application(
                programme,
                requirements,
                candidates,
                recognised,
                today=today,
                learner_ref=learner_ref,
                applied_by="admin" if scope.acts_as_admin(principal) else "learner",
                granted_at=format_timestamp(now),
            )
            decisions = [decision for decision, _ in decided]
            grants = [grant for _, grant in decided if grant is not None]
            if not grants:
                return programme, decisions
            placed = await slot.append([SealedEntry(grant) for grant in grants])
            indices = iter(range(placed.first_index, placed.tree_size))
            return programme, [
                msgspec.structs.replace(decision, index=next(indices))
                if decision.status == "granted"
                else decision
                for decision in decisions
            ]

        programme, decisions = await self._context.grouped(write)
        return RecognitionResult(
            learner_ref=learner_ref,
            programme_id=programme.id,
            programme_version=programme.version,
            decisions=decisions,
        )

    async def reverse(self, recognition_index: int, reason: str) -> int:
        """Admin: append ``recognition.reversed``; its outcomes are free for that requirement."""

        async def write(slot: GroupSlot) -> int:
            row = await learner_reads.recognition_row(slot.connection, recognition_index)
            if row is None:
                raise NotFoundError(f"no recognition at entry {recognition_index}")
            if row.reversed_index is not None:
                raise AlreadyReversedError(
                    f"recognition {recognition_index} was reversed by entry {row.reversed_index}"
                )
            entry = RecognitionReversed(
                recognition_index=recognition_index,
                learner_ref=row.learner_ref,
                reason=reason,
                cause="admin",
                reversed_at=format_timestamp(self._context.now()),
            )
            return (await slot.append([SealedEntry(entry)])).first_index

        return await self._context.grouped(write)


def _in_effect(programme: Programme, today: datetime.date) -> bool:
    until = programme.effective_until
    return programme.effective_from <= today and (until is None or today <= until)


async def _programme_for(
    connection: AsyncConnection, application: RecognitionApplication, today: datetime.date
) -> Programme:
    """The version applied for, or else the latest version in effect today."""
    versions = await learner_reads.programme_versions(connection, application.programme_id)
    if not versions:
        raise NotFoundError(f"no programme {application.programme_id}")
    if application.programme_version is not None:
        chosen = [p for p in versions if p.version == application.programme_version]
        if not chosen:
            name = standard_name(application.programme_id, application.programme_version)
            raise NotFoundError(f"no programme {name}")
    else:
        chosen = [p for p in versions if _in_effect(p, today)] or versions[-1:]
    programme = chosen[-1]
    if not _in_effect(programme, today):
        until = programme.effective_until
        raise NotInEffectError(
            f"programme {standard_name(programme.id, programme.version)} is in effect from "
            f"{programme.effective_from}" + (f" to {until}" if until else "") + f", not {today}"
        )
    return programme


def _requested(programme: Programme, requirement_ids: list[str]) -> list[Requirement]:
    """The requirements applied for, in the programme's order; all of them when none is named."""
    if not requirement_ids:
        return list(programme.requirements)
    known = {requirement.id for requirement in programme.requirements}
    unknown = [name for name in requirement_ids if name not in known]
    if unknown:
        raise MalformedError(
            "requirement_ids",
            f"{standard_name(programme.id, programme.version)} has no requirement "
            f"{', '.join(unknown)}",
        )
    wanted = set(requirement_ids)
    return [requirement for requirement in programme.requirements if requirement.id in wanted]


async def _candidates(
    connection: AsyncConnection, learner_ref: str, today: datetime.date
) -> tuple[list[Candidate], set[tuple[str, str]]]:
    """The learner's awarded outcomes as recognition sees them, and the (programme,
    requirement) pairs they already hold a live recognition for."""
    source, _ = await load_archive_source(connection, learner_ref, today)
    uses = await learner_reads.uses_of(connection, list(source.outcomes))
    candidates = []
    for index, entry in source.outcomes.items():
        grant = source.grants.get(index)
        award = held_award(entry, None if grant is None else grant[1])
        if award is None:
            continue
        standard = None if award.standard is None else source.standards.get(award.standard)
        candidates.append(
            Candidate(
                index=index,
                standard_id=None
                if award.standard is None
                else parse_standard_name(award.standard).id,
                category=award.category,
                credits=award.credits,
                completed_on=entry.completed_on,
                valid_until=None
                if standard is None
                else valid_until(entry.completed_on, standard.validity_months),
                revoked=index in source.revocations,
                used_for=frozenset(
                    (use.programme_id, use.requirement_id) for use in uses.get(index, ())
                ),
            )
        )
    recognised = {
        (grant.programme_id, grant.requirement_id)
        for index, grant in source.recognitions.items()
        if index not in source.reversals
    }
    return candidates, recognised


async def _check_standards_exist(transaction: LogTransaction, programme: Programme) -> None:
    """Every standard an equivalence rule names must have been published (any version)."""
    published = await learner_reads.published_standard_ids(transaction.connection)
    problems = [
        (
            f"requirements[{number}].satisfied_by.standards",
            f"no standard {standard_id} is published",
        )
        for number, requirement in enumerate(programme.requirements)
        for standard_id in requirement.satisfied_by.standards
        if standard_id not in published
    ]
    if problems:
        raise StandardInvalidError(problems)
