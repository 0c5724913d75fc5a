"""The import's row core: a CSV row's cells straight to a prepared row (pure; compiled when built).

Down an HR export the same cell texts come back row after row: course codes and titles, hours,
dates, results, and each learner's identifier and name. Once a row holding a cell text has been
prepared by ``LeanPreparer`` (the reference's own steps), the core remembers what that text
became, per column. A later row whose every repeating cell is remembered skips the record dict,
``msgspec.convert`` and every normalising step: a look-up per cell, then the entry, its one
encoding and its digest. Anything else (an unseen text, a row of another width, text under an
unnamed column, a record id that does not pass) goes to ``LeanPreparer`` whole, which decides the
row exactly as the reference does and, if the row is good, teaches the core its cells.

Why remembering is exact: a column's value in a good row depends on that cell's text alone (the
file's header defaults and the import's moment are fixed for the import), so a text that once
made a good value always makes the same one. Columns new on every row (record id, certificate
number, evidence digest) are converted and checked per row with the reference's own type and
step, never remembered.

mypyc compiles this module when the package is installed (``setup.py``, ``creditbank.compiled``);
the source is the fallback and the reference. The differential tests import files through it,
compiled and pure, and through the reference, and compare every table, tile, root and row result.
"""

from __future__ import annotations

import datetime
import typing
import unicodedata
from typing import Any

import msgspec
from msgspec import inspect

from creditbank.errors import MalformedError
from creditbank.imports.csv_rows import CsvCells, RowMapper
from creditbank.imports.headers import OPTIONAL_FIELDS, cell_values
from creditbank.imports.lean import LeanPreparer
from creditbank.imports.prepare import Prepared, Unreadable
from creditbank.ledger.outcome_bytes import OutcomeDraft
from creditbank.limits import identifier_chars_max
from creditbank.outcomes import (
    PersonalData,
    birth_date,
    evidence_text,
    learner_name,
    optional_identifier_text,
)
from creditbank.outcomes import identifier_text as _identifier_text
from schemas.api import OutcomeRecord
from schemas.entries import OutcomeRecorded
from schemas.types import OutcomeResult, OutcomeType

__all__ = ["RowCore"]

_FIELD_TYPES: dict[str, Any] = typing.get_type_hints(OutcomeRecord, include_extras=True)
# Entry fields a column gives, remembered per cell text (``_columns`` keeps this order).
_REMEMBERED = (
    "course_code",
    "course_title",
    "outcome_type",
    "hours",
    "result",
    "score",
    "attendance_pct",
    "completed_on",
)
_ABSENT = -1  # the column index of a field no column gives
# A learner's personal data and birth date (if their identifier carries one).
_Person = tuple[PersonalData, datetime.date | None]
_UNSEEN: Any = object()


class _Unknown(Exception):
    """A cell the core has not seen in a good row, or a per-row value that did not pass."""


def _per_row(field: str, text: str) -> str | None:
    """A record id, certificate number or evidence digest: the reference's conversion and
    step for one cell, or _Unknown (the lean path then names the fault)."""
    value = cell_values(field, text)
    if value is None or (not value and field in OPTIONAL_FIELDS):
        return None
    try:
        checked: str = msgspec.convert(value, _FIELD_TYPES[field], strict=False)
        if field == "record_id":
            return _identifier_text(checked, "record_id")
        if field == "certificate_no":
            return optional_identifier_text(checked, "certificate_no")
        return evidence_text(checked)
    except (msgspec.ValidationError, MalformedError):
        raise _Unknown from None


def _check_record_id_type() -> None:
    """Assert what ``_record_id`` relies on: a record id is text of 1 to 64 characters, with no
    pattern (a new constraint must fail here, not let the fast check pass what it refuses)."""
    info = inspect.type_info(_FIELD_TYPES["record_id"])
    if isinstance(info, inspect.Metadata):  # a description; the constraints are inside
        info = info.type
    assert isinstance(info, inspect.StrType), info
    assert (info.min_length, info.max_length, info.pattern) == (1, _RECORD_ID_CHARS_MAX, None)


_RECORD_ID_CHARS_MAX = identifier_chars_max
_check_record_id_type()


def _record_id(text: str) -> str:
    """The record id of a cell, by a check that implies the reference's (the cell stripped, as
    ``cell_values`` does; non-blank, printable (so no format character) and NFC, as
    ``identifier_text`` requires; within the schema's length): anything it does not pass goes
    to the lean path."""
    value = text.strip()
    if not value or len(value) > _RECORD_ID_CHARS_MAX or not value.isprintable():
        raise _Unknown
    if not value.isascii() and not unicodedata.is_normalized("NFC", value):
        raise _Unknown
    return value


