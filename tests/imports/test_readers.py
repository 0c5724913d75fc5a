"""Streaming readers: CSV, NDJSON and JSON arrays over arbitrary chunks."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Callable, Iterable, Iterator

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.errors import FileFormatError
from creditbank.imports import (
    RawRecord,
    csv_record_bytes_max,
    csv_rows,
    json_item_bytes_max,
    ndjson_line_bytes_max,
    read_csv,
    read_json_array,
    read_ndjson,
)
from creditbank.imports.readers import _csv_byte_lines

Reader = Callable[[Iterable[bytes]], Iterator[RawRecord]]

HEADER = ["记录编号", "工号", "姓名", "课程代码", "课程名称", "学时(小时)", "是否合格", "完成日期"]
ROWS = [
    ["R1", "E001", "张三", "C01", "书法, 楷书", "12.5", "合格", "2026/3/14"],
    ["R2", "E002", '李"四"', "C02", "多行\n课程", "3", "不合格", "2026年3月1日"],
    ["R3", "E003", "王五", "C03", "摄影\r\n基础", "4.0", "完成", "2026.1.2"],
]
MEBIBYTE = 1024 * 1024


def csv_text(delimiter: str) -> str:
    """The sample file, quoting cells the way Excel does."""

    def cell(text: str) -> str:
        if any(special in text for special in (delimiter, '"', "\n", "\r")):
            return '"' + text.replace('"', '""') + '"'
        return text

    return "".join(delimiter.join(cell(c) for c in row) + "\r\n" for row in [HEADER, *ROWS])


def chunked(data: bytes, sizes: Iterable[int]) -> Iterator[bytes]:
    """data cut into pieces of the given sizes (cycled), the last piece whatever remains."""
    position = 0
    for size in itertools.cycle(sizes):
        if position >= len(data):
            return
        yield data[position : position + size]
        position += size


def forever(piece: bytes, prefix: bytes = b"") -> Iterator[bytes]:
    """prefix, then piece endlessly: a file that never ends, like a 2 GB single line."""
    yield prefix
    while True:
        yield piece


def reason(reader: Reader, chunks: Iterable[bytes]) -> str:
    """The reason_code a reader raises for chunks."""
    with pytest.raises(FileFormatError) as caught:
        list(reader(chunks))
    return caught.value.reason_code


def csv_reader(chunks: Iterable[bytes]) -> Iterator[RawRecord]:
    """read_csv with the outcome type defaulted, as the sample has no type column."""
    return read_csv(chunks, default_outcome_type="training")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_csv_encodings_and_delimiters(encoding: str, delimiter: str) -> None:
    """Every encoding and delimiter reads the same records, quoted newlines and quotes intact."""
    records = list(csv_reader([csv_text(delimiter).encode(encoding)]))
    assert [record.number for record in records] == [1, 2, 3]
    assert [record.text for record in records] == ROWS
    first, second, third = (record.fields for record in records)
    assert first == {
        "outcome_type": "training",
        "learner_id_type": "employee_no",
        "record_id": "R1",
        "learner_id": "E001",
        "learner_name": "张三",
        "course_code": "C01",
        "course_title": "书法, 楷书",
        "hours": "12.5",
        "result": "passed",
        "completed_on": "2026-03-14",
    }
    assert second["learner_name"] == '李"四"'
    assert second["course_title"] == "多行\n课程"
    assert (second["result"], second["completed_on"]) == ("failed", "2026-03-01")
    assert (third["course_title"], third["result"]) == ("摄影\r\n基础", "completed")
    assert all(record.error is None for record in records)


@settings(max_examples=60, deadline=None)
@given(
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    sizes=st.lists(st.integers(1, 40), min_size=1, max_size=8),
)
def test_csv_any_chunking(encoding: str, sizes: list[int]) -> None:
    """Splitting a CSV file anywhere, down to 1-byte chunks, yields identical records."""
    data = csv_text(",").encode(encoding)
    assert list(csv_reader(chunked(data, sizes))) == list(csv_reader([data]))


# Cell texts with every line break csv keeps inside a quoted field, including those
# str.splitlines would also break at (the splitter's slow path).
_CELL_TEXT = st.text(
    alphabet=st.sampled_from(["a", "学", ",", '"', "\r", "\n", "\u2028", "\x85", "\x0c"])
)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.lists(_CELL_TEXT, min_size=8, max_size=8), min_size=1, max_size=6),
    ending=st.sampled_from(["\n", "\r\n", "\r"]),
    sizes=st.lists(st.integers(1, 30), min_size=1, max_size=6),
)
def test_csv_line_breaks_and_chunking_agree_with_csv_module(
    rows: list[list[str]], ending: str, sizes: list[int]
) -> None:
    """Any line ending, any break in a cell, any chunking: the rows and row numbers csv reads.

    Cells are quoted only when csv needs it, so the breaks csv does not know (U+2028, NEL, form
    feed) also appear unquoted, where a reader splitting lines at them would end the record.
    """

    def cell(text: str) -> str:
        if any(special in text for special in (",", '"', "\r", "\n")):
            return '"' + text.replace('"', '""') + '"'
        return text

    text = "".join(",".join(map(cell, row)) + ending for row in [HEADER, *rows])
    expected = [
        (number, cells)
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")))
        if number > 0 and any(cell.strip() for cell in cells)
    ]
    if not expected:  # only blank rows: the file has nothing to import, and says so
        assert reason(csv_reader, chunked(text.encode(), sizes)) == "empty"
        return
    records = list(csv_reader(chunked(text.encode(), sizes)))
    assert [(record.number, record.text) for record in records] == expected


def _lines_naive(text: str) -> list[str]:
    """text cut after each \\r\\n, lone \\r and lone \\n, one character at a time."""
    lines, current = [], ""
    for position, character in enumerate(text):
        current += character
        if character == "\n" or (character == "\r" and text[position + 1 : position + 2] != "\n"):
            lines.append(current)
            current = ""
    return [*lines, current] if current else lines


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(["a", "学", "\r", "\n", "\u2028", "\x85", "\x0b"])),
    encoding=st.sampled_from(["utf-8", "gb18030"]),
    sizes=st.lists(st.integers(1, 12), min_size=1, max_size=6),
)
def test_byte_line_splitter_agrees_with_a_naive_split(
    text: str, encoding: str, sizes: list[int]
) -> None:
    """Fed the encoded text in any pieces (a \\r\\n or a character may be cut in two), the byte
    splitter gives csv the lines of a naive split at \\r\\n, \\r and \\n only."""
    data = text.encode(encoding)
    pieces = [data[start : start + size] for start, size in _cuts(len(data), sizes)]
    lines = list(_csv_byte_lines(pieces))
    assert [line.decode(encoding) for line in lines] == _lines_naive(text)


def _cuts(length: int, sizes: list[int]) -> Iterator[tuple[int, int]]:
    position = 0
    for size in itertools.cycle(sizes):
        if position >= length:
            return
        yield position, size
        position += size


def test_csv_cell_memo_forgets_without_changing_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """A column memo that fills up is cleared and refilled; the values read stay the same."""
    header, rows = csv_text(",").split("\r\n", 1)
    data = (header + "\r\n" + rows * 5).encode()  # the same three rows again and again
    expected = [record.fields for record in csv_reader([data])]
    monkeypatch.setattr(csv_rows, "cell_memo_entries", 2)
    assert [record.fields for record in csv_reader([data])] == expected
    assert len(expected) == 15


def test_csv_cell_count_mismatch_is_a_row_error() -> None:
    """Rows with too few or extra cells are yielded with a row error; trailing blanks are fine."""
    data = "record_id,learner_id,course_code,course_title,outcome_type,hours,result,completed_on\n"
    data += "R1,L1,C1,T,training,1,passed\n"
    data += "R2,L2,C2,T,training,1,passed,2026-01-01,extra\n"
    data += "R3,L3,C3,T,training,1,passed,2026-01-01,,\n"
    data += ",,,,,,,\n"
    data += "\n"
    data += "R6,L6,C6,T,,1,passed,2026-01-01\n"
    records = list(read_csv([data.encode()], default_outcome_type="course"))
    assert [record.number for record in records] == [1, 2, 3, 6]
    assert records[0].error == ("row", "expected 8 cells, found 7")
    assert records[1].error == ("row", "expected 8 cells, found 9")
    assert records[2].error is None
    assert records[3].fields["outcome_type"] == "course"


def test_csv_header_only_and_empty() -> None:
    """A header-only CSV (a template sent back unfilled), an empty one and a blank-headed one
    all fail as empty, instead of a header-only file quietly finishing with nothing to commit."""
    assert reason(csv_reader, [csv_text(",").split("\r\n")[0].encode()]) == "empty"
    assert reason(csv_reader, [csv_text(",").split("\r\n")[0].encode() + b"\r\n,,,\r\n"]) == (
        "empty"
    )
    assert reason(csv_reader, []) == "empty"
    assert reason(csv_reader, [b""]) == "empty"
    assert reason(csv_reader, [codecs.BOM_UTF8]) == "empty"
    assert reason(csv_reader, [b"\n" + csv_text(",").encode()]) == "empty"


def test_csv_header_problems_raise() -> None:
    """A CSV whose header has an unknown column raises unknown_column."""
    assert reason(csv_reader, ["备注,".encode() + csv_text(",").encode()]) == "unknown_column"


def test_csv_binary_and_bad_encoding() -> None:
    """Binary input is not_text; undecodable bytes after the head are wrong_encoding."""
    assert reason(csv_reader, [b"PK\x03\x04\x00\x00binary"]) == "not_text"
    head = csv_text(",").encode() + b"R,L,C,T,1,passed,2026-01-01\n" * 3000
    assert reason(csv_reader, [head, "张".encode("gb18030") + b"\n"]) == "wrong_encoding"
    assert reason(csv_reader, [head, b"a\x00b\n"]) == "not_text"


@pytest.mark.parametrize("newline", ["", "\n"])
def test_csv_endless_line_stops_at_the_limit(newline: str) -> None:
    """A never-ending CSV row (unquoted, or quoted with newlines) fails after about the limit."""
    header = ",".join(HEADER).encode() + b"\n" + b'R1,"'
    consumed: list[int] = []

    def counted() -> Iterator[bytes]:
        for chunk in forever(f"x{newline}".encode() * (MEBIBYTE // 2), header):
            consumed.append(len(chunk))
            yield chunk

    with pytest.raises(FileFormatError) as caught:
        list(csv_reader(counted()))
    assert caught.value.reason_code == "line_too_long"
    assert "data row 1" in caught.value.message
    # The encoding head, then at most the chunk that passed the limit.
    assert sum(consumed) <= len(header) + 2 * MEBIBYTE


def test_csv_endless_header_stops() -> None:
    """A never-ending header line fails as line_too_long naming the header."""
    with pytest.raises(FileFormatError) as caught:
        list(csv_reader(forever(b"a" * MEBIBYTE)))
    assert caught.value.reason_code == "line_too_long"
    assert "header" in caught.value.message


@pytest.mark.parametrize(("encoding", "character_bytes"), [("utf-8", 3), ("gb18030", 2)])
def test_csv_record_limit_counts_bytes_of_the_file(encoding: str, character_bytes: int) -> None:
    """A row of Chinese text is measured in the bytes the file spends on it: exactly the limit
    is read, one byte more is line_too_long, though far fewer characters than the limit."""
    header = "record_id,learner_id,course_code,course_title,hours,result,completed_on\r\n"
    row = "R1,L1,C1,{title},1,passed,2026-01-01\r\n"
    room = csv_record_bytes_max - len(row.format(title="").encode(encoding))
    # 张 in GB18030 (D5 C5) is not UTF-8, so the file is read as GB18030 (学, D1 A7, would be).
    title = "张" * (room // character_bytes) + "t" * (room % character_bytes)
    exact = (header + row.format(title=title)).encode(encoding)
    assert len(row.format(title=title).encode(encoding)) == csv_record_bytes_max
    assert len(row.format(title=title)) < csv_record_bytes_max // 2 + 100  # chars: far under
    records = list(csv_reader(chunked(exact, [1000])))
    assert records[0].fields["course_title"] == title
    over = (header + row.format(title=title + "t")).encode(encoding)
    assert reason(csv_reader, chunked(over, [1000])) == "line_too_long"


def test_a_record_over_several_lines_is_charged_all_of_them() -> None:
    """A quoted cell with line breaks (Excel's Alt+Enter) makes one record of several lines:
    the limit is on their bytes together, and the error names the data row, not a line."""
    header = "record_id,learner_id,course_code,course_title,hours,result,completed_on\r\n"
    line = "学" * 1000 + "\r\n"  # 3,002 bytes of UTF-8
    lines = csv_record_bytes_max // len(line.encode()) + 1
    good = "R1,L1,C1,short,1,passed,2026-01-01\r\n"
    data = (header + good + 'R2,L2,C2,"' + line * lines + '",1,passed,2026-01-01\r\n').encode()
    with pytest.raises(FileFormatError) as caught:
        list(csv_reader(chunked(data, [4096])))
    assert caught.value.reason_code == "line_too_long"
    assert "data row 2" in caught.value.message
    fits = (header + 'R2,L2,C2,"' + line * (lines - 2) + '",1,passed,2026-01-01\r\n').encode()
    assert len(list(csv_reader([fits]))) == 1


_csv_text = st.text(
    alphabet=st.sampled_from(["a", "学", "𠀀", "Ж", "λ", " ", ",", '"', "\r", "\n", "\u2028"]),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(
    cells=st.lists(st.lists(_csv_text, min_size=7, max_size=7), min_size=1, max_size=6),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    ending=st.sampled_from(["\r\n", "\n", "\r"]),
    sizes=st.lists(st.integers(1, 50), min_size=1, max_size=5),
)
def test_cutting_bytes_into_lines_changes_no_cell(
    cells: list[list[str]], encoding: str, ending: str, sizes: list[int]
) -> None:
    """Any CSV text (CJK, astral, Cyrillic and Greek, quotes, delimiters, line breaks inside
    quoted cells), in any accepted encoding and cut into any pieces, reads as the csv module
    reads the whole decoded text: splitting bytes before decoding changes nothing."""
    header = "record_id,learner_id,course_code,course_title,hours,result,completed_on"
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator=ending).writerows([header.split(","), *cells])
    text = buffer.getvalue()
    data = text.encode(encoding)
    pieces = [data[start : start + size] for start, size in _cuts(len(data), sizes)]
    rows = csv.reader(io.StringIO(text, newline=""))
    expected = [row for row in rows if any(cell.strip() for cell in row)][1:]
    if not expected:  # every data row blank: the file is refused as empty
        assert reason(csv_reader, pieces) == "empty"
        return
    assert [record.text for record in csv_reader(pieces)] == expected


def ndjson_lines() -> bytes:
    """An NDJSON file with CRLF endings, blank lines and one malformed line."""
    return (
        codecs.BOM_UTF8
        + b'{"record_id": "R1", "course_title": "a ] } \\" {"}\r\n'
        + b"\n   \n"
        + b'{"record_id": "R2"\n'
        + b"[1, 2]\n"
        + '{"learner_name": "张三"}'.encode()
    )


def test_ndjson_blank_and_malformed_lines() -> None:
    """Blank lines are skipped, numbers are file lines, bad lines are record errors."""
    records = list(read_ndjson([ndjson_lines()]))
    assert [record.number for record in records] == [1, 4, 5, 6]
    assert records[0].fields == {"record_id": "R1", "course_title": 'a ] } " {'}
    assert records[1].error is not None
    assert records[1].error[0] == "line"
    assert records[2].error is not None
    assert "object" in records[2].error[1]
    assert records[3].fields == {"learner_name": "张三"}
    assert records[3].text is None


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(1, 20), min_size=1, max_size=8))
def test_ndjson_any_chunking(sizes: list[int]) -> None:
    """Splitting NDJSON anywhere yields identical records."""
    data = ndjson_lines()
    assert list(read_ndjson(chunked(data, sizes))) == list(read_ndjson([data]))


def test_ndjson_endless_line_and_empty() -> None:
    """An endless NDJSON line is line_too_long; a blank file is empty."""
    assert reason(read_ndjson, forever(b" " * MEBIBYTE, b'{"a": 1}\n{"b": ')) == "line_too_long"
    assert reason(read_ndjson, [b"x" * (ndjson_line_bytes_max + 1), b"\n"]) == "line_too_long"
    assert reason(read_ndjson, [b"\n \n"]) == "empty"


ITEMS: list[object] = [
    {"record_id": "R1", "course_title": 'brackets ] } [ { , and "quotes" \\ slash'},
    {"record_id": "R2", "nested": [{"a": [1, 2, {"b": "]"}]}, []], "hours": 1.5},
    {"learner_name": "张三", "empty": {}},
    [1, 2],
    "not an object",
]


def json_array_bytes() -> bytes:
    """The sample array, with a BOM and whitespace around and between items."""
    body = b",\n  ".join(msgspec.json.encode(item) for item in ITEMS)
    return codecs.BOM_UTF8 + b" \n[\n  " + body + b"\n]\n"


def test_json_array_items() -> None:
    """Objects become records; other items are record errors; strings may hold structure."""
    records = list(read_json_array([json_array_bytes()]))
    assert [record.number for record in records] == [1, 2, 3, 4, 5]
    assert [record.fields for record in records[:3]] == ITEMS[:3]
    assert all(record.error is not None and record.error[0] == "item" for record in records[3:])


@settings(max_examples=80, deadline=None)
@given(sizes=st.lists(st.integers(1, 30), min_size=1, max_size=8))
def test_json_array_any_chunking(sizes: list[int]) -> None:
    """Splitting a JSON array anywhere, inside escapes and the BOM too, yields identical records."""
    data = json_array_bytes()
    assert list(read_json_array(chunked(data, sizes))) == list(read_json_array([data]))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b'{"a": 1}', "malformed_json"),
        (b'[{"a": 1}, {"b": "]', "malformed_json"),
        (b'[{"a": 1}', "malformed_json"),
        (b'[{"a": 1},]', "malformed_json"),
        (b'[{"a": 1}] x', "malformed_json"),
        (b'[{"a": 1}}', "malformed_json"),
    ],
)
def test_json_array_file_errors(data: bytes, expected: str) -> None:
    """Not an array, truncated, a missing item or trailing text fail the whole file."""
    assert reason(read_json_array, [data]) == expected


def test_json_array_empty_array() -> None:
    """An empty array is an empty file: nothing to import is said, not committed as nothing."""
    assert reason(read_json_array, [b" [ ] "]) == "empty"


@pytest.mark.parametrize("piece", [b"x", b"[", b'"a",', b"\\\\"])
def test_json_array_endless_item_stops(piece: bytes) -> None:
    """An endless item, in a string or nested, is line_too_long after about the limit."""
    prefix = b'[{"a": 1}, {"b": "' if piece in (b"x", b"\\\\") else b'[{"a": 1}, ['
    assert reason(read_json_array, forever(piece * MEBIBYTE, prefix)) == "line_too_long"
    assert reason(read_json_array, [b"[" + b" " * (json_item_bytes_max + 1)]) == "line_too_long"


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.sampled_from([csv_text(","), csv_text("\t")])
        .map(str.encode)
        .flatmap(
            lambda good: st.integers(0, len(good)).map(lambda cut: good[:cut] + b'\xff\x00\r"')
        ),
    ),
    size=st.integers(1, 50),
    reader=st.sampled_from([csv_reader, read_ndjson, read_json_array]),
)
def test_arbitrary_bytes_raise_only_file_format_error(
    data: bytes, size: int, reader: Reader
) -> None:
    """Any bytes give records (perhaps with errors) or FileFormatError, never another exception."""
    try:
        records = list(reader(chunked(data, [size])))
    except FileFormatError:
        return
    assert all(isinstance(record, RawRecord) for record in records)
