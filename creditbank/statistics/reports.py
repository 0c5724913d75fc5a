"""The preset returns, as data, and building one: tabulate each table, then disclosure control.

A report's tables are tabulated by an injected function (the reference ``tabulate`` over facts
in memory, or the SQL path), so both give the same report. Tables with the same filter count
the same facts and share cells (every table of a preset repeats the year totals), so they are
suppressed together: a total hidden in one table is hidden in all, and no combination of their
lines gives a hidden value back. Every preset uses one filter for all its tables for that
reason; tables under different filters would be suppressed independently.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from creditbank.statistics.disclosure import (
    SuppressedTable,
    disclosure_k_default,
    suppress_linked,
)
from creditbank.statistics.facts import ELDERLY_BANDS, Dimension
from creditbank.statistics.tables import FactFilter, StatTable

__all__ = [
    "COMMUNITY_ANNUAL",
    "ELDERLY_ANNUAL",
    "ENTERPRISE_TRAINING",
    "PRESETS",
    "Report",
    "ReportSpec",
    "ReportTable",
    "TableSpec",
    "TabulateFn",
    "build_report",
    "disclose_report",
    "for_years",
]


@dataclass(frozen=True, slots=True)
class TableSpec:
    key: str  # stable, machine-readable: a sheet name, a JSON key
    title_en: str
    title_zh: str
    dimensions: tuple[Dimension, ...]
    where: FactFilter


@dataclass(frozen=True, slots=True)
class ReportSpec:
    name: str
    title_en: str
    title_zh: str
    tables: tuple[TableSpec, ...]


@dataclass(frozen=True, slots=True)
class ReportTable:
    spec: TableSpec
    table: SuppressedTable


@dataclass(frozen=True, slots=True)
class Report:
    spec: ReportSpec
    tables: tuple[ReportTable, ...]
    k: int


TabulateFn = Callable[[tuple[Dimension, ...], FactFilter], StatTable]


def build_report(
    spec: ReportSpec, tabulate_fn: TabulateFn, k: int = disclosure_k_default
) -> Report:
    """Tabulate every table of ``spec`` with ``tabulate_fn`` and apply disclosure control."""
    return disclose_report(
        spec, [tabulate_fn(table.dimensions, table.where) for table in spec.tables], k
    )


def disclose_report(
    spec: ReportSpec, tables: Sequence[StatTable], k: int = disclosure_k_default
) -> Report:
    """Disclosure control of tables already tabulated, in the order of ``spec.tables``.

    For a caller that tabulates asynchronously (SQL): gather the tables, then call this.
    """
    assert len(tables) == len(spec.tables), "one tabulated table per spec"
    for table_spec, table in zip(spec.tables, tables, strict=True):
        assert table.dimensions == table_spec.dimensions, f"wrong table for {table_spec.key}"
    groups: dict[FactFilter, list[int]] = {}
    for position, table_spec in enumerate(spec.tables):
        groups.setdefault(table_spec.where, []).append(position)
    suppressed: dict[int, SuppressedTable] = {}
    for positions in groups.values():
        linked = suppress_linked([tables[p] for p in positions], k)
        suppressed.update(zip(positions, linked, strict=True))
    return Report(
        spec=spec,
        tables=tuple(
            ReportTable(spec=table_spec, table=suppressed[position])
            for position, table_spec in enumerate(spec.tables)
        ),
        k=k,
    )


def for_years(spec: ReportSpec, years: Iterable[int]) -> ReportSpec:
    """``spec`` restricted to completions in ``years`` (an annual return: one year)."""
    chosen = sorted(set(years))
    assert chosen, "at least one year"
    allowed = frozenset(str(year) for year in chosen)
    tables = tuple(
        dataclasses.replace(
            table,
            where=dataclasses.replace(
                table.where,
                years=allowed if table.where.years is None else table.where.years & allowed,
            ),
        )
        for table in spec.tables
    )
    span_zh = "、".join(f"{year}年" for year in chosen)
    span_en = ", ".join(str(year) for year in chosen)
    return dataclasses.replace(
        spec,
        title_zh=f"{spec.title_zh}（{span_zh}）",
        title_en=f"{spec.title_en} ({span_en})",
        tables=tables,
    )


def _tables(
    where: FactFilter, rows: Sequence[tuple[str, str, str, tuple[Dimension, ...]]]
) -> tuple[TableSpec, ...]:
    # Every table keeps the year first: a return for several years shows each one, and one
    # filter for the whole report lets all its tables be suppressed together.
    return tuple(
        TableSpec(key=key, title_en=en, title_zh=zh, dimensions=("year", *dims), where=where)
        for key, en, zh, dims in rows
    )


# Community education (社区教育) is what the community-education network provides: community
# schools (社区学校) and the adult schools of the towns (成人学校), whatever the outcome they
# deposit (a skill certificate earned at a community school is community education). The
# outcome type community_course alone would miss those and count community courses that
# colleges run, which the colleges' own returns already count.
COMMUNITY_FILTER: Final = FactFilter(issuer_kinds=frozenset({"community_school", "adult_school"}))
COMMUNITY_ANNUAL: Final = ReportSpec(
    name="community_annual",
    title_en="Community education: annual statistics",
    title_zh="社区教育年度统计",
    tables=_tables(
        COMMUNITY_FILTER,
        (
            ("totals", "Totals", "总体情况", ()),
            ("by_district", "By street or town", "按街道（镇）分", ("district",)),
            ("by_age_band", "By age band", "按年龄段分", ("age_band",)),
            ("by_sex", "By sex", "按性别分", ("sex",)),
            ("by_outcome_type", "By type of outcome", "按成果类型分", ("outcome_type",)),
        ),
    ),
)

# Elderly education (老年教育) as the district's return counts it: learners aged 60 and over
# on the completion date, wherever they learned (a community school's class of pensioners
# counts; a 55-year-old at the university for older people does not). Outcomes without a
# known age are left out: they cannot be shown to be 60 or over.
ELDERLY_FILTER: Final = FactFilter(age_bands=ELDERLY_BANDS)
ELDERLY_ANNUAL: Final = ReportSpec(
    name="elderly_annual",
    title_en="Education for older people: annual statistics",
    title_zh="老年教育年度统计",
    tables=_tables(
        ELDERLY_FILTER,
        (
            ("totals", "Totals", "总体情况", ()),
            ("by_age_band", "By age band (60 and over)", "按年龄段分（60岁及以上）", ("age_band",)),
            ("by_sex", "By sex", "按性别分", ("sex",)),
            ("by_district", "By street or town", "按街道（镇）分", ("district",)),
            ("by_issuer_kind", "By type of institution", "按机构类型分", ("issuer_kind",)),
        ),
    ),
)

# Employee training (企业职工培训): everything enterprises deposit, whatever its type.
ENTERPRISE_FILTER: Final = FactFilter(issuer_kinds=frozenset({"enterprise"}))
ENTERPRISE_TRAINING: Final = ReportSpec(
    name="enterprise_training",
    title_en="Enterprise employee training: summary",
    title_zh="企业职工培训汇总",
    tables=_tables(
        ENTERPRISE_FILTER,
        (
            ("totals", "Totals", "总体情况", ()),
            ("by_issuer", "By enterprise", "按企业分", ("issuer",)),
            ("by_category", "By credit category", "按学分类别分", ("category",)),
            ("by_age_band", "By age band", "按年龄段分", ("age_band",)),
            ("by_sex", "By sex", "按性别分", ("sex",)),
        ),
    ),
)

PRESETS: Final[Mapping[str, ReportSpec]] = types.MappingProxyType(
    {spec.name: spec for spec in (COMMUNITY_ANNUAL, ELDERLY_ANNUAL, ENTERPRISE_TRAINING)}
)
