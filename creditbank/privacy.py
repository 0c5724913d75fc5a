"""Learner pseudonyms: the only way a person appears in the log.

``learner_ref`` is HMAC-SHA256, keyed by a per-deployment secret, of the normalised identifier.
Without the secret nobody can link a ref to an identity number, not even by enumerating the
(small) space of valid resident ID numbers; with it the bank can find a learner's archive.
Pure: the secret is passed in; ``creditbank.keys`` loads it.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
import unicodedata

from creditbank.errors import InvalidLearnerIdError

__all__ = [
    "Pseudonymizer",
    "normalise_identifier",
    "normalise_resident_id",
    "pseudonym_secret_bytes",
]

pseudonym_secret_bytes = 32
resident_id_chars = 18
passport_chars_min = 5
passport_chars_max = 20
employee_no_chars_max = 64

# GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits.
_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_CHECK = "10X98765432"
_DIGITS = frozenset("0123456789")
_PASSPORT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_EARLIEST_BIRTH_YEAR = 1900


def normalise_resident_id(raw: str) -> str:
    """The canonical form of a Chinese resident ID number, or InvalidLearnerIdError.

    Spaces around it are dropped and a lower-case check character ``x`` is accepted as ``X``
    (spreadsheets lower-case it); everything else must already be exact.
    """
    value = raw.strip().upper()
    if len(value) != resident_id_chars:
        raise InvalidLearnerIdError(f"a resident ID number has 18 characters, not {len(value)}")
    body, check = value[:17], value[17]
    if not set(body) <= _DIGITS:
        raise InvalidLearnerIdError("the first 17 characters of a resident ID number are digits")
    if check not in _DIGITS and check != "X":
        raise InvalidLearnerIdError("the last character of a resident ID number is a digit or X")
    total = sum(
        int(digit) * weight for digit, weight in zip(body, _RESIDENT_ID_WEIGHTS, strict=True)
    )
    if _RESIDENT_ID_CHECK[total % 11] != check:
        raise InvalidLearnerIdError("the check character of the resident ID number is wrong")
    year, month, day = int(body[6:10]), int(body[10:12]), int(body[12:14])
    try:
        datetime.date(year, month, day)
    except ValueError:
        raise InvalidLearnerIdError(
            "the birth date inside the resident ID number is not a date"
        ) from None
    if year < _EARLIEST_BIRTH_YEAR:
        raise InvalidLearnerIdError("the birth date inside the resident ID number is before 1900")
    return value


# An import repeats each learner's identifier on every row of theirs: the check-digit arithmetic
# and the HMAC are done once per identifier and remembered, up to this many.
identifier_memo_entries = 16_384


@functools.lru_cache(maxsize=identifier_memo_entries)
def normalise_identifier(id_type: str, raw: str, *, issuer_id: str) -> str:
    """The text that is pseudonymised: type-qualified, so equal numbers of two types never collide.

    Employee numbers are unique only within one employer, so they are qualified by the issuer;
    they are NFC and printable (no control or invisible formatting character), so a look-alike
    cannot become a second learner.
    """
    if id_type == "cn_resident_id":
        return "cn_resident_id:" + normalise_resident_id(raw)
    if id_type == "passport":
        value = raw.strip().upper()
        if (
            not passport_chars_min <= len(value) <= passport_chars_max
            or not set(value) <= _PASSPORT_CHARS
        ):
            raise InvalidLearnerIdError("a passport number has 5 to 20 letters and digits")
        return "passport:" + value
    if id_type == "employee_no":
        value = unicodedata.normalize("NFC", raw.strip())
        if not 1 <= len(value) <= employee_no_chars_max or not value.isprintable():
            raise InvalidLearnerIdError("an employee number has 1 to 64 printable characters")
        return f"employee_no:{issuer_id}:{value}"
    raise InvalidLearnerIdError(f"unknown identifier type {id_type!r}", field="learner_id_type")


class Pseudonymizer:
    """Computes learner_refs under one deployment secret."""

    __slots__ = ("_keyed", "_memo")

    def __init__(self, secret: bytes) -> None:
        assert len(secret) == pseudonym_secret_bytes, "the pseudonym secret is 32 bytes"
        # Keying once and copying per call saves the key schedule on the import hot path.
        self._keyed = hmac.new(secret, digestmod=hashlib.sha256)
        self._memo: dict[str, str] = {}

    def learner_ref(self, normalised_identifier: str) -> str:
        known = self._memo.get(normalised_identifier)
        if known is not None:
            return known
        mac = self._keyed.copy()
        mac.update(normalised_identifier.encode())
        ref = mac.hexdigest()
        if len(self._memo) >= identifier_memo_entries:
            self._memo.clear()  # a bounded memo: refilled by the learners of the next rows
        self._memo[normalised_identifier] = ref
        return ref
