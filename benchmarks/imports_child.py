"""One import, measured in a process of its own: ``python -m benchmarks.imports_child SPEC``.

SPEC is JSON (see ``ChildSpec``): the file, what it holds, and four migrated, empty databases
of one backend (the import's, the bare baseline's, the entries-only baseline's and the ORM
baseline's), made by the parent so that migrating costs this process no memory. The child
registers the issuer, publishes the standard, runs the import through ``ImportDesk.run_local``,
checks its counts, reads its peak RSS, then feeds the rows the import wrote to the baselines. Its
last stdout line is the figures as JSON.

CPU is this process's (``time.process_time``) over the import: on PostgreSQL only ours, the
server runs apart; on SQLite it includes SQLite's own work, which aiosqlite runs in a thread of
this process. Awaited database time is what the import's row loop spent waiting for the database
(``Progress.database_seconds``): the part of the database's work the overlap did not hide.
Whether the import ran its compiled core is ``creditbank.compiled.status`` (the parent sets
``CREDITBANK_PURE_PYTHON`` for a pure-Python run).
"""

from __future__ import annotations

import asyncio
import cProfile
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from benchmarks import import_baselines
from benchmarks.import_files import ISSUER_ID, ISSUER_NAME, SAFETY
from creditbank import compiled
from creditbank.keys import KeyRing
from creditbank.privacy import Pseudonymizer
from creditbank.service.bank import Bank
from creditbank.service.imports.pipeline import FileFormat, ImportOptions, Progress
from creditbank.storage.engine import create_engine
from creditbank.storage.import_jobs import JobRow
from schemas.api import IssuerRegistration

ORIGIN = "creditbank.bench/imports"
# Log entries inserted through the ORM (with their outcome and person rows), scaled to rows/s.
ORM_SAMPLE_ENTRIES = 20_000
KIB_PER_MIB = 1024  # ru_maxrss and /proc's VmHWM and VmRSS are in KiB on Linux
PROC_STATUS = Path("/proc/self/status")


