"""The import benchmark's workbook run cannot rot: the workbook twin of a generated file imports
through the measured path with the CSV's exact classification (figures, never timings, are
asserted: this is not a timed test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.import_files import write_import_file
from benchmarks.import_sheets import write_sheet_twin
from benchmarks.imports_child import ChildSpec, measure
from tests.conftest import Templates, fresh_database

ROWS = 5_000  # enough rows per learner for the caps to take part, which the child checks


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_workbook_twin_imports_as_its_csv(
    backend: str, templates: Templates, tmp_path: Path
) -> None:
    """The .xlsx twin of a 5,000-row benchmark file (numbers, dates and text cells) imports with
    the counts the generator wrote (measure checks them: malformed, duplicates, caps), and the
    run reports its speed and memory without the database baselines."""
    made = write_import_file(tmp_path / "bench.csv", ROWS)
    sheet = write_sheet_twin(made.path, tmp_path / "bench.xlsx")
    with fresh_database(backend, templates, tmp_path) as url:
        figures = measure(
            ChildSpec(
                path=str(sheet),
                rows=made.rows,
                malformed=made.malformed,
                duplicates=made.duplicates,
                import_url=url,
                bare_url="",
                entries_url="",
                orm_url="",
                file_format="sheet",
                baselines=False,
            )
        )
    assert figures["file_format"] == "sheet"
    assert figures["import_rows_per_second"] > 0
    assert figures["peak_rss_mb"] > 0
    assert "bare_rows_per_second" not in figures
