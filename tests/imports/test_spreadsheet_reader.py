"""Reading workbooks: which sheet, where the header is, what each cell becomes, and every way a
workbook fails as a whole (made in the test with xlsxwriter, or as a minimal .ods)."""

from __future__ import annotations

import datetime
import io
import time
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from creditbank import limits
from creditbank.errors import FileFormatError, FileTooLargeError, InvalidLearnerIdError
from creditbank.imports.csv_rows import CsvCells
from creditbank.imports.records import RawRecord
from creditbank.imports.sheet_cells import cell_text, number_text
from creditbank.imports.spreadsheet import (
    header_search_rows,
    open_sheet,
    read_sheet,
    read_sheet_cells,
)
from creditbank.privacy import normalise_resident_id
from tests.factories import resident_id
from tests.imports.files import CHINESE_HEADER, row
from tests.imports.sheets import TITLE, ods_bytes, xlsx_bytes


def _records(data: bytes, **options: object) -> list[RawRecord]:
    return list(read_sheet(open_sheet(data), **options))  # type: ignore[arg-type]


def _book(write: object) -> bytes:
    """A one-sheet workbook that ``write(book, sheet)`` fills."""
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    write(book, book.add_worksheet("培训记录"))  # type: ignore[operator]
    book.close()
    return output.getvalue()


# Numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (16.0, "16"),
        (1.5, "1.5"),
        (0.0, "0"),
        (-0.0, "0"),
        (100.0, "100"),
        (0.1 + 0.2, "0.3"),  # a formula's result, stored as 0.30000000000000004
        (7.499999999999999, "7.5"),  # shown (and exported to CSV) by Excel as 7.5
        (16.000000000000004, "16"),
        (1e-05, "0.00001"),  # never an exponent
        (123456789012345.0, "123456789012345"),
    ],
)
def test_numbers_read_as_excel_shows_them(value: float, text: str) -> None:
    """A number cell becomes the text Excel shows in a General cell and writes to a CSV file:
    no ".0", no binary artefacts past Excel's 15 digits, no exponent."""
    assert number_text(value) == text


# Decimals of at most 15 significant digits: every value a person can type into a cell.
_typed_numbers = st.builds(
    lambda digits, exponent: float(f"{digits}e{exponent}"),
    st.integers(-(10**15) + 1, 10**15 - 1),
    st.integers(-25, 0),
)


@given(_typed_numbers)
def test_a_typed_number_reads_back_exactly(value: float) -> None:
    """Any number a person can type into a cell formats to a plain decimal (no exponent, no
    trailing zero after a point) that parses back to exactly the float the file stores."""
    text = number_text(value)
    assert float(text) == value
    assert "e" not in text.lower()
    assert not (("." in text) and text.endswith("0"))


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_float_reads_as_its_15_digit_value(value: float) -> None:
    """Any finite float, a formula's result included, formats to a plain decimal that parses
    back to the float Excel shows: the value rounded to 15 significant digits."""
    text = number_text(value)
    assert "e" not in text.lower()
    assert float(text) == float(f"{value:.15g}")
    assert not ("." in text and text.endswith(("0", ".")))


def test_other_cells_read_as_excel_shows_them() -> None:
    """Dates are ISO dates, a date-time at midnight is its date, other times keep the time;
    booleans are TRUE/FALSE; durations read as [h]:mm:ss."""
    assert cell_text(datetime.date(2025, 3, 14)) == "2025-03-14"
    assert cell_text(datetime.datetime(2025, 3, 14)) == "2025-03-14"
    assert cell_text(datetime.datetime(2025, 3, 14, 10, 30)) == "2025-03-14 10:30:00"
    assert cell_text(True) == "TRUE"
    assert cell_text(datetime.time(8, 30)) == "08:30:00"
    assert cell_text(datetime.timedelta(days=1, hours=16)) == "40:00:00"
    assert cell_text(3) == "3"


# Which sheet, which rows ------------------------------------------------------------------------


