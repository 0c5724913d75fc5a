"""Learners' running totals during a long import: spilled to a temporary table, merged at seal.

An import keeps the totals of the learners it has met recently in memory. Past a bound it hands
their deltas to ``TotalsSpill``: one COPY (executemany on SQLite) into a temporary table of the
log's transaction, with no index and no conflict handling, so spilling costs what inserting the
rows costs. A learner met again is read back with one array-bound query (their committed totals
plus what the import spilled), never an ``IN`` list with a parameter per learner. ``merge``
adds every spilled delta to ``learner_total`` in one statement at seal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.rules.engine import TotalKey
from creditbank.storage.engine import is_sqlite
from creditbank.storage.import_rows import driver_connection

__all__ = ["TotalsSpill", "committed_totals"]

_SPILL_TABLE = "import_total_spill"
_COLUMNS = ("learner_ref", "scope", "subject", "period", "credits")
_TOTAL_COLUMNS = "learner_ref, scope, subject, period, credits"
_READ_SPILL = (
    f"SELECT learner_ref, scope, subject, period, SUM(credits) FROM {_SPILL_TABLE} "  # noqa: S608
    "WHERE learner_ref {refs} GROUP BY learner_ref, scope, subject, period"
)


async def committed_totals(
    connection: AsyncConnection, learner_refs: Sequence[str]
) -> dict[TotalKey, int]:
    """The running totals of these learners in ``learner_total``, in one array-bound query."""
    if not learner_refs:
        return {}
    if is_sqlite(connection):
        result = await connection.exec_driver_sql(
            f"SELECT {_TOTAL_COLUMNS} FROM learner_total "  # noqa: S608
            "WHERE learner_ref IN (SELECT value FROM json_each(?))",
            (json.dumps(list(learner_refs)),),
        )
        rows: Iterable[Any] = result.all()
    else:
        rows = await (await driver_connection(connection)).fetch(
            f"SELECT {_TOTAL_COLUMNS} FROM learner_total "  # noqa: S608
            "WHERE learner_ref = ANY($1::text[])",
            list(learner_refs),
        )
    return {(row[0], row[1], row[2], row[3]): row[4] for row in rows}


class TotalsSpill:
    """The deltas an import has set aside, in a temporary table of its transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._created = False
        self.learners: set[str] = set()  # whose deltas are in the table

    def set_aside(self, deltas: Iterable[tuple[TotalKey, int]]) -> list[tuple[Any, ...]]:
        """The rows ``write`` will spill; their learners count as spilled from now on, so a
        read queued after the write looks for them."""
        rows = [(*key, amount) for key, amount in deltas if amount]
        self.learners.update(row[0] for row in rows)
        return rows

    async def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        connection = self._connection
        if not self._created:
            await self._create()
        if is_sqlite(connection):
            await connection.exec_driver_sql(
                f"INSERT INTO temp.{_SPILL_TABLE} VALUES (?, ?, ?, ?, ?)",  # noqa: S608
                rows,
            )
            return
        driver = await driver_connection(connection)
        await driver.copy_records_to_table(_SPILL_TABLE, records=rows, columns=list(_COLUMNS))

    async def read(self, learner_refs: Sequence[str]) -> dict[TotalKey, int]:
        """The summed spilled deltas of these learners (those never spilled cost nothing)."""
        refs = [ref for ref in learner_refs if ref in self.learners]
        if not refs:
            return {}
        if is_sqlite(self._connection):
            result = await self._connection.exec_driver_sql(
                _READ_SPILL.format(refs="IN (SELECT value FROM json_each(?))"),
                (json.dumps(refs),),
            )
            rows: Iterable[Any] = result.all()
        else:
            rows = await (await driver_connection(self._connection)).fetch(
                _READ_SPILL.format(refs="= ANY($1::text[])"), refs
            )
        return {(row[0], row[1], row[2], row[3]): int(row[4]) for row in rows}

    async def merge(self) -> None:
        """Add every spilled delta to ``learner_total`` and drop the table."""
        if not self._created:
            return
        await self._connection.exec_driver_sql(
            f"INSERT INTO learner_total ({_TOTAL_COLUMNS}) "  # noqa: S608
            f"SELECT learner_ref, scope, subject, period, SUM(credits) FROM {_SPILL_TABLE} "
            # SQLite needs a WHERE to tell the ON CONFLICT below from a join's ON.
            "WHERE true GROUP BY learner_ref, scope, subject, period "
            "ON CONFLICT (learner_ref, scope, subject, period) "
            "DO UPDATE SET credits = learner_total.credits + excluded.credits"
        )
        await self._connection.exec_driver_sql(f"DROP TABLE {_SPILL_TABLE}")
        self._created = False
        self.learners.clear()

    async def _create(self) -> None:
        # No key: rows are only appended. The index serves the read-back of learners met again
        # (in a file in no particular order, most of them). PostgreSQL drops the table with the
        # transaction however it ends; SQLite's rollback undoes the CREATE.
        suffix = "" if is_sqlite(self._connection) else " ON COMMIT DROP"
        await self._connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {_SPILL_TABLE} (learner_ref TEXT NOT NULL, scope TEXT NOT "
            "NULL, subject TEXT NOT NULL, period TEXT NOT NULL, credits BIGINT NOT NULL)"
            f"{suffix}"
        )
        await self._connection.exec_driver_sql(
            f"CREATE INDEX {_SPILL_TABLE}_learner ON {_SPILL_TABLE} (learner_ref)"
        )
        self._created = True
