"""Statistics pages for accreditation staff, auditors and admins: any grouping of the banked
learning (up to three dimensions, filtered, as of a signed tree size) and the preset returns,
each as an HTML table with its chart, footnotes and signed checkpoint, and their downloads (CSV,
workbook, JSON) from the same renderers as ``/v1/statistics``, for a signed-in session.

Cells of fewer than k learners, and those that would give them back, are hidden by the
statistics desk before anything reaches a page; the page shows the marker and says why.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from litestar import Request, Response, get
from litestar.params import PathParameter
from litestar.response import Template

from api.desks import Statistics
from creditbank.errors import MalformedError, NotFoundError
from creditbank.service.statistics import ad_hoc_spec
from creditbank.statistics import labels
from creditbank.statistics.facts import DIMENSIONS
from creditbank.statistics.render_csv import report_csv, table_csv
from creditbank.statistics.render_json import report_json, table_json
from creditbank.statistics.render_xlsx import XLSX_MEDIA_TYPE, report_xlsx, table_xlsx
from creditbank.statistics.reports import PRESETS, Report
from creditbank.tokens import Principal
from portal.i18n import gettext_for as _
from portal.pages.base import PageController
from portal.people import require
from portal.render import page
from portal.statistics_view import (
    FILTER_CODES,
    checked_at,
    checked_table_query,
    checked_years,
    report_chart,
    shown_table,
    table_chart,
    table_language,
    table_query,
)

__all__ = ["StatisticsPages"]

AnyRequest = Request[Any, Any, Any]
NameInPath = Annotated[str, PathParameter(min_length=1, max_length=60)]
_READERS: Final = ("accreditor", "auditor", "admin")
_MEDIA_TYPES: Final = {
    "csv": "text/csv",  # Litestar adds "; charset=utf-8" to text types
    "xlsx": XLSX_MEDIA_TYPE,
    "json": "application/json",
}
_TABLE_DOWNLOADS: Final = [f"/statistics.{suffix}" for suffix in _MEDIA_TYPES]


def _download(content: bytes, suffix: str, name: str) -> Response[bytes]:
    return Response(
        content,
        media_type=_MEDIA_TYPES[suffix],
        headers={
            "Content-Disposition": f'attachment; filename="{name}.{suffix}"',
            "Cache-Control": "no-store",
        },
    )


def _query_string(request: AnyRequest) -> str:
    query = request.url.query
    return f"?{query}" if query else ""


def _years_text(years: list[int]) -> str:
    return ", ".join(str(year) for year in years) if years else _("all years")


def _report_parts(report: Report, years: list[int], language: labels.Language) -> list[Any]:
    parts = []
    for serial, part in enumerate(report.tables, start=1):
        title = part.spec.title_zh if language == "zh" else part.spec.title_en
        chart_title = _("%(table)s (%(years)s)") % {"table": title, "years": _years_text(years)}
        parts.append(
            {
                "key": part.spec.key,
                "title": title,
                "shown": shown_table(part.table, language),
                "chart": report_chart(part, chart_title, language, serial),
            }
        )
    return parts


def _form_choices(language: labels.Language) -> dict[str, Any]:
    """The form's choices in words: the dimensions, and each filter's codes."""
    return {
        "dimensions": [(d, labels.dimension_header(d, language)) for d in DIMENSIONS],
        "filter_choices": [
            (name, [(code, labels.value_label(dimension, code, language)) for code in codes])
            for name, (dimension, codes) in FILTER_CODES.items()
        ],
        "filter_legends": {
            name: labels.dimension_header(dimension, language)
            for name, (dimension, _codes) in FILTER_CODES.items()
        },
    }


def _report_form(request: AnyRequest) -> dict[str, str]:
    params = request.query_params
    return {"year": params.get("year", "")[:100], "at": params.get("at", "")[:20]}


class StatisticsPages(PageController):
    @get("/statistics")
    async def table(self, request: AnyRequest, statistics: Statistics) -> Template:
        _account, principal = await require(request, *_READERS)
        query = table_query(request.query_params)
        dimensions, where, at, errors = checked_table_query(query)
        language = table_language()
        context: dict[str, Any] = {"query": query, "errors": errors, **_form_choices(language)}
        status_code = 400 if errors else 200
        if not errors:
            try:
                answer = await statistics.table(principal, dimensions, where, at)
            except NotFoundError:
                if at is None:  # no checkpoint at all yet: the error page says so
                    raise
                errors["at"] = _("The log never signed a checkpoint of this size.")
                status_code = 404
            else:
                spec = ad_hoc_spec(dimensions, where)
                title = spec.title_zh if language == "zh" else spec.title_en
                if len(dimensions) == 1:
                    header = labels.dimension_header(dimensions[0], language)
                    header = header[:1].lower() + header[1:]  # mid-sentence in English
                    title = _("%(title)s by %(dimension)s") % {"title": title, "dimension": header}
                context.update(
                    title_of_table=title,
                    shown=shown_table(answer.table, language),
                    chart=table_chart(answer.table, title, language),
                    notes=labels.footnotes(answer.table.k, answer.provenance, language),
                    provenance=answer.provenance,
                    downloads=[path + _query_string(request) for path in _TABLE_DOWNLOADS],
                )
        return await page(
            request,
            "statistics.html",
            status_code=status_code,
            title=_("Statistics"),
            **context,
        )

    @get(_TABLE_DOWNLOADS)
    async def table_download(self, request: AnyRequest, statistics: Statistics) -> Response[bytes]:
        _account, principal = await require(request, *_READERS)
        dimensions, where, at, errors = checked_table_query(table_query(request.query_params))
        if errors:
            field, reason = next(iter(errors.items()))
            raise MalformedError(field, reason)
        answer = await statistics.table(principal, dimensions, where, at)
        language = table_language()
        suffix = request.url.path.rpartition(".")[2]
        spec = ad_hoc_spec(dimensions, where)
        if suffix == "csv":
            content = table_csv(answer.table, answer.provenance, language)
        elif suffix == "xlsx":
            content = table_xlsx(answer.table, spec, answer.provenance, language)
        else:
            content = table_json(answer.table, spec, answer.provenance)
        return _download(content, suffix, "statistics")

    @get("/statistics/reports")
    async def reports(self, request: AnyRequest) -> Template:
        await require(request, *_READERS)
        language = table_language()
        presets = [
            (name, spec.title_zh if language == "zh" else spec.title_en)
            for name, spec in PRESETS.items()
        ]
        return await page(request, "reports.html", title=_("Statistical returns"), presets=presets)

    @get("/statistics/reports/{name:str}")
    async def report(
        self, request: AnyRequest, statistics: Statistics, name: NameInPath
    ) -> Response[Any]:
        _account, principal = await require(request, *_READERS)
        stem, dot, suffix = name.rpartition(".")
        if dot and suffix in _MEDIA_TYPES:
            return await self._report_download(request, statistics, principal, stem, suffix)
        return await self._report_page(request, statistics, principal, name)

    async def _report_page(
        self, request: AnyRequest, statistics: Statistics, principal: Principal, name: str
    ) -> Template:
        if name not in PRESETS:
            raise NotFoundError(f"no report {name}")
        form = _report_form(request)
        errors: dict[str, str] = {}
        years, at = self._checked(form, errors)
        language = table_language()
        spec = PRESETS[name]
        context: dict[str, Any] = {
            "name": name,
            "form": form,
            "errors": errors,
            "report_title": spec.title_zh if language == "zh" else spec.title_en,
        }
        status_code = 400 if errors else 200
        if not errors:
            try:
                report, provenance = await statistics.report(principal, name, years, at)
            except NotFoundError:
                if at is None:  # no checkpoint at all yet: the error page says so
                    raise
                errors["at"] = _("The log never signed a checkpoint of this size.")
                status_code = 404
            else:
                context.update(
                    report_title=report.spec.title_zh if language == "zh" else report.spec.title_en,
                    parts=_report_parts(report, years, language),
                    notes=labels.footnotes(report.k, provenance, language),
                    provenance=provenance,
                    downloads=[
                        f"/statistics/reports/{name}.{suffix}{_query_string(request)}"
                        for suffix in _MEDIA_TYPES
                    ],
                )
        return await page(
            request,
            "report.html",
            status_code=status_code,
            title=context["report_title"],
            **context,
        )

    async def _report_download(
        self,
        request: AnyRequest,
        statistics: Statistics,
        principal: Principal,
        name: str,
        suffix: str,
    ) -> Response[bytes]:
        errors: dict[str, str] = {}
        years, at = self._checked(_report_form(request), errors)
        if errors:
            field, reason = next(iter(errors.items()))
            raise MalformedError(field, reason)
        report, provenance = await statistics.report(principal, name, years, at)
        language = table_language()
        if suffix == "csv":
            content = report_csv(report, provenance, language)
        elif suffix == "xlsx":
            content = report_xlsx(report, provenance, language)
        else:
            content = report_json(report, provenance)
        return _download(content, suffix, name)

    @staticmethod
    def _checked(form: dict[str, str], errors: dict[str, str]) -> tuple[list[int], int | None]:
        """The report form's years and size; problems go into ``errors`` by field."""
        years: list[int] = []
        at: int | None = None
        try:
            text = checked_years(form["year"].strip())
            years = sorted({int(value) for value in (text or "").split(",") if value.strip()})
        except MalformedError as error:
            errors[error.field] = error.reason
        try:
            at = checked_at(form["at"].strip())
        except MalformedError as error:
            errors[error.field] = error.reason
        return years, at
