"""Recognition, reversal, revocation and correction through the bank, on both databases."""

from __future__ import annotations

import datetime

import msgspec
import pytest

from creditbank.audit.replay import replay_log
from creditbank.errors import (
    AlreadyReversedError,
    AlreadyRevokedError,
    MalformedError,
    NotFoundError,
    NotInEffectError,
)
from creditbank.service.bank import Bank
from creditbank.service.context import Clock
from creditbank.storage.projections import load_totals
from creditbank.tokens import Principal
from schemas.learners import CorrectionRequest, RecognitionApplication
from tests.factories import outcome_record, resident_id
from tests.learners.seed import ISSUER_ID, NOW, PROGRAMME, seed

DAYS = [datetime.date(2026, 3, 1), datetime.date(2026, 4, 1), datetime.date(2026, 5, 1)]
APPLY = RecognitionApplication(programme_id=PROGRAMME.id)


@pytest.fixture
def clock() -> Clock:
    """The seeded outcomes and programme are dated for this module's fixed day."""
    return lambda: NOW


@pytest.fixture
def clocked(bank: Bank) -> Bank:
    return bank


async def replays_cleanly(bank: Bank) -> None:
    report = await replay_log(bank.engine)
    assert report.differences == []


async def lifetime(bank: Bank, learner_ref: str) -> int:
    async with bank.engine.connect() as connection:
        totals = await load_totals(connection, [learner_ref])
    return sum(amount for key, amount in totals.items() if key[1] == "lifetime")


async def test_grant_uses_oldest_outcomes_and_never_twice(clocked: Bank) -> None:
    """One application grants safety-intro from the two oldest outcomes and the elective from the
    oldest, which may serve both; applying again is refused as already_recognised, and the
    archive shows both recognitions."""
    bank = clocked
    seeded = await seed(bank, DAYS)
    result = await bank.recognitions.apply(seeded.learner, seeded.learner_ref, APPLY)
    by_id = {decision.requirement_id: decision for decision in result.decisions}
    intro, elective = by_id["safety-intro"], by_id["elective"]
    assert intro.status == "granted"
    assert intro.outcomes == seeded.indices[:2]  # 1.00 + 1.00 reaches 2.00, oldest first
    assert (intro.credits_required, intro.credits_granted) == ("2.00", "2.00")
    # Another requirement may use the same outcome; the elective needs 1.00.
    assert elective.status == "granted"
    assert elective.outcomes == seeded.indices[:1]
    again = await bank.recognitions.apply(seeded.learner, seeded.learner_ref, APPLY)
    assert {d.reason for d in again.decisions} == {"already_recognised"}
    archive = await bank.archives.archive(seeded.learner, seeded.learner_ref)
    assert [r.index for r in archive.recognitions] == [intro.index, elective.index]
    first = next(o for o in archive.outcomes if o.index == seeded.indices[0])
    assert first.recognised_by == sorted([intro.index, elective.index])
    await replays_cleanly(bank)


async def test_not_enough_credits_says_why(clocked: Bank) -> None:
    """With one 1.00-credit outcome, safety-intro is refused as not_enough_credits, with 1.00
    available and "1.00 of 2.00" in its detail."""
    bank = clocked
    seeded = await seed(bank, DAYS[:1])
    result = await bank.recognitions.apply(seeded.learner, seeded.learner_ref, APPLY)
    intro = next(d for d in result.decisions if d.requirement_id == "safety-intro")
    assert (intro.status, intro.reason) == ("refused", "not_enough_credits")
    assert intro.credits_available == "1.00"
    assert "1.00 of 2.00" in intro.detail


async def test_revocation_reverses_recognitions_and_drops_totals(clocked: Bank) -> None:
    """Revoking the outcome both recognitions used reverses both and drops the lifetime total from
    3.00 to 2.00; a second revocation is refused, and a new application is granted from the other
    two outcomes, counting the revoked one as excluded."""
    bank = clocked
    seeded = await seed(bank, DAYS)
    assert await lifetime(bank, seeded.learner_ref) == 300
    granted = await bank.recognitions.apply(seeded.learner, seeded.learner_ref, APPLY)
    revoked = await bank.revocations.revoke(seeded.issuer, ISSUER_ID, "R-000001", "录入错误")
    assert len(revoked.reversed_recognitions) == 2  # both recognitions used R-000001
    assert await lifetime(bank, seeded.learner_ref) == 200
    with pytest.raises(AlreadyRevokedError):
        await bank.revocations.revoke(seeded.issuer, ISSUER_ID, "R-000001", "again")
    archive = await bank.archives.archive(seeded.learner, seeded.learner_ref)
    assert archive.credits == "2.00"
    assert {r.index: r.reversed is not None for r in archive.recognitions} == {
        d.index: True for d in granted.decisions
    }
    # The revoked outcome is out; the other two still make 2.00 for the introduction.
    again = await bank.recognitions.apply(seeded.learner, seeded.learner_ref, APPLY)
    intro = next(d for d in again.decisions if d.requirement_id == "safety-intro")
    assert intro.status == "granted"
    assert intro.outcomes == seeded.indices[1:]
    assert intro.excluded.revoked == 1
    await replays_cleanly(bank)


