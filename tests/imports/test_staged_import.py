"""A committing import no longer stalls the bank: it classifies and stages without the log's
lock, and takes the lock only to place what it staged. Writes that land meanwhile either leave
the staged decisions standing (the import is placed after them, its indices shifted) or moved
something the import decided on, and then it classifies again under the lock: every outcome is
that of a serial order, on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa

from creditbank.audit.replay import replay_log
from creditbank.ledger.entries import open_entry
from creditbank.service.bank import Bank
from creditbank.service.imports import pipeline
from creditbank.storage import reads
from creditbank.storage.staging import StagedAppend
from creditbank.storage.tables import learner_total
from creditbank.tokens import Principal
from schemas.entries import OutcomeRecorded
from schemas.standards import Standard
from tests.factories import issuer_registration, outcome_record, resident_id
from tests.imports.files import ISSUER_ID, SAFETY, csv_bytes, row, run_file

ROWS = 300
OTHER = "other-enterprise"


@pytest.fixture
async def ready_bank(bank: Bank) -> Bank:
    await bank.deposits.register_issuer(issuer_registration())
    await bank.deposits.register_issuer(issuer_registration(OTHER))
    await bank.standards.publish(SAFETY)
    return bank


def before_placing(
    monkeypatch: pytest.MonkeyPatch, write: Callable[[], Awaitable[object]]
) -> list[object]:
    """Run ``write`` once, while a staged import has staged every row but not taken the lock;
    its answer goes in the returned list. A write that waited for the import's lock would
    never finish: the timeout turns that into a failure instead of a hang."""
    answers: list[object] = []
    real_finish = pipeline._Database.finish

    async def finish(self: Any) -> None:
        await real_finish(self)
        if not answers and isinstance(self.run.stream, StagedAppend):
            answers.append(await asyncio.wait_for(write(), timeout=30))

    monkeypatch.setattr(pipeline._Database, "finish", finish)
    return answers


def _file() -> bytes:
    return csv_bytes([row(n, learner_id=resident_id(n % 40)) for n in range(1, ROWS + 1)])


async def _entries(bank: Bank, first: int, last: int) -> list[OutcomeRecorded]:
    async with bank.engine.connect() as connection:
        bodies = await reads.entries(connection, first, last + 1)
    decoded = [open_entry(body) for body in bodies]
    assert all(isinstance(entry, OutcomeRecorded) for entry in decoded)
    return decoded  # type: ignore[return-value]


async def test_a_deposit_during_an_import_is_not_held_and_the_import_goes_after_it(
    ready_bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another issuer's deposit made while the import stages is recorded at once (the import
    holds no lock); the import is placed after it, and its report's indices are the entries'
    real ones, shifted past the deposit."""
    size = (await ready_bank.log.health()).tree_size
    other = Principal(role="issuer", issuer_id=OTHER)
    answers = before_placing(
        monkeypatch,
        lambda: ready_bank.deposits.record_outcome(
            other, outcome_record(1, issuer_id=OTHER, learner_id=resident_id(900))
        ),
    )
    job = await run_file(ready_bank, tmp_path, _file())
    (deposit,) = answers
    assert getattr(deposit, "index", None) == size  # it went first, while the import staged
    assert (job.result, job.first_index, job.last_index) == ("committed", size + 1, size + ROWS)
    rows = [r for r in ready_bank.imports.files(job.job_id).read_results() if r.index is not None]
    assert len(rows) == ROWS
    assert job.first_index is not None
    assert job.last_index is not None
    entries = await _entries(ready_bank, job.first_index, job.last_index)
    by_index = {job.first_index + n: entry.record_id for n, entry in enumerate(entries)}
    assert all(by_index[result.index] == result.record_id for result in rows)  # type: ignore[index]
    assert (await replay_log(ready_bank.engine)).differences == []


async def test_a_record_of_the_file_deposited_meanwhile_is_decided_as_in_a_serial_order(
    ready_bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record id of the file deposited while the import staged: the staged decisions no
    longer hold, so the import classifies again under the lock, where that row is ``exists``
    (same content) and every other row is recorded once."""
    issuer = Principal(role="issuer", issuer_id=ISSUER_ID)
    first_row = row(1, learner_id=resident_id(1))
    record = msgspec.convert(
        {**first_row, "issuer_id": ISSUER_ID}, type=type(outcome_record(1)), strict=False
    )
    answers = before_placing(
        monkeypatch, lambda: ready_bank.deposits.record_outcome(issuer, record)
    )
    job = await run_file(ready_bank, tmp_path, _file())
    assert getattr(answers[0], "status", None) == "recorded"
    assert job.result == "committed"
    assert job.counts is not None
    statuses = {r.number: r.status for r in ready_bank.imports.files(job.job_id).read_results()}
    assert statuses[1] == "exists"
    assert job.counts.recorded == ROWS - 1
    assert (await replay_log(ready_bank.engine)).differences == []


async def test_a_learner_credited_meanwhile_counts_toward_the_imports_caps(
    ready_bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deposit with an award for a learner of the file, while it staged: the import's caps
    must count it, so the import classifies again under the lock; no learner's yearly total
    passes the standard's cap."""
    other = Principal(role="issuer", issuer_id=OTHER)
    deposit = outcome_record(
        2, issuer_id=OTHER, learner_id=resident_id(3), course_code="SAFE-9", hours="64.0"
    )
    answers = before_placing(
        monkeypatch, lambda: ready_bank.deposits.record_outcome(other, deposit)
    )
    job = await run_file(ready_bank, tmp_path, _file())
    assert getattr(getattr(answers[0], "award", None), "credits", None) is not None
    assert job.result == "committed"
    cap = SAFETY.caps.per_category_per_year
    assert cap is not None
    async with ready_bank.engine.connect() as connection:
        totals = (await connection.execute(sa.select(learner_total.c.credits))).scalars().all()
    assert max(totals) <= int(cap * 100)
    assert (await replay_log(ready_bank.engine)).differences == []


async def test_a_standard_published_meanwhile_reclassifies_under_the_lock(
    ready_bank: Bank, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The standards in force changed while the import staged: it classifies again under the
    lock, with the new standard deciding the rows it applies to."""
    newer: Standard = msgspec.structs.replace(SAFETY, version=2, precedence=1)
    before_placing(monkeypatch, lambda: ready_bank.standards.publish(newer))
    job = await run_file(ready_bank, tmp_path, _file())
    assert job.result == "committed"
    decided = {r.standard for r in ready_bank.imports.files(job.job_id).read_results()}
    assert decided == {f"{SAFETY.id}@2"}
    assert (await replay_log(ready_bank.engine)).differences == []
