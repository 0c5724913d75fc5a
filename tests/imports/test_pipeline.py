"""The import pipeline end to end on both databases: classifications, modes, idempotence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa

from creditbank import limits
from creditbank.audit.replay import replay_log
from creditbank.errors import FileFormatError
from creditbank.ledger.entries import open_entry
from creditbank.service.bank import Bank
from creditbank.service.imports import pipeline as importer
from creditbank.service.imports.report import report_csv, row_page
from creditbank.storage import reads
from creditbank.storage.append import AppendStream
from creditbank.storage.staging import StagedAppend
from schemas.entries import BatchCommitted, OutcomeRecorded
from schemas.imports import ImportRow
from tests.factories import issuer_registration, resident_id
from tests.imports.files import SAFETY, csv_bytes, json_bytes, ndjson_bytes, row, run_file


@pytest.fixture
async def ready_bank(bank: Bank) -> Bank:
    await bank.deposits.register_issuer(issuer_registration())
    await bank.standards.publish(SAFETY)
    return bank


async def test_a_clean_file_commits_once_and_again_reports_exists(
    ready_bank: Bank, tmp_path: Path
) -> None:
    """A clean 300-row CSV commits all rows as one batch ending the log; importing it again commits
    nothing and reports every row as exists, and the log replays cleanly."""
    data = csv_bytes([row(serial) for serial in range(1, 301)])
    job = await run_file(ready_bank, tmp_path, data)
    assert job.error_detail is None
    assert job.result == "committed"
    assert job.counts is not None
    assert job.counts.recorded == 300
    assert job.last_index == job.first_index + 299
    again = await run_file(ready_bank, tmp_path, data)
    assert again.result == "nothing_to_commit"
    assert again.counts is not None
    assert again.counts.exists == 300
    async with ready_bank.engine.connect() as connection:
        head = await reads.log_head(connection)
    assert head.tree_size == job.batch_index + 1
    report = await replay_log(ready_bank.engine)
    assert report.differences == []


async def _log_size(bank: Bank) -> int:
    async with bank.engine.connect() as connection:
        return (await reads.log_head(connection)).tree_size


async def _table_rows(bank: Bank, table: str) -> int:
    async with bank.engine.connect() as connection:
        return (await connection.exec_driver_sql(f"SELECT count(*) FROM {table}")).scalar_one()


def _rows_by_status(bank: Bank, job_id: str) -> dict[str, list[ImportRow]]:
    found: dict[str, list[ImportRow]] = {}
    for result in bank.imports.files(job_id).read_results():
        found.setdefault(result.status, []).append(ImportRow(**msgspec.structs.asdict(result)))
    return found


async def test_every_classification_in_one_file(ready_bank: Bank, tmp_path: Path) -> None:
    """One file in skip mode puts each row class (exists, exists_with_different_content, ready,
    malformed, duplicate_in_file, no_standard, capped) on the right rows; the five new outcomes,
    no_standard and capped ones included, are recorded and the log replays cleanly."""
    banked_same, banked_other = row(1), row(2)
    await run_file(ready_bank, tmp_path, csv_bytes([banked_same, banked_other]))
    rows = [
        row(1),  # exists
        row(2, hours="24"),  # exists_with_different_content
        row(3),  # ready: 1.00 credit
        row(4, hours="abc"),  # malformed
        row(3, hours="32"),  # duplicate_in_file (its first row is above)
        row(5, course_code="OTHER-1"),  # no_standard
        *(row(10 + n, learner_id=resident_id(777), hours="48") for n in range(3)),  # 3+2+0
    ]
    job = await run_file(ready_bank, tmp_path, csv_bytes(rows), on_error="skip")
    assert job.result == "committed", job.error_detail
    found = _rows_by_status(ready_bank, job.job_id)
    assert [r.number for r in found["exists"]] == [1]
    assert found["exists"][0].index is not None
    assert [r.number for r in found["exists_with_different_content"]] == [2]
    assert [(r.number, r.field) for r in found["malformed"]] == [(4, "hours")]
    assert [(r.number, r.field) for r in found["duplicate_in_file"]] == [(5, "record_id")]
    assert [(r.number, r.credits) for r in found["no_standard"]] == [(6, None)]
    assert [(r.number, r.credits) for r in found["ready"]] == [(3, "1.00"), (7, "3.00")]
    # The per-category-per-year cap is 5: the learner's second course gets 2, the third 0.
    assert [(r.number, r.credits) for r in found["capped"]] == [(8, "2.00"), (9, "0.00")]
    assert job.counts is not None
    assert job.counts.recorded == 5
    assert job.last_index - job.first_index + 1 == 5  # type: ignore[operator]
    assert (await replay_log(ready_bank.engine)).differences == []


async def test_caps_count_what_is_already_banked(ready_bank: Bank, tmp_path: Path) -> None:
    """The yearly category cap counts credits banked by an earlier import: a learner's second
    4.00-credit row, with 4.00 already banked, is capped to 1.00."""
    learner = resident_id(555)
    await run_file(ready_bank, tmp_path, csv_bytes([row(1, learner_id=learner, hours="64")]))
    job = await run_file(ready_bank, tmp_path, csv_bytes([row(2, learner_id=learner, hours="64")]))
    found = _rows_by_status(ready_bank, job.job_id)
    assert [(r.number, r.credits) for r in found["capped"]] == [(1, "1.00")]


async def test_unknown_issuer_rows(bank: Bank, tmp_path: Path) -> None:
    """With no issuer registered, a well-formed row is counted as unknown_issuer and a malformed one
    as malformed, and nothing is committed."""
    job = await run_file(bank, tmp_path, csv_bytes([row(1), row(2, hours="x")]), on_error="skip")
    assert job.result == "nothing_to_commit"
    assert job.counts is not None
    assert (job.counts.unknown_issuer, job.counts.malformed) == (1, 1)


async def test_reject_mode_writes_nothing_when_any_row_is_wrong(
    ready_bank: Bank, tmp_path: Path
) -> None:
    """In reject mode one bad date after 20,000 good rows rejects the whole file: the log, person,
    outcome and total tables are unchanged and no rolled-back index is shown for ready rows."""
    before = (await _log_size(ready_bank), await _table_rows(ready_bank, "person"))
    rows = [row(n) for n in range(1, 20_001)]
    rows.append(row(20_001, completed_on="2026-02-30"))  # after two full chunks were added
    job = await run_file(ready_bank, tmp_path, csv_bytes(rows))
    assert job.result == "rejected"
    assert job.counts is not None
    assert (job.counts.ready + job.counts.capped, job.counts.malformed) == (20_000, 1)
    assert job.counts.recorded == 0
    after = (await _log_size(ready_bank), await _table_rows(ready_bank, "person"))
    assert after == before
    assert await _table_rows(ready_bank, "outcome") == 0
    assert await _table_rows(ready_bank, "learner_total") == 0
    page = row_page(job, ready_bank.imports.files(job.job_id), status="ready", after=0, limit=5)
    assert all(r.index is None for r in page.rows), "rolled-back indices are never shown"


async def test_dry_run_reports_awards_and_writes_nothing(ready_bank: Bank, tmp_path: Path) -> None:
    """A dry run classifies the rows and reports a ready row's credits and standard without an
    index, while the log, outcome and person tables stay unchanged."""
    size = await _log_size(ready_bank)
    job = await run_file(ready_bank, tmp_path, csv_bytes([row(1), row(2, hours="x")]), dry_run=True)
    assert job.result == "dry_run"
    assert await _log_size(ready_bank) == size
    assert await _table_rows(ready_bank, "outcome") == 0
    assert await _table_rows(ready_bank, "person") == 0
    found = _rows_by_status(ready_bank, job.job_id)
    assert [(r.credits, r.standard, r.index) for r in found["ready"]] == [
        ("1.00", "ent-safety@1", None)
    ]


async def test_the_batch_is_one_append_with_one_checkpoint(
    ready_bank: Bank, tmp_path: Path
) -> None:
    """A 9,000-row import adds exactly one checkpoint and one unsigned batch entry whose index
    range, count and file hash are the job's."""
    checkpoints = await _table_rows(ready_bank, "checkpoint")
    job = await run_file(ready_bank, tmp_path, csv_bytes([row(n) for n in range(1, 9_001)]))
    assert await _table_rows(ready_bank, "checkpoint") == checkpoints + 1
    async with ready_bank.engine.connect() as connection:
        batch = open_entry(await reads.entry(connection, job.batch_index))  # type: ignore[arg-type]
    assert isinstance(batch, BatchCommitted)
    assert (batch.first_index, batch.last_index) == (job.first_index, job.last_index)
    assert batch.counts.recorded == 9_000
    assert batch.file_sha256 == job.file_sha256
    assert batch.signature is None


