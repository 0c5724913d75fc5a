"""How big a workbook says it is, checked before calamine builds a sheet in memory (pure).

calamine reads a sheet whole, as a dense rectangle from its first used cell to its last, before
the first row can be looked at: about 32 bytes a cell, so one stray value far to the right or
bottom of a small sheet (XFD2000: 33 million cells) costs a gigabyte, and further out more memory
than the machine has. An .xlsx states each sheet's used range in a ``<dimension>`` element near
the start of the sheet's part, and a zip states what each part unpacks to, so both are read
first, cheaply, and a workbook past the limits is refused before calamine allocates anything.
An .xls, an .ods, or an .xlsx without ``<dimension>`` is checked only once read
(``check_area``): it is bounded by what the file holds, not by a declaration.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from creditbank import limits
from creditbank.errors import FileTooLargeError

__all__ = ["check_area", "check_declared_size"]

_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELATIONSHIPS = "xl/_rels/workbook.xml.rels"
# The parts read to find a sheet's own part are small; a larger one is left to calamine.
_INDEX_PART_BYTES_MAX = 16 * 1024 * 1024
# <dimension> follows only <sheetPr>, so it is within the first few hundred bytes of a sheet.
_DIMENSION_HEAD_BYTES = 64 * 1024
_ATTRIBUTE = re.compile(rb'([\w:.-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\s[^>]*?ref=\"([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?\""
)


def check_area(rows: int, columns: int, where: str) -> None:
    """Refuse a sheet of more rows, columns or cells than an import reads."""
    if rows > limits.sheet_rows_max or columns > limits.sheet_columns_max:
        raise FileTooLargeError(
            f"{where} spans {rows:,} rows and {columns:,} columns; an import reads at most "
            f"{limits.sheet_rows_max:,} rows and {limits.sheet_columns_max} columns (a stray "
            "value far from the table counts: delete it, or copy the table to a new workbook)"
        )
    if rows * columns > limits.sheet_cells_max:
        raise FileTooLargeError(
            f"{where} spans {rows:,} rows by {columns:,} columns; an import reads at most "
            f"{limits.sheet_cells_max:,} cells at once: split the file"
        )


def check_declared_size(source: Path | bytes, sheet_name: str) -> None:
    """Check what a zip workbook declares (its parts unpacked, the sheet's used range); a file
    whose declarations cannot be read here is left to calamine, which read it already."""
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as book:
            unpacked = sum(part.file_size for part in book.infolist())
            if unpacked > limits.sheet_unpacked_bytes_max:
                raise FileTooLargeError(
                    f"the workbook unpacks to {unpacked:,} bytes; an import reads workbooks "
                    f"of at most {limits.sheet_unpacked_bytes_max:,}"
                )
            part = _sheet_part(book, sheet_name)
            if part is None:
                return
            with book.open(part) as handle:
                found = _DIMENSION.search(handle.read(_DIMENSION_HEAD_BYTES))
    except (zipfile.BadZipFile, KeyError, OSError, EOFError):
        return
    if found is not None:
        first_column, first_row, last_column, last_row = found.groups()
        rows = int(last_row or first_row) - int(first_row) + 1
        columns = _column_number(last_column or first_column) - _column_number(first_column) + 1
        check_area(rows, columns, f"sheet {sheet_name!r} (as the workbook declares it)")


def _sheet_part(book: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The zip part of the named sheet: the workbook names it by relationship id, the workbook's
    relationships give the id's target (relative to xl/, or absolute). Read with patterns over
    the elements' attributes, not an XML parser: nothing in the file is expanded or resolved."""
    relationship = None
    for attributes in _elements(book, _WORKBOOK, b"sheet"):
        if attributes.get("name") == sheet_name:
            # r:id, under whichever prefix the file gives the relationships namespace.
            relationship = next((v for k, v in attributes.items() if k.endswith(":id")), None)
            break
    if relationship is None:
        return None
    for attributes in _elements(book, _WORKBOOK_RELATIONSHIPS, b"Relationship"):
        if attributes.get("Id") == relationship:
            target = attributes.get("Target", "")
            if target.startswith("/"):
                return target[1:]
            return posixpath.normpath(posixpath.join(posixpath.dirname(_WORKBOOK), target))
    return None


def _elements(book: zipfile.ZipFile, name: str, tag: bytes) -> Iterator[dict[str, str]]:
    """The attributes of every ``tag`` element (any prefix) of a small part, unescaped."""
    if book.getinfo(name).file_size > _INDEX_PART_BYTES_MAX:
        return  # not worth reading here; calamine reads it
    pattern = re.compile(rb"<(?:\w+:)?" + tag + rb"\s([^>]*)>")
    for found in pattern.finditer(book.read(name)):
        yield {
            key.decode(): html.unescape((double or single).decode("utf-8", "replace"))
            for key, double, single in _ATTRIBUTE.findall(found.group(1))
        }


def _column_number(letters: bytes) -> int:
    """A1's column letters as a number: A is 1, Z 26, AA 27, XFD 16,384."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number
