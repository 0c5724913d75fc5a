"""From a CSV row's cells to the raw record the model validates, compiled once per header (pure).

An HR export repeats the same few hundred course codes, titles, hours, dates and results down a
million rows, so each of those columns remembers what its cell texts converted to: after the
first rows a cell costs one dictionary look-up instead of stripping, synonym and date parsing.
Columns whose every value is new (record ids, identifiers, names) are only stripped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from creditbank.imports.headers import OPTIONAL_FIELDS, HeaderMap, cell_values
from creditbank.imports.records import RawRecord

__all__ = ["CsvCells", "RowMapper", "cell_memo_entries"]

# Distinct cell texts a column remembers before it forgets them all and starts again: far more
# than real files repeat, and small enough (a few hundred KB per column) not to matter.
cell_memo_entries = 4_096
# Columns that hold a new value on almost every row: a memo would only grow.
_UNREPEATED_FIELDS = frozenset(
    {"record_id", "learner_id", "learner_name", "certificate_no", "evidence_sha256"}
)

Converter = Callable[[str], str | None]
_MISSING: Final = object()


def _converter(field: str, *, has_default: bool) -> Converter:
    """The cell text -> value function of one column; None means the field is absent."""
    absent_when_empty = has_default or field in OPTIONAL_FIELDS

    def convert(text: str) -> str | None:
        value = cell_values(field, text)
        # An empty cell keeps what the header implied (a default outcome_type, learner_id_type).
        return None if value is None or (not value and absent_when_empty) else value

    return convert


class CsvCells:
    """A CSV data row as read: its number and cells, mapped to a RawRecord only when asked
    (the row core prepares most rows from the cells alone)."""

    __slots__ = ("cells", "mapper", "number")

    def __init__(self, number: int, cells: list[str], mapper: RowMapper) -> None:
        self.number = number
        self.cells = cells
        self.mapper = mapper

    def record(self) -> RawRecord:
        return self.mapper.record(self.number, self.cells)


class RowMapper:
    """Maps the cells of one file's data rows to RawRecords under its header."""

    def __init__(self, header: HeaderMap) -> None:
        self._width = len(header.fields)
        self._defaults: dict[str, object] = dict(header.defaults)
        self._columns: tuple[tuple[int, str, Converter, dict[str, str | None] | None], ...]
        self._columns = tuple(
            (
                column,
                field,
                _converter(field, has_default=field in header.defaults),
                None if field in _UNREPEATED_FIELDS else {},
            )
            for column, field in enumerate(header.fields)
            if field is not None
        )
        self._unnamed = tuple(column for column, field in enumerate(header.fields) if field is None)

    @property
    def width(self) -> int:
        return self._width

    @property
    def named_columns(self) -> tuple[tuple[int, str], ...]:
        """(column, field) of every column with a header."""
        return tuple((column, field) for column, field, _, _ in self._columns)

    @property
    def unnamed_columns(self) -> tuple[int, ...]:
        return self._unnamed

    def record(self, number: int, cells: list[str]) -> RawRecord:
        error = self._shape_error(cells)
        fields: dict[str, object] = self._defaults.copy()
        count = len(cells)
        for column, field, convert, memo in self._columns:
            if column >= count:
                break  # a short row: its error is already set; the cells it has are kept
            text = cells[column]
            if memo is None:
                value = convert(text)
            else:
                # The look-up is inline: a call per cell would cost more than the conversion.
                remembered = memo.get(text, _MISSING)
                if remembered is not _MISSING:
                    value = remembered  # type: ignore[assignment]
                else:
                    if len(memo) >= cell_memo_entries:
                        memo.clear()
                    value = memo[text] = convert(text)
            if value is not None:
                fields[field] = value
        return RawRecord(number=number, fields=fields, text=cells, error=error)

    def _shape_error(self, cells: Sequence[str]) -> tuple[str, str] | None:
        """A cell count unlike the header's, or text under a column with no header."""
        width = self._width
        # Trailing empty cells are what some spreadsheets write past the data; only text counts.
        if len(cells) < width or (
            len(cells) > width and any(cell.strip() for cell in cells[width:])
        ):
            return ("row", f"expected {width} cells, found {len(cells)}")
        if any(cells[column].strip() for column in self._unnamed):
            return ("row", "a value in a column with no header")
        return None