def test_title_rows_and_a_hidden_sheet_are_skipped() -> None:
    """A hidden first sheet is not read; a merged title above the header is skipped; row numbers
    are Excel's (title in row 1, header in row 3, data from row 4); the header is given as
    the sheet has it."""
    headers: list[list[str]] = []
    data = xlsx_bytes([row(1), row(2)], title=True, hidden_sheet=True)
    records = _records(data, on_header=headers.append)
    assert [(r.number, r.fields["record_id"]) for r in records] == [
        (4, "T-0000001"),
        (5, "T-0000002"),
    ]
    assert headers == [list(CHINESE_HEADER)]
    assert open_sheet(data).name == "培训记录"


def test_a_table_placed_lower_and_to_the_right_keeps_excels_row_numbers() -> None:
    """A table whose header is in C4 (rows 1-3 and columns A-B empty) reads from its header,
    at Excel's row numbers: calamine yields the empty rows above the first used one, and this
    pins it (a calamine that stopped would shift every row number in the reports)."""

    def write(book: xlsxwriter.Workbook, sheet: xlsxwriter.worksheet.Worksheet) -> None:
        sheet.write_row(3, 2, list(CHINESE_HEADER))
        sheet.write_row(4, 2, list(row(1).values()))
        sheet.write_row(6, 2, list(row(2).values()))

    records = _records(_book(write))
    assert [(r.number, r.fields["record_id"]) for r in records] == [
        (5, "T-0000001"),
        (7, "T-0000002"),
    ]
    assert records[0].text == list(row(1).values())


def test_a_very_hidden_sheet_and_blank_rows_are_skipped() -> None:
    """A very hidden sheet (only VBA can show it) is skipped too, and rows with only empty cells
    (formatted, or blank strings) are skipped like blank CSV lines; the numbers stay Excel's."""
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    secret = book.add_worksheet("secret")
    secret.write_row(0, 0, list(CHINESE_HEADER))
    visible = book.add_worksheet("培训记录")
    visible.activate()
    secret.very_hidden()
    visible.write_row(0, 0, list(CHINESE_HEADER))
    visible.write_row(1, 0, list(row(1).values()))
    visible.write_blank(2, 0, None, book.add_format({"bold": True}))
    visible.write_string(3, 1, "  ")
    visible.write_row(5, 0, list(row(2).values()))
    book.close()
    assert [r.number for r in _records(output.getvalue())] == [2, 6]


def test_dates_numbers_and_numbers_stored_as_text() -> None:
    """Date cells read as YYYY-MM-DD (also formatted with a midnight time), number cells as
    Excel shows them, text cells exactly as typed (leading zeros kept), and a text date goes
    through the CSV path's date forms."""

    def write(book: xlsxwriter.Workbook, sheet: xlsxwriter.worksheet.Worksheet) -> None:
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        day_time = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        sheet.write_row(0, 0, ["记录编号", "工号", "姓名", "课程代码", "课程名称"])
        sheet.write_row(0, 5, ["学时", "成绩", "是否合格", "完成日期", "类型"])
        for number, (hours, completed) in enumerate(
            [(16, datetime.datetime(2026, 3, 1)), (1.5, None), (40.25, "2025年7月15日")], start=1
        ):
            sheet.write_string(number, 0, f"00{number}")
            sheet.write_string(number, 1, "000123")
            sheet.write_row(number, 2, ["李四", "SAFE-1", "安全生产"])
            sheet.write_number(number, 5, hours)
            sheet.write_number(number, 6, 88.5)
            sheet.write_string(number, 7, "合格")
            if isinstance(completed, datetime.datetime):
                sheet.write_datetime(number, 8, completed, day)
            elif completed is None:
                sheet.write_datetime(number, 8, datetime.datetime(2026, 3, 2), day_time)
            else:
                sheet.write_string(number, 8, completed)
            sheet.write_string(number, 9, "enterprise_training")

    records = _records(_book(write))
    assert [r.fields["record_id"] for r in records] == ["001", "002", "003"]
    assert {r.fields["learner_id"] for r in records} == {"000123"}
    assert records[0].fields["learner_id_type"] == "employee_no"  # 工号 implies it, as in CSV
    assert [r.fields["hours"] for r in records] == ["16", "1.5", "40.25"]
    assert {r.fields["score"] for r in records} == {"88.5"}
    assert [r.fields["completed_on"] for r in records] == ["2026-03-01", "2026-03-02", "2025-07-15"]
    assert records[0].text == ["001", "000123", "李四", "SAFE-1", "安全生产", "16", "88.5",
                               "合格", "2026-03-01", "enterprise_training"]  # fmt: skip


