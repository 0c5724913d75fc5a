"""A learner's archive (学习档案) from their entries (pure).

The shell gathers the learner's entries (outcomes, revocations, recognitions, reversals) and the
documents they name; ``build_archive`` turns them into what the learner reads: each outcome with
its award, the standard that decided it, whether it still counts, and where it was recognised.
Totals count live (unrevoked) awards; ``valid_credits`` only those still within validity.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from creditbank.learners.recognition import valid_until
from creditbank.rules.arithmetic import credits_text, parse_credits
from schemas.entries import (
    AwardGranted,
    OutcomeRecorded,
    OutcomeRevoked,
    RecognitionGranted,
    RecognitionReversed,
)
from schemas.learners import (
    Archive,
    ArchiveOutcome,
    ArchiveRecognition,
    CreditTotal,
    GrantView,
    ReversalView,
    RevocationView,
)
from schemas.standards import Programme, Standard

__all__ = [
    "ArchiveChoices",
    "ArchiveFilter",
    "ArchiveSource",
    "archive_page_size_max",
    "build_archive",
    "everything",
    "filter_choices",
    "held_award",
]

archive_page_size_default = 50
archive_page_size_max = 500


@dataclass(frozen=True, kw_only=True)
class ArchiveFilter:
    year: int | None = None
    category: str | None = None
    issuer_id: str | None = None
    page: int = 1
    page_size: int = archive_page_size_default


@dataclass(kw_only=True)
class ArchiveSource:
    """Everything an archive is built from, read in one snapshot at ``tree_size``."""

    learner_ref: str
    tree_size: int
    today: datetime.date
    outcomes: dict[int, OutcomeRecorded] = field(default_factory=dict)
    revocations: dict[int, tuple[int, OutcomeRevoked]] = field(default_factory=dict)  # by outcome
    grants: dict[int, tuple[int, AwardGranted]] = field(default_factory=dict)  # by outcome
    recognitions: dict[int, RecognitionGranted] = field(default_factory=dict)
    reversals: dict[int, tuple[int, RecognitionReversed]] = field(default_factory=dict)  # by grant
    issuer_names: dict[str, str] = field(default_factory=dict)
    standards: dict[str, Standard] = field(default_factory=dict)  # by "<id>@<version>"
    programmes: dict[tuple[str, int], Programme] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ArchiveChoices:
    """What an archive can be filtered by: every year, category and issuer it holds."""

    years: list[int]
    categories: list[str]
    issuers: list[tuple[str, str]]  # (issuer id, name), by name


@dataclass(frozen=True, slots=True)
class HeldAward:
    """The award an outcome holds: decided at deposit, or granted later when none was."""

    credits: int  # hundredths
    category: str
    standard: str | None  # "<id>@<version>": the deciding standard, or the one a grant named


def held_award(entry: OutcomeRecorded, grant: AwardGranted | None) -> HeldAward | None:
    if entry.award is not None:
        award = entry.award
        return HeldAward(parse_credits(award.credits), award.category, award.standard)
    if grant is not None:
        return HeldAward(parse_credits(grant.credits), grant.category, grant.standard)
    return None


def _held(source: ArchiveSource, index: int) -> HeldAward | None:
    grant = source.grants.get(index)
    return held_award(source.outcomes[index], None if grant is None else grant[1])


def filter_choices(source: ArchiveSource) -> ArchiveChoices:
    entries = source.outcomes.values()
    issuers = {entry.issuer_id: source.issuer_names.get(entry.issuer_id, entry.issuer_id)
               for entry in entries}  # fmt: skip
    held = (_held(source, index) for index in source.outcomes)
    return ArchiveChoices(
        years=sorted({entry.completed_on.year for entry in entries}, reverse=True),
        categories=sorted({award.category for award in held if award is not None}),
        issuers=sorted(issuers.items(), key=lambda pair: (pair[1], pair[0])),
    )


def everything(source: ArchiveSource) -> ArchiveFilter:
    """The filter that selects every outcome on one page."""
    return ArchiveFilter(page_size=max(1, len(source.outcomes)))


def build_archive(source: ArchiveSource, query: ArchiveFilter | None = None) -> Archive:
    query = query or ArchiveFilter()
    live_grants = {
        index: grant
        for index, grant in source.recognitions.items()
        if index not in source.reversals
    }
    recognised_by: dict[int, list[int]] = defaultdict(list)
    for index, grant in live_grants.items():
        for outcome_index in grant.outcomes:
            recognised_by[outcome_index].append(index)
    selected = [
        _outcome(source, index, entry, sorted(recognised_by.get(index, [])))
        for index, entry in source.outcomes.items()
        if _matches(entry, _held(source, index), query)
    ]
    selected.sort(key=lambda item: (item.completed_on, item.index), reverse=True)
    start = (query.page - 1) * query.page_size
    counted = [item for item in selected if item.status != "revoked" and _held_category(item)]
    return Archive(
        learner_ref=source.learner_ref,
        tree_size=source.tree_size,
        as_of=source.today,
        outcomes=selected[start : start + query.page_size],
        outcomes_total=len(selected),
        page=query.page,
        page_size=query.page_size,
        credits=credits_text(sum(_credits(item) for item in counted)),
        valid_credits=credits_text(
            sum(_credits(item) for item in counted if item.status == "valid")
        ),
        by_category=_totals(counted, _held_category),
        by_year=_totals(counted, lambda item: str(item.completed_on.year)),
        recognitions=[
            _recognition(source, index, grant)
            for index, grant in sorted(source.recognitions.items())
        ],
    )


def _matches(entry: OutcomeRecorded, held: HeldAward | None, query: ArchiveFilter) -> bool:
    if query.year is not None and entry.completed_on.year != query.year:
        return False
    if query.issuer_id is not None and entry.issuer_id != query.issuer_id:
        return False
    return query.category is None or (held is not None and held.category == query.category)


def _outcome(
    source: ArchiveSource, index: int, entry: OutcomeRecorded, recognitions: list[int]
) -> ArchiveOutcome:
    held = _held(source, index)
    standard = (
        None if held is None or held.standard is None else source.standards.get(held.standard)
    )
    until = None if standard is None else valid_until(entry.completed_on, standard.validity_months)
    grant = source.grants.get(index)
    revocation = source.revocations.get(index)
    status: Literal["valid", "expired", "revoked"]
    if revocation is not None:
        status = "revoked"
    elif until is not None and until < source.today:
        status = "expired"
    else:
        status = "valid"
    return ArchiveOutcome(
        index=index,
        issuer_id=entry.issuer_id,
        issuer_name=source.issuer_names.get(entry.issuer_id),
        record_id=entry.record_id,
        outcome_type=entry.outcome_type,
        course_code=entry.course_code,
        course_title=entry.course_title,
        hours=entry.hours,
        result=entry.result,
        score=entry.score,
        attendance_pct=entry.attendance_pct,
        completed_on=entry.completed_on,
        certificate_no=entry.certificate_no,
        award=entry.award,
        granted=None if grant is None else _grant_view(*grant),
        recorded_at=entry.recorded_at,
        status=status,
        valid_until=until,
        revoked=None
        if revocation is None
        else RevocationView(
            index=revocation[0],
            reason=revocation[1].reason,
            replaced_by=revocation[1].replaced_by,
            revoked_at=revocation[1].revoked_at,
        ),
        recognised_by=recognitions,
    )


def _grant_view(index: int, grant: AwardGranted) -> GrantView:
    return GrantView(
        index=index,
        credits=grant.credits,
        category=grant.category,
        standard=grant.standard,
        basis=grant.basis,
        reason=grant.reason,
        granted_at=grant.granted_at,
    )


def _credits(item: ArchiveOutcome) -> int:
    if item.award is not None:
        return parse_credits(item.award.credits)
    return 0 if item.granted is None else parse_credits(item.granted.credits)


def _held_category(item: ArchiveOutcome) -> str:
    """The category of the award the item holds; "" without one."""
    if item.award is not None:
        return item.award.category
    return "" if item.granted is None else item.granted.category


def _totals(
    items: Iterable[ArchiveOutcome], key_of: Callable[[ArchiveOutcome], str]
) -> list[CreditTotal]:
    credits: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for item in items:
        total = credits[key_of(item)]
        total[0] += _credits(item)
        total[1] += _credits(item) if item.status == "valid" else 0
        total[2] += 1
    return [
        CreditTotal(key=key, credits=credits_text(a), valid_credits=credits_text(b), outcomes=n)
        for key, (a, b, n) in sorted(credits.items())
    ]


def _recognition(
    source: ArchiveSource, index: int, grant: RecognitionGranted
) -> ArchiveRecognition:
    document = source.programmes.get((grant.programme_id, grant.programme_version))
    requirement = None
    if document is not None:
        requirement = next((r for r in document.requirements if r.id == grant.requirement_id), None)
    reversal = source.reversals.get(index)
    return ArchiveRecognition(
        index=index,
        programme_id=grant.programme_id,
        programme_version=grant.programme_version,
        institution="" if document is None else document.institution,
        programme_title="" if document is None else document.title,
        requirement_id=grant.requirement_id,
        requirement_title="" if requirement is None else requirement.title,
        outcomes=grant.outcomes,
        credits_used=grant.credits_used,
        credits_granted=grant.credits_granted,
        granted_at=grant.granted_at,
        reversed=None
        if reversal is None
        else ReversalView(
            index=reversal[0],
            reason=reversal[1].reason,
            cause=reversal[1].cause,
            reversed_at=reversal[1].reversed_at,
        ),
    )
