"""Auditors' pages: the signed checkpoints, one entry with its inclusion proof checked, the
consistency of two signed sizes checked, and the command that checks the whole log offline.
Every "checked" on these pages is our own verifier run on what the log serves, the same code
``creditbank verify`` runs."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template

from api.desks import Log
from creditbank import limits
from creditbank.ledger.entries import open_entry
from portal.i18n import gettext_for as _
from portal.pages.base import PageController
from portal.people import require
from portal.render import page, see_other

__all__ = ["AuditorPages", "checkpoint_history_length"]

AnyRequest = Request[Any, Any, Any]
checkpoint_history_length = 50
SizeQuery = Annotated[int, QueryParameter(ge=0, le=limits.proof_tree_size_max)]


class AuditorPages(PageController):
    @get("/audit")
    async def overview(self, request: AnyRequest, log: Log) -> Template:
        await require(request, "auditor", "admin")
        checkpoints = await log.recent_checkpoints(checkpoint_history_length)
        return await page(
            request,
            "audit.html",
            title=_("Audit"),
            checkpoints=checkpoints,
            vkeys=log.verifier_keys(),
            base_url=str(request.base_url).rstrip("/"),
        )

    @get("/audit/entries/{index:int}")
    async def entry(
        self,
        request: AnyRequest,
        log: Log,
        index: Annotated[int, PathParameter(ge=0, le=limits.proof_tree_size_max)],
        asked: Annotated[
            int | None, QueryParameter(name="index", ge=0, le=limits.proof_tree_size_max)
        ] = None,
    ) -> Response[Any]:
        _account, principal = await require(request, "auditor", "admin")
        if asked is not None and asked != index:  # the entry form, sent without script
            return see_other(f"/audit/entries/{asked}")
        receipt, checkpoint = await log.checked_receipt(principal, index)
        body = await log.entry(index)
        entry = open_entry(body)
        pretty = msgspec.json.format(body, indent=2).decode()
        return await page(
            request,
            "audit_entry.html",
            title=_("Entry %(index)s") % {"index": index},
            index=index,
            kind=getattr(entry, "type", type(entry).__name__),
            pretty=pretty,
            receipt=receipt,
            checkpoint=checkpoint,
        )

    @get("/audit/consistency")
    async def consistency(
        self,
        request: AnyRequest,
        log: Log,
        old_size: Annotated[int, QueryParameter(name="from", ge=0, le=limits.proof_tree_size_max)],
        new_size: Annotated[int, QueryParameter(name="to", ge=0, le=limits.proof_tree_size_max)],
    ) -> Template:
        await require(request, "auditor", "admin")
        proof, old, new = await log.checked_consistency(old_size, new_size)
        return await page(
            request,
            "audit_consistency.html",
            title=_("Consistency"),
            proof=proof,
            old=old,
            new=new,
        )
