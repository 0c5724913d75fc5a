"""Group commit: concurrent single writes share a transaction and a checkpoint, and the log they
make is the log of a serial order, on both databases.

The property sends generated deposits (repeats, conflicting resends, unknown issuers, one
learner's outcomes running into a cap) concurrently, in a generated interleaving, to one bank;
then sends the same deposits one at a time, in the order the first bank gave them indices, to a
fresh bank with the same clock, keys and secret. Every answer and every entry must agree.
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditbank.errors import (
    CreditbankError,
    ExistsWithDifferentContentError,
    UnknownIssuerError,
)
from creditbank.keys import KeyRing
from creditbank.privacy import Pseudonymizer
from creditbank.service.bank import Bank
from creditbank.storage import reads
from creditbank.storage.engine import create_engine
from creditbank.storage.integrity import check_head
from creditbank.storage.tables import checkpoint, learner_total
from creditbank.tokens import Principal
from schemas.standards import Caps
from tests.conftest import ORIGIN, Templates, fresh_database
from tests.factories import issuer_registration, outcome_record, resident_id
from tests.learners.seed import ISSUER_ID, NOW, SAFETY

ISSUER = Principal(role="issuer", issuer_id=ISSUER_ID)
# 16 hours earn 1.00 credit, at most 3.00 a year: a learner's fourth outcome of a year is capped.
CAPPED = msgspec.structs.replace(SAFETY, caps=Caps(per_category_per_year=decimal.Decimal("3")))


async def _open(url: str, keys_dir: Path, data_dir: Path) -> Bank:
    bank = Bank(
        engine=create_engine(url),
        keys=KeyRing.load(keys_dir, ORIGIN),
        pseudonymizer=Pseudonymizer(bytes(range(32))),
        clock=lambda: NOW,
        data_dir=data_dir,
    )
    await bank.start()
    await bank.deposits.register_issuer(issuer_registration(ISSUER_ID))
    await bank.standards.publish(CAPPED)
    return bank


async def _deposit(bank: Bank, record: Any, delay: float = 0.0) -> object:
    """The answer to one deposit: the accepted struct, or the typed error's (code, index)."""
    if delay:
        await asyncio.sleep(delay)
    try:
        return await bank.deposits.record_outcome(ISSUER, record)
    except CreditbankError as error:
        return (error.code, getattr(error, "index", None))


async def _entries(bank: Bank) -> list[bytes]:
    async with bank.engine.connect() as connection:
        size = (await reads.log_head(connection)).tree_size
        return await reads.entries(connection, 0, size)


async def _totals(bank: Bank) -> list[tuple[Any, ...]]:
    async with bank.engine.connect() as connection:
        rows = await connection.execute(sa.select(learner_total).order_by(*learner_total.c))
        return [tuple(row) for row in rows]


def _record(serial: int, learner: int, hours: str = "16.0", issuer: str = ISSUER_ID) -> Any:
    return outcome_record(
        serial,
        issuer_id=issuer,
        hours=hours,
        learner_id=resident_id(learner),
        completed_on=datetime.date(2026, 3, 1 + serial % 27),
    )


async def test_concurrent_deposits_share_groups_and_checkpoints(bank: Bank) -> None:
    """Sixty deposits sent at once land in fewer groups than deposits, each group one
    checkpoint, with contiguous indices and a head that verifies."""
    await bank.deposits.register_issuer(issuer_registration(ISSUER_ID))
    groups_before = bank.context.committer.groups
    answers = await asyncio.gather(
        *(bank.deposits.record_outcome(ISSUER, _record(n, n)) for n in range(60))
    )
    groups = bank.context.committer.groups - groups_before
    assert sorted(answer.index for answer in answers) == list(range(1, 61))
    assert {answer.status for answer in answers} == {"recorded"}
    assert groups < 60 / 4, groups  # the first goes alone; the rest gather behind it
    async with bank.engine.connect() as connection:
        checkpoints = (
            await connection.execute(sa.select(sa.func.count()).select_from(checkpoint))
        ).scalar_one()
    # The empty log's checkpoint, the issuer's, then one per group of deposits.
    assert checkpoints == 2 + groups
    await check_head(bank.engine, bank.keys)


