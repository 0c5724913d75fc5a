"""An HR officer's import pages with a workbook: the upload form takes .xlsx, and the finished
trial run offers the row report as a workbook beside the CSV one (no browser)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from python_calamine import CalamineWorkbook

from api.app import create_app
from creditbank.keys import KeyRing
from creditbank.privacy import Pseudonymizer
from creditbank.service.accounts import AccountDesk
from creditbank.service.context import WriteContext
from creditbank.storage.engine import create_engine
from tests.api.conftest import settings_for
from tests.conftest import ORIGIN
from tests.imports.files import CHINESE_HEADER, ISSUER_ID, row
from tests.imports.sheets import xlsx_bytes
from tests.portal.test_pages import _csrf

POLLS_MAX = 600


@pytest.fixture
async def client(database_url: str, tmp_path: Path) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(settings_for(database_url, tmp_path), announce_admin_token=False)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


async def _signed_in_officer(
    client: AsyncTestClient[Litestar], database_url: str, tmp_path: Path
) -> None:
    admin = {"Authorization": f"Bearer {client.app.state.bootstrap_admin_token}"}
    registered = await client.post(
        "/v1/issuers/",
        json={"issuer_id": ISSUER_ID, "name": "华东精密制造", "kind": "enterprise"},
        headers=admin,
    )
    assert registered.status_code == 201, registered.text
    engine = create_engine(database_url)
    try:
        context = WriteContext(engine=engine, keys=KeyRing.load(tmp_path / "keys", ORIGIN))
        desk = AccountDesk(context, Pseudonymizer((tmp_path / "pseudonym.key").read_bytes()))
        _, link = await desk.create_staff("issuer", "hr", ISSUER_ID)
    finally:
        await engine.dispose()
    token = await _csrf(client, f"/password/{link}")
    password = "a long password"
    await client.post(
        f"/password/{link}",
        data={"password": password, "password_again": password, "_csrf_token": token},
    )


async def test_an_officer_uploads_a_workbook_and_downloads_its_report(
    client: AsyncTestClient[Litestar], database_url: str, tmp_path: Path
) -> None:
    """The upload form accepts workbooks; a trial run of an .xlsx finishes and its page links
    the row report as a workbook beside the CSV one, which downloads with the file's columns."""
    await _signed_in_officer(client, database_url, tmp_path)
    form = await client.get("/imports")
    assert 'accept=".xlsx,' in form.text
    token = await _csrf(client, "/imports")
    upload = await client.post(
        "/imports",
        files={
            "_csrf_token": (None, token),
            "dry_run": (None, "yes"),
            "file": (
                "培训记录.xlsx",
                xlsx_bytes([row(1), row(2)], title=True),
                "application/octet-stream",
            ),
        },
        follow_redirects=False,
    )
    assert upload.status_code == 303, upload.text
    job_path = upload.headers["location"].split("?")[0]
    for _ in range(POLLS_MAX):
        progress = await client.get(f"{job_path}/progress")
        if progress.json()["state"] != "running":
            break
        await asyncio.sleep(0.05)
    page = await client.get(job_path)
    assert f'href="{job_path}/report.xlsx"' in page.text
    assert f'href="{job_path}/report.csv"' in page.text
    report = await client.get(f"{job_path}/report.xlsx")
    assert report.status_code == 200, report.text
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(report.content)).get_sheet_by_index(0)
    found = list(sheet.iter_rows())
    assert found[0] == [*CHINESE_HEADER, "状态", "错误说明"]
    assert [line[-2] for line in found[1:]] == ["no_standard", "no_standard"]  # none published
