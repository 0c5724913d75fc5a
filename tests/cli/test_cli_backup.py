"""``creditbank backup`` and ``restore``: a running deployment backed up, restored into a fresh
database and data directory, verified offline, served again with its old records, tokens and
import reports; and the ways a restore refuses, each one line."""

from __future__ import annotations

import os
import time
from pathlib import Path

import msgspec
import pytest
from litestar.testing import TestClient

from api.app import create_app
from creditbank.settings import load_settings
from tests.cli import creditbank
from tests.conftest import Templates, fresh_database
from tests.factories import issuer_registration, outcome_record

ISSUER = "acme-training"
JSON = {"Content-Type": "application/json"}


def _env(url: str, data: Path) -> dict[str, str]:
    return {**os.environ, "CREDITBANK_DATA_DIR": str(data), "CREDITBANK_DATABASE_URL": url}


def _deposit(client: TestClient, headers: dict[str, str], serial: int) -> dict[str, object]:
    body = msgspec.json.encode(outcome_record(serial))
    response = client.post("/v1/outcomes", content=body, headers=headers | JSON)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def test_a_backup_restores_into_a_fresh_deployment(
    backend: str, database_url: str, templates: Templates, tmp_path: Path
) -> None:
    """Back up while serving; restore elsewhere: the log verifies offline with the backed-up
    key, the service starts, an old record answers ``exists`` at its index, an old token still
    works and an old import's report downloads."""
    source = _env(database_url, tmp_path / "source")
    app = create_app(load_settings(source), announce_admin_token=False)
    with TestClient(app=app) as client:
        admin = {"Authorization": f"Bearer {app.state.bootstrap_admin_token}"}
        client.post(
            "/v1/issuers",
            content=msgspec.json.encode(issuer_registration(ISSUER)),
            headers=admin | JSON,
        ).raise_for_status()
        made = creditbank(source, "tokens", "create", "--role", "issuer", "--issuer", ISSUER)
        issuer = {"Authorization": f"Bearer {made.stdout.strip().splitlines()[-1]}"}
        recorded = [_deposit(client, issuer, serial) for serial in range(3)]
        lines = b"\n".join(msgspec.json.encode(outcome_record(10 + n)) for n in range(5))
        job = client.post(
            "/v1/imports?format=ndjson",
            content=lines,
            headers=issuer | {"Content-Type": "application/x-ndjson"},
        ).json()["id"]
        while client.get(f"/v1/imports/{job}", headers=issuer).json()["state"] == "running":
            time.sleep(0.05)
        backed_up = creditbank(source, "backup", str(tmp_path / "backup"))
        assert backed_up.returncode == 0, backed_up.stderr
        assert "backed up a log of 10 entries" in backed_up.stdout  # issuer, 3, 5 and the batch
    vkey = creditbank(source, "keys", "show").stdout.strip().splitlines()[-1]

    with fresh_database(backend, templates, tmp_path) as target_url:
        target = _env(target_url, tmp_path / "target")
        restored = creditbank(target, "restore", str(tmp_path / "backup"))
        assert restored.returncode == 0, restored.stderr
        assert "restored a log of 10 entries; its head verifies" in restored.stdout
        assert (tmp_path / "target" / "pseudonym.key").stat().st_mode & 0o077 == 0
        verified = creditbank(target, "verify", "--database", target_url, "--vkey", vkey)
        assert verified.returncode == 0, verified.stdout + verified.stderr

        again = creditbank(target, "restore", str(tmp_path / "backup"))
        assert again.returncode == 2
        assert len(again.stderr.strip().splitlines()) == 1
        assert "restore_target_not_empty" in again.stderr

        app = create_app(load_settings(target), announce_admin_token=False)
        with TestClient(app=app) as client:
            assert client.get("/healthz").json()["tree_size"] == 10
            answer = _deposit(client, issuer, 1)  # the old token, the old record
            assert (answer["status"], answer["index"]) == ("exists", recorded[1]["index"])
            report = client.get(f"/v1/imports/{job}/report.csv", headers=issuer)
            assert report.status_code == 200
            assert len(report.text.strip().splitlines()) == 6  # the header and five rows

        (tmp_path / "target" / "pseudonym.key").unlink()
        served = creditbank(target, "serve", "--port", "0")
        assert served.returncode == 2
        assert len(served.stderr.strip().splitlines()) == 1, served.stderr
        assert "no pseudonym secret" in served.stderr


@pytest.mark.parametrize("backend", ["sqlite"])
def test_what_a_restore_refuses(database_url: str, tmp_path: Path) -> None:
    """A directory that is not a backup, and a target that already has a secret, are refused
    with one line and nothing written."""
    target = _env(database_url, tmp_path / "target")
    not_one = creditbank(target, "restore", str(tmp_path))
    assert (not_one.returncode, "not_a_backup" in not_one.stderr) == (2, True)
    source = _env(database_url, tmp_path / "source")
    creditbank(source, "tokens", "create", "--role", "auditor")  # makes the source's secrets
    assert creditbank(source, "backup", str(tmp_path / "backup")).returncode == 0
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "pseudonym.key").write_bytes(bytes(32))
    refused = creditbank(target, "restore", str(tmp_path / "backup"))
    assert refused.returncode == 2
    assert "a restore never overwrites keys or a secret" in refused.stderr
