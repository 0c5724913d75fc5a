"""Lifelong-education statistics at a signed tree size: tables, preset reports, verification.

Every answer names the tree size it counts and carries the checkpoint signed at that size, so
anyone holding the log can recount it: ``at`` must be a size the log signed (the latest by
default), and the same size gives the same numbers every time (see ``storage.statistics``).
Counts go through disclosure control before they leave: a cell of fewer than ``k`` learners is
hidden, with the cells that would give it back by subtraction.

``verify`` recounts one table from the log's entries alone (``statistics.log_facts`` and the
reference ``tabulate``) and returns both tables, for ``creditbank stats --verify``.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank import limits
from creditbank.errors import (
    ForbiddenError,
    MalformedError,
    NotFoundError,
    TableTooLargeError,
)
from creditbank.service.context import WriteContext
from creditbank.statistics.disclosure import SuppressedTable, disclosure_k_default, suppress
from creditbank.statistics.facts import DIMENSIONS, Dimension
from creditbank.statistics.labels import Provenance
from creditbank.statistics.log_facts import LogFacts
from creditbank.statistics.reports import (
    PRESETS,
    Report,
    TableSpec,
    disclose_report,
    for_years,
)
from creditbank.statistics.tables import FactFilter, StatTable, group_dimensions_max, tabulate
from creditbank.storage import learner_reads, reads
from creditbank.storage import standards as stored_standards
from creditbank.storage import statistics as stored
from creditbank.storage.audit_reads import log_entries
from creditbank.tokens import Principal
from schemas.entries import RecognitionGranted
from schemas.standards import standard_name

__all__ = [
    "StatisticsDesk",
    "TableAnswer",
    "Verification",
    "ad_hoc_spec",
    "fact_filter",
    "parse_dimensions",
]

_READERS = frozenset({"accreditor", "auditor", "admin"})


def _reads_statistics(principal: Principal) -> None:
    if principal.role not in _READERS:
        raise ForbiddenError("statistics are for accreditation staff, auditors and admins")


def parse_dimensions(text: str) -> tuple[Dimension, ...]:
    """``"year,district"`` -> the dimensions, at most three, each once, each known."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in DIMENSIONS]
    if unknown:
        raise MalformedError("group_by", f"no dimension {', '.join(unknown)}")
    if len(names) > group_dimensions_max or len(set(names)) != len(names):
        raise MalformedError(
            "group_by", f"at most {group_dimensions_max} different dimensions, each once"
        )
    return tuple(dimension for name in names for dimension in DIMENSIONS if dimension == name)


def _values(text: str | None) -> frozenset[str] | None:
    if text is None:
        return None
    return frozenset(value.strip() for value in text.split(",") if value.strip())


def fact_filter(
    issuer_kind: str | None, outcome_type: str | None, age_band: str | None, year: str | None
) -> FactFilter:
    """Which outcomes to count: comma-separated codes per dimension, all when absent."""
    years = _values(year)
    if years is not None and not all(value.isdigit() and len(value) == 4 for value in years):
        raise MalformedError("year", "years are four digits, separated by commas")
    return FactFilter(
        issuer_kinds=_values(issuer_kind),
        outcome_types=_values(outcome_type),
        age_bands=_values(age_band),
        years=years,
    )


def ad_hoc_spec(dimensions: tuple[str, ...], where: FactFilter) -> TableSpec:
    return TableSpec(
        key="statistics",
        title_en="Lifelong-education statistics",
        title_zh="终身教育统计",
        dimensions=dimensions,  # type: ignore[arg-type]
        where=where,
    )


@dataclass(frozen=True)
class TableAnswer:
    provenance: Provenance
    table: SuppressedTable


@dataclass(frozen=True)
class Verification:
    provenance: Provenance
    from_projection: StatTable
    from_entries: StatTable

    @property
    def agrees(self) -> bool:
        return self.from_projection == self.from_entries


class _Counter:
    """Tables at one size, by SQL, sharing what every table of a report needs."""

    def __init__(self, connection: AsyncConnection, tree_size: int) -> None:
        self._connection = connection
        self._size = tree_size
        self._year_starts: dict[str, str] | None = None
        self._recognised: set[int] | None = None

    async def table(self, dimensions: tuple[Dimension, ...], where: FactFilter) -> StatTable:
        [table] = await self.tables([(dimensions, where)])
        return table

    async def tables(
        self, wanted: Sequence[tuple[tuple[Dimension, ...], FactFilter]]
    ) -> list[StatTable]:
        if self._year_starts is None:
            documents = await stored_standards.published_documents(
                self._connection, in_force_only=False
            )
            self._year_starts = {
                standard_name(d.id, d.version): d.caps.year_starts for d in documents
            }
            self._recognised = await _recognised(self._connection, self._size)
        assert self._recognised is not None
        return await stored.sql_tabulate_many(
            self._connection, self._size, wanted, self._year_starts, self._recognised
        )


