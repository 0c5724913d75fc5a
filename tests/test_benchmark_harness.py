"""The import benchmark's harness cannot rot: one tiny measured import yields every figure the
report prints (figures, never timings, are asserted: this is not a timed test)."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest

from benchmarks import load
from benchmarks.import_files import write_import_file
from benchmarks.imports_child import ChildSpec, measure
from tests.conftest import Templates, fresh_database

ROWS = 5_000  # enough rows per learner for the caps to take part, which the child checks


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_one_measured_import_reports_every_figure(
    backend: str, templates: Templates, tmp_path: Path
) -> None:
    """A 5,000-row import with its baselines reports positive speeds, CPU and wait per row, peak
    RSS, the seconds of every table in the bare baseline, and which core ran."""
    made = write_import_file(tmp_path / "bench.csv", ROWS)
    with ExitStack() as stack:
        urls = [stack.enter_context(fresh_database(backend, templates, tmp_path)) for _ in range(4)]
        figures = measure(
            ChildSpec(
                path=str(made.path),
                rows=made.rows,
                malformed=made.malformed,
                duplicates=made.duplicates,
                import_url=urls[0],
                bare_url=urls[1],
                entries_url=urls[2],
                orm_url=urls[3],
            )
        )
    for name in (
        "import_rows_per_second",
        "cpu_us_per_row",
        "peak_rss_mb",
        "bare_rows_per_second",
        "entries_only_rows_per_second",
        "orm_rows_per_second",
    ):
        assert figures[name] > 0, name
    assert figures["awaited_db_us_per_row"] >= 0
    assert set(figures["bare_seconds_by_table"]) == {
        "log_entry",
        "outcome",
        "person",
        "tile_segment",
        "learner_total",
        "commit",
        "total",
    }
    assert figures["core"]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_load_harness_reports_every_figure(
    backend: str, templates: Templates, tmp_path: Path
) -> None:
    """A tiny bounded load run against a real server: the deposits-alone phase stops at its
    request bound, the import phase runs until the import commits, and both report rate,
    latencies and no errors (figures, never timings, are asserted)."""
    with fresh_database(backend, templates, tmp_path) as url:
        alone, during = load.run_backend(
            backend, url, clients=(3,), requests=60, seconds=30, import_rows=300
        )
    assert alone["requests"] >= 60
    assert during["import_state"] == "finished"
    assert during["import_result"] == "committed"
    for figures in (alone, during):
        assert figures["errors"] == 0, figures["error_kinds"]
        assert figures["requests_per_second"] > 0
        assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]


@pytest.mark.slow
def test_the_archive_benchmark_reports_the_pages_too(tmp_path: Path) -> None:
    """A small log: the desk figures and the learner's page figures (archive and one outcome,
    served by the real application to a signed-in learner) are all reported."""
    from benchmarks import archive

    figures = archive.measure_backend("sqlite", 3_000, tmp_path)
    assert figures["tree_size"] > 2_000  # about the size asked (a few generated rows are bad)
    for name in ("archive_page_50", "export", "page_archive", "page_outcome"):
        assert figures[name]["calls"] > 0, name
        assert 0 < figures[name]["p50_ms"] <= figures[name]["p99_ms"], name
