"""Tables as CSV for people: UTF-8 with a byte order mark, so Excel opens the Chinese as text.

A single table is its header row and one row per cell, nothing else, so a program can read it
too; a whole report adds a title line per table and the footnotes, for reading and printing.
Numbers are written as the log writes them: hours "16.0", credits "1.50".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from creditbank.statistics.disclosure import SuppressedTable
from creditbank.statistics.labels import (
    Language,
    Provenance,
    footnotes,
    headers,
    labelled_rows,
    measure_texts,
)
from creditbank.statistics.reports import Report

__all__ = ["report_csv", "table_csv"]

_BOM = "\ufeff"
# A cell starting with one of these is a formula to Excel. District names are free text, so a
# label starting so gets a leading apostrophe, which Excel shows as text (OWASP's CSV advice).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _as_text(label: str) -> str:
    return "'" + label if label.startswith(_FORMULA_STARTS) else label


def _encode(rows: Iterable[list[str]]) -> bytes:
    text = io.StringIO()
    # csv's default line ending is CRLF, which is what Excel writes and expects.
    csv.writer(text).writerows(rows)
    return (_BOM + text.getvalue()).encode("utf-8")


def _table_rows(table: SuppressedTable, language: Language) -> list[list[str]]:
    rows = [headers(table.dimensions, language)]
    rows += [
        [_as_text(label) for label in labels] + measure_texts(cell.measures)
        for labels, cell in labelled_rows(table, language)
    ]
    return rows


def _closing(k: int, provenance: Provenance, language: Language) -> list[list[str]]:
    """Under the figures: what the marker means, the tree size counted, and the checkpoint
    signed at that size, line by line, so the file names the log state it counts."""
    rows: list[list[str]] = [[]]
    rows += [[note] for note in footnotes(k, provenance, language)]
    rows += [[line] for line in provenance.checkpoint.splitlines()]
    return rows


def table_csv(table: SuppressedTable, provenance: Provenance, language: Language = "zh") -> bytes:
    """One table: the header, one row per cell (margins as 合计 / Total), then ``_closing``."""
    return _encode(_table_rows(table, language) + _closing(table.k, provenance, language))


def report_csv(report: Report, provenance: Provenance, language: Language = "zh") -> bytes:
    """Every table of a report under its title, then the footnotes."""
    title = report.spec.title_zh if language == "zh" else report.spec.title_en
    rows: list[list[str]] = [[title]]
    for part in report.tables:
        rows.append([])
        rows.append([part.spec.title_zh if language == "zh" else part.spec.title_en])
        rows += _table_rows(part.table, language)
    return _encode(rows + _closing(report.k, provenance, language))
