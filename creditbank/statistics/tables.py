"""The table model and the reference tabulation: facts grouped by up to three dimensions.

A ``StatTable`` holds every combination of dimension values present in the facts and every
margin (some dimensions replaced by ``ALL``), so a published table carries its own totals and a
reader can check them. ``tabulate`` is the reference: one pass over the facts, a set of learner
references per cell. The SQL path must produce an equal ``StatTable`` (plain dataclasses, ``==``
compares every cell), which is why nothing here is more than values, tuples and dicts.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

from creditbank.statistics.facts import DIMENSIONS, Dimension, OutcomeFact, dimension_value

__all__ = [
    "ADDITIVE_MEASURES",
    "ALL",
    "EVERYTHING",
    "MEASURES",
    "CellKey",
    "FactFilter",
    "Measures",
    "StatTable",
    "group_dimensions_max",
    "margin_masks",
    "tabulate",
]

# Three dimensions are enough for every return the district files (year x district x band, at
# most), and they keep a table's margins (2^3 combinations per fact) and its lines small.
group_dimensions_max: Final = 3
# A margin's value along a dimension. No code is "*": issuer ids start with a letter or digit,
# and a district or category spelled "*" is refused by ``tabulate`` rather than merged into it.
ALL: Final = "*"

CellKey = tuple[str, ...]

# Measures that add up along a line (a margin is the sum of its cells); learners do not: one
# person in two cells is one learner in their margin.
ADDITIVE_MEASURES: Final = ("outcomes", "hours_tenths", "credits", "recognised")
MEASURES: Final = ("learners", *ADDITIVE_MEASURES)


@dataclass(frozen=True, slots=True)
class Measures:
    """What one cell counts."""

    learners: int  # distinct learner_refs
    outcomes: int  # 人次: live outcomes
    hours_tenths: int  # sum of hours, scale 1 ("16.0" is 160)
    credits: int  # sum of credits held, hundredths
    recognised: int  # outcomes used by a recognition in force

    def value(self, measure: str) -> int:
        """One measure by name (one of ``MEASURES``)."""
        assert measure in MEASURES, f"not a measure: {measure}"
        value: int = getattr(self, measure)
        return value


def _check_dimensions(dimensions: tuple[Dimension, ...]) -> None:
    assert len(dimensions) <= group_dimensions_max, f"too many dimensions: {dimensions}"
    assert len(set(dimensions)) == len(dimensions), f"a dimension repeats: {dimensions}"
    assert all(d in DIMENSIONS for d in dimensions), f"not a dimension: {dimensions}"


@dataclass(frozen=True, slots=True)
class StatTable:
    """Cells by key: one value (or ``ALL``) per dimension, in the order of ``dimensions``.

    Every combination present in the facts appears, and every margin of one; a combination
    without a fact does not (a reader knows it is zero). The cells are a plain dict so a table
    built by SQL compares equal to the reference whatever the insertion order.
    """

    dimensions: tuple[Dimension, ...]
    cells: Mapping[CellKey, Measures] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_dimensions(self.dimensions)
        width = len(self.dimensions)
        assert all(len(key) == width for key in self.cells), "a key does not fit the dimensions"

    def total(self) -> Measures | None:
        """The grand total, None when the table counts nothing."""
        return self.cells.get((ALL,) * len(self.dimensions))


@dataclass(frozen=True, slots=True)
class FactFilter:
    """Which facts a table counts: set membership on dimension values, all conditions at once.

    None leaves a dimension unrestricted; an empty set matches nothing. Values are the codes
    ``dimension_value`` gives (years as text, "2025"), so the SQL path can turn each field into
    ``column IN (...)`` on the same values.
    """

    issuer_kinds: frozenset[str] | None = None
    outcome_types: frozenset[str] | None = None
    age_bands: frozenset[str] | None = None
    years: frozenset[str] | None = None

    def __post_init__(self) -> None:
        for _, allowed in self.conditions():
            # A bare string would be a set of its characters; a list would not be hashable.
            assert isinstance(allowed, frozenset), f"a filter takes frozensets: {allowed!r}"
            assert all(isinstance(v, str) for v in allowed), f"values are text: {allowed!r}"

    def conditions(self) -> tuple[tuple[Dimension, frozenset[str]], ...]:
        """The restricted dimensions and their allowed values, for a SQL ``WHERE``."""
        fields: tuple[tuple[Dimension, frozenset[str] | None], ...] = (
            ("issuer_kind", self.issuer_kinds),
            ("outcome_type", self.outcome_types),
            ("age_band", self.age_bands),
            ("year", self.years),
        )
        return tuple((dimension, allowed) for dimension, allowed in fields if allowed is not None)

    def matches(self, fact: OutcomeFact) -> bool:
        return all(
            dimension_value(fact, dimension) in allowed for dimension, allowed in self.conditions()
        )


EVERYTHING: Final = FactFilter()


def margin_masks(width: int) -> tuple[tuple[bool, ...], ...]:
    """Which positions a fact's key keeps (True) or replaces by ``ALL``: all 2^width choices."""
    return tuple(itertools.product((True, False), repeat=width))


class _Accumulator:
    """A cell being counted: the learners as a set, the additive measures as sums."""

    __slots__ = ("credits", "hours_tenths", "learners", "outcomes", "recognised")

    def __init__(self) -> None:
        self.learners: set[str] = set()
        self.outcomes = 0
        self.hours_tenths = 0
        self.credits = 0
        self.recognised = 0

    def add(self, fact: OutcomeFact) -> None:
        self.learners.add(fact.learner_ref)
        self.outcomes += 1
        self.hours_tenths += fact.hours_tenths
        self.credits += fact.credits
        self.recognised += int(fact.recognised)

    def measures(self) -> Measures:
        return Measures(
            learners=len(self.learners),
            outcomes=self.outcomes,
            hours_tenths=self.hours_tenths,
            credits=self.credits,
            recognised=self.recognised,
        )


def _fact_key(fact: OutcomeFact, dimensions: tuple[Dimension, ...]) -> CellKey:
    key = tuple(dimension_value(fact, dimension) for dimension in dimensions)
    if ALL in key:
        raise ValueError(f"a dimension value is the margin sentinel {ALL!r}: {key}")
    return key


def _keys_of(key: CellKey, masks: tuple[tuple[bool, ...], ...]) -> Iterator[CellKey]:
    for mask in masks:
        yield tuple(value if keep else ALL for value, keep in zip(key, mask, strict=True))


def tabulate(
    facts: Iterable[OutcomeFact],
    dimensions: tuple[Dimension, ...],
    *,
    where: FactFilter = EVERYTHING,
) -> StatTable:
    """Group the facts ``where`` selects by ``dimensions``, with every margin, in one pass."""
    _check_dimensions(dimensions)
    masks = margin_masks(len(dimensions))
    cells: dict[CellKey, _Accumulator] = {}
    for fact in facts:
        if not where.matches(fact):
            continue
        for key in _keys_of(_fact_key(fact, dimensions), masks):
            accumulator = cells.get(key)
            if accumulator is None:
                accumulator = cells[key] = _Accumulator()
            accumulator.add(fact)
    return StatTable(
        dimensions=dimensions,
        cells={key: cells[key].measures() for key in sorted(cells)},
    )
