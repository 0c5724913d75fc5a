"""Signing in and out, learners' activation, and setting a password from a one-time link.

Every failure says the same plain thing, whether the account exists or not; repeated failures
are slowed down by the account desk. The ID number only ever travels in a POST body.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter, QueryParameter
from litestar.response import Redirect, Template

from creditbank.errors import MalformedError, SignInFailedError, TooManyAttemptsError
from creditbank.people import Account
from creditbank.service.accounts import SignedIn
from portal.i18n import gettext_for as _
from portal.pages.base import PageController
from portal.people import (
    SESSION_COOKIE,
    accounts_of,
    address_of,
    end_session_cookie,
    session_cookie,
    signed_in,
)
from portal.render import local_path, page

__all__ = ["SignInPages", "home_of"]

AnyRequest = Request[Any, Any, Any]
Form = Body(media_type=RequestEncodingType.URL_ENCODED)
_HOME_BY_ROLE = {
    "learner": "/archive",
    "issuer": "/imports",
    "accreditor": "/standards",
    "auditor": "/audit",
    "admin": "/admin",
}


def home_of(account: Account) -> str:
    return _HOME_BY_ROLE.get(account.role, "/")


async def _signed_in_to(request: AnyRequest, signed: SignedIn, next_path: str | None) -> Redirect:
    """Onward with the new session's cookie; a session the browser held before is ended, so
    only the new id is ever live after a sign-in."""
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        await accounts_of(request).sign_out(previous)
    response = Redirect(path=local_path(next_path, home_of(signed.account)), status_code=303)
    response.set_cookie(session_cookie(request, signed))
    return response


def _failure_message(error: Exception) -> str:
    if isinstance(error, TooManyAttemptsError):
        minutes = max(1, round(error.retry_after / 60))
        return _("Too many attempts. Please wait %(minutes)s minutes and try again.") % {
            "minutes": minutes
        }
    if isinstance(error, MalformedError) and error.field == "password":
        return _("The password must have at least 8 characters.")
    if isinstance(error, MalformedError):
        return _("The ID number is not valid. Please check it and type it again.")
    return _("Sign-in failed. Please check what you typed and try again.")


class SignInPages(PageController):
    @get("/signin")
    async def staff_form(
        self,
        request: AnyRequest,
        next_path: Annotated[str, QueryParameter(name="next", max_length=2000)] = "",
    ) -> Template:
        return await page(request, "signin.html", title=_("Staff sign-in"), next_path=next_path)

    @post("/signin")
    async def staff(
        self, request: AnyRequest, data: Annotated[dict[str, str], Form]
    ) -> Response[Any]:
        try:
            signed = await accounts_of(request).sign_in_staff(
                data.get("username", ""), data.get("password", ""), address_of(request)
            )
        except (SignInFailedError, TooManyAttemptsError) as error:
            return await page(
                request,
                "signin.html",
                status_code=400,
                title=_("Staff sign-in"),
                failure=_failure_message(error),
                username=data.get("username", ""),
                next_path=data.get("next", ""),
            )
        return await _signed_in_to(request, signed, data.get("next"))

    @get("/signin/learner")
    async def learner_form(
        self,
        request: AnyRequest,
        next_path: Annotated[str, QueryParameter(name="next", max_length=2000)] = "",
    ) -> Template:
        return await page(
            request, "signin_learner.html", title=_("Learner sign-in"), next_path=next_path
        )

    @post("/signin/learner")
    async def learner(
        self, request: AnyRequest, data: Annotated[dict[str, str], Form]
    ) -> Response[Any]:
        try:
            signed = await accounts_of(request).sign_in_learner(
                data.get("id_type", "cn_resident_id"),
                data.get("id_number", ""),
                data.get("password", ""),
                address_of(request),
            )
        except (SignInFailedError, TooManyAttemptsError, MalformedError) as error:
            return await page(
                request,
                "signin_learner.html",
                status_code=400,
                title=_("Learner sign-in"),
                failure=_failure_message(error),
                id_type=data.get("id_type"),
                next_path=data.get("next", ""),
            )
        return await _signed_in_to(request, signed, data.get("next"))

    @get("/activate")
    async def activate_form(self, request: AnyRequest) -> Template:
        return await page(request, "activate.html", title=_("Activate your account"))

    @post("/activate")
    async def activate(
        self, request: AnyRequest, data: Annotated[dict[str, str], Form]
    ) -> Response[Any]:
        failure = None
        if data.get("password", "") != data.get("password_again", ""):
            failure = _("The two passwords are not the same. Please type them again.")
        else:
            try:
                signed = await accounts_of(request).activate(
                    data.get("id_type", "cn_resident_id"),
                    data.get("id_number", ""),
                    data.get("code", ""),
                    data.get("password", ""),
                    address_of(request),
                )
            except (SignInFailedError, TooManyAttemptsError, MalformedError) as error:
                failure = (
                    _("The ID number and activation code do not match a valid code.")
                    if isinstance(error, SignInFailedError)
                    else _failure_message(error)
                )
            else:
                return await _signed_in_to(request, signed, "/archive")
        return await page(
            request,
            "activate.html",
            status_code=400,
            title=_("Activate your account"),
            failure=failure,
            id_type=data.get("id_type"),
        )

    @get("/password/{link:str}")
    async def password_form(
        self, request: AnyRequest, link: Annotated[str, PathParameter(max_length=128)]
    ) -> Template:
        account = await accounts_of(request).link_account(link)
        return await page(
            request, "password.html", title=_("Set your password"), account=account, link=link
        )

    @post("/password/{link:str}")
    async def set_password(
        self,
        request: AnyRequest,
        link: Annotated[str, PathParameter(max_length=128)],
        data: Annotated[dict[str, str], Form],
    ) -> Response[Any]:
        desk = accounts_of(request)
        account = await desk.link_account(link)
        failure = None
        if data.get("password", "") != data.get("password_again", ""):
            failure = _("The two passwords are not the same. Please type them again.")
        else:
            try:
                signed = await desk.set_password_by_link(link, data.get("password", ""))
            except MalformedError as error:
                failure = _failure_message(error)
            else:
                return await _signed_in_to(request, signed, None)
        return await page(
            request,
            "password.html",
            status_code=400,
            title=_("Set your password"),
            account=account,
            link=link,
            failure=failure,
        )

    @post("/signout")
    async def sign_out(self, request: AnyRequest) -> Redirect:
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id and await signed_in(request) is not None:
            await accounts_of(request).sign_out(session_id)
        response = Redirect(path="/", status_code=303)
        end_session_cookie(response)
        return response
