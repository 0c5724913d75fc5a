"""Statistics by SQL equal the reference recount from the log's entries, at every signed size.

On both databases, over a log with a bit of everything (``varied_log``): any grouping of up to
three dimensions, under any preset's filter, at any signed size, counts the same by SQL over
the projection as by ``tabulate`` over facts rebuilt from the entries alone; a size counted
again after later writes gives the same table; erasing a person changes nothing counted.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditbank import limits
from creditbank.errors import NotFoundError, TableTooLargeError
from creditbank.keys import KeyRing
from creditbank.privacy import Pseudonymizer
from creditbank.service.bank import Bank
from creditbank.service.statistics import Verification
from creditbank.statistics.facts import DIMENSIONS, Dimension
from creditbank.statistics.reports import PRESETS
from creditbank.statistics.tables import FactFilter
from creditbank.storage.access import erase_person
from creditbank.storage.engine import create_engine
from tests.conftest import ORIGIN, Templates, fresh_database
from tests.statistics.varied_log import ADMIN, VariedLog, build

FILTERS = [FactFilter(), *{table.where for spec in PRESETS.values() for table in spec.tables}]
GROUPINGS = st.lists(st.sampled_from(DIMENSIONS), max_size=3, unique=True).map(tuple)
CASES = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@contextlib.contextmanager
def varied_bank(
    backend: str, templates: Templates, directory: Path
) -> Iterator[tuple[asyncio.Runner, Bank, VariedLog]]:
    """A bank on a fresh database holding the varied log, driven by a runner of its own so
    hypothesis can call it from a plain function."""
    with fresh_database(backend, templates, directory) as url, asyncio.Runner() as runner:
        engine = create_engine(url)
        bank = Bank(
            engine=engine,
            keys=KeyRing.load(directory / "keys", ORIGIN),
            pseudonymizer=Pseudonymizer(bytes(range(32))),
            data_dir=directory / "data",
        )
        try:
            runner.run(bank.start())
            yield runner, bank, runner.run(build(bank))
        finally:
            runner.run(engine.dispose())


def _difference(verification: Verification) -> str:
    sql, log = verification.from_projection.cells, verification.from_entries.cells
    return "; ".join(
        f"{key}: sql {sql.get(key)} log {log.get(key)}"
        for key in sorted(set(sql) | set(log))
        if sql.get(key) != log.get(key)
    )[:2000]


def test_sql_counts_equal_the_recount_from_entries(
    backend: str, templates: Templates, tmp_path: Path
) -> None:
    """Generated groupings, filters and signed sizes: the projection and the entries agree;
    the same size counted again after more writes gives the same table."""
    with varied_bank(backend, templates, tmp_path) as (runner, bank, built):
        whole = runner.run(bank.statistics.verify(("year", "sex"), FactFilter(), built.sizes[-1]))
        assert whole.agrees, _difference(whole)
        total = whole.from_projection.total()
        # The log means something: grants, recognitions and both sexes are in it.
        assert total is not None
        assert total.outcomes > 80
        assert total.credits > 0
        assert total.recognised > 0
        assert total.learners > 20

        @CASES
        @given(
            dimensions=GROUPINGS, where=st.sampled_from(FILTERS), at=st.sampled_from(built.sizes)
        )
        def agree(dimensions: tuple[Dimension, ...], where: FactFilter, at: int) -> None:
            verification = runner.run(bank.statistics.verify(dimensions, where, at))
            assert verification.agrees, (dimensions, where, at, _difference(verification))
            again = runner.run(bank.statistics.table(ADMIN, dimensions, where, at))
            assert again.provenance.tree_size == at
            assert {
                key: cell.measures
                for key, cell in again.table.cells.items()
                if cell.measures is not None
            }.items() <= verification.from_projection.cells.items()

        agree()


def test_a_size_counts_the_same_after_later_writes_and_an_erasure(
    backend: str, templates: Templates, tmp_path: Path
) -> None:
    """Counted at an early size, then again after grants, recognitions, revocations and a
    person's erasure: identical; a size the log never signed is refused."""
    with varied_bank(backend, templates, tmp_path) as (runner, bank, built):
        early = built.sizes[0]
        dimensions: tuple[Dimension, ...] = ("age_band", "sex")
        before = runner.run(bank.statistics.verify(dimensions, FactFilter(), early))
        latest_before = runner.run(bank.statistics.verify(dimensions, FactFilter()))

        async def erase() -> None:
            async with bank.engine.begin() as connection:
                assert await erase_person(connection, built.erasable)

        runner.run(erase())
        after = runner.run(bank.statistics.verify(dimensions, FactFilter(), early))
        latest_after = runner.run(bank.statistics.verify(dimensions, FactFilter()))
        assert after.from_projection == before.from_projection == before.from_entries
        assert latest_after.from_projection == latest_before.from_projection
        assert latest_after.agrees
        with pytest.raises(NotFoundError):
            runner.run(bank.statistics.table(ADMIN, dimensions, FactFilter(), early + 10**6))


def test_a_table_past_the_cells_disclosure_control_takes_is_refused(
    backend: str, templates: Templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Disclosure control's time grows with the square of the cells: a table past the limit is
    a typed refusal (422 ``table_too_large``), never minutes of a blocked service."""
    with varied_bank(backend, templates, tmp_path) as (runner, bank, _built):
        monkeypatch.setattr(limits, "statistics_cells_max", 10)
        with pytest.raises(TableTooLargeError):
            runner.run(bank.statistics.table(ADMIN, ("issuer", "sex"), FactFilter()))
        with pytest.raises(TableTooLargeError):
            runner.run(bank.statistics.report(ADMIN, "community_annual"))
        monkeypatch.setattr(limits, "statistics_cells_max", 10_000)
        assert runner.run(bank.statistics.table(ADMIN, ("issuer", "sex"), FactFilter())).table
