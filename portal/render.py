"""Rendering a page: the template, plus what every page's layout needs."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Redirect, Template

from portal import i18n
from portal.people import signed_in

__all__ = ["LANGUAGE_COOKIE", "language_for", "local_path", "page", "see_other"]

LANGUAGE_COOKIE = "cb_lang"

AnyRequest = Request[Any, Any, Any]


def language_for(request: AnyRequest) -> i18n.Language:
    """Choose the request's language and make it the one messages are translated into."""
    language = i18n.language_of(
        request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
    )
    i18n.set_language(language)
    return language


def local_path(candidate: str | None, fallback: str = "/") -> str:
    """``candidate`` if it is a path on this site; a sign-in never sends anyone elsewhere."""
    if candidate and candidate.startswith("/") and not candidate.startswith(("//", "/\\")):
        return candidate
    return fallback


async def page(
    request: AnyRequest, template: str, *, status_code: int = 200, **context: Any
) -> Template:
    language = language_for(request)
    context.setdefault("title", "")
    context["user"] = await signed_in(request)
    context["language"] = language
    context["path"] = request.url.path
    query = request.url.query
    context["here"] = request.url.path + (f"?{query}" if query else "")
    return Template(template_name=template, context=context, status_code=status_code)


def see_other(path: str) -> Redirect:
    """After a form: a 303 to the page showing its result (a reload never posts again)."""
    return Redirect(path=path, status_code=303)
