"""Disclosure control: which cells of a table are published, and which are hidden and why.

Primary suppression hides every cell (margins included) counting fewer than ``k`` learners, but
not none: a cell absent from a table is a known zero and needs no hiding. Secondary suppression
then hides more cells until no hidden value of an additive measure (outcomes, hours, credits,
recognitions) follows from the published cells by adding and subtracting. It builds two safe
patterns and publishes the one hiding fewer learners (then fewer cells; then the first):

* lines first: a line (a margin and the cells adding up to it) with exactly one hidden member
  gives that member away, so another member is hidden, the one with the fewest learners (ties:
  the smallest key), until no line has exactly one; this finds pairs and cycles cheaply;
* cubes first: each primary cell with the cheapest cube of cells through it
  (``cubes.cheapest_cube``); in three dimensions the line rule's cell-by-cell choices can wander
  far (90 cells hidden where a cube hides 8), a cube never does.

Either is then settled: the line rule, then an exact audit (``solvability.determined``). Lines
combine, so a pattern every line accepts can still give a cell away (two hidden rectangles
joined through one hidden cell: adding their rows and subtracting their columns leaves that
cell alone), and each cell the audit finds gets the cheapest cube through it, which no
combination of lines can undo. Again until the audit finds nothing: every round hides at least
one more cell, and with every cell hidden nothing is determined (every present cell counts at
least one outcome, so the all-hidden equations have a solution nonzero everywhere), so it ends.
Hiding more never makes a hidden cell recoverable again, so the result is safe whatever order
the rounds took.

Tables counting the same facts are suppressed together (``suppress_linked``): they share cells,
and their lines constrain those cells together.

Only exact recovery is prevented, as asked of a return: bounds remain (a hidden cell is at
most its published margin, and at least 0, so a line whose published cells add up to its
margin shows its hidden cells are 0 for that measure, as recognitions often are).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from creditbank.statistics.cubes import cheapest_cube
from creditbank.statistics.facts import Dimension
from creditbank.statistics.lines import Line, Linkage, link
from creditbank.statistics.solvability import determined
from creditbank.statistics.tables import CellKey, Measures, StatTable

__all__ = [
    "PublishedCell",
    "Reason",
    "SuppressedTable",
    "disclosure_k_default",
    "suppress",
    "suppress_linked",
]

# The district's rule for returns about people: no figure about fewer than five learners.
disclosure_k_default: Final = 5

Reason = Literal["primary", "secondary"]


@dataclass(frozen=True, slots=True)
class PublishedCell:
    """A cell as published: its measures, or None and why it is hidden."""

    measures: Measures | None
    reason: Reason | None = None

    def __post_init__(self) -> None:
        assert (self.measures is None) != (self.reason is None), "measures xor a reason"


@dataclass(frozen=True, slots=True)
class SuppressedTable:
    """A table after disclosure control: every cell of the ``StatTable``, published or not."""

    dimensions: tuple[Dimension, ...]
    cells: Mapping[CellKey, PublishedCell]
    k: int

    def hidden(self) -> dict[CellKey, Reason]:
        return {key: cell.reason for key, cell in self.cells.items() if cell.reason is not None}


def suppress(table: StatTable, k: int = disclosure_k_default) -> SuppressedTable:
    """Disclosure control of one table published alone."""
    (published,) = suppress_linked((table,), k)
    return published


def suppress_linked(
    tables: Sequence[StatTable], k: int = disclosure_k_default
) -> tuple[SuppressedTable, ...]:
    """Disclosure control of tables of the same facts (the same filter) published together.

    A quantity several tables show is hidden in all of them or in none, and the audit takes
    the lines of all of them at once.
    """
    assert k >= 1, f"k must be at least one learner: {k}"
    linkage = link(tables)
    hidden = _hide(linkage, k)
    return tuple(
        SuppressedTable(
            dimensions=table.dimensions,
            cells={
                key: _published(table.cells[key], hidden.get(number))
                for key, number in numbers.items()
            },
            k=k,
        )
        for table, numbers in zip(linkage.tables, linkage.numbers, strict=True)
    )


def _published(measures: Measures, reason: Reason | None) -> PublishedCell:
    return PublishedCell(measures=None if reason else measures, reason=reason)


def _hide(linkage: Linkage, k: int) -> dict[int, Reason]:
    primary: dict[int, Reason] = {
        number: "primary"
        for number, measures in enumerate(linkage.measures)
        if 0 < measures.learners < k
    }
    if not primary:
        return primary
    equations = [_equation(line) for line in linkage.lines]
    # Two safe patterns, the cheaper published (the module's docstring says why both).
    candidates = (
        _settle(linkage, equations, dict(primary)),
        _settle(linkage, equations, _cubes_first(linkage, primary)),
    )
    return min(candidates, key=lambda hidden: (_learners(linkage, hidden), len(hidden)))


def _learners(linkage: Linkage, hidden: Mapping[int, Reason]) -> int:
    return sum(linkage.measures[number].learners for number in hidden)


def _cubes_first(linkage: Linkage, primary: Mapping[int, Reason]) -> dict[int, Reason]:
    """The primary cells, each with the cheapest cube through it (free where hidden already)."""
    hidden = dict(primary)
    for number in sorted(primary):
        cube = cheapest_cube(linkage, number, hidden, new=False)
        assert cube is not None, "every present cell has a cube"
        for member in cube:
            hidden.setdefault(member, "secondary")
    return hidden


def _settle(
    linkage: Linkage, equations: list[dict[int, int]], hidden: dict[int, Reason]
) -> dict[int, Reason]:
    """Complete the lines, audit, cover what the audit exposes; again until nothing is."""
    # Each round hides at least one more cell, so there are at most as many rounds as cells.
    for _ in range(len(linkage.ids) + 1):
        _complete_lines(linkage, hidden)
        exposed = determined(equations, hidden)
        if not exposed:
            return hidden
        _cover(linkage, hidden, exposed)
    raise AssertionError("secondary suppression did not settle")


def _equation(line: Line) -> dict[int, int]:
    return {line.margin: 1, **dict.fromkeys(line.children, -1)}


def _complete_lines(linkage: Linkage, hidden: dict[int, Reason]) -> None:
    """Until no line has exactly one hidden member: hide the cheapest other member."""
    pending = deque(range(len(linkage.lines)))
    queued = set(pending)
    while pending:
        index = pending.popleft()
        queued.discard(index)
        line = linkage.lines[index]
        if sum(member in hidden for member in line.members) != 1:
            continue
        visible = [
            (linkage.measures[member].learners, key, member)
            for member, key in zip(line.members, line.keys, strict=True)
            if member not in hidden
        ]
        _, _, chosen = min(visible)
        hidden[chosen] = "secondary"
        for touched in linkage.lines_of[chosen]:
            if touched not in queued:
                queued.add(touched)
                pending.append(touched)


def _cover(linkage: Linkage, hidden: dict[int, Reason], exposed: set[int]) -> None:
    """Hide a cube through each exposed cell (one cube can cover several of them)."""
    covered: set[int] = set()
    for number in sorted(exposed):
        if number in covered:
            continue
        cube = cheapest_cube(linkage, number, hidden)
        if cube is None:
            neighbour = _cheapest_neighbour(linkage, number, hidden)
            # Nothing left to hide: the cells hidden earlier this round settled it.
            cube = set() if neighbour is None else {neighbour}
        for member in cube:
            hidden.setdefault(member, "secondary")
        covered |= cube


def _cheapest_neighbour(linkage: Linkage, number: int, hidden: Mapping[int, Reason]) -> int | None:
    """A published cell sharing a line with ``number`` (or any), fewest learners first.

    Only reached across linked tables when every cube through the cell is hidden already;
    any extra hidden cell is progress, and the next audit says whether it was enough.
    """
    near = {m for index in linkage.lines_of[number] for m in linkage.lines[index].members}
    for pool in (near, range(len(linkage.ids))):
        visible = [(linkage.measures[m].learners, m) for m in pool if m not in hidden]
        if visible:
            return min(visible)[1]
    return None
