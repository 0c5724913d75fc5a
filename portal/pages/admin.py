"""Admins' pages: issuers (register), staff accounts (create, new password link)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from api.desks import Deposits
from creditbank.errors import CreditbankError, MalformedError
from creditbank.service.accounts import staff_roles
from portal.i18n import gettext_for as _
from portal.pages.base import PageController
from portal.people import accounts_of, require
from portal.render import page
from schemas.api import IssuerRegistration

__all__ = ["AdminPages"]

AnyRequest = Request[Any, Any, Any]
Form = Body(media_type=RequestEncodingType.URL_ENCODED)
ISSUER_KINDS = ("enterprise", "community_school", "elderly_university", "adult_school", "college")


def _password_url(request: AnyRequest, secret: str) -> str:
    return str(request.base_url).rstrip("/") + f"/password/{secret}"


class AdminPages(PageController):
    @get("/admin")
    async def overview(self, request: AnyRequest, deposits: Deposits) -> Template:
        await require(request, "admin")
        return await self._page(request, deposits)

    @post("/admin/issuers")
    async def register_issuer(
        self, request: AnyRequest, deposits: Deposits, data: Annotated[dict[str, str], Form]
    ) -> Template:
        await require(request, "admin")
        errors: dict[str, str] = {}
        done = None
        try:
            registration = msgspec.convert(
                {
                    "issuer_id": data.get("issuer_id", "").strip(),
                    "name": data.get("name", "").strip(),
                    "kind": data.get("kind", ""),
                    "district": data.get("district", "").strip() or None,
                },
                IssuerRegistration,
            )
            accepted = await deposits.register_issuer(registration)
            done = _("Issuer %(id)s is registered (entry %(index)s).") % {
                "id": accepted.issuer_id,
                "index": accepted.index,
            }
        except msgspec.ValidationError as error:
            errors["issuer"] = str(error)
        except CreditbankError as error:
            errors["issuer"] = error.message
        return await self._page(request, deposits, errors=errors, done=done, form=data)

    @post("/admin/accounts")
    async def create_account(
        self, request: AnyRequest, deposits: Deposits, data: Annotated[dict[str, str], Form]
    ) -> Template:
        await require(request, "admin")
        errors: dict[str, str] = {}
        link = None
        role = data.get("role", "")
        try:
            if role not in staff_roles:
                raise MalformedError("role", _("Choose a role."))
            _created, secret = await accounts_of(request).create_staff(
                role,
                data.get("username", "").strip(),
                data.get("issuer_id", "").strip() or None,
            )
            link = _password_url(request, secret)
        except CreditbankError as error:
            errors["account"] = error.message
        return await self._page(request, deposits, errors=errors, link=link, form=data)

    @post("/admin/accounts/link")
    async def new_link(
        self, request: AnyRequest, deposits: Deposits, data: Annotated[dict[str, str], Form]
    ) -> Template:
        await require(request, "admin")
        secret = await accounts_of(request).password_link(data.get("username", ""))
        return await self._page(request, deposits, link=_password_url(request, secret))

    async def _page(self, request: AnyRequest, deposits: Deposits, **context: Any) -> Template:
        context.setdefault("errors", {})
        context.setdefault("form", {})
        return await page(
            request,
            "admin.html",
            status_code=400 if context["errors"] else 200,
            title=_("Administration"),
            issuers=await deposits.issuers(),
            accounts=await accounts_of(request).staff(),
            roles=staff_roles,
            issuer_kinds=ISSUER_KINDS,
            **context,
        )
