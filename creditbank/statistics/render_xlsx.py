"""Tables as an Excel workbook: one worksheet per table, numbers as numbers so Excel can sum.

Each sheet has the table's title, the header, one row per cell and the footnotes (the marker,
the tree size and k). Hidden values are the marker as text, which Excel's SUM skips. Hours and
credits are numbers shown with one and two decimals, as the log writes them. The workbook is
built in memory (``in_memory``: tables are small) and returned as bytes; nothing touches disk.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any, Final

import xlsxwriter  # type: ignore[import-untyped]  # no annotations shipped

from creditbank.statistics.disclosure import SuppressedTable
from creditbank.statistics.labels import (
    SUPPRESSED_MARKER,
    Language,
    Provenance,
    footnotes,
    headers,
    labelled_rows,
)
from creditbank.statistics.reports import Report, TableSpec
from creditbank.statistics.tables import MEASURES, Measures

__all__ = ["XLSX_MEDIA_TYPE", "report_xlsx", "table_xlsx"]

XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
sheet_name_chars_max: Final = 31  # Excel refuses longer worksheet names
_LABEL_COLUMN_WIDTH: Final = 18
_MEASURE_COLUMN_WIDTH: Final = 12
_SHEET_NAME_FORBIDDEN: Final = re.compile(r"[\[\]:*?/\\]")
_WORKBOOK_OPTIONS: Final = {
    "in_memory": True,
    # A district spelled "=..." is a name, never a formula; nothing is turned into a link.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


class _Formats:
    def __init__(self, book: Any) -> None:
        self.title = book.add_format({"bold": True, "font_size": 13})
        self.header = book.add_format({"bold": True, "bottom": 1, "text_wrap": True})
        self.integer = book.add_format({"num_format": "0"})
        self.hours = book.add_format({"num_format": "0.0"})
        self.credits = book.add_format({"num_format": "0.00"})
        self.marker = book.add_format({"align": "right"})
        self.note = book.add_format({"italic": True})


def _write_measures(
    sheet: Any, row: int, column: int, measures: Measures | None, f: _Formats
) -> None:
    if measures is None:
        for offset in range(len(MEASURES)):
            sheet.write_string(row, column + offset, SUPPRESSED_MARKER, f.marker)
        return
    sheet.write_number(row, column, measures.learners, f.integer)
    sheet.write_number(row, column + 1, measures.outcomes, f.integer)
    sheet.write_number(row, column + 2, measures.hours_tenths / 10, f.hours)
    sheet.write_number(row, column + 3, measures.credits / 100, f.credits)
    sheet.write_number(row, column + 4, measures.recognised, f.integer)


def _write_table(
    sheet: Any,
    title: str,
    table: SuppressedTable,
    notes: Sequence[str],
    language: Language,
    f: _Formats,
) -> None:
    width = len(table.dimensions)
    sheet.set_column(0, max(width - 1, 0), _LABEL_COLUMN_WIDTH)
    sheet.set_column(width, width + 4, _MEASURE_COLUMN_WIDTH)
    sheet.write_string(0, 0, title, f.title)
    for column, name in enumerate(headers(table.dimensions, language)):
        sheet.write_string(1, column, name, f.header)
    sheet.freeze_panes(2, width)
    row = 2
    for labels, cell in labelled_rows(table, language):
        for column, label in enumerate(labels):
            sheet.write_string(row, column, label)
        _write_measures(sheet, row, width, cell.measures, f)
        row += 1
    for offset, note in enumerate(notes, start=1):
        sheet.write_string(row + offset, 0, note, f.note)


def _sheet_name(key: str, taken: set[str]) -> str:
    base = _SHEET_NAME_FORBIDDEN.sub("_", key)[:sheet_name_chars_max] or "table"
    name, serial = base, 1
    while name.lower() in taken:  # Excel compares sheet names without case
        serial += 1
        suffix = f"_{serial}"
        name = base[: sheet_name_chars_max - len(suffix)] + suffix
    taken.add(name.lower())
    return name


def _about(
    book: Any, report: Report, provenance: Provenance, language: Language, f: _Formats
) -> None:
    """The first sheet: what the report is, what it counted, and the checkpoint it counted at."""
    sheet = book.add_worksheet("说明" if language == "zh" else "About")
    sheet.set_column(0, 0, 100)
    title = report.spec.title_zh if language == "zh" else report.spec.title_en
    sheet.write_string(0, 0, title, f.title)
    row = 2
    for note in footnotes(report.k, provenance, language):
        sheet.write_string(row, 0, note)
        row += 1
    row += 1
    sheet.write_string(
        row, 0, "签名检查点：" if language == "zh" else "Signed checkpoint:", f.header
    )
    for line in provenance.checkpoint.splitlines():
        row += 1
        sheet.write_string(row, 0, line)


def report_xlsx(report: Report, provenance: Provenance, language: Language = "zh") -> bytes:
    """A workbook: a sheet about the report, then one sheet per table named by its key."""
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, _WORKBOOK_OPTIONS)
    f = _Formats(book)
    _about(book, report, provenance, language, f)
    taken = {"说明" if language == "zh" else "about"}
    notes = footnotes(report.k, provenance, language)
    for part in report.tables:
        sheet = book.add_worksheet(_sheet_name(part.spec.key, taken))
        title = part.spec.title_zh if language == "zh" else part.spec.title_en
        _write_table(sheet, title, part.table, notes, language, f)
    book.close()
    return output.getvalue()


def table_xlsx(
    table: SuppressedTable, spec: TableSpec, provenance: Provenance, language: Language = "zh"
) -> bytes:
    """A workbook of one table, on one sheet named by its key."""
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, _WORKBOOK_OPTIONS)
    f = _Formats(book)
    sheet = book.add_worksheet(_sheet_name(spec.key, set()))
    title = spec.title_zh if language == "zh" else spec.title_en
    _write_table(sheet, title, table, footnotes(table.k, provenance, language), language, f)
    book.close()
    return output.getvalue()
