"""Accreditation staff's pages: standards and programmes — list, view, draft from a form or a
TOML file, validation problems beside the fields they name, simulation on banked outcomes,
publication and retirement. The same desks and validation as ``/v1/standards``."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter
from litestar.response import Template

from api.desks import Recognitions, Simulation, Standards
from creditbank.errors import ConflictError, StandardInvalidError
from creditbank.rules.documents import document_bytes_max, load_programme, load_standard
from portal.i18n import gettext_for as _
from portal.pages.base import PageController
from portal.pages.issuer import OUTCOME_TYPES
from portal.people import require
from portal.render import page, see_other
from schemas.standards import Standard

__all__ = ["AccreditorPages", "award_method", "standard_from_form"]

AnyRequest = Request[Any, Any, Any]
Upload = Body(media_type=RequestEncodingType.MULTI_PART)
Form = Body(media_type=RequestEncodingType.URL_ENCODED)
IdInPath = Annotated[str, PathParameter(min_length=1, max_length=48)]
VersionInPath = Annotated[int, PathParameter(ge=1, le=1_000_000)]
# The form's plain fields, by the dotted name validation uses for them.
_TEXT_FIELDS = ("id", "title", "category", "effective_from", "effective_until")
_NUMBER_FIELDS = (
    "award.hours_per_unit",
    "award.credits_per_unit",
    "award.credits",
    "max_per_outcome",
    "caps.per_category_per_year",
    "caps.lifetime",
    "requires.min_hours",
)


def _missing(form: dict[str, Any]) -> list[tuple[str, str]]:
    """Every required field left empty, all at once (the decoder stops at the first)."""
    method = str(form.get("award.method", "per_hours"))
    required = ["id", "version", "title", "category", "effective_from"]
    required.append("award.hours_per_unit" if method == "per_hours" else "award.credits")
    missing = [
        (name, _("Fill this in.")) for name in required if not str(form.get(name, "")).strip()
    ]
    if not form.get("applies_to.outcome_types"):
        missing.append(("applies_to.outcome_types", _("Choose at least one type of learning.")))
    return missing


def standard_from_form(form: dict[str, Any]) -> Standard:
    """The standard a form describes, checked exactly as a TOML or JSON document is."""
    missing = _missing(form)
    if missing:
        raise StandardInvalidError(missing)
    document: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = str(form.get(name, "")).strip()
        if value:
            document[name] = value
    version = str(form.get("version", "")).strip()
    document["version"] = int(version) if version.isdigit() else version
    for name in ("validity_months", "precedence"):
        whole = str(form.get(name, "")).strip()
        if whole:
            document[name] = int(whole) if whole.isdigit() else whole
    types = form.get("applies_to.outcome_types", [])
    document["applies_to"] = {"outcome_types": [types] if isinstance(types, str) else list(types)}
    codes = [code.strip() for code in str(form.get("applies_to.course_codes", "")).split(",")]
    if any(codes):
        document["applies_to"]["course_codes"] = [code for code in codes if code]
    method = str(form.get("award.method", "per_hours"))
    document["award"] = {"method": method}
    for name in _NUMBER_FIELDS:
        value = str(form.get(name, "")).strip()
        section, _dot, key = name.rpartition(".")
        if not value or (section == "award" and key not in _AWARD_KEYS.get(method, ())):
            continue
        target = document.setdefault(section, {}) if section else document
        target[key] = value
    return load_standard(msgspec.json.encode(document), format="json")


def award_method(standard: Standard) -> str:
    """The award's ``method`` (its tag: msgspec keeps it in the type, not as an attribute)."""
    return str(type(standard.award).__struct_config__.tag)


_AWARD_KEYS = {"per_hours": ("hours_per_unit", "credits_per_unit"), "fixed": ("credits",)}


def _form_of(standard: Standard) -> dict[str, Any]:
    """A standard as the form shows it (a draft opened again)."""
    form: dict[str, Any] = {
        "id": standard.id,
        "version": str(standard.version),
        "title": standard.title,
        "category": standard.category,
        "effective_from": standard.effective_from.isoformat(),
        "effective_until": standard.effective_until.isoformat() if standard.effective_until else "",
        "validity_months": str(standard.validity_months or ""),
        "precedence": str(standard.precedence),
        "applies_to.outcome_types": list(standard.applies_to.outcome_types),
        "applies_to.course_codes": ", ".join(standard.applies_to.course_codes),
        "award.method": award_method(standard),
        "max_per_outcome": str(standard.max_per_outcome or ""),
        "caps.per_category_per_year": str(standard.caps.per_category_per_year or ""),
        "caps.lifetime": str(standard.caps.lifetime or ""),
        "requires.min_hours": str(standard.requires.min_hours or ""),
    }
    for key in ("hours_per_unit", "credits_per_unit", "credits"):
        value = getattr(standard.award, key, None)
        form[f"award.{key}"] = str(value) if value is not None else ""
    return form


