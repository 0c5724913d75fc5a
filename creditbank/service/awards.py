"""Awards by accreditation staff: the queue of outcomes no standard covered, and grants.

An outcome recorded without an award (``no_standard``: most community courses today) can earn
credits by a person's decision. The accreditor (or an admin) reviews the queue, filtered by
issuer, outcome type or course, and grants credits with a category, an amount, a basis and a
reason. The grant is one ``award.granted`` entry through the group commit, held to the caps of
``rules.grants`` against the learner's totals under the log's lock, so two grants racing for one
learner see each other as two deposits do. A grant is final: a second one for the outcome is
refused, and revoking the outcome takes the grant's credits back with it.
"""

from __future__ import annotations

import decimal
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.errors import (
    AlreadyAwardedError,
    AlreadyRevokedError,
    ForbiddenError,
    MalformedError,
    NotFoundError,
)
from creditbank.ledger.entries import SealedEntry, open_entry
from creditbank.outcomes import format_timestamp
from creditbank.rules.arithmetic import credits_text
from creditbank.rules.grants import GrantTarget, caps_standard, plan_grant
from creditbank.service.context import WriteContext
from creditbank.service.group_commit import GroupSlot
from creditbank.storage import learner_reads, reads
from creditbank.storage import standards as stored_standards
from creditbank.storage.award_reads import QueueFilter, awaiting_page
from creditbank.storage.projections import load_totals
from creditbank.tokens import Principal
from schemas.awards import AwaitingOutcome, AwardQueue, GrantAccepted, GrantRequest
from schemas.entries import AwardGranted, OutcomeRecorded
from schemas.standards import Standard, parse_standard_name

__all__ = ["AwardDesk", "QueueFilter", "grant_hundredths", "queue_page_size_max"]

queue_page_size_max = 200
_CREDIT_DIGITS_MAX = 5  # 999999.99 is the most an entry holds: six digits before the point
_DECIMALS_SEEN_MAX = 20  # trailing zeros past this are not an amount anyone typed
_GRANTING_ROLES = frozenset({"accreditor", "admin"})


def _grants(principal: Principal) -> None:
    if principal.role not in _GRANTING_ROLES:
        raise ForbiddenError("only accreditation staff or an admin may grant awards")


def grant_hundredths(credits: decimal.Decimal) -> int:
    """The amount in hundredths, exactly: more decimals than two are refused, not rounded."""
    if not credits.is_finite():  # NaN, a signalling NaN (which raises on use) or infinity
        raise MalformedError("credits", "must be a number")
    # Exact, without the decimal context (28 digits, which would round 1.000…001 to 1), and
    # bounded before any big integer is made of an exponent like 1e999999.
    exponent = credits.as_tuple().exponent
    assert isinstance(exponent, int)  # a finite decimal's exponent is a number
    if credits.adjusted() > _CREDIT_DIGITS_MAX or exponent < -_DECIMALS_SEEN_MAX:
        raise MalformedError("credits", "at most two decimals and 999999.99")
    numerator, denominator = credits.as_integer_ratio()
    if numerator * 100 % denominator:
        raise MalformedError("credits", "at most two decimals")
    return numerator * 100 // denominator


