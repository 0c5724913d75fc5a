"""The cheapest set of extra cells that makes one hidden cell unrecoverable within its table.

Pick, along every dimension of a table, the cell's own value and one other (a value or ``ALL``);
the 2^d cells at those coordinates form a cube. Giving its cells alternating signs (a sign flips
between two values, not between a value and ``ALL``, since a margin enters its line with the
opposite sign of its cells) changes no line's sum: every line through the cube meets it in two
cells that cancel. So with the whole cube hidden, the cell's value can move without any
published number changing, and no combination of lines can pin it. This is the hypercube
method of tau-ARGUS (GHMITER), without its interval protection: here only exact recovery counts.

A cube always exists: along a dimension where the cell has a value, the partner ``ALL`` (its
margins are present); where it has ``ALL``, the values of any fact-bearing cell below it. The
cheapest cube hides the fewest learners that are still published.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator
from typing import Final

from creditbank.statistics.lines import Linkage
from creditbank.statistics.tables import ALL, CellKey

__all__ = ["cheapest_cube", "cube_partners_max"]

# Partners tried per dimension before the exhaustive search: the cheapest cube almost always
# pairs the cell with cheap neighbours, and 4 (+ ALL) per dimension is 125 cubes in three
# dimensions instead of (issuers x categories x bands) for a wide, sparse table.
cube_partners_max: Final = 4

Cube = tuple[CellKey, ...]


def _corners(key: CellKey, partner: tuple[str, ...]) -> Cube:
    return tuple(itertools.product(*zip(key, partner, strict=True)))


class _Prices:
    """What hiding a cell of one table costs: its learners, nothing if hidden already."""

    def __init__(self, linkage: Linkage, position: int, hidden: Collection[int]) -> None:
        self.table = linkage.tables[position]
        self.along = linkage.along[position]
        self.numbers = linkage.numbers[position]
        self.measures = linkage.measures
        self.hidden = hidden

    def __call__(self, key: CellKey) -> int:
        number = self.numbers[key]
        return 0 if number in self.hidden else self.measures[number].learners


def _partners(prices: _Prices, key: CellKey, limit: int | None) -> list[list[str]]:
    """Per dimension, the other values whose neighbour of ``key`` exists, cheapest first."""
    found = []
    for position, along in enumerate(prices.along):
        options = []
        for value in along[(*key[:position], ALL, *key[position + 1 :])]:
            neighbour = (*key[:position], value, *key[position + 1 :])
            if value != key[position]:
                options.append((prices(neighbour), value != ALL, value))
        options.sort()
        kept = options if limit is None else options[:limit]
        if key[position] != ALL and all(value != ALL for _, _, value in kept):
            kept += [option for option in options if option[2] == ALL]  # always works
        found.append([value for _, _, value in kept])
    return found


def _cubes(prices: _Prices, key: CellKey, limit: int | None) -> Iterator[Cube]:
    """Cubes of present cells through ``key``, partners chosen among ``limit`` per dimension."""
    for partner in itertools.product(*_partners(prices, key, limit)):
        corners = _corners(key, partner)
        if all(corner in prices.table.cells for corner in corners):
            yield corners


def cheapest_cube(
    linkage: Linkage, number: int, hidden: Collection[int], *, new: bool = True
) -> set[int] | None:
    """All the cells (by number) of the cube through ``number`` hiding fewest new learners.

    Searched in every table the cell appears in, among cheap partners first and among all
    only if none fits; ties go to the cube whose new cells have the smaller keys. With
    ``new``, only cubes that hide something more count: None when every cube is hidden
    already (across linked tables a hidden cube in one table can be pinned by the lines of
    another). Without it a cube hidden already wins at no cost.
    """
    best: tuple[int, list[CellKey], set[int]] | None = None
    for limit in (cube_partners_max, None):
        for position, key in linkage.places(number):
            prices = _Prices(linkage, position, hidden)
            for corners in _cubes(prices, key, limit):
                shown = sorted(c for c in corners if prices.numbers[c] not in hidden)
                if new and not shown:
                    continue
                rank = (sum(prices(c) for c in shown), shown)
                if best is None or rank < best[:2]:
                    best = (*rank, {prices.numbers[c] for c in corners})
        if best is not None:
            return best[2]
    return None
