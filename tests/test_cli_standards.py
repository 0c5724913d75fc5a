"""The accreditation CLI on the sample standards: validate, publish, list, simulate, replay."""

from __future__ import annotations

import asyncio
import decimal
import json
import os
from pathlib import Path

import msgspec
import pytest

from creditbank.ledger.entries import open_entry
from creditbank.service.deployment import open_bank
from creditbank.settings import load_settings
from creditbank.tokens import Principal
from schemas.entries import OutcomeRecorded
from tests.cli import creditbank
from tests.factories import issuer_registration, outcome_record

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "standards"
STANDARDS = (
    "enterprise-safety-training.toml",
    "community-elderly-courses.toml",
    "vocational-certificates.toml",
)


async def deposit(env: dict[str, str]) -> list[str]:
    """Outcomes recorded through the service layer, as the API would; their credits."""
    bank = await open_bank(load_settings(env))
    try:
        await bank.start()
        await bank.deposits.register_issuer(issuer_registration())
        issuer = Principal(role="issuer", issuer_id="acme-training")
        credits = []
        for serial in range(6):
            record = outcome_record(
                serial,
                course_code=f"SAFE-2026-{serial:03d}",
                hours="40.0",
                attendance_pct=decimal.Decimal("95"),
            )
            accepted = await bank.deposits.record_outcome(issuer, record)
            entry = open_entry(await bank.log.entry(accepted.index))
            assert isinstance(entry, OutcomeRecorded)
            assert entry.award is not None
            credits.append(entry.award.credits)
        return credits
    finally:
        await bank.engine.dispose()


def test_sample_standards_publish_and_replay(tmp_path: Path) -> None:
    """The samples validate and publish in order; outcomes get awards; replay agrees."""
    env = {**os.environ, "CREDITBANK_DATA_DIR": str(tmp_path / "data")}
    assert creditbank(env, "db", "upgrade").returncode == 0
    for name in STANDARDS:
        checked = creditbank(env, "standards", "validate", str(EXAMPLES / name))
        assert checked.returncode == 0, checked.stdout + checked.stderr
        published = creditbank(env, "standards", "publish", str(EXAMPLES / name))
        assert published.returncode == 0, published.stdout + published.stderr
    again = creditbank(env, "standards", "validate", str(EXAMPLES / STANDARDS[0]))
    assert again.returncode == 1
    assert "version" in again.stdout
    programme = EXAMPLES / "programme-open-university-admin.toml"
    assert creditbank(env, "programmes", "validate", str(programme)).stdout.strip() == "valid"
    listing = creditbank(env, "standards", "list").stdout
    assert "enterprise-safety-training@1\tpublished\tvocational.safety" in listing

    # 40 hours at 16h:1 rounded down to 0.5 is 2.5 credits; learners differ, so no cap binds.
    assert asyncio.run(deposit(env)) == ["2.50"] * 6
    replay = creditbank(env, "audit", "replay")
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert "0 differences" in replay.stdout
    database = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'creditbank.db'}"
    verified = creditbank(env, "verify", "--database", database)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "3 standard.published" in verified.stdout

    simulated = creditbank(env, "standards", "simulate", str(EXAMPLES / STANDARDS[0]))
    assert simulated.returncode == 0, simulated.stderr
    report = json.loads(simulated.stdout)
    assert report["outcomes_considered"] == 6
    assert report["outcomes_changed"] == 0  # the same standard changes nothing

    supplied = tmp_path / "next-month.ndjson"
    record = outcome_record(99, course_code="SAFE-2026-099", hours="64.0")
    supplied.write_bytes(msgspec.json.encode(record) + b"\n")
    over_file = creditbank(
        env, "standards", "simulate", str(EXAMPLES / STANDARDS[0]), "--outcomes", str(supplied)
    )
    assert over_file.returncode == 0, over_file.stderr
    assert json.loads(over_file.stdout)["outcomes_considered"] == 1
