"""Test data: valid resident ID numbers and outcome records."""

from __future__ import annotations

import datetime
import decimal

from creditbank.keys import KeyRing
from creditbank.service.bank import Bank
from creditbank.service.context import Clock
from schemas.api import IssuerRegistration, OutcomeRecord
from schemas.standards import AppliesTo, Caps, FixedAward, PerHoursAward, Standard
from schemas.types import OutcomeType

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def resident_id(serial: int, birth: datetime.date = datetime.date(1990, 5, 17)) -> str:
    """A resident ID number with a correct GB 11643 check character."""
    body = f"110105{birth:%Y%m%d}{serial % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    return body + _CHECK[total % 11]


def issuer_registration(issuer_id: str = "acme-training") -> IssuerRegistration:
    return IssuerRegistration(
        issuer_id=issuer_id, name="华东精密制造有限公司", kind="enterprise", district="浦东新区"
    )


def outcome_record(
    serial: int = 1,
    *,
    issuer_id: str | None = "acme-training",
    hours: str = "16.0",
    **changes: object,
) -> OutcomeRecord:
    fields: dict[str, object] = {
        "issuer_id": issuer_id,
        "record_id": f"R-{serial:06d}",
        "learner_id": resident_id(serial),
        "learner_name": "张三",
        "course_code": "SAFE-101",
        "course_title": "安全生产培训",
        "outcome_type": "enterprise_training",
        "hours": decimal.Decimal(hours),
        "result": "passed",
        "score": decimal.Decimal("88.5"),
        "completed_on": datetime.date(2026, 6, 1),
    }
    fields.update(changes)
    return OutcomeRecord(**fields)  # type: ignore[arg-type]


def rebuilt(bank: Bank, *, keys: KeyRing | None = None, clock: Clock | None = None) -> Bank:
    """The same deployment (engine, pseudonymizer, data directory) built again with other keys
    or another clock, as a restart after a key rotation would; call ``start`` on it."""
    return Bank(
        engine=bank.engine,
        keys=keys or bank.keys,
        pseudonymizer=bank.pseudonymizer,
        clock=clock or bank.context.now,
        data_dir=bank.data_dir,
    )


def community_standard(
    caps: Caps,
    *,
    outcome_types: tuple[OutcomeType, ...] = ("community_course",),
    rounding_step: str = "0.5",
) -> Standard:
    """Community courses coded C-*: 1.00 credit per 8 hours, in ``community.culture``."""
    return Standard(
        id="community",
        version=1,
        title="社区教育课程",
        category="community.culture",
        effective_from=datetime.date(2020, 1, 1),
        applies_to=AppliesTo(outcome_types=list(outcome_types), course_codes=["C-*"]),
        award=PerHoursAward(
            hours_per_unit=decimal.Decimal("8"), rounding_step=decimal.Decimal(rounding_step)
        ),
        caps=caps,
    )


def fixed_safety_standard() -> Standard:
    """Enterprise safety training coded SAFE-*: 1.50 credits each, in ``vocational.safety``."""
    return Standard(
        id="safety",
        version=1,
        title="安全生产培训",
        category="vocational.safety",
        effective_from=datetime.date(2020, 1, 1),
        applies_to=AppliesTo(outcome_types=["enterprise_training"], course_codes=["SAFE-*"]),
        award=FixedAward(credits=decimal.Decimal("1.5")),
    )
