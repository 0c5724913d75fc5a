"""The bulk import, end to end, on each database.

For each database and file size (10k, 100k and 1M rows by default; UTF-8 CSV with Chinese
headers, 2% malformed and 1% duplicate rows, see ``import_files``), one child process
(``imports_child``) imports the file into a fresh database and reports:
- import records/s (file rows over the seconds of ``ImportDesk.run_local``), counts checked;
- the child's peak RSS (VmHWM; getrusage's ru_maxrss inherits the parent's peak across exec),
  and its growth from 100k to 1M rows (what memory does with size);
- bare records/s: the rows the import wrote, inserted by COPY / executemany in one transaction;
- ORM records/s: a 20,000-entry sample of them through ``session.add``, scaled to file rows;
and import/bare and import/ORM ratios. ``--profile`` instead runs cProfile over one 100k SQLite
import and prints the top functions.
"""

from __future__ import annotations

import asyncio
import cProfile
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

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
PROFILE_ROWS = 100_000
PROFILE_TOP = 25
RSS_GROWTH_FROM, RSS_GROWTH_TO = 100_000, 1_000_000
COLUMNS = (
    ("database", 10),
    ("rows", 9),
    ("import rec/s", 12),
    ("peak RSS MB", 11),
    ("bare rec/s", 11),
    ("import/bare", 11),
    ("ORM rec/s", 10),
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


def _child(backend: str, made: ImportFile) -> dict[str, Any]:
    """Run one import in a fresh process, with three fresh databases of the backend."""
    with ExitStack() as stack:
        urls = [stack.enter_context(scratch_database(backend)) for _ in range(3)]
        spec = ChildSpec(
            path=str(made.path),
            rows=made.rows,
            malformed=made.malformed,
            duplicates=made.duplicates,
            import_url=urls[0],
            bare_url=urls[1],
            orm_url=urls[2],
        )
        completed = subprocess.run(
            [sys.executable, "-m", "benchmarks.imports_child", msgspec.json.encode(spec).decode()],
            cwd=REPOSITORY,
            check=False,
            capture_output=True,
            text=True,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"the {backend} import of {made.rows} rows failed:\n{completed.stderr}")
    figures: dict[str, Any] = msgspec.json.decode(completed.stdout.strip().splitlines()[-1])
    figures["import_vs_bare"] = round(
        figures["import_rows_per_second"] / figures["bare_rows_per_second"], 2
    )
    figures["import_vs_orm"] = round(
        figures["import_rows_per_second"] / figures["orm_rows_per_second"], 2
    )
    return figures


def _row(backend: str, figures: dict[str, Any]) -> str:
    cells = (
        backend,
        f"{figures['rows']:,}",
        f"{figures['import_rows_per_second']:,}",
        f"{figures['peak_rss_mb']:.0f}",
        f"{figures['bare_rows_per_second']:,}",
        f"{figures['import_vs_bare']:.2f}",
        f"{figures['orm_rows_per_second']:,}",
        f"{figures['import_vs_orm']:.2f}",
    )
    return "  ".join(cell.rjust(width) for cell, (_, width) in zip(cells, COLUMNS, strict=True))


def print_table(results: dict[str, dict[str, dict[str, Any]]]) -> None:
    print("  ".join(name.rjust(width) for name, width in COLUMNS))
    for backend, by_size in results.items():
        for figures in by_size.values():
            print(_row(backend, figures))
    for backend, by_size in results.items():
        low, high = by_size.get(str(RSS_GROWTH_FROM)), by_size.get(str(RSS_GROWTH_TO))
        if low is not None and high is not None:
            growth = high["peak_rss_mb"] - low["peak_rss_mb"]
            print(f"{backend}: peak RSS grows {growth:+.0f} MB from 100k to 1M rows")
    print(flush=True)


def run(backends: Sequence[str], sizes: Sequence[int]) -> dict[str, dict[str, dict[str, Any]]]:
    """Figures by backend, then by file rows (as text, for JSON)."""
    results: dict[str, dict[str, dict[str, Any]]] = {backend: {} for backend in backends}
    with tempfile.TemporaryDirectory(prefix="creditbank-bench-files-") as directory:
        for rows in sizes:
            made = _generate(Path(directory), rows)
            for backend in backends:
                figures = _child(backend, made)
                results[backend][str(rows)] = figures
                print(f"[imports/{backend}/{rows}] {msgspec.json.encode(figures).decode()}")
            made.path.unlink()
    print_table(results)
    return results


def _print_top(profile: cProfile.Profile, order: str) -> None:
    print(f"[imports/profile] top {PROFILE_TOP} by {order}", flush=True)
    pstats.Stats(profile, stream=sys.stdout).strip_dirs().sort_stats(order).print_stats(PROFILE_TOP)


def profile(rows: int = PROFILE_ROWS) -> None:
    """cProfile over one SQLite import of ``rows``; only the event loop's thread is seen, so
    SQLite's own work (aiosqlite's thread) shows as the loop waiting for it."""
    profiler = cProfile.Profile()
    with (
        tempfile.TemporaryDirectory(prefix="creditbank-bench-profile-") as directory,
        scratch_database("sqlite") as url,
    ):
        made = _generate(Path(directory), rows)
        job, seconds = asyncio.run(run_import(url, made.path, Path(directory), profiler))
    assert job.result == "committed", job
    print(f"[imports/profile] {rows} rows in {seconds:.1f} s under the profiler", flush=True)
    _print_top(profiler, "cumulative")
    _print_top(profiler, "tottime")
