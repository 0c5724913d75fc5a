"""The bulk import, end to end, on each database.

For each database and file size (100k and 1M rows by default; UTF-8 CSV with Chinese headers,
2% malformed and 1% duplicate rows, see ``import_files``), one child process (``imports_child``)
imports the file into a fresh database and reports:
- import rows/s (file rows over the seconds of ``ImportDesk.run_local``), counts checked;
- CPU µs per row of the importing process, and the µs per row its row loop waited for the
  database (what overlapping the writes with the next rows did not hide);
- the child's peak RSS (VmHWM; getrusage's ru_maxrss inherits the parent's peak across exec);
- bare rows/s: every row the import wrote, inserted by COPY / executemany in one transaction,
  with the seconds each table took;
- entries-only rows/s: the log entries alone, the same way (the physical limit);
- ORM rows/s: a 20,000-entry sample of them through ``session.add``, scaled to file rows;
and the ratios import/bare, import/entries-only and import/ORM; per database, the 1M/100k ratios
of time per row and of peak RSS. Each size runs with the compiled core and, at 100k, again in
pure Python (``CREDITBANK_PURE_PYTHON=1``: the lean path on its own). At sizes up to 100k the
same rows are imported again as a workbook (``import_sheets``: written once, not timed), through
the same path, with the compiled core and without the baselines: its rows/s, peak RSS and the
ratio of its speed to the CSV's measured in the same run. ``--profile`` instead runs cProfile
over one import on the first backend given (``--profile-sheet``: of the workbook twin).
"""

from __future__ import annotations

import asyncio
import cProfile
import dataclasses
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import msgspec

from benchmarks.databases import scratch_database
from benchmarks.import_files import ImportFile, write_import_file
from benchmarks.import_sheets import write_sheet_twin
from benchmarks.imports_child import ChildSpec, run_import
from creditbank import compiled
from creditbank.service.imports.pipeline import FileFormat

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (100_000, 1_000_000)
PURE_PYTHON_SIZE_MAX = 100_000  # sizes the pure-Python core also runs at
# Sizes the workbook twin also runs at: writing a workbook takes a while, and calamine holds the
# sheet in memory (a million rows is ~0.5 GB more).
SHEET_SIZE_MAX = 100_000
# The goal: a workbook imports at least half as fast as the same rows as CSV.
SHEET_VS_CSV_GOAL = 0.5
PROFILE_TOP = 25
RSS_GROWTH_FROM, RSS_GROWTH_TO = 100_000, 1_000_000
COLUMNS = (
    ("database", 10),
    ("core", 8),
    ("rows", 9),
    ("import rec/s", 12),
    ("CPU us/row", 10),
    ("DB wait us/row", 14),
    ("peak RSS MB", 11),
    ("bare rec/s", 10),
    ("import/bare", 11),
    ("entries rec/s", 13),
    ("import/entries", 14),
    ("import/ORM", 10),
)


def parse_sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    assert sizes, f"no sizes in --sizes {text!r}"
    assert all(size > 0 for size in sizes), f"bad --sizes {text!r}"
    return sizes