class AwardDesk:
    def __init__(self, context: WriteContext) -> None:
        self._context = context

    async def queue(
        self, principal: Principal, wanted: QueueFilter, page: int = 1, page_size: int = 50
    ) -> AwardQueue:
        """A page of outcomes awaiting an award, oldest first."""
        _grants(principal)
        if page < 1 or not 1 <= page_size <= queue_page_size_max:
            raise MalformedError("page", f"pages start at 1 and hold 1-{queue_page_size_max}")
        async with self._context.snapshot() as connection:
            head = await reads.log_head(connection)
            indices, total = await awaiting_page(
                connection, wanted, (page - 1) * page_size, page_size
            )
            entries = learner_reads.decoded(await learner_reads.entries_at(connection, indices))
        return AwardQueue(
            outcomes=[_awaiting(index, entries[index]) for index in indices],
            total=total,
            page=page,
            page_size=page_size,
            tree_size=head.tree_size,
        )

    async def awaiting(self, principal: Principal, index: int) -> AwaitingOutcome:
        """The outcome at ``index`` as the queue lists it; 404 unless it awaits an award."""
        _grants(principal)
        async with self._context.snapshot() as connection:
            entry = open_entry(await reads.entry(connection, index))
            if not isinstance(entry, OutcomeRecorded) or entry.award is not None:
                raise NotFoundError(f"no outcome awaiting an award at entry {index}")
            row = await learner_reads.outcome_row(connection, entry.issuer_id, entry.record_id)
        if row is None or row.entry_index != index or row.revoked_index is not None:
            raise NotFoundError(f"no outcome awaiting an award at entry {index}")
        if row.award_index is not None:
            raise NotFoundError(f"no outcome awaiting an award at entry {index}")
        return _awaiting(index, entry)

    async def grant(self, principal: Principal, request: GrantRequest) -> GrantAccepted:
        _grants(principal)
        credits = grant_hundredths(request.credits)
        granted_by: Literal["accreditor", "admin"] = (
            "admin" if principal.role == "admin" else "accreditor"
        )

        async def write(slot: GroupSlot) -> GrantAccepted:
            connection = slot.connection
            outcome_index, outcome = await _ungranted_outcome(
                connection, request.issuer_id, request.record_id
            )
            caps = await _caps(connection, request, outcome)
            totals = await load_totals(connection, [outcome.learner_ref])
            target = GrantTarget.of(outcome)
            plan = plan_grant(target, credits, request.category, caps, totals)
            entry = AwardGranted(
                issuer_id=request.issuer_id,
                record_id=request.record_id,
                outcome_index=outcome_index,
                learner_ref=outcome.learner_ref,
                credits=credits_text(credits),
                category=request.category,
                standard=request.standard,
                basis=request.basis,
                reason=request.reason,
                caps=plan.caps,
                cap_year_start=plan.cap_year_start,
                granted_by=granted_by,
                granted_at=format_timestamp(self._context.now()),
            )
            placed = await slot.append([SealedEntry(entry)], list(plan.deltas))
            return GrantAccepted(
                index=placed.first_index,
                outcome_index=entry.outcome_index,
                credits=entry.credits,
                category=entry.category,
                caps=entry.caps,
                cap_year_start=entry.cap_year_start,
            )

        return await self._context.grouped(write)


async def _ungranted_outcome(
    connection: AsyncConnection, issuer_id: str, record_id: str
) -> tuple[int, OutcomeRecorded]:
    """The live outcome (its index and entry), recorded without an award and granted none
    since; else why not."""
    found = await learner_reads.outcome_row(connection, issuer_id, record_id)
    if found is None:
        raise NotFoundError(f"no outcome {issuer_id}/{record_id}")
    if found.revoked_index is not None:
        raise AlreadyRevokedError(
            f"outcome {issuer_id}/{record_id} was revoked by entry {found.revoked_index}"
        )
    if found.award_index is not None:
        raise AlreadyAwardedError(
            f"outcome {issuer_id}/{record_id} was granted an award by entry {found.award_index}"
        )
    entry = open_entry(await reads.entry(connection, found.entry_index))
    assert isinstance(entry, OutcomeRecorded)
    if entry.award is not None:
        raise AlreadyAwardedError(
            f"outcome {issuer_id}/{record_id} was awarded under {entry.award.standard} at deposit"
        )
    return found.entry_index, entry


async def _caps(
    connection: AsyncConnection, request: GrantRequest, outcome: OutcomeRecorded
) -> Standard | None:
    """The standard named as the basis (published, not retired), else the category's standard
    in force on the completion date, else none."""
    if request.standard is None:
        in_force = await stored_standards.published_documents(connection)
        return caps_standard(in_force, request.category, outcome.completed_on)
    try:
        name = parse_standard_name(request.standard)
    except ValueError:
        raise MalformedError("standard", "must be <id>@<version>") from None
    found = await stored_standards.find_published(connection, name.id, name.version)
    if found is None:
        raise MalformedError("standard", f"no standard {request.standard} is published")
    if found.status != "published":
        raise MalformedError("standard", f"{request.standard} is retired")
    return found.document


def _awaiting(index: int, entry: object) -> AwaitingOutcome:
    assert isinstance(entry, OutcomeRecorded)
    return AwaitingOutcome(
        index=index,
        issuer_id=entry.issuer_id,
        record_id=entry.record_id,
        outcome_type=entry.outcome_type,
        course_code=entry.course_code,
        course_title=entry.course_title,
        hours=entry.hours,
        result=entry.result,
        completed_on=entry.completed_on,
        recorded_at=entry.recorded_at,
    )
