"""Import files for tests: CSV (any encoding, Chinese or English headers), NDJSON, JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import msgspec

from benchmarks.import_files import HEADER
from benchmarks.import_files import SAFETY as SAFETY
from creditbank.service.bank import Bank
from creditbank.service.imports.pipeline import FileFormat, ImportOptions
from creditbank.storage.import_jobs import JobRow
from tests.factories import resident_id

ISSUER_ID = "acme-training"
# The generated benchmark files and these test files earn credits under the same standard.
CHINESE_HEADER = HEADER


def row(serial: int, **changes: str) -> dict[str, str]:
    """One record as text fields, the way an HR system exports it."""
    fields = {
        "record_id": f"T-{serial:07d}",
        "learner_id": resident_id(serial % 1000),
        "learner_name": "李四",
        "course_code": "SAFE-2026-01",
        "course_title": "安全生产培训（第一期）",
        "hours": "16",
        "score": "88",
        "result": "passed",
        "completed_on": "2026-03-01",
        "outcome_type": "enterprise_training",
    }
    fields.update(changes)
    return fields


_CHINESE_NAMES = dict(
    zip(
        (
            "record_id",
            "learner_id",
            "learner_name",
            "course_code",
            "course_title",
            "hours",
            "score",
            "result",
            "completed_on",
            "outcome_type",
        ),
        CHINESE_HEADER,
        strict=True,
    )
)


def csv_bytes(
    rows: Sequence[dict[str, str]],
    *,
    encoding: str = "utf-8",
    chinese: bool = True,
    delimiter: str = ",",
) -> bytes:
    names = list(rows[0]) if rows else list(row(0))
    header = [_CHINESE_NAMES.get(name, name) if chinese else name for name in names]
    lines = [delimiter.join(header)]
    for fields in rows:
        cells = []
        for name in names:
            value = fields.get(name, "")
            if any(c in value for c in (delimiter, '"', "\n")):
                value = '"' + value.replace('"', '""') + '"'
            cells.append(value)
        lines.append(delimiter.join(cells))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def ndjson_bytes(rows: Sequence[dict[str, object]]) -> bytes:
    return b"".join(msgspec.json.encode(fields) + b"\n" for fields in rows)


def json_bytes(rows: Sequence[dict[str, object]]) -> bytes:
    return json.dumps(list(rows), ensure_ascii=False).encode()


async def run_file(
    bank: Bank,
    directory: Path,
    data: bytes,
    file_format: FileFormat = "csv",
    **options: object,
) -> JobRow:
    path = directory / f"upload-{len(list(directory.iterdir()))}.{file_format}"
    path.write_bytes(data)
    return await bank.imports.run_local(
        ImportOptions(issuer_id=ISSUER_ID, file_format=file_format, **options),  # type: ignore[arg-type]
        path,
    )
