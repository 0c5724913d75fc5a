"""Statistics by SQL over the outcome projection, as of one tree size.

The reference (``statistics.tables.tabulate``) walks facts one by one; at a million outcomes the
database groups them instead, and must produce the same ``StatTable``: the expressions below
are the SQL spelling of ``statistics.facts`` (an outcome below the size and not revoked below
it, the award it held at the size, its cap year, the age band and sex derived at deposit), and
a test holds the two equal on generated logs.

Everything a fact depends on is fixed once its entry is below the size: issuers and standards
never change, a grant or revocation counts only when its entry is below the size, recognitions
likewise, and the age band and sex were written with the outcome (an erasure keeps them). So
the same size gives the same numbers every time.

Learners are distinct, not summed, so a margin cannot be added up from its cells. One pass
over the outcome table sums the live outcomes per learner and combination of every dimension
a report's tables use ("learner cells", a few hundred thousand rows for a million outcomes);
every grouping a table or margin needs is then counted from those cells, each learner once per
group, by hashing rather than sorting. One statement per filter.

Values come back as integers where SQL computes them (years, quarters, cap years as YYYYMMDD)
and are turned into the reference's codes here, once per group.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.statistics.facts import UNKNOWN, Dimension
from creditbank.statistics.tables import (
    ALL,
    CellKey,
    FactFilter,
    Measures,
    StatTable,
    margin_masks,
)
from creditbank.storage.engine import is_sqlite
from creditbank.storage.tables import checkpoint, outcome, recognition

__all__ = [
    "demography_rows",
    "postgresql_work_mem",
    "recognitions_in_force",
    "signed_note_at",
    "sql_tabulate",
    "sql_tabulate_many",
]

# An outcome holds an award at the size when one was decided at deposit, or granted below it.
_HELD = "(o.award_credits IS NOT NULL AND (o.award_index IS NULL OR o.award_index < :n))"
# PostgreSQL's default (4 MB) spills the learner cells of a million outcomes to disk.
postgresql_work_mem = "256MB"

Groupings = dict[tuple[Dimension, ...], dict[CellKey, Measures]]


def _year_start(year_starts: Mapping[str, str]) -> str:
    """The first day (MMDD) of the cap year of the award's standard; 1 January without one."""
    if not year_starts:
        return "101"
    branches = " ".join(
        f"WHEN '{_quoted(name)}' THEN {int(day.replace('-', ''))}"
        for name, day in sorted(year_starts.items())
    )
    return f"CASE WHEN {_HELD} THEN CASE o.award_standard {branches} ELSE 101 END ELSE 101 END"


def _quoted(text: str) -> str:
    # Standard names are "<id>@<version>" with ids of [a-z0-9._-]; doubling quotes is belt and
    # braces for a literal that SQL cannot take as a parameter inside CASE on both databases.
    return text.replace("'", "''")


def _dimension_sql(dimension: Dimension, year_starts: Mapping[str, str]) -> str:
    if dimension == "year":
        return "(o.completed_ymd / 10000)"
    if dimension == "quarter":
        return "((o.completed_ymd / 10000) * 10 + ((o.completed_ymd / 100) % 100 + 2) / 3)"
    if dimension == "cap_year":
        start = _year_start(year_starts)
        computed = (
            f"(CASE WHEN o.completed_ymd % 10000 >= {start} THEN (o.completed_ymd / 10000) "
            f"ELSE (o.completed_ymd / 10000) - 1 END * 10000 + {start})"
        )
        granted = "CAST(REPLACE(o.cap_year, '-', '') AS INTEGER)"
        return (
            f"(CASE WHEN o.award_index IS NOT NULL AND {_HELD} THEN {granted} ELSE {computed} END)"
        )
    if dimension == "issuer_kind":
        return "i.kind"
    if dimension == "issuer":
        return "o.issuer_id"
    if dimension == "district":
        return f"COALESCE(i.district, '{UNKNOWN}')"
    if dimension == "outcome_type":
        return "o.outcome_type"
    if dimension == "category":
        return f"(CASE WHEN {_HELD} THEN o.award_category ELSE '{UNKNOWN}' END)"
    assert dimension in ("age_band", "sex"), dimension
    return f"COALESCE(o.{dimension}, '{UNKNOWN}')"


def _code(dimension: Dimension, value: Any) -> str:
    """The reference's code for a value SQL grouped by."""
    if dimension == "quarter":
        return f"{int(value) // 10}-Q{int(value) % 10}"
    if dimension == "cap_year":
        ymd = int(value)
        return f"{ymd // 10000:04d}-{ymd // 100 % 100:02d}-{ymd % 100:02d}"
    if dimension == "year":
        return str(int(value))
    return str(value)


