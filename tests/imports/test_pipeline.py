"""The import pipeline end to end on both databases: classifications, modes, idempotence."""

from __future__ import annotations

from pathlib import Path

import pytest

from creditbank.bank import Bank
from creditbank.replay import replay_log
from creditbank.storage import reads
from tests.factories import issuer_registration
from tests.imports.files import SAFETY, csv_bytes, row, run_file


@pytest.fixture
async def ready_bank(bank: Bank) -> Bank:
    await bank.register_issuer(issuer_registration())
    await bank.standards.publish(SAFETY)
    return bank


async def test_a_clean_file_commits_once_and_again_reports_exists(
    ready_bank: Bank, tmp_path: Path
) -> None:
    data = csv_bytes([row(serial) for serial in range(1, 301)])
    job = await run_file(ready_bank, tmp_path, data)
    assert job.error_detail is None
    assert job.result == "committed"
    assert job.counts is not None
    assert job.counts.recorded == 300
    assert job.last_index == job.first_index + 299
    again = await run_file(ready_bank, tmp_path, data)
    assert again.result == "nothing_to_commit"
    assert again.counts is not None
    assert again.counts.exists == 300
    async with ready_bank.engine.connect() as connection:
        head = await reads.log_head(connection)
    assert head.tree_size == job.batch_index + 1
    report = await replay_log(ready_bank.engine)
    assert report.differences == []
