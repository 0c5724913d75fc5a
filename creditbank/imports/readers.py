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
from creditbank.imports.csv_rows import CsvCells, RowMapper
from creditbank.imports.encoding import detect_encoding, encoding_head_bytes_min
from creditbank.imports.headers import map_header
from creditbank.imports.records import RawRecord, decode_object

__all__ = [
    "csv_record_chars_max",
    "ndjson_line_bytes_max",
    "read_csv",
    "read_csv_cells",
    "read_ndjson",
]

# Counted in decoded characters, because the csv module sees text; a CJK character is 2 bytes in
# GB18030 and 3 in UTF-8, so the byte equivalent depends on the encoding.
csv_record_chars_max = 64 * 1024
ndjson_line_bytes_max = 64 * 1024

# csv refuses a field over its own limit (128 Ki characters by default); ours must stop us first.
assert csv_record_chars_max < csv.field_size_limit()

# A line and its ending, if it has one: \r\n, \r or \n.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


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
    """Characters read into the current CSV record, and which row that record is (0 = header)."""

    def __init__(self) -> None:
        self.row = 0
        self.chars = 0

    def start_next_record(self) -> None:
        self.row += 1
        self.chars = 0


def _too_long(row: int) -> FileFormatError:
    where = "the header row" if row == 0 else f"data row {row}"
    return FileFormatError("line_too_long", f"{where} is longer than {csv_record_chars_max} chars")


def _budgeted_lines(pieces: Iterator[str], budget: _RecordBudget) -> Iterator[str]:
    """Lines from decoded text, each charged to the record csv is reading when it takes it."""
    splitter = _LineSplitter()
    for piece in pieces:
        for line in splitter.feed(piece):
            budget.chars += len(line)
            if budget.chars > csv_record_chars_max:
                raise _too_long(budget.row)
            yield line
        # A line still without its end can only belong to the current record or a later one, so
        # it alone past the limit is already too long; this is what stops a 2 GB line early.
        if splitter.pending_chars + budget.chars > csv_record_chars_max:
            raise _too_long(budget.row)
    rest = splitter.finish()
    if rest:
        budget.chars += len(rest)
        if budget.chars > csv_record_chars_max:
            raise _too_long(budget.row)
        yield rest


# Characters str.splitlines also breaks at, which csv keeps inside a field.
_OTHER_LINE_BREAKS = re.compile("[\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


class _LineSplitter:
    """Cuts text fed in pieces into lines ending in \\r\\n, \\r or \\n, endings kept.

    That is what csv expects from a file opened with newline="": it needs the endings to tell a
    newline inside a quoted field from the end of a record. The unfinished end of a piece (or a
    final \\r, which a \\n at the start of the next piece may join) waits for the next piece.
    """

    def __init__(self) -> None:
        self._pending = ""

    @property
    def pending_chars(self) -> int:
        return len(self._pending)

    def feed(self, text: str) -> list[str]:
        if not text:
            return []
        text = self._pending + text
        if _OTHER_LINE_BREAKS.search(text) is None:
            lines = text.splitlines(keepends=True)  # the fast path: only \r\n, \r and \n
        else:
            lines = [match.group() for match in _LINE.finditer(text)]
        # Also a last line ending in \r, since it is a \r\n if the next piece starts with \n.
        self._pending = lines.pop() if lines[-1][-1] != "\n" else ""
        return lines

    def finish(self) -> str:
        rest, self._pending = self._pending, ""
        return rest


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
