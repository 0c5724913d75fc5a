"""A course title with a line break inside a quoted CSV cell (Excel's Alt+Enter) imports, on
both databases, with the title folded to one line; sending the file again finds it banked."""

from __future__ import annotations

from pathlib import Path

import pytest

from creditbank.ledger.entries import open_entry
from creditbank.service.bank import Bank
from schemas.entries import OutcomeRecorded
from tests.factories import issuer_registration
from tests.imports.files import SAFETY, csv_bytes, row, run_file


@pytest.fixture
async def ready_bank(bank: Bank) -> Bank:
    await bank.deposits.register_issuer(issuer_registration())
    await bank.standards.publish(SAFETY)
    return bank


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
async def test_a_quoted_line_break_in_a_title_imports_folded(
    ready_bank: Bank, tmp_path: Path, encoding: str
) -> None:
    """Rows whose titles hold CRLF, LF and a tab inside quoted cells commit with each title on
    one line; a bell character in a title is still malformed; the same file again is all
    exists, so folding is part of what "the same record" means."""
    rows = [
        row(1, course_title="安全生产培训\r\n（第一期）"),
        row(2, course_title="安全生产培训\n（第二期）\t复训"),
        row(3, course_title="安全\x07生产"),
    ]
    data = csv_bytes(rows, encoding=encoding)
    job = await run_file(ready_bank, tmp_path, data, on_error="skip")
    assert job.result == "committed", job.error_detail
    assert job.counts is not None
    assert (job.counts.recorded, job.counts.malformed) == (2, 1)
    assert job.first_index is not None
    titles = []
    for index in (job.first_index, job.first_index + 1):
        entry = open_entry(await ready_bank.log.entry(index))
        assert isinstance(entry, OutcomeRecorded)
        titles.append(entry.course_title)
    assert titles == ["安全生产培训 （第一期）", "安全生产培训 （第二期） 复训"]

    again = await run_file(ready_bank, tmp_path, data, on_error="skip")
    assert again.result == "nothing_to_commit"
    assert again.counts is not None
    assert (again.counts.exists, again.counts.malformed) == (2, 1)
