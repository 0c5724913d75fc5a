"""From a raw record to the entry it would become, or the reason it cannot (pure).

``prepare`` runs the checks that need nothing but the record and the import's issuer: the
OutcomeRecord model, the semantic rules of ``normalise_outcome`` and the learner's pseudonym.
Everything that needs the database (exists, totals, standards) is classification's job.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass

import msgspec

from creditbank.errors import MalformedError
from creditbank.imports.records import RawRecord
from creditbank.ledger.entries import content_sha256
from creditbank.ledger.outcome_bytes import OutcomeDraft
from creditbank.outcomes import PersonalData, normalise_outcome
from creditbank.privacy import Pseudonymizer
from schemas.api import OutcomeRecord
from schemas.entries import OutcomeRecorded

__all__ = [
    "Prepared",
    "Unreadable",
    "early_refusal",
    "field_and_reason",
    "plain_reason",
    "prepare",
]

_FIELD_IN_PATH = re.compile(r"`\$\.([A-Za-z0-9_]+)")
_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")
_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A well-formed row: its entry (no award yet), personal data and content digest."""

    number: int
    entry: OutcomeRecorded
    personal: PersonalData
    digest: bytes  # content_sha256 of the entry: what "the same record" means
    draft: OutcomeDraft | None = None  # the lean path's one encoding of the entry


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A malformed row: the field at fault and why."""

    number: int
    record_id: str | None
    field: str
    reason: str


def prepare(
    raw: RawRecord,
    *,
    issuer_id: str,
    pseudonymizer: Pseudonymizer,
    now: datetime.datetime,
) -> Prepared | Unreadable:
    refusal = early_refusal(raw, issuer_id)
    if isinstance(refusal, Unreadable):
        return refusal
    shown_id = refusal
    try:
        record = msgspec.convert(raw.fields, OutcomeRecord, strict=False)
        entry, personal = normalise_outcome(
            record, issuer_id=issuer_id, pseudonymizer=pseudonymizer, now=now
        )
    except msgspec.ValidationError as error:
        return Unreadable(raw.number, shown_id, *field_and_reason(str(error)))
    except MalformedError as error:
        return Unreadable(raw.number, shown_id, error.field, error.reason)
    return Prepared(raw.number, entry, personal, content_sha256(entry))


def early_refusal(raw: RawRecord, issuer_id: str) -> Unreadable | str | None:
    """What the reader found wrong, or a row for another issuer; else the record id to show."""
    record_id = raw.fields.get("record_id")
    shown_id = record_id.strip() or None if isinstance(record_id, str) else None
    if raw.error is not None:
        return Unreadable(raw.number, shown_id, *raw.error)
    given_issuer = raw.fields.get("issuer_id")
    if given_issuer is not None and given_issuer != issuer_id:
        return Unreadable(raw.number, shown_id, "issuer_id", f"this import is for {issuer_id}")
    return shown_id


def field_and_reason(message: str) -> tuple[str, str]:
    """The field a msgspec validation message names, and the reason in plain words."""
    for pattern in (_MISSING_FIELD, _UNKNOWN_FIELD, _FIELD_IN_PATH):
        match = pattern.search(message)
        if match is not None:
            return match.group(1), plain_reason(message)
    return "row", plain_reason(message)


_KINDS = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "decimal": "a number",
    "date": "a date (YYYY-MM-DD)",
    "bool": "true or false",
    "array": "a list",
    "object": "an object",
}
_BOUNDS = {">=": "at least", "<=": "at most", ">": "more than", "<": "less than"}


def _fixed(text: str) -> Callable[[re.Match[str]], str]:
    return lambda _: text


# msgspec's validation messages, in the words the other row reasons use: the HR officer reading
# the report should meet neither `backquoted types` nor regexes.
_PLAIN: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^Object missing required field"), _fixed("is required")),
    (re.compile(r"^Object contains unknown field"), _fixed("is not a field of an outcome record")),
    (re.compile(r"^Invalid decimal string"), _fixed("is not a number")),
    (re.compile(r"^Invalid RFC3339 encoded date"), _fixed("is not a date (YYYY-MM-DD)")),
    (re.compile(r"^Invalid enum value '(.*)'$"), lambda m: f"'{m[1]}' is not an accepted value"),
    (re.compile(r"^Expected `str` of length >= 1$"), _fixed("is empty")),
    (
        re.compile(r"^Expected `str` of length <= (\d+)$"),
        lambda m: f"is longer than {m[1]} characters",
    ),
    (
        re.compile(r"^Expected `str` of length >= (\d+)$"),
        lambda m: f"is shorter than {m[1]} characters",
    ),
    (
        re.compile(r"^Expected `str` matching regex"),
        _fixed("has characters that are not allowed here"),
    ),
    (re.compile(r"^Expected `[^`]+`, got `null`$"), _fixed("is required")),
    (
        re.compile(r"^Expected `(\w+)[^`]*`, got `[^`]+`$"),
        lambda m: f"should be {_KINDS.get(m[1], m[1])}",
    ),
    (
        re.compile(r"^Expected `\w+` (>=|<=|>|<) (\S+)$"),
        lambda m: f"must be {_BOUNDS[m[1]]} {m[2]}",
    ),
]


def plain_reason(message: str) -> str:
    """A msgspec validation message, without its ``- at `$.path``` suffix, in plain words; a
    message not known here is kept as it is rather than guessed at."""
    text = message.split(" - at `", 1)[0].strip()
    for pattern, plain in _PLAIN:
        match = pattern.search(text)
        if match is not None:
            return plain(match)
    return text
