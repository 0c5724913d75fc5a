"""A real service per journey, and a real Chromium (Debian's) driven by Playwright.

Without Chromium the browser tests skip with a message; ``CREDITBANK_REQUIRE_BROWSER=1`` (CI)
turns that into a failure. Screenshots of the pages go to ``tests/artifacts/`` (ignored by git).
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.cli import ROOT, creditbank
from tests.test_end_to_end import free_port

REQUIRE_BROWSER = os.environ.get("CREDITBANK_REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("CREDITBANK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
# As the machine's notes advise: no background traffic (the network is closed), no sandbox as
# root, a fresh profile per launch.
_CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_START_SECONDS = 60.0


@pytest.fixture
def browser() -> Iterator[Browser]:
    """One Chromium per test. Playwright's sync API runs an event loop of its own in this
    thread, so it starts after the test's database fixtures (which run theirs) and stops
    before the next test's: ask for this fixture last."""
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM}: apt-get install -y chromium"
        if REQUIRE_BROWSER:
            pytest.fail(f"CREDITBANK_REQUIRE_BROWSER=1 but {message}")
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=_CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Service:
    url: str
    env: dict[str, str]
    admin_token: str
    admin_link: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {self.admin_token}"}
        )

    def cli(self, *arguments: str, stdin: str | None = None) -> str:
        if stdin is None:
            done = creditbank(self.env, *arguments)
        else:
            done = subprocess.run(
                [sys.executable, "-m", "creditbank.cli", *arguments],
                env=self.env,
                cwd=ROOT,
                input=stdin,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def staff_link(self, role: str, username: str, *issuer: str) -> str:
        extra = ["--issuer", issuer[0]] if issuer else []
        output = self.cli(
            "accounts",
            "create",
            "--role",
            role,
            "--username",
            username,
            "--base-url",
            self.url,
            *extra,
        )
        return output.strip().splitlines()[-1]

    def codes(self, *id_numbers: str) -> dict[str, str]:
        """Activation codes by ID number's last four characters."""
        sheet = self.cli("accounts", "invite", "--from", "-", stdin="\n".join(id_numbers))
        rows = list(csv.reader(io.StringIO(sheet.lstrip("\ufeff"))))[1:]
        return {row[1][-4:]: row[2] for row in rows}


def start_service(tmp_path: Path, database_url: str | None = None) -> Service:
    port = free_port()
    env = {
        **os.environ,
        "CREDITBANK_DATA_DIR": str(tmp_path / "data"),
        "CREDITBANK_PORT": str(port),
    }
    if database_url:
        env["CREDITBANK_DATABASE_URL"] = database_url
    assert creditbank(env, "db", "upgrade").returncode == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "creditbank.cli.main", "serve"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    token = link = ""
    output: list[str] = []
    deadline = time.monotonic() + _START_SECONDS
    while time.monotonic() < deadline and not (token and link):
        line = process.stdout.readline()
        output.append(line)
        if line.startswith("cbt_"):
            token = line.strip()
        found = re.search(r"(http://\S+/password/\S+)", line)
        if found:
            link = found.group(1)
    assert token, "".join(output)
    assert link, "".join(output)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVICE_READY_SECONDS
    with httpx.Client(base_url=url, timeout=5) as client:
        while not _ready(client):
            assert time.monotonic() < deadline, "".join(output)
            time.sleep(0.1)
    return Service(
        url=url, env=env, admin_token=token, admin_link=link, process=process, output=output
    )


SERVICE_READY_SECONDS = 60


def _ready(client: httpx.Client) -> bool:
    """Whether the service answers ready; the banner can come before the socket listens."""
    try:
        return client.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    """A fresh service on the embedded default (SQLite)."""
    running = start_service(tmp_path)
    try:
        yield running
    finally:
        running.process.terminate()
        running.process.wait(timeout=30)


def screenshot(page: Page, name: str) -> None:
    """The page as a person sees it, kept for the README and for review (not in git)."""
    language = page.evaluate("document.documentElement.lang")
    target = ARTIFACTS / language / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
