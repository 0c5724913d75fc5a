"""Several serving processes on one PostgreSQL: ``creditbank serve --workers 2`` beside a second
``creditbank serve``, both taking the same records at the same time. Each record is recorded
once, every other send is ``exists`` at the same index, and the log verifies."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.cli import creditbank
from tests.factories import resident_id
from tests.test_end_to_end import ROOT, free_port

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["postgresql"])]
RECORDS, SENDS = 24, 3


@contextmanager
def serving(env: dict[str, str], *arguments: str) -> Iterator[tuple[str, list[str]]]:
    """A ``creditbank serve`` process; its base URL and the lines it printed before ready."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "creditbank.cli.main", "serve", "--port", str(port), *arguments],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    printed: list[str] = []
    try:
        assert server.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail(f"{arguments} did not become ready")
        yield base, printed
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
        printed.extend(output.splitlines())


def test_two_servers_and_two_workers_take_the_same_records_once(
    database_url: str, tmp_path: Path
) -> None:
    """Three processes (two workers and a second server) receive every record three times,
    concurrently: one ``recorded`` and two ``exists`` at the same index per record, no other
    entry, and ``creditbank verify --database`` accepts the log."""
    env = {
        **os.environ,
        "CREDITBANK_DATA_DIR": str(tmp_path / "data"),
        "CREDITBANK_DATABASE_URL": database_url,
    }
    admin = creditbank(env, "tokens", "create", "--role", "admin").stdout.strip().splitlines()[-1]
    with serving(env, "--workers", "2") as (first, _), serving(env) as (second, _):
        registered = httpx.post(
            f"{first}/v1/issuers",
            json={"issuer_id": "acme", "name": "Acme 培训中心", "kind": "enterprise"},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert registered.status_code == 201, registered.text
        issuer = creditbank(env, "tokens", "create", "--role", "issuer", "--issuer", "acme")
        headers = {"Authorization": f"Bearer {issuer.stdout.strip().splitlines()[-1]}"}

        def send(job: tuple[int, str]) -> tuple[int, int, str]:
            serial, base = job
            body = {
                "issuer_id": "acme",
                "record_id": f"W{serial}",
                "learner_id": resident_id(serial),
                "course_code": "C1",
                "course_title": "数控车床",
                "outcome_type": "enterprise_training",
                "hours": 8,
                "result": "completed",
                "completed_on": "2026-01-02",
            }
            answer = httpx.post(f"{base}/v1/outcomes", json=body, headers=headers, timeout=60)
            assert answer.status_code in (200, 201), answer.text
            return serial, answer.json()["index"], answer.json()["status"]

        jobs = [
            (serial, (first, second)[(serial + send) % 2])
            for send in range(SENDS)
            for serial in range(RECORDS)
        ]
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(send, jobs))
        size = httpx.get(f"{second}/healthz").json()["tree_size"]
    by_record = collections.defaultdict(list)
    for serial, index, status in answers:
        by_record[serial].append((index, status))
    for serial, seen in by_record.items():
        assert len({index for index, _ in seen}) == 1, (serial, seen)
        assert sorted(status for _, status in seen) == ["exists"] * (SENDS - 1) + ["recorded"]
    assert size == 1 + RECORDS
    vkey = creditbank(env, "keys", "show").stdout.strip().splitlines()[-1]
    verified = creditbank(env, "verify", "--database", database_url, "--vkey", vkey)
    assert verified.returncode == 0, verified.stdout + verified.stderr