@pytest.mark.parametrize(
    ("encoding", "delimiter", "chinese"),
    [
        ("utf-8", ",", True),
        ("utf-8-sig", ",", True),
        ("gb18030", ",", True),
        ("gb18030", "\t", True),
        ("utf-8", ",", False),
    ],
)
async def test_csv_encodings_and_delimiters(
    ready_bank: Bank, tmp_path: Path, encoding: str, delimiter: str, chinese: bool
) -> None:
    """CSV in UTF-8, UTF-8 with BOM or GB18030, comma- or tab-separated, with Chinese or English
    headers, commits, and a quoted title holding quotes and a comma is stored intact."""
    rows = [row(1), row(2, course_title='安全 "二期", 含换行前的逗号')]
    data = csv_bytes(rows, encoding=encoding, delimiter=delimiter, chinese=chinese)
    job = await run_file(ready_bank, tmp_path, data)
    assert job.result == "committed", job.error_detail
    async with ready_bank.engine.connect() as connection:
        entry = open_entry(await reads.entry(connection, job.last_index))  # type: ignore[arg-type]
    assert isinstance(entry, OutcomeRecorded)
    assert entry.course_title == '安全 "二期", 含换行前的逗号'


async def test_a_quoted_newline_stays_in_its_row(ready_bank: Bank, tmp_path: Path) -> None:
    """A quoted newline inside a learner name keeps the row whole (the name is folded to one
    line and the row is ready), so the rows after it keep their numbers: row 2, with a bell
    character in its title, is the malformed one and row 3 is ready."""
    rows = [row(1, learner_name="王\n五"), row(2, course_title="安全\x07"), row(3)]
    job = await run_file(ready_bank, tmp_path, csv_bytes(rows), on_error="skip")
    found = _rows_by_status(ready_bank, job.job_id)
    assert [(r.number, r.field) for r in found["malformed"]] == [(2, "course_title")]
    assert [r.number for r in found["ready"]] == [1, 3]


