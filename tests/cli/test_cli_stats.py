"""``creditbank stats`` as an operator runs it: a table, a preset return as a workbook, the
recount from entries, and a size the log never signed."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from python_calamine import CalamineWorkbook

from creditbank.service.deployment import open_bank
from creditbank.settings import load_settings
from tests.cli import creditbank
from tests.statistics.varied_log import build


async def varied(env: dict[str, str]) -> int:
    """The varied log (grants, revocations, recognitions); the size of its last checkpoint."""
    bank = await open_bank(load_settings(env))
    try:
        await bank.start()
        return (await build(bank, outcomes=60)).sizes[-1]
    finally:
        await bank.engine.dispose()


def test_stats_tables_returns_and_the_recount(tmp_path: Path) -> None:
    """Text with the size and checkpoint, a preset return as XLSX that opens, ``--verify``
    agreeing (exit 0) at the latest and an earlier size, and an unsigned size refused (exit 2)."""
    env = {**os.environ, "CREDITBANK_DATA_DIR": str(tmp_path / "data")}
    assert creditbank(env, "db", "upgrade").returncode == 0
    size = asyncio.run(varied(env))
    table = creditbank(env, "stats", "--group-by", "year,sex", "--lang", "en")
    assert table.returncode == 0, table.stderr
    assert "Learners" in table.stdout
    assert "Total" in table.stdout
    assert f"tree size {size}" in table.stdout
    workbook = tmp_path / "enterprise.xlsx"
    report = creditbank(
        env, "stats", "--report", "enterprise_training", "--format", "xlsx", "-o", str(workbook)
    )
    assert report.returncode == 0, report.stderr
    assert len(CalamineWorkbook.from_path(str(workbook)).sheet_names) == 6  # about + 5 tables
    for at in ([], ["--at", str(size)]):
        verified = creditbank(env, "stats", "--group-by", "issuer_kind,age_band", "--verify", *at)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert f"at tree size {size}" in verified.stdout
    unsigned = creditbank(env, "stats", "--at", str(size + 1000))
    assert unsigned.returncode == 2
    assert "not_found" in unsigned.stderr
