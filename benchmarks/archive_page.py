"""The learner's archive as a page: server time of ``GET /archive`` and of one outcome's page.

The service's own application (``api.app.create_app``) runs in process on the benchmark's
database, keys and pseudonym secret, and is called through httpx's ASGI transport on the same
event loop: the figure is the server's work for a page (session look-up, the archive,
rendering), without a network, a browser or a thread hop (Litestar's test client runs the app in
a thread of its own, which added a few milliseconds of hand-over to every call). The learner
signs in the way a person does: an activation code, then
their ID number and a password; the session cookie then rides on every call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from api.app import create_app
from creditbank.keys import write_private_file
from creditbank.settings import Settings
from creditbank.tokens import Principal

__all__ = ["PAGE_MEASUREMENTS", "page_timings"]

WARMUP = 5
PAGE_MEASUREMENTS: tuple[tuple[str, int], ...] = (("page_archive", 200), ("page_outcome", 50))
_PASSWORD = "benchmark password"
_ADMIN = Principal(role="admin")


async def page_timings(
    url: str,
    work: Path,
    origin: str,
    learner_id: str,
    summary: Callable[[Sequence[float]], dict[str, float]],
) -> dict[str, Any]:
    secret = work / "pseudonym.key"
    if not secret.exists():
        write_private_file(secret, bytes(32))  # the benchmark bank's secret (imports_child)
    settings = Settings(
        data_dir=work / "data",
        database_url=url,
        origin=origin,
        keys_dir=work / "keys",
        pseudonym_key_file=secret,
        host="127.0.0.1",
        port=0,
    )
    app = create_app(settings, announce_admin_token=False)
    figures: dict[str, Any] = {}
    async with (
        app.lifespan(),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client,
    ):
        accounts = app.state.bank.accounts
        [invitation], _ = await accounts.invite_identifiers(
            _ADMIN, [("cn_resident_id", learner_id)], "bench"
        )
        signed = await accounts.activate(
            "cn_resident_id", learner_id, invitation.code, _PASSWORD, "bench"
        )
        client.cookies.set("cb_session", signed.session_id)
        first = await client.get("/archive")
        assert first.status_code == 200, first.text[:500]
        index = first.text.split('href="/archive/outcomes/', 1)[1].split('"', 1)[0]
        paths = {"page_archive": "/archive", "page_outcome": f"/archive/outcomes/{index}"}
        for name, calls in PAGE_MEASUREMENTS:
            path = paths[name]
            for _ in range(WARMUP):
                await client.get(path)
            milliseconds = []
            for _ in range(calls):
                started = time.perf_counter()
                response = await client.get(path)
                milliseconds.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.text[-800:])
            figures[name] = summary(milliseconds)
    return figures
