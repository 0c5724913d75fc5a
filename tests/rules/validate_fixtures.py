"""Builders shared by the validation tests: a valid standard and programme to vary, and the
fields a document's problems name."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from msgspec import structs

from creditbank.errors import StandardInvalidError
from creditbank.rules.validate import (
    validate_standard,
)
from schemas.standards import (
    AppliesTo,
    Caps,
    Equivalence,
    LevelRow,
    LevelTableAward,
    PerHoursAward,
    Programme,
    Requirement,
    Standard,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "standards"
STANDARD_FILES = [
    "enterprise-safety-training.toml",
    "community-elderly-courses.toml",
    "vocational-certificates.toml",
]
JAN_1 = datetime.date(2025, 1, 1)


def standard(**changes: Any) -> Standard:
    base = Standard(
        id="base",
        version=1,
        title="基础标准",
        category="vocational.safety",
        effective_from=JAN_1,
        applies_to=AppliesTo(outcome_types=["enterprise_training"], course_codes=["SAFE-*"]),
        award=PerHoursAward(hours_per_unit=Decimal("16")),
        max_per_outcome=Decimal("4"),
        caps=Caps(per_issuer_per_year=Decimal("8"), per_category_per_year=Decimal("12")),
        validity_months=60,
    )
    return structs.replace(base, **changes)


def programme(**changes: Any) -> Programme:
    requirement = Requirement(
        id="safety",
        title="安全生产管理",
        credits_granted=Decimal("3"),
        satisfied_by=Equivalence(categories=["vocational.safety"], min_credits=Decimal("3")),
    )
    base = Programme(
        id="admin",
        version=1,
        institution="某市开放大学",
        title="行政管理（专科）",
        effective_from=JAN_1,
        requirements=[requirement],
    )
    return structs.replace(base, **changes)


def problems_of(document: Standard, published: list[Standard] | None = None) -> list[str]:
    try:
        validate_standard(document, published or [])
    except StandardInvalidError as error:
        return [field for field, _ in error.problems]
    return []


def level(name: str, codes: list[str], credits: str) -> LevelRow:
    return LevelRow(level=name, course_codes=codes, credits=Decimal(credits))


def table(*rows: LevelRow) -> LevelTableAward:
    return LevelTableAward(levels=list(rows))


def per_hours(**changes: Any) -> PerHoursAward:
    return structs.replace(PerHoursAward(hours_per_unit=Decimal("16")), **changes)
