"""Learner identifiers: GB 11643 validation and keyed pseudonyms."""

from __future__ import annotations

import contextlib
import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.errors import InvalidLearnerIdError
from creditbank.privacy import Pseudonymizer, normalise_identifier, normalise_resident_id
from tests.factories import resident_id


def with_check(body: str) -> str:
    """Append the correct check character to 17 digits, so only the date can be wrong."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


births = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2025, 12, 31))


@given(serial=st.integers(0, 999), birth=births)
def test_valid_resident_ids_are_accepted(serial: int, birth: datetime.date) -> None:
    """Every number with a correct check character and birth date normalises to itself."""
    number = resident_id(serial, birth)
    assert normalise_resident_id(number) == number
    assert normalise_resident_id(f"  {number.lower()} ") == number


@given(
    serial=st.integers(0, 999),
    birth=births,
    position=st.integers(0, 17),
    digit=st.sampled_from("0123456789X"),
)
def test_any_single_character_change_is_rejected(
    serial: int, birth: datetime.date, position: int, digit: str
) -> None:
    """MOD 11-2 catches every single substitution (or the result is not a number at all)."""
    number = resident_id(serial, birth)
    changed = number[:position] + digit + number[position + 1 :]
    if changed == number:
        return
    with pytest.raises(InvalidLearnerIdError):
        normalise_resident_id(changed)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("11010519900517001", "18 characters"),
        ("1101051990051700X1", "digits"),
        (with_check("11010519901317001"), "birth date"),
        (with_check("11010518990101001"), "before 1900"),
    ],
)
def test_invalid_resident_ids_say_why(raw: str, reason: str) -> None:
    """The error names what is wrong with the number."""
    with pytest.raises(InvalidLearnerIdError, match=reason):
        normalise_resident_id(raw)


@given(text=st.text(max_size=30))
def test_identifier_parsing_raises_only_the_typed_error(text: str) -> None:
    """Arbitrary text never leaks ValueError or IndexError."""
    for id_type in ("cn_resident_id", "passport", "employee_no", "unknown"):
        with contextlib.suppress(InvalidLearnerIdError):
            normalise_identifier(id_type, text, issuer_id="acme")


def test_pseudonyms_are_keyed_and_type_qualified() -> None:
    """Another secret gives another ref; an employee number is scoped to its employer."""
    one, two = Pseudonymizer(b"\x01" * 32), Pseudonymizer(b"\x02" * 32)
    identifier = normalise_identifier("cn_resident_id", resident_id(3), issuer_id="acme")
    assert one.learner_ref(identifier) != two.learner_ref(identifier)
    assert len(one.learner_ref(identifier)) == 64
    a = normalise_identifier("employee_no", "1001", issuer_id="acme")
    b = normalise_identifier("employee_no", "1001", issuer_id="globex")
    assert one.learner_ref(a) != one.learner_ref(b)
