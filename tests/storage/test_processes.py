"""Two processes appending at once, and a process killed with SIGKILL in the middle of a batch."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from creditbank.audit import verify_database
from creditbank.bank import Bank
from creditbank.ledger.entries import open_entry
from creditbank.storage import reads
from schemas.entries import OutcomeRecorded

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def spawn(
    bank_url: str, keys_dir: Path, tag: str, batches: int, size: int
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.storage.appender",
            bank_url,
            str(keys_dir),
            tag,
            str(batches),
            str(size),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


async def test_concurrent_appenders_never_interleave_or_reuse_indices(
    bank: Bank, database_url: str, keys_dir: Path
) -> None:
    """Batches from two processes land whole and contiguous; indices are 0..n-1 exactly once."""
    batches, size = 8, 150
    processes = [spawn(database_url, keys_dir, tag, batches, size) for tag in ("P", "Q")]
    for process in processes:
        assert await asyncio.to_thread(process.wait, 120) == 0
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


async def test_sigkill_mid_batch_leaves_the_old_or_the_new_log(
    bank: Bank, database_url: str, keys_dir: Path
) -> None:
    """Killing the appender inside a large batch leaves a log that verifies at the old size."""
    first = spawn(database_url, keys_dir, "A", 1, 500)
    assert await asyncio.to_thread(first.wait, 60) == 0
    victim = spawn(database_url, keys_dir, "K", 1, 60_000)
    assert victim.stdout is not None
    line = await asyncio.to_thread(victim.stdout.readline)
    assert line.strip() == "locked"
    await asyncio.sleep(random.uniform(0.05, 0.4))
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
