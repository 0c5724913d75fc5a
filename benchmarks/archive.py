"""A learner's archive and export latency in a long log, on each database.

Per database, in a fresh scratch database: one bulk import fills the log to about
``log_entries`` entries (the import benchmark's generated CSV; its ~3% malformed and duplicate
rows are not recorded, so that many more are written; the tree size is reported as found). Into
that file, evenly spread through it, go ``LEARNER_OUTCOMES`` rows of one more learner (a
resident ID the generator never uses), so their entries are scattered across the whole log
as a working life would scatter them.
On PostgreSQL a ``VACUUM (ANALYZE)`` then stands in for autovacuum catching up after the import.
Then, after ``WARMUP`` calls each, it times ``bank.archives.archive`` as an admin with page
sizes 50 and 200, and ``bank.archives.export`` (every entry with its inclusion proof), and the
learner's own pages as the service serves them (``benchmarks.archive_page``: the archive page
and one outcome's page with its checked receipt), and reports p50, p99 and max in
milliseconds, the tree size, and how long filling took.
"""

from __future__ import annotations

import asyncio
import csv
import datetime
import functools
import json
import math
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.archive_page import PAGE_MEASUREMENTS, page_timings
from benchmarks.databases import scratch_database
from benchmarks.import_files import (
    DUPLICATE_SHARE,
    ISSUER_ID,
    MALFORMED_SHARE,
    SAFETY_COURSES,
)
from benchmarks.import_files import write_import_file as write_generated_file
from benchmarks.imports_child import bench_bank, ready_to_import
from creditbank.learners.archive import ArchiveFilter
from creditbank.privacy import Pseudonymizer, normalise_identifier
from creditbank.service.bank import Bank
from creditbank.tokens import Principal

ORIGIN = "creditbank.bench/archive"
DEFAULT_LOG_ENTRIES = 1_000_000
LEARNER_OUTCOMES = 200
# Entries the log holds besides the file's rows: the issuer, the standard, the batch record.
OTHER_ENTRIES = 10
# Birth 1990-05-17 under 110105 (the generator's numbers are 310115...): no generated learner.
LEARNER_ID = "110105199005170011"
LEARNER_NAME = "欧阳明远"
WARMUP = 5
# (figure name, calls, page size); page size None is the export.
MEASUREMENTS: tuple[tuple[str, int, int | None], ...] = (
    ("archive_page_50", 200, 50),
    ("archive_page_200", 50, 200),
    ("export", 20, None),
)
PAGES = tuple(name for name, _ in PAGE_MEASUREMENTS)
COLUMNS = (("database", 10), ("tree size", 10), ("call", 16), ("n", 4))
FIGURE_COLUMNS = ("p50_ms", "p99_ms", "max_ms")


def learner_ref(pseudonymizer: Pseudonymizer) -> str:
    identifier = normalise_identifier("cn_resident_id", LEARNER_ID, issuer_id=ISSUER_ID)
    return pseudonymizer.learner_ref(identifier)


