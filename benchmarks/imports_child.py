"""One import, measured in a process of its own: ``python -m benchmarks.imports_child SPEC``.

SPEC is JSON (see ``ChildSpec``): the file, what it holds, and three migrated, empty databases
of one backend (the import's, the bare baseline's and the ORM baseline's), made by the parent so
that migrating costs this process no memory. The child registers the issuer, publishes the
standard, runs the import through ``ImportDesk.run_local``, checks its counts, reads its peak RSS,
then feeds the rows the import wrote to the two baselines. Its last stdout line is the figures
as JSON.
"""

from __future__ import annotations

import asyncio
import cProfile
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

from benchmarks import import_baselines
from benchmarks.import_files import ISSUER_ID, ISSUER_NAME, SAFETY
from creditbank.keys import KeyRing
from creditbank.privacy import Pseudonymizer
from creditbank.service.bank import Bank
from creditbank.service.imports.pipeline import ImportOptions
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
    orm_url: str


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


async def ready_to_import(bank: Bank) -> ImportOptions:
    """Start the bank, register the issuer, publish the standard; the import's options."""
    await bank.start()
    assert bank.writes_disabled is None, bank.writes_disabled
    await bank.deposits.register_issuer(
        IssuerRegistration(issuer_id=ISSUER_ID, name=ISSUER_NAME, kind="enterprise")
    )
    await bank.standards.publish(SAFETY)
    return ImportOptions(issuer_id=ISSUER_ID, file_format="csv", on_error="skip")


async def run_import(
    url: str, path: Path, work: Path, profiler: cProfile.Profile | None = None
) -> tuple[JobRow, float]:
    """Register the issuer, publish the standard, import the file; the job and its seconds."""
    bank = bench_bank(url, work)
    try:
        options = await ready_to_import(bank)
        if profiler is not None:
            profiler.enable()
        started = time.perf_counter()
        job = await bank.imports.run_local(options, path)
        seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
        return job, seconds
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


def measure(spec: ChildSpec) -> dict[str, Any]:
    rss_before = _proc_status_mb("VmRSS") or ru_maxrss_mb()
    with tempfile.TemporaryDirectory(prefix="creditbank-bench-import-") as directory:
        job, seconds = asyncio.run(run_import(spec.import_url, Path(spec.path), Path(directory)))
    rss_peak, ru_maxrss = peak_rss_mb(), ru_maxrss_mb()
    first_index = check_job(job, spec)
    recorded = spec.rows - spec.malformed - spec.duplicates
    bare = asyncio.run(import_baselines.bare_insert_seconds(spec.import_url, spec.bare_url))
    entries = min(ORM_SAMPLE_ENTRIES, recorded)
    objects = asyncio.run(import_baselines.orm_sample(spec.import_url, first_index, entries))
    orm = asyncio.run(import_baselines.orm_insert_seconds(spec.orm_url, objects))
    # The sample stands for the file rows that yield that many recorded entries.
    orm_rows = entries * spec.rows / recorded
    return {
        "rows": spec.rows,
        "recorded": recorded,
        "import_seconds": round(seconds, 2),
        "import_rows_per_second": round(spec.rows / seconds),
        "rss_before_import_mb": round(rss_before, 1),
        "peak_rss_mb": round(rss_peak, 1),
        "ru_maxrss_mb": round(ru_maxrss, 1),
        "bare_seconds": round(bare, 2),
        "bare_rows_per_second": round(spec.rows / bare),
        "orm_sample_entries": entries,
        "orm_seconds": round(orm, 2),
        "orm_rows_per_second": round(orm_rows / orm),
    }


def main() -> None:
    spec = msgspec.json.decode(sys.argv[1], type=ChildSpec)
    print(msgspec.json.encode(measure(spec)).decode(), flush=True)


if __name__ == "__main__":
    main()