class AccreditorPages(PageController):
    @get("/standards")
    async def catalogue(
        self, request: AnyRequest, standards: Standards, recognitions: Recognitions
    ) -> Template:
        await require(request, "accreditor")
        return await page(
            request,
            "standards.html",
            title=_("Standards and programmes"),
            standards=await standards.catalogue(drafts=True),
            programmes=await recognitions.programmes(),
        )

    @get("/standards/new")
    async def new(self, request: AnyRequest) -> Template:
        await require(request, "accreditor")
        return await self._form(request, {"award.method": "per_hours", "version": "1"}, {})

    @post("/standards/new", request_max_body_size=document_bytes_max * 2)
    async def draft(
        self, request: AnyRequest, standards: Standards, data: Annotated[dict[str, Any], Upload]
    ) -> Response[Any]:
        await require(request, "accreditor")
        upload = data.get("document")
        try:
            if isinstance(upload, UploadFile) and upload.filename:
                standard = load_standard(await upload.read(document_bytes_max + 1), format="toml")
            else:
                standard = standard_from_form(data)
            report = await standards.validate(standard)
            if not report.valid:
                problems = [(problem.field, problem.reason) for problem in report.problems]
                raise StandardInvalidError(problems)
            try:
                await standards.create_draft(standard)
            except ConflictError:
                await standards.update_draft(standard.id, standard.version, standard)
        except StandardInvalidError as error:
            return await self._form(request, data, dict(error.problems), status_code=400)
        return see_other(f"/standards/{standard.id}/{standard.version}")

    @get("/standards/{standard_id:str}/{version:int}")
    async def view(
        self,
        request: AnyRequest,
        standards: Standards,
        standard_id: IdInPath,
        version: VersionInPath,
    ) -> Template:
        await require(request, "accreditor")
        view = await standards.view(standard_id, version, drafts=True)
        report = (
            await standards.validate_draft(standard_id, version) if view.status == "draft" else None
        )
        return await page(
            request,
            "standard.html",
            title=view.standard.title,
            view=view,
            report=report,
            form=_form_of(view.standard),
        )

    @post("/standards/{standard_id:str}/{version:int}/simulate")
    async def simulate(
        self,
        request: AnyRequest,
        standards: Standards,
        simulation: Simulation,
        standard_id: IdInPath,
        version: VersionInPath,
    ) -> Template:
        await require(request, "accreditor")
        view = await standards.view(standard_id, version, drafts=True)
        return await page(
            request,
            "standard.html",
            title=view.standard.title,
            view=view,
            report=await standards.validate_draft(standard_id, version)
            if view.status == "draft"
            else None,
            simulation=await simulation.over_log(view.standard, 10),
            form=_form_of(view.standard),
        )

    @post("/standards/{standard_id:str}/{version:int}/publish")
    async def publish(
        self,
        request: AnyRequest,
        standards: Standards,
        standard_id: IdInPath,
        version: VersionInPath,
    ) -> Response[Any]:
        await require(request, "accreditor")
        await standards.publish_draft(standard_id, version)
        return see_other(f"/standards/{standard_id}/{version}")

    @post("/standards/{standard_id:str}/{version:int}/retire")
    async def retire(
        self,
        request: AnyRequest,
        standards: Standards,
        standard_id: IdInPath,
        version: VersionInPath,
        data: Annotated[dict[str, str], Form],
    ) -> Response[Any]:
        await require(request, "accreditor")
        await standards.retire(standard_id, version, data.get("reason", "").strip() or "-")
        return see_other(f"/standards/{standard_id}/{version}")

    @post("/programmes", request_max_body_size=document_bytes_max * 2)
    async def publish_programme(
        self,
        request: AnyRequest,
        recognitions: Recognitions,
        data: Annotated[dict[str, Any], Upload],
    ) -> Response[Any]:
        await require(request, "accreditor")
        upload = data.get("document")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise StandardInvalidError([("document", "choose a programme's TOML file")])
        programme = load_programme(await upload.read(document_bytes_max + 1), format="toml")
        await recognitions.publish_programme(programme)
        return see_other("/standards")

    async def _form(
        self,
        request: AnyRequest,
        form: dict[str, Any],
        errors: dict[str, str],
        status_code: int = 200,
    ) -> Template:
        chosen = form.get("applies_to.outcome_types", [])
        form = {**form, "applies_to.outcome_types": [chosen] if isinstance(chosen, str) else chosen}
        form.pop("document", None)
        known = {*_TEXT_FIELDS, *_NUMBER_FIELDS, "version", "validity_months", "precedence"}
        known.add("award.method")
        known |= {"applies_to.outcome_types", "applies_to.course_codes"}
        return await page(
            request,
            "standard_form.html",
            status_code=status_code,
            title=_("Draft a standard"),
            form=form,
            errors=errors,
            other_errors=[
                (field, reason) for field, reason in errors.items() if field not in known
            ],
            outcome_types=OUTCOME_TYPES,
        )
