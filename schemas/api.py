"""Request and response bodies of the HTTP API.

Input Structs are frozen, keyword-only and reject unknown fields. ``OutcomeRecord`` is the one
outcome model shared by ``POST /v1/outcomes``, NDJSON lines, JSON array items and CSV rows; its
semantic checks (scale, ranges, dates not in the future, identifier validity) live in
``creditbank.outcomes`` because they depend on the clock and the deployment.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Annotated, Literal

import msgspec

from schemas.entries import Award
from schemas.standards import Standard
from schemas.types import (
    IssuerId,
    IssuerKind,
    LearnerIdType,
    LearnerRef,
    LogIndex,
    OutcomeResult,
    OutcomeType,
    RecordId,
    ShortText,
    Title,
)

__all__ = [
    "CategoryTotal",
    "ConsistencyProof",
    "Health",
    "InclusionProof",
    "IssuerAccepted",
    "IssuerRegistration",
    "Liveness",
    "OutcomeAccepted",
    "OutcomeChange",
    "OutcomeRecord",
    "Problem",
    "ProblemField",
    "ReplayDifference",
    "ReplayReport",
    "SimulationReport",
    "SimulationRequest",
    "StandardRetirement",
    "StandardView",
    "ValidationReport",
]


simulation_outcomes_max = 20_000  # outcomes one simulation request may supply
# Printable text on one line, for free text that is written into the log.
_ONE_LINE = r"^[^\x00-\x1f\x7f\u2028\u2029]+$"


class _Input(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class IssuerRegistration(_Input, frozen=True, kw_only=True):
    """Body of ``POST /v1/issuers``."""

    issuer_id: IssuerId
    name: Title
    kind: IssuerKind
    district: ShortText | None = None
    public_key: str | None = None  # base64 of a raw 32-byte Ed25519 public key


class OutcomeRecord(_Input, frozen=True, kw_only=True):
    """One learning outcome as an issuer sends it."""

    issuer_id: IssuerId | None = None
    record_id: RecordId
    learner_id_type: LearnerIdType = "cn_resident_id"
    learner_id: ShortText
    learner_name: str | None = None
    course_code: ShortText
    course_title: Title
    outcome_type: OutcomeType
    hours: decimal.Decimal
    result: OutcomeResult
    score: decimal.Decimal | None = None
    attendance_pct: decimal.Decimal | None = None
    completed_on: datetime.date
    certificate_no: ShortText | None = None
    evidence_sha256: str | None = None


class IssuerAccepted(msgspec.Struct, frozen=True, kw_only=True):
    status: Literal["recorded", "exists"]
    issuer_id: str
    index: LogIndex


class OutcomeAccepted(msgspec.Struct, frozen=True, kw_only=True):
    status: Literal["recorded", "exists"]
    index: LogIndex
    learner_ref: LearnerRef
    award: Award | None  # as recorded in the entry; None when no standard applied
    receipt: str  # path of the entry's c2sp.org/tlog-proof@v1 receipt


class InclusionProof(msgspec.Struct, frozen=True, kw_only=True):
    index: LogIndex
    tree_size: LogIndex
    hashes: list[str]  # standard base64, leaf's sibling first


class ConsistencyProof(msgspec.Struct, frozen=True, kw_only=True):
    from_size: LogIndex = msgspec.field(name="from")
    to_size: LogIndex = msgspec.field(name="to")
    hashes: list[str]


class Liveness(msgspec.Struct, frozen=True, kw_only=True):
    live: bool = True


class Health(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """``live``: the process answers. ``ready``: it can serve, the database answering within
    its time and the data directory's disk above its floor. ``status`` sums both up: ``ok``,
    ``degraded`` (ready, but writes were disabled by the start-up check) or ``unavailable``."""

    status: Literal["ok", "degraded", "unavailable"]
    live: bool
    ready: bool
    database: Literal["ok", "unavailable", "busy", "full"]
    disk_free_bytes: int
    tree_size: LogIndex | None = None
    writes: Literal["enabled", "disabled"]
    detail: str | None = None


class ProblemField(msgspec.Struct, frozen=True, kw_only=True):
    field: str
    reason: str


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details; ``code`` is stable and never reused."""

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemField] | None = None
    index: LogIndex | None = None  # the existing entry, for exists_with_different_content


class StandardView(msgspec.Struct, frozen=True, kw_only=True):
    """A standard with where it stands in its lifecycle."""

    status: Literal["draft", "published", "retired"]
    standard: Standard
    published_index: LogIndex | None = None
    retired_index: LogIndex | None = None


class StandardRetirement(_Input, frozen=True, kw_only=True):
    """Body of ``POST /v1/standards/{id}/{version}/retire``; the reason is written into the log."""

    # Printable text on one line: it is written into the log.
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=_ONE_LINE)]


class ValidationReport(msgspec.Struct, frozen=True, kw_only=True):
    valid: bool
    problems: list[ProblemField]


class SimulationRequest(_Input, frozen=True, kw_only=True):
    """Body of ``POST /v1/standards/simulate``: a draft standard to try on the bank's outcomes,
    or on the outcomes supplied here (each naming its issuer), which are not recorded."""

    standard: Standard
    largest_changes: Annotated[int, msgspec.Meta(ge=0, le=100)] = 10
    outcomes: Annotated[list[OutcomeRecord], msgspec.Meta(max_length=20_000)] | None = (
        None  # limits.simulation_outcomes_max
    )


class CategoryTotal(msgspec.Struct, frozen=True, kw_only=True):
    category: str
    in_force: str  # credits awarded under the standards in force
    with_draft: str  # credits the draft would make it


class OutcomeChange(msgspec.Struct, frozen=True, kw_only=True):
    index: LogIndex  # the log index, or the position among the supplied outcomes
    learner: int  # numbers learners within this report only; never a learner_ref
    in_force: str | None  # credits now, None when no standard applied
    with_draft: str | None


class SimulationReport(msgspec.Struct, frozen=True, kw_only=True):
    """What a draft standard would change over the outcomes already banked. Nothing is written."""

    standard: str  # "<id>@<version>"
    outcomes_considered: int
    outcomes_matched: int  # outcomes the draft would decide
    outcomes_awarded: int  # of those, outcomes earning more than 0.00
    outcomes_changed: int
    outcomes_skipped: int = 0  # supplied outcomes that are malformed or of unknown issuers
    learners_capped: int  # learners whose awards a cap of the draft reduced
    totals_by_category: list[CategoryTotal]
    largest_changes: list[OutcomeChange]


class ReplayDifference(msgspec.Struct, frozen=True, kw_only=True):
    index: LogIndex | None  # the entry, or None for a read-table row with no entry behind it
    what: str


class ReplayReport(msgspec.Struct, frozen=True, kw_only=True):
    """``creditbank audit replay``: awards and read tables recomputed from the log alone."""

    entries: int
    outcomes: int
    awards_checked: int
    totals_checked: int
    differences: list[ReplayDifference]
