"""The statistics pages over HTTP on both databases: who may open them, figures equal to the
statistics desk's for the same query, hidden cells with the marker and its footnote, charts,
the checkpoint, errors beside the fields, and downloads from the same renderers."""

from __future__ import annotations

import html
import io
import re

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient
from python_calamine import CalamineWorkbook

from creditbank.service.bank import Bank
from creditbank.service.statistics import fact_filter
from creditbank.statistics.labels import SUPPRESSED_MARKER, marker_note, measure_texts
from creditbank.statistics.render_csv import report_csv, table_csv
from creditbank.statistics.reports import PRESETS
from creditbank.statistics.tables import EVERYTHING
from creditbank.tokens import Principal
from portal.security import CONTENT_SECURITY_POLICY
from tests.portal.banked import (
    ENTERPRISE,
    Banked,
    banked,
    client,
    sign_in_learner,
    sign_in_staff,
)
from tests.portal.banked import csrf as _csrf

__all__ = ["banked", "client"]  # the fixtures, used by name

AUDITOR = Principal(role="auditor")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ROW = re.compile(r'<tr data-key="([^"]*)"[^>]*>(.*?)</tr>', re.S)
_CELL = re.compile(r'<td class="num">(.*?)</td>', re.S)
_TAGS = re.compile(r"<[^>]+>")
_SPOKEN = re.compile(r'<span class="vh">.*?</span>')  # words for screen readers only


def _rows(page: str) -> dict[str, list[str]]:
    """The page's statistics table: each row's key and the figures it shows."""
    rows = {}
    for key, body in _ROW.findall(page):
        figures = [
            html.unescape(_TAGS.sub("", _SPOKEN.sub("", cell))).strip()
            for cell in _CELL.findall(body)
        ]
        rows[html.unescape(key)] = figures
    return rows


async def test_only_staff_who_read_statistics_open_them(
    client: AsyncTestClient[Litestar], bank: Bank, banked: Banked
) -> None:
    """Signed out: sign in first. A learner and an issuer officer: 404 on every statistics page
    and download. An auditor, an accreditor and an admin: the pages and downloads."""
    paths = (
        "/statistics",
        "/statistics.csv",
        "/statistics/reports",
        "/statistics/reports/community_annual",
        "/statistics/reports/community_annual.xlsx",
    )
    signed_out = await client.get("/statistics", follow_redirects=False)
    assert signed_out.status_code in (302, 303, 307)
    assert signed_out.headers["location"] == "/signin?next=/statistics"
    learner = next(iter(banked.codes))
    await sign_in_learner(client, learner, banked.codes[learner])
    for path in paths:
        assert (await client.get(path)).status_code == 404, path
    await sign_in_staff(client, bank, "issuer", ENTERPRISE)
    for path in paths:
        assert (await client.get(path)).status_code == 404, path
    for role in ("auditor", "accreditor", "admin"):
        await sign_in_staff(client, bank, role)
        home = await client.get("/")
        assert 'href="/statistics"' in home.text, f"{role} has statistics in the navigation"
        for path in paths:
            assert (await client.get(path)).status_code == 200, (role, path)


async def test_the_table_shows_the_desks_figures_with_hidden_cells_marked(
    client: AsyncTestClient[Litestar], bank: Bank, banked: Banked
) -> None:
    """By type of institution and year: every row equals the desk's cell for the same query;
    the school's three learners are hidden with the marker, and the footnote says why."""
    await sign_in_staff(client, bank, "auditor")
    response = await client.get("/statistics?group_by=issuer_kind&group_by=year&group_by=")
    assert response.status_code == 200, response.text
    answer = await bank.statistics.table(AUDITOR, ("issuer_kind", "year"), EVERYTHING)
    shown = _rows(response.text)
    assert set(shown) == {"|".join(key) for key in answer.table.cells}
    for key, cell in answer.table.cells.items():
        assert shown["|".join(key)] == measure_texts(cell.measures), key
    hidden = answer.table.hidden()
    assert ("community_school", "2025") in hidden, "three learners are fewer than k"
    assert shown["community_school|2025"] == [SUPPRESSED_MARKER] * 5
    assert "不予公布" in response.text
    assert html.escape(marker_note(answer.table.k, "zh")) in response.text
    assert "机构类型" in response.text
    assert "合计" in response.text
    assert f"树大小 {answer.provenance.tree_size}" in response.text
    assert html.escape(answer.provenance.checkpoint.splitlines()[0]) in response.text
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert " style=" not in response.text
    assert "<script" not in response.text


