"""Semantic checks of conversion standards and programmes (pure).

``creditbank.rules.documents`` checks a document's shape; this module checks what the model cannot
say: consistent dates, positive ratios, amounts at the credits' scale, caps that can bind, and that
a new standard is not ambiguous with a published one. Every problem found is reported at once, each
naming its field, in one ``StandardInvalidError``; staff fix a file in one pass, not one per error.

Course-code patterns follow ``fnmatch`` restricted to two wildcards: ``*`` matches any run of
characters (also none), ``?`` exactly one; every other character is literal and case matters.
"""

from __future__ import annotations

import collections
import datetime
import decimal
import unicodedata
from collections.abc import Collection, Sequence
from typing import NamedTuple

import msgspec

from creditbank.errors import StandardInvalidError
from creditbank.limits import entry_bytes_max, identifier_chars_max
from creditbank.outcomes import hours_max, percent_max
from creditbank.rules.engine import compile_rulebook
from creditbank.rules.matching import pattern_matches, patterns_overlap
from schemas.standards import (
    AppliesTo,
    Caps,
    FixedAward,
    LevelTableAward,
    PerHoursAward,
    Programme,
    Requirements,
    Standard,
    StandardAward,
    standard_name,
)

__all__ = [
    "credits_max",
    "pattern_chars_max",
    "pattern_matches",
    "patterns_overlap",
    "validate_programme",
    "validate_standard",
]

credits_max = decimal.Decimal("999999.99")  # the largest amount an entry's Credits can carry
credits_places = 2
hours_places = 1
pattern_chars_max = identifier_chars_max  # a pattern is never longer than the codes it matches
# Ambiguity checks compare every pattern with every other: bounded lists keep that in milliseconds.
patterns_per_list_max = 32
levels_max = 32
# Room in an entry for a standard.published wrapper around the document.
standard_document_bytes_max = entry_bytes_max - 512
months_min = 1

# Control characters, lone surrogates, and line and paragraph separators (as for outcomes).
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_OPEN_ENDED = datetime.date.max
_COMMON_YEAR = 2023  # not a leap year
_Period = tuple[datetime.date, datetime.date]  # inclusive; date.max stands for open-ended
_Name = tuple[str, int]  # (id, version)


def validate_standard(
    standard: Standard, published: Sequence[Standard], *, retired: Collection[_Name] = ()
) -> None:
    """Raise StandardInvalidError listing every problem of ``standard``, given those published.

    ``published`` holds every published version, retired or not; ``retired`` names, as (id,
    version), those since retired: they keep their version numbers but match no outcome.
    """
    problems = _Problems()
    problems.text("title", standard.title)
    problems.period(standard.effective_from, standard.effective_until)
    _check_applies_to(problems, standard.applies_to)
    _check_requires(problems, standard.requires)
    _check_award(problems, standard.award, standard.applies_to)
    _check_caps(problems, standard.caps, standard.max_per_outcome)
    if standard.validity_months is not None and standard.validity_months < months_min:
        problems.add("validity_months", "must be a positive number of months")
    _check_version(problems, standard, published)
    # Retired versions still hold their numbers but match no outcome, so they cannot tie.
    names = frozenset(retired)
    in_force = [x for x in published if (x.id, x.version) not in names]
    _check_ties(problems, standard, in_force)
    _check_cap_year(problems, standard, in_force)
    if len(msgspec.json.encode(standard)) > standard_document_bytes_max:
        problems.add(
            "document", f"a standard is at most {standard_document_bytes_max} bytes as JSON"
        )
    if not problems.found:
        # Whatever the engine could not evaluate must never be published: one such standard
        # would refuse every deposit until retired.
        try:
            compile_rulebook([standard])
        except StandardInvalidError as error:
            problems.found.extend(error.problems)
    if problems.found:
        raise StandardInvalidError(problems.found)


def _check_cap_year(problems: _Problems, standard: Standard, in_force: Sequence[Standard]) -> None:
    """Standards of one category count their caps in one year: with different year starts the
    totals would fall into different buckets and a learner could bank each cap twice."""
    for other in in_force:
        if (
            other.id != standard.id
            and other.category == standard.category
            and other.caps.year_starts != standard.caps.year_starts
        ):
            problems.add(
                "caps.year_starts",
                f"{standard.category} counts its cap years from {other.caps.year_starts} "
                f"({standard_name(other.id, other.version)}); "
                "standards of one category share one cap year",
            )
            return


