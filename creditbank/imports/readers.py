"""Streaming readers for CSV and NDJSON import files: bytes chunks in, RawRecords out.

Memory is bounded by the caller's chunk size plus one record: a record past its limit raises
FileFormatError("line_too_long") as soon as the limit is passed, without reading further.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import re
from collections.abc import Callable, Iterable, Iterator

from creditbank.errors import FileFormatError
from creditbank.imports.encoding import detect_encoding, encoding_head_bytes_min
from creditbank.imports.headers import HeaderMap, cell_values, map_header
from creditbank.imports.records import RawRecord, decode_object

__all__ = ["csv_record_chars_max", "ndjson_line_bytes_max", "read_csv", "read_ndjson"]

# Counted in decoded characters, because the csv module sees text; a CJK character is 2 bytes in
# GB18030 and 3 in UTF-8, so the byte equivalent depends on the encoding.
csv_record_chars_max = 64 * 1024
ndjson_line_bytes_max = 64 * 1024

# csv refuses a field over its own limit (128 Ki characters by default); ours must stop us first.
assert csv_record_chars_max < csv.field_size_limit()

_NEWLINE = re.compile(r"\r\n|\r|\n")


def read_csv(
    chunks: Iterable[bytes],
    *,
    default_outcome_type: str | None = None,
    on_header: Callable[[list[str]], None] | None = None,
) -> Iterator[RawRecord]:
    """Yield one RawRecord per non-blank data row of a CSV file.

    The encoding is detected from the head, the delimiter (comma or tab) from the header line.
    Quoted fields may hold delimiters, doubled quotes and newlines. ``on_header`` is given the
    header's cells (without a BOM) before the first row is read.
    """
    budget = _RecordBudget()
    lines = _budgeted_lines(_decoded(chunks), budget)
    first = next(lines, None)
    if first is None:
        raise FileFormatError("empty", "the file has no header row")
    # Only the header decides: data cells are free text and may hold either character.
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
    names = next(reader, [])
    if not any(name.strip() for name in names):
        raise FileFormatError("empty", "the first line is blank; it must be the header row")
    header = map_header(names, default_outcome_type=default_outcome_type)
    if on_header is not None:
        on_header([name.replace("\ufeff", "") for name in names])
    budget.start_next_record()
    for cells in reader:
        # csv pulls lines only until a record ends, so what it has consumed so far is this record.
        number = budget.row
        budget.start_next_record()
        if any(cell.strip() for cell in cells):
            yield _row_record(number, cells, header)


def _row_record(number: int, cells: list[str], header: HeaderMap) -> RawRecord:
    """The record for one data row; a cell count unlike the header's is the row's error."""
    fields: dict[str, object] = dict(header.defaults)
    error: tuple[str, str] | None = None
    extra = cells[len(header.fields) :]
    # Trailing empty cells are what some spreadsheets write past the data; only text there counts.
    if len(cells) < len(header.fields) or any(cell.strip() for cell in extra):
        error = ("row", f"expected {len(header.fields)} cells, found {len(cells)}")
    for field, text in zip(header.fields, cells, strict=False):
        if field is None:
            if text.strip() and error is None:
                error = ("row", "a value in a column with no header")
            continue
        value = cell_values(field, text)
        # An empty cell keeps what the header implied (a default outcome_type, learner_id_type).
        if value is None or (not value and field in header.defaults):
            continue
        fields[field] = value
    return RawRecord(number=number, fields=fields, text=cells, error=error)


class _RecordBudget:
    """Characters read into the current CSV record, and which row that record is (0 = header)."""

    def __init__(self) -> None:
        self.row = 0
        self.chars = 0

    def start_next_record(self) -> None:
        self.row += 1
        self.chars = 0

    def spend(self, chars: int) -> None:
        self.chars += chars
        if self.chars > csv_record_chars_max:
            raise _too_long(self.row)


def _too_long(row: int) -> FileFormatError:
    where = "the header row" if row == 0 else f"data row {row}"
    return FileFormatError("line_too_long", f"{where} is longer than {csv_record_chars_max} chars")


def _budgeted_lines(pieces: Iterator[str], budget: _RecordBudget) -> Iterator[str]:
    """Lines from decoded text, each charged to the record csv is reading when it takes it."""
    splitter = _LineSplitter()
    for piece in pieces:
        for line in splitter.feed(piece):
            budget.spend(len(line))
            yield line
        # A line still without its end can only belong to the current record or a later one, so
        # it alone past the limit is already too long; this is what stops a 2 GB line early.
        if splitter.pending_chars + budget.chars > csv_record_chars_max:
            raise _too_long(budget.row)
    rest = splitter.finish()
    if rest:
        budget.spend(len(rest))
        yield rest


class _LineSplitter:
    """Cuts text fed in pieces into lines ending in \\r\\n, \\r or \\n, endings kept.

    That is what csv expects from a file opened with newline="": it needs the endings to tell a
    newline inside a quoted field from the end of a record.
    """

    def __init__(self) -> None:
        self._pending: list[str] = []
        self.pending_chars = 0
        self._ends_in_cr = False  # the last piece ended in \r, which a \n may still join

    def feed(self, text: str) -> list[str]:
        lines: list[str] = []
        if not text:
            return lines
        start = 0
        if self._ends_in_cr:
            self._ends_in_cr = False
            if text.startswith("\n"):
                self._pending.append("\n")
                start = 1
            lines.append(self._take())
        for match in _NEWLINE.finditer(text, start):
            if match.group() == "\r" and match.end() == len(text):
                self._ends_in_cr = True
                break
            self._pending.append(text[start : match.end()])
            lines.append(self._take())
            start = match.end()
        if start < len(text):
            self._pending.append(text[start:])
            self.pending_chars += len(text) - start
        return lines

    def finish(self) -> str:
        return self._take()

    def _take(self) -> str:
        line = "".join(self._pending)
        self._pending = []
        self.pending_chars = 0
        return line


def _decoded(chunks: Iterable[bytes]) -> Iterator[str]:
    """Text from CSV bytes: the encoding detected from the head, then decoded incrementally."""
    iterator = iter(chunks)
    head_parts: list[bytes] = []
    head_bytes = 0
    for chunk in iterator:
        head_parts.append(chunk)
        head_bytes += len(chunk)
        if head_bytes >= encoding_head_bytes_min:
            break
    head = b"".join(head_parts)
    if not head:
        raise FileFormatError("empty", "the file is empty")
    encoding = detect_encoding(head)
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        yield decoder.decode(head)
        for chunk in iterator:
            # The head was checked for NUL; a binary tail pasted onto text must not slip past.
            if b"\x00" in chunk:
                raise FileFormatError("not_text", "the file contains NUL bytes")
            yield decoder.decode(chunk)
        yield decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise FileFormatError("wrong_encoding", f"bytes that are not {encoding}") from error


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
