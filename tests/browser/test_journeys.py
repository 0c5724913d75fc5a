"""The people's journeys, end to end, in a real browser against a real service.

Each journey starts a fresh service. Preconditions that are not the journey's own (the issuer,
the published standards, an import) are set up the way an operator would: the API with the
printed admin token, and the CLI.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import ARTIFACTS, Service, screenshot, start_service
from tests.browser.pages import (
    EXAMPLES,
    FIRST_LEARNER,
    ISSUER,
    SECOND_LEARNER,
    activate,
    prepare_bank,
    sign_in_staff,
)
from tests.browser.records import WAITING, import_training_year


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_learner_activates_reads_verifies_and_applies(
    database_url: str, tmp_path: Path, browser: Browser
) -> None:
    """Activate, read the archive, check a receipt, download the bundle (which
    ``creditbank verify-bundle`` accepts), apply for a programme; another learner gets 404."""
    service = start_service(tmp_path, None if database_url.startswith("sqlite") else database_url)
    try:
        prepare_bank(service)
        codes = service.codes(FIRST_LEARNER, SECOND_LEARNER)
        context = browser.new_context(locale="zh-CN", accept_downloads=True)
        page = context.new_page()
        activate(page, service, FIRST_LEARNER, codes[FIRST_LEARNER[-4:]].lower())
        expect(page.locator("h1")).to_have_text("我的学习档案")
        expect(page.locator("table").first).to_contain_text("安全生产法规与岗位职责")
        page.locator("table a").first.click()
        expect(page.locator(".verified")).to_be_visible()
        outcome_url = page.url
        page.goto(service.url + "/archive")
        with page.expect_download() as download_info:
            page.locator("a[href='/archive/export']").click()
        bundle = tmp_path / "archive.json"
        download_info.value.save_as(bundle)
        vkey = service.cli("keys", "show").split()[0]
        checked = subprocess.run(
            [sys.executable, "-m", "creditbank.cli", "verify-bundle", str(bundle), "--vkey", vkey],
            env=service.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        page.goto(service.url + "/recognition")
        page.locator("form[action='/recognition'] button").first.click()
        expect(page.locator("h1")).to_have_text("学分转换结果")
        expect(page.locator("main .card").first).to_be_visible()

        other = browser.new_context(locale="zh-CN").new_page()
        activate(other, service, SECOND_LEARNER, codes[SECOND_LEARNER[-4:]])
        response = other.goto(outcome_url)
        assert response is not None
        assert response.status == 404
        expect(other.locator("code.code")).to_have_text("not_found")
    finally:
        service.process.terminate()
        service.process.wait(timeout=30)


@pytest.mark.slow
def test_an_issuer_officer_tries_a_gb18030_file_then_commits(
    service: Service, tmp_path: Path, browser: Browser
) -> None:
    """Upload a GB18030 CSV with Chinese headers, read the trial run's counts, download the
    row report, commit; the committed import is in the history."""
    prepare_bank(service, with_import=False)
    page = browser.new_context(locale="zh-CN", accept_downloads=True).new_page()
    sign_in_staff(page, service.staff_link("issuer", "hr", ISSUER))
    page.wait_for_url("**/imports")
    page.locator("#f-file").set_input_files(
        str(EXAMPLES / "imports" / "enterprise-training-gb18030.csv")
    )
    page.locator("main form[action='/imports'] button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/imports/[0-9a-f-]+$"))
    expect(page.locator("#counts")).to_be_visible(timeout=30_000)
    rows = int(page.locator("[data-count=rows]").inner_text())
    assert rows == int(page.locator("[data-count=new]").inner_text()) > 0
    screenshot(page, "import-trial-run")
    with page.expect_download() as download_info:
        page.locator("#report").click()
    report = tmp_path / "report.csv"
    download_info.value.save_as(report)
    assert report.read_bytes().decode("gb18030").startswith("记录编号")
    page.get_by_role("button", name=re.compile("现在导入|Import these")).click()
    expect(page.locator("#counts")).to_be_visible(timeout=30_000)
    expect(page.locator("[data-result=committed]")).to_be_visible()
    page.goto(service.url + "/imports")
    expect(page.locator("table [data-result=committed]")).to_be_visible()


@pytest.mark.slow
def test_an_accreditor_fixes_a_draft_simulates_and_publishes(
    service: Service, browser: Browser
) -> None:
    """A mistake is shown beside its field; fixed, the draft simulates and publishes."""
    prepare_bank(service)
    page = browser.new_context(locale="en").new_page()
    sign_in_staff(page, service.staff_link("accreditor", "accreditor"))
    page.wait_for_url("**/standards")
    page.goto(service.url + "/standards/new")
    page.locator("#f-id").fill("community.reading")
    page.locator("#f-title").fill("社区读书会学分")
    page.locator("#f-category").fill("lifelong.reading")
    page.locator("#f-effective_from").fill("2025-01-01")
    page.locator("input[value=community_course]").check()
    page.locator("[id='f-award.hours_per_unit']").fill("0")
    page.locator("main form button[type=submit]").click()
    error = page.locator("[id='e-award.hours_per_unit']")
    expect(error).to_be_visible()
    expect(page.locator("[id='f-award.hours_per_unit']")).to_have_attribute("aria-invalid", "true")
    page.locator("[id='f-award.hours_per_unit']").fill("8")
    page.locator("#f-precedence").fill("10")  # it overlaps the community standard
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/standards/community.reading/1")
    page.get_by_role("button", name="Simulate on banked outcomes").click()
    expect(page.locator("#simulation")).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("main p.status")).to_contain_text("Published")


@pytest.mark.slow
def test_an_accreditor_grants_credits_then_reads_the_statistics(
    service: Service, tmp_path: Path, browser: Browser
) -> None:
    """From the queue, a record no standard covered is granted credits; the statistics page
    groups by age band with its chart, and the enterprise return shows its tables and charts
    and downloads as a workbook (pictured for the README)."""
    prepare_bank(service)
    import_training_year(service, tmp_path, ISSUER)
    page = browser.new_context(locale="zh-CN", accept_downloads=True).new_page()
    sign_in_staff(page, service.staff_link("accreditor", "accreditor"))
    page.get_by_role("link", name="待认定").click()
    waiting = int(re.sub(r"\D", "", page.locator("#total").inner_text()))
    assert waiting >= WAITING, "the lean-production records wait"
    page.locator("main table a").first.click()
    page.locator("#f-credits").fill("0.5")
    page.locator("#f-category").fill("vocational.lean")
    page.locator("#f-basis").fill("企业职工培训学分认定办法")
    page.locator("#f-reason").fill("精益生产课程经评审认定")
    page.get_by_role("button", name="确认认定").click()
    page.wait_for_url(re.compile(r".*/awards\?granted=\d+$"))
    expect(page.locator("#granted")).to_be_visible()
    expect(page.locator("#total")).to_contain_text(str(waiting - 1))
    page.get_by_role("link", name="统计", exact=True).click()
    page.locator("#f-group_by-1").select_option("age_band")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("table.stats")).to_be_visible()
    expect(page.locator("figure.chart svg")).to_be_visible()
    page.locator("a[href='/statistics/reports']").first.click()
    page.get_by_role("link", name="企业职工培训汇总").click()
    page.locator("#f-year").fill("2026")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("2026")
    expect(page.locator("figure.chart svg").first).to_be_visible()
    by_age = page.locator("section#part-by_age_band")
    expect(by_age.locator("tr[data-key='2026|35_44'] td").first).to_have_text(re.compile(r"^\d+$"))
    # Kept with the other pictures; docs/screenshots/statistics-report-zh.png is a copy of it.
    by_age.screenshot(path=str(ARTIFACTS / "zh-CN" / "statistics-report-chart.png"))
    with page.expect_download() as download_info:
        page.locator("a[href*='enterprise_training.xlsx?year=2026']").click()
    assert download_info.value.suggested_filename == "enterprise_training.xlsx"


@pytest.mark.slow
def test_an_auditor_checks_an_entry_and_a_form_without_its_token_is_refused(
    service: Service, browser: Browser
) -> None:
    """The auditor's check of entry 1 passes; a form posted without the CSRF token is 403."""
    prepare_bank(service)
    page = browser.new_context(locale="zh-CN").new_page()
    sign_in_staff(page, service.staff_link("auditor", "auditor"))
    page.wait_for_url("**/audit")
    page.locator("#f-index").fill("1")
    page.locator("#entry-form button").click()
    page.wait_for_url("**/audit/entries/1")
    expect(page.locator(".verified")).to_be_visible()
    page.goto(service.url + "/audit")
    page.evaluate(
        "document.querySelector('form[action=\"/signout\"] input[name=_csrf_token]').remove()"
    )
    page.locator("form[action='/signout'] button").click()
    expect(page.locator("code.code")).to_have_text("forbidden")
    page.goto(service.url + "/audit")
    expect(page.locator("h1")).to_have_text("审计")