async def test_the_same_records_in_any_format_are_the_same_records(
    ready_bank: Bank, tmp_path: Path
) -> None:
    """Records committed from CSV are recognised as already banked when the same records come again
    as NDJSON or JSON with numeric hours and score."""
    rows = [row(n) for n in range(1, 6)]
    first = await run_file(ready_bank, tmp_path, csv_bytes(rows))
    assert first.result == "committed"
    as_json: list[dict[str, object]] = [
        {**fields, "hours": int(fields["hours"]), "score": float(fields["score"])}
        for fields in rows
    ]
    for data, file_format in ((ndjson_bytes(as_json), "ndjson"), (json_bytes(as_json), "json")):
        again = await run_file(ready_bank, tmp_path, data, file_format)  # type: ignore[arg-type]
        assert again.result == "nothing_to_commit", again.error_detail
        assert again.counts is not None
        assert again.counts.exists == 5


async def test_json_rows_name_the_field_at_fault(ready_bank: Bank, tmp_path: Path) -> None:
    """NDJSON rows with bad hours, an unknown field, another issuer's id, a missing course code, or
    an unparseable line are malformed with that field (or "line") named."""
    lines = [
        {**row(1), "hours": "16.25"},
        {**row(2), "unexpected": 1},
        {**row(3), "issuer_id": "someone-else"},
        {key: value for key, value in row(4).items() if key != "course_code"},
    ]
    data = ndjson_bytes(lines) + b"{not json\n"
    job = await run_file(ready_bank, tmp_path, data, "ndjson", on_error="skip")
    found = _rows_by_status(ready_bank, job.job_id)
    assert [(r.number, r.field) for r in found["malformed"]] == [
        (1, "hours"),
        (2, "unexpected"),
        (3, "issuer_id"),
        (4, "course_code"),
        (5, "line"),
    ]


@pytest.mark.parametrize(
    ("data", "file_format", "code"),
    [
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "csv", "not_text"),
        (b"\xff\xfe\xff\xfe\xff\xfe", "csv", "wrong_encoding"),
        ("记录编号,身份证号,姓名\r\nT-1,x,y\r\n".encode(), "csv", "missing_column"),
        (b'[{"record_id": "T-1"}, {"record_id": ', "json", "malformed_json"),
        (b"", "csv", "empty"),
        (csv_bytes([]), "csv", "empty"),  # the header row alone: a template sent back unfilled
        (b"[]", "json", "empty"),
        (b"record_id," + b"x" * (5 * 1024 * 1024), "csv", "line_too_long"),
        (b'{"record_id": "' + b"x" * (5 * 1024 * 1024), "ndjson", "line_too_long"),
    ],
)
async def test_a_file_that_is_not_what_it_claims_is_rejected_whole(
    ready_bank: Bank, tmp_path: Path, data: bytes, file_format: str, code: str
) -> None:
    """A file that is binary, wrongly encoded, missing a column, broken JSON, empty, or has an
    over-long line fails as a whole with that error code, and the log is unchanged."""
    size = await _log_size(ready_bank)
    job = await run_file(ready_bank, tmp_path, data, file_format)  # type: ignore[arg-type]
    assert (job.state, job.error_code) == ("failed", code), job.error_detail
    assert await _log_size(ready_bank) == size


