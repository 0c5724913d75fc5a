"""The workbook twin of a benchmark CSV file: the same rows as an .xlsx, as Excel would hold them.

Hours and scores that are numbers become number cells, ISO dates date cells (other date forms
and the deliberately bad values stay text, as someone typed them), everything else text cells,
so the import converts numbers, dates and text as it would for a real HR workbook, and the
classification must come out exactly as the CSV's. Written once per size with xlsxwriter in
constant-memory mode, outside the timed import.
"""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import xlsxwriter

from benchmarks.import_files import HEADER

__all__ = ["write_sheet_twin"]

_NUMBER_COLUMNS = frozenset({HEADER.index("学时"), HEADER.index("成绩")})
_DATE_COLUMN = HEADER.index("完成日期")


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> datetime.datetime | None:
    if len(text) != len("2025-01-01"):
        return None
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return None


def write_sheet_twin(source: Path, target: Path) -> Path:
    """Write the CSV file ``source`` as the workbook ``target``; ``target``."""
    book = xlsxwriter.Workbook(str(target), {"constant_memory": True})
    sheet = book.add_worksheet("培训记录")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    with source.open(encoding="utf-8", newline="") as handle:
        for number, cells in enumerate(csv.reader(handle)):
            for column, text in enumerate(cells):
                value = _number(text) if number and column in _NUMBER_COLUMNS else None
                when = _date(text) if number and column == _DATE_COLUMN else None
                if value is not None:
                    sheet.write_number(number, column, value)
                elif when is not None:
                    sheet.write_datetime(number, column, when, day)
                elif text:
                    sheet.write_string(number, column, text)
    book.close()
    return target
