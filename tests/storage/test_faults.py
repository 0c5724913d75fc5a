"""How driver failures read as retryable faults: PostgreSQL's disk-full SQLSTATE (which this
machine cannot cause for real), ENOSPC from a file write, and what must stay a bug."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy.exc

from creditbank.errors import DatabaseBusyError, DatabaseUnavailableError, StorageFullError
from creditbank.storage.faults import unavailable_for


def _wrapped(error: BaseException) -> sqlalchemy.exc.DBAPIError:
    """As SQLAlchemy hands a driver's error to the service."""
    return sqlalchemy.exc.DBAPIError("INSERT ...", {}, error)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_wrapped(asyncpg.exceptions.DiskFullError("no space left")), StorageFullError),
        (_wrapped(asyncpg.exceptions.AdminShutdownError("terminating")), DatabaseUnavailableError),
        (
            _wrapped(asyncpg.exceptions.CannotConnectNowError("starting up")),
            DatabaseUnavailableError,
        ),
        (_wrapped(asyncpg.exceptions.TooManyConnectionsError("full")), DatabaseBusyError),
        (_wrapped(asyncpg.exceptions.DeadlockDetectedError("deadlock")), DatabaseBusyError),
        (asyncpg.exceptions.ConnectionDoesNotExistError("closed"), DatabaseUnavailableError),
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), DatabaseUnavailableError),
        (OSError(errno.ENOSPC, "No space left on device"), StorageFullError),
        (
            OSError("Multiple exceptions: [Errno 111] refused, [Errno 99] no address"),
            DatabaseUnavailableError,
        ),
        (sqlalchemy.exc.TimeoutError("QueuePool limit reached"), DatabaseBusyError),
    ],
    ids=lambda value: type(value).__name__,
)
def test_store_failures_read_as_their_fault(
    error: BaseException, expected: type[Exception]
) -> None:
    """Each failure, bare or wrapped as SQLAlchemy wraps it, becomes its typed fault."""
    fault = unavailable_for(error)
    assert type(fault) is expected
    assert fault is not None
    assert fault.retry_after > 0


def test_sqlite_result_codes_decide_busy_or_full(tmp_path: Path) -> None:
    """SQLite's own result codes, raised for real by a capped and by a locked file."""
    full = sqlite3.connect(":memory:")
    full.execute("PRAGMA max_page_count=2")
    full.execute("CREATE TABLE t(x)")
    with pytest.raises(sqlite3.OperationalError) as capped:
        full.executemany("INSERT INTO t VALUES (?)", [("x" * 4000,)] * 10)
    assert type(unavailable_for(_wrapped(capped.value))) is StorageFullError

    holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(tmp_path / "locked.db", isolation_level=None, timeout=0)
    with pytest.raises(sqlite3.OperationalError) as locked:
        waiter.execute("BEGIN IMMEDIATE")
    holder.execute("ROLLBACK")
    assert type(unavailable_for(_wrapped(locked.value))) is DatabaseBusyError


@pytest.mark.parametrize(
    "error",
    [
        ValueError("a bug"),
        FileNotFoundError(errno.ENOENT, "no key file"),
        _wrapped(asyncpg.exceptions.UniqueViolationError("duplicate key")),
        _wrapped(sqlite3.IntegrityError("UNIQUE constraint failed")),
        PermissionError(errno.EACCES, "denied"),
    ],
    ids=lambda value: type(value).__name__,
)
def test_bugs_and_refusals_stay_what_they_are(error: BaseException) -> None:
    """A bug, a constraint the code should have prevented, or a missing file is not the store
    being away: it must not be hidden behind "retry later"."""
    assert unavailable_for(error) is None
