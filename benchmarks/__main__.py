"""``python -m benchmarks`` (``make bench``): run every benchmark on every available database.

Figures are printed and written to ``benchmarks/results/<timestamp>.json``. The machine's speed
drifts between runs, so compare ratios measured within one run, never figures across runs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
from pathlib import Path

from benchmarks import ledger, rules
from benchmarks.databases import postgres_available, scratch_database

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--backends", default="sqlite,postgresql")
    arguments = parser.parse_args()
    backends = [name for name in arguments.backends.split(",") if name]
    if "postgresql" in backends and not postgres_available():
        print("PostgreSQL is not reachable; benchmarking SQLite only")
        backends.remove("postgresql")
    report: dict[str, object] = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "ledger": {},
    }
    for backend in backends:
        with scratch_database(backend) as url:
            figures = ledger.run(url)
        report["ledger"][backend] = figures  # type: ignore[index]
        print(f"[ledger/{backend}] {json.dumps(figures, ensure_ascii=False)}", flush=True)
    report["rules"] = rules.run()  # pure: no database
    print(f"[rules] {json.dumps(report['rules'], ensure_ascii=False)}", flush=True)
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS_DIR / f"{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
