"""Renderings of published tables: CSV for Excel, XLSX, JSON, SVG charts."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from creditbank.statistics.charts import bar_chart_svg
from creditbank.statistics.disclosure import PublishedCell, SuppressedTable, suppress
from creditbank.statistics.facts import Dimension, OutcomeFact
from creditbank.statistics.labels import (
    SUPPRESSED_MARKER,
    Provenance,
    credits_text,
    hours_text,
    value_label,
)
from creditbank.statistics.render_csv import report_csv, table_csv
from creditbank.statistics.render_json import ReportDocument, report_json, table_json
from creditbank.statistics.render_xlsx import report_xlsx, table_xlsx
from creditbank.statistics.reports import COMMUNITY_ANNUAL, Report, TableSpec, build_report
from creditbank.statistics.tables import ALL, FactFilter, Measures, StatTable, tabulate
from tests.statistics.grids import grid_facts, grid_table
from tests.statistics.strategies import dimension_tuples, fact_lists

RENDER = settings(max_examples=40, deadline=None)
PROVENANCE = Provenance(tree_size=4321, checkpoint="creditbank.test/ledger\n4321\nAAAA\n")
SVG = "{http://www.w3.org/2000/svg}"


def _published(facts: list[OutcomeFact], dimensions: tuple[Dimension, ...]) -> SuppressedTable:
    return suppress(tabulate(facts, dimensions), 3)


def _report(facts: list[OutcomeFact]) -> Report:
    return build_report(COMMUNITY_ANNUAL, lambda dims, where: tabulate(facts, dims, where=where), 3)


def _spec(dimensions: tuple[Dimension, ...]) -> TableSpec:
    return TableSpec("sample", "Sample", "样表", dimensions, FactFilter())


def test_numbers_as_the_log_writes_them() -> None:
    """Hours have one decimal, credits two."""
    assert hours_text(160) == "16.0"
    assert hours_text(5) == "0.5"
    assert credits_text(150) == "1.50"
    assert credits_text(7) == "0.07"


def test_value_labels() -> None:
    """Codes get words in both languages; names stay as they are; the margin is the total."""
    assert value_label("issuer_kind", "community_school") == "社区学校"
    assert value_label("age_band", "60_69", "en") == "60–69"
    assert value_label("age_band", "80_plus") == "80岁及以上"
    assert value_label("sex", "female") == "女"
    assert value_label("district", "unknown") == "不详"
    assert value_label("district", "湖滨街道") == "湖滨街道"
    assert value_label("quarter", "2025-Q3") == "2025年第3季度"
    assert value_label("year", ALL, "en") == "Total"
    assert value_label("issuer", ALL) == "合计"


@RENDER
@given(fact_lists(max_size=80, learners=30), dimension_tuples(0, 3), st.sampled_from(["zh", "en"]))
def test_csv_round_trips(
    facts: list[OutcomeFact], dimensions: tuple[Dimension, ...], language: str
) -> None:
    """A BOM, then a header and one row per cell; hidden values are the marker; the others
    the figures, hours and credits as decimal text; then a blank row, the two footnotes and the
    signed checkpoint's lines."""
    table = _published(facts, dimensions)
    data = table_csv(table, PROVENANCE, language)  # type: ignore[arg-type]
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    checkpoint = PROVENANCE.checkpoint.splitlines()
    assert len(rows) == 1 + len(table.cells) + 1 + 2 + len(checkpoint)
    assert [row[0] for row in rows[-len(checkpoint) :]] == checkpoint
    assert "4321" in rows[-len(checkpoint) - 1][0]
    assert len(rows[0]) == len(dimensions) + 5
    shown = {tuple(row[len(dimensions) :]) for row in rows[1 : 1 + len(table.cells)]}
    for cell in table.cells.values():
        if cell.measures is None:
            assert (SUPPRESSED_MARKER,) * 5 in shown
        else:
            m = cell.measures
            figures = (str(m.learners), str(m.outcomes), hours_text(m.hours_tenths))
            assert (*figures, credits_text(m.credits), str(m.recognised)) in shown


def test_csv_headers_and_totals_in_chinese() -> None:
    """The header names the dimensions and measures in Chinese; margins read 合计."""
    rows = list(
        csv.reader(
            io.StringIO(table_csv(suppress(grid_table([[9, 9]])), PROVENANCE).decode("utf-8-sig"))
        )
    )
    assert rows[0] == [
        "机构",
        "街道（镇）",
        "学习者人数",
        "学习人次",
        "学时",
        "学分",
        "转换认定人次",
    ]
    assert rows[1][:3] == ["合计", "合计", "18"]


def test_csv_names_are_never_formulas() -> None:
    """A district spelled like a formula is written so that Excel shows it as text."""
    table = SuppressedTable(
        dimensions=("district",),
        cells={("=1+2",): PublishedCell(Measures(9, 9, 10, 0, 0))},
        k=5,
    )
    rows = list(csv.reader(io.StringIO(table_csv(table, PROVENANCE).decode("utf-8-sig"))))
    assert rows[1][0] == "'=1+2"


@RENDER
@given(fact_lists(max_size=80, learners=30))
def test_report_csv_has_every_table_and_the_footnotes(facts: list[OutcomeFact]) -> None:
    """Title, then per table its title, header and rows, then the marker and tree size."""
    report = _report(facts)
    text = report_csv(report, PROVENANCE).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    checkpoint = PROVENANCE.checkpoint.splitlines()
    expected = 1 + sum(3 + len(part.table.cells) for part in report.tables) + 1 + 2
    assert len(rows) == expected + len(checkpoint)
    assert rows[0] == ["社区教育年度统计"]
    assert [row[0] for row in rows[-len(checkpoint) :]] == checkpoint
    assert "4321" in rows[-len(checkpoint) - 1][0]
    assert rows[-len(checkpoint) - 2][0].startswith(SUPPRESSED_MARKER)


