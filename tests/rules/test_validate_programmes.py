"""Semantic checks of programmes: the fixture is valid and each check names its field."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from msgspec import structs

from creditbank.errors import StandardInvalidError
from creditbank.rules.validate import (
    validate_programme,
)
from schemas.standards import (
    Equivalence,
    Requirement,
)
from tests.rules.validate_fixtures import (
    programme,
)


def test_example_like_programme_is_valid() -> None:
    """The programme fixture passes."""
    validate_programme(programme())


def requirement(**changes: Any) -> Requirement:
    return structs.replace(programme().requirements[0], **changes)


PROGRAMME_FAILURES: list[tuple[str, dict[str, Any], str]] = [
    ("until before from", {"effective_until": datetime.date(2024, 1, 1)}, "effective_until"),
    ("no requirements", {"requirements": []}, "requirements"),
    ("duplicate ids", {"requirements": [requirement(), requirement()]}, "requirements"),
    (
        "zero credits granted",
        {"requirements": [requirement(credits_granted=Decimal(0))]},
        "requirements[0].credits_granted",
    ),
    (
        "credits granted scale",
        {"requirements": [requirement(credits_granted=Decimal("1.001"))]},
        "requirements[0].credits_granted",
    ),
    (
        "satisfied by nothing",
        {"requirements": [requirement(satisfied_by=Equivalence(min_credits=Decimal(1)))]},
        "requirements[0].satisfied_by",
    ),
    (
        "zero min credits",
        {
            "requirements": [
                requirement(satisfied_by=Equivalence(standards=["x"], min_credits=Decimal(0)))
            ]
        },
        "requirements[0].satisfied_by.min_credits",
    ),
    (
        "max age not positive",
        {
            "requirements": [
                requirement(
                    satisfied_by=Equivalence(
                        standards=["x"], min_credits=Decimal(1), max_age_months=0
                    )
                )
            ]
        },
        "requirements[0].satisfied_by.max_age_months",
    ),
    ("blank institution", {"institution": " "}, "institution"),
]


@pytest.mark.parametrize(
    ("changes", "field"),
    [pytest.param(changes, field, id=name) for name, changes, field in PROGRAMME_FAILURES],
)
def test_each_programme_check_names_its_field(changes: dict[str, Any], field: str) -> None:
    """Each programme check fails on its own and names the offending field."""
    with pytest.raises(StandardInvalidError) as raised:
        validate_programme(programme(**changes))
    assert field in [name for name, _ in raised.value.problems]
