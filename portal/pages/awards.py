"""The award queue for accreditation staff and admins (待认定): outcomes recorded without an
award, filtered and paged, and the form granting one of them credits (学分认定).

A grant is checked here first, field by field in plain words (the amount, the category, the
standard named), then by the award desk, which holds it to the caps of the standard and refuses
a second grant; whatever the desk refuses is shown beside the field it names or above the form.
An outcome's page opens only while the outcome waits in the queue: anything else is 404.
"""

from __future__ import annotations

import decimal
import re
from typing import Annotated, Any, Final
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter, QueryParameter
from litestar.response import Template

from api.desks import Awards, Deposits, Log, Standards
from creditbank import limits
from creditbank.errors import (
    AlreadyAwardedError,
    AlreadyRevokedError,
    CapExceededError,
    MalformedError,
    NotFoundError,
)
from creditbank.ledger.entries import open_entry
from creditbank.service.awards import AwardDesk, QueueFilter, grant_hundredths
from creditbank.service.log import LogDesk
from creditbank.tokens import Principal
from portal.i18n import gettext_for as _
from portal.pages.base import PageController
from portal.pages.issuer import OUTCOME_TYPES
from portal.people import require
from portal.render import page, see_other
from schemas.awards import AwaitingOutcome, GrantRequest
from schemas.entries import OutcomeRecorded
from schemas.standards import Standard

__all__ = ["AwardPages", "grant_request", "queue_page_size"]

AnyRequest = Request[Any, Any, Any]
Form = Body(media_type=RequestEncodingType.URL_ENCODED)
IndexInPath = Annotated[int, PathParameter(ge=0, le=limits.proof_tree_size_max)]
queue_page_size = 50
_GRANTERS: Final = ("accreditor", "admin")
_FIELDS: Final = ("credits", "category", "standard", "basis", "reason")
_TEXT_CHARS_MAX: Final = 200
_CATEGORY: Final = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")


def _cap_words() -> dict[str, str]:
    return {
        "per_outcome": _("the most for one record"),
        "per_category_per_year": _("the most in this category in a year"),
        "per_issuer_per_year": _("the most from one school or employer in a year"),
        "lifetime": _("the most in this category in a lifetime"),
    }


def _credits(text: str) -> decimal.Decimal:
    try:
        credits = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise MalformedError("credits", _("Give the credits as a number, e.g. 1.5.")) from None
    if not credits.is_finite() or credits <= 0:
        raise MalformedError("credits", _("Give more than 0 credits."))
    try:
        grant_hundredths(credits)  # the desk's exact reading: refused, never rounded
    except MalformedError:
        raise MalformedError("credits", _("At most two decimals, e.g. 1.25.")) from None
    return credits


def _field_problems(values: dict[str, str], named: dict[str, Standard]) -> dict[str, str]:
    """Every field's problem at once, in plain words."""
    errors: dict[str, str] = {}
    for name in ("credits", "category", "basis", "reason"):
        if not values[name]:
            errors[name] = _("Fill this in.")
        elif len(values[name]) > _TEXT_CHARS_MAX:
            errors[name] = _("At most 200 characters.")
    if "credits" not in errors:
        try:
            _credits(values["credits"])
        except MalformedError as error:
            errors["credits"] = error.reason
    if "category" not in errors and not _CATEGORY.fullmatch(values["category"]):
        errors["category"] = _("Lower-case words joined by dots, e.g. community.culture.")
    standard = named.get(values["standard"])
    if values["standard"] and standard is None:
        errors["standard"] = _("Choose a published standard from the list.")
    elif standard is not None and standard.category != values["category"]:
        errors.setdefault(
            "category",
            _("The standard %(standard)s is for the category %(category)s.")
            % {"standard": values["standard"], "category": standard.category},
        )
    return errors


def grant_request(
    data: dict[str, str], outcome: OutcomeRecorded, published: list[Standard]
) -> tuple[GrantRequest | None, dict[str, str]]:
    """The grant a form asks for, or every field's problem (checked as the API would next)."""
    values = {name: data.get(name, "").strip() for name in _FIELDS}
    errors = _field_problems(values, {f"{s.id}@{s.version}": s for s in published})
    if errors:
        return None, errors
    fields = {
        **values,
        "issuer_id": outcome.issuer_id,
        "record_id": outcome.record_id,
        "standard": values["standard"] or None,
    }
    try:
        return msgspec.convert(fields, GrantRequest, strict=False), {}
    except msgspec.ValidationError as error:
        return None, {"form": str(error)}


async def _outcome_entry(log: LogDesk, index: int) -> OutcomeRecorded:
    entry = open_entry(await log.entry(index))
    if not isinstance(entry, OutcomeRecorded):
        raise NotFoundError(f"no outcome at entry {index}")
    return entry


