"""The portal's parts for ``api.app.create_app``: its pages, templates, static files and CSRF.

Every form carries Litestar's CSRF token (a double-submit cookie signed with the portal secret);
the API under /v1 is exempt, as bearer tokens are not sent by browsers on their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment
from litestar.config.csrf import CSRFConfig
from litestar.handlers import HTTPRouteHandler
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from creditbank.keys import load_or_create_secret
from portal import i18n, vocabulary
from portal.pages.accreditor import AccreditorPages
from portal.pages.admin import AdminPages
from portal.pages.auditor import AuditorPages
from portal.pages.awards import AwardPages
from portal.pages.invitations import InvitationPages
from portal.pages.issuer import ImportPages, OutcomePages
from portal.pages.learner import LearnerPages
from portal.pages.public import PublicPages
from portal.pages.signin import SignInPages
from portal.pages.statistics import StatisticsPages

__all__ = ["csrf_config", "portal_handlers", "template_config"]

_HERE = Path(__file__).parent
CSRF_COOKIE = "cb_csrf"


def _configure(engine: JinjaTemplateEngine) -> None:
    environment: Environment = engine.engine
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext_for, i18n.ngettext_for, newstyle=True
    )
    environment.filters.update(
        date=i18n.format_date,
        datetime=i18n.format_datetime,
        credits=i18n.format_credits,
        number=i18n.format_number,
        award_method=lambda award: str(type(award).__struct_config__.tag),
        label=vocabulary.label,
    )
    environment.globals["languages"] = i18n.LANGUAGES


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(
        directory=_HERE / "templates", engine=JinjaTemplateEngine, engine_callback=_configure
    )


def csrf_config(secret_file: Path) -> CSRFConfig:
    """CSRF for every form; the secret is the deployment's, so all workers accept one token."""
    secret = load_or_create_secret(secret_file).hex()
    return CSRFConfig(
        secret=secret,
        cookie_name=CSRF_COOKIE,
        cookie_samesite="strict",
        exclude=["^/v1/", "^/healthz", "^/schema"],
    )


def portal_handlers() -> list[ControllerRouterHandler]:
    static: HTTPRouteHandler | Any = create_static_files_router(
        path="/static", directories=[_HERE / "static"], send_as_attachment=False
    )
    return [
        static,
        PublicPages,
        SignInPages,
        LearnerPages,
        ImportPages,
        OutcomePages,
        InvitationPages,
        AccreditorPages,
        AuditorPages,
        AdminPages,
        AwardPages,
        StatisticsPages,
    ]
