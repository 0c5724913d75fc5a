"""A tour of every page in both languages: axe-core finds nothing serious or critical on any of
them, each is photographed, and none needs sideways scrolling on a phone or at 200% zoom."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Service
from tests.browser.pages import (
    EXAMPLES,
    FIRST_LEARNER,
    ISSUER,
    activate,
    prepare_bank,
    sign_in_staff,
    visit,
)
from tests.browser.records import import_training_year

PHONE_WIDTH = 360
PUBLIC_PAGES = (
    ("home", "/"),
    ("catalogue", "/catalogue"),
    ("log", "/log"),
    ("signin", "/signin"),
    ("signin-learner", "/signin/learner"),
    ("activate", "/activate"),
    ("not-found", "/no-such-page"),
)
STATISTICS_PAGES = (
    ("statistics", "/statistics?group_by=age_band&group_by=sex"),
    ("statistics-chart", "/statistics?group_by=age_band"),
    ("statistics-errors", "/statistics?group_by=shoe_size&year=20x5"),
    ("reports", "/statistics/reports"),
    ("report", "/statistics/reports/enterprise_training"),
)


def fits(page: Page, width: int, path: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, path


@pytest.mark.slow
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_every_page_is_accessible_and_pictured(
    service: Service, language: str, tmp_path: Path, browser: Browser
) -> None:
    """axe-core finds nothing serious or critical on any page, in either language; every page
    is photographed, also at phone width."""
    prepare_bank(service)
    import_training_year(service, tmp_path, ISSUER)
    _public_pages(browser, service, language)
    _learner_pages(browser, service, language)
    admin = browser.new_context(locale=language).new_page()
    sign_in_staff(admin, service.admin_link)
    visit(admin, "admin")
    admin.goto(service.url + "/invitations")
    visit(admin, "invitations")
    _officer_pages(browser, service, language)
    _accreditor_pages(browser, service, language)
    _auditor_pages(browser, service, language)


def _public_pages(browser: Browser, service: Service, language: str) -> None:
    anonymous = browser.new_context(locale=language).new_page()
    for name, path in PUBLIC_PAGES:
        anonymous.goto(service.url + path)
        visit(anonymous, name)
    phone = browser.new_context(locale=language, viewport={"width": PHONE_WIDTH, "height": 740})
    narrow = phone.new_page()
    narrow.goto(service.url + "/catalogue")
    visit(narrow, "catalogue-phone")
    fits(narrow, PHONE_WIDTH, "/catalogue")
    # 200% zoom: the same CSS pixels as a window half as wide; nothing may need sideways scrolling.
    zoomed = browser.new_context(
        locale=language, viewport={"width": 640, "height": 400}, device_scale_factor=2
    ).new_page()
    for path in ("/", "/catalogue", "/log", "/activate"):
        zoomed.goto(service.url + path)
        fits(zoomed, 640, path)


def _learner_pages(browser: Browser, service: Service, language: str) -> None:
    codes = service.codes(FIRST_LEARNER)
    learner = browser.new_context(locale=language).new_page()
    activate(learner, service, FIRST_LEARNER, codes[FIRST_LEARNER[-4:]])
    visit(learner, "archive")
    learner.locator("table a").first.click()
    visit(learner, "outcome")
    learner.goto(service.url + "/recognition")
    visit(learner, "recognition")
    learner.locator("form[action='/recognition'] button").first.click()
    visit(learner, "recognition-result")


def _officer_pages(browser: Browser, service: Service, language: str) -> None:
    officer = browser.new_context(locale=language).new_page()
    sign_in_staff(officer, service.staff_link("issuer", "hr", ISSUER))
    visit(officer, "imports")
    officer.locator("#f-file").set_input_files(
        str(EXAMPLES / "imports" / "enterprise-training.csv")
    )
    officer.locator("main form[action='/imports'] button[type=submit]").click()
    expect(officer.locator("#counts")).to_be_visible(timeout=30_000)
    visit(officer, "import")
    officer.goto(service.url + "/outcomes/revoke")
    visit(officer, "revoke")


def _accreditor_pages(browser: Browser, service: Service, language: str) -> None:
    accreditor = browser.new_context(locale=language).new_page()
    sign_in_staff(accreditor, service.staff_link("accreditor", "acc"))
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
    for name, path in STATISTICS_PAGES:
        accreditor.goto(service.url + path)
        visit(accreditor, name)


def _auditor_pages(browser: Browser, service: Service, language: str) -> None:
    phone = browser.new_context(locale=language, viewport={"width": PHONE_WIDTH, "height": 740})
    statistics_phone = phone.new_page()
    sign_in_staff(statistics_phone, service.staff_link("auditor", "aud-phone"))
    for path in ("/statistics?group_by=age_band", "/statistics/reports/enterprise_training"):
        statistics_phone.goto(service.url + path)
        fits(statistics_phone, PHONE_WIDTH, path)
    auditor = browser.new_context(locale=language).new_page()
    sign_in_staff(auditor, service.staff_link("auditor", "aud"))
    visit(auditor, "audit")
    auditor.goto(service.url + "/audit/entries/2")
    visit(auditor, "audit-entry")
    auditor.goto(service.url + "/audit/consistency?from=1&to=2")
    visit(auditor, "audit-consistency")
