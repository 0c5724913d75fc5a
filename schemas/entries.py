"""Log entries: the tagged union whose canonical (RFC 8785) bytes are hashed into the ledger.

Every entry kind is a frozen Struct tagged by ``kind`` with a format version ``v``. No floats:
quantities are decimal strings with a fixed scale, dates are ``YYYY-MM-DD``, times RFC 3339 UTC.
Optional fields are always present (``null`` when absent) so every entry of a kind has one shape.
No entry carries a name or an identity number: learners appear only as ``learner_ref``.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.standards import Category, Programme, Standard, StandardId
from schemas.types import (
    Credits,
    Hours,
    ImportFormat,
    IssuerId,
    IssuerKind,
    LearnerRef,
    OnError,
    OutcomeResult,
    OutcomeType,
    Percent,
    RecordId,
    Sha256Hex,
    ShortText,
    Timestamp,
    Title,
)

__all__ = [
    "Award",
    "AwardBasis",
    "AwardGranted",
    "BatchCommitted",
    "BatchCounts",
    "Entry",
    "IssuerRegistered",
    "OutcomeRecorded",
    "OutcomeRevoked",
    "ProgrammePublished",
    "RecognitionGranted",
    "RecognitionReversed",
    "StandardPublished",
    "StandardRetired",
    "entry_kinds",
]


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


class AwardBasis(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How the credits were computed, compactly enough to sit in every outcome entry.

    With the published standard (itself in the log) anyone can recompute the award from this.
    """

    method: Literal["per_hours", "fixed", "table"]
    hours: Hours | None = None  # the input of a per-hours award
    level: ShortText | None = None  # the certificate level a table award matched
    ratio: ShortText | None = None  # "<hours per unit>h:<credits per unit>", e.g. "16h:1"
    rounding: ShortText | None = None  # "<down|half_up> <step>", e.g. "down 0.5"
    computed: Credits  # after rounding and the per-outcome maximum, before the learner's caps
    unmet: ShortText | None = None  # the requirement not met, when the credits are 0.00
    cap: (
        Literal["per_outcome", "per_category_per_year", "per_issuer_per_year", "lifetime"] | None
    ) = None  # the cap that reduced the award
    cap_year_start: datetime.date | None = None  # the first day of the capped year


