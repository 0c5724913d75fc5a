"""Shared fixtures: a freshly migrated database per test, on SQLite and on PostgreSQL.

Each backend migrates one template per session; a test gets a copy (a file copy on SQLite,
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL) and the copy is dropped afterwards. PostgreSQL is
reached at ``CREDITBANK_TEST_PG_URL`` (default the local trust-auth server). Without it the
PostgreSQL cases skip, unless ``CREDITBANK_REQUIRE_PG=1`` (as in CI), where they fail.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from creditbank.keys import KeyRing
from creditbank.privacy import Pseudonymizer
from creditbank.service.bank import Bank
from creditbank.service.context import Clock, utc_now
from creditbank.storage.engine import create_engine
from creditbank.storage.migrate import upgrade

PG_ADMIN_URL = os.environ.get(
    "CREDITBANK_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_PG = os.environ.get("CREDITBANK_REQUIRE_PG") == "1"
ORIGIN = "creditbank.test/ledger"
BACKENDS = ("sqlite", "postgresql")


def _pg_url(database: str, driver: str = "postgresql+asyncpg") -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base.replace('postgresql', driver, 1)}/{database}"


async def _pg_admin(statement: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@dataclass
class Templates:
    sqlite_file: Path
    pg_template: str | None
    pg_error: str | None


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    sqlite_file = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{sqlite_file}")
    pg_template: str | None = f"creditbank_template_{secrets.token_hex(4)}"
    pg_error = None
    try:
        asyncio.run(_pg_admin(f"CREATE DATABASE {pg_template}"))
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        pg_template, pg_error = None, f"PostgreSQL unavailable at {PG_ADMIN_URL}: {error!r}"
    if pg_template is not None:
        upgrade(_pg_url(pg_template))
    yield Templates(sqlite_file=sqlite_file, pg_template=pg_template, pg_error=pg_error)
    if pg_template is not None:
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {pg_template} WITH (FORCE)"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextmanager
def fresh_database(backend: str, templates: Templates, directory: Path) -> Iterator[str]:
    """A migrated, empty database of ``backend`` (a copy of the session's template), dropped
    afterwards; SQLite's file goes in ``directory``."""
    if backend == "sqlite":
        target = directory / f"creditbank-{secrets.token_hex(4)}.db"
        shutil.copyfile(templates.sqlite_file, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    if templates.pg_template is None:
        if REQUIRE_PG:
            pytest.fail(f"CREDITBANK_REQUIRE_PG=1 but {templates.pg_error}")
        pytest.skip(templates.pg_error or "PostgreSQL unavailable")
    name = f"creditbank_test_{secrets.token_hex(6)}"
    asyncio.run(_pg_admin(f"CREATE DATABASE {name} TEMPLATE {templates.pg_template}"))
    try:
        yield _pg_url(name)
    finally:
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def database_url(backend: str, templates: Templates, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of the requested backend, dropped after the test."""
    with fresh_database(backend, templates, tmp_path) as url:
        yield url


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def key_ring(keys_dir: Path) -> KeyRing:
    return KeyRing.load(keys_dir, ORIGIN)


@pytest.fixture
def pseudonymizer() -> Pseudonymizer:
    return Pseudonymizer(bytes(range(32)))


@pytest.fixture
def clock() -> Clock:
    """The bank's clock: real time, unless a test module overrides this fixture with its own."""
    return utc_now


@pytest.fixture
async def bank(
    database_url: str,
    key_ring: KeyRing,
    pseudonymizer: Pseudonymizer,
    clock: Clock,
    tmp_path: Path,
) -> AsyncIterator[Bank]:
    engine = create_engine(database_url)
    service = Bank(
        engine=engine,
        keys=key_ring,
        pseudonymizer=pseudonymizer,
        clock=clock,
        data_dir=tmp_path / "data",
    )
    await service.start()
    assert service.writes_disabled is None, service.writes_disabled
    try:
        yield service
    finally:
        await engine.dispose()
