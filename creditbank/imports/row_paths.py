"""Which code prepares an import's rows, from the file's bytes to prepared rows (pure).

``reference`` reads records and runs ``prepare`` on each: every row validated, normalised and
encoded on its own, the definition every other path is held to. ``lean`` runs ``LeanPreparer``
(the same steps, remembered per distinct value, one encoding per row) and, for CSV and workbooks,
the row core (``row_core``), which prepares a row from its cells when every repeating cell is
remembered.
Where the package was built with a compiler, the lean path's hot modules run compiled by mypyc
(``creditbank.compiled``). Every path gives the same tables, tiles, root and row results, which
the differential tests check, compiled in ``make test``'s first pass and pure in its second.
"""

from __future__ import annotations

import datetime
import warnings
from collections.abc import Iterable, Iterator
from typing import Literal, get_args

from creditbank.imports.csv_rows import CsvCells
from creditbank.imports.json_array import read_json_array
from creditbank.imports.lean import LeanPreparer
from creditbank.imports.prepare import Prepared, Unreadable, prepare
from creditbank.imports.readers import read_csv, read_csv_cells, read_ndjson
from creditbank.imports.records import RawRecord
from creditbank.imports.row_core import RowCore
from creditbank.imports.spreadsheet import Worksheet, open_sheet, read_sheet, read_sheet_cells
from creditbank.privacy import Pseudonymizer
from schemas.types import ImportFormat

__all__ = ["ROW_PATHS", "ImportInput", "RowPath", "prepared_rows", "warn_if_pure_python"]

RowPath = Literal["reference", "lean"]
ROW_PATHS: tuple[RowPath, ...] = get_args(RowPath)
# What the rows are read from: the file's bytes in chunks, or a workbook's sheet already read by
# calamine (``open_sheet``, which the service runs in a thread: it is slow and frees the GIL).
# A workbook given as chunks is read here, whole in memory (tests, small files).
ImportInput = Iterable[bytes] | Worksheet


_warned = False


def warn_if_pure_python(status: str) -> None:
    """One warning per process when a deployment runs without the compiled core."""
    global _warned
    if _warned or "not built" not in status:
        return
    _warned = True
    warnings.warn(
        f"creditbank's import core runs as {status}; imports are correct but slower",
        RuntimeWarning,
        stacklevel=2,
    )


def prepared_rows(
    path: RowPath,
    file_format: ImportFormat,
    source: ImportInput,
    *,
    issuer_id: str,
    pseudonymizer: Pseudonymizer,
    now: datetime.datetime,
    default_outcome_type: str | None = None,
) -> Iterator[Prepared | Unreadable]:
    """Every row of the file, prepared, in file order."""
    if path == "reference":
        for raw in _records(file_format, source, default_outcome_type):
            yield prepare(raw, issuer_id=issuer_id, pseudonymizer=pseudonymizer, now=now)
        return
    lean = LeanPreparer(issuer_id=issuer_id, pseudonymizer=pseudonymizer, now=now)
    if file_format not in ("csv", "sheet"):
        yield from map(lean, _records(file_format, source, default_outcome_type))
        return
    # A workbook's rows are CSV rows once their cells are text: the same row core.
    core: RowCore | None = None
    rows: Iterator[CsvCells | RawRecord] = (
        read_sheet_cells(_sheet(source), default_outcome_type=default_outcome_type)
        if file_format == "sheet"
        else read_csv_cells(_chunks(source), default_outcome_type=default_outcome_type)
    )
    for row in rows:
        if isinstance(row, RawRecord):
            yield lean(row)  # refused by the reader already: the lean path reports it
            continue
        if core is None:
            core = RowCore(row.mapper, lean, issuer_id)
        yield core(row)


def _chunks(source: ImportInput) -> Iterable[bytes]:
    assert not isinstance(source, Worksheet), "a text format is read from its bytes"
    return source


def _sheet(source: ImportInput) -> Worksheet:
    return source if isinstance(source, Worksheet) else open_sheet(b"".join(source))


def _records(
    file_format: ImportFormat, source: ImportInput, default_outcome_type: str | None
) -> Iterator[RawRecord]:
    if file_format == "sheet":
        return read_sheet(_sheet(source), default_outcome_type=default_outcome_type)
    if file_format == "csv":
        return read_csv(_chunks(source), default_outcome_type=default_outcome_type)
    if file_format == "ndjson":
        return read_ndjson(_chunks(source))
    return read_json_array(_chunks(source))
