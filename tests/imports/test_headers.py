"""Header aliases and CSV cell conversions."""

from __future__ import annotations

import pytest

from creditbank.errors import FileFormatError
from creditbank.imports import HEADER_ALIASES, cell_values, map_header, normalise_header
from schemas.api import OutcomeRecord

ENGLISH = [
    "record_id",
    "learner_id",
    "course_code",
    "course_title",
    "outcome_type",
    "hours",
    "result",
    "completed_on",
]
CHINESE = [
    "记录编号",
    "身份证号",
    "课程代码",
    "课程名称",
    "类型",
    "学时(小时)",
    "是否合格",
    "完成日期",
]


def test_aliases_name_only_record_fields() -> None:
    """Every alias maps to a real OutcomeRecord field, and every field has its own name."""
    fields = set(OutcomeRecord.__struct_fields__)
    assert set(HEADER_ALIASES.values()) <= fields
    assert all(HEADER_ALIASES[field] == field for field in fields)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\ufeff记录编号", "记录编号"),
        (" 学时(小时) ", "学时"),
        ("成绩（分）", "成绩"),
        ("课程　名称", "课程名称"),
        ("Record_ID", "record_id"),
        ("出勤率(%)", "出勤率"),
    ],
)
def test_normalise_header(text: str, expected: str) -> None:
    """Normalisation drops BOM, spaces, full-width spaces, case and a bracketed unit."""
    assert normalise_header(text) == expected


def test_english_and_chinese_headers_map_alike() -> None:
    """English and Chinese templates map to the same fields."""
    assert map_header(ENGLISH).fields == map_header(CHINESE).fields


def test_identifier_header_implies_its_type() -> None:
    """工号 implies employee_no, 身份证号 implies cn_resident_id."""
    employee = map_header([*CHINESE[:1], "工号", *CHINESE[2:]])
    assert employee.fields[1] == "learner_id"
    assert employee.defaults["learner_id_type"] == "employee_no"
    assert map_header(CHINESE).defaults["learner_id_type"] == "cn_resident_id"


def test_unknown_columns_named() -> None:
    """Every unknown column is named in one unknown_column error."""
    with pytest.raises(FileFormatError) as caught:
        map_header([*ENGLISH, "备注", "colour"])
    assert caught.value.reason_code == "unknown_column"
    assert "备注" in caught.value.message
    assert "colour" in caught.value.message


def test_missing_columns_named() -> None:
    """Every absent required field is named in one missing_column error."""
    with pytest.raises(FileFormatError) as caught:
        map_header(["record_id", "learner_id", "course_code", "course_title"])
    assert caught.value.reason_code == "missing_column"
    for field in ("hours", "result", "completed_on", "outcome_type"):
        assert field in caught.value.message


def test_outcome_type_may_come_from_the_caller() -> None:
    """outcome_type may be absent only when the caller gives a default."""
    header = [name for name in ENGLISH if name != "outcome_type"]
    with pytest.raises(FileFormatError):
        map_header(header)
    assert map_header(header, default_outcome_type="training").defaults["outcome_type"] == (
        "training"
    )


def test_field_mapped_twice_rejected() -> None:
    """Two columns for one field (学号 and 工号) are a duplicate_column error naming both."""
    with pytest.raises(FileFormatError) as caught:
        map_header([*CHINESE, "学号"])
    assert caught.value.reason_code == "duplicate_column"
    assert "身份证号" in caught.value.message
    assert "学号" in caught.value.message


def test_empty_header_cells_ignored() -> None:
    """Trailing empty header cells map to no field."""
    assert map_header([*ENGLISH, "", " "]).fields[-2:] == (None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("合格", "passed"),
        ("通过", "passed"),
        (" 是 ", "passed"),
        ("Passed", "passed"),
        ("PASS", "passed"),
        ("完成", "completed"),
        ("已完成", "completed"),
        ("completed", "completed"),
        ("不合格", "failed"),
        ("未通过", "failed"),
        ("否", "failed"),
        ("fail", "failed"),
        ("maybe", "maybe"),
    ],
)
def test_result_synonyms(text: str, expected: str) -> None:
    """Result synonyms become the model's values; anything else passes through."""
    assert cell_values("result", text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-14", "2026-03-14"),
        ("2026/3/14", "2026-03-14"),
        ("2026.3.14", "2026-03-14"),
        ("2026年3月14日", "2026-03-14"),
        ("2026/3/14 0:00", "2026-03-14"),
        ("2026-02-30", "2026-02-30"),
        ("2026/2/30", "2026/2/30"),
        ("2026-3/14", "2026-3/14"),
        ("14/03/2026", "14/03/2026"),
    ],
)
def test_dates(text: str, expected: str) -> None:
    """Excel's date forms become ISO; impossible or unknown dates stay as written."""
    assert cell_values("completed_on", text) == expected


def test_numbers_and_optional_cells() -> None:
    """Numbers stay text, attendance loses its %, empty optional cells are absent."""
    assert cell_values("hours", " 12.5 ") == "12.5"
    assert cell_values("attendance_pct", "95%") == "95"
    assert cell_values("attendance_pct", "95 ％") == "95"
    assert cell_values("score", "") is None
    assert cell_values("certificate_no", "  ") is None
    assert cell_values("hours", "") == ""