def _filter_sql(
    where: FactFilter, year_starts: Mapping[str, str], params: dict[str, Any]
) -> list[str]:
    conditions = []
    for number, (dimension, allowed) in enumerate(where.conditions()):
        if not allowed:
            conditions.append("1 = 0")
            continue
        names = []
        for offset, value in enumerate(sorted(allowed)):
            name = f"f{number}_{offset}"
            params[name] = int(value) if dimension == "year" else value
            names.append(f":{name}")
        conditions.append(f"{_dimension_sql(dimension, year_starts)} IN ({', '.join(names)})")
    return conditions


def _learner_cells_sql(
    dimensions: Sequence[Dimension],
    where: FactFilter,
    year_starts: Mapping[str, str],
    recognised: str | None,
    params: dict[str, Any],
) -> str:
    """The live outcomes at the size, summed per learner and combination of ``dimensions``."""
    values = [
        f"{_dimension_sql(dimension, year_starts)} AS d{number}"
        for number, dimension in enumerate(dimensions)
    ]
    keys = [f"d{number}" for number in range(len(dimensions))]
    conditions = [
        "o.entry_index < :n",
        "(o.revoked_index IS NULL OR o.revoked_index >= :n)",
        *_filter_sql(where, year_starts, params),
    ]
    joins = "FROM outcome o JOIN issuer i ON i.issuer_id = o.issuer_id"
    used = "0"
    if recognised is not None:
        joins += f" LEFT JOIN ({recognised}) r ON r.idx = o.entry_index"
        used = "CASE WHEN r.idx IS NULL THEN 0 ELSE 1 END"
    # Only fixed fragments and quoted standard names are spliced in; values are parameters.
    facts = (
        f"SELECT {', '.join([*values, 'o.learner_ref AS learner_ref'])}, "
        "o.hours_tenths AS hours_tenths, "
        f"CASE WHEN {_HELD} THEN o.award_credits ELSE 0 END AS credits, {used} AS recognised "
        f"{joins} WHERE {' AND '.join(conditions)}"
    )
    # A learner's sums in one cell fit in 32 bits; sums of 64-bit integers are decimals in
    # PostgreSQL, several times slower to add up again.
    grouped = ", ".join([*keys, "learner_ref"])
    return (
        f"SELECT {grouped}, CAST(COUNT(*) AS INTEGER) AS n, "  # noqa: S608
        "CAST(SUM(hours_tenths) AS INTEGER) AS h, CAST(SUM(credits) AS INTEGER) AS c, "
        f"CAST(SUM(recognised) AS INTEGER) AS u FROM ({facts}) AS f GROUP BY {grouped}"
    )


def _grouping_sql(number: int, kept: Sequence[str], width: int) -> str:
    """One grouping of the learner cells: each learner once per group, the sums added."""
    columns = [key if key in kept else "NULL" for key in (f"d{i}" for i in range(width))]
    inner = ", ".join([*kept, "learner_ref"])
    grouped = f" GROUP BY {', '.join(kept)}" if kept else ""
    return (
        f"SELECT {number} AS g, {', '.join([*columns, 'COUNT(*)'])}, "  # noqa: S608
        "SUM(n), SUM(h), SUM(c), SUM(u) FROM ("
        f"SELECT {inner}, CAST(SUM(n) AS INTEGER) AS n, CAST(SUM(h) AS INTEGER) AS h, "
        "CAST(SUM(c) AS INTEGER) AS c, CAST(SUM(u) AS INTEGER) AS u "
        f"FROM cells GROUP BY {inner}) AS s{grouped}"
    )


def _groupings(tables: Sequence[tuple[Dimension, ...]]) -> list[tuple[Dimension, ...]]:
    """Every grouping the tables' cells and margins need, each once (dimensions sorted)."""
    wanted: dict[tuple[Dimension, ...], None] = {}
    for dimensions in tables:
        for mask in margin_masks(len(dimensions)):
            kept = [d for d, keep in zip(dimensions, mask, strict=True) if keep]
            wanted[tuple(sorted(kept))] = None
    return list(wanted)