async def test_a_filtered_table_as_of_an_earlier_size_in_english_has_its_chart(
    client: AsyncTestClient[Litestar], bank: Bank, banked: Banked
) -> None:
    """Filters and the tree size reach the desk; English labels; one dimension: an inline SVG
    chart with its own accessible name, and download links carrying the same query."""
    await sign_in_staff(client, bank, "accreditor")
    size = banked.signed_sizes[0]
    query = f"group_by=age_band&outcome_type=enterprise_training&year=2026&at={size}"
    response = await client.get(f"/statistics?{query}", headers={"Accept-Language": "en"})
    assert response.status_code == 200, response.text
    where = fact_filter(None, "enterprise_training", None, "2026")
    answer = await bank.statistics.table(AUDITOR, ("age_band",), where, size)
    assert answer.provenance.tree_size == size
    shown = _rows(response.text)
    assert shown == {"|".join(k): measure_texts(c.measures) for k, c in answer.table.cells.items()}
    assert "Age band" in response.text
    assert "Total" in response.text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in response.text
    assert 'role="img"' in response.text
    assert "aria-label=" in response.text
    for suffix in ("csv", "xlsx", "json"):
        assert f'href="/statistics.{suffix}?{html.escape(query)}"' in response.text


async def test_mistakes_are_shown_beside_their_fields(
    client: AsyncTestClient[Litestar], bank: Bank, banked: Banked
) -> None:
    """An unknown grouping, a grouping twice, a wrong year, an unknown filter code and a size
    the log never signed are each named beside their field; a download of them is refused."""
    await sign_in_staff(client, bank, "auditor")
    for query, name, status in (
        ("group_by=shoe_size", "group_by", 400),
        ("group_by=sex&group_by=sex", "group_by", 400),
        ("year=20x5", "year", 400),
        ("age_band=ancient", "age_band", 400),
        ("at=abc", "at", 400),
        ("at=999999", "at", 404),
    ):
        response = await client.get(f"/statistics?{query}")
        assert response.status_code == status, query
        assert f'id="e-{name}"' in response.text, query
        assert 'id="problems"' in response.text
    refused = await client.get("/statistics.csv?group_by=shoe_size")
    assert refused.status_code == 422
    assert "malformed" in refused.text
    assert (await client.get("/statistics.csv?at=999999")).status_code == 404
    report = await client.get("/statistics/reports/community_annual?year=abc&at=x1")
    assert report.status_code == 400
    assert 'id="e-year"' in report.text
    assert 'id="e-at"' in report.text
    never = await client.get("/statistics/reports/community_annual?at=999999")
    assert never.status_code == 404
    assert 'id="e-at"' in never.text
    assert (await client.get("/statistics/reports/no_such_return")).status_code == 404
    assert (await client.get("/statistics/reports/no_such_return.csv")).status_code == 404