class RowCore:
    """Prepares one CSV file's rows for one import (see the module docstring)."""

    def __init__(self, mapper: RowMapper, lean: LeanPreparer, issuer_id: str) -> None:
        self._mapper = mapper
        self._lean = lean
        self._issuer_id = issuer_id
        self._width = mapper.width
        self._unnamed: tuple[int, ...] = mapper.unnamed_columns
        columns = {field: column for column, field in mapper.named_columns}
        self._usable = set(columns) <= {
            *_REMEMBERED,
            "issuer_id",
            "record_id",
            "learner_id_type",
            "learner_id",
            "learner_name",
            "certificate_no",
            "evidence_sha256",
        }
        self._record_column: int = columns.get("record_id", _ABSENT)
        self._issuer_column: int = columns.get("issuer_id", _ABSENT)
        self._type_column: int = columns.get("learner_id_type", _ABSENT)
        self._id_column: int = columns.get("learner_id", _ABSENT)
        self._name_column: int = columns.get("learner_name", _ABSENT)
        self._certificate_column: int = columns.get("certificate_no", _ABSENT)
        self._evidence_column: int = columns.get("evidence_sha256", _ABSENT)
        # Per remembered field (in _REMEMBERED's order): its column, or _ABSENT (-1, the empty
        # text _fast appends), and what its cell texts became.
        self._columns: tuple[int, ...] = tuple(columns.get(f, _ABSENT) for f in _REMEMBERED)
        self._codes: dict[str, str] = {}
        self._titles: dict[str, str] = {}
        self._types: dict[str, OutcomeType] = {}
        self._hours: dict[str, str] = {}
        self._results: dict[str, OutcomeResult] = {}
        self._scores: dict[str, str | None] = {}
        self._attendance: dict[str, str | None] = {}
        self._dates: dict[str, datetime.date] = {}
        self._recorded_at = lean.recorded_at
        self._issuers: dict[str, None] = {}
        # A learner's personal data (and so their ref) by the type, identifier and name cells;
        # and, for learners not met yet, what type and name cells became.
        self._people: dict[tuple[str, str, str], _Person] = {}
        self._id_types: dict[str, str] = {}
        self._names: dict[str, str | None] = {}
        self._taught = False  # whether a good row has set the fields no column gives

    def __call__(self, row: CsvCells) -> Prepared | Unreadable:
        if self._taught:
            try:
                return self._fast(row.number, row.cells)
            except (_Unknown, KeyError):
                pass
        prepared = self._lean(row.record())
        if self._usable and isinstance(prepared, Prepared) and len(row.cells) == self._width:
            self._teach(row.cells, prepared)
        return prepared

    def _fast(self, number: int, cells: list[str]) -> Prepared:
        """The row from remembered cells, or KeyError / _Unknown for the lean path to decide."""
        if len(cells) != self._width:
            raise _Unknown
        for column in self._unnamed:
            if cells[column].strip():
                raise _Unknown
        # Fields no column gives are remembered under the empty text, at index -1.
        cells = [*cells, ""]
        if self._issuer_column != _ABSENT and cells[self._issuer_column] not in self._issuers:
            raise _Unknown
        key = (cells[self._type_column], cells[self._id_column], cells[self._name_column])
        person = self._people.get(key)
        if person is None:
            person = self._people[key] = self._new_person(*key)
        personal, born = person
        columns = self._columns
        completed_on = self._dates[cells[columns[7]]]
        if born is not None and completed_on < born:
            raise _Unknown  # the lean path names the fault
        entry = OutcomeRecorded(
            issuer_id=self._issuer_id,
            record_id=_record_id(cells[self._record_column]),
            learner_ref=personal.learner_ref,
            outcome_type=self._types[cells[columns[2]]],
            course_code=self._codes[cells[columns[0]]],
            course_title=self._titles[cells[columns[1]]],
            hours=self._hours[cells[columns[3]]],
            result=self._results[cells[columns[4]]],
            score=self._scores[cells[columns[5]]],
            attendance_pct=self._attendance[cells[columns[6]]],
            completed_on=completed_on,
            certificate_no=self._per_row_column("certificate_no", self._certificate_column, cells),
            evidence_sha256=self._per_row_column("evidence_sha256", self._evidence_column, cells),
            award=None,
            recorded_at=self._recorded_at,
        )
        draft = OutcomeDraft(entry)
        return Prepared(number, entry, personal, draft.digest, draft)

    def _new_person(self, type_text: str, id_text: str, name_text: str) -> _Person:
        """A learner's personal data and birth date from the reference's steps for their three
        cells, when the type cell is one a good row had (KeyError otherwise) and the steps pass
        (_Unknown)."""
        id_type = self._id_types[type_text]
        name = self._names.get(name_text, _UNSEEN)
        try:
            learner_id: str = msgspec.convert(id_text.strip(), _FIELD_TYPES["learner_id"])
            learner_ref, identifier, born = self._lean.learner(id_type, learner_id)
            if name is _UNSEEN:
                name = self._names[name_text] = learner_name(cell_values("learner_name", name_text))
        except (msgspec.ValidationError, MalformedError):
            raise _Unknown from None
        personal = PersonalData(
            learner_ref=learner_ref,
            id_type=id_type,
            identifier=identifier,
            name=name,
        )
        return personal, born

    @staticmethod
    def _per_row_column(field: str, column: int, cells: list[str]) -> str | None:
        return None if column == _ABSENT else _per_row(field, cells[column])

    def _teach(self, cells: list[str], prepared: Prepared) -> None:
        """Remember what each repeating cell of a good row became."""
        entry, personal = prepared.entry, prepared.personal
        cells = [*cells, ""]
        columns = self._columns
        self._codes[cells[columns[0]]] = entry.course_code
        self._titles[cells[columns[1]]] = entry.course_title
        self._types[cells[columns[2]]] = entry.outcome_type
        self._hours[cells[columns[3]]] = entry.hours
        self._results[cells[columns[4]]] = entry.result
        self._scores[cells[columns[5]]] = entry.score
        self._attendance[cells[columns[6]]] = entry.attendance_pct
        self._dates[cells[columns[7]]] = entry.completed_on
        if self._issuer_column != _ABSENT:
            self._issuers[cells[self._issuer_column]] = None
        key = (cells[self._type_column], cells[self._id_column], cells[self._name_column])
        self._people[key] = (personal, birth_date(personal.id_type, personal.identifier))
        self._id_types[cells[self._type_column]] = personal.id_type
        self._names[cells[self._name_column]] = personal.name
        self._taught = True
