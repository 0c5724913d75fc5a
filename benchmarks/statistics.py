"""The preset statistics reports over a long log, against a plain GROUP BY, on each database.

Per database, in a fresh scratch database: one bulk import fills the log (the import
benchmark's generated CSV: one enterprise, about a million outcomes), then on PostgreSQL a
``VACUUM (ANALYZE)`` stands in for autovacuum. Timed, ``RUNS`` times each after one warm-up:

* ``plain_group_by``: the bare baseline, the same table's live measures by completion year in
  one statement (``COUNT(DISTINCT learner)``, ``COUNT(*)``, sums), no join, no margins, no
  tree size, no disclosure control;
* each preset report through ``bank.statistics.report`` (what the API and pages call): every
  table with every margin, as of the latest signed size, with disclosure control, counted cold
  (the desk's kept answers dropped first); and asked again, as a page's downloads are (kept).

Figures are medians in seconds and each report's ratio to the baseline measured in the same
run (compare ratios across runs, never seconds: the machine drifts).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.archive import _fill, _vacuum
from benchmarks.databases import scratch_database
from benchmarks.import_files import DUPLICATE_SHARE, MALFORMED_SHARE, write_import_file
from benchmarks.imports_child import bench_bank
from creditbank.statistics.reports import PRESETS
from creditbank.tokens import Principal

ORIGIN = "creditbank.bench/statistics"
DEFAULT_OUTCOMES = 1_000_000
RUNS = 5
PLAIN_GROUP_BY = (
    "SELECT completed_ymd / 10000, COUNT(DISTINCT learner_ref), COUNT(*), SUM(hours_tenths), "
    "SUM(award_credits) FROM outcome WHERE revoked_index IS NULL GROUP BY completed_ymd / 10000"
)


async def _median_seconds(call: Callable[[], Awaitable[object]]) -> float:
    await call()  # warm-up: caches, plans, the statistics of the tables
    seconds = []
    for _ in range(RUNS):
        started = time.perf_counter()
        await call()
        seconds.append(time.perf_counter() - started)
    return round(statistics.median(seconds), 3)


async def _measure(url: str, path: Path, work: Path) -> dict[str, Any]:
    bank = bench_bank(url, work, ORIGIN)
    try:
        figures = await _fill(bank, path)
        figures["vacuum_analyze_seconds"] = await _vacuum(bank)

        async def plain() -> None:
            async with bank.engine.connect() as connection:
                (await connection.execute(sa.text(PLAIN_GROUP_BY))).all()

        baseline = await _median_seconds(plain)
        figures["plain_group_by_seconds"] = baseline
        admin = Principal(role="admin")
        for name in PRESETS:

            async def report(name: str = name) -> None:
                bank.statistics.forget()  # a cold count, not the answer kept from the last
                await bank.statistics.report(admin, name)

            async def again(name: str = name) -> None:
                await bank.statistics.report(admin, name)

            seconds = await _median_seconds(report)
            figures[f"{name}_seconds"] = seconds
            figures[f"{name}_ratio"] = round(seconds / baseline, 2)
            figures[f"{name}_kept_seconds"] = await _median_seconds(again)
        counted, provenance = await bank.statistics.report(admin, "enterprise_training")
        total = counted.tables[0].table.cells[("*",) * len(counted.tables[0].table.dimensions)]
        assert total.measures is not None
        figures["outcomes_counted"] = total.measures.outcomes
        figures["tree_size"] = provenance.tree_size
    finally:
        await bank.engine.dispose()
    return figures


def measure_backend(backend: str, outcomes: int, directory: Path) -> dict[str, Any]:
    rows = round(outcomes / (1 - MALFORMED_SHARE - DUPLICATE_SHARE))
    generated = write_import_file(directory / "outcomes.csv", rows)
    with scratch_database(backend) as url:
        return asyncio.run(_measure(url, generated.path, directory))


def print_table(results: dict[str, dict[str, Any]]) -> None:
    print(f"{'database':>10}  {'outcomes':>10}  {'call':>22}  {'median s':>9}  {'ratio':>6}")
    for backend, figures in results.items():
        rows = [("plain_group_by", figures["plain_group_by_seconds"], 1.0)]
        rows += [(name, figures[f"{name}_seconds"], figures[f"{name}_ratio"]) for name in PRESETS]
        for call, seconds, ratio in rows:
            print(
                f"{backend:>10}  {figures['outcomes_counted']:>10,}  {call:>22}  "
                f"{seconds:>9.3f}  {ratio:>6.2f}"
            )
    print(flush=True)


def run(backends: list[str], outcomes: int = DEFAULT_OUTCOMES) -> dict[str, Any]:
    """Figures by backend."""
    results: dict[str, dict[str, Any]] = {}
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="creditbank-bench-statistics-") as directory:
            results[backend] = measure_backend(backend, outcomes, Path(directory))
        print(f"[statistics/{backend}] {json.dumps(results[backend])}", flush=True)
    print_table(results)
    return results
