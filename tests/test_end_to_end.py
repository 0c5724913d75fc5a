"""`make run`'s path end to end: a real server process, the printed admin token, and
`creditbank verify --url` accepting what it serves (and remembering it in a state file)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.cli import creditbank
from tests.factories import resident_id

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_served_log_verifies_with_the_cli(tmp_path: Path) -> None:
    """Register, record, then verify over HTTP twice: the second run checks consistency."""
    port = free_port()
    env = {
        **os.environ,
        "CREDITBANK_DATA_DIR": str(tmp_path / "data"),
        "CREDITBANK_PORT": str(port),
    }
    assert creditbank(env, "db", "upgrade").returncode == 0
    server = subprocess.Popen(
        [sys.executable, "-m", "creditbank.cli.main", "serve"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        admin = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not admin:
            line = server.stdout.readline()
            if line.startswith("cbt_"):
                admin = line.strip()
        assert admin, "the server did not print a one-time admin token"
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30) as client:
            while client.get("/healthz").status_code != 200:
                time.sleep(0.1)
            response = client.post(
                "/v1/issuers",
                json={"issuer_id": "acme", "name": "Acme 培训中心", "kind": "enterprise"},
                headers={"Authorization": f"Bearer {admin}"},
            )
            assert response.status_code == 201, response.text
        issuer = creditbank(env, "tokens", "create", "--role", "issuer", "--issuer", "acme")
        auditor = creditbank(env, "tokens", "create", "--role", "auditor")
        issuer_token = issuer.stdout.strip().splitlines()[-1]
        auditor_token = auditor.stdout.strip().splitlines()[-1]
        vkey = creditbank(env, "keys", "show").stdout.strip().splitlines()[-1]
        state = tmp_path / "verify-state.json"

        def record(serial: int) -> None:
            body = {
                "issuer_id": "acme",
                "record_id": f"E{serial}",
                "learner_id": resident_id(serial),
                "course_code": "C1",
                "course_title": "数控车床",
                "outcome_type": "enterprise_training",
                "hours": 8,
                "result": "completed",
                "completed_on": "2026-01-02",
            }
            answer = httpx.post(
                f"{base}/v1/outcomes",
                json=body,
                headers={"Authorization": f"Bearer {issuer_token}"},
            )
            assert answer.status_code == 201, answer.text

        for serial in range(300):
            record(serial)

        def verify_remembering() -> subprocess.CompletedProcess[str]:
            arguments = ["verify", "--url", base, "--vkey", vkey, "--state", str(state)]
            return creditbank(env, *arguments, "--token", auditor_token)

        first = verify_remembering()
        assert first.returncode == 0, first.stdout + first.stderr
        assert "verified" in first.stdout
        assert json.loads(state.read_text())["size"] == 301
        for serial in range(300, 310):
            record(serial)
        second = verify_remembering()
        assert second.returncode == 0, second.stdout + second.stderr
        assert "consistent with the previously verified checkpoint of size 301" in second.stdout
        rotated = creditbank(env, "keys", "rotate").stdout.strip().splitlines()
        # The running server signs with the old key only; trust only the new one.
        wrong_key = next(line for line in rotated if "+" in line and line != vkey)
        untrusted = creditbank(
            env, "verify", "--url", base, "--vkey", wrong_key, "--token", auditor_token
        )
        assert untrusted.returncode != 0
    finally:
        server.terminate()
        server.wait(timeout=30)