async def _awaiting(awards: AwardDesk, principal: Principal, index: int) -> AwaitingOutcome | None:
    """The outcome as the queue lists it, or None when it no longer waits."""
    try:
        return await awards.awaiting(principal, index)
    except NotFoundError:
        return None


async def _published(standards: Standards) -> list[Standard]:
    return [view.standard for view in await standards.catalogue(drafts=False)
            if view.status == "published"]  # fmt: skip


class AwardPages(PageController):
    @get("/awards")
    async def queue(
        self,
        request: AnyRequest,
        awards: Awards,
        deposits: Deposits,
        issuer: Annotated[str, QueryParameter(max_length=64)] = "",
        outcome_type: Annotated[str, QueryParameter(max_length=32)] = "",
        course: Annotated[str, QueryParameter(max_length=64)] = "",
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
        granted: Annotated[int | None, QueryParameter(ge=0, le=limits.proof_tree_size_max)] = None,
    ) -> Template:
        _account, principal = await require(request, *_GRANTERS)
        chosen = {"issuer": issuer, "outcome_type": outcome_type, "course": course.strip()}
        wanted = QueueFilter(
            issuer_id=issuer or None,
            outcome_type=outcome_type if outcome_type in OUTCOME_TYPES else None,
            course_code=chosen["course"] or None,
        )
        queue = await awards.queue(principal, wanted, page_number, queue_page_size)
        issuers = await deposits.issuers()
        filters = urlencode(chosen)
        return await page(
            request,
            "awards.html",
            title=_("Records waiting for credits"),
            queue=queue,
            pages=max(1, -(-queue.total // queue_page_size)),
            chosen=chosen,
            filters=filters,
            issuers=issuers,
            names={listing.issuer_id: listing.name for listing in issuers},
            outcome_types=OUTCOME_TYPES,
            granted=granted,
        )

    @get("/awards/{index:int}")
    async def outcome(
        self,
        request: AnyRequest,
        awards: Awards,
        deposits: Deposits,
        log: Log,
        standards: Standards,
        index: IndexInPath,
    ) -> Template:
        _account, principal = await require(request, *_GRANTERS)
        entry = await _outcome_entry(log, index)
        item = await awards.awaiting(principal, index)
        return await self._page(request, deposits, standards, item, entry, {}, {})

    @post("/awards/{index:int}")
    async def grant(
        self,
        request: AnyRequest,
        awards: Awards,
        deposits: Deposits,
        log: Log,
        standards: Standards,
        index: IndexInPath,
        data: Annotated[dict[str, str], Form],
    ) -> Response[Any]:
        _account, principal = await require(request, *_GRANTERS)
        entry = await _outcome_entry(log, index)
        granting, errors = grant_request(data, entry, await _published(standards))
        status_code = 400
        if granting is not None:
            try:
                accepted = await awards.grant(principal, granting)
            except AlreadyAwardedError:
                return await self._refused(request, _("This record has its credits already."))
            except AlreadyRevokedError:
                return await self._refused(
                    request, _("This record was withdrawn by its issuer: it earns no credits.")
                )
            except CapExceededError as error:
                status_code = 409
                errors["credits"] = _(
                    "Over the cap of %(standard)s (%(cap)s): at most %(remaining)s credits fit."
                ) % {
                    "standard": error.standard,
                    "cap": _cap_words().get(error.cap, error.cap),
                    "remaining": f"{error.remaining // 100}.{error.remaining % 100:02d}",
                }
            except MalformedError as error:
                errors[error.field if error.field in _FIELDS else "form"] = error.reason
            else:
                return see_other(f"/awards?granted={accepted.index}")
        item = await _awaiting(awards, principal, index)
        if item is None:
            return await self._refused(request, _("This record is no longer waiting for credits."))
        return await self._page(
            request, deposits, standards, item, entry, data, errors, status_code=status_code
        )

    async def _refused(self, request: AnyRequest, message: str) -> Template:
        return await page(
            request, "award.html", status_code=409, title=_("Grant credits"), refused=message
        )

    async def _page(
        self,
        request: AnyRequest,
        deposits: Deposits,
        standards: Standards,
        item: AwaitingOutcome,
        entry: OutcomeRecorded,
        form: dict[str, str],
        errors: dict[str, str],
        status_code: int = 200,
    ) -> Template:
        published = await _published(standards)
        names = {listing.issuer_id: listing.name for listing in await deposits.issuers()}
        return await page(
            request,
            "award.html",
            status_code=status_code,
            title=_("Grant credits"),
            item=item,
            entry=entry,
            issuer_name=names.get(item.issuer_id, item.issuer_id),
            standards=published,
            categories=sorted({standard.category for standard in published}),
            form=form,
            errors=errors,
        )
