"""The append path and proof reads, on each database.

Reports, in one run per database:
- append throughput (entries/s, sealing included) for batches of 1, 100 and 10,000 entries;
- the bare insertion of the same batches (COPY on PostgreSQL, executemany on SQLite; one
  transaction per batch) into a table shaped like ``log_entry``: the ceiling, as a ratio;
- inclusion-proof latency (median and p99) in a log of 100,000 entries, read from tiles.
"""

from __future__ import annotations

import asyncio
import datetime
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from creditbank.keys import KeyRing
from creditbank.ledger.entries import SealedEntry
from creditbank.storage import reads
from creditbank.storage.append import log_transaction
from creditbank.storage.engine import create_engine
from schemas.entries import OutcomeRecorded

ORIGIN = "creditbank.bench/ledger"
PROOF_LOG_ENTRIES = 100_000
PROOF_SAMPLES = 300
# (batch size, batches): sized so each row takes seconds, not minutes, on 2 cores.
APPEND_PLAN = ((1, 300), (100, 60), (10_000, 5))


def outcome(serial: int) -> OutcomeRecorded:
    return OutcomeRecorded(
        issuer_id="bench-enterprise",
        record_id=f"B-{serial:09d}",
        learner_ref=f"{serial % 50_000:064x}",
        outcome_type="enterprise_training",
        course_code=f"C-{serial % 300:03d}",
        course_title="数控机床操作与安全生产培训",
        hours="16.0",
        result="passed",
        score="87.5",
        completed_on=datetime.date(2026, 3, 1) + datetime.timedelta(days=serial % 200),
        recorded_at="2026-11-28T12:00:00Z",
    )


async def _append_rate(
    url: str, keys: KeyRing, first_serial: int, batch: int, batches: int
) -> float:
    engine = create_engine(url)
    try:
        started = time.perf_counter()
        serial = first_serial
        for _ in range(batches):
            entries = [SealedEntry(outcome(serial + n)) for n in range(batch)]
            serial += batch
            async with log_transaction(engine, keys) as transaction:
                await transaction.append(entries)
                await transaction.commit()
        return batch * batches / (time.perf_counter() - started)
    finally:
        await engine.dispose()


async def _bare_insert_rate(url: str, batches: int, batch: int) -> float:
    table = f"bare_entry_{batch}"
    """The same rows into a scratch table with the same primary key: the ceiling."""
    engine = create_engine(url)
    bodies = [SealedEntry(outcome(n)).body for n in range(batch)]
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql(
                f"CREATE TABLE {table} (idx BIGINT PRIMARY KEY, body "
                + ("BLOB" if engine.dialect.name == "sqlite" else "BYTEA")
                + " NOT NULL)"
            )
        started = time.perf_counter()
        for number in range(batches):
            rows = [(number * batch + n, body) for n, body in enumerate(bodies)]
            async with engine.begin() as connection:
                if engine.dialect.name == "sqlite":
                    await connection.exec_driver_sql(f"INSERT INTO {table} VALUES (?, ?)", rows)
                else:
                    raw = await connection.get_raw_connection()
                    assert raw.driver_connection is not None
                    await raw.driver_connection.copy_records_to_table(
                        table, records=rows, columns=["idx", "body"]
                    )
        return batch * batches / (time.perf_counter() - started)
    finally:
        await engine.dispose()


async def _proof_latency(url: str, keys: KeyRing, size: int) -> tuple[float, float]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            head = await reads.log_head(connection)
            if head.tree_size < size:
                await engine.dispose()
                await _append_rate(url, keys, head.tree_size, size - head.tree_size, 1)
                engine = create_engine(url)
        rng = random.Random(7)
        samples: list[float] = []
        async with engine.connect() as connection:
            for _ in range(PROOF_SAMPLES):
                index = rng.randrange(size)
                started = time.perf_counter()
                await reads.inclusion_proof(connection, index, size)
                samples.append(time.perf_counter() - started)
        samples.sort()
        return statistics.median(samples), samples[int(len(samples) * 0.99)]
    finally:
        await engine.dispose()


def run(url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="creditbank-bench-keys-") as directory:
        keys = KeyRing.load(Path(directory), ORIGIN)
        results: dict[str, Any] = {"append_entries_per_second": {}}
        serial = 0
        for batch, batches in APPEND_PLAN:
            rate = asyncio.run(_append_rate(url, keys, serial, batch, batches))
            serial += batch * batches
            results["append_entries_per_second"][str(batch)] = round(rate)
        results["bare_insert_entries_per_second"] = {}
        results["append_vs_bare"] = {}
        for batch, batches in APPEND_PLAN:
            bare = asyncio.run(_bare_insert_rate(url, batches, batch))
            results["bare_insert_entries_per_second"][str(batch)] = round(bare)
            ratio = results["append_entries_per_second"][str(batch)] / bare
            results["append_vs_bare"][str(batch)] = round(ratio, 2)
        median, p99 = asyncio.run(_proof_latency(url, keys, PROOF_LOG_ENTRIES))
        results["inclusion_proof_ms_at_100k"] = {
            "median": round(median * 1000, 2),
            "p99": round(p99 * 1000, 2),
        }
    return results
