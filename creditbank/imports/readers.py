"""Streaming readers for CSV and NDJSON import files: bytes chunks in, RawRecords out.

Memory is bounded by the caller's chunk size plus one record: a record past its limit raises
FileFormatError("line_too_long") as soon as the limit is passed, without reading further.
"""

from __future__ import annotations

import codecs
import csv
import itertools
from collections.abc import Callable, Iterable, Iterator

from creditbank.errors import FileFormatError
from creditbank.imports.csv_rows import CsvCells, RowMapper
from creditbank.imports.encoding import detect_encoding, encoding_head_bytes_min
from creditbank.imports.headers import map_header
from creditbank.imports.records import RawRecord, decode_object

__all__ = [
    "csv_record_bytes_max",
    "ndjson_line_bytes_max",
    "read_csv",
    "read_csv_cells",
    "read_ndjson",
]

# Counted in bytes of the file as sent, like the NDJSON limit: lines are cut from the bytes before
# decoding, which is exact because \r and \n never occur inside a multi-byte character of UTF-8
# or GB18030 (their continuation bytes are 0x80-0xBF, and 0x30-0x39, 0x40-0x7E, 0x80-0xFE).
csv_record_bytes_max = 64 * 1024
ndjson_line_bytes_max = 64 * 1024

# csv refuses a field over its own limit (128 Ki characters by default); ours must stop us first.
assert csv_record_bytes_max < csv.field_size_limit()


def read_csv(
    chunks: Iterable[bytes],
    *,
    default_outcome_type: str | None = None,
    on_header: Callable[[list[str]], None] | None = None,
) -> Iterator[RawRecord]:
    """Yield one RawRecord per non-blank data row of a CSV file (see ``read_csv_cells``)."""
    rows = read_csv_cells(chunks, default_outcome_type=default_outcome_type, on_header=on_header)
    return (row.record() for row in rows)


def read_csv_cells(
    chunks: Iterable[bytes],
    *,
    default_outcome_type: str | None = None,
    on_header: Callable[[list[str]], None] | None = None,
) -> Iterator[CsvCells]:
    """Yield the cells of each non-blank data row of a CSV file, mapped to records on demand.

    The encoding is detected from the head, the delimiter (comma or tab) from the header line.
    Quoted fields may hold delimiters, doubled quotes and newlines. ``on_header`` is given the
    header's cells (without a BOM) before the first row is read.
    """
    budget = _RecordBudget()
    lines = _charged(_decoded_lines(_csv_byte_lines(chunks)), budget)
    first = next(lines, None)
    if first is None:
        raise FileFormatError("empty", "the file has no header row")
    # Only the header decides: data cells are free text and may hold either character.
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
    names = next(reader, [])
    if not any(name.strip() for name in names):
        raise FileFormatError("empty", "the first line is blank; it must be the header row")
    rows = RowMapper(map_header(names, default_outcome_type=default_outcome_type))
    if on_header is not None:
        on_header([name.replace("\ufeff", "") for name in names])
    budget.start_next_record()
    seen_record = False
    for cells in reader:
        # csv pulls lines only until a record ends, so what it has consumed so far is this record.
        number = budget.row
        budget.start_next_record()
        if any(cell.strip() for cell in cells):
            seen_record = True
            yield CsvCells(number, cells, rows)
    if not seen_record:
        # A template sent back unfilled: say so, as for an empty NDJSON file, rather than
        # finish with nothing to commit and no word of why.
        raise FileFormatError("empty", "the file has a header row but no data rows")


class _RecordBudget:
    """Bytes read into the current CSV record, and which row that record is (0 = header)."""

    def __init__(self) -> None:
        self.row = 0
        self.bytes = 0

    def start_next_record(self) -> None:
        self.row += 1
        self.bytes = 0


def _too_long(row: int) -> FileFormatError:
    where = "the header row" if row == 0 else f"data row {row}"
    return FileFormatError("line_too_long", f"{where} is longer than {csv_record_bytes_max} bytes")


def _csv_byte_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines of the file's bytes, endings kept (csv needs them to tell a newline inside a quoted
    field from the end of a record).

    ``bytes.splitlines`` cuts only at \r\n, \r and \n, which is what csv expects of a file
    opened with newline=""; a piece's unfinished last line (or a final \r, which a \n at the
    start of the next piece may join) waits for the next piece. An unfinished line already past
    the limit is given as it is and reading stops: whichever record it belongs to is too long,
    and ``_charged`` says which when csv takes it. This is what stops a 2 GB line early.
    """
    pending = b""
    for chunk in chunks:
        if b"\x00" in chunk:  # a binary tail pasted onto text must not slip past the head's check
            raise FileFormatError("not_text", "the file contains NUL bytes; save it as CSV text")
        lines = (pending + chunk).splitlines(keepends=True)
        pending = lines.pop() if lines and lines[-1][-1:] != b"\n" else b""
        yield from lines
        if len(pending) > csv_record_bytes_max:
            break
    if pending:
        yield pending


def _decoded_lines(lines: Iterator[bytes]) -> Iterator[tuple[str, int]]:
    """Each line as text with its length in bytes: the encoding is detected from the file's
    head, then every line is decoded (a line never splits a character, see above)."""
    head: list[bytes] = []
    head_bytes = 0
    for line in lines:
        head.append(line)
        head_bytes += len(line)
        if head_bytes >= encoding_head_bytes_min:
            break
    if not head:
        raise FileFormatError("empty", "the file is empty")
    encoding = detect_encoding(b"".join(head))
    decode = codecs.getincrementaldecoder(encoding)(errors="strict").decode
    try:
        for line in itertools.chain(head, lines):
            yield decode(line), len(line)
        if rest := decode(b"", True):  # a character cut off by the end of the file
            yield rest, 0
    except UnicodeDecodeError as error:
        raise FileFormatError("wrong_encoding", f"bytes that are not {encoding}") from error


def _charged(lines: Iterator[tuple[str, int]], budget: _RecordBudget) -> Iterator[str]:
    """Lines for csv, each charged to the record csv is reading when it takes it."""
    for text, size in lines:
        budget.bytes += size
        if budget.bytes > csv_record_bytes_max:
            raise _too_long(budget.row)
        yield text


def read_ndjson(chunks: Iterable[bytes]) -> Iterator[RawRecord]:
    """Yield one RawRecord per non-blank line; a line that is not a JSON object is its error."""
    seen_record = False
    for number, line in enumerate(_byte_lines(chunks), start=1):
        if number == 1 and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8) :]
        if not line.strip():
            continue
        seen_record = True
        yield decode_object(number, line, "line")
    if not seen_record:
        raise FileFormatError("empty", "the file has no records")


def _byte_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines split at \\n (a \\r before it is JSON whitespace), each at most the line limit."""
    pending: list[bytes] = []
    pending_bytes = 0
    number = 1
    for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) != -1:
            pending_bytes += end - start
            if pending_bytes > ndjson_line_bytes_max:
                raise _line_too_long(number)
            pending.append(chunk[start:end])
            yield b"".join(pending)
            pending, pending_bytes, number, start = [], 0, number + 1, end + 1
        pending.append(chunk[start:])
        pending_bytes += len(chunk) - start
        if pending_bytes > ndjson_line_bytes_max:
            raise _line_too_long(number)
    if pending_bytes:
        yield b"".join(pending)


def _line_too_long(number: int) -> FileFormatError:
    return FileFormatError(
        "line_too_long", f"line {number} is longer than {ndjson_line_bytes_max} bytes"
    )
