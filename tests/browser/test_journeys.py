"""The people's journeys, end to end, in a real browser against a real service.

Each journey starts a fresh service. Preconditions that are not the journey's own (the issuer,
the published standards, an import) are set up the way an operator would: the API with the
printed admin token, and the CLI.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ARTIFACTS, Service, screenshot, start_service
from tests.browser.records import WAITING, import_training_year
from tests.cli import ROOT

EXAMPLES = ROOT / "examples"
ISSUER = "acme-training"
# Two learners of examples/imports/enterprise-training.csv.
FIRST_LEARNER = "110105198503121015"
SECOND_LEARNER = "110105199007011022"
PASSWORD = "my garden 2026"
_axe = Axe()


def accessible(page: Page) -> None:
    """No serious or critical axe-core finding on the page as it is now; lesser ones are
    written to ``tests/artifacts/axe-lesser-findings.ndjson`` for review."""
    results = _axe.run(page)
    findings = [
        (violation["id"], violation["impact"], [node["target"] for node in violation["nodes"]])
        for violation in results.response["violations"]
    ]
    serious = [finding for finding in findings if finding[1] in ("serious", "critical")]
    assert not serious, f"{page.url}: {serious}"
    lesser = [finding for finding in findings if finding not in serious]
    if lesser:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with (ARTIFACTS / "axe-lesser-findings.ndjson").open("a", encoding="utf-8") as log:
            log.write(json.dumps({"url": page.url, "findings": lesser}) + "\n")


def visit(page: Page, name: str) -> None:
    """Check the page and keep its picture."""
    accessible(page)
    screenshot(page, name)


def prepare_bank(service: Service, *, with_import: bool = True) -> None:
    """An issuer, the example standards and programme, and (unless the journey imports it
    itself) the example enterprise file."""
    with service.api() as api:
        response = api.post(
            "/v1/issuers/",
            json={"issuer_id": ISSUER, "name": "华东精密制造有限公司", "kind": "enterprise"},
        )
        assert response.status_code == 201, response.text
    standards = EXAMPLES / "standards"
    for name in (
        "enterprise-safety-training.toml",
        "community-elderly-courses.toml",
        "vocational-certificates.toml",
    ):
        service.cli("standards", "publish", str(standards / name))
    service.cli("programmes", "publish", str(standards / "programme-open-university-admin.toml"))
    if with_import:
        example = EXAMPLES / "imports" / "enterprise-training.csv"
        service.cli("import", str(example), "--issuer", ISSUER)


def activate(page: Page, service: Service, id_number: str, code: str) -> None:
    page.goto(service.url + "/activate")
    page.get_by_label(re.compile("证件号码|ID number")).fill(id_number)
    page.get_by_label(re.compile("激活码|Activation code")).fill(code)
    page.locator("#f-password").fill(PASSWORD)
    page.locator("#f-password_again").fill(PASSWORD)
    page.locator("form[action='/activate'] button[type=submit]").click()
    page.wait_for_url("**/archive")


def _sign_in_staff(page: Page, link: str) -> None:
    """Set the password from a staff account's one-time link (which also signs in)."""
    page.goto(link)
    page.locator("#f-password").fill(PASSWORD)
    page.locator("#f-password_again").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


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
    _sign_in_staff(page, service.staff_link("issuer", "hr", ISSUER))
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
    _sign_in_staff(page, service.staff_link("accreditor", "accreditor"))
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
    _sign_in_staff(page, service.staff_link("accreditor", "accreditor"))
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
    _sign_in_staff(page, service.staff_link("auditor", "auditor"))
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
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_every_page_is_accessible_and_pictured(
    service: Service, language: str, tmp_path: Path, browser: Browser
) -> None:
    """axe-core finds nothing serious or critical on any page, in either language; every page
    is photographed, also at phone width."""
    prepare_bank(service)
    import_training_year(service, tmp_path, ISSUER)
    codes = service.codes(FIRST_LEARNER)
    anonymous = browser.new_context(locale=language).new_page()
    for name, path in (
        ("home", "/"),
        ("catalogue", "/catalogue"),
        ("log", "/log"),
        ("signin", "/signin"),
        ("signin-learner", "/signin/learner"),
        ("activate", "/activate"),
        ("not-found", "/no-such-page"),
    ):
        anonymous.goto(service.url + path)
        visit(anonymous, name)
    phone = browser.new_context(locale=language, viewport={"width": 360, "height": 740})
    narrow = phone.new_page()
    narrow.goto(service.url + "/catalogue")
    visit(narrow, "catalogue-phone")
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 360 + 1
    # 200% zoom: the same CSS pixels as a window half as wide; nothing may need sideways scrolling.
    zoomed = browser.new_context(
        locale=language, viewport={"width": 640, "height": 400}, device_scale_factor=2
    ).new_page()
    for path in ("/", "/catalogue", "/log", "/activate"):
        zoomed.goto(service.url + path)
        assert zoomed.evaluate("document.documentElement.scrollWidth") <= 640 + 1, path

    learner = browser.new_context(locale=language).new_page()
    activate(learner, service, FIRST_LEARNER, codes[FIRST_LEARNER[-4:]])
    visit(learner, "archive")
    learner.locator("table a").first.click()
    visit(learner, "outcome")
    learner.goto(service.url + "/recognition")
    visit(learner, "recognition")
    learner.locator("form[action='/recognition'] button").first.click()
    visit(learner, "recognition-result")

    admin = browser.new_context(locale=language).new_page()
    _sign_in_staff(admin, service.admin_link)
    visit(admin, "admin")
    admin.goto(service.url + "/invitations")
    visit(admin, "invitations")

    officer = browser.new_context(locale=language).new_page()
    _sign_in_staff(officer, service.staff_link("issuer", "hr", ISSUER))
    visit(officer, "imports")
    officer.locator("#f-file").set_input_files(
        str(EXAMPLES / "imports" / "enterprise-training.csv")
    )
    officer.locator("main form[action='/imports'] button[type=submit]").click()
    expect(officer.locator("#counts")).to_be_visible(timeout=30_000)
    visit(officer, "import")
    officer.goto(service.url + "/outcomes/revoke")
    visit(officer, "revoke")

    accreditor = browser.new_context(locale=language).new_page()
    _sign_in_staff(accreditor, service.staff_link("accreditor", "acc"))
    visit(accreditor, "standards")
    accreditor.goto(service.url + "/standards/new")
    accreditor.locator("main form button[type=submit]").click()
    visit(accreditor, "standard-form-errors")
    accreditor.goto(service.url + "/standards/enterprise-safety-training/1")
    visit(accreditor, "standard")
    accreditor.goto(service.url + "/awards")
    visit(accreditor, "awards")
    accreditor.locator("main table a").first.click()
    visit(accreditor, "award")
    accreditor.locator("#f-credits").fill("1.255")
    accreditor.locator("#f-category").fill("Lean")
    accreditor.locator("#f-basis").fill("-")
    accreditor.locator("#f-reason").fill("-")
    accreditor.locator("main form button[type=submit]").click()
    expect(accreditor.locator("#e-credits")).to_be_visible()
    visit(accreditor, "award-errors")
    for name, path in (
        ("statistics", "/statistics?group_by=age_band&group_by=sex"),
        ("statistics-chart", "/statistics?group_by=age_band"),
        ("statistics-errors", "/statistics?group_by=shoe_size&year=20x5"),
        ("reports", "/statistics/reports"),
        ("report", "/statistics/reports/enterprise_training"),
    ):
        accreditor.goto(service.url + path)
        visit(accreditor, name)
    statistics_phone = phone.new_page()
    _sign_in_staff(statistics_phone, service.staff_link("auditor", "aud-phone"))
    for path in ("/statistics?group_by=age_band", "/statistics/reports/enterprise_training"):
        statistics_phone.goto(service.url + path)
        assert statistics_phone.evaluate("document.documentElement.scrollWidth") <= 360 + 1, path

    auditor = browser.new_context(locale=language).new_page()
    _sign_in_staff(auditor, service.staff_link("auditor", "aud"))
    visit(auditor, "audit")
    auditor.goto(service.url + "/audit/entries/2")
    visit(auditor, "audit-entry")
    auditor.goto(service.url + "/audit/consistency?from=1&to=2")
    visit(auditor, "audit-consistency")


@pytest.mark.slow
def test_the_pages_work_without_script(service: Service, browser: Browser) -> None:
    """With JavaScript off: an officer's trial run is followed by the page's Refresh link, the
    auditor's entry form still reaches its entry, and the statistics form groups the table."""
    prepare_bank(service, with_import=False)
    officer = browser.new_context(locale="en", java_script_enabled=False).new_page()
    _sign_in_staff(officer, service.staff_link("issuer", "hr", ISSUER))
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
    _sign_in_staff(auditor, service.staff_link("auditor", "aud"))
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
