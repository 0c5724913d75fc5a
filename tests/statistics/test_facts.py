"""Age bands and sex as the statistics derive them from a resident ID number."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.statistics.facts import (
    AGE_BANDS,
    UNKNOWN,
    age_band,
    quarter_of,
    sex_of_resident_id,
)

D = datetime.date


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        (D(1990, 6, 15), D(2025, 6, 14), "under_35"),  # 34, the day before
        (D(1990, 6, 15), D(2025, 6, 15), "35_44"),  # 35 on the birthday
        (D(1965, 6, 15), D(2025, 6, 14), "55_59"),  # 59
        (D(1965, 6, 15), D(2025, 6, 15), "60_69"),  # 60
        (D(1945, 6, 15), D(2025, 6, 14), "70_79"),  # 79
        (D(1945, 6, 15), D(2025, 6, 15), "80_plus"),  # 80
        (D(1981, 1, 1), D(2025, 12, 31), "35_44"),  # 44
        (D(1980, 12, 31), D(2025, 12, 31), "45_54"),  # 45
        (D(1970, 3, 1), D(2025, 2, 28), "45_54"),  # 54
        (D(1970, 3, 1), D(2025, 3, 1), "55_59"),  # 55
        (D(1955, 7, 1), D(2025, 6, 30), "60_69"),  # 69
        (D(1955, 7, 1), D(2025, 7, 1), "70_79"),  # 70
    ],
)
def test_age_band_boundaries(born: D, on: D, band: str) -> None:
    """A band starts on the birthday it is named after, and not the day before."""
    assert age_band(born, on) == band


def test_a_leap_day_birthday_counts_from_the_first_of_march() -> None:
    """Born on 29 February: in a common year the new age starts on 1 March (28 February is
    before the birthday, as (2, 28) < (2, 29))."""
    born = D(1964, 2, 29)
    assert age_band(born, D(2024, 2, 28)) == "55_59"
    assert age_band(born, D(2024, 2, 29)) == "60_69"
    assert age_band(born, D(2025, 2, 28)) == "60_69"
    assert age_band(D(1965, 2, 28), D(2025, 2, 27)) == "55_59"


def test_no_birth_date_is_unknown() -> None:
    """Without a resident ID number there is no age: the band is unknown, not dropped."""
    assert age_band(None, D(2025, 1, 1)) == UNKNOWN


def _age(born: D, on: D) -> int:
    """Independent: the number of birthdays passed, a 29 February one falling on 1 March."""
    count = 0
    while True:
        year = born.year + count + 1
        try:
            birthday = born.replace(year=year)
        except ValueError:
            birthday = D(year, 3, 1)
        if birthday > on:
            return count
        count += 1


@settings(max_examples=300, deadline=None)
@given(st.dates(D(1900, 1, 1), D(2020, 12, 31)), st.integers(0, 110 * 366))
def test_age_band_matches_the_age_in_whole_years(born: D, days: int) -> None:
    """The band is the one whose range holds the age in whole years."""
    on = born + datetime.timedelta(days=days)
    age = _age(born, on)
    lower = {"under_35": 0, "35_44": 35, "45_54": 45, "55_59": 55, "60_69": 60}
    lower |= {"70_79": 70, "80_plus": 80}
    band = age_band(born, on)
    assert band in AGE_BANDS
    upper = min([bound for bound in lower.values() if bound > lower[band]], default=10_000)
    assert lower[band] <= age < upper


@pytest.mark.parametrize(
    ("identifier", "sex"),
    [
        ("11010519491231002X", "female"),  # 17th digit 2
        ("110105194912310011", "male"),  # 1
        ("110105194912310039", "male"),  # 3
        ("110105194912310047", "female"),  # 4
        ("110105194912310097", "male"),  # 9
        ("110105194912310008", "female"),  # 0
    ],
)
def test_sex_from_the_seventeenth_digit(identifier: str, sex: str) -> None:
    """GB 11643: odd 17th digit for men, even for women; the check digit (18th) is ignored."""
    assert sex_of_resident_id("cn_resident_id", identifier) == sex


def test_sex_of_another_identifier_is_unknown() -> None:
    """A passport or another identifier says nothing about sex."""
    assert sex_of_resident_id("passport", "E12345678901234567") == UNKNOWN


def test_quarters() -> None:
    """Quarters split the calendar year at April, July and October."""
    assert quarter_of(D(2025, 3, 31)) == "2025-Q1"
    assert quarter_of(D(2025, 4, 1)) == "2025-Q2"
    assert quarter_of(D(2025, 9, 30)) == "2025-Q3"
    assert quarter_of(D(2025, 10, 1)) == "2025-Q4"
