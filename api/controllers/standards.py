"""Conversion standards: read by anyone authenticated, drafted and decided by accreditors."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from api.auth import allow, provide_principal
from api.desks import Simulation, Standards
from creditbank import limits
from creditbank.service import scope
from creditbank.tokens import Principal
from schemas.api import (
    SimulationReport,
    SimulationRequest,
    StandardRetirement,
    StandardView,
    ValidationReport,
)
from schemas.standards import Standard

__all__ = ["StandardController"]

StandardIdInPath = Annotated[
    str, PathParameter(min_length=1, max_length=48, pattern=r"^[a-z0-9][a-z0-9._-]*$")
]
VersionInPath = Annotated[int, PathParameter(ge=1, le=1_000_000)]
accreditors_only = [allow("accreditor")]


class StandardController(Controller):
    path = "/v1/standards"
    tags = ["standards"]
    guards = [allow("issuer", "learner", "accreditor", "auditor", "admin")]
    dependencies = {"principal": provide_principal}

    @get("/", summary="Standards: published and retired (and drafts, for accreditors)")
    async def catalogue(
        self, standards: Standards, principal: NamedDependency[Principal]
    ) -> list[StandardView]:
        return await standards.catalogue(drafts=scope.sees_drafts(principal))

    @get("/{standard_id:str}/{version:int}", summary="One version of a standard")
    async def view(
        self,
        standards: Standards,
        principal: NamedDependency[Principal],
        standard_id: StandardIdInPath,
        version: VersionInPath,
    ) -> StandardView:
        drafts = scope.sees_drafts(principal)
        return await standards.view(standard_id, version, drafts=drafts)

    @post("/", guards=accreditors_only, summary="Create a draft")
    async def create(self, standards: Standards, data: JSONBody[Standard]) -> StandardView:
        return await standards.create_draft(data)

    @put("/{standard_id:str}/{version:int}", guards=accreditors_only, summary="Edit a draft")
    async def edit(
        self,
        standards: Standards,
        standard_id: StandardIdInPath,
        version: VersionInPath,
        data: JSONBody[Standard],
    ) -> StandardView:
        return await standards.update_draft(standard_id, version, data)

    @post(
        "/{standard_id:str}/{version:int}/validate",
        guards=accreditors_only,
        status_code=200,
        summary="Check a draft against the published standards",
    )
    async def validate(
        self, standards: Standards, standard_id: StandardIdInPath, version: VersionInPath
    ) -> ValidationReport:
        return await standards.validate_draft(standard_id, version)

    @post(
        "/{standard_id:str}/{version:int}/publish",
        guards=accreditors_only,
        summary="Publish a draft (records standard.published); it is immutable afterwards",
    )
    async def publish(
        self, standards: Standards, standard_id: StandardIdInPath, version: VersionInPath
    ) -> StandardView:
        return await standards.publish_draft(standard_id, version)

    @post(
        "/{standard_id:str}/{version:int}/retire",
        guards=accreditors_only,
        status_code=200,
        summary="Retire a published standard (records standard.retired)",
    )
    async def retire(
        self,
        standards: Standards,
        standard_id: StandardIdInPath,
        version: VersionInPath,
        data: JSONBody[StandardRetirement],
    ) -> StandardView:
        return await standards.retire(standard_id, version, data.reason)

    @post(
        "/simulate",
        guards=accreditors_only,
        status_code=200,
        request_max_body_size=limits.simulation_request_bytes_max,
        summary="What a draft would award over the outcomes in the bank (writes nothing)",
    )
    async def simulate(
        self, simulation: Simulation, data: JSONBody[SimulationRequest]
    ) -> Response[SimulationReport]:
        if data.outcomes is None:
            report = await simulation.over_log(data.standard, data.largest_changes)
        else:
            report = await simulation.over_records(
                data.standard, data.outcomes, data.largest_changes
            )
        return Response(report)