class Award(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Credits decided at deposit under one published standard, and why."""

    credits: Credits
    category: Category
    standard: ShortText  # "<standard id>@<version>"
    basis: AwardBasis


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


class StandardPublished(_EntryBase, frozen=True, kw_only=True, tag="standard.published"):
    """A version of a conversion standard, in full; from now on it is immutable."""

    standard: Standard
    published_at: Timestamp


class StandardRetired(_EntryBase, frozen=True, kw_only=True, tag="standard.retired"):
    """A standard stops applying to outcomes recorded from now on: this version and every earlier
    one (an older version never comes back into force, with ties validation never checked)."""

    standard_id: StandardId
    version: Annotated[int, Meta(ge=1)]
    reason: Title | None = None
    retired_at: Timestamp


RowCount = Annotated[int, Meta(ge=0)]


class BatchCounts(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How an import's rows were classified; ``recorded`` of them are in the batch."""

    rows: RowCount
    recorded: RowCount  # ready + capped + no_standard rows appended in this batch
    ready: RowCount
    capped: RowCount
    no_standard: RowCount
    exists: RowCount
    malformed: RowCount
    duplicate_in_file: RowCount
    exists_with_different_content: RowCount
    unknown_issuer: RowCount


class BatchCommitted(_EntryBase, frozen=True, kw_only=True, tag="batch.committed"):
    """The last entry of an import's append: its outcomes are exactly first_index..last_index.

    ``signature`` is the issuer's Ed25519 signature over the 32 raw bytes of the file's SHA-256,
    in standard base64, verified with the key the issuer registered before anything was written.
    """

    issuer_id: IssuerId
    file_sha256: Sha256Hex
    file_format: ImportFormat
    on_error: OnError
    counts: BatchCounts
    first_index: Annotated[int, Meta(ge=0)]
    last_index: Annotated[int, Meta(ge=0)]
    signature: Annotated[str, Meta(min_length=88, max_length=88)] | None = None
    committed_at: Timestamp


LogIndex = Annotated[int, Meta(ge=0)]
Reason = Annotated[str, Meta(min_length=1, max_length=200)]


class ProgrammePublished(_EntryBase, frozen=True, kw_only=True, tag="programme.published"):
    """A version of a target programme and its equivalence rules; immutable from now on."""

    programme: Programme
    published_at: Timestamp


class OutcomeRevoked(_EntryBase, frozen=True, kw_only=True, tag="outcome.revoked"):
    """The issuer (or admin) withdraws an outcome: its award stops counting from this entry.

    A correction is this entry with ``replaced_by`` naming the issuer's new record id, followed in
    the same append by that record's ``outcome.recorded``.
    """

    issuer_id: IssuerId
    record_id: RecordId
    outcome_index: LogIndex
    learner_ref: LearnerRef
    reason: Reason
    replaced_by: RecordId | None = None
    revoked_by: Literal["issuer", "admin"]
    revoked_at: Timestamp


class AwardGranted(_EntryBase, frozen=True, kw_only=True, tag="award.granted"):
    """Credits granted by accreditation staff to an outcome recorded without an award (no standard
    applied at deposit): a person's decision, held to the same caps as the engine's.

    ``caps`` names the standard whose per-outcome maximum, yearly and lifetime caps and cap year
    applied: the ``standard`` named as the basis, else the category's standard in force on the
    completion date (``rules.grants.caps_standard``); None when the category has none, and then
    the cap year is the calendar year. The credits count from this entry until the outcome is
    revoked; one outcome is granted at most once.
    """

    issuer_id: IssuerId
    record_id: RecordId
    outcome_index: LogIndex
    learner_ref: LearnerRef
    credits: Credits
    category: Category
    standard: ShortText | None = None  # "<id>@<version>" named as the basis, if any
    basis: Title  # the basis in words: the rule, document or decision relied on
    reason: Reason  # why this outcome earns these credits
    caps: ShortText | None = None  # "<id>@<version>" whose caps applied
    cap_year_start: datetime.date
    granted_by: Literal["accreditor", "admin"]
    granted_at: Timestamp


class RecognitionGranted(_EntryBase, frozen=True, kw_only=True, tag="recognition.granted"):
    """Outcomes of one learner recognised toward one requirement of a programme (转换)."""

    learner_ref: LearnerRef
    programme_id: StandardId
    programme_version: Annotated[int, Meta(ge=1)]
    requirement_id: StandardId
    outcomes: Annotated[list[LogIndex], Meta(min_length=1)]  # the outcome.recorded entries used
    credits_used: Credits  # the sum of their awards
    credits_granted: Credits  # what the programme grants for the requirement
    applied_by: Literal["learner", "admin"]
    granted_at: Timestamp


class RecognitionReversed(_EntryBase, frozen=True, kw_only=True, tag="recognition.reversed"):
    """A recognition no longer holds: reversed by admin, or because an outcome it used was
    revoked (then in the same append as the ``outcome.revoked``)."""

    recognition_index: LogIndex
    learner_ref: LearnerRef
    reason: Reason
    cause: Literal["admin", "outcome_revoked"]
    reversed_at: Timestamp


Entry = (
    IssuerRegistered
    | OutcomeRecorded
    | StandardPublished
    | StandardRetired
    | BatchCommitted
    | ProgrammePublished
    | OutcomeRevoked
    | AwardGranted
    | RecognitionGranted
    | RecognitionReversed
)

entry_kinds: tuple[str, ...] = (
    "issuer.registered",
    "outcome.recorded",
    "standard.published",
    "standard.retired",
    "batch.committed",
    "programme.published",
    "outcome.revoked",
    "award.granted",
    "recognition.granted",
    "recognition.reversed",
)
