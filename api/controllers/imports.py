"""Bulk imports: upload a file, follow the job, page through rows, fetch the report and receipt."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Stream

from api.auth import allow, provide_principal
from api.desks import Imports
from creditbank import limits
from creditbank.errors import FileFormatError
from creditbank.service.imports.pipeline import ImportOptions
from creditbank.service.imports.report import report_csv, row_page, rows_page_max
from creditbank.service.imports.report_xlsx import XLSX_MEDIA_TYPE, report_xlsx
from creditbank.tokens import Principal
from schemas.imports import ImportFormat, ImportRowsPage, ImportStatus, OnError, RowStatus
from schemas.types import IssuerId, OutcomeType

__all__ = ["ImportController"]

JobInPath = Annotated[str, PathParameter(min_length=1, max_length=36)]

_FORMAT_BY_MEDIA_TYPE: dict[str, ImportFormat] = {
    "text/csv": "csv",
    "text/tab-separated-values": "csv",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "application/json": "json",
    # Workbooks: calamine tells the container from the bytes, whichever of these was sent.
    XLSX_MEDIA_TYPE: "sheet",
    "application/vnd.ms-excel": "sheet",
    "application/vnd.oasis.opendocument.spreadsheet": "sheet",
}


def _file_format(request: Request[Any, Any, Any], given: ImportFormat | None) -> ImportFormat:
    if given is not None:
        return given
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    found = _FORMAT_BY_MEDIA_TYPE.get(media_type)
    if found is None:
        raise FileFormatError(
            "unknown_format",
            "say the format with ?format=csv|ndjson|json|sheet or a text/csv, "
            "application/x-ndjson, application/json or spreadsheet (.xlsx, .xls, .ods) "
            "content type",
        )
    return found


async def _body(request: Request[Any, Any, Any]) -> AsyncIterator[bytes]:
    async for chunk in request.stream():
        yield chunk


class ImportController(Controller):
    path = "/v1/imports"
    tags = ["imports"]
    dependencies = {"principal": provide_principal}

    @post(
        "/",
        guards=[allow("issuer")],
        status_code=202,
        request_max_body_size=limits.import_file_bytes_max,
        summary="Import a file of outcomes as one batch (runs in the background)",
    )
    async def start(
        self,
        request: Request[Any, Any, Any],
        imports: Imports,
        principal: NamedDependency[Principal],
        file_format: Annotated[ImportFormat | None, QueryParameter(name="format")] = None,
        dry_run: Annotated[bool, QueryParameter()] = False,
        on_error: Annotated[OnError, QueryParameter()] = "reject",
        signature: Annotated[
            str | None,
            QueryParameter(max_length=88, description="base64 Ed25519 over the file's raw SHA-256"),
        ] = None,
        outcome_type: Annotated[
            OutcomeType | None,
            QueryParameter(description="for CSV files without a type column"),
        ] = None,
        issuer: Annotated[
            IssuerId | None,
            QueryParameter(
                description="the issuer the caller means to import for; refused with 403 "
                "unless it is the token's own (the default)"
            ),
        ] = None,
    ) -> Response[ImportStatus]:
        options = ImportOptions(
            # The token decides the issuer; a named one that differs is refused by the desk,
            # before the body is read, rather than silently replaced.
            issuer_id=issuer or principal.issuer_id or "",
            file_format=_file_format(request, file_format),
            dry_run=dry_run,
            on_error=on_error,
            signature=signature,
            default_outcome_type=outcome_type,
        )
        status = await imports.upload(principal, options, _body(request))
        return Response(status, status_code=202, headers={"Location": f"/v1/imports/{status.id}"})

    @get("/{job_id:str}", guards=[allow("issuer", "admin")], summary="An import's status")
    async def status(
        self, imports: Imports, principal: NamedDependency[Principal], job_id: JobInPath
    ) -> ImportStatus:
        return await imports.status(principal, job_id)

    @get("/{job_id:str}/rows", guards=[allow("issuer", "admin")], summary="Row results, paged")
    async def rows(
        self,
        imports: Imports,
        principal: NamedDependency[Principal],
        job_id: JobInPath,
        status: Annotated[RowStatus | None, QueryParameter()] = None,
        after: Annotated[int, QueryParameter(ge=0)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=rows_page_max)] = 100,
    ) -> ImportRowsPage:
        job = await imports.job(principal, job_id)
        return row_page(job, imports.files(job_id), status=status, after=after, limit=limit)

    @get(
        "/{job_id:str}/report.csv",
        guards=[allow("issuer", "admin")],
        summary="The input's rows in its own template, with status and error columns",
    )
    async def report(
        self, imports: Imports, principal: NamedDependency[Principal], job_id: JobInPath
    ) -> Stream:
        job = await imports.job(principal, job_id)
        # In a thread: a workbook input is read whole before the first row (calamine).
        chunks: Iterator[bytes] = await asyncio.to_thread(report_csv, job, imports.files(job_id))
        return Stream(
            chunks,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="import-{job_id}.csv"'},
        )

    @get(
        "/{job_id:str}/report.xlsx",
        guards=[allow("issuer", "admin")],
        summary="The report as an Excel workbook: the input's columns as text, status, error",
    )
    async def report_workbook(
        self, imports: Imports, principal: NamedDependency[Principal], job_id: JobInPath
    ) -> Stream:
        job = await imports.job(principal, job_id)
        # The workbook is written whole before it is sent (seconds for a large import).
        chunks = await asyncio.to_thread(report_xlsx, job, imports.files(job_id))
        return Stream(
            chunks,
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="import-{job_id}.xlsx"'},
        )

    @get(
        "/{job_id:str}/receipt",
        guards=[allow("issuer", "admin")],
        media_type="text/plain",
        summary="The batch entry's c2sp.org/tlog-proof@v1",
    )
    async def receipt(
        self, imports: Imports, principal: NamedDependency[Principal], job_id: JobInPath
    ) -> str:
        return await imports.receipt(principal, job_id)
