"""Bodies of the bulk import API (``/v1/imports``)."""

from __future__ import annotations

import datetime
from typing import Literal

import msgspec

from schemas.entries import BatchCounts
from schemas.types import (
    ImportFormat,
    ImportMode,
    ImportResult,
    ImportState,
    LogIndex,
    OnError,
)

__all__ = [
    "ImportFailure",
    "ImportFormat",
    "ImportMode",
    "ImportProgress",
    "ImportResult",
    "ImportRow",
    "ImportRowsPage",
    "ImportState",
    "ImportStatus",
    "OnError",
    "RowStatus",
]

RowStatus = Literal[
    "ready",
    "capped",
    "no_standard",
    "exists",
    "malformed",
    "duplicate_in_file",
    "exists_with_different_content",
    "unknown_issuer",
]


class ImportProgress(msgspec.Struct, frozen=True, kw_only=True):
    rows: int
    errors: int  # rows classified as an error so far
    bytes_read: int
    bytes_total: int
    rows_per_second: float
    eta_seconds: float | None  # from the bytes still to read; None until there is a rate


class ImportFailure(msgspec.Struct, frozen=True, kw_only=True):
    """Why an import failed as a whole (the file, the signature, a crash), with a stable code."""

    code: str
    detail: str


class ImportStatus(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /v1/imports/{id}`` and the answer to ``POST /v1/imports`` (202)."""

    id: str
    issuer_id: str
    file_format: ImportFormat
    mode: ImportMode
    on_error: OnError
    file_sha256: str
    file_bytes: int
    signed: bool
    state: ImportState
    result: ImportResult | None
    progress: ImportProgress | None  # while running
    counts: BatchCounts | None  # once finished
    first_index: LogIndex | None
    last_index: LogIndex | None
    batch_index: LogIndex | None  # the batch.committed entry
    receipt: str | None  # path of the batch entry's tlog-proof
    error: ImportFailure | None
    created_at: datetime.datetime
    finished_at: datetime.datetime | None


class ImportRow(msgspec.Struct, frozen=True, kw_only=True):
    """One row's classification. ``number`` is the data row (CSV, header not counted), the line
    (NDJSON) or the item (JSON array), from 1."""

    number: int
    status: RowStatus
    record_id: str | None
    field: str | None  # for errors: the field at fault
    reason: str | None
    index: LogIndex | None  # the row's entry once committed; the banked entry for exists
    credits: str | None  # the award (made, or that would be made in a dry run)
    standard: str | None  # "<id>@<version>" that decided it


class ImportRowsPage(msgspec.Struct, frozen=True, kw_only=True):
    rows: list[ImportRow]
    next_after: int | None  # pass as ?after= for the next page; None at the end
