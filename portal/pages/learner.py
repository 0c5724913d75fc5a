"""A learner's own pages: the learning archive, one outcome and its proof, the verifiable copy,
and applying to have credits recognised by a programme (学分转换).

The learner is always the signed-in one: no page takes a learner_ref, so there is nothing to
probe, and an outcome of anyone else answers 404 (the log desk's scope rule).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter, QueryParameter
from litestar.response import Template

from api.desks import Archives, Log, Recognitions
from creditbank import limits
from creditbank.learners.archive import ArchiveFilter
from portal.i18n import gettext_for as _
from portal.pages.base import PageController
from portal.people import require
from portal.render import page
from schemas.learners import RecognitionApplication

__all__ = ["LearnerPages", "archive_page_size"]

AnyRequest = Request[Any, Any, Any]
Form = Body(media_type=RequestEncodingType.URL_ENCODED)
archive_page_size = 50


class LearnerPages(PageController):
    @get("/archive")
    async def archive(
        self,
        request: AnyRequest,
        archives: Archives,
        year: Annotated[str, QueryParameter(max_length=4)] = "",
        category: Annotated[str, QueryParameter(max_length=48)] = "",
        issuer: Annotated[str, QueryParameter(max_length=64)] = "",
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
    ) -> Template:
        account, principal = await require(request, "learner")
        learner_ref = account.learner_ref or ""
        query = ArchiveFilter(
            year=int(year) if year.isdigit() else None,
            category=category or None,
            issuer_id=issuer or None,
            page=page_number,
            page_size=archive_page_size,
        )
        archive, choices = await archives.archive_page(principal, learner_ref, query)
        pages = max(1, -(-archive.outcomes_total // archive_page_size))
        return await page(
            request,
            "archive.html",
            title=_("My learning archive"),
            archive=archive,
            choices=choices,
            chosen={"year": year, "category": category, "issuer": issuer},
            pages=pages,
        )

    @get("/archive/outcomes/{index:int}")
    async def outcome(
        self,
        request: AnyRequest,
        archives: Archives,
        log: Log,
        index: Annotated[int, PathParameter(ge=0, le=limits.proof_tree_size_max)],
    ) -> Template:
        account, principal = await require(request, "learner")
        # The receipt first: for anyone but the outcome's learner it is a 404, before any read.
        receipt, checkpoint = await log.checked_receipt(principal, index)
        item, recognitions = await archives.outcome(principal, account.learner_ref or "", index)
        grant_receipt, grant_checkpoint = (None, None)
        if item.granted is not None:  # the decision granting its credits, checked the same way
            grant_receipt, grant_checkpoint = await log.checked_receipt(
                principal, item.granted.index
            )
        return await page(
            request,
            "outcome.html",
            title=item.course_title,
            item=item,
            receipt=receipt,
            checkpoint=checkpoint,
            recognitions=recognitions,
            grant_receipt=grant_receipt,
            grant_checkpoint=grant_checkpoint,
        )

    @get("/archive/export")
    async def export(self, request: AnyRequest, archives: Archives) -> Response[bytes]:
        account, principal = await require(request, "learner")
        bundle = await archives.export(principal, account.learner_ref or "")
        return Response(
            msgspec.json.encode(bundle),
            media_type="application/json",
            headers={
                "Content-Disposition": 'attachment; filename="learning-archive.json"',
                "Cache-Control": "no-store",
            },
        )

    @get("/recognition")
    async def programmes(self, request: AnyRequest, recognitions: Recognitions) -> Template:
        await require(request, "learner")
        return await page(
            request,
            "recognition.html",
            title=_("Credit transfer"),
            programmes=await recognitions.programmes(),
        )

    @post("/recognition")
    async def apply(
        self,
        request: AnyRequest,
        recognitions: Recognitions,
        data: Annotated[dict[str, str], Form],
    ) -> Template:
        account, principal = await require(request, "learner")
        programme = await recognitions.programme(data.get("programme_id", ""))
        application = RecognitionApplication(programme_id=programme.programme.id)
        result = await recognitions.apply(principal, account.learner_ref or "", application)
        titles = {r.id: r.title for r in programme.programme.requirements}
        return await page(
            request,
            "recognition_result.html",
            title=_("Credit transfer decision"),
            programme=programme.programme,
            result=result,
            titles=titles,
        )