def _generate(directory: Path, rows: int) -> ImportFile:
    started = time.perf_counter()
    made = write_import_file(directory / f"import-{rows}.csv", rows)
    megabytes = made.path.stat().st_size / 1e6
    print(
        f"[imports] generated {rows} rows ({megabytes:.0f} MB, {made.malformed} malformed, "
        f"{made.duplicates} duplicates) in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return made


def _sheet_twin(made: ImportFile) -> ImportFile:
    started = time.perf_counter()
    path = write_sheet_twin(made.path, made.path.with_suffix(".xlsx"))
    megabytes = path.stat().st_size / 1e6
    seconds = time.perf_counter() - started
    print(f"[imports] wrote its workbook twin ({megabytes:.0f} MB) in {seconds:.1f} s", flush=True)
    return dataclasses.replace(made, path=path)


def _child(
    backend: str, made: ImportFile, pure_python: bool, file_format: FileFormat = "csv"
) -> dict[str, Any]:
    """Run one import in a fresh process, with four fresh databases of the backend."""
    with ExitStack() as stack:
        urls = [stack.enter_context(scratch_database(backend)) for _ in range(4)]
        spec = ChildSpec(
            path=str(made.path),
            rows=made.rows,
            malformed=made.malformed,
            duplicates=made.duplicates,
            import_url=urls[0],
            bare_url=urls[1],
            entries_url=urls[2],
            orm_url=urls[3],
            file_format=file_format,
            baselines=file_format == "csv",
        )
        completed = subprocess.run(
            [sys.executable, "-m", "benchmarks.imports_child", msgspec.json.encode(spec).decode()],
            cwd=REPOSITORY,
            check=False,
            capture_output=True,
            text=True,
            env={**os.environ, "CREDITBANK_PURE_PYTHON": "1" if pure_python else "0"},
        )
    if completed.returncode != 0:
        raise RuntimeError(f"the {backend} import of {made.rows} rows failed:\n{completed.stderr}")
    figures: dict[str, Any] = msgspec.json.decode(completed.stdout.strip().splitlines()[-1])
    if not spec.baselines:
        return figures
    speed = figures["import_rows_per_second"]
    figures["import_vs_bare"] = round(speed / figures["bare_rows_per_second"], 2)
    figures["import_vs_entries_only"] = round(speed / figures["entries_only_rows_per_second"], 2)
    figures["import_vs_orm"] = round(speed / figures["orm_rows_per_second"], 2)
    return figures


def _core_name(figures: dict[str, Any]) -> str:
    return "compiled" if figures["core"] == "compiled" else "pure"


def _row(backend: str, figures: dict[str, Any]) -> str:
    cells = (
        backend,
        _core_name(figures),
        f"{figures['rows']:,}",
        f"{figures['import_rows_per_second']:,}",
        f"{figures['cpu_us_per_row']:.1f}",
        f"{figures['awaited_db_us_per_row']:.1f}",
        f"{figures['peak_rss_mb']:.0f}",
        f"{figures['bare_rows_per_second']:,}",
        f"{figures['import_vs_bare']:.2f}",
        f"{figures['entries_only_rows_per_second']:,}",
        f"{figures['import_vs_entries_only']:.2f}",
        f"{figures['import_vs_orm']:.2f}",
    )
    return "  ".join(cell.rjust(width) for cell, (_, width) in zip(cells, COLUMNS, strict=True))


def _csv_runs(runs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: figures for name, figures in runs.items() if not name.startswith("sheet/")}


def print_sheet_table(results: dict[str, dict[str, dict[str, Any]]]) -> None:
    """The workbook runs beside the CSV runs of the same size and core."""
    for backend, runs in results.items():
        for name, figures in runs.items():
            if not name.startswith("sheet/"):
                continue
            csv = runs[f"{_core_name(figures)}/{figures['rows']}"]
            verdict = "meets" if figures["sheet_vs_csv"] >= SHEET_VS_CSV_GOAL else "misses"
            print(
                f"{backend} {figures['rows']:,} rows: csv {csv['import_rows_per_second']:,} "
                f"rec/s, workbook {figures['import_rows_per_second']:,} rec/s, workbook/csv "
                f"{figures['sheet_vs_csv']:.2f} ({verdict} the {SHEET_VS_CSV_GOAL} goal), peak "
                f"RSS {csv['peak_rss_mb']:.0f} / {figures['peak_rss_mb']:.0f} MB"
            )


def print_table(results: dict[str, dict[str, dict[str, Any]]]) -> None:
    print("  ".join(name.rjust(width) for name, width in COLUMNS))
    for backend, runs in results.items():
        for figures in _csv_runs(runs).values():
            print(_row(backend, figures))
    for backend, runs in results.items():
        low, high = runs.get(f"compiled/{RSS_GROWTH_FROM}"), runs.get(f"compiled/{RSS_GROWTH_TO}")
        if low is None or high is None:
            continue
        per_row = high["import_us_per_row"] / low["import_us_per_row"]
        rss = high["peak_rss_mb"] / low["peak_rss_mb"]
        print(f"{backend}: 1M/100k time per row {per_row:.2f}x, peak RSS {rss:.2f}x")
    for backend, runs in results.items():
        for name, figures in _csv_runs(runs).items():
            tables = ", ".join(f"{t} {s:.2f}" for t, s in figures["bare_seconds_by_table"].items())
            print(f"{backend} {name} bare seconds by table: {tables}")
    print_sheet_table(results)
    print(flush=True)


def run(backends: Sequence[str], sizes: Sequence[int]) -> dict[str, dict[str, dict[str, Any]]]:
    """Figures by backend, then by "<core>/<file rows>"."""
    results: dict[str, dict[str, dict[str, Any]]] = {backend: {} for backend in backends}
    with tempfile.TemporaryDirectory(prefix="creditbank-bench-files-") as directory:
        for rows in sizes:
            made = _generate(Path(directory), rows)
            sheet = _sheet_twin(made) if rows <= SHEET_SIZE_MAX else None
            for backend in backends:
                for pure_python in (False, True):
                    if pure_python and rows > PURE_PYTHON_SIZE_MAX:
                        continue
                    figures = _child(backend, made, pure_python)
                    name = f"{_core_name(figures)}/{rows}"
                    results[backend][name] = figures
                    print(f"[imports/{backend}/{name}] {msgspec.json.encode(figures).decode()}")
                if sheet is not None:
                    _run_sheet(results[backend], backend, sheet)
            made.path.unlink()
            if sheet is not None:
                sheet.path.unlink()
    print_table(results)
    return results


def _run_sheet(runs: dict[str, dict[str, Any]], backend: str, sheet: ImportFile) -> None:
    """The workbook twin's import, and its speed over the CSV's (compiled, same run)."""
    figures = _child(backend, sheet, pure_python=False, file_format="sheet")
    csv_speed = runs[f"{_core_name(figures)}/{sheet.rows}"]["import_rows_per_second"]
    figures["sheet_vs_csv"] = round(figures["import_rows_per_second"] / csv_speed, 2)
    runs[f"sheet/{sheet.rows}"] = figures
    print(f"[imports/{backend}/sheet/{sheet.rows}] {msgspec.json.encode(figures).decode()}")


def _print_top(profile: cProfile.Profile, order: str) -> None:
    print(f"[imports/profile] top {PROFILE_TOP} by {order}", flush=True)
    pstats.Stats(profile, stream=sys.stdout).strip_dirs().sort_stats(order).print_stats(PROFILE_TOP)


def profile(backend: str, rows: int, file_format: FileFormat = "csv") -> None:
    """cProfile over one import of ``rows`` on ``backend``. Only the event loop's thread is seen:
    the database's own work (PostgreSQL's process, aiosqlite's thread) shows as the loop waiting
    for it. Compiled functions do not show at all: ``CREDITBANK_PURE_PYTHON=1`` profiles the
    pure modules instead."""
    print(f"[imports/profile] the import core runs {compiled.status}", flush=True)
    profiler = cProfile.Profile()
    with (
        tempfile.TemporaryDirectory(prefix="creditbank-bench-profile-") as directory,
        scratch_database(backend) as url,
    ):
        made = _generate(Path(directory), rows)
        if file_format == "sheet":
            made = _sheet_twin(made)
        done = asyncio.run(run_import(url, made.path, Path(directory), profiler, file_format))
    assert done.job.result == "committed", done.job
    print(
        f"[imports/profile] {rows} rows ({file_format}) on {backend} in {done.seconds:.1f} s "
        "under the profiler",
        flush=True,
    )
    _print_top(profiler, "cumulative")
    _print_top(profiler, "tottime")
