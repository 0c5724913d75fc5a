"""A learner's archive, export and recognition end to end through the command line."""

from __future__ import annotations

import asyncio
import decimal
import os
from pathlib import Path

from creditbank.service.deployment import open_bank
from creditbank.settings import load_settings
from creditbank.tokens import Principal
from tests.cli import ROOT, creditbank
from tests.factories import issuer_registration, outcome_record, resident_id

EXAMPLES = ROOT / "examples" / "standards"
PROGRAMME = EXAMPLES / "programme-open-university-admin.toml"


async def deposit(env: dict[str, str]) -> str:
    """Two 40-hour safety trainings of one learner (2.50 credits each); their learner_ref."""
    bank = await open_bank(load_settings(env))
    try:
        await bank.start()
        await bank.deposits.register_issuer(issuer_registration())
        issuer = Principal(role="issuer", issuer_id="acme-training")
        learner_ref = ""
        for serial in range(2):
            record = outcome_record(
                serial,
                learner_id=resident_id(42),
                course_code=f"SAFE-2026-{serial:03d}",
                hours="40.0",
                attendance_pct=decimal.Decimal("95"),
            )
            learner_ref = (await bank.deposits.record_outcome(issuer, record)).learner_ref
        return learner_ref
    finally:
        await bank.engine.dispose()


def test_archive_recognition_export_and_revocation(tmp_path: Path) -> None:
    """The learner commands end to end: a programme naming an unpublished standard is refused,
    then archive, recognise, export and offline verify-bundle succeed; revoking twice exits 2
    with already_revoked; the archive shows the lower credits and reversal; replay is clean."""
    env = {**os.environ, "CREDITBANK_DATA_DIR": str(tmp_path / "data")}
    assert creditbank(env, "db", "upgrade").returncode == 0
    # The programme names the vocational-certificates standard: it must be published first.
    refused = creditbank(env, "programmes", "publish", str(PROGRAMME))
    assert refused.returncode == 1
    assert "no standard vocational-certificates is published" in refused.stdout
    for name in ("enterprise-safety-training.toml", "vocational-certificates.toml"):
        published = creditbank(env, "standards", "publish", str(EXAMPLES / name))
        assert published.returncode == 0, published.stdout + published.stderr
    programme = creditbank(env, "programmes", "publish", str(PROGRAMME))
    assert programme.returncode == 0, programme.stdout + programme.stderr
    assert "published ou-public-administration-zk@1" in programme.stdout
    learner_ref = asyncio.run(deposit(env))

    archive = creditbank(env, "learners", "archive", learner_ref)
    assert archive.returncode == 0, archive.stderr
    assert "credits: 5.00 (valid 5.00)" in archive.stdout
    assert "安全生产培训" in archive.stdout

    recognised = creditbank(
        env, "learners", "recognise", learner_ref, "--programme", "ou-public-administration-zk"
    )
    assert recognised.returncode == 0, recognised.stderr
    assert "safety-management: granted 3.00 credits" in recognised.stdout
    assert "community-service-practice: refused (not_enough_credits)" in recognised.stdout

    bundle = tmp_path / "archive.json"
    exported = creditbank(env, "learners", "export", learner_ref, "--output", str(bundle))
    assert exported.returncode == 0, exported.stderr
    vkeys = creditbank(env, "keys", "show").stdout.split()
    verified = creditbank(env, "verify-bundle", str(bundle), *(f"--vkey={k}" for k in vkeys))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "verified: " in verified.stdout

    revoked = creditbank(env, "outcomes", "revoke", "acme-training", "R-000000", "--reason", "录错")
    assert revoked.returncode == 0, revoked.stderr
    again = creditbank(env, "outcomes", "revoke", "acme-training", "R-000000", "--reason", "录错")
    assert again.returncode == 2
    assert "already_revoked" in again.stderr
    after = creditbank(env, "learners", "archive", learner_ref)
    assert "credits: 2.50" in after.stdout
    assert "reversed at entry" in after.stdout  # the recognition that used it
    replay = creditbank(env, "audit", "replay")
    assert replay.returncode == 0, replay.stdout + replay.stderr
