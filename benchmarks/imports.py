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
pure Python (``CREDITBANK_PURE_PYTHON=1``: the lean path on its own). ``--profile`` instead runs
cProfile over one import on the first backend given.
"""

from __future__ import annotations

import asyncio
import cProfile
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
from benchmarks.imports_child import ChildSpec, run_import
from creditbank import compiled

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (100_000, 1_000_000)
PURE_PYTHON_SIZE_MAX = 100_000  # sizes the pure-Python core also runs at
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


def _child(backend: str, made: ImportFile, pure_python: bool) -> dict[str, Any]:
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


def print_table(results: dict[str, dict[str, dict[str, Any]]]) -> None:
    print("  ".join(name.rjust(width) for name, width in COLUMNS))
    for backend, runs in results.items():
        for figures in runs.values():
            print(_row(backend, figures))
    for backend, runs in results.items():
        low, high = runs.get(f"compiled/{RSS_GROWTH_FROM}"), runs.get(f"compiled/{RSS_GROWTH_TO}")
        if low is None or high is None:
            continue
        per_row = high["import_us_per_row"] / low["import_us_per_row"]
        rss = high["peak_rss_mb"] / low["peak_rss_mb"]
        print(f"{backend}: 1M/100k time per row {per_row:.2f}x, peak RSS {rss:.2f}x")
    for backend, runs in results.items():
        for name, figures in runs.items():
            tables = ", ".join(f"{t} {s:.2f}" for t, s in figures["bare_seconds_by_table"].items())
            print(f"{backend} {name} bare seconds by table: {tables}")
    print(flush=True)


def run(backends: Sequence[str], sizes: Sequence[int]) -> dict[str, dict[str, dict[str, Any]]]:
    """Figures by backend, then by "<core>/<file rows>"."""
    results: dict[str, dict[str, dict[str, Any]]] = {backend: {} for backend in backends}
    with tempfile.TemporaryDirectory(prefix="creditbank-bench-files-") as directory:
        for rows in sizes:
            made = _generate(Path(directory), rows)
            for backend in backends:
                for pure_python in (False, True):
                    if pure_python and rows > PURE_PYTHON_SIZE_MAX:
                        continue
                    figures = _child(backend, made, pure_python)
                    name = f"{_core_name(figures)}/{rows}"
                    results[backend][name] = figures
                    print(f"[imports/{backend}/{name}] {msgspec.json.encode(figures).decode()}")
            made.path.unlink()
    print_table(results)
    return results


def _print_top(profile: cProfile.Profile, order: str) -> None:
    print(f"[imports/profile] top {PROFILE_TOP} by {order}", flush=True)
    pstats.Stats(profile, stream=sys.stdout).strip_dirs().sort_stats(order).print_stats(PROFILE_TOP)


def profile(backend: str, rows: int) -> None:
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
        done = asyncio.run(run_import(url, made.path, Path(directory), profiler))
    assert done.job.result == "committed", done.job
    print(
        f"[imports/profile] {rows} rows on {backend} in {done.seconds:.1f} s under the profiler",
        flush=True,
    )
    _print_top(profiler, "cumulative")
    _print_top(profiler, "tottime")
