"""Statistics over HTTP, on both databases: the size and its checkpoint in every answer, a size
counted again after more deposits, downloads, and typed refusals."""

from __future__ import annotations

import io
import json

from python_calamine import CalamineWorkbook

from tests.api.conftest import Api
from tests.api.test_outcomes import VALID, post, register
from tests.factories import resident_id


async def _deposit(api: Api, serial: int) -> None:
    body = {**VALID, "record_id": f"HR-{serial:04d}", "learner_id": resident_id(serial)}
    response = await post(api, body)
    assert response.status_code == 201, response.text


async def test_statistics_at_a_signed_size_over_http(api: Api) -> None:
    """The JSON names its size and carries the checkpoint signed at it; the same ?at= answers
    the same after six more deposits; CSV and XLSX download; an unsigned size is 404, an
    unknown grouping 422, both as problem+json."""
    await register(api)
    for serial in range(1, 7):
        await _deposit(api, serial)
    auditor = api.auth("auditor")
    first = await api.client.get("/v1/statistics?group_by=year,sex", headers=auditor)
    assert first.status_code == 200, first.text
    document = first.json()
    size = document["tree_size"]
    assert document["checkpoint"].split("\n")[1] == str(size)
    [table] = document["tables"]
    total = next(cell for cell in table["cells"] if cell["key"] == ["*", "*"])
    assert total["measures"]["outcomes"] == 6
    for serial in range(7, 13):
        await _deposit(api, serial)
    again = await api.client.get(f"/v1/statistics?group_by=year,sex&at={size}", headers=auditor)
    assert again.json() == document
    latest = (await api.client.get("/v1/statistics?group_by=year", headers=auditor)).json()
    assert latest["tree_size"] == size + 6
    csv_answer = await api.client.get(
        f"/v1/statistics?group_by=sex&at={size}&format=csv&lang=en", headers=auditor
    )
    assert csv_answer.headers["content-type"].startswith("text/csv")
    text = csv_answer.content.decode("utf-8-sig")
    assert text.startswith("Sex,Learners")
    assert document["checkpoint"].split("\n")[0] in text
    workbook = await api.client.get(
        f"/v1/statistics/reports/enterprise_training?format=xlsx&at={size}", headers=auditor
    )
    assert workbook.status_code == 200
    assert "totals" in CalamineWorkbook.from_filelike(io.BytesIO(workbook.content)).sheet_names
    unsigned = await api.client.get(f"/v1/statistics?at={size + 1000}", headers=auditor)
    assert (unsigned.status_code, unsigned.json()["code"]) == (404, "not_found")
    unknown = await api.client.get("/v1/statistics?group_by=shoe_size", headers=auditor)
    assert (unknown.status_code, unknown.json()["code"]) == (422, "malformed")
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert json.loads(unknown.text)["detail"]