def test_a_resident_id_saved_as_a_number_is_refused_not_rounded() -> None:
    """An ID number typed into a number cell is stored rounded to 15 digits. Written out it is
    another 18-digit number, which the resident-ID check alone would accept about one time in
    eleven (the one here passes it: the import would record someone else's identifier). The
    reader refuses the row with a reason the officer can act on; other rows are unaffected."""
    for days in range(1000):  # the digits kept are region, birth date and one more
        real = resident_id(days, datetime.date(1990, 1, 1) + datetime.timedelta(days=days))
        if not real.isdigit():
            continue  # an X cannot be typed as a number
        rounded = number_text(float(real))
        try:
            normalise_resident_id(rounded)
        except InvalidLearnerIdError:
            continue
        break
    assert rounded != real
    assert normalise_resident_id(rounded) == rounded  # what validation alone would have kept
    rows = [row(1, learner_id=real), row(2)]
    records = _records(xlsx_bytes(rows, number_fields=("learner_id", "hours")))
    assert records[0].error is not None
    field, reason = records[0].error
    assert field == "learner_id"
    assert reason.startswith("was saved as a number (1.")
    assert "15 digits" in reason
    assert "format the column as Text" in reason
    assert records[1].error is None


def test_the_row_core_gets_cells_and_refused_rows_come_as_records() -> None:
    """Good rows come as cells for the row core (the CSV fast path); a row refused by the reader
    comes as a record with its error, so the lean path reports it."""
    data = xlsx_bytes(
        [row(1), row(2, learner_id="110105199005170011")], number_fields=("learner_id",)
    )
    found = list(read_sheet_cells(open_sheet(data)))
    assert isinstance(found[0], RawRecord)
    assert isinstance(found[1], RawRecord)
    data = xlsx_bytes([row(1), row(2)])
    assert all(isinstance(item, CsvCells) for item in read_sheet_cells(open_sheet(data)))


def test_an_ods_file_reads_like_an_xlsx() -> None:
    """An OpenDocument spreadsheet (LibreOffice, WPS) goes the same way: a hidden sheet and a
    title row skipped, number and date cells as text, row numbers as the sheet shows them."""
    fields = row(1)
    typed: list[object] = [
        float(fields[name]) if name in ("hours", "score") else fields[name] for name in fields
    ]
    typed[list(fields).index("completed_on")] = datetime.date(2026, 3, 1)
    other = [list(CHINESE_HEADER), list(row(999_999).values())]
    data = ods_bytes([[TITLE], list(CHINESE_HEADER), typed], hidden=other)
    records = _records(data)
    assert [r.number for r in records] == [3]
    assert records[0].text == list(fields.values())


# Whole-file failures ----------------------------------------------------------------------------


def test_no_header_row_is_a_typed_error() -> None:
    """A sheet without a header row in its first rows fails as no_header; a row that names
    known columns but misses some is reported as the header it meant to be, with its row."""

    def titles_only(book: xlsxwriter.Workbook, sheet: xlsxwriter.worksheet.Worksheet) -> None:
        for number in range(header_search_rows + 5):
            sheet.write_string(number, 0, f"说明 {number}")

    with pytest.raises(FileFormatError) as caught:
        _records(_book(titles_only))
    assert caught.value.reason_code == "no_header"

    def partial(book: xlsxwriter.Workbook, sheet: xlsxwriter.worksheet.Worksheet) -> None:
        sheet.write_string(0, 0, TITLE)
        sheet.write_row(1, 0, ["记录编号", "身份证号", "姓名"])

    with pytest.raises(FileFormatError) as caught:
        _records(_book(partial))
    assert caught.value.reason_code == "missing_column"
    assert "row 2" in caught.value.detail


