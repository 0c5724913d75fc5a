"""More learning for the statistics and award journeys: an enterprise's year of training as the
HR officer's template would hold it, imported with the CLI.

Eighteen learners finish a safety course the example standard covers (credits at deposit); four
of them also finish a lean-production course no standard covers, so those four wait in the award
queue. Six learners in each of three age bands, of both sexes, so the returns have groups of at
least k = 5 learners to publish and chart.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from tests.browser.conftest import Service
from tests.factories import resident_id

HEADER = "记录编号,身份证号,姓名,课程代码,课程名称,学时,成绩,出勤率,是否合格,完成日期,类型\r\n"
WAITING = 4  # the lean-production records no standard covers
_BIRTH_YEARS = (1985, 1996, 1973)  # 35-44, under 35 and 45-54 in 2026


def _row(record: str, id_number: str, code: str, title: str, hours: int, day: str) -> str:
    cells = (record, id_number, "学员", code, title, str(hours), "86", "100%", "合格", day)
    return ",".join((*cells, "enterprise_training")) + "\r\n"


def training_year(tmp_path: Path) -> Path:
    rows = []
    for serial in range(1, 19):
        born = datetime.date(_BIRTH_YEARS[(serial - 1) // 6], (serial - 1) % 6 + 1, 10)
        id_number = resident_id(200 + serial, born)
        rows.append(
            _row(
                f"HR-2026-{200 + serial}", id_number, "SAFE-2026-030", "消防安全", 16, "2026-05-20"
            )
        )
        if serial <= WAITING:
            rows.append(
                _row(
                    f"HR-2026-{300 + serial}",
                    id_number,
                    "LEAN-2026-003",
                    "精益生产",
                    8,
                    "2026-06-12",
                )
            )
    target = tmp_path / "training-2026.csv"
    target.write_bytes((HEADER + "".join(rows)).encode("utf-8-sig"))
    return target


def import_training_year(service: Service, tmp_path: Path, issuer: str) -> None:
    service.cli("import", str(training_year(tmp_path)), "--issuer", issuer)
