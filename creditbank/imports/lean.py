"""The import's lean row path: ``prepare`` for a whole file, with what repeats done once (pure).

An HR export repeats the same course codes, titles, hours, dates and learners down a million rows.
``LeanPreparer`` runs exactly the steps of ``prepare`` and ``normalise_outcome``, in their order,
but remembers each step's answer per distinct input for the length of one import: a course title
is folded once, a learner's identifier checked and pseudonymised once, hours scaled once. The
step functions are the reference's own (``creditbank.outcomes``), so there is one definition of
what a valid row is; only the remembering is new. Refusals are remembered as (field, reason), so
a bad value repeated down a file costs no more than a good one.

The memos live as long as the import and hold one entry per distinct value: a few hundred for
courses and dates, one per learner for identifiers (a learner must be recognised again anyway to
write their personal data once). Columns that are new on every row (record ids, certificate
numbers, evidence digests) are not remembered.

The row is then encoded once (``OutcomeDraft``): its content digest now, its canonical bytes
with the award later. The differential tests import generated files through this path and the
reference and compare every table, tile, root and row result.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable, Hashable
from typing import Final, TypeVar

import msgspec

from creditbank.errors import MalformedError
from creditbank.imports.prepare import Prepared, Unreadable, early_refusal, field_and_reason
from creditbank.imports.records import RawRecord
from creditbank.ledger.outcome_bytes import OutcomeDraft
from creditbank.outcomes import (
    PersonalData,
    attendance_text,
    birth_date,
    check_after_birth,
    course_title,
    evidence_text,
    format_timestamp,
    hours_text,
    identifier_text,
    latest_completion_date,
    learner_name,
    optional_identifier_text,
    score_text,
)
from creditbank.privacy import Pseudonymizer, normalise_identifier
from schemas.api import OutcomeRecord
from schemas.entries import OutcomeRecorded

__all__ = ["LeanPreparer"]

K = TypeVar("K", bound=Hashable)
# A learner's ref, normalised identifier (without its type) and birth date, if it carries one.
_Learner = tuple[str, str, datetime.date | None]
V = TypeVar("V")


class _Refused:
    """A remembered refusal: what MalformedError said about this value."""

    __slots__ = ("field", "reason")

    def __init__(self, error: MalformedError) -> None:
        self.field, self.reason = error.field, error.reason


class _Refusal(Exception):
    """Leaves the row's steps at its first fault, like the reference's MalformedError."""

    def __init__(self, refused: _Refused) -> None:
        self.refused = refused


def _remember(memo: dict[K, V | _Refused], key: K, step: Callable[[K], V]) -> V:
    found = memo.get(key, _MISSING)
    if found is _MISSING:
        try:
            found = step(key)
        except MalformedError as error:
            found = _Refused(error)
        memo[key] = found
    if isinstance(found, _Refused):
        raise _Refusal(found)
    return found  # type: ignore[return-value]


_MISSING: Final = object()


def _remember_number(
    memo: dict[decimal.Decimal | None, V | _Refused],
    key: decimal.Decimal | None,
    step: Callable[[decimal.Decimal], V] | Callable[[decimal.Decimal | None], V],
) -> V:
    """As ``_remember``; equal decimals (1, 1.0, 1.00) scale to the same text, so they may
    share an entry, but NaN is never equal to itself (and a signalling NaN cannot be hashed):
    those go straight to the step, which refuses them."""
    if key is not None and not key.is_finite():
        try:
            return step(key)
        except MalformedError as error:
            raise _Refusal(_Refused(error)) from None
    return _remember(memo, key, step)  # type: ignore[arg-type]


class LeanPreparer:
    """Prepares the rows of one import for one issuer at one moment."""

    def __init__(
        self, *, issuer_id: str, pseudonymizer: Pseudonymizer, now: datetime.datetime
    ) -> None:
        self._issuer_id = issuer_id
        self._pseudonymizer = pseudonymizer
        self._latest = latest_completion_date(now)
        self.recorded_at = format_timestamp(now)
        self._learners: dict[tuple[str, str], _Learner | _Refused] = {}
        self._codes: dict[str, str | _Refused] = {}
        self._titles: dict[str, str | _Refused] = {}
        self._hours: dict[decimal.Decimal | None, str | _Refused] = {}
        self._scores: dict[decimal.Decimal | None, str | _Refused | None] = {}
        self._attendance: dict[decimal.Decimal | None, str | _Refused | None] = {}

    def __call__(self, raw: RawRecord) -> Prepared | Unreadable:
        refusal = early_refusal(raw, self._issuer_id)
        if isinstance(refusal, Unreadable):
            return refusal
        shown_id = refusal
        try:
            record = msgspec.convert(raw.fields, OutcomeRecord, strict=False)
        except msgspec.ValidationError as error:
            return Unreadable(raw.number, shown_id, *field_and_reason(str(error)))
        try:
            entry, personal = self._normalise(record)
        except _Refusal as refusal_of_step:
            refused = refusal_of_step.refused
            return Unreadable(raw.number, shown_id, refused.field, refused.reason)
        except MalformedError as error:
            return Unreadable(raw.number, shown_id, error.field, error.reason)
        draft = OutcomeDraft(entry)
        return Prepared(raw.number, entry, personal, draft.digest, draft)

    def learner(self, id_type: str, learner_id: str) -> _Learner:
        """The learner's ref, normalised identifier (without its type) and birth date if it
        carries one, or MalformedError; not remembered here: the row core, which asks,
        remembers the learner itself."""
        return self._learner((id_type, learner_id))

    def _learner(self, key: tuple[str, str]) -> _Learner:
        identifier = normalise_identifier(*key, issuer_id=self._issuer_id)
        bare = identifier.split(":", 1)[1]
        return self._pseudonymizer.learner_ref(identifier), bare, birth_date(key[0], bare)

    def _normalise(self, record: OutcomeRecord) -> tuple[OutcomeRecorded, PersonalData]:
        """``normalise_outcome``'s steps in its order, each remembered where values repeat."""
        if record.completed_on > self._latest:
            raise MalformedError("completed_on", "must not be in the future")
        learner_ref, identifier, born = _remember(
            self._learners, (record.learner_id_type, record.learner_id), self._learner
        )
        check_after_birth(record.completed_on, born)
        entry = OutcomeRecorded(
            issuer_id=self._issuer_id,
            record_id=identifier_text(record.record_id, "record_id"),
            learner_ref=learner_ref,
            outcome_type=record.outcome_type,
            course_code=_remember(self._codes, record.course_code, _course_code),
            course_title=_remember(self._titles, record.course_title, course_title),
            hours=_remember_number(self._hours, record.hours, hours_text),
            result=record.result,
            score=_remember_number(self._scores, record.score, score_text),
            attendance_pct=_remember_number(
                self._attendance, record.attendance_pct, attendance_text
            ),
            completed_on=record.completed_on,
            certificate_no=optional_identifier_text(record.certificate_no, "certificate_no"),
            evidence_sha256=evidence_text(record.evidence_sha256),
            award=None,
            recorded_at=self.recorded_at,
        )
        personal = PersonalData(
            learner_ref=learner_ref,
            id_type=record.learner_id_type,
            identifier=identifier,
            name=learner_name(record.learner_name),
        )
        return entry, personal


def _course_code(value: str) -> str:
    return identifier_text(value, "course_code")
