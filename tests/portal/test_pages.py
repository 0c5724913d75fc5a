"""The pages over HTTP (no browser): headers, CSRF, scope, language, errors as pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.app import create_app
from creditbank.keys import KeyRing
from creditbank.privacy import Pseudonymizer
from creditbank.service.accounts import AccountDesk
from creditbank.service.context import WriteContext
from creditbank.storage.access import create_token
from creditbank.storage.engine import create_engine
from creditbank.tokens import Principal, Role
from portal.i18n import language_of
from portal.security import CONTENT_SECURITY_POLICY
from tests.api.conftest import settings_for
from tests.conftest import ORIGIN

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
    for path, signin in (
        ("/archive", "/signin/learner"),
        ("/recognition", "/signin/learner"),
        ("/imports", "/signin"),
        ("/standards", "/signin"),
        ("/audit", "/signin"),
        ("/admin", "/signin"),
    ):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303, 307)
        assert response.headers["location"] == f"{signin}?next={path}"


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
    first_session = client.cookies["cb_session"]
    token = await _csrf(client, "/signin")
    again = await client.post(
        "/signin",
        data={"username": "admin", "password": "first admin pw", "_csrf_token": token},
        follow_redirects=False,
    )
    assert again.status_code == 303
    second_session = client.cookies["cb_session"]
    assert second_session != first_session, "a sign-in starts a new session id"
    client.cookies.set("cb_session", first_session)
    stale = await client.get("/admin", follow_redirects=False)
    assert stale.status_code in (302, 303, 307), "the session held before signing in has ended"
    client.cookies.set("cb_session", second_session)
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


async def _staff_link(database_url: str, tmp_path: Path, role: Role, username: str) -> str:
    """A set-password link made beside the app (its desk runs on the test client's loop)."""
    engine = create_engine(database_url)
    try:
        context = WriteContext(engine=engine, keys=KeyRing.load(tmp_path / "keys", ORIGIN))
        desk = AccountDesk(context, Pseudonymizer((tmp_path / "pseudonym.key").read_bytes()))
        _, link = await desk.create_staff(role, username)
        return link
    finally:
        await engine.dispose()


async def _signed_in_staff(
    client: AsyncTestClient[Litestar], database_url: str, tmp_path: Path, role: Role
) -> None:
    link = await _staff_link(database_url, tmp_path, role, role)
    token = await _csrf(client, f"/password/{link}")
    password = "a long password"
    await client.post(
        f"/password/{link}",
        data={"password": password, "password_again": password, "_csrf_token": token},
    )


async def test_an_empty_standard_form_names_every_missing_field(
    client: AsyncTestClient[Litestar], database_url: str, tmp_path: Path
) -> None:
    """All required fields are reported at once, each beside its own input."""
    await _signed_in_staff(client, database_url, tmp_path, "accreditor")
    token = await _csrf(client, "/standards/new")
    response = await client.post(
        "/standards/new",
        files={"_csrf_token": (None, token), "award.method": (None, "per_hours")},
    )
    assert response.status_code == 400
    for name in ("id", "title", "category", "effective_from", "award.hours_per_unit"):
        assert f'id="e-{name}"' in response.text, name
        assert f'id="f-{name}"' in response.text
    assert 'id="e-applies_to.outcome_types"' in response.text


async def test_an_auditor_sees_no_other_roles_pages(
    client: AsyncTestClient[Litestar], database_url: str, tmp_path: Path
) -> None:
    """Pages of other roles are 404 (not 403): their existence says nothing."""
    await _signed_in_staff(client, database_url, tmp_path, "auditor")
    assert (await client.get("/audit")).status_code == 200
    for path in ("/archive", "/imports", "/standards", "/admin", "/invitations"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "not_found" in response.text


async def test_an_officer_sees_only_its_own_issuers_imports(
    client: AsyncTestClient[Litestar], database_url: str, tmp_path: Path
) -> None:
    """Another issuer's import, its report and its progress are 404 to an officer."""
    admin = {"Authorization": f"Bearer {client.app.state.bootstrap_admin_token}"}
    for issuer_id in ("acme-training", "other-school"):
        registered = await client.post(
            "/v1/issuers/",
            json={"issuer_id": issuer_id, "name": "某某单位", "kind": "enterprise"},
            headers=admin,
        )
        assert registered.status_code == 201
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            other = await create_token(
                connection, Principal(role="issuer", issuer_id="other-school")
            )
        context = WriteContext(engine=engine, keys=KeyRing.load(tmp_path / "keys", ORIGIN))
        desk = AccountDesk(context, Pseudonymizer((tmp_path / "pseudonym.key").read_bytes()))
        _, link = await desk.create_staff("issuer", "hr", "acme-training")
    finally:
        await engine.dispose()
    upload = await client.post(
        "/v1/imports/?format=csv&dry_run=true",
        content=Path("examples/imports/enterprise-training.csv").read_bytes(),
        headers={"Authorization": f"Bearer {other}"},
    )
    assert upload.status_code == 202
    job_id = upload.json()["id"]
    token = await _csrf(client, f"/password/{link}")
    await client.post(
        f"/password/{link}",
        data={"password": "a long password", "password_again": "a long password",
              "_csrf_token": token},
    )  # fmt: skip
    assert (await client.get("/imports")).status_code == 200
    for path in (f"/imports/{job_id}", f"/imports/{job_id}/report.csv",
                 f"/imports/{job_id}/report.xlsx", f"/imports/{job_id}/progress"):  # fmt: skip
        assert (await client.get(path)).status_code == 404, path
