"""What a failure of the store means for the caller: retry later, or a bug.

The drivers say "the database is gone", "locked" or "full" in many ways: a refused socket,
asyncpg's connection errors, a PostgreSQL SQLSTATE, SQLite's extended result code, SQLAlchemy's
wrapping of any of them, ``ENOSPC`` from a file write. ``unavailable_for`` reads an exception
(and what it wraps) and answers the typed ``UnavailableError`` a client should see, or None when
the failure is not the store's (a bug stays a bug). Every write is one transaction, so any of
these left nothing partial behind: the transaction was rolled back, or never began.
"""

from __future__ import annotations

import errno
import socket
import sqlite3

import asyncpg
import sqlalchemy.exc

from creditbank.errors import (
    DatabaseBusyError,
    DatabaseUnavailableError,
    StorageFullError,
    UnavailableError,
)

__all__ = ["unavailable_for"]

# SQLite's primary result codes (the low byte of the extended code).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 5, 6, 10, 13, 14
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})
_UNREACHABLE = frozenset(
    {errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT}
)
# PostgreSQL SQLSTATEs: disk full; too many connections, lock not available, serialization and
# deadlock (each worth a retry); shutting down, crashed, starting up. Class 08 is the connection.
_PG_FULL = frozenset({"53100"})
_PG_BUSY = frozenset({"53300", "55P03", "40001", "40P01", "57014"})
_PG_GONE = frozenset({"57P01", "57P02", "57P03", "58030"})


def unavailable_for(error: BaseException) -> UnavailableError | None:
    """The retryable fault behind ``error``, or None if it is not one."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found = _classify(current)
        if found is not None:
            return found
        wrapped = getattr(current, "orig", None)
        current = wrapped if isinstance(wrapped, BaseException) else current.__cause__
    return None


def _classify(error: BaseException) -> UnavailableError | None:
    if isinstance(error, UnavailableError):
        return error
    if isinstance(error, OSError) and error.errno in _NO_SPACE:
        return StorageFullError("the disk is full: nothing was written")
    if isinstance(error, sqlite3.Error):
        return _sqlite(error)
    if isinstance(error, asyncpg.PostgresError):
        return _postgres(str(getattr(error, "sqlstate", "") or ""))
    if isinstance(error, asyncpg.InterfaceError | ConnectionError | TimeoutError):
        return DatabaseUnavailableError("the database cannot be reached: nothing was written")
    if isinstance(error, OSError) and _unreachable(error):
        return DatabaseUnavailableError("the database cannot be reached: nothing was written")
    if isinstance(error, sqlalchemy.exc.TimeoutError):
        return DatabaseBusyError("every database connection is in use: retry shortly")
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return DatabaseUnavailableError("the database connection was lost: nothing was written")
    return None


def _unreachable(error: OSError) -> bool:
    """A socket that would not connect: refused, unreachable, a name not found, or asyncio's
    "Multiple exceptions" when every address of the host refused (it carries no errno)."""
    return (
        error.errno in _UNREACHABLE
        or isinstance(error, socket.gaierror)
        or (error.errno is None and str(error).startswith("Multiple exceptions"))
    )


def _sqlite(error: sqlite3.Error) -> UnavailableError | None:
    code = getattr(error, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    if primary == _SQLITE_FULL:
        return StorageFullError("the database's disk is full: nothing was written")
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return DatabaseBusyError("the database file is locked by another writer: retry shortly")
    if primary in (_SQLITE_IOERR, _SQLITE_CANTOPEN):
        return DatabaseUnavailableError("the database file cannot be read or written")
    return None


def _postgres(sqlstate: str) -> UnavailableError | None:
    if sqlstate in _PG_FULL:
        return StorageFullError("the database's disk is full: nothing was written")
    if sqlstate in _PG_BUSY:
        return DatabaseBusyError(f"the database asked to retry ({sqlstate}): nothing was written")
    if sqlstate in _PG_GONE or sqlstate.startswith("08"):
        return DatabaseUnavailableError("the database is restarting or gone: nothing was written")
    return None
