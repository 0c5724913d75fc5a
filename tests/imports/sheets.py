"""Workbooks for tests, made with xlsxwriter as Excel would save them: Chinese headers, dates as
date cells, hours and scores as numbers, identifiers as text, and optionally a merged title above
the header and a hidden sheet before the visible one; and a minimal OpenDocument spreadsheet."""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Sequence
from xml.sax.saxutils import escape

import xlsxwriter

from tests.imports.files import CHINESE_HEADER, row

__all__ = ["TITLE", "ods_bytes", "xlsx_bytes"]

TITLE = "2025年度员工培训记录"
_FIELDS = tuple(row(0))  # the field order of tests.imports.files.csv_bytes
_HEADER_NAMES = dict(zip(_FIELDS, CHINESE_HEADER, strict=True))


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value else None  # not NaN


def _date(text: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return None


def xlsx_bytes(
    rows: Sequence[dict[str, str]],
    *,
    title: bool = False,
    hidden_sheet: bool = False,
    typed: bool = True,
    number_fields: Sequence[str] = ("hours", "score"),
) -> bytes:
    """The rows as an .xlsx with the CSV helper's Chinese header. ``typed``: the cells of
    ``number_fields`` that are numbers become number cells and ISO dates date cells, as in a
    real workbook; everything else is a text cell (so "001" stays "001"). ``title`` puts a
    merged title in row 1 and the header in row 3; ``hidden_sheet`` puts a hidden sheet of
    other rows first."""
    names = list(rows[0]) if rows else list(_FIELDS)
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    if hidden_sheet:
        hidden = book.add_worksheet("旧数据")
        hidden.write_row(0, 0, [_HEADER_NAMES.get(name, name) for name in names])
        hidden.write_row(1, 0, [row(999_999)[name] for name in names])
    sheet = book.add_worksheet("培训记录")
    sheet.activate()  # the first sheet is active unless told: an active sheet cannot be hidden
    if hidden_sheet:
        hidden.hide()
    top = 0
    if title:
        sheet.merge_range(0, 0, 0, len(names) - 1, TITLE, book.add_format({"bold": True}))
        top = 2  # a blank row between the title and the header, as HR templates have
    sheet.write_row(top, 0, [_HEADER_NAMES.get(name, name) for name in names])
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for offset, fields in enumerate(rows, start=top + 1):
        for column, name in enumerate(names):
            text = fields.get(name, "")
            number = _number(text) if typed and name in number_fields else None
            day = _date(text) if typed and name == "completed_on" else None
            if number is not None:
                sheet.write_number(offset, column, number)
            elif day is not None:
                sheet.write_datetime(offset, column, day, date_format)
            elif text:
                sheet.write_string(offset, column, text)
    book.close()
    return output.getvalue()


def _ods_cell(value: object) -> str:
    if isinstance(value, float):
        return f'<table:table-cell office:value-type="float" office:value="{value!r}"/>'
    if isinstance(value, datetime.date):
        day = value.isoformat()
        return f'<table:table-cell office:value-type="date" office:date-value="{day}"/>'
    text = escape(str(value))
    return (
        f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'
    )


_ODS_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    ' xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"'
    ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    # A sheet is hidden by its table style, as LibreOffice writes it.
    '<office:automatic-styles><style:style style:name="hidden" style:family="table">'
    '<style:table-properties table:display="false"/></style:style></office:automatic-styles>'
    "<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
    "</office:document-content>"
)
_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
    ' manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/"'
    ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def _ods_table(cells: Sequence[Sequence[object]], name: str, style: str = "") -> str:
    body = "".join(
        "<table:table-row>" + "".join(_ods_cell(value) for value in line) + "</table:table-row>"
        for line in cells
    )
    styled = f' table:style-name="{style}"' if style else ""
    return f'<table:table table:name="{escape(name)}"{styled}>{body}</table:table>'


def ods_bytes(
    cells: Sequence[Sequence[object]],
    sheet_name: str = "培训记录",
    hidden: Sequence[Sequence[object]] = (),
) -> bytes:
    """A minimal OpenDocument spreadsheet: str cells as text, floats as numbers, dates as date
    cells (what LibreOffice writes, without most styles); ``hidden`` puts a hidden sheet of
    those cells first."""
    table = _ods_table(hidden, "旧数据", "hidden") if hidden else ""
    table += _ods_table(cells, sheet_name)
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        # The mimetype comes first and uncompressed, as the format requires.
        archive.writestr(
            "mimetype",
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("content.xml", _ODS_CONTENT.format(tables=table))
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST)
    return output.getvalue()
