"""From what an issuer sends to what the log records (pure).

``normalise_outcome`` checks the semantic rules the wire schema cannot express (scale, ranges,
dates not in the future, identifier validity), pseudonymises the learner and returns the log
entry plus the personal data that must stay out of it. Every failure is a MalformedError naming
the field, so the bulk import can classify rows with the same code.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from creditbank.errors import MalformedError
from creditbank.limits import learner_name_chars_max, title_chars_max
from creditbank.privacy import Pseudonymizer, normalise_identifier
from creditbank.statistics.facts import Demographic, sex_of_resident_id
from creditbank.statistics.tables import ALL as MARGIN
from schemas.api import IssuerRegistration, OutcomeRecord
from schemas.entries import IssuerRegistered, OutcomeRecorded

__all__ = [
    "PersonalData",
    "demography",
    "entry_for_issuer",
    "format_timestamp",
    "free_text",
    "latest_completion_date",
    "normalise_outcome",
]

hours_max = decimal.Decimal("10000.0")
percent_max = decimal.Decimal("100.0")
_ONE_PLACE = decimal.Decimal("0.1")
_HEX = frozenset("0123456789abcdef")
# Control characters, lone surrogates, and line and paragraph separators.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
# In free text (titles, names) what Excel's Alt+Enter or a pasted paragraph leaves: line breaks
# and tabs, with the spaces around them. Other control characters stay malformed.
_FREE_TEXT_SPACE = re.compile("[ \t\n\r\x85\u2028\u2029]+")
# No completion date is in the future anywhere on Earth: UTC+14 is the latest local date.
_LATEST_TIMEZONE_OFFSET = datetime.timedelta(hours=14)


@dataclass(frozen=True, kw_only=True, slots=True)  # an import holds one per learner
class PersonalData:
    learner_ref: str
    id_type: str
    identifier: str
    name: str | None


# An import formats the same moment for each of its rows: remember the last few.
@functools.lru_cache(maxsize=8)
def format_timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.lru_cache(maxsize=8)
def latest_completion_date(now: datetime.datetime) -> datetime.date:
    return (now.astimezone(datetime.UTC) + _LATEST_TIMEZONE_OFFSET).date()


def _scale_one(value: decimal.Decimal, field: str, maximum: decimal.Decimal) -> str:
    if not value.is_finite():
        raise MalformedError(field, "must be a number")
    if value < 0:
        raise MalformedError(field, "must not be negative")
    if value > maximum:
        raise MalformedError(field, f"must be at most {maximum}")
    quantized = value.quantize(_ONE_PLACE)
    if quantized != value:
        raise MalformedError(field, "at most one decimal place")
    # -0.0 compares equal to 0 but would print as "-0.0", which no entry may contain.
    return format(quantized.copy_abs() if quantized == 0 else quantized, "f")


def _text(value: str, field: str, refused: str = "control characters or line breaks") -> str:
    stripped = value.strip()
    if not stripped:
        raise MalformedError(field, "must not be blank")
    # isprintable() is the fast path; it also refuses ideographic and no-break spaces, which
    # Chinese titles legitimately contain, so only a slow look at the categories decides.
    if not stripped.isprintable() and any(
        unicodedata.category(character) in _FORBIDDEN_CATEGORIES for character in stripped
    ):
        raise MalformedError(field, f"must not contain {refused}")
    return stripped


def _optional_text(value: str | None, field: str) -> str | None:
    return None if value is None or not value.strip() else _text(value, field)


def free_text(value: str, field: str) -> str:
    """A title or name as an HR officer means it: line breaks and tabs become one space, runs
    of spaces collapse, the ends are trimmed, and the text is NFC; other control characters
    are refused. Identifiers never pass through here: a changed space would change a record."""
    stripped = value.strip()
    if (
        stripped
        and stripped.isprintable()
        and "  " not in stripped
        and unicodedata.is_normalized("NFC", stripped)
    ):
        return stripped  # the common case, with no regex and no copy
    spaced = unicodedata.normalize("NFC", _FREE_TEXT_SPACE.sub(" ", value))
    return _text(spaced, field, refused="control characters")


def _title(value: str) -> str:
    # NFC can lengthen a text (U+0958 becomes two characters), so the folded title is measured
    # again: an entry over the schema's limit would be refused by every verifier.
    title = free_text(value, "course_title")
    if len(title) > title_chars_max:
        raise MalformedError("course_title", f"is longer than {title_chars_max} characters")
    return title


def _optional_free_text(value: str | None, field: str) -> str | None:
    return None if value is None or not value.strip() else free_text(value, field)


def _evidence(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    digest = value.strip().lower()
    if len(digest) != 64 or not set(digest) <= _HEX:
        raise MalformedError("evidence_sha256", "must be 64 hexadecimal characters")
    return digest


def check_completed_on(day: datetime.date, latest: datetime.date) -> datetime.date:
    if day > latest:
        raise MalformedError("completed_on", "must not be in the future")
    return day


def learner_name(value: str | None) -> str | None:
    name = _optional_free_text(value, "learner_name")
    if name is not None and len(name) > learner_name_chars_max:
        raise MalformedError("learner_name", f"at most {learner_name_chars_max} characters")
    return name


def hours_text(value: decimal.Decimal) -> str:
    return _scale_one(value, "hours", hours_max)


def score_text(value: decimal.Decimal | None) -> str | None:
    return None if value is None else _scale_one(value, "score", percent_max)


def attendance_text(value: decimal.Decimal | None) -> str | None:
    return None if value is None else _scale_one(value, "attendance_pct", percent_max)


def identifier_text(value: str, field: str) -> str:
    """A record id, course code or certificate number: trimmed and NFC, never otherwise folded
    (a changed space would change a record). Format characters (Unicode Cf: bidi overrides,
    zero-width spaces and joiners, soft hyphens) are refused: invisible, they would make
    ``HR-1`` and a look-alike two records, and the NFC step makes one record of a composed and
    a decomposed accent."""
    text = _text(value, field)
    if text.isascii():
        return text
    if any(unicodedata.category(character) == "Cf" for character in text):
        raise MalformedError(field, "must not contain invisible formatting characters")
    return unicodedata.normalize("NFC", text)


def optional_identifier_text(value: str | None, field: str) -> str | None:
    return None if value is None or not value.strip() else identifier_text(value, field)


def birth_date(id_type: str, identifier: str) -> datetime.date | None:
    """The birth date a normalised identifier (without its type) carries: a resident ID
    number's, already checked to be a date; None for the other kinds."""
    if id_type != "cn_resident_id":
        return None
    return datetime.date(int(identifier[6:10]), int(identifier[10:12]), int(identifier[12:14]))


