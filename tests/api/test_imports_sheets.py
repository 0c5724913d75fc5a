"""Workbook imports through ``/v1/imports``: media types, dry run then commit, resending, the
report as a workbook, and damaged or locked workbooks answered with typed errors, never a 500."""

from __future__ import annotations

import io
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from tests.api.conftest import Api
from tests.api.test_imports import finished, register
from tests.imports.files import CHINESE_HEADER, row
from tests.imports.sheets import xlsx_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _upload(api: Api, data: bytes, query: str = "", media_type: str = XLSX) -> Any:
    response = await api.client.post(
        f"/v1/imports{query}",
        content=data,
        headers={**api.auth("issuer"), "Content-Type": media_type},
    )
    assert response.status_code == 202, response.text
    return await finished(api, response.json()["id"])


async def test_a_workbook_dry_run_commit_resend_and_reports(api: Api) -> None:
    """An .xlsx sent with its media type is a "sheet" import: its dry run classifies, the same
    file then commits, and sent again commits nothing (every row exists). Its report comes as
    a workbook (the file's header and columns, status, error) and as CSV."""
    await register(api)
    rows = [row(1), row(2, hours="abc"), *(row(n) for n in range(3, 20))]
    data = xlsx_bytes(rows, title=True, hidden_sheet=True)
    trial = await _upload(api, data, "?dry_run=true&on_error=skip")
    assert (trial["state"], trial["result"], trial["file_format"]) == (
        "finished",
        "dry_run",
        "sheet",
    )
    assert (trial["counts"]["ready"], trial["counts"]["malformed"]) == (18, 1)
    job = await _upload(api, data, "?on_error=skip")
    assert (job["result"], job["counts"]["recorded"]) == ("committed", 18)
    again = await _upload(api, data, "?on_error=skip")
    assert (again["result"], again["counts"]["exists"]) == ("nothing_to_commit", 18)

    rows_page = await api.client.get(
        f"/v1/imports/{job['id']}/rows?status=malformed", headers=api.auth("issuer")
    )
    assert [r["number"] for r in rows_page.json()["rows"]] == [5]  # the sheet's own row 5

    report = await api.client.get(
        f"/v1/imports/{job['id']}/report.xlsx", headers=api.auth("issuer")
    )
    assert report.status_code == 200, report.text
    assert report.headers["content-type"].startswith(XLSX)
    assert f'filename="import-{job["id"]}.xlsx"' in report.headers["content-disposition"]
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(report.content)).get_sheet_by_index(0)
    found = list(sheet.iter_rows())
    assert found[0] == [*CHINESE_HEADER, "状态", "错误说明"]
    assert found[2][-2:] == ["malformed", "hours: is not a number"]
    assert len(found) == 1 + len(rows)
    text = await api.client.get(f"/v1/imports/{job['id']}/report.csv", headers=api.auth("issuer"))
    assert text.content.decode("utf-8-sig").splitlines()[0].endswith("类型,状态,错误说明")


@pytest.mark.parametrize(
    "media_type",
    ["application/vnd.ms-excel", "application/vnd.oasis.opendocument.spreadsheet"],
)
async def test_every_spreadsheet_media_type_is_a_sheet_import(api: Api, media_type: str) -> None:
    """The .xls and .ods media types are sheet imports too: calamine tells the container from
    the bytes, so a workbook sent under either is read all the same."""
    await register(api)
    job = await _upload(api, xlsx_bytes([row(1)]), "?dry_run=true", media_type)
    assert (job["file_format"], job["result"]) == ("sheet", "dry_run")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"PK\x03\x04 a zip cut short", "not_spreadsheet"),
        (xlsx_bytes([row(1)])[:2000], "not_spreadsheet"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"),
            "password_protected",
        ),
    ],
    ids=["not-a-zip", "truncated", "encrypted"],
)
async def test_a_damaged_or_locked_workbook_is_a_typed_error(
    api: Api, data: bytes, reason: str
) -> None:
    """A damaged or password-protected workbook fails its job with a stable code and nothing
    written; its report is refused as problem+json (422 invalid_file), never a 500."""
    await register(api)
    job = await _upload(api, data)
    assert job["state"] == "failed"
    assert job["error"]["code"] == reason
    for name in ("report.xlsx", "report.csv"):
        response = await api.client.get(
            f"/v1/imports/{job['id']}/{name}", headers=api.auth("issuer")
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "invalid_file"
        assert reason in response.json()["detail"]


async def test_the_workbook_report_admits_only_the_jobs_issuer_and_admin(api: Api) -> None:
    """Like the CSV report, the workbook report is the job's issuer's and the admin's: another
    issuer gets 404, other roles 403."""
    await register(api)
    job = await _upload(api, xlsx_bytes([row(1)]), "?dry_run=true")
    path = f"/v1/imports/{job['id']}/report.xlsx"
    expected = {"issuer": 200, "admin": 200, "other_issuer": 404, "auditor": 403, "learner": 403}
    for role, status in expected.items():
        response = await api.client.get(path, headers=api.auth(role))
        assert response.status_code == status, (role, response.text)
