"""Builders shared by the engine tests: a standard, an outcome, and a decision on them."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Mapping
from typing import Any

import msgspec

from creditbank.ledger.entries import SealedEntry, open_entry
from creditbank.rules import (
    Decision,
    TotalKey,
    compile_rulebook,
)
from schemas.entries import Award, OutcomeRecorded
from schemas.standards import (
    AppliesTo,
    PerHoursAward,
    Standard,
)

D = decimal.Decimal
LEARNER = "a" * 64
OTHER_LEARNER = "b" * 64
CATEGORY = "vocational.safety"


def standard(**changes: Any) -> Standard:
    fields: dict[str, Any] = {
        "id": "safety",
        "version": 1,
        "title": "安全生产培训学分标准",
        "category": CATEGORY,
        "effective_from": datetime.date(2025, 1, 1),
        "applies_to": AppliesTo(outcome_types=["enterprise_training"]),
        "award": PerHoursAward(hours_per_unit=D("16")),
    }
    fields.update(changes)
    return Standard(**fields)


def outcome(**changes: Any) -> OutcomeRecorded:
    fields: dict[str, Any] = {
        "issuer_id": "acme-training",
        "record_id": "R-000001",
        "learner_ref": LEARNER,
        "outcome_type": "enterprise_training",
        "course_code": "SAFE-101",
        "course_title": "安全生产培训",
        "hours": "32.0",
        "result": "passed",
        "score": "88.5",
        "attendance_pct": "95.0",
        "completed_on": datetime.date(2026, 6, 1),
        "recorded_at": "2026-11-28T12:00:00Z",
    }
    fields.update(changes)
    return OutcomeRecorded(**fields)


def decide(
    standards: list[Standard],
    record: OutcomeRecorded | None = None,
    totals: Mapping[TotalKey, int] | None = None,
    issuer_kind: str = "enterprise",
) -> Decision:
    record = outcome() if record is None else record
    decision = compile_rulebook(standards).evaluate(record, issuer_kind, totals or {})
    sealed = SealedEntry(msgspec.structs.replace(record, award=decision.award))
    assert open_entry(sealed.body) == sealed.entry
    return decision


def awarded(decision: Decision) -> Award:
    assert decision.award is not None
    return decision.award


def credits(decision: Decision) -> str:
    return awarded(decision).credits
