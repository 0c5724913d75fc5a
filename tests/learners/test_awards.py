"""Awards granted by accreditation staff, on both databases: the queue, the caps, one grant per
outcome, revocation taking the grant back, statistics, replay and the offline bundle."""

from __future__ import annotations

import datetime
import decimal

import msgspec
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from creditbank.audit.bundle import verify_bundle
from creditbank.audit.replay import replay_log
from creditbank.audit.verification import VerificationError
from creditbank.errors import (
    AlreadyAwardedError,
    AlreadyRevokedError,
    CapExceededError,
    ForbiddenError,
    MalformedError,
    NotFoundError,
)
from creditbank.ledger.note import VerifierKey
from creditbank.privacy import normalise_identifier
from creditbank.service.awards import QueueFilter, grant_hundredths
from creditbank.service.bank import Bank
from creditbank.service.context import Clock
from creditbank.statistics.tables import FactFilter
from creditbank.storage.projections import load_totals
from creditbank.tokens import Principal
from schemas.awards import GrantRequest
from schemas.standards import Caps
from tests.factories import (
    community_standard,
    issuer_registration,
    outcome_record,
    resident_id,
)
from tests.learners.seed import NOW

ISSUER_ID = "east-school"
ISSUER = Principal(role="issuer", issuer_id=ISSUER_ID)
ACCREDITOR = Principal(role="accreditor")
ADMIN = Principal(role="admin")
# Community courses coded C-* earn 1.00 per 8 hours, at most 2.00 a learner per cap year,
# which starts on 1 September.
COMMUNITY = community_standard(
    Caps(per_category_per_year=decimal.Decimal("2"), year_starts="09-01")
)


@pytest.fixture
def clock() -> Clock:
    return lambda: NOW


async def _deposit(bank: Bank, serial: int, course: str, hours: str = "12.0") -> int:
    record = outcome_record(
        serial,
        issuer_id=ISSUER_ID,
        learner_id=resident_id(1),
        outcome_type="community_course",
        course_code=course,
        course_title="社区课程",
        hours=hours,
        completed_on=datetime.date(2026, 3, 1),
    )
    return (await bank.deposits.record_outcome(ISSUER, record)).index


async def _seeded(bank: Bank) -> list[int]:
    """A community school, the standard, and one learner's outcomes: C-ART earns 1.50 at
    deposit; TAICHI, DANCE and TEA (no standard covers them) await an award."""
    registration = issuer_registration(ISSUER_ID)
    await bank.deposits.register_issuer(
        msgspec.structs.replace(registration, kind="community_school")
    )
    await bank.standards.publish(COMMUNITY)
    return [
        await _deposit(bank, serial, course)
        for serial, course in enumerate(("C-ART", "TAICHI", "DANCE", "TEA"), start=1)
    ]


def grant(record: int, credits: str, **changes: object) -> GrantRequest:
    fields: dict[str, object] = {
        "issuer_id": ISSUER_ID,
        "record_id": f"R-{record:06d}",
        "credits": decimal.Decimal(credits),
        "category": "community.culture",
        "basis": "社区教育学分认定办法第三条",
        "reason": "课程经专家评审",
    }
    fields.update(changes)
    return GrantRequest(**fields)  # type: ignore[arg-type]


async def _lifetime(bank: Bank, learner_ref: str) -> int:
    async with bank.engine.connect() as connection:
        totals = await load_totals(connection, [learner_ref])
    return sum(amount for key, amount in totals.items() if key[1] == "lifetime")


async def test_grants_are_held_to_the_caps_once_per_outcome(bank: Bank) -> None:
    """1.50 held at deposit, a cap of 2.00: 1.00 more is refused naming the cap and the 0.50
    that fits; 0.50 is granted under the category's standard in its cap year; a second grant
    for the outcome, a grant to an outcome awarded at deposit, and a role that may not grant
    are refused; the queue loses what was granted."""
    indices = await _seeded(bank)
    queue = await bank.awards.queue(ACCREDITOR, QueueFilter())
    assert [item.index for item in queue.outcomes] == indices[1:]
    assert await bank.awards.awaiting(ACCREDITOR, indices[1]) == queue.outcomes[0]
    with pytest.raises(NotFoundError):
        await bank.awards.awaiting(ACCREDITOR, indices[0])  # awarded at deposit
    with pytest.raises(CapExceededError) as refused:
        await bank.awards.grant(ACCREDITOR, grant(2, "1.00"))
    assert (refused.value.cap, refused.value.remaining) == ("per_category_per_year", 50)
    assert "0.50" in refused.value.message
    accepted = await bank.awards.grant(ACCREDITOR, grant(2, "0.50"))
    assert (accepted.caps, accepted.cap_year_start) == ("community@1", datetime.date(2025, 9, 1))
    assert accepted.outcome_index == indices[1]
    with pytest.raises(NotFoundError):
        await bank.awards.awaiting(ACCREDITOR, indices[1])  # granted: no longer waiting
    with pytest.raises(AlreadyAwardedError):
        await bank.awards.grant(ADMIN, grant(2, "0.50"))
    with pytest.raises(AlreadyAwardedError):
        await bank.awards.grant(ACCREDITOR, grant(1, "0.50"))
    with pytest.raises(ForbiddenError):
        await bank.awards.grant(ISSUER, grant(3, "0.50"))
    with pytest.raises(MalformedError):
        await bank.awards.grant(ACCREDITOR, grant(3, "0.125"))
    with pytest.raises(NotFoundError):
        await bank.awards.grant(ACCREDITOR, grant(99, "0.50"))
    queue = await bank.awards.queue(ACCREDITOR, QueueFilter(course_code="DANCE"))
    assert [item.index for item in queue.outcomes] == [indices[2]]
    assert queue.total == 1