async def test_one_bad_request_never_fails_its_neighbours(bank: Bank) -> None:
    """In one group: an unknown issuer, a resend, and a resend with other content each get
    their own answer; the good deposits around them are recorded."""
    await bank.deposits.register_issuer(issuer_registration(ISSUER_ID))
    first = await bank.deposits.record_outcome(ISSUER, _record(1, 1))
    others = Principal(role="issuer", issuer_id="nobody")
    answers = await asyncio.gather(
        _deposit(bank, _record(2, 2)),
        bank.deposits.record_outcome(others, _record(3, 3, issuer="nobody")),
        _deposit(bank, _record(1, 1)),  # the same record again: exists
        _deposit(bank, _record(1, 1, hours="8.0")),  # other content: a conflict
        _deposit(bank, _record(4, 4)),
        _deposit(bank, _record(4, 4)),  # twice in the same group: the second is exists
        return_exceptions=True,
    )
    good, unknown, again, conflict, fourth, fourth_again = answers
    assert isinstance(unknown, UnknownIssuerError)
    assert getattr(good, "status", None) == "recorded"
    assert (getattr(again, "status", None), getattr(again, "index", None)) == (
        "exists",
        first.index,
    )
    assert conflict == (ExistsWithDifferentContentError.code, first.index)
    assert getattr(fourth, "status", None) == "recorded"
    assert (getattr(fourth_again, "status", None), getattr(fourth_again, "index", None)) == (
        "exists",
        getattr(fourth, "index", None),
    )
    assert len(await _entries(bank)) == 4  # the issuer and three new records


# The property ---------------------------------------------------------------------------------

DEPOSITS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=7),  # record serial: repeats are resends
        st.integers(min_value=0, max_value=2),  # learner: three learners share the caps
        st.sampled_from(["16.0", "32.0", "8.0"]),  # a changed hours is a conflicting resend
        st.sampled_from([ISSUER_ID] * 6 + ["unregistered"]),
        st.sampled_from([0.0, 0.0, 0.0005, 0.002]),  # when the request arrives
    ),
    min_size=1,
    max_size=24,
)


@pytest.fixture
def databases(backend: str, templates: Templates) -> Callable[[Path], tuple[ExitStack, list[str]]]:
    """Two fresh databases of the backend per hypothesis example, dropped when its stack closes."""

    def pair(directory: Path) -> tuple[ExitStack, list[str]]:
        stack = ExitStack()
        urls = [stack.enter_context(fresh_database(backend, templates, directory)) for _ in "ab"]
        return stack, urls

    return pair


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(deposits=DEPOSITS)
def test_any_interleaving_gives_the_log_of_a_serial_order(
    databases: Any, tmp_path_factory: pytest.TempPathFactory, deposits: list[Any]
) -> None:
    """Concurrent deposits, in any interleaving, give the same entries, totals and answers as
    the same deposits sent one at a time in the order of the indices they were given."""
    directory = tmp_path_factory.mktemp("interleaving")
    stack, (concurrent_url, serial_url) = databases(directory)
    with stack:
        asyncio.run(_compare(deposits, concurrent_url, serial_url, directory))


async def _compare(
    deposits: list[Any], concurrent_url: str, serial_url: str, directory: Path
) -> None:
    records = [
        _record(serial, learner, hours, issuer) for serial, learner, hours, issuer, _ in deposits
    ]
    delays = [delay for *_, delay in deposits]
    keys = directory / "keys"
    concurrent = await _open(concurrent_url, keys, directory / "a")
    serial = await _open(serial_url, keys, directory / "b")
    try:
        answers = await asyncio.gather(
            *(
                _deposit(concurrent, record, delay)
                for record, delay in zip(records, delays, strict=True)
            )
        )
        # The serial order: the recorded deposits by the index each was given, then the rest
        # (a resend, a conflict or a refusal changes nothing, wherever it falls).
        recorded = sorted(
            (answer.index, number)
            for number, answer in enumerate(answers)
            if getattr(answer, "status", None) == "recorded"
        )
        order = [number for _, number in recorded]
        order += [number for number in range(len(records)) if number not in set(order)]
        serial_answers: dict[int, object] = {}
        for number in order:
            serial_answers[number] = await _deposit(serial, records[number])
        assert [serial_answers[n] for n in range(len(records))] == answers
        assert await _entries(serial) == await _entries(concurrent)
        assert await _totals(serial) == await _totals(concurrent)
        await check_head(concurrent.engine, concurrent.keys)
    finally:
        await concurrent.engine.dispose()
        await serial.engine.dispose()
