"""A bank with an issuer, a standard, a programme and one learner's outcomes, for issue-5 tests."""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass

from creditbank.service.bank import Bank
from creditbank.tokens import Principal
from schemas.standards import (
    AppliesTo,
    Equivalence,
    PerHoursAward,
    Programme,
    Requirement,
    Standard,
)
from tests.factories import issuer_registration, outcome_record, resident_id

ISSUER_ID = "acme-training"
TODAY = datetime.date(2026, 11, 28)
NOW = datetime.datetime(2026, 11, 28, 9, 0, tzinfo=datetime.UTC)

# 16 hours earn 1.00 credit; an outcome counts for three years.
SAFETY = Standard(
    id="safety",
    version=1,
    title="企业安全生产培训",
    category="vocational.safety",
    effective_from=datetime.date(2020, 1, 1),
    applies_to=AppliesTo(outcome_types=["enterprise_training"], course_codes=["SAFE-*"]),
    award=PerHoursAward(hours_per_unit=decimal.Decimal("16"), rounding_step=decimal.Decimal("0.5")),
    validity_months=36,
)

PROGRAMME = Programme(
    id="sou-mechatronics",
    version=1,
    institution="上海开放大学",
    title="机电一体化技术（专科）",
    effective_from=datetime.date(2024, 1, 1),
    requirements=[
        Requirement(
            id="safety-intro",
            title="安全生产概论",
            credits_granted=decimal.Decimal("2"),
            satisfied_by=Equivalence(standards=["safety"], min_credits=decimal.Decimal("2")),
        ),
        Requirement(
            id="elective",
            title="职业素养选修",
            kind="requirement",
            credits_granted=decimal.Decimal("1"),
            satisfied_by=Equivalence(
                categories=["vocational.safety"],
                min_credits=decimal.Decimal("1"),
                max_age_months=24,
            ),
        ),
    ],
)


@dataclass
class Seeded:
    learner_ref: str
    indices: list[int]  # the learner's outcome entries, in recording order
    issuer: Principal
    learner: Principal
    admin: Principal


async def seed(bank: Bank, completions: list[datetime.date], hours: str = "16.0") -> Seeded:
    """Issuer, standard and programme published; one learner with an outcome per date."""
    await bank.deposits.register_issuer(issuer_registration(ISSUER_ID))
    await bank.standards.publish(SAFETY)
    await bank.recognitions.publish_programme(PROGRAMME)
    issuer = Principal(role="issuer", issuer_id=ISSUER_ID)
    indices, learner_ref = [], ""
    for serial, day in enumerate(completions, start=1):
        accepted = await bank.deposits.record_outcome(
            issuer,
            outcome_record(serial, learner_id=resident_id(1), hours=hours, completed_on=day),
        )
        indices.append(accepted.index)
        learner_ref = accepted.learner_ref
    return Seeded(
        learner_ref=learner_ref,
        indices=indices,
        issuer=issuer,
        learner=Principal(role="learner", learner_ref=learner_ref),
        admin=Principal(role="admin"),
    )