async def test_a_grant_counts_until_its_outcome_is_revoked(bank: Bank) -> None:
    """A grant naming no standard in a category without one: no caps, the calendar year. It
    shows in the archive and the totals; revoking the outcome takes it back; replay re-derives
    every row and total, and notices a grant row changed behind the log's back."""
    indices = await _seeded(bank)
    accepted = await bank.awards.grant(
        ACCREDITOR, grant(3, "3.00", category="community.health", basis="街道认定")
    )
    assert (accepted.caps, accepted.cap_year_start) == (None, datetime.date(2026, 1, 1))
    learner_ref = _ref(bank)
    archive = await bank.archives.archive(ADMIN, learner_ref)
    [item] = [item for item in archive.outcomes if item.index == indices[2]]
    assert item.award is None
    assert item.granted is not None
    assert (item.granted.index, item.granted.credits) == (accepted.index, "3.00")
    assert archive.credits == "4.50"
    assert [(t.key, t.credits) for t in archive.by_category] == [
        ("community.culture", "1.50"),
        ("community.health", "3.00"),
    ]
    assert await _lifetime(bank, learner_ref) == 450
    # The statistics count the grant (unsuppressed: the recount compares raw counts).
    counted = await bank.statistics.verify(("category",), FactFilter())
    assert counted.agrees
    assert counted.from_projection.cells[("community.health",)].credits == 300
    assert (await replay_log(bank.engine)).differences == []
    await bank.revocations.revoke(ISSUER, ISSUER_ID, "R-000003", "录入错误")
    assert await _lifetime(bank, learner_ref) == 150
    after = await bank.statistics.verify(("category",), FactFilter())
    assert ("community.health",) not in after.from_projection.cells
    with pytest.raises(AlreadyRevokedError):
        await bank.awards.grant(ACCREDITOR, grant(3, "1.00"))
    assert (await replay_log(bank.engine)).differences == []
    async with bank.engine.begin() as connection:
        await connection.execute(
            sa.text("UPDATE outcome SET award_credits = 100 WHERE award_index IS NOT NULL")
        )
    differences = (await replay_log(bank.engine)).differences
    assert [d.index for d in differences] == [indices[2]]


def _ref(bank: Bank) -> str:
    """The seeded learner's pseudonym."""
    identifier = normalise_identifier("cn_resident_id", resident_id(1), issuer_id=ISSUER_ID)
    return bank.pseudonymizer.learner_ref(identifier)


async def test_a_bundle_proves_a_grant_and_refuses_a_changed_one(bank: Bank) -> None:
    """The exported archive carries the grant's entry and verifies offline; an archive that
    claims more credits than the grant gave fails verification."""
    await _seeded(bank)
    await bank.awards.grant(ACCREDITOR, grant(2, "0.50"))
    bundle = await bank.archives.export(ADMIN, _ref(bank))
    trusted = [VerifierKey.parse(text) for text in bank.log.verifier_keys()]
    verified = verify_bundle(msgspec.json.encode(bundle), trusted)
    assert verified.archive.credits == "2.00"
    outcomes = [
        msgspec.structs.replace(item, granted=msgspec.structs.replace(item.granted, credits="5.00"))
        if item.granted is not None
        else item
        for item in bundle.archive.outcomes
    ]
    changed = msgspec.structs.replace(
        bundle, archive=msgspec.structs.replace(bundle.archive, outcomes=outcomes)
    )
    with pytest.raises(VerificationError, match="granted"):
        verify_bundle(msgspec.json.encode(changed), trusted)


@pytest.mark.parametrize(
    "text",
    ["sNaN", "NaN", "Infinity", "0.125", "1e-3", "1.0000000000000000000000000001", "1e999999"],
)
def test_an_amount_that_is_not_two_decimals_is_malformed(text: str) -> None:
    """Any decimal the JSON decoder accepts is a number of hundredths or a typed refusal:
    never an exception from the decimal module (a signalling NaN raises on first use), never
    rounded by its 28-digit context, never a giant integer."""
    with pytest.raises(MalformedError):
        grant_hundredths(decimal.Decimal(text))


@given(st.integers(0, 99_999_999), st.integers(0, 6))
def test_two_decimals_read_exactly_however_written(hundredths: int, zeros: int) -> None:
    """An amount with at most two decimals, written with any trailing zeros or as an
    exponent, reads as exactly its hundredths."""
    written = (
        decimal.Decimal(hundredths).scaleb(-2)
        if zeros == 0
        else decimal.Decimal(f"{hundredths // 100}.{hundredths % 100:02d}" + "0" * zeros)
    )
    assert grant_hundredths(written) == hundredths
