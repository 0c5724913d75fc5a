"""The reference tabulation against a naive recomputation, cell by cell."""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.statistics.facts import ELDERLY_BANDS, Dimension, OutcomeFact, dimension_value
from creditbank.statistics.tables import (
    ADDITIVE_MEASURES,
    ALL,
    CellKey,
    FactFilter,
    Measures,
    StatTable,
    tabulate,
)
from tests.statistics.strategies import (
    ISSUERS,
    OUTCOME_TYPES,
    dimension_tuples,
    fact_lists,
    outcome_facts,
)

TABLES = settings(max_examples=150, deadline=None)


def _filters() -> st.SearchStrategy[FactFilter]:
    def some(values: Sequence[str]) -> st.SearchStrategy[frozenset[str] | None]:
        return st.none() | st.frozensets(st.sampled_from(sorted(values)))

    return st.builds(
        FactFilter,
        issuer_kinds=some(sorted(set(ISSUERS.values()))),
        outcome_types=some(OUTCOME_TYPES),
        age_bands=some(sorted(ELDERLY_BANDS | {"under_35", "unknown"})),
        years=some(["2024", "2025"]),
    )


def _in_cell(fact: OutcomeFact, dimensions: tuple[Dimension, ...], key: CellKey) -> bool:
    return all(
        value == ALL or dimension_value(fact, dimension) == value
        for dimension, value in zip(dimensions, key, strict=True)
    )


def _naive(facts: list[OutcomeFact]) -> Measures:
    return Measures(
        learners=len({fact.learner_ref for fact in facts}),
        outcomes=len(facts),
        hours_tenths=sum(fact.hours_tenths for fact in facts),
        credits=sum(fact.credits for fact in facts),
        recognised=sum(1 for fact in facts if fact.recognised),
    )


@TABLES
@given(fact_lists(), dimension_tuples(), _filters())
def test_every_cell_is_what_filtering_the_facts_gives(
    facts: list[OutcomeFact], dimensions: tuple[Dimension, ...], where: FactFilter
) -> None:
    """Each cell, margins included, equals the measures of exactly the facts it describes,
    and the cells are exactly the keys (with margins) of the facts the filter keeps."""
    table = tabulate(facts, dimensions, where=where)
    kept = [fact for fact in facts if where.matches(fact)]
    expected_keys = {
        tuple(v if keep else ALL for v, keep in zip(values, mask, strict=True))
        for fact in kept
        for values in [tuple(dimension_value(fact, d) for d in dimensions)]
        for mask in itertools.product((True, False), repeat=len(dimensions))
    }
    assert set(table.cells) == expected_keys
    for key, measures in table.cells.items():
        assert measures == _naive([fact for fact in kept if _in_cell(fact, dimensions, key)])


def _lines(table: StatTable) -> list[tuple[CellKey, list[CellKey]]]:
    found = []
    for axis in range(len(table.dimensions)):
        for margin in table.cells:
            if margin[axis] == ALL:
                children = [
                    key
                    for key in table.cells
                    if key[axis] != ALL
                    and all(key[i] == margin[i] for i in range(len(key)) if i != axis)
                ]
                found.append((margin, children))
    return found


@TABLES
@given(fact_lists(), dimension_tuples(1, 3))
def test_margins_add_up_and_count_learners_once(
    facts: list[OutcomeFact], dimensions: tuple[Dimension, ...]
) -> None:
    """Along every line the margin is the sum of its cells for the additive measures; its
    learners are at least the largest cell's and at most the sum (one person in two cells is
    one learner)."""
    table = tabulate(facts, dimensions)
    for margin, children in _lines(table):
        assert children, "a margin with facts has cells below it"
        total, cells = table.cells[margin], [table.cells[c] for c in children]
        for measure in ADDITIVE_MEASURES:
            assert total.value(measure) == sum(cell.value(measure) for cell in cells)
        assert max(c.learners for c in cells) <= total.learners <= sum(c.learners for c in cells)


@TABLES
@given(fact_lists(), dimension_tuples())
def test_measures_are_never_negative_and_cells_never_empty(
    facts: list[OutcomeFact], dimensions: tuple[Dimension, ...]
) -> None:
    """No measure is negative; every cell has a learner; learners and recognitions are at
    most the outcomes."""
    for measures in tabulate(facts, dimensions).cells.values():
        assert min(measures.value(m) for m in ("learners", *ADDITIVE_MEASURES)) >= 0
        assert 1 <= measures.learners <= measures.outcomes
        assert measures.recognised <= measures.outcomes


@TABLES
@given(fact_lists(), dimension_tuples(), st.randoms(use_true_random=False))
def test_the_order_of_the_facts_does_not_matter(
    facts: list[OutcomeFact], dimensions: tuple[Dimension, ...], shuffler: random.Random
) -> None:
    """A table compares equal whatever order its facts came in, as a SQL result may."""
    shuffled = list(facts)
    shuffler.shuffle(shuffled)
    assert tabulate(shuffled, dimensions) == tabulate(facts, dimensions)


@given(outcome_facts())
def test_no_dimensions_is_the_grand_total(fact: OutcomeFact) -> None:
    """With no dimension the table is one cell, keyed by the empty tuple."""
    table = tabulate([fact, dataclasses.replace(fact, index=1)], ())
    assert set(table.cells) == {()}
    assert table.total() == table.cells[()]
    assert table.cells[()].outcomes == 2


def test_no_facts_no_cells() -> None:
    """Nothing counted: not even a grand total of zeros (a reader knows absent is zero)."""
    table = tabulate([], ("year",))
    assert table.cells == {}
    assert table.total() is None


@given(outcome_facts())
def test_filter_conditions_and_matching(fact: OutcomeFact) -> None:
    """A filter restricts by set membership; None restricts nothing; an empty set keeps
    nothing; conditions name the dimension each field restricts."""
    assert FactFilter().matches(fact)
    assert FactFilter().conditions() == ()
    assert not FactFilter(years=frozenset()).matches(fact)
    same_kind = FactFilter(issuer_kinds=frozenset({fact.issuer_kind}))
    assert same_kind.matches(fact)
    assert same_kind.conditions() == (("issuer_kind", frozenset({fact.issuer_kind})),)
    year = str(fact.completed_on.year)
    assert FactFilter(years=frozenset({year}), age_bands=frozenset({fact.age_band})).matches(fact)
    assert not FactFilter(outcome_types=frozenset({"no-such-type"})).matches(fact)


def test_a_filter_takes_frozensets() -> None:
    """A bare string would filter by its characters: refused."""
    with pytest.raises(AssertionError):
        FactFilter(years="2025")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "dimensions",
    [("year", "year"), ("year", "sex", "issuer", "district"), ("colour",)],
)
def test_bad_groupings_are_refused(dimensions: tuple[Dimension, ...]) -> None:
    """At most three dimensions, none repeated, each a real one."""
    with pytest.raises(AssertionError):
        tabulate([], dimensions)


@given(outcome_facts())
def test_a_value_spelled_like_the_margin_is_refused(fact: OutcomeFact) -> None:
    """A district named "*" would merge into the margin: tabulate refuses it instead."""
    with pytest.raises(ValueError, match="margin sentinel"):
        tabulate([dataclasses.replace(fact, district=ALL)], ("district",))
