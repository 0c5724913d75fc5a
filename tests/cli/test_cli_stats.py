"""``creditbank stats`` as an operator runs it: a table, a preset return as a workbook, the
recount from entries, an erasure that changes no count, and a size the log never signed."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from python_calamine import CalamineWorkbook

from creditbank.service.deployment import open_bank
from creditbank.settings import load_settings
from tests.cli import creditbank
from tests.statistics.varied_log import build


async def varied(env: dict[str, str]) -> tuple[int, str]:
    """The varied log (grants, revocations, recognitions): the size of its last checkpoint and
    a learner with a resident ID number."""
    bank = await open_bank(load_settings(env))
    try:
        await bank.start()
        built = await build(bank, outcomes=60)
        return built.sizes[-1], built.erasable
    finally:
        await bank.engine.dispose()


def test_stats_tables_returns_and_the_recount(tmp_path: Path) -> None:
    """Text with the size and checkpoint, a preset return as XLSX that opens, ``--verify``
    agreeing (exit 0), the same counts after a learner's erasure (a second erasure finds
    nothing), and an unsigned size refused (exit 2)."""
    env = {**os.environ, "CREDITBANK_DATA_DIR": str(tmp_path / "data")}
    assert creditbank(env, "db", "upgrade").returncode == 0
    size, learner_ref = asyncio.run(varied(env))
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
    before = creditbank(env, "stats", "--group-by", "age_band,sex", "--format", "json")
    erased = creditbank(env, "learners", "erase", learner_ref)
    assert erased.returncode == 0, erased.stderr
    again = creditbank(env, "learners", "erase", learner_ref)
    assert (again.returncode, "not_found" in again.stderr) == (2, True)
    after = creditbank(env, "stats", "--group-by", "age_band,sex", "--format", "json")
    assert after.stdout == before.stdout  # an erasure keeps what the statistics count
    unsigned = creditbank(env, "stats", "--at", str(size + 1000))
    assert unsigned.returncode == 2
    assert "not_found" in unsigned.stderr
