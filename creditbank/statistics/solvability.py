"""Which hidden cells a reader could still compute exactly from the published ones.

Each line is an equation ``margin - sum(children) = 0``. With the published cells moved to the
right-hand side, a hidden cell's value is determined exactly when its unit vector lies in the
row space of the equations restricted to the hidden cells; equivalently, when the reduced row
echelon form has a row that is that unit vector. That form is computed here exactly, with
integer rows (each kept primitive by its gcd) rather than floats, whose rounding could call a
recoverable cell safe, and rather than a prime field, where a rank can drop and do the same.

The rows stay sparse: equations are taken shortest first, and a new pivot is the column that
appears in the fewest existing rows, so eliminating it touches few of them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

__all__ = ["determined"]

Row = dict[int, int]  # column -> nonzero integer coefficient


def _primitive(row: Row) -> Row:
    divisor = math.gcd(*row.values())
    if divisor > 1:
        return {column: value // divisor for column, value in row.items()}
    return row


def _eliminate(row: Row, pivot_row: Row, column: int) -> Row:
    """``row`` without ``column``: a multiple of ``pivot_row`` taken away, kept integral."""
    scale, factor = pivot_row[column], row[column]
    combined = {c: scale * v for c, v in row.items()}
    for c, v in pivot_row.items():
        value = combined.get(c, 0) - factor * v
        if value:
            combined[c] = value
        else:
            combined.pop(c, None)
    assert column not in combined
    return _primitive(combined) if combined else combined


class _Echelon:
    """A reduced row echelon form grown one equation at a time."""

    def __init__(self) -> None:
        self.rows: dict[int, Row] = {}  # pivot column -> its row
        self.holders: dict[int, set[int]] = {}  # column -> pivots whose rows contain it

    def _replace(self, pivot: int, old: Row, new: Row) -> None:
        for column in old.keys() - new.keys():
            self.holders[column].discard(pivot)
        for column in new.keys() - old.keys():
            self.holders.setdefault(column, set()).add(pivot)
        self.rows[pivot] = new

    def add(self, equation: Row) -> None:
        row = dict(equation)
        # Pivot rows are zero at every other pivot, so one pass clears every pivot from ``row``.
        for column in [c for c in row if c in self.rows]:
            row = _eliminate(row, self.rows[column], column)
        if not row:
            return
        pivot = min(row, key=lambda c: (len(self.holders.get(c, ())), c))
        for other in sorted(self.holders.get(pivot, ())):
            self._replace(other, self.rows[other], _eliminate(self.rows[other], row, pivot))
        self._replace(pivot, {}, row)

    def unit_rows(self) -> set[int]:
        return {pivot for pivot, row in self.rows.items() if len(row) == 1}


def determined(equations: Iterable[Mapping[int, int]], hidden: Iterable[int]) -> set[int]:
    """The hidden cells whose value the equations fix, published cells taken as known.

    ``equations`` give each line's coefficients by cell number (published cells included; they
    are constants and dropped here). Only lines with a hidden member constrain anything.
    """
    unknown = set(hidden)
    rows = [
        {column: value for column, value in equation.items() if column in unknown and value}
        for equation in equations
    ]
    echelon = _Echelon()
    # Short rows first: they have few columns to spread into the rows already there (on a
    # wide three-dimensional table this took the audit from seconds to a tenth of one).
    for row in sorted((row for row in rows if row), key=len):
        echelon.add(row)
    return echelon.unit_rows()