@pytest.mark.slow
def test_the_pages_work_without_script(service: Service, browser: Browser) -> None:
    """With JavaScript off: an officer's trial run is followed by the page's Refresh link, the
    auditor's entry form still reaches its entry, and the statistics form groups the table."""
    prepare_bank(service, with_import=False)
    officer = browser.new_context(locale="en", java_script_enabled=False).new_page()
    sign_in_staff(officer, service.staff_link("issuer", "hr", ISSUER))
    officer.locator("#f-file").set_input_files(
        str(EXAMPLES / "imports" / "enterprise-training.csv")
    )
    officer.locator("main form[action='/imports'] button[type=submit]").click()
    for _ in range(60):
        if officer.locator("#counts").count():
            break
        officer.wait_for_timeout(500)
        officer.get_by_role("link", name="Refresh").click()
    expect(officer.locator("#counts")).to_be_visible()
    auditor = browser.new_context(locale="en", java_script_enabled=False).new_page()
    sign_in_staff(auditor, service.staff_link("auditor", "aud"))
    auditor.locator("#f-index").fill("2")
    auditor.locator("#entry-form button").click()
    auditor.wait_for_url("**/audit/entries/2")
    expect(auditor.locator(".verified")).to_be_visible()
    auditor.goto(service.url + "/statistics")
    auditor.locator("#f-group_by-1").select_option("issuer_kind")
    auditor.get_by_role("button", name="Show").click()
    auditor.wait_for_url(re.compile(r".*/statistics\?group_by=issuer_kind.*"))
    expect(auditor.locator("#f-group_by-1")).to_have_value("issuer_kind")
    expect(auditor.locator("#result")).to_be_visible()