def _learner_row(serial: int) -> tuple[str, ...]:
    code, title = SAFETY_COURSES[serial % len(SAFETY_COURSES)]
    completed = datetime.date(2025, 1, 1) + datetime.timedelta(days=serial * 365 // 200 % 365)
    return (
        f"ARC{serial:06d}", LEARNER_ID, LEARNER_NAME, code, title, "16",
        f"{80 + serial % 20}.5", "合格", f"{completed:%Y-%m-%d}", "enterprise_training",
    )  # fmt: skip


def write_log_file(directory: Path, rows: int) -> int:
    """``rows`` generated rows with the learner's rows spread through them; rows written."""
    generated = write_generated_file(directory / "generated.csv", rows)
    step = max(1, rows // LEARNER_OUTCOMES)
    serial = 0
    path = directory / "log.csv"
    with (
        generated.path.open(encoding="utf-8", newline="") as source,
        path.open("w", encoding="utf-8", newline="") as target,
    ):
        writer = csv.writer(target, lineterminator="\r\n")
        target.write(next(source))  # the header
        for number, line in enumerate(source, start=1):
            target.write(line)
            if number % step == 0 and serial < LEARNER_OUTCOMES:
                writer.writerow(_learner_row(serial))
                serial += 1
        while serial < LEARNER_OUTCOMES:
            writer.writerow(_learner_row(serial))
            serial += 1
    generated.path.unlink()
    return rows + LEARNER_OUTCOMES


def summary(milliseconds: Sequence[float]) -> dict[str, float]:
    cuts = statistics.quantiles(milliseconds, n=100, method="inclusive")
    return {
        "calls": len(milliseconds),
        "p50_ms": round(statistics.median(milliseconds), 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(max(milliseconds), 2),
    }


async def _timed(call: Callable[[], Awaitable[object]], calls: int) -> dict[str, float]:
    for _ in range(WARMUP):
        await call()
    milliseconds = []
    for _ in range(calls):
        started = time.perf_counter()
        await call()
        milliseconds.append((time.perf_counter() - started) * 1000)
    return summary(milliseconds)


async def _fill(bank: Bank, path: Path) -> dict[str, Any]:
    options = await ready_to_import(bank)
    started = time.perf_counter()
    job = await bank.imports.run_local(options, path)
    seconds = time.perf_counter() - started
    assert job.result == "committed", (job.state, job.result, job.error_code, job.error_detail)
    assert job.counts is not None
    return {"import_seconds": round(seconds, 1), "recorded": job.counts.recorded}


async def _vacuum(bank: Bank) -> float:
    """VACUUM (ANALYZE) on PostgreSQL (autovacuum's work after a bulk load); 0 on SQLite."""
    if bank.engine.dialect.name != "postgresql":
        return 0.0
    started = time.perf_counter()
    async with bank.engine.connect() as plain:
        connection = await plain.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(sa.text("VACUUM (ANALYZE)"))
    return round(time.perf_counter() - started, 1)


async def _measure(url: str, path: Path, work: Path) -> dict[str, Any]:
    bank = bench_bank(url, work, ORIGIN)
    try:
        figures = await _fill(bank, path)
        figures["vacuum_analyze_seconds"] = await _vacuum(bank)
        admin, ref = Principal(role="admin"), learner_ref(bank.pseudonymizer)
        first = await bank.archives.archive(admin, ref, ArchiveFilter(page_size=50))
        assert first.outcomes_total == LEARNER_OUTCOMES, first.outcomes_total
        figures["tree_size"] = first.tree_size
        bundle = await bank.archives.export(admin, ref)
        # The learner's entries, and those of the documents the archive names (issuer, standard).
        assert len(bundle.entries) >= LEARNER_OUTCOMES, len(bundle.entries)
        figures["export_entries"] = len(bundle.entries)
        # Other work on the machine skews the tail: keep the load seen around the timing.
        figures["load_average_before"] = round(os.getloadavg()[0], 2)
        for name, calls, page_size in MEASUREMENTS:
            call: Callable[[], Awaitable[object]] = functools.partial(
                bank.archives.export, admin, ref
            )
            if page_size is not None:
                query = ArchiveFilter(page_size=page_size)
                call = functools.partial(bank.archives.archive, admin, ref, query)
            figures[name] = await _timed(call, calls)
    finally:
        await bank.engine.dispose()
    figures.update(await page_timings(url, work, ORIGIN, LEARNER_ID, summary))
    figures["load_average_after"] = round(os.getloadavg()[0], 2)
    return figures


def measure_backend(backend: str, log_entries: int, directory: Path) -> dict[str, Any]:
    # The generator's malformed and duplicate rows are not recorded: write enough more rows
    # that the log still reaches about ``log_entries``.
    recorded_share = 1 - MALFORMED_SHARE - DUPLICATE_SHARE
    wanted = log_entries - LEARNER_OUTCOMES - OTHER_ENTRIES
    rows = max(LEARNER_OUTCOMES, math.ceil(wanted / recorded_share))
    started = time.perf_counter()
    file_rows = write_log_file(directory, rows)
    generate_seconds = time.perf_counter() - started
    with scratch_database(backend) as url:
        figures = asyncio.run(_measure(url, directory / "log.csv", directory))
    (directory / "log.csv").unlink()
    fill = {
        "log_entries_asked": log_entries,
        "file_rows": file_rows,
        "learner_outcomes": LEARNER_OUTCOMES,
        "generate_seconds": round(generate_seconds, 1),
        "fill_seconds": round(generate_seconds + figures["import_seconds"], 1),
    }
    return fill | figures


def print_table(results: dict[str, dict[str, Any]]) -> None:
    headers = [name for name, _ in COLUMNS] + [name.removesuffix("_ms") for name in FIGURE_COLUMNS]
    widths = [width for _, width in COLUMNS] + [9] * len(FIGURE_COLUMNS)
    print("  ".join(header.rjust(width) for header, width in zip(headers, widths, strict=True)))
    for backend, figures in results.items():
        for name in [name for name, _, _ in MEASUREMENTS] + list(PAGES):
            timing = figures[name]
            cells = [backend, f"{figures['tree_size']:,}", name, str(timing["calls"])]
            cells += [f"{timing[column]:.1f}" for column in FIGURE_COLUMNS]
            print("  ".join(cell.rjust(width) for cell, width in zip(cells, widths, strict=True)))
    for backend, figures in results.items():
        print(
            f"{backend}: filled {figures['tree_size']:,} entries in {figures['fill_seconds']} s "
            f"(import {figures['import_seconds']} s)"
        )
    print(flush=True)


def run(backends: list[str], log_entries: int = DEFAULT_LOG_ENTRIES) -> dict[str, Any]:
    """Figures by backend."""
    results: dict[str, dict[str, Any]] = {}
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="creditbank-bench-archive-") as directory:
            figures = measure_backend(backend, log_entries, Path(directory))
        results[backend] = figures
        print(f"[archive/{backend}] {json.dumps(figures, ensure_ascii=False)}", flush=True)
    print_table(results)
    return results
