"""Who is on the page: the session cookie, the account behind it, and what its role may open.

A page for one role answers 404 to any other signed-in person (as the API does for a learner's
resources), so a page's existence says nothing; a person who is not signed in is sent to sign in.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie

from api.desks import bank_of
from creditbank import limits
from creditbank.errors import NotFoundError, UnauthenticatedError
from creditbank.people import Account
from creditbank.service.accounts import AccountDesk, SignedIn, principal_of
from creditbank.tokens import Principal, Role

__all__ = [
    "SESSION_COOKIE",
    "accounts_of",
    "address_of",
    "end_session_cookie",
    "require",
    "session_cookie",
    "signed_in",
]

SESSION_COOKIE = "cb_session"
_ACCOUNT_KEY = "creditbank_account"

AnyRequest = Request[Any, Any, Any]


def accounts_of(request: AnyRequest) -> AccountDesk:
    return bank_of(request.app.state).accounts


async def signed_in(request: AnyRequest) -> Account | None:
    """The account of the request's live session, looked up once per request."""
    state = request.scope.setdefault("state", {})
    if _ACCOUNT_KEY not in state:
        session_id = request.cookies.get(SESSION_COOKIE, "")
        state[_ACCOUNT_KEY] = await accounts_of(request).session(session_id) if session_id else None
    found: Account | None = state[_ACCOUNT_KEY]
    return found


async def require(request: AnyRequest, *roles: Role) -> tuple[Account, Principal]:
    """The signed-in account if its role is one of ``roles``; else sign in, or 404."""
    account = await signed_in(request)
    if account is None:
        raise UnauthenticatedError("sign in to see this page")
    if account.role not in roles:
        raise NotFoundError(f"no page {request.url.path}")
    return account, principal_of(account)


def address_of(request: AnyRequest) -> str:
    return request.client.host if request.client else "unknown"


def session_cookie(request: AnyRequest, signed: SignedIn) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=signed.session_id,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=limits.session_absolute_seconds,
    )


def end_session_cookie(response: Response[Any]) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
