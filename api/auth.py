"""Bearer-token authentication and role guards.

Each controller declares its roles once, as a guard (Litestar-fullstack style); a handler never
checks a role itself. Scope checks that depend on the resource (an issuer's own records, a
learner's own entries) live in ``creditbank.service.scope``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api.desks import access_desk
from creditbank.errors import ForbiddenError, UnauthenticatedError
from creditbank.tokens import Principal, Role

__all__ = ["allow", "provide_principal"]

_PRINCIPAL_KEY = "creditbank_principal"
_BEARER = "bearer "

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


async def _authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    cached = connection.scope.get("state", {}).get(_PRINCIPAL_KEY)
    if isinstance(cached, Principal):
        return cached
    header = connection.headers.get("authorization", "")
    if not header.lower().startswith(_BEARER):
        raise UnauthenticatedError("send an API token as 'Authorization: Bearer <token>'")
    access = access_desk(connection.app.state)
    principal = await access.authenticate(header[len(_BEARER) :].strip())
    if principal is None:
        raise UnauthenticatedError("the API token is not known")
    connection.scope.setdefault("state", {})[_PRINCIPAL_KEY] = principal
    return principal


def allow(*roles: Role) -> Guard:
    """A guard admitting callers whose token has one of ``roles``."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = await _authenticate(connection)
        if principal.role not in roles:
            raise ForbiddenError(f"this endpoint is for the roles: {', '.join(roles)}")

    return guard


async def provide_principal(request: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    return await _authenticate(request)
