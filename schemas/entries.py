"""Log entries: the tagged union whose canonical (RFC 8785) bytes are hashed into the ledger.

Every entry kind is a frozen Struct tagged by ``kind`` with a format version ``v``. No floats:
quantities are decimal strings with a fixed scale, dates are ``YYYY-MM-DD``, times RFC 3339 UTC.
Optional fields are always present (``null`` when absent) so every entry of a kind has one shape.
No entry carries a name or an identity number: learners appear only as ``learner_ref``.
"""

from __future__ import annotations

import datetime

import msgspec

from schemas.types import (
    Credits,
    Hours,
    IssuerId,
    IssuerKind,
    LearnerRef,
    OutcomeResult,
    OutcomeType,
    Percent,
    RecordId,
    Sha256Hex,
    ShortText,
    Timestamp,
    Title,
)

__all__ = ["Award", "Entry", "IssuerRegistered", "OutcomeRecorded", "entry_kinds"]


class _EntryBase(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, tag_field="kind"
):
    v: int = 1


class IssuerRegistered(_EntryBase, frozen=True, kw_only=True, tag="issuer.registered"):
    """An enterprise, school or college may now deposit outcomes."""

    issuer_id: IssuerId
    name: Title
    issuer_kind: IssuerKind
    district: ShortText | None = None
    public_key: str | None = None  # base64 of the issuer's raw Ed25519 public key
    registered_at: Timestamp


class Award(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Credits decided at deposit under one published standard."""

    credits: Credits
    category: ShortText
    standard: ShortText  # "<standard id>@<version>"


class OutcomeRecorded(_EntryBase, frozen=True, kw_only=True, tag="outcome.recorded"):
    """A learning outcome deposited by its issuer, with the award decided at deposit (or none)."""

    issuer_id: IssuerId
    record_id: RecordId
    learner_ref: LearnerRef
    outcome_type: OutcomeType
    course_code: ShortText
    course_title: Title
    hours: Hours
    result: OutcomeResult
    score: Percent | None = None
    attendance_pct: Percent | None = None
    completed_on: datetime.date
    certificate_no: ShortText | None = None
    evidence_sha256: Sha256Hex | None = None
    award: Award | None = None
    recorded_at: Timestamp


Entry = IssuerRegistered | OutcomeRecorded

entry_kinds: tuple[str, ...] = ("issuer.registered", "outcome.recorded")