def validate_programme(programme: Programme) -> None:
    """Raise StandardInvalidError listing every problem of a programme's equivalence rules."""
    problems = _Problems()
    problems.text("institution", programme.institution)
    problems.text("title", programme.title)
    problems.period(programme.effective_from, programme.effective_until)
    if not programme.requirements:
        problems.add("requirements", "a programme needs at least one requirement")
    problems.unique("requirements", [requirement.id for requirement in programme.requirements])
    for index, requirement in enumerate(programme.requirements):
        field = f"requirements[{index}]"
        problems.text(f"{field}.title", requirement.title)
        problems.amount(f"{field}.credits_granted", requirement.credits_granted, _CREDITS)
        rule, field = requirement.satisfied_by, f"{field}.satisfied_by"
        if not rule.standards and not rule.categories:
            problems.add(field, "name at least one standard or category")
        problems.unique(f"{field}.standards", rule.standards)
        problems.unique(f"{field}.categories", rule.categories)
        problems.amount(f"{field}.min_credits", rule.min_credits, _CREDITS)
        if rule.max_age_months is not None and rule.max_age_months < months_min:
            problems.add(f"{field}.max_age_months", "must be a positive number of months")
    if problems.found:
        raise StandardInvalidError(problems.found)


class _Scale(NamedTuple):
    """The range (from 0) and decimal places a kind of amount may take."""

    zero_allowed: bool
    high: decimal.Decimal
    places: int | None


_CREDITS = _Scale(False, credits_max, credits_places)  # caps, maxima, what a rule grants
_CREDITS_OR_ZERO = _Scale(True, credits_max, credits_places)  # a fixed or table award
_HOURS = _Scale(False, hours_max, hours_places)
_HOURS_OR_ZERO = _Scale(True, hours_max, hours_places)
_PERCENT = _Scale(True, percent_max, 1)  # scores and attendance carry one place, as outcomes do


class _Problems:
    """The problems found so far, each (field, reason), and the checks of single fields."""

    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []

    def add(self, field: str, reason: str) -> None:
        self.found.append((field, reason))

    def text(self, field: str, value: str) -> None:
        if not value.strip():
            self.add(field, "must not be blank")
        elif any(unicodedata.category(character) in _FORBIDDEN_CATEGORIES for character in value):
            self.add(field, "must not contain control characters or line breaks")

    def period(self, start: datetime.date, until: datetime.date | None) -> None:
        if until is not None and until < start:
            self.add("effective_until", f"must not be before effective_from ({start})")

    def unique(self, field: str, values: Sequence[str]) -> None:
        repeated = [value for value, count in collections.Counter(values).items() if count > 1]
        if repeated:
            self.add(field, f"listed more than once: {', '.join(repeated)}")

    def at_most(self, field: str, values: Sequence[object], limit: int) -> None:
        if len(values) > limit:
            self.add(field, f"at most {limit} entries")

    def pattern(self, field: str, pattern: str) -> None:
        if not pattern:
            self.add(field, "must not be empty")
        elif len(pattern) > pattern_chars_max:
            self.add(field, f"at most {pattern_chars_max} characters")
        elif not pattern.isprintable():
            self.add(field, "printable characters only")
        elif pattern != pattern.strip():
            # Outcomes' course codes are stored stripped, so such a pattern could never match.
            self.add(field, "must not start or end with a space")

    def amount(self, field: str, value: decimal.Decimal, scale: _Scale) -> bool:
        """Add at most one problem for ``value``; True when it is usable in comparisons."""
        reason = None
        if not value.is_finite():
            reason = "must be a number"
        elif int(value.as_tuple().exponent) > 0:
            # "1E+2" is a valid decimal, but a published entry should read as people write amounts.
            reason = "write it as a plain number, without an exponent"
        elif value.is_signed():  # negative, or -0, which would be published as "-0"
            reason = "must not be negative"
        elif value == 0 and not scale.zero_allowed:
            reason = "must be greater than 0"
        elif value > scale.high:
            reason = f"must be at most {scale.high}"
        elif scale.places is not None and -int(value.as_tuple().exponent) > scale.places:
            # As written, trailing zeros included: the text is published and copied into every
            # award's basis, and "16.000…0" or "0E-100000000" must not reach the log or the CPU.
            places = scale.places
            reason = "at most one decimal place" if places == 1 else f"at most {places} decimals"
        if reason is not None:
            self.add(field, reason)
        return reason is None