async def test_a_truncated_csv_commits_only_whole_rows(ready_bank: Bank, tmp_path: Path) -> None:
    """A CSV cut mid-row ends in a short row: that row is malformed, the rest are judged."""
    data = csv_bytes([row(1), row(2)])
    job = await run_file(ready_bank, tmp_path, data[:-40], on_error="reject")
    assert job.result == "rejected"
    found = _rows_by_status(ready_bank, job.job_id)
    assert [(r.number, r.field) for r in found["malformed"]] == [(2, "row")]


async def test_a_json_report_lists_the_record_fields(ready_bank: Bank, tmp_path: Path) -> None:
    """The CSV report of an NDJSON import has the record's fields then status and error, with a
    ready row's error empty and a malformed row's error naming the field and the problem."""
    lines: list[dict[str, object]] = [dict(row(1)), {**row(2), "hours": "x"}]
    job = await run_file(ready_bank, tmp_path, ndjson_bytes(lines), "ndjson", on_error="skip")
    text = b"".join(report_csv(job, ready_bank.imports.files(job.job_id))).decode("utf-8-sig")
    header, first, second = text.splitlines()
    assert header.startswith("record_id,")
    assert header.endswith(",status,error")
    assert first.startswith("T-0000001,")
    assert first.endswith(",ready,")
    assert second.endswith(",malformed,hours: is not a number")


