"""A killed import leaves nothing of its batch; running it again commits it exactly once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from creditbank.audit.replay import replay_log
from creditbank.service.bank import Bank
from creditbank.storage import reads
from creditbank.storage.import_jobs import mark_interrupted
from tests.factories import issuer_registration
from tests.imports.files import SAFETY, csv_bytes, row, run_file

ROWS = 60_000
SECONDS_MAX = 60


async def _wait_for_results(data_dir: Path, victim: subprocess.Popen[bytes]) -> Path:
    """The child's results file once it holds a chunk: rows are then in the open transaction."""
    deadline = time.monotonic() + SECONDS_MAX
    while time.monotonic() < deadline:
        for results in data_dir.glob("imports/*/results"):
            if results.stat().st_size > 0:
                return results
        if victim.poll() is not None:
            pytest.fail("the import finished before it could be killed")
        await asyncio.sleep(0.01)
    pytest.fail("the import never started writing")


async def test_sigkill_mid_import_then_rerun_commits_once(
    bank: Bank, database_url: str, keys_dir: Path, tmp_path: Path
) -> None:
    """An import process killed with SIGKILL mid-transaction leaves the log and outcome table
    untouched; its job is marked interrupted, a rerun commits all 60,000 rows and a third run
    commits nothing."""
    await bank.deposits.register_issuer(issuer_registration())
    await bank.standards.publish(SAFETY)
    async with bank.engine.connect() as connection:
        size_before = (await reads.log_head(connection)).tree_size
    data = csv_bytes([row(n) for n in range(1, ROWS + 1)])
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    child_data = tmp_path / "child-data"
    victim = subprocess.Popen(  # noqa: ASYNC220 - the test drives the child while it runs
        [
            sys.executable,
            "-m",
            "tests.imports.importer_child",
            database_url,
            str(keys_dir),
            str(child_data),
            str(path),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        results = await _wait_for_results(child_data, victim)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=SECONDS_MAX)
    finally:
        if victim.poll() is None:
            victim.kill()
    assert victim.returncode == -signal.SIGKILL
    assert results.stat().st_size < 10 * ROWS, "killed after it had finished classifying"
    async with bank.engine.connect() as connection:
        assert (await reads.log_head(connection)).tree_size == size_before
        assert (await connection.exec_driver_sql("SELECT count(*) FROM outcome")).scalar() == 0
    async with bank.engine.begin() as connection:
        assert await mark_interrupted(connection) == 1
    job = await run_file(bank, tmp_path, data)
    assert job.result == "committed", job.error_detail
    assert job.counts is not None
    assert job.counts.recorded == ROWS
    again = await run_file(bank, tmp_path, data)
    assert again.result == "nothing_to_commit"
    assert (await replay_log(bank.engine)).differences == []
