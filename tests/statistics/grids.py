"""Facts laid out as a table of chosen counts: every fact its own learner, so a cell's
learners are its count and hand-made tables say exactly what they hold."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Mapping, Sequence

from hypothesis import strategies as st

from creditbank.statistics.facts import Dimension, OutcomeFact
from creditbank.statistics.tables import CellKey, StatTable, tabulate

# The dimensions a grid varies, in order: their values are free text in a fact.
GRID_DIMENSIONS: tuple[Dimension, ...] = ("issuer", "district", "category")


def grid_facts(counts: Mapping[CellKey, int]) -> list[OutcomeFact]:
    """``counts[(issuer, district, category)[:width]]`` facts, one learner each."""
    facts: list[OutcomeFact] = []
    for combination, count in sorted(counts.items()):
        values = dict(zip(GRID_DIMENSIONS, combination, strict=False))
        for _ in range(count):
            number = len(facts)
            facts.append(
                OutcomeFact(
                    index=number,
                    learner_ref=f"{number:064x}",
                    completed_on=datetime.date(2025, 3, 1),
                    cap_year="2025-01-01",
                    issuer_id=values["issuer"],
                    issuer_kind="enterprise",
                    district=values.get("district"),
                    outcome_type="enterprise_training",
                    category=values.get("category"),
                    hours_tenths=80 + number % 7,
                    credits=50 * (number % 3),
                    recognised=number % 4 == 0,
                    age_band="35_44",
                    sex="female",
                )
            )
    return facts


def grid_table(rows: Sequence[Sequence[int]]) -> StatTable:
    """A two-dimensional table: issuers r0, r1, ... by districts c0, c1, ...; 0 is no cell."""
    counts: dict[CellKey, int] = {
        (f"r{r}", f"c{c}"): count
        for r, row in enumerate(rows)
        for c, count in enumerate(row)
        if count
    }
    return tabulate(grid_facts(counts), GRID_DIMENSIONS[:2])


# Counts that make small, middling and large cells, and holes.
COUNTS = (0, 1, 2, 3, 4, 5, 6, 8, 12, 30)


@st.composite
def grids(draw: st.DrawFn) -> StatTable:
    """A table of one to three dimensions of two to five values each, counts from COUNTS."""
    width = draw(st.integers(1, 3))
    sizes = [draw(st.integers(2, 5)) for _ in range(width)]
    counts = {
        tuple(f"{name[0]}{i}" for name, i in zip(GRID_DIMENSIONS, combination, strict=False)): draw(
            st.sampled_from(COUNTS)
        )
        for combination in itertools.product(*(range(size) for size in sizes))
    }
    return tabulate(grid_facts(counts), GRID_DIMENSIONS[:width])
