"""Learners' archives and recognition, programmes, reversals, revocations and corrections."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter

from api.auth import allow, provide_principal
from api.desks import Archives, Recognitions, Revocations
from creditbank import limits
from creditbank.learners.archive import ArchiveFilter, archive_page_size_max
from creditbank.tokens import Principal
from schemas.learners import (
    Archive,
    ArchiveBundle,
    CorrectionRequest,
    LearnerLookup,
    LearnerRefView,
    ProgrammeView,
    RecognitionApplication,
    RecognitionResult,
    ReversalRequest,
    RevocationAccepted,
    RevocationRequest,
)
from schemas.standards import Programme

__all__ = [
    "LearnerController",
    "OutcomeChangeController",
    "ProgrammeController",
    "RecognitionController",
]

LearnerRefInPath = Annotated[str, PathParameter(min_length=1, max_length=64)]
IdInPath = Annotated[str, PathParameter(min_length=1, max_length=64)]
PrincipalDependency = NamedDependency[Principal]


class LearnerController(Controller):
    """A learner's own resources: for any other caller the learner does not exist (404, not
    403), so a learner_ref cannot be probed; ``creditbank.service.scope`` decides who sees
    which learner."""

    path = "/v1/learners"
    tags = ["learners"]
    guards = [allow("issuer", "learner", "accreditor", "auditor", "admin")]
    dependencies = {"principal": provide_principal}
    request_max_body_size = limits.request_bytes_max

    @post("/lookup", status_code=200, summary="A learner's own learner_ref from their ID number")
    async def lookup(
        self, archives: Archives, principal: PrincipalDependency, data: JSONBody[LearnerLookup]
    ) -> LearnerRefView:
        return archives.lookup(principal, data)

    @get("/{learner_ref:str}/archive", summary="The learning archive (学习档案), paged")
    async def archive(
        self,
        archives: Archives,
        principal: PrincipalDependency,
        learner_ref: LearnerRefInPath,
        year: Annotated[int | None, QueryParameter(ge=1900, le=9999)] = None,
        category: Annotated[str | None, QueryParameter(max_length=48)] = None,
        issuer: Annotated[str | None, QueryParameter(max_length=64)] = None,
        page: Annotated[int, QueryParameter(ge=1, le=1_000_000)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=archive_page_size_max)] = 50,
    ) -> Archive:
        query = ArchiveFilter(
            year=year, category=category, issuer_id=issuer, page=page, page_size=page_size
        )
        return await archives.archive(principal, learner_ref, query)

    @get(
        "/{learner_ref:str}/archive/export",
        summary="The whole archive with every entry's inclusion proof, verifiable offline",
    )
    async def export(
        self, archives: Archives, principal: PrincipalDependency, learner_ref: LearnerRefInPath
    ) -> ArchiveBundle:
        return await archives.export(principal, learner_ref)

    @post(
        "/{learner_ref:str}/recognitions",
        summary="Apply for recognition toward a programme (records recognition.granted)",
    )
    async def apply(
        self,
        recognitions: Recognitions,
        principal: PrincipalDependency,
        learner_ref: LearnerRefInPath,
        data: JSONBody[RecognitionApplication],
    ) -> Response[RecognitionResult]:
        result = await recognitions.apply(principal, learner_ref, data)
        granted = any(decision.status == "granted" for decision in result.decisions)
        return Response(result, status_code=201 if granted else 200)


class ProgrammeController(Controller):
    path = "/v1/programmes"
    tags = ["programmes"]
    dependencies = {"principal": provide_principal}
    request_max_body_size = limits.request_bytes_max

    @post(
        "/",
        guards=[allow("accreditor")],
        summary="Publish a programme version and its equivalence rules (programme.published)",
    )
    async def publish(
        self, recognitions: Recognitions, data: JSONBody[Programme]
    ) -> Response[ProgrammeView]:
        view = await recognitions.publish_programme(data)
        return Response(view, status_code=201)

    @get(
        "/{programme_id:str}",
        guards=[allow("issuer", "learner", "accreditor", "auditor", "admin")],
        summary="The latest version of a programme",
    )
    async def latest(self, recognitions: Recognitions, programme_id: IdInPath) -> ProgrammeView:
        return await recognitions.programme(programme_id)


class RecognitionController(Controller):
    path = "/v1/recognitions"
    tags = ["learners"]
    guards = [allow("admin")]
    request_max_body_size = limits.request_bytes_max

    @post(
        "/{index:int}/reversal",
        summary="Reverse a recognition, with a reason (records recognition.reversed)",
    )
    async def reverse(
        self,
        recognitions: Recognitions,
        index: Annotated[int, PathParameter(ge=0)],
        data: JSONBody[ReversalRequest],
    ) -> Response[dict[str, int]]:
        reversal = await recognitions.reverse(index, data.reason)
        return Response({"index": reversal}, status_code=201)


class OutcomeChangeController(Controller):
    path = "/v1/outcomes/{issuer_id:str}/{record_id:str}"
    tags = ["outcomes"]
    guards = [allow("issuer", "admin")]
    dependencies = {"principal": provide_principal}
    request_max_body_size = limits.request_bytes_max

    @post(
        "/revocation",
        summary="Revoke an outcome, with a reason (outcome.revoked; dependent recognitions "
        "are reversed)",
    )
    async def revoke(
        self,
        revocations: Revocations,
        principal: PrincipalDependency,
        issuer_id: IdInPath,
        record_id: IdInPath,
        data: JSONBody[RevocationRequest],
    ) -> Response[RevocationAccepted]:
        accepted = await revocations.revoke(principal, issuer_id, record_id, data.reason)
        return Response(accepted, status_code=201)

    @post(
        "/correction",
        summary="Correct an outcome: revoke it and record its replacement under a new record id",
    )
    async def correct(
        self,
        revocations: Revocations,
        principal: PrincipalDependency,
        issuer_id: IdInPath,
        record_id: IdInPath,
        data: JSONBody[CorrectionRequest],
    ) -> Response[RevocationAccepted]:
        accepted = await revocations.correct(principal, issuer_id, record_id, data)
        return Response(accepted, status_code=201)