async def test_downloads_are_the_renderers_bytes_for_the_session(
    client: AsyncTestClient[Litestar], bank: Bank, banked: Banked
) -> None:
    """CSV, workbook and JSON of a table and of a return: the right media types, the same bytes
    as the renderers give for the desk's answer, a workbook calamine opens."""
    await sign_in_staff(client, bank, "auditor")
    answer = await bank.statistics.table(AUDITOR, ("issuer_kind",), EVERYTHING)
    csv_download = await client.get("/statistics.csv?group_by=issuer_kind")
    assert csv_download.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in csv_download.headers["content-disposition"]
    assert csv_download.content == table_csv(answer.table, answer.provenance, "zh")
    english = await client.get(
        "/statistics.csv?group_by=issuer_kind", headers={"Accept-Language": "en"}
    )
    assert english.content == table_csv(answer.table, answer.provenance, "en")
    workbook = await client.get("/statistics.xlsx?group_by=issuer_kind")
    assert workbook.headers["content-type"] == XLSX
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(workbook.content))
    rows = sheet.get_sheet_by_index(0).to_python()
    assert rows[1][0] == "机构类型"
    assert any(SUPPRESSED_MARKER in row for row in rows)
    document = await client.get("/statistics.json?group_by=issuer_kind")
    assert document.headers["content-type"].startswith("application/json")
    decoded = msgspec.json.decode(document.content)
    assert decoded["tree_size"] == answer.provenance.tree_size
    report, provenance = await bank.statistics.report(AUDITOR, "enterprise_training", [2026])
    report_download = await client.get("/statistics/reports/enterprise_training.csv?year=2026")
    assert report_download.content == report_csv(report, provenance, "zh")
    book = await client.get("/statistics/reports/enterprise_training.xlsx?year=2026")
    assert book.headers["content-type"] == XLSX
    names = CalamineWorkbook.from_filelike(io.BytesIO(book.content)).sheet_names
    assert names[0] == "说明"
    assert "by_age_band" in names
    report_json = await client.get("/statistics/reports/enterprise_training.json")
    assert msgspec.json.decode(report_json.content)["report"] == "enterprise_training"


async def test_a_return_shows_every_table_with_charts_and_its_checkpoint(
    client: AsyncTestClient[Litestar], bank: Bank, banked: Banked
) -> None:
    """The returns are listed; one return for a year shows each table's title and figures
    (equal to the desk's), a chart per table of one more dimension than the year, the footnotes,
    the signed checkpoint and its downloads."""
    await sign_in_staff(client, bank, "admin")
    listing = await client.get("/statistics/reports")
    for name, spec in PRESETS.items():
        assert f'href="/statistics/reports/{name}"' in listing.text
        assert spec.title_zh in listing.text
    response = await client.get("/statistics/reports/enterprise_training?year=2026")
    assert response.status_code == 200, response.text
    report, provenance = await bank.statistics.report(AUDITOR, "enterprise_training", [2026])
    sections = response.text.split('<section class="report-part" id="part-')[1:]
    assert len(sections) == len(report.tables)
    for section, part in zip(sections, report.tables, strict=True):
        assert section.startswith(part.spec.key)
        assert part.spec.title_zh in section
        shown = _rows(section)
        for key, cell in part.table.cells.items():
            assert shown["|".join(key)] == measure_texts(cell.measures), (part.spec.key, key)
        charted = len(part.table.dimensions) == 2
        assert ("<svg" in section) == charted, part.spec.key
    assert response.text.count("<svg") == len(
        set(re.findall(r'id="(cb-hatch-\d+)"', response.text))
    )
    assert html.escape(marker_note(report.k, "zh")) in response.text
    assert html.escape(provenance.checkpoint.splitlines()[0]) in response.text
    assert 'href="/statistics/reports/enterprise_training.xlsx?year=2026"' in response.text
    assert " style=" not in response.text


async def test_the_statistics_form_needs_no_token(
    client: AsyncTestClient[Litestar], bank: Bank, banked: Banked
) -> None:
    """The form is a GET (bookmarkable, no CSRF token); a POST to the page is not a route."""
    await sign_in_staff(client, bank, "auditor")
    page = await client.get("/statistics")
    assert 'method="get" action="/statistics"' in page.text
    token = await _csrf(client, "/statistics")
    posted = await client.post("/statistics", data={"_csrf_token": token})
    assert posted.status_code == 405
