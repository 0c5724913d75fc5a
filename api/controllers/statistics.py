"""Lifelong-education statistics: any grouping, and the preset returns, at a signed size."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from api.auth import allow, provide_principal
from api.desks import Statistics
from creditbank.service.statistics import ad_hoc_spec, fact_filter, parse_dimensions
from creditbank.statistics.labels import Language
from creditbank.statistics.render_csv import report_csv, table_csv
from creditbank.statistics.render_json import ReportDocument, report_document, table_json
from creditbank.statistics.render_xlsx import report_xlsx, table_xlsx
from creditbank.tokens import Principal

__all__ = ["StatisticsController"]

PrincipalDependency = NamedDependency[Principal]
Format = Literal["json", "csv", "xlsx"]
ListParameter = Annotated[str | None, QueryParameter(max_length=400)]
SizeParameter = Annotated[int | None, QueryParameter(ge=0, le=(1 << 53) - 1)]
FormatParameter = Annotated[Format, QueryParameter()]
LanguageParameter = Annotated[Language, QueryParameter()]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"  # Litestar adds the charset to text types


def _download(content: bytes, media_type: str, name: str) -> Response[bytes]:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class StatisticsController(Controller):
    path = "/v1/statistics"
    tags = ["statistics"]
    guards = [allow("accreditor", "auditor", "admin")]
    dependencies = {"principal": provide_principal}

    @get(
        "/",
        summary="Learners, outcomes (人次), hours, credits and recognitions, grouped, at a signed "
        "size; cells under k learners hidden",
    )
    async def table(
        self,
        statistics: Statistics,
        principal: PrincipalDependency,
        group_by: Annotated[str, QueryParameter(max_length=100)] = "",
        issuer_kind: ListParameter = None,
        outcome_type: ListParameter = None,
        age_band: ListParameter = None,
        year: ListParameter = None,
        at: SizeParameter = None,
        format: FormatParameter = "json",
        lang: LanguageParameter = "zh",
    ) -> Response[bytes] | ReportDocument:
        dimensions = parse_dimensions(group_by)
        where = fact_filter(issuer_kind, outcome_type, age_band, year)
        answer = await statistics.table(principal, dimensions, where, at)
        spec = ad_hoc_spec(dimensions, where)
        if format == "csv":
            return _download(
                table_csv(answer.table, answer.provenance, lang), CSV, "statistics.csv"
            )
        if format == "xlsx":
            content = table_xlsx(answer.table, spec, answer.provenance, lang)
            return _download(content, XLSX, "statistics.xlsx")
        # A table is published as a report of one, so a reader needs one format.
        document = table_json(answer.table, spec, answer.provenance)
        return msgspec.json.decode(document, type=ReportDocument)

    @get("/reports/{name:str}", summary="A preset return (community, elderly, enterprise)")
    async def report(
        self,
        statistics: Statistics,
        principal: PrincipalDependency,
        name: Annotated[str, PathParameter(max_length=48)],
        year: ListParameter = None,
        at: SizeParameter = None,
        format: FormatParameter = "json",
        lang: LanguageParameter = "zh",
    ) -> Response[bytes] | ReportDocument:
        years = sorted(int(value) for value in fact_filter(None, None, None, year).years or ())
        report, provenance = await statistics.report(principal, name, years, at)
        if format == "csv":
            return _download(report_csv(report, provenance, lang), CSV, f"{name}.csv")
        if format == "xlsx":
            return _download(report_xlsx(report, provenance, lang), XLSX, f"{name}.xlsx")
        return report_document(report, provenance)
