"""The pages over HTTP (no browser): headers, CSRF, scope, language, errors as pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from portal.i18n import language_of
from portal.security import CONTENT_SECURITY_POLICY
from tests.api.conftest import settings_for

_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@pytest.fixture
async def client(database_url: str, tmp_path: Path) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(settings_for(database_url, tmp_path), announce_admin_token=False)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


async def _csrf(client: AsyncTestClient[Litestar], path: str) -> str:
    page = await client.get(path)
    found = _CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


async def test_pages_carry_a_strict_policy(client: AsyncTestClient[Litestar]) -> None:
    """Every page, and the API, says: no inline script, no framing, no sniffing."""
    for path in ("/", "/catalogue", "/signin", "/no-such-page", "/v1/log/checkpoint"):
        response = await client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    home = await client.get("/")
    assert "<script>" not in home.text
    assert " style=" not in home.text


async def test_a_form_without_its_token_is_refused(client: AsyncTestClient[Litestar]) -> None:
    """The sign-in form posted without its CSRF token is 403 with the stable code, as a page;
    with the token it is answered (a failed sign-in, here)."""
    refused = await client.post("/signin", data={"username": "admin", "password": "x" * 12})
    assert refused.status_code == 403
    assert "text/html" in refused.headers["content-type"]
    assert "forbidden" in refused.text
    assert "Traceback" not in refused.text
    token = await _csrf(client, "/signin")
    answered = await client.post(
        "/signin", data={"username": "admin", "password": "x" * 12, "_csrf_token": token}
    )
    assert answered.status_code == 400
    assert "Traceback" not in answered.text


async def test_the_api_keeps_bearer_tokens_and_problem_json(
    client: AsyncTestClient[Litestar],
) -> None:
    """The API is not under CSRF (browsers do not send bearer tokens) and answers problems."""
    response = await client.post("/v1/issuers/", json={})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_signed_out_people_are_sent_to_sign_in(client: AsyncTestClient[Litestar]) -> None:
    """A person's page asks for sign-in and comes back to the page afterwards."""
    for path in ("/archive", "/imports", "/standards", "/audit", "/admin"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303, 307)
        assert response.headers["location"] == f"/signin?next={path}"


async def test_the_first_admin_sets_a_password_and_sees_admin_pages_only(
    client: AsyncTestClient[Litestar],
) -> None:
    """The printed link signs the admin in (a new session cookie); a learner's page is 404 for
    the admin; sign-out ends the session."""
    link = client.app.state.bootstrap_admin_link
    token = await _csrf(client, f"/password/{link}")
    done = await client.post(
        f"/password/{link}",
        data={
            "password": "first admin pw",
            "password_again": "first admin pw",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/admin"
    assert (await client.get("/admin")).status_code == 200
    assert (await client.get("/archive")).status_code == 404
    assert (await client.get(f"/password/{link}")).status_code == 410, "the link is spent"
    token = await _csrf(client, "/admin")
    await client.post("/signout", data={"_csrf_token": token})
    assert (await client.get("/admin", follow_redirects=False)).status_code in (302, 303, 307)


async def test_chinese_first_english_by_header_or_switch(
    client: AsyncTestClient[Litestar],
) -> None:
    """No preference: Chinese. An English browser: English. The switch's choice wins."""
    assert '<html lang="zh-CN">' in (await client.get("/")).text
    english = await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.text
    assert "District Credit Bank" in english.text
    switched = await client.get("/language/zh-CN?next=/catalogue", follow_redirects=False)
    assert switched.headers["location"] == "/catalogue"
    client.cookies.set("cb_lang", "zh-CN")
    chosen = await client.get("/", headers={"Accept-Language": "en"})
    assert '<html lang="zh-CN">' in chosen.text
    away = await client.get("/language/en?next=//evil.example/", follow_redirects=False)
    assert away.headers["location"] == "/", "never a redirect to another site"


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, None, "zh-CN"),
        (None, "en-US,en;q=0.8", "en"),
        (None, "fr-FR, en;q=0.5, zh;q=0.9", "zh-CN"),
        ("en", "zh-CN", "en"),
        ("xx", "en", "en"),
        (None, "de", "zh-CN"),
    ],
)
def test_language_choice(cookie: str | None, header: str | None, expected: str) -> None:
    """The cookie, then the highest-weighted supported language, then Chinese."""
    assert language_of(cookie, header) == expected
