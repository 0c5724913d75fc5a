"""Wire models for learners' archives (学习档案), recognition (转换), revocation and correction."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.api import OutcomeRecord
from schemas.entries import Award, LogIndex, Reason
from schemas.standards import Programme, StandardId
from schemas.types import (
    Credits,
    Hours,
    IssuerId,
    LearnerIdType,
    LearnerRef,
    OutcomeResult,
    OutcomeType,
    Percent,
    RecordId,
    ShortText,
    Timestamp,
)

__all__ = [
    "Archive",
    "ArchiveBundle",
    "ArchiveOutcome",
    "ArchiveRecognition",
    "BundleEntry",
    "CorrectionRequest",
    "CreditTotal",
    "Exclusions",
    "GrantView",
    "LearnerLookup",
    "LearnerRefView",
    "ProgrammeView",
    "RecognitionApplication",
    "RecognitionResult",
    "RequirementDecision",
    "ReversalRequest",
    "ReversalView",
    "RevocationAccepted",
    "RevocationRequest",
    "RevocationView",
    "bundle_format",
]

BundleFormat = Literal["creditbank-archive-bundle/v1"]
bundle_format: BundleFormat = "creditbank-archive-bundle/v1"


class _Input(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class RevocationView(msgspec.Struct, frozen=True, kw_only=True):
    index: LogIndex  # the outcome.revoked entry
    reason: Reason
    replaced_by: RecordId | None
    revoked_at: Timestamp


class GrantView(msgspec.Struct, frozen=True, kw_only=True):
    """Credits granted after deposit by accreditation staff (an ``award.granted`` entry)."""

    index: LogIndex  # the award.granted entry
    credits: Credits
    category: ShortText
    standard: ShortText | None  # "<id>@<version>" named as the basis
    basis: str
    reason: Reason
    granted_at: Timestamp


class ArchiveOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """One outcome as the learner sees it, with the award and the standard that decided it."""

    index: LogIndex  # its outcome.recorded entry
    issuer_id: IssuerId
    issuer_name: str | None
    record_id: RecordId
    outcome_type: OutcomeType
    course_code: ShortText
    course_title: str
    hours: Hours
    result: OutcomeResult
    score: Percent | None
    attendance_pct: Percent | None
    completed_on: datetime.date
    certificate_no: ShortText | None
    award: Award | None  # None: no standard applied at deposit
    granted: GrantView | None  # credits granted later, when no standard applied
    recorded_at: Timestamp
    # valid: counts now; expired: past its standard's validity; revoked: withdrawn by its issuer
    status: Literal["valid", "expired", "revoked"]
    valid_until: datetime.date | None  # the last day it counts; None: no limit
    revoked: RevocationView | None
    recognised_by: list[LogIndex]  # live recognition.granted entries that used it


class CreditTotal(msgspec.Struct, frozen=True, kw_only=True):
    """Credits of live (unrevoked) awards, and of those still within validity."""

    key: str  # the category, or the year of completion
    credits: Credits
    valid_credits: Credits
    outcomes: int


class ReversalView(msgspec.Struct, frozen=True, kw_only=True):
    index: LogIndex  # the recognition.reversed entry
    reason: Reason
    cause: Literal["admin", "outcome_revoked"]
    reversed_at: Timestamp


class ArchiveRecognition(msgspec.Struct, frozen=True, kw_only=True):
    index: LogIndex  # the recognition.granted entry
    programme_id: StandardId
    programme_version: int
    institution: str
    programme_title: str
    requirement_id: StandardId
    requirement_title: str
    outcomes: list[LogIndex]
    credits_used: Credits
    credits_granted: Credits
    granted_at: Timestamp
    reversed: ReversalView | None


class Archive(msgspec.Struct, frozen=True, kw_only=True):
    """A learner's archive at one tree size; ``outcomes`` is one page of the filtered list, the
    totals cover every outcome the filter selects."""

    learner_ref: LearnerRef
    tree_size: int  # the log size the archive was read at
    as_of: datetime.date  # the day validity was judged on
    outcomes: list[ArchiveOutcome]
    outcomes_total: int  # outcomes matching the filter, over all pages
    page: int
    page_size: int
    credits: Credits  # live awards matching the filter
    valid_credits: Credits  # of those, still within validity
    by_category: list[CreditTotal]
    by_year: list[CreditTotal]
    recognitions: list[ArchiveRecognition]


class LearnerLookup(_Input, frozen=True, kw_only=True):
    """A learner's own identifier, to find their learner_ref (never logged, never stored)."""

    learner_id_type: LearnerIdType = "cn_resident_id"
    learner_id: ShortText
    issuer_id: IssuerId | None = None  # employee numbers are unique only within their employer


class LearnerRefView(msgspec.Struct, frozen=True, kw_only=True):
    learner_ref: LearnerRef


class BundleEntry(msgspec.Struct, frozen=True, kw_only=True):
    index: LogIndex
    body: str  # standard base64 of the entry's canonical bytes
    proof: list[str]  # the RFC 9162 inclusion proof against the bundle's checkpoint, base64


class ArchiveBundle(msgspec.Struct, frozen=True, kw_only=True):
    """An archive that verifies offline: every entry it rests on, proved against one checkpoint."""

    format: BundleFormat
    archive: Archive
    checkpoint: str  # the C2SP signed note every proof verifies against
    verifier_keys: list[str]  # the log's vkeys; a verifier should pin its own copy
    entries: list[BundleEntry]


class ProgrammeView(msgspec.Struct, frozen=True, kw_only=True):
    programme: Programme
    published_index: LogIndex


class RecognitionApplication(_Input, frozen=True, kw_only=True):
    """Apply for recognition toward a programme; no requirement ids means every requirement."""

    programme_id: StandardId
    programme_version: Annotated[int, Meta(ge=1)] | None = None  # None: the latest version
    requirement_ids: list[StandardId] = []


class Exclusions(msgspec.Struct, frozen=True, kw_only=True):
    """The learner's outcomes of the right standards or categories that could not be used."""

    too_old: int = 0  # completed before the requirement's max_age_months
    expired: int = 0  # past their standard's validity
    already_used: int = 0  # already recognised toward this requirement of this programme
    revoked: int = 0


class RequirementDecision(msgspec.Struct, frozen=True, kw_only=True):
    requirement_id: StandardId
    status: Literal["granted", "refused"]
    # already_recognised | not_enough_credits: stable codes; None when granted
    reason: Literal["already_recognised", "not_enough_credits"] | None
    detail: str
    index: LogIndex | None  # the recognition.granted entry
    outcomes: list[LogIndex]
    credits_required: Credits
    credits_available: Credits  # eligible credits found
    credits_granted: Credits | None
    excluded: Exclusions


class RecognitionResult(msgspec.Struct, frozen=True, kw_only=True):
    learner_ref: LearnerRef
    programme_id: StandardId
    programme_version: int
    decisions: list[RequirementDecision]


class RevocationRequest(_Input, frozen=True, kw_only=True):
    reason: Reason


class CorrectionRequest(_Input, frozen=True, kw_only=True):
    """Revoke an outcome and record its replacement, under a new record id, in one append."""

    reason: Reason
    outcome: OutcomeRecord


class RevocationAccepted(msgspec.Struct, frozen=True, kw_only=True):
    index: LogIndex  # the outcome.revoked entry
    reversed_recognitions: list[LogIndex]  # recognition.reversed entries in the same append
    replacement_index: LogIndex | None  # the correcting outcome.recorded entry


class ReversalRequest(_Input, frozen=True, kw_only=True):
    reason: Reason
