"""What a published table says in words: headers, value labels, the marker, numbers as text.

Codes stay codes in machine-readable output (JSON); people's output (CSV, XLSX, SVG) shows
them in Chinese or English. Issuer ids, districts and categories are names already and are
shown as they are; only ``unknown`` among them is translated.

The marker for a hidden value is "…", with a footnote saying why. Chinese statistical
yearbooks print "…" for a figure that exists but is below what the table shows, where "—" and
a blank cell mean "no such figure" (read as nothing, or zero); a hidden cell has a figure, so
it must not look like zero. One marker for both kinds of hiding: telling them apart would say
which cells count fewer than k learners.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from creditbank.statistics.disclosure import PublishedCell, SuppressedTable
from creditbank.statistics.facts import AGE_BANDS, SEXES, UNKNOWN, Dimension
from creditbank.statistics.tables import ALL, MEASURES, CellKey, Measures

__all__ = [
    "SUPPRESSED_MARKER",
    "Language",
    "Provenance",
    "credits_text",
    "dimension_header",
    "footnotes",
    "headers",
    "hours_text",
    "labelled_rows",
    "marker_note",
    "measure_header",
    "measure_texts",
    "ordered_keys",
    "provenance_note",
    "value_label",
]

Language = Literal["zh", "en"]
SUPPRESSED_MARKER: Final = "…"


@dataclass(frozen=True, slots=True)
class Provenance:
    """Which log state a report counts: the tree size and the signed checkpoint at it."""

    tree_size: int
    checkpoint: str  # the signed note text, as served


_DIMENSIONS: Final[Mapping[Dimension, tuple[str, str]]] = {
    "year": ("年份", "Year"),
    "cap_year": ("学分年度（起始日）", "Credit year (from)"),
    "quarter": ("季度", "Quarter"),
    "issuer_kind": ("机构类型", "Type of institution"),
    "issuer": ("机构", "Institution"),
    "district": ("街道（镇）", "Street or town"),
    "outcome_type": ("成果类型", "Type of outcome"),
    "category": ("学分类别", "Credit category"),
    "age_band": ("年龄段", "Age band"),
    "sex": ("性别", "Sex"),
}
_MEASURES: Final[Mapping[str, tuple[str, str]]] = {
    "learners": ("学习者人数", "Learners"),
    "outcomes": ("学习人次", "Outcomes"),
    "hours_tenths": ("学时", "Hours"),
    "credits": ("学分", "Credits"),
    "recognised": ("转换认定人次", "Recognised"),
}
assert tuple(_MEASURES) == MEASURES
_ISSUER_KINDS: Final = {
    "enterprise": ("企业", "Enterprise"),
    "community_school": ("社区学校", "Community school"),
    "elderly_university": ("老年大学", "University for older people"),
    "adult_school": ("成人学校", "Adult school"),
    "college": ("高等院校", "College or university"),
}
_OUTCOME_TYPES: Final = {
    "enterprise_training": ("企业培训", "Enterprise training"),
    "community_course": ("社区教育课程", "Community course"),
    "elderly_course": ("老年教育课程", "Course for older learners"),
    "vocational_certificate": ("职业资格证书", "Vocational qualification certificate"),
    "skill_certificate": ("职业技能等级证书", "Vocational skill level certificate"),
    "academic_course": ("学历教育课程", "Academic course"),
}
_AGE_BANDS: Final = {
    "under_35": ("35岁以下", "Under 35"),
    "35_44": ("35–44岁", "35–44"),
    "45_54": ("45–54岁", "45–54"),
    "55_59": ("55–59岁", "55–59"),
    "60_69": ("60–69岁", "60–69"),
    "70_79": ("70–79岁", "70–79"),
    "80_plus": ("80岁及以上", "80 and over"),
}
assert tuple(_AGE_BANDS) == AGE_BANDS
_SEXES: Final = {"female": ("女", "Female"), "male": ("男", "Male")}
assert tuple(_SEXES) == SEXES
# Per dimension: the labels of its codes, in the order rows are printed.
_CODES: Final[Mapping[Dimension, Mapping[str, tuple[str, str]]]] = {
    "issuer_kind": _ISSUER_KINDS,
    "outcome_type": _OUTCOME_TYPES,
    "age_band": _AGE_BANDS,
    "sex": _SEXES,
}
_UNKNOWN: Final = ("不详", "Not known")  # the yearbooks' word for a value not recorded
_TOTAL: Final = ("合计", "Total")


def _pick(pair: tuple[str, str], language: Language) -> str:
    return pair[0] if language == "zh" else pair[1]


def dimension_header(dimension: Dimension, language: Language = "zh") -> str:
    return _pick(_DIMENSIONS[dimension], language)


def measure_header(measure: str, language: Language = "zh") -> str:
    return _pick(_MEASURES[measure], language)


def value_label(dimension: Dimension, value: str, language: Language = "zh") -> str:
    """A cell's value along one dimension, in words; a name or a code without one as it is."""
    if value == ALL:
        return _pick(_TOTAL, language)
    if value == UNKNOWN:
        return _pick(_UNKNOWN, language)
    if dimension == "quarter":
        year, _, quarter = value.partition("-Q")
        return f"{year}年第{quarter}季度" if language == "zh" else f"{year} Q{quarter}"
    label = _CODES.get(dimension, {}).get(value)
    return value if label is None else _pick(label, language)


