"""An issuer officer's pages: bulk import (dry run first, then commit), import history, the row
report, templates, and revoking or correcting a record. An officer sees its own issuer's imports
only; another issuer's answers 404 (the import desk's scope rule)."""

from __future__ import annotations

import asyncio
import datetime
import decimal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated, Any, get_args

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter, QueryParameter
from litestar.response import Redirect, Stream, Template

from api.desks import Imports, Revocations
from creditbank import limits
from creditbank.errors import CreditbankError, FileFormatError, MalformedError
from creditbank.service.imports.pipeline import ImportOptions
from creditbank.service.imports.report import report_csv
from creditbank.service.imports.report_xlsx import XLSX_MEDIA_TYPE, report_xlsx
from portal.i18n import gettext_for as _
from portal.pages.base import PageController
from portal.people import require
from portal.render import page, see_other
from schemas.api import OutcomeRecord
from schemas.imports import ImportFormat
from schemas.learners import CorrectionRequest
from schemas.types import OutcomeType

__all__ = ["ImportPages", "OutcomePages"]

AnyRequest = Request[Any, Any, Any]
Form = Body(media_type=RequestEncodingType.URL_ENCODED)
Upload = Body(media_type=RequestEncodingType.MULTI_PART)
JobInPath = Annotated[str, PathParameter(min_length=1, max_length=36)]
history_length = 50
_UPLOAD_CHUNK_BYTES = 1 << 20
_FORMAT_BY_SUFFIX: dict[str, ImportFormat] = {
    ".csv": "csv",
    ".txt": "csv",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "json",
    **dict.fromkeys((".xlsx", ".xlsm", ".xls", ".ods"), "sheet"),
}
# Templates: the header row an enterprise fills in, in the two encodings Excel writes in China.
TEMPLATE_HEADER = (
    "记录编号,身份证号,姓名,课程代码,课程名称,学时,成绩,出勤率,是否合格,完成日期,类型\r\n"
)
_TEMPLATES = {
    "outcomes-utf8.csv": TEMPLATE_HEADER.encode("utf-8-sig"),
    "outcomes-gb18030.csv": TEMPLATE_HEADER.encode("gb18030"),
}
OUTCOME_TYPES: tuple[str, ...] = get_args(OutcomeType)


def _file_format(name: str) -> ImportFormat:
    found = _FORMAT_BY_SUFFIX.get(Path(name).suffix.lower())
    if found is None:
        raise FileFormatError(
            "unknown_format",
            "choose an Excel workbook (.xlsx, .xls), an .ods, .csv, .ndjson or .json file",
        )
    return found


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(_UPLOAD_CHUNK_BYTES):
        yield chunk


