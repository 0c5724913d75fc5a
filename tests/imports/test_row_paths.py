"""Every row path writes the same bank: generated files imported through the reference and the
lean path give identical tables, tiles, checkpoints, row results and counts, on SQLite and
PostgreSQL. ``make test`` runs this with the lean path's hot modules compiled, then again pure
(``CREDITBANK_PURE_PYTHON=1``), so both are held to the reference."""

from __future__ import annotations

import asyncio
import datetime
import secrets
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditbank.imports.row_paths import ROW_PATHS, RowPath
from creditbank.keys import KeyRing
from creditbank.privacy import Pseudonymizer
from creditbank.service.bank import Bank
from creditbank.service.imports.pipeline import ImportOptions
from creditbank.storage.engine import create_engine
from tests.conftest import ORIGIN, Templates, fresh_database
from tests.factories import issuer_registration, resident_id
from tests.imports.files import ISSUER_ID, SAFETY, csv_bytes, ndjson_bytes, row

NOW = datetime.datetime(2026, 11, 30, 9, 30, tzinfo=datetime.UTC)
# What a cell can hold in a real export: good values, values a reference step refuses, and
# free text that folds (Alt+Enter line breaks, tabs, runs of spaces, NFD accents).
_titles = st.sampled_from(
    [
        "安全生产培训（第一期）",
        "安全生产\n培训",
        "  消防\t演练  ",
        "Ελληνικά και Кириллица",
        "e\u0301cole 𠀀 astral",
        "控制\x07字符",
        "",
        "长" * 201,
    ]
)
_hours = st.sampled_from(["16", "8", "40.5", "0", "-1", "abc", "1.25", "10000.1", "NaN", ""])
_scores = st.sampled_from(["88", "", "100.0", "101", "x"])
_dates = st.sampled_from(["2026-03-01", "2025/7/15", "2026-11-30", "2099-01-01", "2026-02-30"])
_courses = st.sampled_from(["SAFE-2026-01", "SAFE-9", "ART-1", " SAFE-2 ", ""])
_names = st.sampled_from(["李四", "", "王\n五", "Ελένη"])
_learner_ids = st.integers(0, 6).map(resident_id) | st.sampled_from(["110101199003070000", "x"])


@st.composite
def import_files(draw: st.DrawFn) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Two files of one issuer: the second resends part of the first (some rows changed)."""
    count = draw(st.integers(1, 30))
    rows = []
    for number in range(count):
        serial = draw(st.integers(0, number)) if draw(st.integers(0, 9)) == 0 else number
        rows.append(
            row(
                serial,
                learner_id=draw(_learner_ids),
                learner_name=draw(_names),
                course_code=draw(_courses),
                course_title=draw(_titles),
                hours=draw(_hours),
                score=draw(_scores),
                completed_on=draw(_dates),
            )
        )
    again = [dict(fields) for fields in rows[: draw(st.integers(0, count))]]
    for fields in again:
        if draw(st.integers(0, 3)) == 0:
            fields["hours"] = "24"
    extra = [row(100 + number, learner_id=resident_id(number)) for number in range(3)]
    return rows, again + extra


def _bank(url: str, keys: KeyRing, data_dir: Path, row_path: RowPath) -> Bank:
    return Bank(
        engine=create_engine(url),
        keys=keys,
        pseudonymizer=Pseudonymizer(bytes(range(32))),
        clock=lambda: NOW,
        data_dir=data_dir,
        row_path=row_path,
    )


_TABLES = {
    "log_entry": "SELECT idx, body FROM log_entry ORDER BY idx",
    "tile_segment": "SELECT * FROM tile_segment ORDER BY 1, 2, 3",
    "checkpoint": "SELECT tree_size, root_hash, signed_note FROM checkpoint ORDER BY tree_size",
    "log_state": "SELECT tree_size, root_hash FROM log_state",
    "outcome": "SELECT * FROM outcome ORDER BY issuer_id, record_id",
    "person": "SELECT learner_ref, id_type, identifier, name FROM person ORDER BY learner_ref",
    "learner_total": "SELECT * FROM learner_total ORDER BY 1, 2, 3, 4",
}


async def _everything(bank: Bank, job_ids: list[str]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    async with bank.engine.connect() as connection:
        for table, query in _TABLES.items():
            rows = (await connection.execute(sa.text(query))).all()
            seen[table] = [
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows
            ]
    for number, job_id in enumerate(job_ids):
        job = await bank.imports.find(job_id)
        assert job is not None
        seen[f"job {number}"] = (job.result, job.counts, job.first_index, job.last_index)
        seen[f"rows {number}"] = list(bank.imports.files(job_id).read_results())
    return seen


async def _import_twice(
    bank: Bank, work: Path, files: list[tuple[bytes, str]], on_error: str
) -> dict[str, Any]:
    await bank.start()
    try:
        await bank.deposits.register_issuer(issuer_registration())
        await bank.standards.publish(SAFETY)
        job_ids = []
        for number, (data, file_format) in enumerate(files):
            path = work / f"file-{number}.{file_format}"
            path.write_bytes(data)
            options = ImportOptions(issuer_id=ISSUER_ID, file_format=file_format, on_error=on_error)  # type: ignore[arg-type]
            job_ids.append((await bank.imports.run_local(options, path)).job_id)
        return await _everything(bank, job_ids)
    finally:
        await bank.engine.dispose()


def _encoded(rows: list[dict[str, str]], encoding: str) -> tuple[bytes, str]:
    if encoding == "ndjson":
        return ndjson_bytes(rows), "ndjson"
    return csv_bytes(rows, encoding=encoding), "csv"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    files=import_files(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "ndjson"]),
    on_error=st.sampled_from(["skip", "reject"]),
)
def test_every_row_path_writes_the_same_bank(
    backend: str,
    templates: Templates,
    tmp_path: Path,
    files: tuple[list[dict[str, str]], list[dict[str, str]]],
    encoding: str,
    on_error: str,
) -> None:
    """Each path imports the same two files into its own fresh database; every table, tile,
    checkpoint, row result and count is identical across the paths."""
    example = tmp_path / secrets.token_hex(4)
    keys = KeyRing.load(example / "keys", ORIGIN)
    encoded = [_encoded(rows, encoding) for rows in files]
    seen: dict[str, dict[str, Any]] = {}
    with ExitStack() as stack:
        for path in ROW_PATHS:
            url = stack.enter_context(fresh_database(backend, templates, example))
            work = example / path
            work.mkdir(parents=True)
            bank = _bank(url, keys, work / "data", path)
            seen[path] = asyncio.run(_import_twice(bank, work, encoded, on_error))
    reference = seen["reference"]
    assert reference["job 0"][1] is not None  # the import ran and counted its rows
    for path, tables in seen.items():
        for name in reference:
            assert tables[name] == reference[name], f"{path} differs from reference in {name}"
