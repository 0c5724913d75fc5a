"""What an import tells the issuer afterwards: pages of row results and the report CSV.

The report gives back every row of the input in the issuer's own template (its header, its
cells, its encoding, so Excel opens it as it opened the original) with two columns added: the
row's status and, for errors, the field and reason. JSON inputs get a CSV of the record fields;
a workbook's report has its header row and cells (title rows above the header left out). The
same rows make the Excel report (``report_xlsx``).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
from collections.abc import Iterator

import msgspec

from creditbank.errors import FileFormatError
from creditbank.imports import (
    RawRecord,
    detect_encoding,
    encoding_head_bytes_min,
    read_csv,
    read_json_array,
    read_ndjson,
)
from creditbank.imports.classify import RECORDED_STATUSES
from creditbank.imports.row_results import RowResult
from creditbank.imports.spreadsheet import open_sheet, read_sheet
from creditbank.service.imports.files import JobFiles, file_chunks
from creditbank.storage.import_jobs import JobRow
from schemas.imports import ImportRow, ImportRowsPage

__all__ = ["report_csv", "report_rows", "row_page"]

rows_page_max = 1_000
_REPORT_FLUSH_CHARS = 1 << 16
_RECORD_FIELDS = (
    "record_id",
    "learner_id_type",
    "learner_id",
    "learner_name",
    "course_code",
    "course_title",
    "outcome_type",
    "hours",
    "result",
    "score",
    "attendance_pct",
    "completed_on",
    "certificate_no",
    "evidence_sha256",
)


def _visible(job: JobRow, result: RowResult) -> ImportRow:
    row = ImportRow(**msgspec.structs.asdict(result))
    if result.status in RECORDED_STATUSES and job.result != "committed":
        # Indices handed out inside a transaction that rolled back were never in the log.
        row = msgspec.structs.replace(row, index=None)
    return row


def row_page(
    job: JobRow, files: JobFiles, *, status: str | None, after: int, limit: int
) -> ImportRowsPage:
    limit = max(1, min(limit, rows_page_max))
    matching = (
        result
        for result in files.read_results()
        if result.number > after and (status is None or result.status == status)
    )
    rows = [_visible(job, result) for result in itertools.islice(matching, limit + 1)]
    more = len(rows) > limit
    rows = rows[:limit]
    return ImportRowsPage(rows=rows, next_after=rows[-1].number if more else None)


def _explanation(result: RowResult) -> str:
    if result.field is not None:
        return f"{result.field}: {result.reason}"
    if result.status == "exists":
        return f"already banked as entry {result.index}"
    return result.reason or ""


def report_rows(job: JobRow, files: JobFiles) -> tuple[str, list[str], Iterator[list[str]]]:
    """The report as rows, for either download: the input's encoding (what the CSV report is
    written in), the header (the input's own, then status and error), and the rows.

    The header is read here, so a file that cannot be read at all raises FileFormatError before
    anything is sent; a file that fails further down gives the rows before the failure, as the
    import itself did. A workbook is read whole here (calamine): call this in a thread.
    """
    if job.file_format == "csv":
        with files.input.open("rb") as handle:
            encoding: str = detect_encoding(handle.read(encoding_head_bytes_min))
        headers: list[list[str]] = []
        # Only the cells are needed: any default outcome type satisfies the header check.
        records = read_csv(
            file_chunks(files.input), default_outcome_type="", on_header=headers.append
        )
        header, records = _header_read(records, headers)
    elif job.file_format == "sheet":
        encoding = "utf-8-sig"  # Excel needs the BOM to read UTF-8
        headers = []
        records = read_sheet(
            open_sheet(files.input), default_outcome_type="", on_header=headers.append
        )
        header, records = _header_read(records, headers)
    else:
        encoding = "utf-8-sig"
        header = list(_RECORD_FIELDS)
        reader = read_ndjson if job.file_format == "ndjson" else read_json_array
        records = reader(file_chunks(files.input))
    chinese = any(not cell.isascii() for cell in header)
    extra = ["状态", "错误说明"] if chinese else ["status", "error"]
    return encoding, [*header, *extra], _report_rows(job, files, records)


def _header_read(
    records: Iterator[RawRecord], headers: list[list[str]]
) -> tuple[list[str], Iterator[RawRecord]]:
    """The header (the reader gives it on reaching the first row), and the records unread."""
    first = next(records, None)
    return headers[0], itertools.chain([] if first is None else [first], records)


def _report_rows(job: JobRow, files: JobFiles, records: Iterator[RawRecord]) -> Iterator[list[str]]:
    outcomes = files.read_results()
    pending = next(outcomes, None)
    with contextlib.suppress(FileFormatError):  # the rows before it are all the import reached
        for record in records:
            while pending is not None and pending.number < record.number:
                pending = next(outcomes, None)
            if pending is None:
                break  # the import stopped before this row: nothing more to say
            cells = record.text if record.text is not None else _json_cells(record)
            yield [*cells, _visible(job, pending).status, _explanation(pending)]


def report_csv(job: JobRow, files: JobFiles) -> Iterator[bytes]:
    """The report as CSV in the input's encoding (UTF-8 with a BOM for JSON and workbooks), as
    encoded bytes chunks; see ``report_rows``."""
    encoding, header, rows = report_rows(job, files)
    return _csv_chunks(encoding, header, rows)


def _csv_chunks(encoding: str, header: list[str], rows: Iterator[list[str]]) -> Iterator[bytes]:
    encoder = codecs.getincrementalencoder(encoding)(errors="replace")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() > _REPORT_FLUSH_CHARS:
            yield encoder.encode(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
    yield encoder.encode(buffer.getvalue(), final=True)


def _json_cells(record: RawRecord) -> list[str]:
    return [
        "" if record.fields.get(name) is None else str(record.fields[name])
        for name in _RECORD_FIELDS
    ]