# Parts of a standard.
def _check_applies_to(problems: _Problems, applies_to: AppliesTo) -> None:
    if not applies_to.outcome_types:
        problems.add("applies_to.outcome_types", "name at least one outcome type")
    problems.unique("applies_to.outcome_types", applies_to.outcome_types)
    problems.unique("applies_to.issuer_kinds", applies_to.issuer_kinds)
    problems.unique("applies_to.issuer_ids", applies_to.issuer_ids)
    problems.unique("applies_to.course_codes", applies_to.course_codes)
    problems.at_most("applies_to.course_codes", applies_to.course_codes, patterns_per_list_max)
    for index, pattern in enumerate(applies_to.course_codes):
        problems.pattern(f"applies_to.course_codes[{index}]", pattern)


def _check_requires(problems: _Problems, requires: Requirements) -> None:
    if not requires.results:
        problems.add("requires.results", "name at least one accepted result")
    problems.unique("requires.results", requires.results)
    if requires.min_hours is not None:
        problems.amount("requires.min_hours", requires.min_hours, _HOURS_OR_ZERO)
    if requires.min_score is not None:
        problems.amount("requires.min_score", requires.min_score, _PERCENT)
    if requires.min_attendance_pct is not None:
        problems.amount("requires.min_attendance_pct", requires.min_attendance_pct, _PERCENT)


def _check_award(problems: _Problems, award: StandardAward, applies_to: AppliesTo) -> None:
    if isinstance(award, PerHoursAward):
        usable = problems.amount("award.hours_per_unit", award.hours_per_unit, _HOURS)
        usable &= problems.amount("award.credits_per_unit", award.credits_per_unit, _CREDITS)
        # Credits carry two places, so a step finer than 0.01 would round to amounts none can hold.
        problems.amount("award.rounding_step", award.rounding_step, _CREDITS)
        if usable and hours_max / award.hours_per_unit * award.credits_per_unit > credits_max:
            reason = f"{hours_max} hours, the most an outcome has, would earn over {credits_max}"
            problems.add("award.hours_per_unit", reason)
    elif isinstance(award, FixedAward):
        problems.amount("award.credits", award.credits, _CREDITS_OR_ZERO)
    else:
        assert isinstance(award, LevelTableAward), f"unknown award {type(award).__name__}"
        _check_levels(problems, award, applies_to)


def _check_levels(problems: _Problems, award: LevelTableAward, applies_to: AppliesTo) -> None:
    if not award.levels:
        problems.add("award.levels", "a table needs at least one level")
    problems.at_most("award.levels", award.levels, levels_max)
    problems.unique("award.levels", [row.level for row in award.levels])
    for index, row in enumerate(award.levels):
        field = f"award.levels[{index}]"
        problems.text(f"{field}.level", row.level)
        if not row.course_codes:
            problems.add(f"{field}.course_codes", "name at least one course code pattern")
        problems.at_most(f"{field}.course_codes", row.course_codes, patterns_per_list_max)
        for position, pattern in enumerate(row.course_codes):
            problems.pattern(f"{field}.course_codes[{position}]", pattern)
        problems.amount(f"{field}.credits", row.credits, _CREDITS_OR_ZERO)
        # A row no outcome of this standard can reach is a mistake, not a harmless extra.
        if not _patterns_meet(row.course_codes, applies_to.course_codes):
            reason = "match no course code in applies_to.course_codes"
            problems.add(f"{field}.course_codes", reason)


def _check_caps(problems: _Problems, caps: Caps, max_per_outcome: decimal.Decimal | None) -> None:
    named = {  # narrowest first
        "per_issuer_per_year": caps.per_issuer_per_year,
        "per_category_per_year": caps.per_category_per_year,
        "lifetime": caps.lifetime,
    }
    # Only amounts that passed their own check take part in comparisons (NaN cannot compare).
    usable = [
        (name, value)
        for name, value in named.items()
        if value is not None and problems.amount(f"caps.{name}", value, _CREDITS)
    ]
    for position, (narrow, narrow_value) in enumerate(usable):
        for wide, wide_value in usable[position + 1 :]:
            if narrow_value > wide_value:
                problems.add(f"caps.{narrow}", f"{narrow_value} exceeds caps.{wide} ({wide_value})")
    maximum = max_per_outcome
    if maximum is not None and problems.amount("max_per_outcome", maximum, _CREDITS):
        for name, value in usable:
            if maximum > value:
                reason = f"{maximum} exceeds caps.{name} ({value}), so it can never bind"
                problems.add("max_per_outcome", reason)
    try:
        # A day of a year without 29 February: a cap year must start on a day every year has.
        day = datetime.datetime.strptime(f"{_COMMON_YEAR}-{caps.year_starts}", "%Y-%m-%d")
        every_year = day.strftime("%m-%d") == caps.year_starts  # strptime also takes "3-1"
    except ValueError:
        every_year = False
    if not every_year:
        reason = f'"{caps.year_starts}" is not a day of every year ("MM-DD", and never 02-29)'
        problems.add("caps.year_starts", reason)