async def _recognised(connection: AsyncConnection, tree_size: int) -> set[int]:
    """The outcomes used by the recognitions in force at the size."""
    grants = await stored.recognitions_in_force(connection, tree_size)
    entries = learner_reads.decoded(await learner_reads.entries_at(connection, grants))
    used: set[int] = set()
    for entry in entries.values():
        assert isinstance(entry, RecognitionGranted)
        used.update(entry.outcomes)
    return used


async def _provenance(connection: AsyncConnection, at: int | None) -> Provenance:
    """The size counted and its signed checkpoint: the latest, or exactly ``at``."""
    if at is None:
        latest = await reads.latest_checkpoint(connection)
        if latest is None:
            raise NotFoundError("the log has no signed checkpoint yet")
        return Provenance(tree_size=latest.tree_size, checkpoint=latest.signed_note)
    note = await stored.signed_note_at(connection, at)
    if note is None:
        raise NotFoundError(f"the log never signed a checkpoint of size {at}")
    return Provenance(tree_size=at, checkpoint=note)


def _check_size(tables: Sequence[StatTable]) -> None:
    largest = max((len(table.cells) for table in tables), default=0)
    if largest > limits.statistics_cells_max:
        raise TableTooLargeError(
            f"a table of {largest} cells (margins included); at most "
            f"{limits.statistics_cells_max} are published: group by fewer or coarser "
            "dimensions, or count fewer years or kinds"
        )


class StatisticsDesk:
    """Counts at a signed size never change, so answers are kept (a few, in this process) and
    the pages' table, chart and downloads of one query count once. ``verify`` never reuses."""

    def __init__(self, context: WriteContext, k: int = disclosure_k_default) -> None:
        self._context = context
        self.k = k
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()

    def forget(self) -> None:
        """Drop the kept answers (a benchmark measuring a cold count)."""
        self._answers.clear()

    def _kept(self, key: Hashable) -> Any:
        found = self._answers.get(key)
        if found is not None:
            self._answers.move_to_end(key)
        return found

    def _keep(self, key: Hashable, answer: Any) -> None:
        self._answers[key] = answer
        while len(self._answers) > limits.statistics_answers_kept:
            self._answers.popitem(last=False)

    async def table(
        self,
        principal: Principal,
        dimensions: tuple[Dimension, ...],
        where: FactFilter,
        at: int | None = None,
    ) -> TableAnswer:
        _reads_statistics(principal)
        async with self._context.snapshot() as connection:
            provenance = await _provenance(connection, at)
            key = ("table", provenance.tree_size, dimensions, where)
            answer: TableAnswer | None = self._kept(key)
            if answer is not None:
                return answer
            counted = await _Counter(connection, provenance.tree_size).table(dimensions, where)
        _check_size([counted])
        # Off the event loop: other requests keep being served while it runs.
        suppressed = await asyncio.to_thread(suppress, counted, self.k)
        answer = TableAnswer(provenance=provenance, table=suppressed)
        self._keep(key, answer)
        return answer

    async def report(
        self,
        principal: Principal,
        name: str,
        years: Sequence[int] = (),
        at: int | None = None,
    ) -> tuple[Report, Provenance]:
        """A preset return (``statistics.reports.PRESETS``), for some years or all."""
        _reads_statistics(principal)
        spec = PRESETS.get(name)
        if spec is None:
            raise NotFoundError(f"no report {name}; there are {', '.join(sorted(PRESETS))}")
        if years:
            spec = for_years(spec, years)
        async with self._context.snapshot() as connection:
            provenance = await _provenance(connection, at)
            key = ("report", provenance.tree_size, spec)
            kept: tuple[Report, Provenance] | None = self._kept(key)
            if kept is not None:
                return kept
            counter = _Counter(connection, provenance.tree_size)
            tables = await counter.tables([(t.dimensions, t.where) for t in spec.tables])
        _check_size(tables)
        answer = (await asyncio.to_thread(disclose_report, spec, tables, self.k), provenance)
        self._keep(key, answer)
        return answer

    async def verify(
        self, dimensions: tuple[Dimension, ...], where: FactFilter, at: int | None = None
    ) -> Verification:
        """One table counted twice: by SQL from the read tables, and from the entries."""
        async with self._context.snapshot() as connection:
            provenance = await _provenance(connection, at)
            size = provenance.tree_size
            counted = await _Counter(connection, size).table(dimensions, where)
            log = LogFacts()
            async for index, entry in log_entries(connection, size):
                log.feed(index, entry)
            demography = await stored.demography_rows(connection)
        recounted = tabulate(log.facts(demography), dimensions, where=where)
        return Verification(provenance=provenance, from_projection=counted, from_entries=recounted)
