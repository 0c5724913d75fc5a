"""Pages for everyone: home, the course and credit catalogue, the public log, language."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.datastructures import Cookie
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from api.desks import Log, Recognitions, Standards
from creditbank.ledger.checkpoint import parse_checkpoint_body
from portal import i18n
from portal.i18n import gettext_for as _
from portal.pages.base import PageController
from portal.render import LANGUAGE_COOKIE, local_path, page
from schemas.api import StandardView
from schemas.learners import ProgrammeView

__all__ = ["PublicPages"]

_YEAR_SECONDS = 365 * 24 * 3600


def _matches(query: str, *texts: str) -> bool:
    folded = query.casefold()
    return any(folded in text.casefold() for text in texts)


def _standard_matches(query: str, view: StandardView) -> bool:
    standard = view.standard
    return _matches(
        query,
        standard.id,
        standard.title,
        standard.category,
        *standard.applies_to.outcome_types,
        *standard.applies_to.course_codes,
    )


def _programme_matches(query: str, view: ProgrammeView) -> bool:
    programme = view.programme
    return _matches(
        query,
        programme.id,
        programme.title,
        programme.institution,
        *(requirement.title for requirement in programme.requirements),
    )


class PublicPages(PageController):
    @get("/")
    async def home(self, request: Request[Any, Any, Any]) -> Template:
        return await page(request, "home.html", title=_("Home"))

    @get("/catalogue")
    async def catalogue(
        self,
        request: Request[Any, Any, Any],
        standards: Standards,
        recognitions: Recognitions,
        q: Annotated[str, QueryParameter(max_length=100)] = "",
    ) -> Template:
        query = q.strip()
        published = [
            view
            for view in await standards.catalogue(drafts=False)
            if view.status == "published" and (not query or _standard_matches(query, view))
        ]
        programmes = [
            view
            for view in await recognitions.programmes()
            if not query or _programme_matches(query, view)
        ]
        return await page(
            request,
            "catalogue.html",
            title=_("Courses and credits"),
            query=query,
            standards=published,
            programmes=programmes,
        )

    @get("/log")
    async def log(self, request: Request[Any, Any, Any], log: Log) -> Template:
        signed = await log.checkpoint()
        body = signed.split("\n\n", 1)[0] + "\n"
        checkpoint = parse_checkpoint_body(body)
        return await page(
            request,
            "log.html",
            title=_("The public log"),
            signed=signed,
            checkpoint=checkpoint,
            root_hex=checkpoint.root.hex(),
            vkeys=log.verifier_keys(),
            base_url=str(request.base_url).rstrip("/"),
        )

    @get("/language/{language:str}")
    async def language(
        self,
        language: Annotated[str, PathParameter(max_length=8)],
        next_path: Annotated[str, QueryParameter(name="next", max_length=2000)] = "/",
    ) -> Redirect:
        chosen = language if language in i18n.LANGUAGES else i18n.default_language
        return Redirect(
            path=local_path(next_path),
            status_code=303,
            cookies=[
                Cookie(
                    key=LANGUAGE_COOKIE,
                    value=chosen,
                    path="/",
                    max_age=_YEAR_SECONDS,
                    samesite="lax",
                )
            ],
        )
