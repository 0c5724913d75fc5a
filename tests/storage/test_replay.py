"""Replay finds what was changed behind the log's back in every read table it checks."""

from __future__ import annotations

import datetime
import decimal
import time

import pytest
import sqlalchemy as sa

from creditbank.audit.replay import replay_log
from creditbank.rules.matching import pattern_matches
from creditbank.service.bank import Bank
from creditbank.tokens import Principal
from schemas.standards import AppliesTo, Caps, PerHoursAward, Standard
from tests.factories import issuer_registration, outcome_record

ISSUER = Principal(role="issuer", issuer_id="acme-training")
SAFETY = Standard(
    id="ent-safety",
    version=1,
    title="企业安全生产培训",
    category="vocational.safety",
    effective_from=datetime.date(2026, 1, 1),
    applies_to=AppliesTo(outcome_types=["enterprise_training"]),
    award=PerHoursAward(hours_per_unit=decimal.Decimal("16")),
    caps=Caps(per_category_per_year=decimal.Decimal("5")),
)


async def banked(bank: Bank) -> None:
    await bank.deposits.register_issuer(issuer_registration())
    await bank.standards.publish(SAFETY)
    for serial in range(3):
        await bank.deposits.record_outcome(ISSUER, outcome_record(serial, hours="32.0"))


@pytest.mark.parametrize(
    ("tampering", "clue"),
    [
        ("UPDATE learner_total SET credits = credits + 1 WHERE scope = 'lifetime'", "total"),
        ("UPDATE outcome SET award_credits = 100", "outcome row"),
        ("UPDATE outcome SET award_standard = 'other@1'", "outcome row"),
        ("UPDATE standard SET status = 'retired'", "retired in the table"),
        (
            "UPDATE standard SET document = replace(document, '\"16\"', '\"8\"')",
            "differs from the log",
        ),
        ("DELETE FROM outcome", "no read-table row"),
    ],
)
async def test_replay_reports_each_tampered_read_table(
    bank: Bank, tampering: str, clue: str
) -> None:
    """An honest bank replays clean; each kind of tampering is reported."""
    await banked(bank)
    clean = await replay_log(bank.engine)
    assert clean.differences == []
    assert clean.awards_checked == 3
    async with bank.engine.begin() as connection:
        await connection.exec_driver_sql(tampering)
    report = await replay_log(bank.engine)
    assert any(clue in difference.what for difference in report.differences), report.differences


def test_course_patterns_cannot_stall_the_engine() -> None:
    """A pattern that makes a backtracking regex take seconds is matched in milliseconds."""
    started = time.perf_counter()
    assert not pattern_matches("*a*a*a*a*a*a*a*b", "a" * 64)
    assert time.perf_counter() - started < 0.5


async def test_new_outcomes_see_the_same_totals_replay_does(bank: Bank) -> None:
    """Caps hold across deposits exactly as replay recomputes them."""
    await banked(bank)
    async with bank.engine.connect() as connection:
        total = (
            (
                await connection.execute(
                    sa.text("SELECT credits FROM learner_total WHERE scope = 'lifetime'")
                )
            )
            .scalars()
            .all()
        )
    assert sorted(total) == [200, 200, 200]  # three learners, 2.00 each
