"""Registering issuers and recording single outcomes."""

from __future__ import annotations

from litestar import Controller, Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from api.auth import allow, provide_principal
from api.desks import Deposits
from creditbank import limits
from creditbank.tokens import Principal
from schemas.api import IssuerAccepted, IssuerRegistration, OutcomeAccepted, OutcomeRecord

__all__ = ["IssuerController", "OutcomeController"]


def _status(accepted: IssuerAccepted | OutcomeAccepted) -> int:
    return 201 if accepted.status == "recorded" else 200


class IssuerController(Controller):
    path = "/v1/issuers"
    tags = ["issuers"]
    guards = [allow("admin")]
    request_max_body_size = limits.request_bytes_max

    @post("/", summary="Register an issuer (records issuer.registered)")
    async def register(
        self, deposits: Deposits, data: JSONBody[IssuerRegistration]
    ) -> Response[IssuerAccepted]:
        accepted = await deposits.register_issuer(data)
        return Response(accepted, status_code=_status(accepted))


class OutcomeController(Controller):
    path = "/v1/outcomes"
    tags = ["outcomes"]
    guards = [allow("issuer")]
    dependencies = {"principal": provide_principal}
    request_max_body_size = limits.request_bytes_max

    @post("/", summary="Record one learning outcome (records outcome.recorded)")
    async def record(
        self,
        deposits: Deposits,
        principal: NamedDependency[Principal],
        data: JSONBody[OutcomeRecord],
    ) -> Response[OutcomeAccepted]:
        accepted = await deposits.record_outcome(principal, data)
        return Response(accepted, status_code=_status(accepted))
