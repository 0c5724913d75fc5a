"""Scratch databases for benchmarks: a migrated SQLite file or PostgreSQL database, then dropped."""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from creditbank.storage.migrate import upgrade

PG_ADMIN_URL = os.environ.get(
    "CREDITBANK_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


# Every scratch database a benchmark makes is named so; nothing else is.
SCRATCH_PREFIX = "creditbank_bench_"


async def _leftovers() -> list[str]:
    connection = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        rows = await connection.fetch(
            "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", SCRATCH_PREFIX
        )
    finally:
        await connection.close()
    return [row["datname"] for row in rows]


def drop_leftover_databases() -> None:
    """Drop scratch databases a crashed or interrupted earlier run left behind."""
    for name in asyncio.run(_leftovers()):
        print(f"dropping {name}, left by an earlier run", flush=True)
        asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def postgres_available() -> bool:
    try:
        asyncio.run(_admin("SELECT 1"))
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    return True


@contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """A freshly migrated database URL of ``backend``; removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="creditbank-bench-") as directory:
            url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
            upgrade(url)
            yield url
        return
    name = f"{SCRATCH_PREFIX}{secrets.token_hex(4)}"
    asyncio.run(_admin(f"CREATE DATABASE {name}"))
    base = PG_ADMIN_URL.rpartition("/")[0].replace("postgresql", "postgresql+asyncpg", 1)
    url = f"{base}/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
