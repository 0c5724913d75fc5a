"""Several processes against one log: concurrent appenders, a SIGKILL mid-batch, and readers
checking the head while another process appends."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from creditbank.audit.local import verify_database
from creditbank.ledger.entries import open_entry
from creditbank.service.bank import Bank
from creditbank.storage import reads
from creditbank.storage.integrity import check_head
from schemas.entries import OutcomeRecorded
from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def spawn(
    url: str, keys_dir: Path, tag: str, batches: int, size: int, go_file: Path | None = None
) -> subprocess.Popen[str]:
    arguments = [url, str(keys_dir), tag, str(batches), str(size)]
    if go_file is not None:
        arguments.append(str(go_file))
    return subprocess.Popen(
        [sys.executable, "-m", "tests.storage.appender", *arguments],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def times(output: str, word: str) -> float:
    return next(float(line.split()[1]) for line in output.splitlines() if line.startswith(word))


async def test_concurrent_appenders_never_interleave_or_reuse_indices(
    bank: Bank, database_url: str, keys_dir: Path, tmp_path: Path
) -> None:
    """Batches from two processes that ran at the same time land whole, with indices 0..n-1."""
    batches, size = 12, 150
    go = tmp_path / "go"
    processes = [spawn(database_url, keys_dir, tag, batches, size, go) for tag in ("P", "Q")]
    for process in processes:
        assert process.stdout is not None
        assert (await asyncio.to_thread(process.stdout.readline)).strip() == "ready"
    go.touch()
    outputs = []
    for process in processes:
        output, _ = await asyncio.to_thread(process.communicate, timeout=120)
        assert process.returncode == 0
        outputs.append(output)
    starts = [times(output, "start") for output in outputs]
    ends = [times(output, "end") for output in outputs]
    assert max(starts) < min(ends), "the appenders did not overlap; the test proved nothing"

    async with bank.engine.connect() as connection:
        head = await reads.log_head(connection)
        bodies = await reads.entries(connection, 0, head.tree_size)
    assert head.tree_size == len(bodies) == 2 * batches * size
    record_ids = []
    for body in bodies:
        entry = open_entry(body)
        assert isinstance(entry, OutcomeRecorded)
        record_ids.append(entry.record_id)
    assert len(set(record_ids)) == len(record_ids)
    for start in range(0, len(record_ids), size):
        batch = record_ids[start : start + size]
        tag, number, _ = batch[0].split("-")
        assert batch == [f"{tag}-{number}-{n}" for n in range(size)], (
            f"batch at {start} interleaved"
        )
    verified = await verify_database(bank.engine, list(bank.keys.verifiers))
    assert verified.checkpoint.size == head.tree_size


async def wait_until_writing(database_url: str, baseline_wal_bytes: int) -> None:
    """Return once the appender's batch is visibly being written, uncommitted."""
    url = make_url(database_url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if url.get_backend_name() == "sqlite":
            wal = Path(f"{url.database}-wal")
            if wal.exists() and wal.stat().st_size > baseline_wal_bytes + 1_000_000:
                return
        else:
            connection = await asyncpg.connect(PG_ADMIN_URL)
            try:
                copying = await connection.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 "
                    "AND state = 'active' AND query ILIKE 'COPY%'",
                    url.database,
                )
            finally:
                await connection.close()
            if copying:
                return
        await asyncio.sleep(0.005)
    pytest.fail("the appender never started writing")


async def test_sigkill_mid_batch_leaves_the_old_log(
    bank: Bank, database_url: str, keys_dir: Path
) -> None:
    """Killing the appender while it writes a large batch leaves a log that verifies at the old
    size, and the next appender continues from there."""
    first = spawn(database_url, keys_dir, "A", 1, 500)
    assert await asyncio.to_thread(first.wait, 60) == 0
    url = make_url(database_url)
    wal = Path(f"{url.database}-wal")
    baseline = wal.stat().st_size if url.get_backend_name() == "sqlite" and wal.exists() else 0
    victim = spawn(database_url, keys_dir, "K", 1, 60_000)
    assert victim.stdout is not None
    assert (await asyncio.to_thread(victim.stdout.readline)).strip() == "ready"
    assert (await asyncio.to_thread(victim.stdout.readline)).startswith("start")
    assert (await asyncio.to_thread(victim.stdout.readline)).strip() == "locked"
    await wait_until_writing(database_url, baseline)
    victim.send_signal(signal.SIGKILL)
    rest = await asyncio.to_thread(victim.stdout.read)
    await asyncio.to_thread(victim.wait, 30)
    assert victim.returncode == -signal.SIGKILL
    assert "committed" not in rest, "the batch finished before the kill; the test proved nothing"

    await bank.start()  # the restart: the start-up check runs again
    assert bank.writes_disabled is None
    verified = await verify_database(bank.engine, list(bank.keys.verifiers))
    assert verified.checkpoint.size == 500
    survivor = spawn(database_url, keys_dir, "B", 1, 10)
    assert await asyncio.to_thread(survivor.wait, 60) == 0
    verified = await verify_database(bank.engine, list(bank.keys.verifiers))
    assert verified.checkpoint.size == 510


async def test_head_checks_beside_a_live_appender_never_fail(
    bank: Bank, database_url: str, keys_dir: Path
) -> None:
    """Start-up checks and verification read one snapshot, so appends in between cannot make
    an honest log look forked."""
    appender = spawn(database_url, keys_dir, "L", 60, 5)
    checks = 0
    while appender.poll() is None or checks < 5:
        await check_head(bank.engine, bank.keys)
        if checks % 10 == 0:
            await verify_database(bank.engine, list(bank.keys.verifiers))
        checks += 1
    assert appender.returncode == 0
    assert checks > 5