async def test_caps_hold_when_totals_leave_memory_mid_import(
    ready_bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With room for 2 learners, totals are stored in the transaction after every chunk and read
    back: a learner's cap still holds across chunks, and the totals match the log."""
    monkeypatch.setattr(importer, "learners_in_memory_max", 2)
    monkeypatch.setattr(importer, "import_chunk_rows", 256)
    rows = [row(n, learner_id=resident_id(n % 7), hours="32") for n in range(1, 2_001)]
    job = await run_file(ready_bank, tmp_path, csv_bytes(rows))
    assert job.result == "committed", job.error_detail
    assert job.counts is not None
    # 7 learners, 2 credits a row, a 5-credit yearly cap: 2 + 2 + 1 each, then 0.
    found = _rows_by_status(ready_bank, job.job_id)
    awarded = sum(int(r.credits.replace(".", "")) for r in found["ready"] + found["capped"])
    assert awarded == 7 * 500
    assert (await replay_log(ready_bank.engine)).differences == []


async def test_a_dry_run_spills_totals_too_and_awards_what_the_commit_does(
    ready_bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The spill lives on the reader's session, so a dry run bounds its memory the same way:
    with room for 2 learners, its row results (awards, caps) equal those of committing."""
    monkeypatch.setattr(importer, "learners_in_memory_max", 2)
    monkeypatch.setattr(importer, "import_chunk_rows", 256)
    data = csv_bytes([row(n, learner_id=resident_id(n % 7), hours="32") for n in range(1, 1_201)])
    dry = await run_file(ready_bank, tmp_path, data, dry_run=True)
    done = await run_file(ready_bank, tmp_path, data)
    assert (dry.result, done.result) == ("dry_run", "committed")

    def decided(job_id: str) -> list[tuple[str, str | None]]:
        rows = ready_bank.imports.files(job_id).read_results()
        return [(r.status, r.credits) for r in rows]

    assert decided(dry.job_id) == decided(done.job_id)
    assert any(status == "capped" for status, _ in decided(done.job_id))


async def test_a_write_failing_mid_import_leaves_nothing_and_the_same_file_then_commits(
    ready_bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer stages chunks while the next are classified; when the third chunk's write
    fails, the import fails as a whole, and again when placing the staged rows under the lock
    fails after the entries moved: no entry, outcome or person of it is left, the log verifies,
    and the same file sent again commits every row once."""
    monkeypatch.setattr(importer, "import_chunk_rows", 64)
    monkeypatch.setattr(importer, "prepare_slice_rows", 64)
    data = csv_bytes([row(n, learner_id=resident_id(n % 11)) for n in range(1, 401)])
    size_before = await _log_size(ready_bank)
    real_stage = StagedAppend.stage_people
    calls = 0

    async def failing_stage(self: StagedAppend, people: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("the database went away")
        await real_stage(self, people)

    monkeypatch.setattr(StagedAppend, "stage_people", failing_stage)
    failed = await run_file(ready_bank, tmp_path, data)
    assert (failed.state, failed.error_code) == ("failed", "internal_error")
    assert calls == 3  # the failure came mid-file, with chunks still to classify
    monkeypatch.setattr(StagedAppend, "stage_people", real_stage)

    real_add_staged = AppendStream.add_staged

    async def failing_placement(self: AppendStream, *args: Any) -> int:
        await real_add_staged(self, *args)  # the entries and outcomes are in, uncommitted
        raise RuntimeError("the database went away while placing")

    monkeypatch.setattr(AppendStream, "add_staged", failing_placement)
    failed = await run_file(ready_bank, tmp_path, data)
    assert (failed.state, failed.error_code) == ("failed", "internal_error")
    monkeypatch.setattr(AppendStream, "add_staged", real_add_staged)
    assert await _log_size(ready_bank) == size_before
    assert await _table_rows(ready_bank, "outcome") == 0
    assert await _table_rows(ready_bank, "person") == 0
    again = await run_file(ready_bank, tmp_path, data)
    assert again.result == "committed"
    assert again.counts is not None
    assert again.counts.recorded == 400
    assert (await replay_log(ready_bank.engine)).differences == []


async def test_an_import_larger_than_an_in_memory_append_commits(
    ready_bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import streams its append chunk by chunk, so the bound on appends built whole in memory
    does not apply: with that bound at 50, a 300-row file commits all 300 outcomes and its batch
    entry (a file of exactly a million rows once failed with append_too_large at the very end)."""
    monkeypatch.setattr(limits, "append_batch_entries_max", 50)
    monkeypatch.setattr(importer, "import_chunk_rows", 64)
    rows = [row(n, learner_id=resident_id(n % 9)) for n in range(1, 301)]
    job = await run_file(ready_bank, tmp_path, csv_bytes(rows))
    assert job.result == "committed", job.error_detail
    assert job.counts is not None
    assert job.counts.recorded == 300
    assert (job.first_index, job.last_index) is not None
    assert job.last_index - job.first_index + 1 == 300
    assert (await replay_log(ready_bank.engine)).differences == []


async def test_a_learner_met_again_after_a_spill_keeps_one_person_row_and_the_first_name(
    ready_bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Personal data is written once per learner (again only to add a name the first row lacked),
    and spilled totals read back with the learner's committed ones: the person table holds each
    learner once with the first name given, and the totals match a replay of the log."""
    monkeypatch.setattr(importer, "learners_in_memory_max", 1)
    monkeypatch.setattr(importer, "import_chunk_rows", 64)
    rows = [
        row(n, learner_id=resident_id(n % 5), learner_name="" if n < 10 else f"名{n % 5}")
        for n in range(1, 400)
    ]
    first = await run_file(ready_bank, tmp_path, csv_bytes(rows[:200]))
    second = await run_file(ready_bank, tmp_path, csv_bytes(rows))
    assert (first.result, second.result) == ("committed", "committed")
    async with ready_bank.engine.connect() as connection:
        people = (await connection.execute(sa.text("SELECT name FROM person"))).scalars().all()
    assert sorted(people) == [f"名{n}" for n in range(5)]
    assert (await replay_log(ready_bank.engine)).differences == []


async def test_the_report_of_a_file_that_failed_part_way_gives_the_rows_before(
    ready_bank: Bank, tmp_path: Path
) -> None:
    """A CSV that fails with line_too_long after two good rows still has a report, listing those two
    rows as ready."""
    data = csv_bytes([row(1), row(2)]) + b"T-9," + b"x" * (100 * 1024) + b"\r\n"
    job = await run_file(ready_bank, tmp_path, data)
    assert (job.state, job.error_code) == ("failed", "line_too_long")
    text = b"".join(report_csv(job, ready_bank.imports.files(job.job_id))).decode()
    assert [line.split(",")[-2] for line in text.splitlines()[1:]] == ["ready", "ready"]


async def test_there_is_no_report_of_a_file_that_is_not_text(
    ready_bank: Bank, tmp_path: Path
) -> None:
    """Asking for the report of an import that failed as not text raises FileFormatError."""
    job = await run_file(ready_bank, tmp_path, b"PK\x03\x04\x00\x00")
    with pytest.raises(FileFormatError):
        report_csv(job, ready_bank.imports.files(job.job_id))