async def sql_tabulate_many(
    connection: AsyncConnection,
    tree_size: int,
    tables: Sequence[tuple[tuple[Dimension, ...], FactFilter]],
    year_starts: Mapping[str, str],
    recognised: Iterable[int],
) -> list[StatTable]:
    """``tabulate`` of each (dimensions, filter) over the outcomes live at ``tree_size``.

    ``year_starts``: each published standard's ``caps.year_starts`` by "<id>@<version>";
    ``recognised``: the outcomes a recognition in force at the size uses."""
    ids = sorted(set(recognised))
    recognised_sql: str | None = None
    if is_sqlite(connection):
        if ids:
            recognised_sql = "SELECT DISTINCT value AS idx FROM json_each(:ids)"
    else:
        await connection.execute(sa.text(f"SET LOCAL work_mem = '{postgresql_work_mem}'"))
        if ids:
            recognised_sql = "SELECT DISTINCT unnest(CAST(:ids AS BIGINT[])) AS idx"
    counted: dict[FactFilter, Groupings] = {}
    for where in dict.fromkeys(where for _, where in tables):
        params: dict[str, Any] = {"n": tree_size}
        if ids:
            params["ids"] = json.dumps(ids) if is_sqlite(connection) else ids
        same = [dimensions for dimensions, other in tables if other == where]
        counted[where] = await _count(connection, same, where, year_starts, recognised_sql, params)
    return [_table(dimensions, counted[where]) for dimensions, where in tables]


async def _count(
    connection: AsyncConnection,
    tables: Sequence[tuple[Dimension, ...]],
    where: FactFilter,
    year_starts: Mapping[str, str],
    recognised: str | None,
    params: dict[str, Any],
) -> Groupings:
    """Every grouping the tables of one filter need: {sorted dimensions: {values: measures}}."""
    used = sorted({dimension for dimensions in tables for dimension in dimensions})
    groupings = _groupings(tables)
    cells = _learner_cells_sql(used, where, year_starts, recognised, params)
    position = {dimension: f"d{number}" for number, dimension in enumerate(used)}
    parts = [
        _grouping_sql(number, [position[d] for d in kept], len(used))
        for number, kept in enumerate(groupings)
    ]
    statement = f"WITH cells AS MATERIALIZED ({cells}) {' UNION ALL '.join(parts)}"
    found: Groupings = {grouping: {} for grouping in groupings}
    for row in await connection.execute(sa.text(statement), params):
        kept = groupings[row[0]]
        values = dict(zip(used, row[1 : 1 + len(used)], strict=True))
        learners, outcomes, hours, credits, used_count = row[1 + len(used) :]
        if not outcomes:
            continue  # the grand total of nothing: the reference has no cell either
        found[kept][tuple(_code(d, values[d]) for d in kept)] = Measures(
            learners=int(learners),
            outcomes=int(outcomes),
            hours_tenths=int(hours),
            credits=int(credits),
            recognised=int(used_count),
        )
    return found


def _table(dimensions: tuple[Dimension, ...], groupings: Groupings) -> StatTable:
    """A table's cells and margins, from the groupings counted for its filter."""
    cells: dict[CellKey, Measures] = {}
    for mask in margin_masks(len(dimensions)):
        kept = tuple(sorted(d for d, keep in zip(dimensions, mask, strict=True) if keep))
        for values, measures in groupings[kept].items():
            named = dict(zip(kept, values, strict=True))
            key = tuple(named[d] if keep else ALL for d, keep in zip(dimensions, mask, strict=True))
            cells[key] = measures
    return StatTable(dimensions=dimensions, cells={key: cells[key] for key in sorted(cells)})


async def sql_tabulate(
    connection: AsyncConnection,
    tree_size: int,
    dimensions: tuple[Dimension, ...],
    where: FactFilter,
    year_starts: Mapping[str, str],
    recognised: Iterable[int],
) -> StatTable:
    """One table (see ``sql_tabulate_many``)."""
    [table] = await sql_tabulate_many(
        connection, tree_size, [(dimensions, where)], year_starts, recognised
    )
    return table


async def demography_rows(connection: AsyncConnection) -> dict[int, tuple[str, str]]:
    """Each outcome's age band and sex (by entry index): the one input of the statistics that
    is not in the log (it was derived from the ID number at deposit)."""
    rows = await connection.execute(
        sa.select(outcome.c.entry_index, outcome.c.age_band, outcome.c.sex)
    )
    return {int(index): (band or UNKNOWN, sex or UNKNOWN) for index, band, sex in rows}


async def recognitions_in_force(connection: AsyncConnection, tree_size: int) -> list[int]:
    """The recognition.granted entries in force at the size (granted below it, not reversed
    below it); the caller reads their entries for the outcomes they used."""
    rows = await connection.execute(
        sa.select(recognition.c.entry_index).where(
            recognition.c.entry_index < tree_size,
            sa.or_(
                recognition.c.reversed_index.is_(None),
                recognition.c.reversed_index >= tree_size,
            ),
        )
    )
    return [index for (index,) in rows]


async def signed_note_at(connection: AsyncConnection, tree_size: int) -> str | None:
    """The latest checkpoint signed at exactly this size, if the log ever signed one."""
    row = (
        await connection.execute(
            sa.select(checkpoint.c.signed_note)
            .where(checkpoint.c.tree_size == tree_size)
            .order_by(checkpoint.c.id.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else str(row[0])
