"""``creditbank import FILE``: a bulk import from the command line, with a progress bar.

    creditbank import FILE --issuer ID [--format csv|ndjson|json|sheet] [--dry-run]
        [--on-error reject|skip] [--outcome-type TYPE] [--signature B64]
        [--report OUT.csv|OUT.xlsx]
    creditbank import FILE --url URL [--token T] [...]

Without --url the import runs in this process against the configured database; with --url the
file is streamed to a creditbank service and the job is polled until it ends (the token, given
with --token or in CREDITBANK_TOKEN, decides the issuer; an --issuer that is not the token's is
refused before the import starts). A summary goes to stdout, a progress
bar to stderr when it is a terminal. Exit 0: committed, nothing to commit or a clean dry run;
1: error rows (rejected, or a dry run or skip with errors); 2: the file failed as a whole, or
the command could not run (``creditbank: CODE: message`` on stderr); 3: with --url, the job was
still running after --follow-seconds (it goes on in the service).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO, get_args

import httpx
import msgspec

from creditbank.cli.common import (
    STILL_RUNNING,
    CommandError,
    Service,
    add_service_options,
    error_line,
    open_service,
    service_token,
)
from creditbank.imports.classify import ERROR_STATUSES, ROW_STATUSES
from creditbank.service.imports.pipeline import FileFormat, ImportOptions, Progress
from creditbank.settings import Settings
from schemas.entries import BatchCounts
from schemas.imports import ImportRow, ImportRowsPage, ImportStatus
from schemas.types import OutcomeType

__all__ = ["ImportCommandError", "ProgressBar", "add_command", "import_via_url", "run"]

FORMAT_BY_SUFFIX: dict[str, FileFormat] = {
    **dict.fromkeys((".csv", ".tsv", ".txt"), "csv"),
    **dict.fromkeys((".ndjson", ".jsonl"), "ndjson"),
    ".json": "json",
    **dict.fromkeys((".xlsx", ".xlsm", ".xls", ".ods"), "sheet"),
}
MEDIA_TYPES = {
    "csv": "text/csv",
    "ndjson": "application/x-ndjson",
    "json": "application/json",
    "sheet": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# A workbook is sent as what it is (the service reads any of them the same way).
_SHEET_MEDIA_TYPES = {
    ".xls": "application/vnd.ms-excel",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
}
error_rows_shown = 20
poll_seconds = 0.5
follow_seconds_default = 3600.0
# Answers while following a job that mean "not now" rather than "no".
_RETRIED_CODES = frozenset({"unavailable", "database_unavailable", "database_busy"})
upload_chunk_bytes = 1 << 20

# The command's errors are the shared CommandError; this older name stays because
# tests/test_cli_import.py still catches ``cli_import.ImportCommandError``.
ImportCommandError = CommandError


def add_command(commands: Any) -> None:
    command = commands.add_parser("import", help="import a file of outcomes as one batch")
    command.add_argument(
        "file", type=Path, help="a .xlsx/.xls/.ods, .csv/.tsv/.txt, .ndjson/.jsonl or .json file"
    )
    command.add_argument(
        "--issuer",
        dest="issuer_id",
        help="the issuer (required without --url; with --url it must be the token's)",
    )
    command.add_argument("--format", dest="file_format", choices=sorted(MEDIA_TYPES))
    command.add_argument("--dry-run", action="store_true", help="classify only, write nothing")
    command.add_argument("--on-error", choices=("reject", "skip"), default="reject")
    command.add_argument("--outcome-type", choices=get_args(OutcomeType), help="CSV default type")
    command.add_argument("--signature", help="base64 Ed25519 over the file's raw SHA-256")
    command.add_argument(
        "--report", type=Path, help="write the per-row report here (.xlsx: as a workbook; else CSV)"
    )
    command.add_argument(
        "--follow-seconds",
        type=float,
        default=follow_seconds_default,
        help="with --url: stop following the job after this long, exit 3 (default: 3600)",
    )
    add_service_options(command, url_help="import through this creditbank service", role="issuer")


def run(settings: Settings, arguments: argparse.Namespace) -> int:
    path: Path = arguments.file
    if not path.is_file():
        raise CommandError("not_found", f"no file at {path}")
    file_format = arguments.file_format or FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if file_format is None:
        raise CommandError("unknown_format", f"say --format for {path.name}")
    if arguments.url is None and not arguments.issuer_id:
        raise CommandError("usage", "--issuer is required without --url")
    options = ImportOptions(
        issuer_id=arguments.issuer_id or "",
        file_format=file_format,
        dry_run=arguments.dry_run,
        on_error=arguments.on_error,
        signature=arguments.signature,
        default_outcome_type=arguments.outcome_type,
    )
    bar = ProgressBar()
    if arguments.url is None:
        status, rows = asyncio.run(_import_locally(settings, path, options, arguments.report, bar))
    else:
        status, rows = import_via_url(
            path,
            options,
            url=arguments.url,
            token=service_token(arguments.token, role="an issuer"),
            report=arguments.report,
            bar=bar,
            follow_seconds=arguments.follow_seconds,
        )
    return summarise(status, rows, sys.stdout)


# The progress bar ------------------------------------------------------------------------------


def progress_line(
    rows: int, bytes_read: int, bytes_total: int, rate: float, eta: float | None, label: str = ""
) -> str:
    share = min(bytes_read / bytes_total, 1.0) if bytes_total else 0.0
    filled = int(share * 24)
    left = "--:--" if eta is None else f"{int(eta) // 60:02d}:{int(eta) % 60:02d}"
    return (
        f"{label}[{'#' * filled}{'.' * (24 - filled)}] {share:6.1%}  {rows:,} rows  "
        f"{rate:,.0f} rows/s  ETA {left}"
    )


class ProgressBar:
    """One line on stderr, redrawn with ``\\r`` at most five times a second; silent unless the
    stream is a terminal."""

    interval_seconds = 0.2

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._drawn = -float("inf")
        self._width = 0

    def draw(
        self,
        rows: int,
        bytes_read: int,
        bytes_total: int,
        rate: float,
        eta: float | None,
        label: str = "",
    ) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._drawn < self.interval_seconds:
            return
        self._drawn = now
        line = progress_line(rows, bytes_read, bytes_total, rate, eta, label)
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)

    def close(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


async def _watch(progress: Progress, bar: ProgressBar) -> None:
    started = time.monotonic()
    while True:
        await asyncio.sleep(bar.interval_seconds)
        elapsed = time.monotonic() - started
        done, total = progress.bytes_read[0], progress.bytes_total
        eta = (total - done) * elapsed / done if done and total else None
        bar.draw(progress.rows, done, total, progress.rows / elapsed, eta)


# What the command prints -----------------------------------------------------------------------


def _error_rows(
    counts: BatchCounts | None, fetch: Callable[[str], Iterable[ImportRow]]
) -> list[ImportRow]:
    """The first error rows in file order: a page of each error status there is, merged."""
    if counts is None:
        return []
    statuses = [s for s in ROW_STATUSES if s in ERROR_STATUSES and getattr(counts, s) > 0]
    rows = [row for status in statuses for row in fetch(status)]
    return sorted(rows, key=lambda row: row.number)[:error_rows_shown]


def summarise(status: ImportStatus, error_rows: list[ImportRow], out: TextIO) -> int:
    """Print the summary table and the first error rows; the exit status."""
    print(
        f"import {status.id} ({status.mode}, on error {status.on_error}): {status.state}", file=out
    )
    if status.error is not None:
        failed = CommandError(status.error.code, status.error.detail)
        print(error_line(failed), file=sys.stderr)
        return 2
    counts = status.counts
    if counts is not None:
        print(f"  {'rows':<32} {counts.rows:>9,}", file=out)
        for name in (*ROW_STATUSES, "recorded"):
            print(f"    {name:<30} {getattr(counts, name):>9,}", file=out)
    print(f"result: {status.result}", file=out)
    if status.result == "committed":
        print(f"  entries {status.first_index}..{status.last_index}", file=out)
        print(f"  batch entry {status.batch_index}, receipt {status.receipt}", file=out)
    if error_rows:
        print(f"first {len(error_rows)} error rows:", file=out)
        print("  row\tstatus\tfield\treason", file=out)
        for row in error_rows:
            print(f"  {row.number}\t{row.status}\t{row.field or '-'}\t{row.reason or ''}", file=out)
    errors = sum(getattr(counts, name, 0) for name in ERROR_STATUSES)
    return 1 if status.result == "rejected" or errors else 0


def _workbook_report(target: Path) -> bool:
    return target.suffix.lower() == ".xlsx"


def _write_report(target: Path, chunks: Iterable[bytes]) -> None:
    with target.open("wb") as handle:
        for chunk in chunks:
            handle.write(chunk)


# Local mode ------------------------------------------------------------------------------------


async def _import_locally(
    settings: Settings, path: Path, options: ImportOptions, report: Path | None, bar: ProgressBar
) -> tuple[ImportStatus, list[ImportRow]]:
    from creditbank.service.deployment import open_bank
    from creditbank.service.imports.report import report_csv, row_page
    from creditbank.service.imports.report_xlsx import report_xlsx
    from creditbank.service.imports.status import job_status

    bank = await open_bank(settings)
    try:
        await bank.start()
        progress = Progress()
        watcher = asyncio.create_task(_watch(progress, bar))
        try:
            job = await bank.imports.run_local(options, path, progress)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            bar.close()
        files = bank.imports.files(job.job_id)
        if report is not None and job.state == "finished":
            written = report_xlsx if _workbook_report(report) else report_csv
            _write_report(report, written(job, files))

        def fetch(status: str) -> list[ImportRow]:
            return row_page(job, files, status=status, after=0, limit=error_rows_shown).rows

        return job_status(job, None), _error_rows(job.counts, fetch)
    finally:
        await bank.engine.dispose()


# URL mode --------------------------------------------------------------------------------------


def import_via_url(
    path: Path,
    options: ImportOptions,
    *,
    url: str,
    token: str,
    report: Path | None = None,
    bar: ProgressBar | None = None,
    client: httpx.Client | None = None,
    follow_seconds: float = follow_seconds_default,
) -> tuple[ImportStatus, list[ImportRow]]:
    """Upload path to the service at url, follow the job to its end; ``client`` for tests."""
    bar = bar or ProgressBar()
    try:
        with open_service(url, token, client=client) as service:
            uploaded = _upload(service, path, options, bar)
            status = _follow(service, uploaded, bar, follow_seconds)
            base = f"/v1/imports/{status.id}"
            if report is not None and status.state == "finished":
                name = "report.xlsx" if _workbook_report(report) else "report.csv"
                with service.stream(f"{base}/{name}") as response:
                    _write_report(report, response.iter_bytes())

            def fetch(row_status: str) -> list[ImportRow]:
                query: dict[str, str | int] = {"status": row_status, "limit": error_rows_shown}
                answer = service.get(f"{base}/rows", params=query)
                return msgspec.json.decode(answer.content, type=ImportRowsPage).rows

            return status, _error_rows(status.counts, fetch)
    finally:
        bar.close()


def _upload(service: Service, path: Path, options: ImportOptions, bar: ProgressBar) -> ImportStatus:
    size = path.stat().st_size
    query: dict[str, str] = {
        "format": options.file_format,
        "dry_run": "true" if options.dry_run else "false",
        "on_error": options.on_error,
    }
    if options.signature is not None:
        query["signature"] = options.signature
    if options.issuer_id:
        query["issuer"] = options.issuer_id  # the service refuses it unless it is the token's
    if options.default_outcome_type is not None:
        query["outcome_type"] = options.default_outcome_type
    response = service.post(
        "/v1/imports",
        _chunks(path, size, bar),
        content_type=_media_type(path, options.file_format),
        params=query,
        headers={"Content-Length": str(size)},  # a known length, so no chunked encoding
    )
    return msgspec.json.decode(response.content, type=ImportStatus)


def _media_type(path: Path, file_format: FileFormat) -> str:
    if file_format == "sheet":
        return _SHEET_MEDIA_TYPES.get(path.suffix.lower(), MEDIA_TYPES["sheet"])
    return MEDIA_TYPES[file_format]


def _chunks(path: Path, size: int, bar: ProgressBar) -> Iterator[bytes]:
    """The file in chunks, never whole in memory; the bar shows the upload."""
    sent = 0
    with path.open("rb") as handle:
        while chunk := handle.read(upload_chunk_bytes):
            sent += len(chunk)
            bar.draw(0, sent, size, 0.0, None, label="upload ")
            yield chunk


def _follow(
    service: Service, status: ImportStatus, bar: ProgressBar, follow_seconds: float
) -> ImportStatus:
    """Poll the job until it ends. A poll the service cannot answer now (503, a dropped
    connection) is tried again; past ``follow_seconds`` the command gives up, exit 3, and says
    where the job can still be followed: the import goes on in the service either way."""
    deadline = time.monotonic() + follow_seconds
    while status.state == "running":
        if status.progress is not None:
            shown = status.progress
            bar.draw(
                shown.rows,
                shown.bytes_read,
                shown.bytes_total,
                shown.rows_per_second,
                shown.eta_seconds,
                label="import ",
            )
        if time.monotonic() >= deadline:
            raise CommandError(
                STILL_RUNNING,
                f"import {status.id} has not ended after {follow_seconds:g} s; it goes on in "
                f"the service: GET /v1/imports/{status.id} says when it does",
            )
        time.sleep(poll_seconds)
        try:
            response = service.get(f"/v1/imports/{status.id}")
        except CommandError as error:
            if error.code not in _RETRIED_CODES:
                raise
            continue
        except httpx.TransportError:
            continue
        status = msgspec.json.decode(response.content, type=ImportStatus)
    return status
