"""``python -m benchmarks`` (``make bench``): run every benchmark on every available database.

``python -m benchmarks imports`` (or ``ledger``, ``rules``, ``archive``, ``statistics``,
``load``) runs one suite; ``--sizes`` sets the import file sizes, ``--load-*`` and ``--workers``
bound the load suite (``benchmarks.load``), ``imports --profile`` profiles one import instead of
measuring (the first size, on the first backend: ``--backends postgresql`` profiles PostgreSQL;
with ``--profile-sheet`` the same rows as a workbook), and ``--archive-entries`` sets the log
length the archive suite reads a learner's archive from, ``--statistics-outcomes`` the outcomes
the statistics suite's reports count. Figures are printed and written to
``benchmarks/results/<timestamp>.json``. The machine's speed drifts between runs, so compare
ratios measured within one run, never figures across runs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
from pathlib import Path

from benchmarks import archive, imports, ledger, load, rules
from benchmarks import statistics as statistics_suite
from benchmarks.databases import drop_leftover_databases, postgres_available, scratch_database

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SUITES = ("all", "ledger", "rules", "imports", "archive", "statistics", "load")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("suite", nargs="?", choices=SUITES, default="all")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--sizes",
        default=",".join(str(size) for size in imports.DEFAULT_SIZES),
        help="import file rows, comma-separated",
    )
    parser.add_argument(
        "--archive-entries",
        type=int,
        default=archive.DEFAULT_LOG_ENTRIES,
        help="archive: log entries to fill the log to (e.g. 50000 for a quick run)",
    )
    parser.add_argument(
        "--statistics-outcomes",
        type=int,
        default=statistics_suite.DEFAULT_OUTCOMES,
        help="statistics: outcomes in the log the reports count (e.g. 50000 for a quick run)",
    )
    parser.add_argument(
        "--load-clients",
        default=",".join(str(count) for count in load.DEFAULT_CLIENTS),
        help="load: concurrent clients, comma-separated",
    )
    parser.add_argument("--load-requests", type=int, default=load.DEFAULT_REQUESTS)
    parser.add_argument("--load-seconds", type=float, default=load.DEFAULT_SECONDS)
    parser.add_argument(
        "--load-import-rows",
        type=int,
        default=load.DEFAULT_IMPORT_ROWS,
        help="load: rows of the import run beside the deposits (0: none)",
    )
    parser.add_argument("--workers", type=int, default=1, help="load: serving processes")
    parser.add_argument(
        "--load-rate",
        type=float,
        default=load.DEFAULT_RATE,
        help="load: deposits a second during the import (open loop)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="imports: cProfile one import (the first of --sizes, on the first of --backends)",
    )
    parser.add_argument(
        "--profile-sheet",
        action="store_true",
        help="imports: with --profile, profile the import of the rows as a workbook",
    )
    return parser.parse_args()


def main() -> None:
    arguments = _arguments()
    suite = arguments.suite
    backends = [name for name in arguments.backends.split(",") if name]
    if "postgresql" in backends and not postgres_available():
        print("PostgreSQL is not reachable; benchmarking SQLite only")
        backends.remove("postgresql")
    if "postgresql" in backends:
        drop_leftover_databases()
    if arguments.profile:
        file_format = "sheet" if arguments.profile_sheet else "csv"
        imports.profile(backends[0], imports.parse_sizes(arguments.sizes)[0], file_format)
        return
    report: dict[str, object] = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    if suite in ("all", "ledger"):
        report["ledger"] = {}
        for backend in backends:
            with scratch_database(backend) as url:
                figures = ledger.run(url)
            report["ledger"][backend] = figures  # type: ignore[index]
            print(f"[ledger/{backend}] {json.dumps(figures, ensure_ascii=False)}", flush=True)
    if suite in ("all", "rules"):
        report["rules"] = rules.run()  # pure: no database
        print(f"[rules] {json.dumps(report['rules'], ensure_ascii=False)}", flush=True)
    if suite in ("all", "imports"):
        report["imports"] = imports.run(backends, imports.parse_sizes(arguments.sizes))
    if suite in ("all", "archive"):
        report["archive"] = archive.run(backends, arguments.archive_entries)
    if suite in ("all", "statistics"):
        report["statistics"] = statistics_suite.run(backends, arguments.statistics_outcomes)
    if suite in ("all", "load"):
        report["load"] = load.run(
            backends,
            clients=tuple(int(count) for count in arguments.load_clients.split(",")),
            requests=arguments.load_requests,
            seconds=arguments.load_seconds,
            import_rows=arguments.load_import_rows,
            workers=arguments.workers,
            rate=arguments.load_rate,
        )
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS_DIR / f"{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
