"""Activation codes for learners, printed by the bank's admins or by an issuer's officers.

The codes come as a CSV to print (UTF-8 with a byte order mark, so Excel opens it as it is):
name, the ID number with its middle hidden, the code and its last day. ID numbers typed here
travel only in the POST body and are never shown back in full.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter
from litestar.response import Template

from api.desks import Imports
from creditbank.errors import NotFoundError
from creditbank.learners.invitation_sheet import Invitation, invitation_csv, parse_identifiers
from portal.i18n import gettext_for as _
from portal.pages.base import PageController
from portal.people import accounts_of, require
from portal.render import page

__all__ = ["InvitationPages"]

AnyRequest = Request[Any, Any, Any]
Form = Body(media_type=RequestEncodingType.URL_ENCODED)


def _download(invitations: list[Invitation], name: str) -> Response[bytes]:
    return Response(
        invitation_csv(invitations),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


class InvitationPages(PageController):
    @get("/invitations")
    async def form(self, request: AnyRequest) -> Template:
        await require(request, "admin", "issuer")
        return await page(request, "invitations.html", title=_("Activation codes"))

    @post("/invitations")
    async def invite(
        self, request: AnyRequest, data: Annotated[dict[str, str], Form]
    ) -> Response[Any]:
        account, principal = await require(request, "admin", "issuer")
        identifiers = parse_identifiers(data.get("identifiers", ""))
        invitations, missing = await accounts_of(request).invite_identifiers(
            principal, identifiers, account.username or account.role
        )
        if missing or not invitations:
            return await page(
                request,
                "invitations.html",
                status_code=400,
                title=_("Activation codes"),
                missing=[position + 1 for position in missing],
                nothing=not identifiers,
            )
        return _download(invitations, "activation-codes.csv")

    @post("/invitations/batch/{job_id:str}")
    async def batch(
        self,
        request: AnyRequest,
        imports: Imports,
        job_id: Annotated[str, PathParameter(max_length=36)],
    ) -> Response[bytes]:
        account, principal = await require(request, "admin", "issuer")
        job = await imports.job(principal, job_id)
        if job.first_index is None or job.last_index is None:
            raise NotFoundError(f"import {job_id} recorded no outcomes")
        invitations = await accounts_of(request).invite_batch(
            principal,
            job.issuer_id,
            job.first_index,
            job.last_index,
            account.username or account.role,
        )
        return _download(invitations, f"activation-codes-{job_id}.csv")
