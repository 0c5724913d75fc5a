"""What the statistics count: one fact per live outcome at a tree size, and how it is grouped.

A fact is an ``outcome.recorded`` entry below the size, not revoked below it, with the award it
holds at that size (decided at deposit, or granted later by an ``award.granted`` below the
size). Age band and sex are the only values not in the log: they are derived at deposit from the
resident ID number (birth date digits 7-14, sex digit 17) and kept per outcome, coarse, so an
erasure of the person keeps the statistics reproducible without keeping the identifier.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "AGE_BANDS",
    "DIMENSIONS",
    "ELDERLY_BANDS",
    "SEXES",
    "UNKNOWN",
    "Demographic",
    "Dimension",
    "OutcomeFact",
    "age_band",
    "dimension_value",
    "quarter_of",
    "sex_of_resident_id",
]

Dimension = Literal[
    "year",  # calendar year of completion
    "cap_year",  # the first day of the cap year of the award's standard; calendar year if none
    "quarter",  # "2025-Q3", of the completion date
    "issuer_kind",
    "issuer",
    "district",  # the issuer's street or town, as registered
    "outcome_type",
    "category",  # the award's credit category
    "age_band",  # the learner's age on the completion date
    "sex",
]
DIMENSIONS: Final[tuple[Dimension, ...]] = (
    "year",
    "cap_year",
    "quarter",
    "issuer_kind",
    "issuer",
    "district",
    "outcome_type",
    "category",
    "age_band",
    "sex",
)

UNKNOWN: Final = "unknown"  # no resident ID number, no district, no award: grouped, not dropped
# The bands the district's returns use; the elderly-education return counts the last three.
AGE_BANDS: Final = ("under_35", "35_44", "45_54", "55_59", "60_69", "70_79", "80_plus")
ELDERLY_BANDS: Final = frozenset({"60_69", "70_79", "80_plus"})
SEXES: Final = ("female", "male")
_BAND_LOWER_BOUNDS: Final = (
    (80, "80_plus"),
    (70, "70_79"),
    (60, "60_69"),
    (55, "55_59"),
    (45, "45_54"),
    (35, "35_44"),
)


def age_band(born: datetime.date | None, on: datetime.date) -> str:
    """The band of the age (whole years, birthdays counted on the day) reached on ``on``."""
    if born is None:
        return UNKNOWN
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    for lower, band in _BAND_LOWER_BOUNDS:
        if age >= lower:
            return band
    return "under_35"


def sex_of_resident_id(id_type: str, identifier: str) -> str:
    """GB 11643: the 17th digit of a resident ID number is odd for men and even for women."""
    if id_type != "cn_resident_id":
        return UNKNOWN
    return "male" if int(identifier[16]) % 2 else "female"


# A learner's birth date (None without a resident ID number) and sex: what an outcome's age band
# and sex are derived from when it is deposited.
Demographic = tuple[datetime.date | None, str]


def quarter_of(day: datetime.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


@dataclass(frozen=True, slots=True)
class OutcomeFact:
    """One live outcome at the tree size the statistics are computed at."""

    index: int  # its outcome.recorded entry
    learner_ref: str
    completed_on: datetime.date
    cap_year: str  # "YYYY-MM-DD", the award's cap year start; f"{year}-01-01" without an award
    issuer_id: str
    issuer_kind: str
    district: str | None
    outcome_type: str
    category: str | None  # None: no award held at this size
    hours_tenths: int  # hours are scale 1: "16.0" is 160
    credits: int  # hundredths; 0 without an award
    recognised: bool  # used by a recognition granted and not reversed below the size
    age_band: str  # one of AGE_BANDS, or UNKNOWN
    sex: str  # one of SEXES, or UNKNOWN


def dimension_value(fact: OutcomeFact, dimension: Dimension) -> str:
    """The group a fact falls in along one dimension, always a string (UNKNOWN for none)."""
    if dimension == "year":
        return str(fact.completed_on.year)
    if dimension == "cap_year":
        return fact.cap_year
    if dimension == "quarter":
        return quarter_of(fact.completed_on)
    if dimension == "issuer_kind":
        return fact.issuer_kind
    if dimension == "issuer":
        return fact.issuer_id
    if dimension == "district":
        return fact.district or UNKNOWN
    if dimension == "outcome_type":
        return fact.outcome_type
    if dimension == "category":
        return fact.category or UNKNOWN
    if dimension == "age_band":
        return fact.age_band
    return fact.sex
