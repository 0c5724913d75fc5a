"""Workbooks as import files (.xlsx, .xlsm, .xls, .ods): one sheet's rows into the CSV pipeline.

calamine (Rust) reads the workbook and tells its container from the bytes, not the file name.
What an HR officer expects of the file they saved from Excel:

* **The sheet** is the first visible worksheet in the workbook's order: a hidden or "very
  hidden" sheet (lookup lists, last year's data) is skipped, as the officer does not see it.
* **Title rows** above the table ("2025年度员工培训记录", merged across the columns) are skipped:
  the header is the first row, within the first ``header_search_rows``, that maps to the
  required columns through the CSV header aliases. If none does, the row that named the most
  known columns is reported as the header it meant to be (``missing_column``, ...); a sheet
  with no such row fails as ``no_header``.
* **Cells become the text the CSV path reads** (``sheet_cells``): a date cell is YYYY-MM-DD, a
  number the text Excel shows and would export to CSV (16, not 16.0; 0.3, not
  0.30000000000000004), text as typed (ID numbers stored as text keep their leading zeros). A
  number Excel could not keep exactly (more than 15 digits: a resident ID number typed as a
  number) makes its row malformed rather than record a rounded identifier.
* **Row numbers** are the sheet's own, as Excel shows them at the left; blank rows are skipped.

From there a row is a CSV row: the same ``RowMapper``, row core, classification and report.

Memory: calamine builds the whole sheet before its first row is seen, as a dense rectangle of
about 32 bytes a cell plus the text, and it is held until the import ends. The import file limit
does not bound that (a 30 KB file can hold one value in XFD2000), so ``sheet_area`` bounds the
rectangle by ``limits.sheet_cells_max`` (16 Mi cells, ~0.5 GB) before calamine reads an .xlsx and
after it reads any workbook. The file itself is read from disk, not held in memory. The rows then
stream to the pipeline one Python list at a time (``iter_rows``), converted as they go, so
Python holds no more of the sheet than the chunk the pipeline is working on.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from creditbank.errors import FileFormatError
from creditbank.imports.csv_rows import CsvCells, RowMapper
from creditbank.imports.headers import HEADER_ALIASES, HeaderMap, map_header, normalise_header
from creditbank.imports.records import RawRecord
from creditbank.imports.sheet_area import check_area, check_declared_size
from creditbank.imports.sheet_cells import CellValue, cell_text, inexact

__all__ = ["Worksheet", "header_search_rows", "open_sheet", "read_sheet", "read_sheet_cells"]

# How far down a title block may push the header: a title, a subtitle, a date line and notes
# take a handful of rows; twenty is generous and still finds a missing header quickly.
header_search_rows = 20
# Rows between progress updates (progress is counted in the file's bytes, in proportion).
_PROGRESS_ROWS = 1_024
# Excel saves a workbook with a password to open as an OLE compound file holding the encrypted
# zip as an "EncryptedPackage" stream; calamine only says it cannot read it.
_COMPOUND_FILE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_SCAN_CHUNK_BYTES = 1 << 20

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class Worksheet:
    """The sheet an import reads, whole in memory (``open_sheet``)."""

    name: str
    sheet: CalamineSheet
    last_row: int  # the Excel number of its last used row (0: an empty sheet)
    file_bytes: int
    progress: list[int] | None = None  # set to the bytes "read", in proportion to the rows


def open_sheet(source: Path | bytes, *, progress: list[int] | None = None) -> Worksheet:
    """Read the workbook's first visible worksheet, or FileFormatError / FileTooLargeError.

    This is the slow part of a workbook import (calamine parses the whole sheet) and it releases
    the GIL, so the service runs it in a thread and keeps answering meanwhile."""
    workbook = _readable(lambda: _workbook(source), source)
    try:
        name = _first_visible_sheet(workbook)
        check_declared_size(source, name)
        sheet = _readable(lambda: workbook.get_sheet_by_name(name), source)
    finally:
        workbook.close()  # the sheet is a copy: the file handle can go
    end = sheet.end
    if end is not None:
        check_area(sheet.height, sheet.width, f"sheet {name!r}")
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    last_row = 0 if end is None else end[0] + 1
    return Worksheet(name=name, sheet=sheet, last_row=last_row, file_bytes=size, progress=progress)


def _workbook(source: Path | bytes) -> CalamineWorkbook:
    if isinstance(source, bytes):
        return CalamineWorkbook.from_filelike(io.BytesIO(source))
    return CalamineWorkbook.from_path(source)  # read from disk as needed, never whole


def _first_visible_sheet(workbook: CalamineWorkbook) -> str:
    for sheet in workbook.sheets_metadata:
        if sheet.visible == SheetVisibleEnum.Visible and sheet.typ == SheetTypeEnum.WorkSheet:
            return sheet.name
    raise FileFormatError("empty", "the workbook has no visible worksheet")


def _readable(call: Callable[[], T], source: Path | bytes) -> T:
    """calamine's answer, its refusals as the file's errors: never an internal error."""
    try:
        return call()
    except PasswordError as error:
        raise _locked() from error
    except CalamineError as error:
        if _encrypted(source):
            raise _locked() from error
        raise FileFormatError(
            "not_spreadsheet",
            f"the file is not a workbook that can be read ({error}); open it in Excel or "
            "LibreOffice and save it again as .xlsx",
        ) from error
    except BaseException as error:
        # A file calamine trips over raises PyO3's PanicException, a BaseException.
        if type(error).__name__ != "PanicException":
            raise
        raise FileFormatError(
            "not_spreadsheet", "the workbook is damaged: open it in Excel and save it again"
        ) from error


def _locked() -> FileFormatError:
    return FileFormatError(
        "password_protected",
        "the workbook is protected by a password: open it in Excel, remove the password "
        "(File > Info > Protect Workbook) and send it again",
    )


def _encrypted(source: Path | bytes) -> bool:
    """Whether the file is a compound file holding an EncryptedPackage stream (the file is
    scanned whole, in chunks: the directory naming the streams may be anywhere in it)."""
    if isinstance(source, bytes):
        return source.startswith(_COMPOUND_FILE) and _ENCRYPTED_PACKAGE in source
    with source.open("rb") as handle:
        if handle.read(len(_COMPOUND_FILE)) != _COMPOUND_FILE:
            return False
        tail = b""
        while chunk := handle.read(_SCAN_CHUNK_BYTES):
            if _ENCRYPTED_PACKAGE in tail + chunk:
                return True
            tail = chunk[-len(_ENCRYPTED_PACKAGE) :]
    return False


# A row: its Excel number, its cells' texts, and the column and value of a number Excel could
# not keep exactly (the first, if any).
_Row = tuple[int, list[str], tuple[int, float] | None]


def _rows(worksheet: Worksheet) -> Iterator[_Row]:
    """Every row from row 1. calamine's ``iter_rows`` gives the rows above the first used one as
    empty rows (so the count from 1 is Excel's), and starts at the first used column."""
    lost: list[None] = []

    def text(value: CellValue) -> str:
        if inexact(value):
            lost.append(None)
        return cell_text(value)

    progress, size, last = worksheet.progress, worksheet.file_bytes, max(worksheet.last_row, 1)
    for number, values in enumerate(worksheet.sheet.iter_rows(), start=1):
        # Most cells are text and pass as they are; only numbers, dates and booleans convert.
        texts = [value if type(value) is str else text(value) for value in values]
        rounded = None
        if lost:
            lost.clear()
            rounded = next(
                (i, v) for i, v in enumerate(values) if isinstance(v, float) and inexact(v)
            )
        if progress is not None and number % _PROGRESS_ROWS == 0:
            progress[0] = size * number // last
        yield number, texts, rounded
    if progress is not None:
        progress[0] = size


def _header(
    rows: Iterator[_Row], where: str, default_outcome_type: str | None
) -> tuple[list[str], HeaderMap]:
    """The header row's cells and mapping; ``rows`` is left at the row after it."""
    nearest: FileFormatError | None = None
    nearest_known = 0
    blank = True
    for number, texts, _ in rows:
        if number > header_search_rows:
            break
        blank = blank and not any(text.strip() for text in texts)
        known = sum(1 for text in texts if normalise_header(text) in HEADER_ALIASES)
        if not known:
            continue  # a title, a note or a blank row
        try:
            return texts, map_header(texts, default_outcome_type=default_outcome_type)
        except FileFormatError as error:
            if known > nearest_known:  # the row most like a header says what is wrong
                detail = f"the header in row {number} of {where}: {error.detail}"
                nearest, nearest_known = FileFormatError(error.reason_code, detail), known
    if nearest is not None:
        raise nearest
    if blank:
        raise FileFormatError("empty", f"{where} is empty")
    raise FileFormatError(
        "no_header",
        f"none of the first {header_search_rows} rows of {where} names the columns: the "
        "header row needs 记录编号, 身份证号 (or 工号), 课程代码, 课程名称, 学时, 是否合格 and "
        "完成日期, or the English field names (see the import template)",
    )


def read_sheet_cells(
    worksheet: Worksheet,
    *,
    default_outcome_type: str | None = None,
    on_header: Callable[[list[str]], None] | None = None,
) -> Iterator[CsvCells | RawRecord]:
    """Each non-blank data row below the header: its cells for the row core, or a RawRecord
    already refused (a number Excel rounded under a named column). ``on_header`` is given the
    header row's cells before the first row is read."""
    where = f"sheet {worksheet.name!r}"
    rows = _rows(worksheet)
    names, header = _header(rows, where, default_outcome_type)
    mapper = RowMapper(header)
    fields = dict(mapper.named_columns)
    if on_header is not None:
        on_header(names)
    seen_record = False
    for number, texts, rounded in rows:
        if not (texts and texts[0].strip()) and not any(text.strip() for text in texts):
            continue  # blank, like a blank CSV line (the first cell decides most rows at once)
        seen_record = True
        if rounded is not None and rounded[0] in fields:
            yield _refused(mapper.record(number, texts), fields[rounded[0]], rounded[1])
        else:
            yield CsvCells(number, texts, mapper)
    if not seen_record:
        raise FileFormatError("empty", f"{where} has a header row but no data rows")


def _refused(record: RawRecord, field: str, value: float) -> RawRecord:
    """The record refused for its rounded number, unless its shape is at fault already."""
    if record.error is not None:
        return record
    shown = f"{value:.5E}"  # as Excel shows it in a narrow General cell: 1.10101E+17
    reason = (
        f"was saved as a number ({shown}) and Excel keeps only 15 digits of a number: format "
        "the column as Text and type it again"
    )
    return dataclasses.replace(record, error=(field, reason))


def read_sheet(
    worksheet: Worksheet,
    *,
    default_outcome_type: str | None = None,
    on_header: Callable[[list[str]], None] | None = None,
) -> Iterator[RawRecord]:
    """One RawRecord per non-blank data row (the reference path and the report)."""
    for row in read_sheet_cells(
        worksheet, default_outcome_type=default_outcome_type, on_header=on_header
    ):
        yield row if isinstance(row, RawRecord) else row.record()
