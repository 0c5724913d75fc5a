"""An import job as its caller sees it: the stored row, and the live progress of a running one.

No database here: the desk reads the row and knows the progress; the command line shows a job it ran
itself the same way.
"""

from __future__ import annotations

import time

from creditbank.service.imports.pipeline import Progress
from creditbank.storage.import_jobs import JobRow
from schemas.imports import ImportFailure, ImportProgress, ImportStatus

__all__ = ["job_status"]


def job_status(job: JobRow, live: tuple[Progress, float] | None) -> ImportStatus:
    progress = None
    if live is not None and job.state == "running":
        progress = _progress_view(*live)
    error = None
    if job.error_code is not None:
        error = ImportFailure(code=job.error_code, detail=job.error_detail or "")
    return ImportStatus(
        id=job.job_id,
        issuer_id=job.issuer_id,
        file_format=job.file_format,
        mode=job.mode,
        on_error=job.on_error,
        file_sha256=job.file_sha256,
        file_bytes=job.file_bytes,
        signed=job.signature is not None,
        state=job.state,
        result=job.result,
        progress=progress,
        counts=job.counts,
        first_index=job.first_index,
        last_index=job.last_index,
        batch_index=job.batch_index,
        receipt=None if job.batch_index is None else f"/v1/imports/{job.job_id}/receipt",
        error=error,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


def _progress_view(progress: Progress, started: float) -> ImportProgress:
    elapsed = max(time.monotonic() - started, 1e-6)
    bytes_read = progress.bytes_read[0]
    rate = progress.rows / elapsed
    eta = None
    if bytes_read and progress.bytes_total:
        eta = (progress.bytes_total - bytes_read) * elapsed / bytes_read
    return ImportProgress(
        rows=progress.rows,
        errors=progress.errors,
        bytes_read=bytes_read,
        bytes_total=progress.bytes_total,
        rows_per_second=round(rate, 1),
        eta_seconds=None if eta is None else round(eta, 1),
    )
