"""The statistics pages' parts that need no request: the form's query read and checked, a
published table as rows for a template, and bar charts as inline SVG.

Table words (headers, codes, 合计 / Total, the marker, the footnotes) come from
``creditbank.statistics.labels``, the same words the CSV and the workbook print, so the page and
its downloads say the same thing. The page's own words go through gettext.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol, get_args

from markupsafe import Markup

from creditbank.errors import MalformedError
from creditbank.service.statistics import fact_filter, parse_dimensions
from creditbank.statistics import labels
from creditbank.statistics.charts import bar_chart_svg
from creditbank.statistics.disclosure import SuppressedTable
from creditbank.statistics.facts import AGE_BANDS, DIMENSIONS, Dimension
from creditbank.statistics.reports import ReportTable
from creditbank.statistics.tables import ALL, MEASURES, FactFilter, group_dimensions_max
from portal import i18n
from portal.i18n import gettext_for as _
from schemas.types import IssuerKind, OutcomeType

__all__ = [
    "FILTER_CODES",
    "ShownRow",
    "ShownTable",
    "TableQuery",
    "chart",
    "checked_at",
    "checked_table_query",
    "checked_years",
    "report_chart",
    "shown_table",
    "table_chart",
    "table_language",
    "table_query",
]

# Filters the form offers, by the query's name, with the dimension that labels their codes.
FILTER_CODES: Final[Mapping[str, tuple[Dimension, tuple[str, ...]]]] = {
    "issuer_kind": ("issuer_kind", get_args(IssuerKind)),
    "outcome_type": ("outcome_type", get_args(OutcomeType)),
    "age_band": ("age_band", AGE_BANDS),
}
_VALUE_CHARS_MAX: Final = 100
_SIZE_MAX: Final = (1 << 53) - 1


def table_language() -> labels.Language:
    """The labels' language for the request's language (both are Chinese unless English)."""
    return "en" if i18n.current_language() == "en" else "zh"


class _Params(Protocol):
    """What a query string's multi-dict offers (Litestar's ``MultiDict``)."""

    def getall(self, key: str, default: list[str]) -> list[str]: ...


@dataclass(frozen=True)
class TableQuery:
    """The statistics form as sent: kept as typed, so the form shows it again."""

    group_by: tuple[str, ...] = ("", "", "")
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    year: str = ""
    at: str = ""


def _one(params: _Params, name: str) -> str:
    values = params.getall(name, [])
    return values[0].strip()[:_VALUE_CHARS_MAX] if values else ""


def table_query(params: _Params) -> TableQuery:
    chosen = [value.strip()[:_VALUE_CHARS_MAX] for value in params.getall("group_by", [])]
    padded = (chosen + [""] * group_dimensions_max)[: max(group_dimensions_max, len(chosen))]
    return TableQuery(
        group_by=tuple(padded),
        filters={
            name: tuple(value[:_VALUE_CHARS_MAX] for value in params.getall(name, []) if value)
            for name in FILTER_CODES
        },
        year=_one(params, "year"),
        at=_one(params, "at"),
    )


def checked_years(text: str) -> str | None:
    """The years as ``fact_filter`` takes them, or ``MalformedError`` in the reader's words."""
    try:
        fact_filter(None, None, None, text or None)
    except MalformedError:
        raise MalformedError(
            "year", _("Years are four digits, separated by commas, e.g. 2024, 2025.")
        ) from None
    return text or None


