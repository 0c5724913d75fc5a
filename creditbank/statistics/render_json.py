"""Tables as JSON for programs: codes, not words, and what the numbers were counted from.

Keys are the dimension values as codes ("community_school", "60_69", "unknown"), with "*" for
a margin. Hours and credits are decimal text as in the log ("16.0", "1.50"): no floats, as in
every format of the bank. A hidden cell has ``measures: null`` and the reason ("primary": fewer
than k learners; "secondary": hidden so that a primary one cannot be derived). The tree size
and the signed checkpoint say which state of the log was counted, so a reader can tie the
figures to a verified log.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from creditbank.statistics.disclosure import SuppressedTable
from creditbank.statistics.labels import Provenance, credits_text, hours_text, ordered_keys
from creditbank.statistics.reports import Report, TableSpec
from creditbank.statistics.tables import ALL, FactFilter, Measures

__all__ = [
    "CellDocument",
    "MeasuresDocument",
    "ReportDocument",
    "TableDocument",
    "report_document",
    "report_json",
    "table_document",
    "table_json",
]


class MeasuresDocument(msgspec.Struct, frozen=True, kw_only=True):
    learners: int
    outcomes: int
    hours: str  # scale 1, "16.0"
    credits: str  # scale 2, "1.50"
    recognised: int


class CellDocument(msgspec.Struct, frozen=True, kw_only=True):
    key: list[str]  # one code per dimension, "*" for a margin
    measures: MeasuresDocument | None
    suppressed: Literal["primary", "secondary"] | None


class TableDocument(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    title_en: str
    title_zh: str
    dimensions: list[str]
    where: dict[str, list[str]]  # dimension -> the values counted; absent: all
    cells: list[CellDocument]


class ReportDocument(msgspec.Struct, frozen=True, kw_only=True):
    report: str
    title_en: str
    title_zh: str
    tree_size: int
    checkpoint: str  # the signed note the figures were counted at
    k: int
    margin: str  # the key value of a margin, "*"
    tables: list[TableDocument]


def _measures(measures: Measures) -> MeasuresDocument:
    return MeasuresDocument(
        learners=measures.learners,
        outcomes=measures.outcomes,
        hours=hours_text(measures.hours_tenths),
        credits=credits_text(measures.credits),
        recognised=measures.recognised,
    )


def _where(where: FactFilter) -> dict[str, list[str]]:
    return {dimension: sorted(allowed) for dimension, allowed in where.conditions()}


def table_document(table: SuppressedTable, spec: TableSpec) -> TableDocument:
    cells = []
    for key in ordered_keys(table.dimensions, table.cells):
        cell = table.cells[key]
        cells.append(
            CellDocument(
                key=list(key),
                measures=None if cell.measures is None else _measures(cell.measures),
                suppressed=cell.reason,
            )
        )
    return TableDocument(
        key=spec.key,
        title_en=spec.title_en,
        title_zh=spec.title_zh,
        dimensions=list(table.dimensions),
        where=_where(spec.where),
        cells=cells,
    )


def report_document(report: Report, provenance: Provenance) -> ReportDocument:
    return ReportDocument(
        report=report.spec.name,
        title_en=report.spec.title_en,
        title_zh=report.spec.title_zh,
        tree_size=provenance.tree_size,
        checkpoint=provenance.checkpoint,
        k=report.k,
        margin=ALL,
        tables=[table_document(part.table, part.spec) for part in report.tables],
    )


def report_json(report: Report, provenance: Provenance) -> bytes:
    return msgspec.json.encode(report_document(report, provenance))


def table_json(table: SuppressedTable, spec: TableSpec, provenance: Provenance) -> bytes:
    """One table as a report of one, so a reader needs one format."""
    document = ReportDocument(
        report=spec.key,
        title_en=spec.title_en,
        title_zh=spec.title_zh,
        tree_size=provenance.tree_size,
        checkpoint=provenance.checkpoint,
        k=table.k,
        margin=ALL,
        tables=[table_document(table, spec)],
    )
    return msgspec.json.encode(document)