async def test_other_issuers_and_learners_cannot_touch(clocked: Bank) -> None:
    """Another issuer gets not-found when revoking or correcting this issuer's outcome (even with a
    taken replacement record id), and another learner gets not-found for this learner's archive."""
    bank = clocked
    seeded = await seed(bank, DAYS[:2])
    with pytest.raises(NotFoundError):
        await bank.revocations.revoke(
            Principal(role="issuer", issuer_id="other"), ISSUER_ID, "R-000001", "x"
        )
    # Not even whether the replacement's record id is taken leaks to another issuer.
    taken = outcome_record(1, learner_id=resident_id(1))  # R-000001 exists
    with pytest.raises(NotFoundError):
        await bank.revocations.correct(
            Principal(role="issuer", issuer_id="other"),
            ISSUER_ID,
            "R-000001",
            CorrectionRequest(
                reason="x", outcome=msgspec.structs.replace(taken, record_id="R-000001")
            ),
        )
    with pytest.raises(NotFoundError):
        await bank.archives.archive(
            Principal(role="learner", learner_ref="f" * 64), seeded.learner_ref
        )


async def test_admin_reversal_frees_the_outcomes(clocked: Bank) -> None:
    """After an admin reverses a recognition (a second reversal is refused), the learner applies
    again and is granted from the same outcomes."""
    bank = clocked
    seeded = await seed(bank, DAYS)
    granted = await bank.recognitions.apply(seeded.admin, seeded.learner_ref, APPLY)
    index = granted.decisions[0].index
    assert index is not None
    await bank.recognitions.reverse(index, "申请材料有误")
    with pytest.raises(AlreadyReversedError):
        await bank.recognitions.reverse(index, "again")
    again = await bank.recognitions.apply(seeded.learner, seeded.learner_ref, APPLY)
    assert again.decisions[0].status == "granted"
    assert again.decisions[0].outcomes == granted.decisions[0].outcomes
    await replays_cleanly(bank)


async def test_correction_replaces_in_one_append(clocked: Bank) -> None:
    """A correction revokes the old outcome and records its 32-hour replacement at the very next
    index; the lifetime total is then 2.00 and the archive shows the old outcome revoked,
    replaced_by the new one, which is valid."""
    bank = clocked
    seeded = await seed(bank, DAYS[:1])
    new = outcome_record(99, learner_id=resident_id(1), hours="32.0", completed_on=DAYS[0])
    accepted = await bank.revocations.correct(
        seeded.issuer, ISSUER_ID, "R-000001", CorrectionRequest(reason="学时录错", outcome=new)
    )
    assert accepted.replacement_index == accepted.index + 1
    assert await lifetime(bank, seeded.learner_ref) == 200
    archive = await bank.archives.archive(seeded.learner, seeded.learner_ref)
    statuses = {o.record_id: o.status for o in archive.outcomes}
    assert statuses == {"R-000001": "revoked", "R-000099": "valid"}
    old = next(o for o in archive.outcomes if o.record_id == "R-000001")
    assert old.revoked is not None
    assert old.revoked.replaced_by == "R-000099"
    await replays_cleanly(bank)


@pytest.mark.parametrize(
    ("statement", "what"),
    [
        ("DELETE FROM recognition_use", "recognition_use"),
        ("UPDATE recognition SET reversed_index = NULL", "recognition row"),
        ("UPDATE outcome SET revoked_index = NULL", "outcome row"),
        ("UPDATE programme SET document = replace(document, '上海', '北京')", "programme"),
    ],
)
async def test_replay_reports_tampered_recognition_tables(
    clocked: Bank, statement: str, what: str
) -> None:
    """After grants, a revocation and a reversal the log replays cleanly; a direct edit of
    recognition_use, recognition, outcome or programme rows is then reported by the replay."""
    bank = clocked
    seeded = await seed(bank, DAYS)
    await bank.recognitions.apply(seeded.learner, seeded.learner_ref, APPLY)
    await bank.revocations.revoke(seeded.issuer, ISSUER_ID, "R-000003", "作废")
    await bank.recognitions.reverse(
        (await bank.archives.archive(seeded.admin, seeded.learner_ref)).recognitions[0].index,
        "复核",
    )
    await replays_cleanly(bank)
    async with bank.engine.begin() as connection:
        await connection.exec_driver_sql(statement)
    report = await replay_log(bank.engine)
    assert any(what in difference.what for difference in report.differences), report


async def test_a_programme_applies_only_while_in_effect(clocked: Bank) -> None:
    """Applying under a programme version whose effective_until has passed is refused as not in
    effect, and naming a requirement the programme lacks is refused as malformed."""
    bank = clocked
    seeded = await seed(bank, DAYS)
    retired = msgspec.structs.replace(
        PROGRAMME, version=2, effective_until=datetime.date(2026, 6, 30)
    )
    await bank.recognitions.publish_programme(retired)
    with pytest.raises(NotInEffectError):
        await bank.recognitions.apply(
            seeded.learner,
            seeded.learner_ref,
            RecognitionApplication(programme_id=PROGRAMME.id, programme_version=2),
        )
    with pytest.raises(MalformedError):
        await bank.recognitions.apply(
            seeded.learner,
            seeded.learner_ref,
            RecognitionApplication(programme_id=PROGRAMME.id, requirement_ids=["nope"]),
        )
