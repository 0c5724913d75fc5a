"""An attacker's view of published tables, written independently of the product's code.

Every line of every table is an equation ``margin - sum(cells along it) = 0``. The hidden cells
are the unknowns (a quantity shown by several tables is one unknown), the published cells are
constants. A hidden value is recoverable exactly when its unit vector is in the row space of
the equations restricted to the unknowns; that is decided here by Gaussian elimination over
``fractions.Fraction``, so no rounding can hide a recovery.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from creditbank.statistics.disclosure import SuppressedTable
from creditbank.statistics.tables import ALL

Quantity = frozenset[tuple[str, str]]


def quantity(dimensions: Sequence[str], key: Sequence[str]) -> Quantity:
    return frozenset((d, v) for d, v in zip(dimensions, key, strict=True) if v != ALL)


def equations(tables: Sequence[SuppressedTable]) -> list[dict[Quantity, int]]:
    """Every line of every table: coefficients by quantity, margin +1, its cells -1."""
    found = []
    for table in tables:
        keys = set(table.cells)
        for axis in range(len(table.dimensions)):
            for margin in keys:
                if margin[axis] != ALL:
                    continue
                cells = [
                    key
                    for key in keys
                    if key[axis] != ALL
                    and all(key[i] == margin[i] for i in range(len(key)) if i != axis)
                ]
                row = {quantity(table.dimensions, margin): 1}
                for key in cells:
                    row[quantity(table.dimensions, key)] = -1
                found.append(row)
    return found


def hidden_quantities(tables: Sequence[SuppressedTable]) -> set[Quantity]:
    return {
        quantity(table.dimensions, key)
        for table in tables
        for key, cell in table.cells.items()
        if cell.measures is None
    }


def _reduce(vector: list[Fraction], basis: list[tuple[int, list[Fraction]]]) -> list[Fraction]:
    vector = list(vector)
    for pivot, row in basis:
        if vector[pivot]:
            factor = vector[pivot] / row[pivot]
            vector = [v - factor * r for v, r in zip(vector, row, strict=True)]
    return vector


def recoverable(tables: Sequence[SuppressedTable]) -> set[Quantity]:
    """The hidden quantities whose value the published cells of ``tables`` determine."""
    unknowns = sorted(hidden_quantities(tables), key=sorted)
    column = {q: i for i, q in enumerate(unknowns)}
    basis: list[tuple[int, list[Fraction]]] = []
    for equation in equations(tables):
        row = [Fraction(0)] * len(unknowns)
        for q, coefficient in equation.items():
            if q in column:
                row[column[q]] += coefficient
        row = _reduce(row, basis)
        pivot = next((i for i, v in enumerate(row) if v), None)
        if pivot is not None:
            basis.append((pivot, row))
    found = set()
    for q in unknowns:
        unit = [Fraction(0)] * len(unknowns)
        unit[column[q]] = Fraction(1)
        if not any(_reduce(unit, basis)):
            found.add(q)
    return found
