"""Import jobs: start them (from an upload or a local file), run them, and answer about them.

A job has a row in ``import_job`` and files under ``<data dir>/imports/<id>/`` (see
``service.imports.files``). HTTP uploads run as background tasks of the serving process; the CLI
runs its import in the foreground. Imports of one process run one at a time: they would wait for the
log's write lock anyway, and one at a time keeps memory at one import's worth.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank import limits
from creditbank.errors import (
    CreditbankError,
    FileFormatError,
    FileTooLargeError,
    NotFoundError,
)
from creditbank.imports.row_paths import RowPath
from creditbank.privacy import Pseudonymizer
from creditbank.rules.engine import RuleBook
from creditbank.service import scope
from creditbank.service.context import WriteContext
from creditbank.service.faults import unavailable_for
from creditbank.service.imports.files import JobFiles, file_chunks, file_sha256
from creditbank.service.imports.pipeline import (
    FileRun,
    ImportOptions,
    ImportOutcome,
    Progress,
    classify_file,
)
from creditbank.service.imports.status import job_status
from creditbank.service.log import LogDesk
from creditbank.service.rulebooks import Rulebooks
from creditbank.storage import reads
from creditbank.storage.append import AppendStream, LogTransaction
from creditbank.storage.import_jobs import (
    JobEnd,
    JobRow,
    create_job,
    find_job,
    finish_job,
    issuer_jobs,
    this_process,
)
from creditbank.storage.staging import StagedAppend
from creditbank.storage.standards import in_force_names
from creditbank.tokens import Principal
from schemas.imports import ImportStatus

__all__ = ["ImportDesk"]

_logger = logging.getLogger("creditbank.imports")

# How long a job whose database went away keeps trying to record that it failed.
job_finish_retry_seconds = 600.0
_FIRST_PAUSE_SECONDS = 0.25
_LONGEST_PAUSE_SECONDS = 5.0


class ImportDesk:
    def __init__(
        self,
        context: WriteContext,
        *,
        pseudonymizer: Pseudonymizer,
        rulebooks: Rulebooks,
        log: LogDesk,
        data_dir: Path,
        row_path: RowPath = "lean",
    ) -> None:
        self._context = context
        self._row_path = row_path
        self._pseudonymizer = pseudonymizer
        self._rulebooks = rulebooks
        self._log = log
        self._data_dir = data_dir
        self._live: dict[str, tuple[Progress, float]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._one_at_a_time = asyncio.Lock()

    def files(self, job_id: str) -> JobFiles:
        return JobFiles(self._data_dir, job_id)

    # Starting ----------------------------------------------------------------------------------

    async def upload(
        self, principal: Principal, options: ImportOptions, body: AsyncIterable[bytes]
    ) -> ImportStatus:
        """Receive the file, then run the import in the background; the job's first status."""
        scope.acts_for_issuer(principal, options.issuer_id, "import")
        self._context.require_writable()
        job_id = str(uuid.uuid4())
        files = self.files(job_id)
        files.create()
        try:
            digest, size = await files.receive(body, limits.import_file_bytes_max)
        except BaseException:
            files.remove()
            raise
        job = await self._create(job_id, options, digest, size)
        progress = Progress(bytes_total=size)
        self._live[job_id] = (progress, time.monotonic())
        task = asyncio.create_task(self._run(job, options, progress))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return await self.status(principal, job_id)

    async def commit_dry_run(
        self, principal: Principal, job_id: str, default_outcome_type: str | None = None
    ) -> ImportStatus:
        """Commit the file a finished dry run read: a new job over the same bytes."""
        job = await self.job(principal, job_id)
        if job.mode != "dry_run" or job.state != "finished":
            raise NotFoundError(f"import {job_id} is not a finished dry run")
        options = ImportOptions(
            issuer_id=job.issuer_id,
            file_format=job.file_format,
            on_error=job.on_error,
            signature=job.signature,
            default_outcome_type=default_outcome_type,
        )

        async def kept_input() -> AsyncIterator[bytes]:
            for chunk in file_chunks(self.files(job_id).input):
                yield chunk

        return await self.upload(principal, options, kept_input())

    async def history(self, principal: Principal, count: int) -> list[ImportStatus]:
        """The principal's issuer's newest imports, newest first."""
        scope.acts_for_issuer(principal, principal.issuer_id or "", "see the imports of")
        async with self._context.connect() as connection:
            jobs = await issuer_jobs(connection, principal.issuer_id or "", count)
        return [job_status(job, self._live.get(job.job_id)) for job in jobs]

    async def run_local(
        self, options: ImportOptions, path: Path, progress: Progress | None = None
    ) -> JobRow:
        """Import a local file in the foreground (the CLI); the finished job."""
        self._context.require_writable()
        digest, size = file_sha256(path)
        if size > limits.import_file_bytes_max:
            raise FileTooLargeError(
                f"an import file is at most {limits.import_file_bytes_max} bytes"
            )
        job_id = str(uuid.uuid4())
        files = self.files(job_id)
        files.create()
        files.keep_input(path)
        job = await self._create(job_id, options, digest, size)
        progress = progress or Progress()
        progress.bytes_total = size
        await self._run(job, options, progress)
        found = await self.find(job_id)
        assert found is not None
        return found

    async def wait(self) -> None:
        """Let every background import finish (tests, and a graceful shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _create(self, job_id: str, options: ImportOptions, digest: str, size: int) -> JobRow:
        job = JobRow(
            job_id=job_id,
            issuer_id=options.issuer_id,
            file_format=options.file_format,
            mode="dry_run" if options.dry_run else "commit",
            on_error=options.on_error,
            file_sha256=digest,
            file_bytes=size,
            signature=options.signature,
            state="running",
            result=None,
            counts=None,
            first_index=None,
            last_index=None,
            batch_index=None,
            error_code=None,
            error_detail=None,
            owner=this_process(),
            created_at=datetime.datetime.now(datetime.UTC),
            finished_at=None,
        )
        async with self._context.begin() as connection:
            await create_job(connection, job)
        return job

    # Running -----------------------------------------------------------------------------------

    async def _run(self, job: JobRow, options: ImportOptions, progress: Progress) -> None:
        try:
            async with self._one_at_a_time:
                outcome = await self._classify(job, options, progress)
        except CreditbankError as error:
            code = error.reason_code if isinstance(error, FileFormatError) else error.code
            await self._finish(
                job.job_id, JobEnd(state="failed", error_code=code, error_detail=str(error))
            )
        except Exception as error:
            await self._finish(job.job_id, _failure(job.job_id, error))
        else:
            await self._finish(
                job.job_id,
                JobEnd(
                    state="finished",
                    result=outcome.result,
                    counts=outcome.counts,
                    first_index=outcome.first_index,
                    last_index=outcome.last_index,
                    batch_index=outcome.batch_index,
                ),
            )
        finally:
            self._live.pop(job.job_id, None)

    async def _classify(
        self, job: JobRow, options: ImportOptions, progress: Progress
    ) -> ImportOutcome:
        files, now = self.files(job.job_id), self._context.now()

        def file_run(
            connection: AsyncConnection,
            reader: AsyncConnection,
            rulebook: RuleBook,
            stream: AppendStream | StagedAppend | None,
        ) -> FileRun:
            return FileRun(
                connection=connection,
                reader=reader,
                options=options,
                files=files,
                rulebook=rulebook,
                pseudonymizer=self._pseudonymizer,
                now=now,
                progress=progress,
                stream=stream,
                row_path=self._row_path,
            )

        if options.dry_run:
            async with self._context.snapshot() as connection:
                rulebook = await self._rulebooks.current(connection)
                run = file_run(connection, connection, rulebook, None)
                return await classify_file(run, job.file_sha256)
        staged = await self._staged(job, files, file_run)
        if staged is not None:
            return staged
        # Something the staged run decided on moved before it could be placed: classify again
        # under the lock from the first row to the last, where nothing can move.
        files.results.unlink(missing_ok=True)
        progress.rows = progress.errors = 0
        progress.bytes_read[0] = 0
        # The reader's snapshot is taken under the write lock, so it holds everything committed
        # before this import and nothing can be committed beside it until it ends.
        async with self._context.transaction() as transaction, self._context.snapshot() as reader:
            connection = transaction.connection
            rulebook = await self._rulebooks.current(connection)
            stream = await transaction.stream()
            run = file_run(connection, reader, rulebook, stream)
            outcome = await classify_file(run, job.file_sha256)
            if outcome.result == "committed":
                await transaction.commit()
            return outcome

    async def _staged(
        self,
        job: JobRow,
        files: JobFiles,
        file_run: Callable[[AsyncConnection, AsyncConnection, RuleBook, StagedAppend], FileRun],
    ) -> ImportOutcome | None:
        """Classify against a snapshot without the lock, staging the append, then take the
        lock to place it (``storage.staging``); None if something it decided on moved."""
        async with (
            self._context.connect() as connection,
            self._context.snapshot() as reader,
            contextlib.AsyncExitStack() as locked,
        ):
            size = (await reads.log_head(reader)).tree_size
            in_force = await in_force_names(reader)
            staged = StagedAppend(connection, size)
            await staged.create()
            held: list[LogTransaction] = []

            async def place(staged: StagedAppend) -> AppendStream:
                transaction = await locked.enter_async_context(
                    self._context.transaction(on=connection)
                )
                held.append(transaction)
                moved = await staged.changed_since(transaction.connection)
                if moved is None and await in_force_names(transaction.connection) != in_force:
                    moved = "the standards in force changed meanwhile"
                if moved is not None:
                    raise _Moved(moved)
                stream = await transaction.stream()
                await staged.place(stream)
                return stream

            rulebook = await self._rulebooks.current(reader)
            try:
                outcome = await classify_file(
                    file_run(connection, reader, rulebook, staged), job.file_sha256, place
                )
                if outcome.result == "committed":
                    await held[0].commit()
            except _Moved as moved:
                _logger.info("import %s: %s; classifying again under the lock", job.job_id, moved)
                return None
            finally:
                # The lock goes first; then the staged rows, which would otherwise stay with the
                # pooled connection until its next import (a broken connection takes them along).
                await locked.aclose()
                with contextlib.suppress(Exception):
                    await staged.drop()
        if outcome.first_index is not None and outcome.first_index != size:
            files.shift_recorded(outcome.first_index - size)
        return outcome

    async def _finish(self, job_id: str, end: JobEnd) -> None:
        """Record how the job ended, waiting for the database if it is the reason the job
        failed: a job must not say ``running`` forever because its error handler needed the
        store it lost. Past ``job_finish_retry_seconds`` the next start marks it interrupted."""
        deadline = time.monotonic() + job_finish_retry_seconds
        pause = _FIRST_PAUSE_SECONDS
        while True:
            try:
                async with self._context.begin() as connection:
                    await finish_job(connection, job_id, end)
                return
            except Exception as error:
                fault = unavailable_for(error)
                if fault is None or time.monotonic() + pause > deadline:
                    raise
                _logger.warning("import %s: cannot record its end yet (%s)", job_id, fault.code)
                await asyncio.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE_SECONDS)

    # Answering ---------------------------------------------------------------------------------

    async def find(self, job_id: str) -> JobRow | None:
        async with self._context.connect() as connection:
            return await find_job(connection, job_id)

    async def job(self, principal: Principal, job_id: str) -> JobRow:
        """The job, if the principal may see it (its issuer, or admin); else NotFoundError."""
        job = await self.find(job_id)
        if job is None:
            raise NotFoundError(f"no import {job_id}")
        scope.sees_import(principal, job.issuer_id, job_id)
        return job

    async def status(self, principal: Principal, job_id: str) -> ImportStatus:
        job = await self.job(principal, job_id)
        return job_status(job, self._live.get(job_id))

    async def receipt(self, principal: Principal, job_id: str) -> str:
        job = await self.job(principal, job_id)
        if job.batch_index is None:
            raise NotFoundError(f"import {job_id} committed no batch")
        return await self._log.receipt(principal, job.batch_index)


class _Moved(Exception):
    """What a staged import decided on moved before it could be placed."""


def _failure(job_id: str, error: Exception) -> JobEnd:
    """The end of a job stopped by something other than its input: the store (a stable code,
    retry later) or a bug (logged, ``internal_error``). Either way nothing was committed."""
    fault = unavailable_for(error)
    if fault is not None:
        _logger.warning("import %s stopped: %s: %r", job_id, fault.code, error)
        return JobEnd(
            state="failed",
            error_code=fault.code,
            error_detail=f"{fault.message}; send the file again once the service is ready",
        )
    _logger.exception("import %s failed", job_id, exc_info=error)
    return JobEnd(
        state="failed",
        error_code="internal_error",
        error_detail="the import stopped on an internal error; nothing was committed",
    )
