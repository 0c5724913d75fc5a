"""``create_app()``: the one place the HTTP application is assembled.

Run it with ``creditbank serve`` (or any ASGI server: ``LITESTAR_APP=api.app:create_app``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar, Response, get
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin

from api.controllers.audit import ReplayController
from api.controllers.awards import AwardController
from api.controllers.imports import ImportController
from api.controllers.learners import (
    LearnerController,
    OutcomeChangeController,
    ProgrammeController,
    RecognitionController,
)
from api.controllers.log import AuditController, PublicLogController, ReceiptController
from api.controllers.standards import StandardController
from api.controllers.statistics import StatisticsController
from api.controllers.writes import IssuerController, OutcomeController
from api.desks import Log, desk_dependencies
from api.problems import exception_handlers
from api.request_checks import refuse_unreadable_requests
from creditbank import limits
from creditbank.service.deployment import open_bank
from creditbank.settings import Settings, load_settings
from portal.app import csrf_config, portal_handlers, template_config
from portal.security import security_headers
from schemas.api import Health, Liveness

__all__ = ["create_app"]

API_VERSION = "0.1.0"


@get(
    "/healthz",
    tags=["health"],
    summary="Readiness: the database, free disk and the start-up integrity check",
    responses={503: ResponseSpec(data_container=Health, description="not ready")},
)
async def healthz(log: Log) -> Response[Health]:
    """200 when ready (the database answers, the disk has room), else 503 with the same
    report and Retry-After, so a load balancer sends traffic elsewhere until it heals."""
    health = await log.health()
    if health.ready:
        return Response(health)
    return Response(health, status_code=503, headers={"Retry-After": "5"})


@get("/healthz/live", tags=["health"], summary="Liveness: the process answers (no database)")
async def healthz_live() -> Liveness:
    return Liveness()


def _lifespan(
    resolved: Settings, announce: bool
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """Open the bank at start (printing first-start secrets once), drain and close it at stop."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        bank = await open_bank(resolved)
        app.state.bank = bank
        try:
            await bank.start()
            if bank.writes_disabled is not None:
                print(f"creditbank: WRITES DISABLED: {bank.writes_disabled}", file=sys.stderr)
            token = await bank.access.bootstrap_admin_token()
            if token is not None and announce:
                print(
                    "creditbank: the database had no tokens; this admin token is shown once:\n"
                    f"{token}",
                    flush=True,
                )
            app.state.bootstrap_admin_token = token
            link = await bank.accounts.bootstrap_admin_link()
            if link is not None and announce:
                base = f"http://{resolved.host}:{resolved.port}"
                print(
                    "creditbank: no accounts yet; open this one-time link to set the first "
                    f"admin's password (user name: admin):\n{base}/password/{link}",
                    flush=True,
                )
            app.state.bootstrap_admin_link = link
            yield
        finally:
            await bank.imports.wait()
            with contextlib.suppress(Exception):  # bookkeeping; the store may be the reason
                await bank.access.flush_last_used()
            await bank.engine.dispose()

    return lifespan


def create_app(settings: Settings | None = None, *, announce_admin_token: bool = True) -> Litestar:
    """The application; the database must already be migrated (``creditbank db upgrade``)."""
    resolved = settings or load_settings()
    lifespan = _lifespan(resolved, announce_admin_token)
    return Litestar(
        route_handlers=[
            healthz,
            healthz_live,
            PublicLogController,
            AuditController,
            ReceiptController,
            IssuerController,
            OutcomeController,
            StandardController,
            ReplayController,
            ImportController,
            LearnerController,
            ProgrammeController,
            RecognitionController,
            AwardController,
            StatisticsController,
            OutcomeChangeController,
            *portal_handlers(),
        ],
        template_config=template_config(),
        csrf_config=csrf_config(resolved.portal_secret_file),
        middleware=[security_headers],
        dependencies=desk_dependencies,
        exception_handlers=exception_handlers,  # type: ignore[arg-type]
        before_request=refuse_unreadable_requests,
        lifespan=[lifespan],
        request_max_body_size=limits.request_bytes_max,
        openapi_config=OpenAPIConfig(
            title="creditbank",
            version=API_VERSION,
            description="Learning outcomes in an append-only, signed, verifiable log.",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
        ),
        debug=False,
    )
