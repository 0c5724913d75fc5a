"""Enterprise import files for the import benchmark: a UTF-8 CSV as an HR system exports it.

Chinese headers, CJK course titles and learner names, dates in the forms Excel writes, about
1 learner per 8 rows, most courses under the published ``SAFE-*`` standard. A few per cent of
rows are bad, as in real exports: malformed hours or dates, and in-file duplicate record ids
(a record id used again by the next row). The generator counts what it wrote, so the benchmark
can check the import. Written in one pass with the csv module: a million rows (134 MB) take
about six seconds on 2 cores.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from schemas.standards import AppliesTo, Caps, PerHoursAward, Standard

ISSUER_ID = "bench-enterprise"
ISSUER_NAME = "华东精密制造有限公司"
SEED = 20261128
ROWS_PER_LEARNER = 8
LEARNERS_MIN = 1_000
MALFORMED_SHARE = 0.02
DUPLICATE_SHARE = 0.01
SAFETY_SHARE = 0.85  # rows whose course code the SAFE-* standard applies to
FAILED_SHARE = 0.05
FIRST_DAY = datetime.date(2025, 1, 1)
DAYS = 365
FIRST_BIRTH_DAY = datetime.date(1970, 1, 1)
POOL_SIZE = 100

# The published standard the SAFE-* rows earn credits under (the import tests use it too).
SAFETY = Standard(
    id="ent-safety",
    version=1,
    title="企业安全生产培训",
    category="vocational.safety",
    effective_from=datetime.date(2025, 1, 1),
    applies_to=AppliesTo(outcome_types=["enterprise_training"], course_codes=["SAFE-*"]),
    award=PerHoursAward(hours_per_unit=decimal.Decimal("16")),
    caps=Caps(per_category_per_year=decimal.Decimal("5")),
)
HEADER = (
    "记录编号",
    "身份证号",
    "姓名",
    "课程代码",
    "课程名称",
    "学时",
    "成绩",
    "是否合格",
    "完成日期",
    "类型",
)
SAFETY_COURSES = (
    ("SAFE-2025-01", "安全生产培训（第一期）"),
    ("SAFE-2025-02", "消防安全知识与应急疏散演练"),
    ("SAFE-2025-03", "危险化学品储存与使用规范"),
    ("SAFE-2025-04", "电气作业安全与触电急救"),
    ("SAFE-2025-05", "高处作业安全技术"),
    ("SAFE-2025-06", "特种设备（叉车）安全操作"),
    ("SAFE-2025-07", "职业健康防护与劳保用品使用"),
)
OTHER_COURSES = (
    ("QM-101", "质量管理体系内审员培训"),
    ("LEAN-201", "精益生产与5S现场管理"),
    ("LEAD-301", "班组长领导力提升　实战篇"),
    ("CNC-110", "数控机床编程与操作"),
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN_NAMES = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳")
HOURS = ("2", "4", "8", "8", "16", "16", "24", "32", "1.5", "12.5")
RESULTS = ("合格", "通过", "完成")
BAD_HOURS = ("十六", "16小时", "-4", "8.25", "")
BAD_DATES = ("2025-02-30", "2025/13/01", "下周", "2025-06-31")
DATE_FORMS = (
    "{:%Y-%m-%d}",
    "{:%Y-%m-%d}",
    "{d.year}/{d.month}/{d.day}",
    "{d.year}年{d.month}月{d.day}日",
)

T = TypeVar("T")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True, kw_only=True)
class ImportFile:
    """A generated file and what its rows are."""

    path: Path
    rows: int
    malformed: int
    duplicates: int

    @property
    def good(self) -> int:
        """Rows the import must record."""
        return self.rows - self.malformed - self.duplicates


def resident_id(serial: int) -> str:
    """A valid resident ID number (GB 11643 check character), distinct for each serial."""
    birth = FIRST_BIRTH_DAY + datetime.timedelta(days=serial // 1000)
    body = f"310115{birth:%Y%m%d}{serial % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
    return body + _ID_CHECK[total % 11]


def learner_name(serial: int) -> str:
    rest, surname = divmod(serial, len(SURNAMES))
    return SURNAMES[surname] + GIVEN_NAMES[rest % len(GIVEN_NAMES)]


def _date_texts() -> list[str]:
    """Every completion date of the year in every form, formatted once."""
    days = (FIRST_DAY + datetime.timedelta(days=offset) for offset in range(DAYS))
    return [form.format(day, d=day) for day in days for form in DATE_FORMS]


def _pool(common: Sequence[T], other: Sequence[T], other_share: float) -> list[T]:
    """POOL_SIZE items, ``other_share`` of them from ``other``: a uniform pick is a weighted one."""
    others = round(other_share * POOL_SIZE)
    return [common[n % len(common)] for n in range(POOL_SIZE - others)] + [
        other[n % len(other)] for n in range(others)
    ]


def write_import_file(path: Path, rows: int, seed: int = SEED) -> ImportFile:
    """Write ``rows`` data rows to ``path``; the counts of bad rows written."""
    rand = random.Random(seed).random  # int(rand() * n) picks fast; rng.choice is the slow part
    learners = max(rows // ROWS_PER_LEARNER, LEARNERS_MIN)
    ids = [resident_id(serial) for serial in range(learners)]
    names = [learner_name(serial) for serial in range(learners)]
    dates = _date_texts()
    scores = [f"{tenths / 10:.1f}" for tenths in range(600, 1001)]
    courses = _pool(SAFETY_COURSES, OTHER_COURSES, 1 - SAFETY_SHARE)
    results = _pool(RESULTS, ("不合格",), FAILED_SHARE)
    malformed = duplicates = 0
    previous_id = ""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADER)
        for serial in range(rows):
            learner = int(rand() * learners)
            code, title = courses[int(rand() * POOL_SIZE)]
            record_id = f"HR{serial:09d}"
            hours, completed = HOURS[int(rand() * len(HOURS))], dates[int(rand() * len(dates))]
            kind = rand()
            if kind < MALFORMED_SHARE:
                malformed += 1
                if kind < MALFORMED_SHARE / 2:
                    hours = BAD_HOURS[int(rand() * len(BAD_HOURS))]
                else:
                    completed = BAD_DATES[int(rand() * len(BAD_DATES))]
            elif kind < MALFORMED_SHARE + DUPLICATE_SHARE and previous_id:
                duplicates += 1
                record_id = previous_id  # the row before, sent again with other content
            result, score = results[int(rand() * POOL_SIZE)], scores[int(rand() * len(scores))]
            writer.writerow(
                (record_id, ids[learner], names[learner], code, title, hours, score, result,
                 completed, "enterprise_training")
            )  # fmt: skip
            previous_id = record_id
    return ImportFile(path=path, rows=rows, malformed=malformed, duplicates=duplicates)
