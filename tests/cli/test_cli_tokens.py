"""``creditbank tokens``: creation checks what a token would act for, tokens expire, are listed
with when they were last used, and stop working when revoked."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
from litestar.testing import TestClient

from api.app import create_app
from creditbank.service import access as access_desk
from creditbank.settings import load_settings
from tests.cli import creditbank


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CREDITBANK_DATA_DIR": str(tmp_path / "data"),
        "CREDITBANK_DATABASE_URL": database_url,
    }


def _token(result: object) -> str:
    lines = getattr(result, "stdout", "").strip().splitlines()
    assert lines[-1].startswith("cbt_"), lines
    return lines[-1]


def test_tokens_are_only_made_for_what_exists(env: dict[str, str]) -> None:
    """An issuer token for an unregistered issuer, a learner token for a malformed learner_ref
    and a nonsense expiry are refused, one line each, exit 2."""
    unknown = creditbank(env, "tokens", "create", "--role", "issuer", "--issuer", "nobody")
    assert (unknown.returncode, unknown.stderr.split(":")[1].strip()) == (2, "unknown_issuer")
    bad_ref = creditbank(env, "tokens", "create", "--role", "learner", "--learner", "L-1")
    assert (bad_ref.returncode, bad_ref.stderr.split(":")[1].strip()) == (2, "malformed")
    assert len(bad_ref.stderr.strip().splitlines()) == 1
    never = creditbank(env, "tokens", "create", "--role", "auditor", "--expires-in-days", "0")
    assert never.returncode == 2
    ok = creditbank(env, "tokens", "create", "--role", "learner", "--learner", "a" * 64)
    assert ok.returncode == 0, ok.stderr


def test_list_revoke_expiry_and_last_use(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token made with an expiry is listed live with it; used through the service it gets a
    last-use time; revoked by the id the list shows, the service refuses it (401) and the list
    says revoked. A token past its expiry is refused too."""
    monkeypatch.setattr(access_desk, "token_cache_seconds", 0.0)  # see every revocation at once
    auditor = _token(
        creditbank(env, "tokens", "create", "--role", "auditor", "--expires-in-days", "30")
    )
    listed = creditbank(env, "tokens", "list").stdout.strip().splitlines()
    assert len(listed) == 1
    token_id, role, scope, state, *_ = listed[0].split()
    expires = datetime.date.today() + datetime.timedelta(days=30)
    assert (role, scope, state) == ("auditor", "-", "live")
    assert f"expires {expires:%Y-%m-%d}" in listed[0]
    assert "last used -" in listed[0]

    app = create_app(load_settings(env), announce_admin_token=False)
    headers = {"Authorization": f"Bearer {auditor}"}
    with TestClient(app=app) as client:
        assert client.post("/v1/audit/replay", headers=headers).status_code == 200
        client.blocking_portal.call(app.state.bank.access.flush_last_used)  # type: ignore[union-attr]
        assert "last used -" not in creditbank(env, "tokens", "list").stdout

        revoked = creditbank(env, "tokens", "revoke", token_id[:8])
        assert (revoked.returncode, revoked.stdout.strip()) == (0, "revoked 1 token")
        refused = client.post("/v1/audit/replay", headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (401, "unauthenticated")
        assert " revoked " in creditbank(env, "tokens", "list").stdout

        # An expiry that has passed: the grant is checked against the clock on every request.
        bank = app.state.bank
        short = client.blocking_portal.call(
            bank.access.create_token,
            access_desk.Principal(role="auditor"),
            "short",
            datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=1),
        )
        fresh = client.post("/v1/audit/replay", headers={"Authorization": f"Bearer {short}"})
        assert fresh.status_code == 200
        monkeypatch.setattr(
            bank.context,
            "now",
            lambda: datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=1),
        )
        expired = client.post("/v1/audit/replay", headers={"Authorization": f"Bearer {short}"})
        assert expired.status_code == 401
    again = creditbank(env, "tokens", "revoke", token_id)
    assert (again.returncode, again.stdout.strip()) == (1, "revoked 0 tokens")
