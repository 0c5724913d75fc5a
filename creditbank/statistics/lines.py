"""The additive structure of tables published together: their cells and the lines that add up.

A line fixes every dimension but one: its margin (``ALL`` along that dimension) is the sum of
the cells along it, for every additive measure. Tables counting the same facts (the same
filter) share cells: ``(2025, ALL)`` of year x district is ``(2025,)`` of the year table and
``(2025, ALL)`` of year x age band. A ``Linkage`` numbers each such quantity once, so
suppression is decided once per quantity and the lines of all the tables constrain it together
(a value hidden in one table and printed in another is not hidden).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from creditbank.statistics.facts import Dimension
from creditbank.statistics.tables import ALL, CellKey, Measures, StatTable

__all__ = ["CellId", "Line", "Linkage", "cell_id", "link"]

# A quantity whatever table shows it: its (dimension, value) pairs without the margins, sorted.
CellId = tuple[tuple[Dimension, str], ...]


def cell_id(dimensions: tuple[Dimension, ...], key: CellKey) -> CellId:
    return tuple(sorted((d, v) for d, v in zip(dimensions, key, strict=True) if v != ALL))


@dataclass(frozen=True, slots=True)
class Line:
    """``cells[margin] == sum(cells[c] for c in children)``, as numbers of the linkage.

    ``keys`` are the members' keys in the table the line comes from (margin first), so a choice
    among the members can break ties by the key a reader sees.
    """

    margin: int
    children: tuple[int, ...]
    keys: tuple[CellKey, ...]

    @property
    def members(self) -> tuple[int, ...]:
        return (self.margin, *self.children)


@dataclass(frozen=True, slots=True)
class Linkage:
    """Every distinct cell of the tables, numbered, with its measures and where it appears."""

    tables: tuple[StatTable, ...]
    ids: tuple[CellId, ...]  # by number
    measures: tuple[Measures, ...]  # by number
    numbers: tuple[dict[CellKey, int], ...]  # per table: key -> number
    # Per table, per dimension: a line's margin -> the values present along it (ALL included).
    along: tuple[tuple[dict[CellKey, tuple[str, ...]], ...], ...]
    lines: tuple[Line, ...]
    lines_of: tuple[tuple[int, ...], ...]  # per number: the lines it is a member of

    def places(self, number: int) -> Iterator[tuple[int, CellKey]]:
        """The tables (by position) and keys a cell appears under."""
        wanted = self.ids[number]
        for position, table in enumerate(self.tables):
            key = _key_in(table.dimensions, wanted)
            if key is not None and key in table.cells:
                yield position, key


def _key_in(dimensions: tuple[Dimension, ...], wanted: CellId) -> CellKey | None:
    values = dict(wanted)
    if not set(values) <= set(dimensions):
        return None
    return tuple(values.get(dimension, ALL) for dimension in dimensions)


def _along(table: StatTable) -> tuple[dict[CellKey, tuple[str, ...]], ...]:
    found: list[dict[CellKey, list[str]]] = [{} for _ in table.dimensions]
    for key in table.cells:
        for position, value in enumerate(key):
            margin = (*key[:position], ALL, *key[position + 1 :])
            found[position].setdefault(margin, []).append(value)
    return tuple({m: tuple(sorted(values)) for m, values in by.items()} for by in found)


def _table_lines(table: StatTable, number: dict[CellKey, int]) -> Iterator[Line]:
    """Along each dimension: every margin with the cells that add up to it."""
    for position in range(len(table.dimensions)):
        children: dict[CellKey, list[CellKey]] = {}
        for key in table.cells:
            if key[position] != ALL:
                margin = (*key[:position], ALL, *key[position + 1 :])
                children.setdefault(margin, []).append(key)
        for margin in sorted(children):
            members = sorted(children[margin])
            yield Line(
                margin=number[margin],
                children=tuple(number[key] for key in members),
                keys=(margin, *members),
            )


def link(tables: Sequence[StatTable]) -> Linkage:
    """Number the cells of tables that count the same facts, and collect all their lines."""
    by_id: dict[CellId, int] = {}
    ids: list[CellId] = []
    measures: list[Measures] = []
    numbers: list[dict[CellKey, int]] = []
    for table in tables:
        number: dict[CellKey, int] = {}
        for key in sorted(table.cells):
            identity = cell_id(table.dimensions, key)
            if identity not in by_id:
                by_id[identity] = len(ids)
                ids.append(identity)
                measures.append(table.cells[key])
            # The same quantity must count the same in every table, or they are not linked.
            assert measures[by_id[identity]] == table.cells[key], f"tables disagree on {identity}"
            number[key] = by_id[identity]
        numbers.append(number)
    lines = _distinct_lines(
        line
        for table, number in zip(tables, numbers, strict=True)
        for line in _table_lines(table, number)
    )
    lines_of: list[list[int]] = [[] for _ in ids]
    for index, line in enumerate(lines):
        for member in line.members:
            lines_of[member].append(index)
    return Linkage(
        tables=tuple(tables),
        ids=tuple(ids),
        measures=tuple(measures),
        numbers=tuple(numbers),
        along=tuple(_along(table) for table in tables),
        lines=tuple(lines),
        lines_of=tuple(tuple(found) for found in lines_of),
    )


def _distinct_lines(lines: Iterator[Line]) -> list[Line]:
    # The year table's only line is year x district's line along year at district ALL: once.
    seen: set[tuple[int, frozenset[int]]] = set()
    distinct = []
    for line in lines:
        identity = (line.margin, frozenset(line.children))
        if identity not in seen:
            seen.add(identity)
            distinct.append(line)
    return distinct
