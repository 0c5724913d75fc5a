"""CSV header names to OutcomeRecord fields, and CSV cell text to the values the model reads.

Pure functions over strings: the readers call them, the model validates what they return. A value
that cannot be converted is passed through unchanged so the model names the field and the reason.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from creditbank.errors import FileFormatError

__all__ = [
    "HEADER_ALIASES",
    "OPTIONAL_FIELDS",
    "REQUIRED_FIELDS",
    "HeaderMap",
    "cell_values",
    "map_header",
    "normalise_header",
]

# Every OutcomeRecord field under its own name, plus the Chinese headers issuers' templates use.
# Keys are normalised (see normalise_header); values are field names.
_ALIASES: dict[str, tuple[str, ...]] = {
    "issuer_id": ("issuer_id",),
    "record_id": ("record_id", "记录编号", "流水号", "培训记录号"),
    "learner_id_type": ("learner_id_type", "证件类型"),
    "learner_id": ("learner_id", "身份证号", "身份证号码", "证件号码", "工号", "学号"),
    "learner_name": ("learner_name", "姓名"),
    "course_code": ("course_code", "课程代码", "课程编号"),
    "course_title": ("course_title", "课程名称"),
    "outcome_type": ("outcome_type", "类型", "学习类型"),
    "hours": ("hours", "学时"),
    "result": ("result", "是否合格", "结果", "考核结果"),
    "score": ("score", "成绩", "分数"),
    "attendance_pct": ("attendance_pct", "出勤率"),
    "completed_on": ("completed_on", "完成日期", "结业日期"),
    "certificate_no": ("certificate_no", "证书编号"),
    "evidence_sha256": ("evidence_sha256", "证明材料哈希"),
}
HEADER_ALIASES: Mapping[str, str] = MappingProxyType(
    {alias: field for field, aliases in _ALIASES.items() for alias in aliases}
)

# A header that names the kind of identifier implies learner_id_type when no column gives it.
_IMPLIED_LEARNER_ID_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "身份证号": "cn_resident_id",
        "身份证号码": "cn_resident_id",
        "工号": "employee_no",
        "学号": "employee_no",
    }
)

REQUIRED_FIELDS = (
    "record_id",
    "learner_id",
    "course_code",
    "course_title",
    "hours",
    "result",
    "completed_on",
)
# Fields with a default in OutcomeRecord: an empty cell means "not given".
OPTIONAL_FIELDS = frozenset(
    {
        "issuer_id",
        "learner_id_type",
        "learner_name",
        "score",
        "attendance_pct",
        "certificate_no",
        "evidence_sha256",
    }
)

# A unit in brackets after the name, half- or full-width: 学时(小时), 成绩（分）.
_UNIT_SUFFIX = re.compile(r"[(（][^()（）]*[)）]$")


def normalise_header(text: str) -> str:
    """The lookup form of a header cell: no BOM, no spaces, casefolded, no bracketed unit."""
    text = text.replace("\ufeff", "").strip().casefold()
    text = text.replace(" ", "").replace("\u3000", "")
    return _UNIT_SUFFIX.sub("", text)


@dataclasses.dataclass(frozen=True, slots=True)
class HeaderMap:
    """What each column holds, and the values the header implies for fields no column gives."""

    fields: tuple[str | None, ...]  # one per column; None for a column with an empty header
    defaults: Mapping[str, str]


def map_header(names: Sequence[str], *, default_outcome_type: str | None = None) -> HeaderMap:
    """Map header cells to fields, or raise FileFormatError naming every column at fault."""
    normalised = [normalise_header(name) for name in names]
    unknown = [
        name
        for name, key in zip(names, normalised, strict=True)
        if key and key not in HEADER_ALIASES
    ]
    if unknown:
        raise FileFormatError("unknown_column", ", ".join(repr(name) for name in unknown))
    # Excel writes trailing empty header cells when formatting reaches past the data; ignore them.
    fields = tuple(HEADER_ALIASES[key] if key else None for key in normalised)
    seen: dict[str, str] = {}
    for name, field in zip(names, fields, strict=True):
        if field is None:
            continue
        if field in seen:
            raise FileFormatError(
                "duplicate_column", f"{seen[field]!r} and {name!r} both give {field}"
            )
        seen[field] = name
    missing = [field for field in REQUIRED_FIELDS if field not in seen]
    if "outcome_type" not in seen and default_outcome_type is None:
        missing.append("outcome_type")
    if missing:
        raise FileFormatError("missing_column", ", ".join(missing))
    defaults: dict[str, str] = {}
    if default_outcome_type is not None:
        defaults["outcome_type"] = default_outcome_type
    for key in normalised:
        if key in _IMPLIED_LEARNER_ID_TYPES:
            defaults["learner_id_type"] = _IMPLIED_LEARNER_ID_TYPES[key]
    return HeaderMap(fields=fields, defaults=MappingProxyType(defaults))


_RESULT_SYNONYMS: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys(("合格", "通过", "是", "passed", "pass"), "passed"),
        **dict.fromkeys(("完成", "已完成", "completed"), "completed"),
        **dict.fromkeys(("不合格", "未通过", "否", "failed", "fail"), "failed"),
    }
)

# The date forms Excel writes in Chinese locales, optionally with a midnight time it appends when
# a date cell is formatted as date-time.
_DATE_FORMS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
)
_MIDNIGHT = re.compile(r"\s+0?0:00(:00)?$")


def cell_values(field: str, text: str) -> str | None:
    """The value for field from one CSV cell's text; None means the field is absent.

    Only empty cells of optional fields are absent: an empty required field stays "" so the model
    reports that field. Numbers stay text because decimal parsing is the model's job.
    """
    value = text.strip()
    if not value and field in OPTIONAL_FIELDS:
        return None
    if field == "result":
        return _RESULT_SYNONYMS.get(value.casefold(), value)
    if field == "completed_on":
        return _iso_date(value)
    if field == "attendance_pct" and value[-1:] in ("%", "％"):
        return value[:-1].strip()
    return value


def _iso_date(value: str) -> str:
    """value as YYYY-MM-DD when it is a real date in a known form, else value unchanged."""
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        return value  # already the ISO form (or close): the model checks the date itself
    bare = _MIDNIGHT.sub("", value)
    for form in _DATE_FORMS:
        match = form.fullmatch(bare)
        if match is None:
            continue
        year, month, day = (int(part) for part in match.groups())
        try:
            return datetime.date(year, month, day).isoformat()
        except ValueError:
            return value  # 2026-02-30: left as given so validation reports the date the user wrote
    return value
