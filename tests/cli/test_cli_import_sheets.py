"""``creditbank import`` with a workbook: the format from the file name, and --report OUT.xlsx."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from creditbank.cli import imports as cli_import
from tests.cli import creditbank
from tests.imports.files import CHINESE_HEADER, row
from tests.imports.sheets import xlsx_bytes
from tests.test_cli_import import ENTERPRISE, counts, env, register_issuers

__all__ = ["env"]  # the fixture, used by name


def test_workbook_suffixes_are_sheet_imports() -> None:
    """.xlsx, .xlsm, .xls and .ods files are imported as workbooks without --format."""
    for suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        assert cli_import.FORMAT_BY_SUFFIX[suffix] == "sheet"


@pytest.mark.slow
def test_a_workbook_dry_run_with_a_workbook_report(env: dict[str, str], tmp_path: Path) -> None:
    """A trial run of an .xlsx through the real command classifies every row and writes the
    report as a workbook when --report names an .xlsx file: the file's header, then status and
    error, with the malformed row's field and reason."""
    asyncio.run(register_issuers(env))
    rows = [row(1), row(2, hours="abc"), row(3)]
    source = tmp_path / "培训记录.xlsx"
    source.write_bytes(xlsx_bytes(rows, title=True))
    report = tmp_path / "report.xlsx"
    arguments = ("--issuer", ENTERPRISE, "--dry-run", "--report", str(report))
    done = creditbank(env, "import", str(source), *arguments)
    assert done.returncode == 1, done.stdout + done.stderr  # a row with an error
    assert "result: dry_run" in done.stdout
    assert (counts(done.stdout)["rows"], counts(done.stdout)["malformed"]) == (3, 1)
    assert "5\tmalformed\thours\tis not a number" in done.stdout  # the sheet's own row 5
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(report.read_bytes()))
    found = list(workbook.get_sheet_by_index(0).iter_rows())
    assert found[0] == [*CHINESE_HEADER, "状态", "错误说明"]
    assert found[2][-2:] == ["malformed", "hours: is not a number"]
