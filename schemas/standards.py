"""Conversion standards (认证/转换标准) and programmes' equivalence rules.

One model serves the TOML files accreditation staff keep in a repository, the JSON bodies of the
API and the ``standard.published`` log entry. Quantities are decimals (decoded from strings or
numbers; TOML is read with decimal floats), never binary floats, and are written back as strings.

A standard says which outcomes it applies to, what they must show, how credits are computed, how
many a learner may bank (per outcome, per category per year, per issuer per year, lifetime), and
for how long they count toward recognition. A programme says which of its requirements banked
credits can satisfy. Semantic checks (consistent dates, positive ratios, caps that make sense,
ambiguity with other standards) live in ``creditbank.rules.validate``.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.types import IssuerId, IssuerKind, OutcomeType

__all__ = [
    "AppliesTo",
    "Caps",
    "Category",
    "CoursePattern",
    "Equivalence",
    "FixedAward",
    "LevelRow",
    "LevelTableAward",
    "PerHoursAward",
    "Programme",
    "Requirement",
    "Requirements",
    "Standard",
    "StandardAward",
    "StandardId",
    "StandardName",
    "parse_standard_name",
    "standard_name",
]

StandardId = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=48,
        pattern=r"^[a-z0-9][a-z0-9._-]*$",
        description="Lower-case letters, digits, '.', '_' or '-'.",
    ),
]
Category = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=48,
        pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$",
        description='A dotted category, e.g. "vocational.safety".',
    ),
]
CoursePattern = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=64,
        description="A course code, or a pattern where * matches any run and ? one character.",
    ),
]
MonthDay = Annotated[
    str, Meta(pattern=r"^[0-9]{2}-[0-9]{2}$", description='The day a cap year starts, "MM-DD".')
]
ResultAccepted = Literal["passed", "completed"]
Version = Annotated[int, Meta(ge=1, le=1_000_000)]
Title = Annotated[str, Meta(min_length=1, max_length=200)]


class _Document(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class AppliesTo(_Document, frozen=True, kw_only=True):
    """Which outcomes a standard considers: an outcome must pass every non-empty list."""

    outcome_types: list[OutcomeType]
    issuer_kinds: list[IssuerKind] = []
    issuer_ids: list[IssuerId] = []
    course_codes: list[CoursePattern] = []


class Requirements(_Document, frozen=True, kw_only=True):
    """What an outcome must show to earn credit; an outcome that falls short earns 0.00."""

    results: list[ResultAccepted] = msgspec.field(default_factory=lambda: ["passed"])
    min_hours: decimal.Decimal | None = None
    min_score: decimal.Decimal | None = None
    min_attendance_pct: decimal.Decimal | None = None


class PerHoursAward(_Document, frozen=True, kw_only=True, tag_field="method", tag="per_hours"):
    """``credits_per_unit`` credits for every ``hours_per_unit`` hours, rounded to the step."""

    hours_per_unit: decimal.Decimal
    credits_per_unit: decimal.Decimal = decimal.Decimal("1")
    rounding_step: decimal.Decimal = decimal.Decimal("0.5")
    rounding: Literal["down", "half_up"] = "down"


class FixedAward(_Document, frozen=True, kw_only=True, tag_field="method", tag="fixed"):
    """The same credits for every outcome that meets the requirements."""

    credits: decimal.Decimal


class LevelRow(_Document, frozen=True, kw_only=True):
    """One level of a certificate table, recognised by its course code (e.g. "VC-*-L3")."""

    level: Annotated[str, Meta(min_length=1, max_length=32)]
    course_codes: list[CoursePattern]
    credits: decimal.Decimal


class LevelTableAward(_Document, frozen=True, kw_only=True, tag_field="method", tag="table"):
    """Credits by certificate level; the first row whose pattern matches decides."""

    levels: list[LevelRow]


StandardAward = PerHoursAward | FixedAward | LevelTableAward


class Caps(_Document, frozen=True, kw_only=True):
    """Ceilings on what one learner may bank in this standard's category. None: no cap."""

    per_category_per_year: decimal.Decimal | None = None
    per_issuer_per_year: decimal.Decimal | None = None
    lifetime: decimal.Decimal | None = None
    year_starts: MonthDay = "01-01"


class Standard(_Document, frozen=True, kw_only=True):
    """One version of a conversion standard. Published versions never change."""

    id: StandardId
    version: Version
    title: Title
    category: Category
    effective_from: datetime.date
    effective_until: datetime.date | None = None  # the last day it applies, inclusive
    applies_to: AppliesTo
    requires: Requirements = msgspec.field(default_factory=Requirements)
    award: StandardAward
    max_per_outcome: decimal.Decimal | None = None
    caps: Caps = Caps()
    validity_months: Annotated[int, Meta(ge=1, le=1200)] | None = None
    precedence: Annotated[int, Meta(ge=0, le=1000)] = 0  # higher wins where standards overlap


class Equivalence(_Document, frozen=True, kw_only=True):
    """What satisfies a requirement: credits from given standards or categories."""

    standards: list[StandardId] = []
    categories: list[Category] = []
    min_credits: decimal.Decimal
    max_age_months: Annotated[int, Meta(ge=1, le=1200)] | None = None


class Requirement(_Document, frozen=True, kw_only=True):
    """A course or requirement of a programme that banked credits may satisfy."""

    id: StandardId
    title: Title
    kind: Literal["course", "requirement"] = "course"
    credits_granted: decimal.Decimal
    satisfied_by: Equivalence


class Programme(_Document, frozen=True, kw_only=True):
    """A target institution's programme and its equivalence rules (转换规则)."""

    id: StandardId
    version: Version
    institution: Title
    title: Title
    effective_from: datetime.date
    effective_until: datetime.date | None = None
    requirements: list[Requirement]


class StandardName(msgspec.Struct, frozen=True):
    """A standard version's name as awards and programmes write it: ``<id>@<version>``."""

    id: str
    version: int


def standard_name(standard_id: str, version: int) -> str:
    """``<id>@<version>``: the one way a standard version is named in entries and messages."""
    return f"{standard_id}@{version}"


def parse_standard_name(name: str) -> StandardName:
    """The id and version of ``<id>@<version>`` (ids never contain ``@``; see ``StandardId``)."""
    standard_id, separator, version = name.rpartition("@")
    if not separator or not standard_id or not version.isdigit():
        raise ValueError(f"not a standard name <id>@<version>: {name!r}")
    return StandardName(standard_id, int(version))
