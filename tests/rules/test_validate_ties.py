"""Validation against what is already published: versions only move up, and two standards in
force that could decide the same outcome on the same day must differ in precedence."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from creditbank.errors import StandardInvalidError
from creditbank.rules.validate import (
    validate_standard,
)
from schemas.standards import (
    AppliesTo,
    Standard,
)
from tests.rules.validate_fixtures import (
    problems_of,
    standard,
)


def test_versions_already_published_or_lower_are_refused() -> None:
    """A version number is used once per id, and never below the highest published one."""
    published = [standard(version=1), standard(version=3)]
    assert problems_of(standard(version=3), published) == ["version"]
    assert problems_of(standard(version=2), published) == ["version"]
    assert problems_of(standard(version=4), published) == []


def overlapping(**changes: Any) -> Standard:
    """Another standard that applies to some of the base standard's outcomes."""
    applies = AppliesTo(outcome_types=["enterprise_training"], course_codes=["*-2025-*"])
    return standard(**{"id": "other", "applies_to": applies, **changes})


def test_tie_on_precedence_is_reported_with_the_other_standard_and_period() -> None:
    """Two ids that can match a common outcome on a common day must differ in precedence."""
    other = overlapping(
        effective_from=datetime.date(2025, 6, 1), effective_until=datetime.date(2026, 5, 31)
    )
    with pytest.raises(StandardInvalidError) as raised:
        validate_standard(standard(effective_until=datetime.date(2025, 12, 31)), [other])
    [(field, reason)] = raised.value.problems
    assert field == "precedence"
    assert "other@1" in reason
    assert "from 2025-06-01 to 2025-12-31" in reason


def test_open_ended_tie_says_onwards() -> None:
    """An overlap without an end is described as open-ended."""
    with pytest.raises(StandardInvalidError, match="from 2025-01-01 onwards"):
        validate_standard(standard(), [overlapping()])


def test_tie_is_resolved_by_precedence() -> None:
    """Giving either standard another precedence removes the ambiguity."""
    assert problems_of(standard(precedence=5), [overlapping()]) == []
    assert problems_of(standard(), [overlapping(precedence=5)]) == []


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(
            overlapping(
                effective_until=datetime.date(2024, 12, 31),
                effective_from=datetime.date(2024, 1, 1),
            ),
            id="dates",
        ),
        pytest.param(
            overlapping(applies_to=AppliesTo(outcome_types=["elderly_course"])), id="types"
        ),
        pytest.param(
            overlapping(
                applies_to=AppliesTo(outcome_types=["enterprise_training"], course_codes=["VC-*"])
            ),
            id="course codes",
        ),
        pytest.param(
            overlapping(
                applies_to=AppliesTo(
                    outcome_types=["enterprise_training"], issuer_kinds=["college"]
                )
            ),
            id="issuer kinds",
        ),
        pytest.param(standard(version=1), id="same id"),
    ],
)
def test_no_tie_without_a_common_outcome_and_day(other: Standard) -> None:
    """Disjoint dates, types, codes or issuers, or another version of the same id, never tie."""
    base = standard(
        version=2,
        applies_to=AppliesTo(
            outcome_types=["enterprise_training"],
            issuer_kinds=["enterprise"],
            course_codes=["SAFE-*"],
        ),
    )
    assert problems_of(base, [other]) == []


def test_issuer_ids_and_kinds_filter_separately() -> None:
    """An id on one side and a kind on the other may be the same issuer; two ids may not."""
    kinds = AppliesTo(outcome_types=["enterprise_training"], issuer_kinds=["enterprise"])
    ids = AppliesTo(outcome_types=["enterprise_training"], issuer_ids=["acme"])
    other_ids = AppliesTo(outcome_types=["enterprise_training"], issuer_ids=["globex"])
    assert problems_of(standard(applies_to=kinds), [overlapping(applies_to=ids)]) == ["precedence"]
    assert problems_of(standard(applies_to=ids), [overlapping(applies_to=other_ids)]) == []


def test_superseded_versions_do_not_tie() -> None:
    """Only the highest version of another id in force on a day counts, as in the engine."""
    old = overlapping(version=1, effective_from=datetime.date(2024, 1, 1))
    new = overlapping(version=2, effective_from=datetime.date(2025, 1, 1), precedence=5)
    assert problems_of(standard(), [old, new]) == []
    # Before 2025 the old version is still the one in force.
    early = standard(effective_from=datetime.date(2024, 6, 1))
    with pytest.raises(StandardInvalidError, match=r"other@1\b.* from 2024-06-01 to 2024-12-31"):
        validate_standard(early, [old, new])


def test_retired_versions_do_not_tie_but_keep_their_number() -> None:
    """A retired version matches nothing, yet its version number stays taken."""
    published = [overlapping()]
    assert problems_of(standard(), published) == ["precedence"]
    validate_standard(standard(), published, retired=[("other", 1)])
    with pytest.raises(StandardInvalidError, match="already published"):
        validate_standard(overlapping(), published, retired=[("other", 1)])
