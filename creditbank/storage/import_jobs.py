"""Import job rows: created when an import starts, finished (or failed) when it ends.

Job rows are bookkeeping outside the log: they are written in their own short transactions,
never inside the log's, so a rolled-back batch still leaves its job saying why.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import socket
from dataclasses import dataclass
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.storage.tables import import_job
from schemas.entries import BatchCounts
from schemas.imports import ImportFormat, ImportMode, ImportResult, ImportState, OnError

__all__ = [
    "JobEnd",
    "JobRow",
    "create_job",
    "find_job",
    "finish_job",
    "issuer_jobs",
    "mark_interrupted",
    "this_process",
]


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, kw_only=True)
class JobRow:
    job_id: str
    issuer_id: str
    file_format: ImportFormat
    mode: ImportMode
    on_error: OnError
    file_sha256: str
    file_bytes: int
    signature: str | None
    state: ImportState
    result: ImportResult | None
    counts: BatchCounts | None
    first_index: int | None
    last_index: int | None
    batch_index: int | None
    error_code: str | None
    error_detail: str | None
    owner: str
    created_at: datetime.datetime
    finished_at: datetime.datetime | None


async def create_job(connection: AsyncConnection, job: JobRow) -> None:
    values = dataclasses.asdict(job)
    values["counts"] = None if job.counts is None else msgspec.json.encode(job.counts).decode()
    await connection.execute(import_job.insert().values(**values))


@dataclass(frozen=True, kw_only=True)
class JobEnd:
    """How a job ended: finished with a result and counts, or failed with a code."""

    state: ImportState
    result: ImportResult | None = None
    counts: BatchCounts | None = None
    first_index: int | None = None
    last_index: int | None = None
    batch_index: int | None = None
    error_code: str | None = None
    error_detail: str | None = None


async def finish_job(connection: AsyncConnection, job_id: str, end: JobEnd) -> None:
    values = dataclasses.asdict(end)
    values["counts"] = None if end.counts is None else msgspec.json.encode(end.counts).decode()
    await connection.execute(
        import_job.update()
        .where(import_job.c.job_id == job_id)
        .values(**values, finished_at=datetime.datetime.now(datetime.UTC))
    )


async def find_job(connection: AsyncConnection, job_id: str) -> JobRow | None:
    row = (
        await connection.execute(sa.select(import_job).where(import_job.c.job_id == job_id))
    ).one_or_none()
    return None if row is None else _job(row)


async def issuer_jobs(connection: AsyncConnection, issuer_id: str, count: int) -> list[JobRow]:
    """An issuer's newest ``count`` jobs, newest first."""
    rows = await connection.execute(
        sa.select(import_job)
        .where(import_job.c.issuer_id == issuer_id)
        .order_by(import_job.c.created_at.desc())
        .limit(count)
    )
    return [_job(row) for row in rows]


def _job(row: sa.Row[Any]) -> JobRow:
    values = row._asdict()
    if values["counts"] is not None:
        values["counts"] = msgspec.json.decode(values["counts"], type=BatchCounts)
    # Converting checks each stored word against the vocabulary instead of trusting it.
    return msgspec.convert({str(key): value for key, value in values.items()}, JobRow)


async def mark_interrupted(connection: AsyncConnection) -> int:
    """Mark this host's running jobs whose process is gone; how many there were."""
    host = socket.gethostname()
    rows = await connection.execute(
        sa.select(import_job.c.job_id, import_job.c.owner).where(import_job.c.state == "running")
    )
    gone = [
        job_id
        for job_id, owner in rows
        if owner.rpartition(":")[0] == host and not _alive(int(owner.rpartition(":")[2]))
    ]
    if gone:
        await connection.execute(
            import_job.update()
            .where(import_job.c.job_id.in_(gone))
            .values(
                state="interrupted",
                error_code="interrupted",
                error_detail=(
                    "the process running this import stopped before it finished; send the file "
                    "again: rows that did commit are then reported as exists"
                ),
                finished_at=datetime.datetime.now(datetime.UTC),
            )
        )
    return len(gone)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a job of this process that is not running here any more
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
