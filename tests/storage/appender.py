"""A separate appender process for the concurrency and crash tests.

    python -m tests.storage.appender DATABASE_URL KEYS_DIR TAG BATCHES BATCH_SIZE

Each batch holds outcomes whose record ids are ``TAG-<batch>-<n>``. The process prints ``locked``
once it holds the log's write lock (before appending) and ``committed <first index>`` after each
commit, so a test can kill it in the middle of a batch.
"""

from __future__ import annotations

import asyncio
import datetime
import sys
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


async def run(url: str, keys_dir: Path, tag: str, batches: int, size: int) -> None:
    engine = create_engine(url)
    keys = KeyRing.load(keys_dir, ORIGIN, create=False)
    try:
        for batch in range(batches):
            entries = batch_entries(tag, batch, size)
            async with log_transaction(engine, keys) as transaction:
                print("locked", flush=True)
                appended = await transaction.append(entries)
                await transaction.commit()
            print(f"committed {appended.first_index}", flush=True)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    url, keys_dir, tag, batches, size = sys.argv[1:6]
    asyncio.run(run(url, Path(keys_dir), tag, int(batches), int(size)))
