"""Bodies of the award endpoints: the queue of outcomes awaiting an award, and a grant."""

from __future__ import annotations

import datetime
import decimal
from typing import Annotated

import msgspec
from msgspec import Meta

from schemas.entries import LogIndex, Reason
from schemas.standards import Category
from schemas.types import (
    Credits,
    Hours,
    IssuerId,
    OutcomeResult,
    OutcomeType,
    RecordId,
    ShortText,
    Timestamp,
    Title,
)

__all__ = ["AwaitingOutcome", "AwardQueue", "GrantAccepted", "GrantRequest"]


class GrantRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Credits for one outcome recorded without an award. ``credits`` has at most two decimals
    (refused otherwise, never rounded: a person chose the amount)."""

    issuer_id: IssuerId
    record_id: RecordId
    credits: decimal.Decimal
    category: Category
    standard: ShortText | None = None  # "<id>@<version>" the grant rests on; its caps apply
    basis: Title
    reason: Reason


class GrantAccepted(msgspec.Struct, frozen=True, kw_only=True):
    index: LogIndex  # the award.granted entry
    outcome_index: LogIndex
    credits: Credits
    category: Category
    caps: ShortText | None  # the standard whose caps applied; None: none applied
    cap_year_start: datetime.date


class AwaitingOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """An outcome no standard covered at deposit, not revoked, not granted an award yet."""

    index: LogIndex
    issuer_id: IssuerId
    record_id: RecordId
    outcome_type: OutcomeType
    course_code: ShortText
    course_title: str
    hours: Hours
    result: OutcomeResult
    completed_on: datetime.date
    recorded_at: Timestamp


class AwardQueue(msgspec.Struct, frozen=True, kw_only=True):
    outcomes: list[AwaitingOutcome]
    total: Annotated[int, Meta(ge=0)]  # awaiting outcomes matching the filter
    page: int
    page_size: int
    tree_size: int
