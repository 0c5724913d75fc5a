"""The preset returns build on any facts, count what their filters say, and publish their
tables consistently (together they recover nothing)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from creditbank.statistics.disclosure import suppress_linked
from creditbank.statistics.facts import ELDERLY_BANDS, Dimension, OutcomeFact
from creditbank.statistics.reports import (
    COMMUNITY_ANNUAL,
    ELDERLY_ANNUAL,
    ENTERPRISE_TRAINING,
    PRESETS,
    ReportSpec,
    TabulateFn,
    build_report,
    disclose_report,
    for_years,
)
from creditbank.statistics.tables import ALL, FactFilter, StatTable, tabulate
from tests.statistics.recovery import recoverable
from tests.statistics.strategies import fact_lists

REPORTS = settings(max_examples=60, deadline=None)


def _reference(facts: list[OutcomeFact]) -> TabulateFn:
    def tabulate_fn(dimensions: tuple[Dimension, ...], where: FactFilter) -> StatTable:
        return tabulate(facts, dimensions, where=where)

    return tabulate_fn


@REPORTS
@pytest.mark.parametrize("spec", list(PRESETS.values()), ids=list(PRESETS))
@given(facts=fact_lists(max_size=150, learners=40))
def test_every_preset_builds(spec: ReportSpec, facts: list[OutcomeFact]) -> None:
    """Each table is the reference tabulation under the preset's filter, suppressed; the
    totals count exactly the facts the filter keeps; all tables together recover nothing."""
    report = build_report(spec, _reference(facts), k=5)
    assert report.spec == spec
    assert report.k == 5
    assert [part.spec for part in report.tables] == list(spec.tables)
    for part in report.tables:
        table = tabulate(facts, part.spec.dimensions, where=part.spec.where)
        assert set(part.table.cells) == set(table.cells)
        for key, cell in part.table.cells.items():
            assert cell.measures in (None, table.cells[key])
        kept = [fact for fact in facts if part.spec.where.matches(fact)]
        total = table.total()
        assert (total.outcomes if total else 0) == len(kept)
    assert recoverable([part.table for part in report.tables]) == set()


@REPORTS
@given(facts=fact_lists(max_size=100, learners=30))
def test_build_report_is_disclose_report_of_the_tables(facts: list[OutcomeFact]) -> None:
    """Tabulating first (as an asynchronous SQL caller does) gives the same report."""
    spec = COMMUNITY_ANNUAL
    tables = [tabulate(facts, t.dimensions, where=t.where) for t in spec.tables]
    assert disclose_report(spec, tables, 3) == build_report(spec, _reference(facts), 3)
    linked = suppress_linked(tables, 3)
    assert [part.table for part in disclose_report(spec, tables, 3).tables] == list(linked)


@REPORTS
@given(facts=fact_lists(max_size=100))
def test_the_elderly_return_counts_sixty_and_over(facts: list[OutcomeFact]) -> None:
    """Only the 60+ bands appear, and unknown ages are left out."""
    report = build_report(ELDERLY_ANNUAL, _reference(facts))
    by_band = next(part for part in report.tables if part.spec.key == "by_age_band")
    bands = {key[1] for key in by_band.table.cells}
    assert bands <= ELDERLY_BANDS | {ALL}


@REPORTS
@given(facts=fact_lists(max_size=100))
def test_the_enterprise_summary_counts_enterprises_only(facts: list[OutcomeFact]) -> None:
    """Every issuer in the by-enterprise table is an enterprise."""
    report = build_report(ENTERPRISE_TRAINING, _reference(facts))
    by_issuer = next(part for part in report.tables if part.spec.key == "by_issuer")
    issuers = {key[1] for key in by_issuer.table.cells} - {ALL}
    kinds = {fact.issuer_id: fact.issuer_kind for fact in facts}
    assert {kinds[issuer] for issuer in issuers} <= {"enterprise"}


def test_presets_are_annual_returns_with_one_filter_each() -> None:
    """Every table leads with the year and all tables of a preset share its filter (so they
    are suppressed together); keys are unique and fit a worksheet name."""
    for spec in PRESETS.values():
        assert len({table.where for table in spec.tables}) == 1
        assert len({table.key for table in spec.tables}) == len(spec.tables)
        for table in spec.tables:
            assert table.dimensions[0] == "year"
            assert len(table.key) <= 31
    assert COMMUNITY_ANNUAL.tables[0].where == FactFilter(
        issuer_kinds=frozenset({"community_school", "adult_school"})
    )


@given(facts=fact_lists(max_size=60))
@settings(max_examples=30, deadline=None)
def test_for_years_restricts_every_table(facts: list[OutcomeFact]) -> None:
    """An annual return for 2025 counts only 2025, and says so in its title."""
    spec = for_years(ENTERPRISE_TRAINING, [2025])
    assert spec.title_zh.endswith("（2025年）")
    assert spec.title_en.endswith("(2025)")
    report = build_report(spec, _reference(facts))
    for part in report.tables:
        assert {key[0] for key in part.table.cells} <= {"2025", ALL}
        assert part.spec.where.issuer_kinds == frozenset({"enterprise"})
    narrowed = for_years(for_years(ENTERPRISE_TRAINING, [2024, 2025]), [2025, 2026])
    assert narrowed.tables[0].where.years == frozenset({"2025"})