def _sheet_rows(workbook: bytes, name: str) -> list[list[Any]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(workbook))
    return book.get_sheet_by_name(name).to_python()


@RENDER
@given(fact_lists(max_size=80, learners=30))
def test_xlsx_has_a_sheet_per_table_with_numbers(facts: list[OutcomeFact]) -> None:
    """calamine reads every sheet; published figures are numbers, hidden ones the marker;
    the footnotes under the table give k and the tree size."""
    report = _report(facts)
    workbook = report_xlsx(report, PROVENANCE)
    names = CalamineWorkbook.from_filelike(io.BytesIO(workbook)).sheet_names
    assert names == ["说明", *(part.spec.key for part in report.tables)]
    for part in report.tables:
        rows = _sheet_rows(workbook, part.spec.key)
        width = len(part.spec.dimensions)
        assert rows[0][0] == part.spec.title_zh
        body = rows[2 : 2 + len(part.table.cells)]
        figures = [row[width:] for row in body]
        published = [c.measures for c in part.table.cells.values() if c.measures]
        for m in published:
            assert [m.learners, m.outcomes] in [row[:2] for row in figures]
        hidden = sum(1 for c in part.table.cells.values() if c.measures is None)
        assert sum(1 for row in figures if row[0] == SUPPRESSED_MARKER) == hidden
        assert all(isinstance(row[0], float) for row in figures if row[0] != SUPPRESSED_MARKER)
        notes = " ".join(str(row[0]) for row in rows[2 + len(part.table.cells) :] if row[0])
        assert "少于3人" in notes
        assert "4321" in notes


def test_xlsx_values_of_one_table() -> None:
    """Hours and credits arrive as the numbers they stand for."""
    table = SuppressedTable(
        dimensions=("sex",),
        cells={
            (ALL,): PublishedCell(Measures(12, 20, 165, 250, 3)),
            ("female",): PublishedCell(None, "primary"),
            ("male",): PublishedCell(None, "secondary"),
        },
        k=5,
    )
    rows = _sheet_rows(table_xlsx(table, _spec(("sex",)), PROVENANCE, "en"), "sample")
    assert rows[0][0] == "Sample"
    assert rows[1] == ["Sex", "Learners", "Outcomes", "Hours", "Credits", "Recognised"]
    assert rows[2] == ["Total", 12.0, 20.0, 16.5, 2.5, 3.0]
    assert rows[3] == ["Female", *[SUPPRESSED_MARKER] * 5]


@RENDER
@given(fact_lists(max_size=80, learners=30))
def test_json_decodes_with_codes_and_reasons(facts: list[OutcomeFact]) -> None:
    """The JSON decodes into its Structs; keys are codes; hidden cells are null with why."""
    report = _report(facts)
    document = msgspec.json.decode(report_json(report, PROVENANCE), type=ReportDocument)
    assert document.tree_size == 4321
    assert document.checkpoint == PROVENANCE.checkpoint
    assert document.k == 3
    assert document.margin == ALL
    for part, table in zip(report.tables, document.tables, strict=True):
        assert table.key == part.spec.key
        assert table.where == {"issuer_kind": ["adult_school", "community_school"]}
        assert len(table.cells) == len(part.table.cells)
        for cell in table.cells:
            published = part.table.cells[tuple(cell.key)]
            assert cell.suppressed == published.reason
            assert (cell.measures is None) == (published.measures is None)
            if cell.measures is not None and published.measures is not None:
                assert cell.measures.hours == hours_text(published.measures.hours_tenths)
                assert cell.measures.credits == credits_text(published.measures.credits)


def test_json_of_one_table() -> None:
    """One table is a report of one."""
    table = suppress(grid_table([[9, 2], [9, 9]]))
    document = msgspec.json.decode(
        table_json(table, _spec(table.dimensions), PROVENANCE), type=ReportDocument
    )
    assert [t.key for t in document.tables] == ["sample"]
    assert {c.suppressed for c in document.tables[0].cells} == {None, "primary", "secondary"}


def _one_dimension(counts: dict[str, int]) -> StatTable:
    return tabulate(grid_facts({(k,): v for k, v in counts.items()}), ("issuer",))


@RENDER
@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "c", "d", "<&>", "e"]), st.integers(1, 40), min_size=1
    ),
    st.sampled_from(["learners", "outcomes", "hours_tenths", "credits", "recognised"]),
)
def test_svg_parses_with_one_bar_per_value(counts: dict[str, int], measure: str) -> None:
    """The chart is well-formed XML with a title, role and label, and one bar per value
    (hidden ones hatched, labelled with the marker)."""
    table = suppress(_one_dimension(counts))
    svg = bar_chart_svg(table, "Title & <more>", measure=measure)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label", "").startswith("Title & <more>")
    assert root.find(f"{SVG}title") is not None
    assert root.findtext(f"{SVG}title") == "Title & <more>"
    bars = [r for r in root.iter(f"{SVG}rect") if (r.get("class") or "").startswith("bar")]
    assert len(bars) == len(counts)
    hidden = [r for r in bars if "suppressed" in (r.get("class") or "")]
    assert len(hidden) == len(table.hidden()) - (1 if (ALL,) in table.hidden() else 0)
    assert "<script" not in svg
    assert svg == bar_chart_svg(table, "Title & <more>", measure=measure)


def test_a_chart_wants_one_dimension() -> None:
    """Two dimensions do not make one bar chart."""
    with pytest.raises(AssertionError):
        bar_chart_svg(suppress(grid_table([[9, 9]])), "x")
