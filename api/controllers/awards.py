"""Awards granted by accreditation staff: the queue of outcomes awaiting one, and grants."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter

from api.auth import allow, provide_principal
from api.desks import Awards
from creditbank import limits
from creditbank.service.awards import QueueFilter, queue_page_size_max
from creditbank.tokens import Principal
from schemas.awards import AwardQueue, GrantAccepted, GrantRequest
from schemas.types import OutcomeType

__all__ = ["AwardController"]

PrincipalDependency = NamedDependency[Principal]


class AwardController(Controller):
    path = "/v1/awards"
    tags = ["awards"]
    guards = [allow("accreditor", "admin")]
    dependencies = {"principal": provide_principal}
    request_max_body_size = limits.request_bytes_max

    @get("/queue", summary="Outcomes recorded without an award, awaiting a decision (oldest first)")
    async def queue(
        self,
        awards: Awards,
        principal: PrincipalDependency,
        issuer: Annotated[str | None, QueryParameter(min_length=1, max_length=64)] = None,
        outcome_type: Annotated[OutcomeType | None, QueryParameter()] = None,
        course: Annotated[str | None, QueryParameter(min_length=1, max_length=64)] = None,
        page: Annotated[int, QueryParameter(ge=1, le=1_000_000)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=queue_page_size_max)] = 50,
    ) -> AwardQueue:
        wanted = QueueFilter(issuer_id=issuer, outcome_type=outcome_type, course_code=course)
        return await awards.queue(principal, wanted, page, page_size)

    @post(
        "/",
        summary="Grant credits to an outcome recorded without an award (award.granted)",
    )
    async def grant(
        self, awards: Awards, principal: PrincipalDependency, data: JSONBody[GrantRequest]
    ) -> Response[GrantAccepted]:
        return Response(await awards.grant(principal, data), status_code=201)