class ChildSpec(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    rows: int
    malformed: int
    duplicates: int
    import_url: str
    bare_url: str
    entries_url: str
    orm_url: str
    # "sheet": the file is the CSV's workbook twin (``import_sheets``); the baselines, which
    # measure the database and not the reader, are then left out (``baselines``).
    file_format: FileFormat = "csv"
    baselines: bool = True


def ru_maxrss_mb() -> float:
    """getrusage's peak RSS. Linux carries it across exec: it is at least the peak of the parent
    that spawned us (which ran the other suites and generated the files), so it can overstate."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / KIB_PER_MIB


def _proc_status_mb(field: str) -> float | None:
    if not PROC_STATUS.exists():
        return None
    for line in PROC_STATUS.read_text().splitlines():
        name, _, value = line.partition(":")
        if name == field:
            return int(value.split()[0]) / KIB_PER_MIB
    return None


def peak_rss_mb() -> float:
    """This program's own peak RSS (VmHWM, reset by exec), else getrusage's."""
    return _proc_status_mb("VmHWM") or ru_maxrss_mb()


def bench_bank(url: str, work: Path, origin: str = ORIGIN) -> Bank:
    """A bank on ``url`` with keys and job files under ``work``."""
    return Bank(
        engine=create_engine(url),
        keys=KeyRing.load(work / "keys", origin),
        pseudonymizer=Pseudonymizer(bytes(32)),
        data_dir=work / "data",
    )


async def ready_to_import(bank: Bank, file_format: FileFormat = "csv") -> ImportOptions:
    """Start the bank, register the issuer, publish the standard; the import's options."""
    await bank.start()
    assert bank.writes_disabled is None, bank.writes_disabled
    await bank.deposits.register_issuer(
        IssuerRegistration(issuer_id=ISSUER_ID, name=ISSUER_NAME, kind="enterprise")
    )
    await bank.standards.publish(SAFETY)
    return ImportOptions(issuer_id=ISSUER_ID, file_format=file_format, on_error="skip")


@dataclass
class ImportRun:
    job: JobRow
    seconds: float
    cpu_seconds: float
    progress: Progress


async def run_import(
    url: str,
    path: Path,
    work: Path,
    profiler: cProfile.Profile | None = None,
    file_format: FileFormat = "csv",
) -> ImportRun:
    """Register the issuer, publish the standard, import the file; the job and its costs."""
    bank = bench_bank(url, work)
    progress = Progress()
    try:
        options = await ready_to_import(bank, file_format)
        if profiler is not None:
            profiler.enable()
        started, cpu_started = time.perf_counter(), time.process_time()
        job = await bank.imports.run_local(options, path, progress)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        if profiler is not None:
            profiler.disable()
        return ImportRun(job, seconds, cpu_seconds, progress)
    finally:
        await bank.engine.dispose()


def check_job(job: JobRow, spec: ChildSpec) -> int:
    """Assert the import did what the file asks; the first recorded entry's index."""
    assert job.result == "committed", (job.state, job.result, job.error_code, job.error_detail)
    counts = job.counts
    assert counts is not None
    good = spec.rows - spec.malformed - spec.duplicates
    assert counts.rows == spec.rows, (counts.rows, spec.rows)
    assert counts.recorded == good, (counts.recorded, good)
    assert counts.malformed == spec.malformed, (counts.malformed, spec.malformed)
    assert counts.duplicate_in_file == spec.duplicates, (counts.duplicate_in_file, spec.duplicates)
    assert counts.capped > 0, counts  # the caps took part
    assert counts.no_standard > 0, counts  # so did rows no standard applies to
    assert job.first_index is not None
    assert job.last_index == job.first_index + good - 1, (job.first_index, job.last_index)
    return job.first_index


def _per_row_us(seconds: float, rows: int) -> float:
    return round(seconds / rows * 1e6, 1)


def measure(spec: ChildSpec) -> dict[str, Any]:
    rss_before = _proc_status_mb("VmRSS") or ru_maxrss_mb()
    with tempfile.TemporaryDirectory(prefix="creditbank-bench-import-") as directory:
        run = asyncio.run(
            run_import(
                spec.import_url, Path(spec.path), Path(directory), file_format=spec.file_format
            )
        )
    rss_peak, ru_maxrss = peak_rss_mb(), ru_maxrss_mb()
    first_index = check_job(run.job, spec)
    recorded = spec.rows - spec.malformed - spec.duplicates
    figures = {
        "rows": spec.rows,
        "recorded": recorded,
        "file_format": spec.file_format,
        "core": compiled.status,
        "import_seconds": round(run.seconds, 2),
        "import_rows_per_second": round(spec.rows / run.seconds),
        "import_us_per_row": _per_row_us(run.seconds, spec.rows),
        "cpu_us_per_row": _per_row_us(run.cpu_seconds, spec.rows),
        "awaited_db_us_per_row": _per_row_us(run.progress.database_seconds, spec.rows),
        "rss_before_import_mb": round(rss_before, 1),
        "peak_rss_mb": round(rss_peak, 1),
        "ru_maxrss_mb": round(ru_maxrss, 1),
    }
    if not spec.baselines:
        return figures
    return {**figures, **_baselines(spec, first_index, recorded)}


def _baselines(spec: ChildSpec, first_index: int, recorded: int) -> dict[str, Any]:
    """The rows the import wrote, inserted again by the bare, entries-only and ORM baselines."""
    bare = asyncio.run(import_baselines.bare_insert_seconds(spec.import_url, spec.bare_url))
    entries_only = asyncio.run(
        import_baselines.bare_insert_seconds(
            spec.import_url, spec.entries_url, import_baselines.ENTRIES_ONLY
        )
    )
    entries = min(ORM_SAMPLE_ENTRIES, recorded)
    objects = asyncio.run(import_baselines.orm_sample(spec.import_url, first_index, entries))
    orm = asyncio.run(import_baselines.orm_insert_seconds(spec.orm_url, objects))
    # The sample stands for the file rows that yield that many recorded entries.
    orm_rows = entries * spec.rows / recorded
    return {
        "bare_seconds": round(bare["total"], 2),
        "bare_rows_per_second": round(spec.rows / bare["total"]),
        "bare_seconds_by_table": {table: round(spent, 3) for table, spent in bare.items()},
        "entries_only_seconds": round(entries_only["total"], 2),
        "entries_only_rows_per_second": round(spec.rows / entries_only["total"]),
        "orm_sample_entries": entries,
        "orm_seconds": round(orm, 2),
        "orm_rows_per_second": round(orm_rows / orm),
    }


def main() -> None:
    spec = msgspec.json.decode(sys.argv[1], type=ChildSpec)
    print(msgspec.json.encode(measure(spec)).decode(), flush=True)


if __name__ == "__main__":
    main()
