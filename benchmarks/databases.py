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
    name = f"creditbank_bench_{secrets.token_hex(4)}"
    asyncio.run(_admin(f"CREATE DATABASE {name}"))
    base = PG_ADMIN_URL.rpartition("/")[0].replace("postgresql", "postgresql+asyncpg", 1)
    url = f"{base}/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
