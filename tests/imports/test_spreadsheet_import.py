"""Workbook imports end to end on both databases: the same classification as the CSV twin,
dry run then commit, resending, the same records as the CSV, and the report as a workbook."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from creditbank.audit.replay import replay_log
from creditbank.service.bank import Bank
from creditbank.service.imports.report import report_csv
from creditbank.service.imports.report_xlsx import report_xlsx
from creditbank.storage import reads
from creditbank.storage.import_jobs import JobRow
from tests.factories import issuer_registration, resident_id
from tests.imports.files import (
    CHINESE_HEADER,
    SAFETY,
    csv_bytes,
    json_bytes,
    row,
    run_file,
)
from tests.imports.sheets import TITLE, xlsx_bytes

# Excel rows above the first data row of xlsx_bytes(title=True): title, blank, header.
TITLE_ROWS = 3


@pytest.fixture
async def ready_bank(bank: Bank) -> Bank:
    await bank.deposits.register_issuer(issuer_registration())
    await bank.standards.publish(SAFETY)
    return bank


def _mixed_rows() -> list[dict[str, str]]:
    """Rows of every classification against a bank holding row(1) and row(2)."""
    return [
        row(1),  # exists
        row(2, hours="24"),  # exists_with_different_content
        row(3),  # ready
        row(4, hours="abc"),  # malformed
        row(3, hours="32"),  # duplicate_in_file
        row(5, course_code="OTHER-1"),  # no_standard
        *(row(10 + n, learner_id=resident_id(777), hours="48") for n in range(3)),  # capped
        row(20, completed_on="2026-02-30"),  # malformed: no such day
        row(21, hours="40.5", score="92.5", completed_on="2026/3/14"),  # ready
    ]


async def _log_size(bank: Bank) -> int:
    async with bank.engine.connect() as connection:
        return (await reads.log_head(connection)).tree_size


def _results(bank: Bank, job: JobRow) -> list[tuple[object, ...]]:
    return [
        (r.number, r.status, r.record_id, r.field, r.reason, r.credits, r.standard)
        for r in bank.imports.files(job.job_id).read_results()
    ]


async def test_a_workbook_classifies_as_its_csv_twin(ready_bank: Bank, tmp_path: Path) -> None:
    """The same rows as a CSV file and as a workbook (typed cells, a merged title, a hidden
    sheet first) give the same counts and, row for row, the same status, field, reason and
    credits, at the workbook's own row numbers; the workbook's dry run then commits, and sent
    again it commits nothing, every recorded row now exists. The log replays cleanly."""
    await run_file(ready_bank, tmp_path, csv_bytes([row(1), row(2)]))
    rows = _mixed_rows()
    workbook = xlsx_bytes(rows, title=True, hidden_sheet=True)
    twin = await run_file(ready_bank, tmp_path, csv_bytes(rows), dry_run=True, on_error="skip")
    trial = await run_file(ready_bank, tmp_path, workbook, "sheet", dry_run=True, on_error="skip")
    assert (trial.state, trial.result, trial.error_detail) == ("finished", "dry_run", None)
    assert trial.counts == twin.counts
    expected = [(number + TITLE_ROWS, *rest) for number, *rest in _results(ready_bank, twin)]
    assert _results(ready_bank, trial) == expected
    statuses = {result[1] for result in expected}
    assert statuses >= {"exists", "exists_with_different_content", "ready", "malformed",
                        "duplicate_in_file", "no_standard", "capped"}  # fmt: skip

    job = await run_file(ready_bank, tmp_path, workbook, "sheet", on_error="skip")
    assert job.result == "committed", job.error_detail
    assert job.counts is not None
    assert twin.counts is not None
    assert job.counts.recorded == twin.counts.ready + twin.counts.capped + twin.counts.no_standard
    again = await run_file(ready_bank, tmp_path, workbook, "sheet", on_error="skip")
    assert again.result == "nothing_to_commit"
    assert again.counts is not None
    assert again.counts.exists == job.counts.recorded + job.counts.exists
    assert again.counts.recorded == 0
    assert (await replay_log(ready_bank.engine)).differences == []


async def test_a_workbook_holds_the_same_records_as_its_csv(
    ready_bank: Bank, tmp_path: Path
) -> None:
    """A record's content is what the issuer sent, whatever the file: after the CSV commits, its
    workbook twin (hours and scores as number cells, dates as date cells) finds every row
    banked with the same content (exists, not exists_with_different_content)."""
    rows = [row(n, hours=("16", "1.5", "40", "12.5")[n % 4]) for n in range(1, 41)]
    first = await run_file(ready_bank, tmp_path, csv_bytes(rows))
    assert first.result == "committed", first.error_detail
    job = await run_file(ready_bank, tmp_path, xlsx_bytes(rows), "sheet")
    assert job.result == "nothing_to_commit", job.error_detail
    assert job.counts is not None
    assert (job.counts.exists, job.counts.rows) == (40, 40)


def _sheet_rows(chunks: object) -> list[list[object]]:
    data = b"".join(chunks)  # type: ignore[arg-type]
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return list(workbook.get_sheet_by_index(0).iter_rows())


async def test_the_workbook_report_has_the_files_columns(ready_bank: Bank, tmp_path: Path) -> None:
    """The row report as a workbook opens (read back with calamine) and has the input's header
    row and columns in their order, title rows left out, then status and error; every cell is
    text, so hours stay "16" and ID numbers their digits. The CSV report of the same workbook
    import has the same rows, in UTF-8 with a BOM."""
    rows = [row(1, record_id="0001"), row(2, hours="abc"), row(3)]
    job = await run_file(ready_bank, tmp_path, xlsx_bytes(rows, title=True), "sheet",
                         on_error="skip")  # fmt: skip
    files = ready_bank.imports.files(job.job_id)
    found = _sheet_rows(report_xlsx(job, files))
    assert found[0] == [*CHINESE_HEADER, "状态", "错误说明"]
    assert found[1][:2] == ["0001", rows[0]["learner_id"]]
    assert found[1][CHINESE_HEADER.index("学时")] == "16"
    assert [line[-2:] for line in found[1:]] == [
        ["ready", ""],
        ["malformed", "hours: is not a number"],
        ["ready", ""],
    ]
    assert all(isinstance(cell, str) for line in found for cell in line)
    text = b"".join(report_csv(job, files)).decode("utf-8-sig").splitlines()
    assert text[0] == ",".join([*CHINESE_HEADER, "状态", "错误说明"])
    assert len(text) == 1 + len(rows)


async def test_a_csv_or_json_report_as_a_workbook_keeps_their_columns(
    ready_bank: Bank, tmp_path: Path
) -> None:
    """Any import's report comes as a workbook too: a CSV's in the CSV's own column order (here
    English names, in an order of its own), JSON's in the record fields' order."""
    fields = ["hours", "record_id", "learner_id", "course_code", "course_title", "result",
              "completed_on", "outcome_type"]  # fmt: skip
    rows = [{name: row(n)[name] for name in fields} for n in (1, 2)]
    job = await run_file(ready_bank, tmp_path, csv_bytes(rows, chinese=False))
    found = _sheet_rows(report_xlsx(job, ready_bank.imports.files(job.job_id)))
    assert found[0] == [*fields, "status", "error"]
    assert found[1][:2] == ["16", "T-0000001"]
    job = await run_file(ready_bank, tmp_path, json_bytes([row(3)]), "json")
    found = _sheet_rows(report_xlsx(job, ready_bank.imports.files(job.job_id)))
    assert found[0][:3] == ["record_id", "learner_id_type", "learner_id"]
    assert found[1][0] == "T-0000003"


async def test_a_damaged_workbook_fails_the_job_with_a_stable_code(
    ready_bank: Bank, tmp_path: Path
) -> None:
    """A workbook cut short fails its job as not_spreadsheet, with nothing written; a workbook
    without a header row fails as no_header."""
    size = await _log_size(ready_bank)
    data = xlsx_bytes([row(1)])
    job = await run_file(ready_bank, tmp_path, data[: len(data) // 2], "sheet")
    assert (job.state, job.error_code) == ("failed", "not_spreadsheet")
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    book.add_worksheet().write_column(0, 0, [TITLE, *row(1).values()])
    book.close()
    job = await run_file(ready_bank, tmp_path, output.getvalue(), "sheet")
    assert (job.state, job.error_code) == ("failed", "no_header")
    assert await _log_size(ready_bank) == size