def hours_text(tenths: int) -> str:
    """Hours as the log writes them, scale 1: ``160 -> "16.0"``."""
    assert tenths >= 0, f"negative hours: {tenths}"
    return f"{tenths // 10}.{tenths % 10}"


def credits_text(hundredths: int) -> str:
    """Credits as the log writes them, scale 2: ``150 -> "1.50"``."""
    assert hundredths >= 0, f"negative credits: {hundredths}"
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def _value_order(dimension: Dimension, value: str) -> tuple[int, int, str]:
    # The total first, as Chinese tables print it; codes in their own order; unknown last.
    if value == ALL:
        return (0, 0, "")
    if value == UNKNOWN:
        return (2, 0, "")
    codes = list(_CODES.get(dimension, {}))
    return (1, codes.index(value) if value in codes else len(codes), value)


def ordered_keys(dimensions: tuple[Dimension, ...], keys: Iterable[CellKey]) -> list[CellKey]:
    """The order rows are printed in: by the first dimension, then the next, totals first."""
    return sorted(
        keys,
        key=lambda key: [_value_order(d, v) for d, v in zip(dimensions, key, strict=True)],
    )


def headers(dimensions: tuple[Dimension, ...], language: Language = "zh") -> list[str]:
    """A table's header row: its dimensions, then every measure."""
    return [dimension_header(d, language) for d in dimensions] + [
        measure_header(m, language) for m in MEASURES
    ]


def labelled_rows(
    table: SuppressedTable, language: Language = "zh"
) -> list[tuple[list[str], PublishedCell]]:
    """Every cell in print order, with its key in words."""
    return [
        (
            [value_label(d, v, language) for d, v in zip(table.dimensions, key, strict=True)],
            table.cells[key],
        )
        for key in ordered_keys(table.dimensions, table.cells)
    ]


def measure_texts(measures: Measures | None) -> list[str]:
    """The measures as text, in ``MEASURES`` order; the marker in each when hidden."""
    if measures is None:
        return [SUPPRESSED_MARKER] * len(MEASURES)
    return [
        str(measures.learners),
        str(measures.outcomes),
        hours_text(measures.hours_tenths),
        credits_text(measures.credits),
        str(measures.recognised),
    ]


def marker_note(k: int, language: Language = "zh") -> str:
    """What the marker means, for under every table and chart."""
    if language == "zh":
        return (
            f"{SUPPRESSED_MARKER}：为保护学习者个人信息不予公布"
            f"（学习者少于{k}人，或可由其他公布数据推算）。"
        )
    return (
        f"{SUPPRESSED_MARKER}: not published to protect learners "
        f"(fewer than {k} learners, or derivable from other published figures)."
    )


def provenance_note(provenance: Provenance, language: Language = "zh") -> str:
    """Which state of the log the figures count."""
    size = provenance.tree_size
    if language == "zh":
        return f"统计范围：学分银行日志前{size}条记录（树大小{size}）。"
    return f"Counted over the first {size} entries of the credit bank's log (tree size {size})."


def footnotes(k: int, provenance: Provenance, language: Language = "zh") -> tuple[str, ...]:
    """What every rendering of a table says under it: the marker, then what was counted."""
    return (marker_note(k, language), provenance_note(provenance, language))