def checked_at(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or int(text) > _SIZE_MAX:
        raise MalformedError("at", _("Give a whole number, or leave this empty for the latest."))
    return int(text)


def _dimensions(chosen: Sequence[str]) -> tuple[Dimension, ...]:
    names = [name for name in chosen if name]
    if len(chosen) > group_dimensions_max or any(name not in DIMENSIONS for name in names):
        raise MalformedError("group_by", _("Choose from the lists."))
    if len(set(names)) != len(names):
        raise MalformedError("group_by", _("Choose each grouping once."))
    return parse_dimensions(",".join(names))


def checked_table_query(
    query: TableQuery,
) -> tuple[tuple[Dimension, ...], FactFilter, int | None, dict[str, str]]:
    """The dimensions, filter and size the form asks for, and every problem by field name."""
    errors: dict[str, str] = {}
    dimensions: tuple[Dimension, ...] = ()
    try:
        dimensions = _dimensions(query.group_by)
    except MalformedError as error:
        errors[error.field] = error.reason
    for name, (_dimension, codes) in FILTER_CODES.items():
        if any(value not in codes for value in query.filters.get(name, ())):
            errors[name] = _("Choose from the list.")
    year: str | None = None
    at: int | None = None
    try:
        year = checked_years(query.year)
    except MalformedError as error:
        errors[error.field] = error.reason
    try:
        at = checked_at(query.at)
    except MalformedError as error:
        errors[error.field] = error.reason
    joined = {name: ",".join(query.filters.get(name, ())) or None for name in FILTER_CODES}
    where = fact_filter(joined["issuer_kind"], joined["outcome_type"], joined["age_band"], year)
    return dimensions, where, at, errors


@dataclass(frozen=True)
class ShownRow:
    key: str  # the cell's codes joined by "|", "*" for a margin (a hook for tests and scripts)
    labels: list[str]
    figures: list[str]  # in ``MEASURES`` order; the marker where hidden
    margin: bool
    hidden: bool


@dataclass(frozen=True)
class ShownTable:
    row_headers: list[str]
    measure_headers: list[str]
    rows: list[ShownRow]


def shown_table(table: SuppressedTable, language: labels.Language) -> ShownTable:
    """Every cell in print order (totals first), in words, with the marker where hidden."""
    dimensions = table.dimensions
    rows = []
    for key in labels.ordered_keys(dimensions, table.cells):
        cell = table.cells[key]
        words = [labels.value_label(d, v, language) for d, v in zip(dimensions, key, strict=True)]
        rows.append(
            ShownRow(
                key="|".join(key),
                labels=words or [labels.value_label("year", ALL, language)],
                figures=labels.measure_texts(cell.measures),
                margin=not key or ALL in key,
                hidden=cell.measures is None,
            )
        )
    row_headers = [labels.dimension_header(d, language) for d in dimensions]
    return ShownTable(
        row_headers=row_headers or [_("Outcomes counted")],
        measure_headers=[labels.measure_header(m, language) for m in MEASURES],
        rows=rows,
    )


def chart(table: SuppressedTable, title: str, language: labels.Language, serial: int) -> Markup:
    """The table's bar chart as inline SVG. Its hatch pattern's id is made unique per chart,
    as several charts share one page."""
    svg = bar_chart_svg(table, title, language=language)
    return Markup(svg.replace("cb-hatch", f"cb-hatch-{serial}"))  # noqa: S704 (escaped SVG)


def _has_bars(table: SuppressedTable) -> bool:
    return any(ALL not in key for key in table.cells)


def report_chart(
    part: ReportTable, title: str, language: labels.Language, serial: int
) -> Markup | None:
    """A report table's chart: the years themselves for a table by year alone (when there are
    two or more); for "year, then X", X over all the years counted (the year's margin)."""
    table = part.table
    if table.dimensions == ("year",):
        years = [key for key in table.cells if key[0] != ALL]
        return chart(table, title, language, serial) if len(years) > 1 else None
    if len(table.dimensions) != 2 or table.dimensions[0] != "year":
        return None
    over_years = SuppressedTable(
        dimensions=table.dimensions[1:],
        cells={key[1:]: cell for key, cell in table.cells.items() if key[0] == ALL},
        k=table.k,
    )
    if not _has_bars(over_years):
        return None
    return chart(over_years, title, language, serial)


def table_chart(table: SuppressedTable, title: str, language: labels.Language) -> Markup | None:
    """The ad-hoc table's chart, for a table of one dimension with something to draw."""
    if len(table.dimensions) != 1 or not _has_bars(table):
        return None
    return chart(table, title, language, 1)
