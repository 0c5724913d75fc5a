"""Disclosure control: no hidden value of an additive measure can be computed back.

The attacker (``recovery``) takes every line of every published table as an equation and
solves for the hidden cells exactly; a hidden value is exposed when it is determined. The
properties run on random facts, on grid-shaped tables (where the lines combine in the ways
that defeat a line-by-line rule), and on several tables published together.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from creditbank.statistics.disclosure import (
    PublishedCell,
    Reason,
    SuppressedTable,
    disclosure_k_default,
    suppress,
    suppress_linked,
)
from creditbank.statistics.facts import Dimension, OutcomeFact
from creditbank.statistics.tables import ALL, CellKey, StatTable, tabulate
from tests.statistics.grids import GRID_DIMENSIONS, grid_facts, grid_table, grids
from tests.statistics.recovery import equations, quantity, recoverable
from tests.statistics.strategies import dimension_tuples, fact_lists

# A few seconds each on two cores; the grids find the combinations of lines more often.
DISCLOSURE = settings(max_examples=200, deadline=None)
ks = st.sampled_from([2, 3, disclosure_k_default])


def primary_only(table: StatTable, k: int = disclosure_k_default) -> SuppressedTable:
    """What publishing would look like without secondary suppression."""
    return SuppressedTable(
        dimensions=table.dimensions,
        cells={
            key: PublishedCell(None, "primary") if m.learners < k else PublishedCell(m)
            for key, m in table.cells.items()
        },
        k=k,
    )


def _check_published(table: StatTable, published: SuppressedTable, k: int) -> None:
    """Every cell is there; a published one unchanged and with k learners or more; the
    primary ones exactly the small cells."""
    assert published.k == k
    assert published.dimensions == table.dimensions
    assert set(published.cells) == set(table.cells)
    for key, cell in published.cells.items():
        small = table.cells[key].learners < k
        assert (cell.reason == "primary") == small
        if cell.measures is not None:
            assert cell.measures == table.cells[key]
            assert cell.measures.learners >= k


@DISCLOSURE
@given(fact_lists(max_size=120, learners=40), dimension_tuples(1, 3), ks)
def test_no_hidden_value_can_be_recovered(
    facts: list[OutcomeFact], dimensions: tuple[Dimension, ...], k: int
) -> None:
    """Random facts, one to three dimensions: the published cells determine no hidden one."""
    table = tabulate(facts, dimensions)
    published = suppress(table, k)
    _check_published(table, published, k)
    assert recoverable([published]) == set()


@DISCLOSURE
@given(grids(), ks)
def test_no_hidden_value_can_be_recovered_from_a_grid(table: StatTable, k: int) -> None:
    """Grids of small, middling and large cells: still nothing recoverable."""
    published = suppress(table, k)
    _check_published(table, published, k)
    assert recoverable([published]) == set()


@DISCLOSURE
@given(
    fact_lists(max_size=120, learners=50),
    st.lists(dimension_tuples(0, 3), min_size=1, max_size=4),
    ks,
)
def test_tables_published_together_give_nothing_away(
    facts: list[OutcomeFact], groupings: list[tuple[Dimension, ...]], k: int
) -> None:
    """Tables of the same facts share cells (totals, margins): a quantity is hidden in all or
    in none, and all their lines together recover no hidden value."""
    tables = [tabulate(facts, dimensions) for dimensions in groupings]
    published = suppress_linked(tables, k)
    for table, shown in zip(tables, published, strict=True):
        _check_published(table, shown, k)
    states: dict[frozenset[tuple[str, str]], set[bool]] = {}
    for shown in published:
        for key, cell in shown.cells.items():
            states.setdefault(quantity(shown.dimensions, key), set()).add(cell.measures is None)
    assert all(len(state) == 1 for state in states.values())
    assert recoverable(published) == set()


def test_the_cheapest_complement_is_chosen() -> None:
    """A 2x3 table with one small cell (2 learners): its row and column each need a second
    hidden cell, and the cheapest closing rectangle is the one with 9, 7 and 8 learners, not
    the one through the column of 20 and 30; the margins stay published."""
    table = grid_table([[2, 9, 20], [7, 8, 30]])
    hidden = suppress(table).hidden()
    assert hidden == {
        ("r0", "c0"): "primary",
        ("r0", "c1"): "secondary",
        ("r1", "c0"): "secondary",
        ("r1", "c1"): "secondary",
    }


def test_a_small_margin_hides_its_line() -> None:
    """A margin below k has every cell below it below k too: all hidden, all primary."""
    table = grid_table([[1, 2], [20, 30]])
    hidden = suppress(table).hidden()
    assert hidden[("r0", ALL)] == "primary"
    assert hidden[("r0", "c0")] == hidden[("r0", "c1")] == "primary"
    assert recoverable([suppress(table)]) == set()


def _one_dimension() -> StatTable:
    return tabulate(grid_facts({("a",): 3, ("b",): 10, ("c",): 12}), ("issuer",))


def _three_dimensions() -> StatTable:
    counts: dict[CellKey, int] = {
        (f"r{r}", f"c{c}", f"k{k}"): 9 for r in range(2) for c in range(2) for k in range(2)
    }
    counts[("r0", "c0", "k0")] = 2
    return tabulate(grid_facts(counts), GRID_DIMENSIONS)


@pytest.mark.parametrize(
    "table",
    [_one_dimension(), grid_table([[2, 9, 20], [7, 8, 30]]), _three_dimensions()],
    ids=["1d", "2d", "3d"],
)
def test_without_secondary_suppression_the_small_cell_is_recovered(table: StatTable) -> None:
    """The check has teeth: hiding only the small cell lets the attacker compute it (its
    margin minus the others), and secondary suppression is what stops that."""
    small = {quantity(table.dimensions, key) for key, m in table.cells.items() if m.learners < 5}
    assert recoverable([primary_only(table)]) == small
    assert recoverable([suppress(table)]) == set()


def test_the_property_would_catch_primary_only_suppression() -> None:
    """Run against primary suppression alone, the grid property finds a counterexample."""
    exposed = find(
        grids(),
        lambda table: bool(recoverable([primary_only(table)])),
        settings=settings(max_examples=500, database=None),
    )
    assert recoverable([primary_only(exposed)])


# Four issuers by five districts. The line rule alone (every line 0 or at least 2 hidden)
# ends with two hidden cycles joined through row r0: the lines are satisfied, yet adding rows
# and subtracting columns leaves (r0, c1) alone. The audit hides one more cell.
BRIDGE = [[30, 5, 6, 6, 20], [30, 10, 0, 20, 5], [10, 10, 2, 8, 30], [8, 1, 20, 30, 1]]
LINES_ONLY_HIDDEN: set[CellKey] = {
    ("r0", "c1"), ("r0", "c2"), ("r0", "c3"), ("r1", "c1"), ("r1", "c4"),
    ("r2", "c2"), ("r2", "c3"), ("r3", "c1"), ("r3", "c4"),
}  # fmt: skip


def _hiding(table: StatTable, keys: set[CellKey]) -> SuppressedTable:
    return SuppressedTable(
        dimensions=table.dimensions,
        cells={
            key: PublishedCell(None, "secondary") if key in keys else PublishedCell(m)
            for key, m in table.cells.items()
        },
        k=disclosure_k_default,
    )


def _line_counts(published: SuppressedTable) -> list[int]:
    hidden = {quantity(published.dimensions, k) for k in published.hidden()}
    return [sum(q in hidden for q in line) for line in equations([published])]


def test_lines_alone_are_not_enough() -> None:
    """Every line of the line rule's result has 0 or at least 2 hidden cells, and still a
    hidden value follows from combining lines; suppress() leaves nothing recoverable."""
    table = grid_table(BRIDGE)
    lines_only = _hiding(table, LINES_ONLY_HIDDEN)
    assert all(count != 1 for count in _line_counts(lines_only))
    assert recoverable([lines_only]) == {quantity(table.dimensions, ("r0", "c1"))}
    published = suppress(table)
    assert recoverable([published]) == set()
    assert all(count != 1 for count in _line_counts(published))


@pytest.mark.parametrize(("learners", "hidden"), [(4, True), (5, False)])
def test_no_dimensions_primary_only(learners: int, hidden: bool) -> None:
    """A table of just its grand total: hidden below k, published at k."""
    table = tabulate(grid_facts({("a",): learners}), ())
    assert (suppress(table).cells[()].measures is None) == hidden


def test_k_of_one_hides_nothing() -> None:
    """With k = 1 no present cell is small; absent cells stay absent (a known zero)."""
    table = grid_table([[1, 0], [2, 3]])
    published = suppress(table, 1)
    assert published.hidden() == {}
    assert ("r0", "c1") not in published.cells


@given(grids())
@settings(max_examples=30, deadline=None)
def test_suppression_is_deterministic(table: StatTable) -> None:
    """The same table is always suppressed the same way."""
    assert suppress(table) == suppress(table)


def _sequence(published: Sequence[SuppressedTable]) -> list[dict[CellKey, Reason]]:
    return [table.hidden() for table in published]


def test_a_table_alone_and_linked_to_itself_agree() -> None:
    """Publishing a table twice hides the same cells as publishing it once."""
    table = grid_table(BRIDGE)
    assert _sequence(suppress_linked([table, table])) == _sequence([suppress(table)] * 2)
