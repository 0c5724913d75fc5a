"""Exact fixed-point arithmetic for awards: no binary floats anywhere.

Credits are integers of hundredths (1.50 credits == 150); hours, scores and attendance are integers
of tenths, exactly as the log writes them ("16.0", "85.5"). The decimals of a standard are turned
into exact integer ratios (``Decimal.as_integer_ratio``) once, when a rule book is compiled, so the
hot path is integer arithmetic only and needs no ``decimal`` context. ``AmountRule`` is a
standard's ``award`` in that form and ``Minimum`` one of its requirements.

Where a standard's quantity has more precision than the log can hold, the direction is fixed:

* an amount of credits (a fixed award, a table level, ``max_per_outcome``, a cap) is floored to
  0.01, so the bank never grants or allows more than the standard states;
* a requirement threshold (``min_hours``, ``min_score``, ``min_attendance_pct``) is raised to the
  next 0.1, which is exactly "value >= threshold" for values that have one decimal place.
"""

from __future__ import annotations

import datetime
import decimal
import re
from dataclasses import dataclass
from typing import Final, Literal

from creditbank.errors import MalformedError
from creditbank.rules.matching import CourseMatcher, compile_course_patterns
from schemas.standards import FixedAward, PerHoursAward, StandardAward

__all__ = [
    "AmountRule",
    "Minimum",
    "PerHoursRate",
    "award_hundredths_max",
    "cap_year_start",
    "compile_amount_rule",
    "credits_text",
    "hundredths_floor",
    "optional_amount",
    "optional_minimum",
    "parse_credits",
    "parse_hours_tenths",
    "parse_month_day",
    "parse_percent_tenths",
    "per_hours_rate",
    "tenths_ceiling",
    "year_start_on",
]

# The largest amount an entry can carry: Credits is "^(0|[1-9][0-9]{0,5})\.[0-9]{2}$".
award_hundredths_max: Final = 99_999_999
# Verdicts remembered per requirement and text. Real files hold a few hundred distinct hours,
# scores and attendances; a memo that fills up anyway is cleared and refilled.
verdicts_cached_max: Final = 65_536

_CREDITS_PATTERN: Final = re.compile(r"(0|[1-9][0-9]{0,5})\.[0-9]{2}")
_HOURS_PATTERN: Final = re.compile(r"(0|[1-9][0-9]{0,4})\.[0-9]")  # schemas.types.Hours
_PERCENT_PATTERN: Final = re.compile(r"(0|[1-9][0-9]?|100)\.[0-9]")  # schemas.types.Percent
_MONTH_DAY_PATTERN: Final = re.compile(r"([0-9]{2})-([0-9]{2})")
short_text_chars_max: Final = 64  # schemas.types.ShortText: ratio and rounding in the basis
# Any non-leap year: a cap year must start on a day that exists every year.
_NON_LEAP_YEAR: Final = 2001


def credits_text(hundredths: int) -> str:
    """The log's text of an amount: ``150 -> "1.50"``. Amounts are never negative."""
    assert hundredths >= 0, f"a negative amount of credits: {hundredths}"
    whole, cents = divmod(hundredths, 100)
    return f"{whole}.{cents:02d}"


def parse_credits(text: str) -> int:
    """Hundredths of a credit from the log's text: ``"1.50" -> 150``.

    Accepts exactly the ``Credits`` wire pattern; anything else raises ``MalformedError``.
    """
    if not isinstance(text, str) or _CREDITS_PATTERN.fullmatch(text) is None:
        raise MalformedError("credits", f"not a credits amount with two decimals: {text!r}")
    whole, _, cents = text.partition(".")
    return int(whole) * 100 + int(cents)


# Callers remember what they derive from each text (awards by hours, verdicts by score), so these
# parsers run once per distinct text, not once per outcome.
def _tenths(text: str, pattern: re.Pattern[str], field: str) -> int:
    if not isinstance(text, str) or pattern.fullmatch(text) is None:
        raise MalformedError(field, f"not a number with one decimal: {text!r}")
    return int(text[:-2]) * 10 + int(text[-1])


def parse_hours_tenths(text: str) -> int:
    """Tenths of an hour from an entry's ``hours`` text: ``"16.0" -> 160``."""
    return _tenths(text, _HOURS_PATTERN, "hours")