def test_empty_sheets_are_typed_errors() -> None:
    """An empty sheet, and a header without data rows, fail as empty, as an empty CSV file
    does."""
    with pytest.raises(FileFormatError) as caught:
        _records(_book(lambda book, sheet: None))
    assert caught.value.reason_code == "empty"
    with pytest.raises(FileFormatError) as caught:
        _records(_book(lambda book, sheet: sheet.write_row(0, 0, list(CHINESE_HEADER))))
    assert caught.value.reason_code == "empty"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"PK\x03\x04 not really a zip",
        "记录编号,身份证号\r\n".encode(),
        xlsx_bytes([row(1)])[:3000],  # cut short
    ],
    ids=["empty", "bad-zip", "csv", "truncated"],
)
def test_a_damaged_file_is_a_typed_error(data: bytes, tmp_path: Path) -> None:
    """Bytes that are no workbook, or a workbook cut short, fail as not_spreadsheet, from
    memory or from disk, never as an internal error."""
    path = tmp_path / "input"
    path.write_bytes(data)
    for source in (data, path):
        with pytest.raises(FileFormatError) as caught:
            open_sheet(source)
        assert caught.value.reason_code == "not_spreadsheet"


def test_a_password_protected_workbook_is_named_as_such(tmp_path: Path) -> None:
    """Excel saves a workbook with a password to open as an OLE compound file holding an
    "EncryptedPackage" stream, which calamine cannot read: the error says what to do. (The file
    here is a stand-in with that signature and stream name, not a real encrypted workbook.)"""
    data = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(2_000_000)
        + "EncryptedPackage".encode("utf-16-le")
        + bytes(100)
    )
    path = tmp_path / "input"
    path.write_bytes(data)
    for source in (data, path):
        with pytest.raises(FileFormatError) as caught:
            open_sheet(source)
        assert caught.value.reason_code == "password_protected"


def _declaring(data: bytes, dimension: bytes) -> bytes:
    """The workbook with its first sheet's <dimension> replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            content = source.read(part.filename)
            if part.filename == "xl/worksheets/sheet1.xml":
                start = content.index(b"<dimension")
                end = content.index(b"/>", start) + 2
                content = content[:start] + b'<dimension ref="' + dimension + b'"/>' + content[end:]
            target.writestr(part, content)
    return output.getvalue()


def test_a_sheet_declared_too_large_is_refused_before_it_is_read() -> None:
    """A workbook whose sheet declares a used range past the cell limit (here A1:XFD1048576,
    seventeen billion cells, which calamine would try to build) is refused from the
    declaration, at once; the same sheet declaring its true range reads."""
    data = xlsx_bytes([row(1)])
    started = time.perf_counter()
    with pytest.raises(FileTooLargeError):
        open_sheet(_declaring(data, b"A1:XFD1048576"))
    assert time.perf_counter() - started < 5
    assert len(_records(_declaring(data, b"A1:J2"))) == 1


def test_a_stray_value_far_away_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """One value far from the table makes the sheet a vast rectangle: past the limits the file
    is refused (with a lower limit here, so the test builds no gigabyte), .xlsx and .ods alike."""
    monkeypatch.setattr(limits, "sheet_cells_max", 10_000)

    def stray(book: xlsxwriter.Workbook, sheet: xlsxwriter.worksheet.Worksheet) -> None:
        sheet.write_row(0, 0, list(CHINESE_HEADER))
        sheet.write_row(1, 0, list(row(1).values()))
        sheet.write_string(2_000, 200, "x")

    with pytest.raises(FileTooLargeError):
        open_sheet(_book(stray))
    wide = [list(CHINESE_HEADER), list(row(1).values()), *([""] * 5 for _ in range(3_000))]
    wide[-1] = [*([""] * 4), "x"]
    with pytest.raises(FileTooLargeError):
        open_sheet(ods_bytes(wide))