# Against what is published.
def _check_version(problems: _Problems, standard: Standard, published: Sequence[Standard]) -> None:
    versions = [other.version for other in published if other.id == standard.id]
    if standard.version in versions:
        reason = (
            f"{standard_name(standard.id, standard.version)} is already published and cannot change"
        )
        problems.add("version", f"{reason}; publish version {max(versions) + 1}")
    elif versions and standard.version < max(versions):
        problems.add("version", f"lower than the highest published version {max(versions)}")


def _check_ties(problems: _Problems, standard: Standard, published: Sequence[Standard]) -> None:
    """Different standards that can match one outcome on one day must not tie on precedence."""
    others: dict[str, list[Standard]] = collections.defaultdict(list)
    for other in published:
        if other.id != standard.id:  # versions of one id supersede each other, never conflict
            others[other.id].append(other)
    until = standard.effective_until or _OPEN_ENDED
    for other_id in sorted(others):
        common: dict[int, list[_Period]] = collections.defaultdict(list)  # by version
        for other, (first, last) in _in_force(others[other_id]):
            start, end = max(standard.effective_from, first), min(until, last)
            tie = other.precedence == standard.precedence
            if start <= end and tie and _applies_overlap(standard.applies_to, other.applies_to):
                common[other.version].append((start, end))
        for version, periods in sorted(common.items()):
            start, end = periods[0]
            to = "onwards" if end == _OPEN_ENDED else f"to {end}"
            more = f" (and {len(periods) - 1} later periods)" if len(periods) > 1 else ""
            tied = standard_name(other_id, version)
            reason = f"same precedence ({standard.precedence}) as {tied}, which"
            reason += f" applies to some of the same outcomes from {start} {to}{more}"
            problems.add("precedence", f"{reason}; give one of them a higher precedence")


def _in_force(versions: list[Standard]) -> list[tuple[Standard, _Period]]:
    """The periods, in order, in which each version is the highest in force (as in the engine)."""
    ranges = [(item, item.effective_from, item.effective_until or _OPEN_ENDED) for item in versions]
    # Which version is in force changes only where some version starts or has just ended.
    after = {end + datetime.timedelta(days=1) for _, _, end in ranges if end < _OPEN_ENDED}
    starts = sorted({start for _, start, _ in ranges} | after)
    ends = [start - datetime.timedelta(days=1) for start in starts[1:]] + [_OPEN_ENDED]
    segments = []
    for start, end in zip(starts, ends, strict=True):
        current = [item for item, first, last in ranges if first <= start <= last]
        if current:
            segments.append((max(current, key=lambda item: item.version), (start, end)))
    return segments


def _applies_overlap(a: AppliesTo, b: AppliesTo) -> bool:
    """Whether some outcome could be considered by both; each list filters, empty means any."""
    # Kind and id filter separately (as in the engine): without the registry, an id on one side and
    # a kind on the other may be the same issuer, so they count as overlapping.
    return (
        _lists_meet(a.outcome_types, b.outcome_types)
        and _lists_meet(a.issuer_kinds, b.issuer_kinds)
        and _lists_meet(a.issuer_ids, b.issuer_ids)
        and _patterns_meet(a.course_codes, b.course_codes)
    )


# Two filters, each empty for "any": does some value pass both?
def _lists_meet(a: Sequence[str], b: Sequence[str]) -> bool:
    return not a or not b or not set(a).isdisjoint(b)


def _patterns_meet(a: Sequence[str], b: Sequence[str]) -> bool:
    return not a or not b or any(patterns_overlap(x, y) for x in a for y in b)
