"""An outcome serves a requirement at most once: under real concurrency, and in the database."""

from __future__ import annotations

import asyncio
import datetime
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import sqlalchemy.exc

from creditbank.learners.recognition import Candidate
from creditbank.service import recognitions as recognition_desk
from creditbank.service.bank import Bank
from creditbank.service.context import Clock
from creditbank.storage import reads
from creditbank.storage.engine import create_engine
from schemas.learners import RecognitionApplication
from tests.learners.seed import NOW, PROGRAMME, seed

DAYS = [datetime.date(2026, 3, 1), datetime.date(2026, 4, 1)]
INTRO = RecognitionApplication(programme_id=PROGRAMME.id, requirement_ids=["safety-intro"])


@pytest.fixture
def clock() -> Clock:
    """The seeded outcomes and programme are dated for this module's fixed day."""
    return lambda: NOW


async def second_bank(bank: Bank, database_url: str, tmp_path: Path) -> Bank:
    """Another service instance on the same database: its own engine and connections."""
    other = Bank(
        engine=create_engine(database_url),
        keys=bank.keys,
        pseudonymizer=bank.pseudonymizer,
        clock=lambda: NOW,
        data_dir=tmp_path / "other",
    )
    await other.start()
    return other


async def test_two_concurrent_applications_exactly_one_wins(
    bank: Bank, database_url: str, tmp_path: Path
) -> None:
    """Two service instances on one database apply for the same requirement at once, three rounds;
    each round one is granted and the other refused as already_recognised, and once every winner
    is reversed no recognition_use row is left."""
    seeded = await seed(bank, DAYS)
    other = await second_bank(bank, database_url, tmp_path)
    try:
        for _ in range(3):  # a few rounds, reversing the winner in between
            results = await asyncio.gather(
                bank.recognitions.apply(seeded.learner, seeded.learner_ref, INTRO),
                other.recognitions.apply(seeded.admin, seeded.learner_ref, INTRO),
            )
            statuses = sorted(result.decisions[0].status for result in results)
            assert statuses == ["granted", "refused"]
            loser = next(r for r in results if r.decisions[0].status == "refused")
            assert loser.decisions[0].reason == "already_recognised"
            winner = next(r for r in results if r.decisions[0].status == "granted")
            index = winner.decisions[0].index
            assert index is not None
            await bank.recognitions.reverse(index, "再来一次")
    finally:
        await other.engine.dispose()
    async with bank.engine.connect() as connection:
        uses = (await connection.execute(sa.text("SELECT count(*) FROM recognition_use"))).one()
    assert uses[0] == 0  # every round's winner was reversed


async def test_the_database_refuses_a_second_use_even_if_python_allowed_it(
    bank: Bank, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the Python checks blinded (every outcome unused, nothing recognised), a second
    application for a granted requirement fails on the database's constraint and appends nothing."""
    seeded = await seed(bank, DAYS)
    granted = await bank.recognitions.apply(seeded.learner, seeded.learner_ref, INTRO)
    assert granted.decisions[0].status == "granted"
    real = recognition_desk._candidates

    async def forgetful(*args: Any, **kwargs: Any) -> tuple[list[Candidate], set[tuple[str, str]]]:
        """The Python checks, blinded: every outcome looks unused and nothing recognised."""
        candidates, _ = await real(*args, **kwargs)
        return [replace(candidate, used_for=frozenset()) for candidate in candidates], set()

    monkeypatch.setattr(recognition_desk, "_candidates", forgetful)
    async with bank.engine.connect() as connection:
        size_before = (await reads.log_head(connection)).tree_size
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        await bank.recognitions.apply(seeded.learner, seeded.learner_ref, INTRO)
    async with bank.engine.connect() as connection:
        assert (await reads.log_head(connection)).tree_size == size_before  # nothing written


async def test_recognition_use_primary_key(bank: Bank) -> None:
    """A second recognition_use row for the same programme, requirement and outcome is refused by
    the primary key, even for another recognition."""
    async with bank.engine.connect() as connection:
        insert = sa.text(
            "INSERT INTO recognition_use (programme_id, requirement_id, outcome_index, "
            "recognition_index) VALUES ('p', 'r', 7, :recognition)"
        )
        await connection.execute(insert, {"recognition": 100})
        with pytest.raises(sqlalchemy.exc.IntegrityError):
            await connection.execute(insert, {"recognition": 101})
