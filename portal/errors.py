"""Errors on pages: the same problem as the API would answer, shown as a page in plain words.

The problem's stable code is printed on the page (a person can read it out to the helpdesk);
a traceback never is. A person not signed in is sent to the sign-in page and back.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.response import Redirect, Template

from portal.render import language_for
from schemas.api import Problem

__all__ = ["API_PREFIXES", "error_page", "wants_page"]

API_PREFIXES = ("/v1", "/healthz", "/schema", "/static")
_LEARNERS_PAGES = ("/archive", "/recognition")


def wants_page(request: Request[Any, Any, Any]) -> bool:
    return not request.url.path.startswith(API_PREFIXES)


def error_page(
    request: Request[Any, Any, Any], problem: Problem, headers: dict[str, str] | None
) -> Response[Any]:
    if problem.status == 401 and request.method == "GET":
        path = request.url.path
        signin = "/signin/learner" if path.startswith(_LEARNERS_PAGES) else "/signin"
        return Redirect(path=f"{signin}?next={quote(path, safe='/')}")
    language = language_for(request)
    return Template(
        template_name="error.html",
        context={
            "problem": problem,
            "user": None,
            "language": language,
            "path": request.url.path,
            "here": request.url.path,
            "title": "",
        },
        status_code=problem.status,
        headers={
            name: value for name, value in (headers or {}).items() if name != "WWW-Authenticate"
        },
    )