def demography(people: Iterable[PersonalData]) -> dict[str, Demographic]:
    """Each learner's birth date and sex, from the ID number, for the outcome rows the
    statistics count (the log never sees either)."""
    return {
        person.learner_ref: (
            birth_date(person.id_type, person.identifier),
            sex_of_resident_id(person.id_type, person.identifier),
        )
        for person in people
    }


def check_after_birth(completed_on: datetime.date, born: datetime.date | None) -> None:
    if born is not None and completed_on < born:
        raise MalformedError("completed_on", "is before the learner's date of birth")


def course_title(value: str) -> str:
    return _title(value)


def evidence_text(value: str | None) -> str | None:
    return _evidence(value)


def normalise_outcome(
    record: OutcomeRecord,
    *,
    issuer_id: str,
    pseudonymizer: Pseudonymizer,
    now: datetime.datetime,
) -> tuple[OutcomeRecorded, PersonalData]:
    """The entry to log and the personal data to keep apart, or MalformedError.

    The steps run in this order, and the first to fail names the row's fault; the import's lean
    path (``imports.lean``) runs the same step functions, remembered per column, in the same
    order.
    """
    check_completed_on(record.completed_on, latest_completion_date(now))
    identifier = normalise_identifier(
        record.learner_id_type, record.learner_id, issuer_id=issuer_id
    )
    learner_ref = pseudonymizer.learner_ref(identifier)
    id_type, _, bare_identifier = identifier.partition(":")
    check_after_birth(record.completed_on, birth_date(id_type, bare_identifier))
    entry = OutcomeRecorded(
        issuer_id=issuer_id,
        record_id=identifier_text(record.record_id, "record_id"),
        learner_ref=learner_ref,
        outcome_type=record.outcome_type,
        course_code=identifier_text(record.course_code, "course_code"),
        course_title=course_title(record.course_title),
        hours=hours_text(record.hours),
        result=record.result,
        score=score_text(record.score),
        attendance_pct=attendance_text(record.attendance_pct),
        completed_on=record.completed_on,
        certificate_no=optional_identifier_text(record.certificate_no, "certificate_no"),
        evidence_sha256=evidence_text(record.evidence_sha256),
        award=None,
        recorded_at=format_timestamp(now),
    )
    personal = PersonalData(
        learner_ref=learner_ref,
        id_type=record.learner_id_type,
        identifier=identifier.split(":", 1)[1],
        name=learner_name(record.learner_name),
    )
    return entry, personal


def entry_for_issuer(
    registration: IssuerRegistration, *, now: datetime.datetime
) -> IssuerRegistered:
    if registration.public_key is not None:
        _check_public_key(registration.public_key)
    if registration.district is not None and registration.district.strip() == MARGIN:
        # Statistics print "*" for "all districts"; a district of that name would be one of them.
        raise MalformedError("district", f"{MARGIN!r} is not a street or town")
    return IssuerRegistered(
        issuer_id=registration.issuer_id,
        name=_text(registration.name, "name"),
        issuer_kind=registration.kind,
        district=_optional_text(registration.district, "district"),
        public_key=registration.public_key,
        registered_at=format_timestamp(now),
    )


def _check_public_key(text: str) -> None:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedError("public_key", "must be standard base64") from None
    if len(raw) != 32:
        raise MalformedError("public_key", "must be a raw 32-byte Ed25519 public key")
