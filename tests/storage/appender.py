"""A separate appender process for the concurrency and crash tests.

    python -m tests.storage.appender DATABASE_URL KEYS_DIR TAG BATCHES BATCH_SIZE [GO_FILE]

Each batch holds outcomes whose record ids are ``TAG-<batch>-<n>``. With GO_FILE the process
builds its first batch, prints ``ready`` and waits for that file to exist, so several appenders
start together. It prints ``start <time>`` before its first lock attempt, ``locked`` once it
holds the log's write lock, ``committed <first index>`` after each commit and ``end <time>`` at
the end, so a test can show the appenders overlapped, or kill one in the middle of a batch.
"""

from __future__ import annotations

import asyncio
import datetime
import sys
import time
from pathlib import Path

from creditbank.keys import KeyRing
from creditbank.ledger.entries import SealedEntry
from creditbank.storage.append import log_transaction
from creditbank.storage.engine import create_engine
from schemas.entries import OutcomeRecorded

ORIGIN = "creditbank.test/ledger"


def batch_entries(tag: str, batch: int, size: int) -> list[SealedEntry]:
    return [
        SealedEntry(
            OutcomeRecorded(
                issuer_id="acme-training",
                record_id=f"{tag}-{batch}-{n}",
                learner_ref=f"{n % 997:064x}",
                outcome_type="enterprise_training",
                course_code="SAFE-101",
                course_title="安全生产培训",
                hours="8.0",
                result="passed",
                completed_on=datetime.date(2026, 1, 5),
                recorded_at="2026-11-28T12:00:00Z",
            )
        )
        for n in range(size)
    ]


async def run(
    url: str, keys_dir: Path, tag: str, batches: int, size: int, go_file: Path | None
) -> None:
    engine = create_engine(url)
    keys = KeyRing.load(keys_dir, ORIGIN, create=False)
    try:
        entries = batch_entries(tag, 0, size)
        print("ready", flush=True)
        while go_file is not None and not go_file.exists():
            await asyncio.sleep(0.01)
        print(f"start {time.time()}", flush=True)
        for batch in range(batches):
            if batch:
                entries = batch_entries(tag, batch, size)
            async with log_transaction(engine, keys) as transaction:
                print("locked", flush=True)
                appended = await transaction.append(entries)
                await transaction.commit()
            print(f"committed {appended.first_index}", flush=True)
        print(f"end {time.time()}", flush=True)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    url, keys_dir, tag, batches, size = sys.argv[1:6]
    go = Path(sys.argv[6]) if len(sys.argv) > 6 else None
    asyncio.run(run(url, Path(keys_dir), tag, int(batches), int(size), go))
