"""Which code prepares an import's rows, from the file's bytes to prepared rows (pure).

``reference`` reads records and runs ``prepare`` on each: every row validated, normalised and
encoded on its own, the definition every other path is held to. ``lean`` runs ``LeanPreparer``
(the same steps, remembered per distinct value, one encoding per row) and, for CSV, the row core
(``row_core``), which prepares a row from its cells when every repeating cell is remembered.
``compiled`` is ``lean`` with the row core compiled by Cython, where the build made it. All three
give the same tables, tiles, root and row results, which the differential tests check.
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
from creditbank.privacy import Pseudonymizer
from schemas.types import ImportFormat

__all__ = ["ROW_PATHS", "RowPath", "compiled_row_core", "default_row_path", "prepared_rows"]

RowPath = Literal["reference", "lean", "compiled"]
ROW_PATHS: tuple[RowPath, ...] = get_args(RowPath)

try:
    from creditbank.imports.compiled_row_core import (  # type: ignore[import-not-found,unused-ignore]
        RowCore as _CompiledRowCore,
    )
except ImportError:
    _CompiledRowCore = None


def compiled_row_core() -> type[RowCore] | None:
    """The row core Cython built from ``row_core.py``, or None where there was no compiler."""
    return _CompiledRowCore  # type: ignore[no-any-return,unused-ignore]


_warned = False


def default_row_path(*, pure_python: bool = False) -> RowPath:
    """``compiled`` when built and not refused, else ``lean`` (with one warning per process
    when it was not built)."""
    global _warned
    if pure_python:
        return "lean"
    if _CompiledRowCore is not None:
        return "compiled"
    if not _warned:
        _warned = True
        warnings.warn(
            "creditbank's compiled import core is not built (no C compiler when installed?); "
            "imports use the pure-Python row path, correct but slower",
            RuntimeWarning,
            stacklevel=2,
        )
    return "lean"


def prepared_rows(
    path: RowPath,
    file_format: ImportFormat,
    chunks: Iterable[bytes],
    *,
    issuer_id: str,
    pseudonymizer: Pseudonymizer,
    now: datetime.datetime,
    default_outcome_type: str | None = None,
) -> Iterator[Prepared | Unreadable]:
    """Every row of the file, prepared, in file order."""
    if path == "reference":
        for raw in _records(file_format, chunks, default_outcome_type):
            yield prepare(raw, issuer_id=issuer_id, pseudonymizer=pseudonymizer, now=now)
        return
    lean = LeanPreparer(issuer_id=issuer_id, pseudonymizer=pseudonymizer, now=now)
    if file_format != "csv":
        yield from map(lean, _records(file_format, chunks, default_outcome_type))
        return
    core_class = RowCore
    if path == "compiled":
        compiled = compiled_row_core()
        assert compiled is not None, "the compiled row core is not built"
        core_class = compiled
    core: RowCore | None = None
    cells: CsvCells
    for cells in read_csv_cells(chunks, default_outcome_type=default_outcome_type):
        if core is None:
            core = core_class(cells.mapper, lean, issuer_id)
        yield core(cells)


def _records(
    file_format: ImportFormat, chunks: Iterable[bytes], default_outcome_type: str | None
) -> Iterator[RawRecord]:
    if file_format == "csv":
        return read_csv(chunks, default_outcome_type=default_outcome_type)
    if file_format == "ndjson":
        return read_ndjson(chunks)
    return read_json_array(chunks)
