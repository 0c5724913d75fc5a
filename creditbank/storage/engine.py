"""Engines for the two supported databases, with the settings the ledger relies on.

SQLite: WAL (readers never block the writer), ``synchronous=FULL`` (an acknowledged append
survives power loss), a busy timeout (a second appender waits for the lock instead of failing),
and transactions begun by us so the writer can ask for ``BEGIN IMMEDIATE``: the log's write lock.
PostgreSQL: the write lock is a row lock on ``log_state`` (see ``append``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from creditbank.settings import sqlite_busy_timeout_ms

__all__ = ["WRITE_LOCK_OPTION", "create_engine", "is_sqlite", "snapshot"]

# Execution option that makes a SQLite transaction take the write lock when it begins.
WRITE_LOCK_OPTION = "creditbank_write_lock"


def is_sqlite(connection_or_engine: AsyncConnection | AsyncEngine) -> bool:
    return connection_or_engine.dialect.name == "sqlite"


def create_engine(
    database_url: str, *, busy_timeout_ms: int = sqlite_busy_timeout_ms, **kwargs: Any
) -> AsyncEngine:
    url = make_url(database_url)
    # Statement parameters carry names and ID numbers (the person table): never log them.
    kwargs.setdefault("hide_parameters", True)
    if url.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True, **kwargs)
    if url.database and url.database != ":memory:":
        _create_private_file(Path(url.database))
    engine = create_async_engine(url, **kwargs)
    _configure_sqlite(engine, busy_timeout_ms)
    return engine


def _create_private_file(path: Path) -> None:
    """The database holds personal data: its directory is 0700 and its file 0600 from birth."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


@asynccontextmanager
async def snapshot(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read-only transaction in which every statement sees the same committed state.

    PostgreSQL's default READ COMMITTED gives each statement its own snapshot, so reading the
    head, the checkpoint and the tiles in three statements could straddle an append.
    """
    async with engine.connect() as plain:
        connection = plain
        if not is_sqlite(plain):
            connection = await plain.execution_options(isolation_level="REPEATABLE READ")
        async with connection.begin():
            yield connection


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so that "begin" below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(WRITE_LOCK_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")
