"""The row report as an Excel workbook: the input's own columns in its order, then the status
and error columns, the same rows as the CSV report (``report.report_rows``).

Every cell is written as text, as the input held it: an ID number or a record number with
leading zeros stays exactly what the issuer sent, where Excel opening a CSV would turn it into a
rounded number, and a cell starting with "=" is text, never a formula. xlsxwriter's
``constant_memory`` mode writes each row out as it goes, to a temporary file in the job's
directory, so a million-row report holds one row in memory; the workbook is complete (its zip
written) before its first byte is sent, so a file that cannot be read fails as a problem
response, not as a download cut short.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO

import xlsxwriter  # type: ignore[import-untyped]  # no annotations shipped

from creditbank.service.imports.files import JobFiles, read_chunk_bytes
from creditbank.service.imports.report import report_rows
from creditbank.storage.import_jobs import JobRow

__all__ = ["XLSX_MEDIA_TYPE", "report_xlsx", "xlsx_rows_max"]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's rows per sheet. A larger import (a CSV may have any number of rows) ends its workbook
# with a row saying so, and the CSV report has every row.
xlsx_rows_max = 1_048_576
_COLUMN_WIDTH = 14
_ERROR_COLUMN_WIDTH = 48
_WORKBOOK_OPTIONS = {
    "constant_memory": True,
    # Only write() would convert; the report calls write_string, and these say so twice.
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
}


def report_xlsx(job: JobRow, files: JobFiles) -> Iterator[bytes]:
    """The workbook's bytes in chunks. It is written whole first (seconds for a large import,
    and a workbook input is read by calamine): call this in a thread."""
    _, header, rows = report_rows(job, files)  # raises here if the input cannot be read
    handle = tempfile.TemporaryFile(dir=files.directory)  # noqa: SIM115 - the download closes it
    try:
        _write(handle, header, rows, files)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return _chunks(handle)


def _write(
    handle: IO[bytes], header: list[str], rows: Iterator[list[str]], files: JobFiles
) -> None:
    book = xlsxwriter.Workbook(handle, {**_WORKBOOK_OPTIONS, "tmpdir": str(files.directory)})
    chinese = any(not name.isascii() for name in header)
    sheet = book.add_worksheet("导入报告" if chinese else "report")
    # Widths and the frozen header must come before the first row in constant_memory mode.
    sheet.set_column(0, len(header) - 1, _COLUMN_WIDTH)
    sheet.set_column(len(header) - 1, len(header) - 1, _ERROR_COLUMN_WIDTH)
    sheet.freeze_panes(1, 0)
    bold = book.add_format({"bold": True})
    for column, name in enumerate(header):
        sheet.write_string(0, column, name, bold)
    for number, cells in enumerate(rows, start=1):
        if number == xlsx_rows_max - 1:
            sheet.write_string(number, 0, _too_many_rows(chinese))
            break
        for column, text in enumerate(cells):
            if text:
                sheet.write_string(number, column, text)
    book.close()


def _too_many_rows(chinese: bool) -> str:
    if chinese:
        return f"……Excel 一张表最多 {xlsx_rows_max:,} 行；其余各行见 CSV 报告"
    return f"... an Excel sheet holds {xlsx_rows_max:,} rows: the CSV report has the rest"


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := handle.read(read_chunk_bytes):
            yield chunk
    finally:
        handle.close()  # a temporary file: closing it removes it