def parse_percent_tenths(text: str, field: str) -> int:
    """Tenths of a point from an entry's score or attendance text: ``"85.5" -> 855``."""
    return _tenths(text, _PERCENT_PATTERN, field)


def _ratio(value: decimal.Decimal, field: str) -> tuple[int, int]:
    if not value.is_finite() or value < 0:
        raise MalformedError(field, f"must be a finite number >= 0, not {value}")
    return value.as_integer_ratio()


def hundredths_floor(value: decimal.Decimal, field: str) -> int:
    """An amount of credits in hundredths, floored to 0.01; ``MalformedError`` if negative."""
    numerator, denominator = _ratio(value, field)
    return numerator * 100 // denominator


def tenths_ceiling(value: decimal.Decimal, field: str) -> int:
    """The least number of tenths that is >= ``value`` (a threshold; negative means none)."""
    if not value.is_finite():
        raise MalformedError(field, f"must be a finite number, not {value}")
    numerator, denominator = value.as_integer_ratio()
    return -(-numerator * 10 // denominator)


@dataclass(frozen=True, slots=True)
class PerHoursRate:
    """A per-hours award as integers: ``steps = floor(tenths * numerator / denominator)``
    (plus one half when rounding half up), and each step is ``step_numerator / step_denominator``
    credits.

    raw = hours / hours_per_unit * credits_per_unit, and steps = raw / rounding_step.
    """

    numerator: int
    denominator: int
    step_numerator: int
    step_denominator: int
    half_up: bool

    def hundredths(self, tenths: int) -> int:
        """Hundredths awarded for ``tenths`` hours: rounded to the step, then floored to 0.01."""
        if self.half_up:
            # floor(x + 1/2) is rounding half up, for x >= 0.
            steps = (2 * tenths * self.numerator + self.denominator) // (2 * self.denominator)
        else:
            steps = tenths * self.numerator // self.denominator
        return steps * self.step_numerator * 100 // self.step_denominator


def per_hours_rate(
    hours_per_unit: decimal.Decimal,
    credits_per_unit: decimal.Decimal,
    rounding_step: decimal.Decimal,
    rounding: str,
) -> PerHoursRate:
    """Compile a per-hours award; ``MalformedError`` names a quantity the engine cannot use."""
    hours_numerator, hours_denominator = _ratio(hours_per_unit, "award.hours_per_unit")
    credits_numerator, credits_denominator = _ratio(credits_per_unit, "award.credits_per_unit")
    step_numerator, step_denominator = _ratio(rounding_step, "award.rounding_step")
    if hours_numerator == 0:
        raise MalformedError("award.hours_per_unit", "must be greater than 0")
    if step_numerator == 0:
        raise MalformedError("award.rounding_step", "must be greater than 0")
    if rounding not in ("down", "half_up"):
        raise MalformedError("award.rounding", f"must be down or half_up, not {rounding!r}")
    # tenths / 10 / (hn / hd) * (cn / cd) / (sn / sd), gathered into one fraction.
    return PerHoursRate(
        numerator=hours_denominator * credits_numerator * step_denominator,
        denominator=10 * hours_numerator * credits_denominator * step_numerator,
        step_numerator=step_numerator,
        step_denominator=step_denominator,
        half_up=rounding == "half_up",
    )


def parse_month_day(year_starts: str) -> tuple[int, int]:
    """``"03-01" -> (3, 1)``: a day that exists in every year (so never 29 February)."""
    match = _MONTH_DAY_PATTERN.fullmatch(year_starts) if isinstance(year_starts, str) else None
    if match is None:
        raise MalformedError("caps.year_starts", f"must be MM-DD, not {year_starts!r}")
    month, day = int(match[1]), int(match[2])
    try:
        datetime.date(_NON_LEAP_YEAR, month, day)
    except ValueError:
        raise MalformedError(
            "caps.year_starts", f"{year_starts} is not a day of every year"
        ) from None
    return month, day


def cap_year_start(day: datetime.date, year_starts: str) -> datetime.date:
    """The first day of the cap year containing ``day``: ``2026-02-28, "03-01" -> 2025-03-01``."""
    month, day_of_month = parse_month_day(year_starts)
    return year_start_on(day, month, day_of_month)


def year_start_on(day: datetime.date, month: int, day_of_month: int) -> datetime.date:
    """The last ``month``/``day_of_month`` on or before ``day`` (already validated)."""
    start = datetime.date(day.year, month, day_of_month)
    if start <= day:
        return start
    if day.year == datetime.MINYEAR:
        return datetime.date.min  # the calendar has no earlier year; the cap year began with it
    return datetime.date(day.year - 1, month, day_of_month)


@dataclass(frozen=True, slots=True)
class AmountRule:
    """A standard's ``award``, compiled: the amount an outcome earns before any maximum or cap."""

    method: Literal["per_hours", "fixed", "table"]
    rate: PerHoursRate | None = None
    ratio: str | None = None  # the basis's "<hours per unit>h:<credits per unit>"
    rounding: str | None = None  # the basis's "<down|half_up> <step>"
    fixed: int | None = None
    levels: tuple[tuple[str, CourseMatcher, int], ...] = ()  # (level, courses, hundredths)

    def amount(self, hours: str, course_code: str) -> tuple[int, str | None] | None:
        """``(hundredths, level)``; None when no level of a table matches the course code."""
        if self.rate is not None:
            return self.rate.hundredths(parse_hours_tenths(hours)), None
        if self.fixed is not None:
            return self.fixed, None
        for level, courses, hundredths in self.levels:
            if courses.matches(course_code):
                return hundredths, level
        return None


def compile_amount_rule(award: StandardAward) -> AmountRule:
    """Compile ``award``; ``MalformedError`` names a quantity the engine cannot use."""
    if isinstance(award, PerHoursAward):
        return AmountRule(
            method="per_hours",
            rate=per_hours_rate(
                award.hours_per_unit, award.credits_per_unit, award.rounding_step, award.rounding
            ),
            ratio=_short_text(f"{award.hours_per_unit}h:{award.credits_per_unit}", "award"),
            rounding=_short_text(f"{award.rounding} {award.rounding_step}", "award"),
        )
    if isinstance(award, FixedAward):
        return AmountRule(method="fixed", fixed=hundredths_floor(award.credits, "award.credits"))
    levels = tuple(
        (
            row.level,
            compile_course_patterns(row.course_codes),
            hundredths_floor(row.credits, f"award.levels[{row.level}].credits"),
        )
        for row in award.levels
    )
    return AmountRule(method="table", levels=levels)


def _short_text(text: str, field: str) -> str:
    # The basis carries these texts; an entry refuses ones longer than a ShortText.
    if len(text) > short_text_chars_max:
        raise MalformedError(field, f"{text!r} is longer than {short_text_chars_max} characters")
    return text


def optional_amount(value: decimal.Decimal | None, field: str) -> int | None:
    """``hundredths_floor`` of an optional amount (a maximum or cap; None: none)."""
    return None if value is None else hundredths_floor(value, field)


class Minimum:
    """A requirement "value >= threshold" on an outcome's one-decimal text (hours, score or
    attendance); a missing value fails it. Verdicts are remembered per text."""

    __slots__ = ("_verdicts", "field", "tenths")

    def __init__(self, threshold: decimal.Decimal, field: str) -> None:
        self.tenths = tenths_ceiling(threshold, f"requires.{field}")
        self.field = field
        self._verdicts: dict[str, bool] = {}

    def met(self, text: str | None) -> bool:
        if text is None:
            return False
        verdict = self._verdicts.get(text)
        if verdict is None:
            if self.field == "min_hours":
                verdict = parse_hours_tenths(text) >= self.tenths
            else:
                field = "score" if self.field == "min_score" else "attendance_pct"
                verdict = parse_percent_tenths(text, field) >= self.tenths
            if len(self._verdicts) >= verdicts_cached_max:
                self._verdicts.clear()
            self._verdicts[text] = verdict
        return verdict


def optional_minimum(value: decimal.Decimal | None, field: str) -> Minimum | None:
    """The requirement ``field`` ("min_hours", "min_score", "min_attendance_pct"), if any."""
    return None if value is None else Minimum(value, field)