class ImportPages(PageController):
    @get("/imports")
    async def history(self, request: AnyRequest, imports: Imports) -> Template:
        _account, principal = await require(request, "issuer")
        return await page(
            request,
            "imports.html",
            title=_("Bulk import"),
            jobs=await imports.history(principal, history_length),
            outcome_types=OUTCOME_TYPES,
        )

    @post("/imports", request_max_body_size=limits.import_file_bytes_max)
    async def upload(
        self, request: AnyRequest, imports: Imports, data: Annotated[dict[str, Any], Upload]
    ) -> Response[Any]:
        _account, principal = await require(request, "issuer")
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise MalformedError("file", "choose a file to upload")
        outcome_type = str(data.get("outcome_type") or "") or None
        options = ImportOptions(
            issuer_id=principal.issuer_id or "",
            file_format=_file_format(upload.filename),
            dry_run=data.get("dry_run") == "yes",
            on_error="skip" if data.get("on_error") == "skip" else "reject",
            default_outcome_type=outcome_type if outcome_type in OUTCOME_TYPES else None,
        )
        status = await imports.upload(principal, options, _chunks(upload))
        query = f"?outcome_type={outcome_type}" if options.default_outcome_type else ""
        return see_other(f"/imports/{status.id}{query}")

    @get("/imports/templates/{name:str}")
    async def template(self, name: Annotated[str, PathParameter(max_length=40)]) -> Response[bytes]:
        content = _TEMPLATES.get(name)
        if content is None:
            raise FileFormatError("unknown_format", f"no template {name}")
        return Response(
            content,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @get("/imports/{job_id:str}")
    async def status(
        self,
        request: AnyRequest,
        imports: Imports,
        job_id: JobInPath,
        outcome_type: Annotated[str, QueryParameter(max_length=32)] = "",
    ) -> Template:
        _account, principal = await require(request, "issuer")
        status = await imports.status(principal, job_id)
        return await page(
            request,
            "import.html",
            title=_("Import"),
            job=status,
            outcome_type=outcome_type if outcome_type in OUTCOME_TYPES else "",
        )

    @get("/imports/{job_id:str}/progress")
    async def progress(
        self, request: AnyRequest, imports: Imports, job_id: JobInPath
    ) -> Response[bytes]:
        _account, principal = await require(request, "issuer")
        status = await imports.status(principal, job_id)
        done = status.progress.bytes_read if status.progress else 0
        total = status.progress.bytes_total if status.progress else 0
        return Response(
            msgspec.json.encode({"state": status.state, "done": done, "total": total}),
            media_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    @get("/imports/{job_id:str}/report.csv")
    async def report(self, request: AnyRequest, imports: Imports, job_id: JobInPath) -> Stream:
        _account, principal = await require(request, "issuer")
        job = await imports.job(principal, job_id)
        # In a thread: a workbook input is read whole before the first row (calamine).
        chunks: Iterator[bytes] = await asyncio.to_thread(report_csv, job, imports.files(job_id))
        return Stream(
            chunks,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="import-{job_id}.csv"'},
        )

    @get("/imports/{job_id:str}/report.xlsx")
    async def workbook_report(
        self, request: AnyRequest, imports: Imports, job_id: JobInPath
    ) -> Stream:
        _account, principal = await require(request, "issuer")
        job = await imports.job(principal, job_id)
        chunks = await asyncio.to_thread(report_xlsx, job, imports.files(job_id))
        return Stream(
            chunks,
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="import-{job_id}.xlsx"'},
        )

    @post("/imports/{job_id:str}/commit")
    async def commit(
        self,
        request: AnyRequest,
        imports: Imports,
        job_id: JobInPath,
        data: Annotated[dict[str, str], Form],
    ) -> Redirect:
        _account, principal = await require(request, "issuer")
        outcome_type = data.get("outcome_type") or None
        status = await imports.commit_dry_run(
            principal, job_id, outcome_type if outcome_type in OUTCOME_TYPES else None
        )
        return see_other(f"/imports/{status.id}")


def _decimal(value: str) -> decimal.Decimal | None:
    try:
        return decimal.Decimal(value) if value.strip() else None
    except decimal.InvalidOperation:
        return None


class OutcomePages(PageController):
    @get("/outcomes/revoke")
    async def form(self, request: AnyRequest) -> Template:
        await require(request, "issuer")
        return await page(
            request,
            "revoke.html",
            title=_("Revoke or correct a record"),
            form={},
            errors={},
            outcome_types=OUTCOME_TYPES,
        )

    @post("/outcomes/revoke")
    async def revoke(
        self,
        request: AnyRequest,
        revocations: Revocations,
        data: Annotated[dict[str, str], Form],
    ) -> Template:
        _account, principal = await require(request, "issuer")
        issuer_id = principal.issuer_id or ""
        record_id = data.get("record_id", "").strip()
        reason = data.get("reason", "").strip()
        errors: dict[str, str] = {}
        done = None
        try:
            if not record_id:
                raise MalformedError("record_id", _("Type the record number."))
            if not reason:
                raise MalformedError("reason", _("Say why, in a few words."))
            if data.get("action") == "correct":
                done = await revocations.correct(
                    principal, issuer_id, record_id, _correction(data, reason)
                )
            else:
                done = await revocations.revoke(principal, issuer_id, record_id, reason)
        except MalformedError as error:
            errors[error.field.removeprefix("outcome.")] = error.reason
        except msgspec.ValidationError as error:
            errors["form"] = str(error)
        except CreditbankError as error:
            errors["form"] = f"{error.code}: {error.message}"
        return await page(
            request,
            "revoke.html",
            status_code=400 if errors else 200,
            title=_("Revoke or correct a record"),
            form=data,
            errors=errors,
            done=done,
            outcome_types=OUTCOME_TYPES,
        )


def _correction(data: dict[str, str], reason: str) -> CorrectionRequest:
    """The corrected record, from the form; msgspec checks it as the API would."""
    fields: dict[str, Any] = {
        "record_id": data.get("new_record_id", "").strip(),
        "learner_id_type": data.get("id_type", "cn_resident_id"),
        "learner_id": data.get("id_number", "").strip(),
        "course_code": data.get("course_code", "").strip(),
        "course_title": data.get("course_title", "").strip(),
        "outcome_type": data.get("outcome_type", ""),
        "hours": _decimal(data.get("hours", "")),
        "result": data.get("result", "passed"),
        "completed_on": data.get("completed_on", ""),
    }
    if not fields["record_id"]:
        raise MalformedError("new_record_id", _("Give the corrected record a new number."))
    for name in ("completed_on",):
        try:
            fields[name] = datetime.date.fromisoformat(fields[name])
        except ValueError:
            raise MalformedError(name, _("Use a date like 2026-09-15.")) from None
    if fields["hours"] is None:
        raise MalformedError("hours", _("Give the hours as a number."))
    record = msgspec.convert(fields, OutcomeRecord)
    return CorrectionRequest(reason=reason, outcome=record)
