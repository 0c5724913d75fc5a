"""Faults of the store are answered, not crashed: 503/507 with Retry-After and a stable code,
nothing partial written, and the service heals by itself when the cause goes.

PostgreSQL is reached through a proxy the test cuts and restores (a restart, as the service
sees it); SQLite is locked by another writer past the busy timeout, and filled by capping its
page count. Each fault is injected for real, not mocked.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import event
from sqlalchemy.engine import make_url

from api.app import create_app
from creditbank import limits
from creditbank.settings import Settings
from creditbank.storage.access import create_token
from creditbank.storage.engine import create_engine
from creditbank.tokens import Principal
from tests.api.conftest import ISSUER_ID, settings_for
from tests.cut_proxy import CutProxy
from tests.factories import issuer_registration, outcome_record

JSON = {"Content-Type": "application/json"}


@dataclass
class Running:
    client: TestClient[Litestar]
    app: Litestar
    admin: dict[str, str]
    issuer: dict[str, str]

    def deposit(self, serial: int) -> Any:
        body = msgspec.json.encode(outcome_record(serial))
        return self.client.post("/v1/outcomes", content=body, headers=self.issuer | JSON)

    def tree_size(self) -> int:
        return int(self.client.get("/healthz").json()["tree_size"])


async def _issuer_token(database_url: str) -> str:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            return await create_token(connection, Principal(role="issuer", issuer_id=ISSUER_ID))
    finally:
        await engine.dispose()


@contextmanager
def running(settings: Settings) -> Iterator[Running]:
    """The service on ``settings`` with an issuer registered and an issuer token."""
    app = create_app(settings, announce_admin_token=False)
    with TestClient(app=app) as client:
        admin = {"Authorization": f"Bearer {app.state.bootstrap_admin_token}"}
        registration = msgspec.json.encode(issuer_registration(ISSUER_ID))
        client.post("/v1/issuers", content=registration, headers=admin | JSON).raise_for_status()
        token = asyncio.run(_issuer_token(settings.database_url))
        yield Running(client, app, admin, {"Authorization": f"Bearer {token}"})


def assert_retry_later(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    assert int(response.headers["retry-after"]) > 0


# Each fault belongs to one database: these tests pick it instead of skipping the other.
on_postgresql = pytest.mark.parametrize("backend", ["postgresql"])
on_sqlite = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
def postgres_url(database_url: str) -> str:
    assert database_url.startswith("postgresql")
    return database_url


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[CutProxy]:
    url = make_url(postgres_url)
    cut = CutProxy((url.host or "127.0.0.1", url.port or 5432))
    yield cut
    cut.close()


def _through(url: str, proxy: CutProxy) -> str:
    return make_url(url).set(port=proxy.port).render_as_string(hide_password=False)


@on_postgresql
def test_a_lost_postgresql_answers_503_and_heals(
    postgres_url: str, proxy: CutProxy, tmp_path: Path
) -> None:
    """With the database gone, writes and reads answer 503 database_unavailable with
    Retry-After, /healthz says not ready (liveness still answers); once it is back the same
    requests succeed with no restart, and the log holds exactly the acknowledged records."""
    settings = settings_for(_through(postgres_url, proxy), tmp_path)
    with running(settings) as service:
        assert service.deposit(1).status_code == 201
        proxy.cut()
        assert_retry_later(service.deposit(2), 503, "database_unavailable")
        archive = service.client.get(f"/v1/learners/{'0' * 64}/archive", headers=service.admin)
        assert_retry_later(archive, 503, "database_unavailable")
        health = service.client.get("/healthz")
        assert health.status_code == 503
        assert (health.json()["ready"], health.json()["database"]) == (False, "unavailable")
        assert service.client.get("/healthz/live").status_code == 200
        proxy.restore()
        assert service.deposit(2).status_code == 201
        assert service.deposit(1).json()["status"] == "exists"
        assert service.tree_size() == 3  # the issuer and two outcomes: nothing partial


def _ndjson(path: Path, rows: int) -> Path:
    lines = (msgspec.json.encode(outcome_record(1_000 + serial)) for serial in range(rows))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@on_postgresql
def test_an_import_whose_database_vanished_ends_failed_not_running(
    postgres_url: str, proxy: CutProxy, tmp_path: Path
) -> None:
    """A PostgreSQL restart mid-import: the job ends ``failed`` with database_unavailable once
    the database is back (its error handler waits for it), nothing of it is in the log, and the
    same file then commits."""
    settings = settings_for(_through(postgres_url, proxy), tmp_path)
    upload = _ndjson(tmp_path / "big.ndjson", 60_000).read_bytes()
    headers = {"Content-Type": "application/x-ndjson"}
    with running(settings) as service:
        size = service.tree_size()
        started = service.client.post(
            "/v1/imports?format=ndjson", content=upload, headers=service.issuer | headers
        )
        assert started.status_code == 202, started.text
        job = f"/v1/imports/{started.json()['id']}"
        deadline = time.monotonic() + 60
        while (status := service.client.get(job, headers=service.issuer).json())["state"] == (
            "running"
        ) and not (status.get("progress") or {}).get("rows"):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert status["state"] == "running", "the import ended before the fault: no test"
        proxy.cut()
        time.sleep(1.0)
        proxy.restore()
        while (status := service.client.get(job, headers=service.issuer).json())["state"] == (
            "running"
        ):
            assert time.monotonic() < deadline, status
            time.sleep(0.1)
        assert (status["state"], status["error"]["code"]) == ("failed", "database_unavailable")
        assert service.tree_size() == size
        again = service.client.post(
            "/v1/imports?format=ndjson", content=upload, headers=service.issuer | headers
        )
        job = f"/v1/imports/{again.json()['id']}"
        while (status := service.client.get(job, headers=service.issuer).json())["state"] == (
            "running"
        ):
            time.sleep(0.1)
        assert status["result"] == "committed", status
        assert service.tree_size() == size + 60_001  # the rows and their batch entry


@pytest.fixture
def sqlite_file(database_url: str) -> Path:
    assert database_url.startswith("sqlite")
    database = make_url(database_url).database
    assert database is not None
    return Path(database)


@on_sqlite
def test_a_sqlite_file_locked_past_the_busy_timeout_answers_503(
    database_url: str, sqlite_file: Path, tmp_path: Path
) -> None:
    """Another writer holding the file's lock past the busy timeout makes a deposit answer 503
    database_busy with Retry-After, not 500; reads still answer; once the lock goes, the same
    deposit succeeds."""
    settings = replace(settings_for(database_url, tmp_path), sqlite_busy_timeout_ms=200)
    with running(settings) as service:
        other = sqlite3.connect(sqlite_file, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            assert_retry_later(service.deposit(1), 503, "database_busy")
            assert service.client.get("/healthz").status_code == 200  # readers never wait
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert service.deposit(1).status_code == 201
        assert service.tree_size() == 2


@on_sqlite
def test_a_full_sqlite_file_answers_507_and_heals(
    database_url: str, sqlite_file: Path, tmp_path: Path
) -> None:
    """With the database unable to grow (its page count capped, as a full disk does), a deposit
    answers 507 storage_full with Retry-After and leaves the log as it was; with room again the
    same deposit succeeds."""
    cap = {"pages": 1 << 30}
    with running(settings_for(database_url, tmp_path)) as service:
        engine = service.app.state.bank.engine

        @event.listens_for(engine.sync_engine, "checkout")
        def _cap(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA max_page_count={cap['pages']}")
            cursor.close()

        with sqlite3.connect(sqlite_file) as reader:
            cap["pages"] = reader.execute("PRAGMA page_count").fetchone()[0]
        size = service.tree_size()
        # Deposits fill the free space left in the file's pages; the first that needs a new
        # page is refused.
        serial, answer = 0, service.deposit(0)
        while answer.status_code == 201 and serial < 500:
            serial += 1
            answer = service.deposit(serial)
        assert_retry_later(answer, 507, "storage_full")
        assert service.tree_size() == size + serial  # every acknowledged one, nothing partial
        cap["pages"] = 1 << 30
        assert service.deposit(serial).status_code == 201
        assert service.tree_size() == size + serial + 1


def test_a_disk_below_its_floor_makes_the_service_not_ready(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/healthz reports the data directory's free space, and below the floor says not ready
    (503) so a balancer stops sending work before a write fills the disk."""
    with running(settings_for(database_url, tmp_path)) as service:
        healthy = service.client.get("/healthz").json()
        assert healthy["ready"] is True
        monkeypatch.setattr(limits, "disk_free_bytes_min", healthy["disk_free_bytes"] * 2)
        response = service.client.get("/healthz")
        assert response.status_code == 503
        assert (response.json()["ready"], response.json()["database"]) == (False, "full")
