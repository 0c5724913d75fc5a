"""What the browser tests share: the example bank, signing in, and checking a page (axe-core)
while keeping its picture."""

from __future__ import annotations

import json
import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.conftest import ARTIFACTS, Service, screenshot
from tests.cli import ROOT

__all__ = [
    "EXAMPLES",
    "FIRST_LEARNER",
    "ISSUER",
    "PASSWORD",
    "SECOND_LEARNER",
    "accessible",
    "activate",
    "prepare_bank",
    "sign_in_staff",
    "visit",
]

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


def sign_in_staff(page: Page, link: str) -> None:
    """Set the password from a staff account's one-time link (which also signs in)."""
    page.goto(link)
    page.locator("#f-password").fill(PASSWORD)
    page.locator("#f-password_again").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
