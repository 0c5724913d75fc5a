"""Learners' running totals during a long import: spilled to a temporary table, summed at seal.

An import keeps the totals of the learners it has met recently in memory. Past a bound it hands
their deltas to ``TotalsSpill``: one COPY (executemany on SQLite) into a temporary table with no
key and no conflict handling, so spilling costs what inserting the rows costs. A learner met
again is read back with one array-bound query, never an ``IN`` list with a parameter per
learner. ``drain`` streams the sums of what was spilled, for the seal to add to
``learner_total``.

The table lives in the session of the import's *reader* (the snapshot it reads committed state
from), not of the log's connection: the log's connection is busy with the import's writes, and
a read queued behind them would stall the row loop. A temporary table is the session's own, so
writing it does not touch the log or need its lock, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.rules.engine import TotalKey
from creditbank.storage.engine import is_sqlite
from creditbank.storage.import_rows import driver_connection

__all__ = ["TotalsSpill", "batched", "committed_totals"]

T = TypeVar("T")
_SPILL_TABLE = "import_total_spill"
# Summed deltas read back per batch at seal: one add_totals statement's worth.
drain_rows = 10_000
_COLUMNS = ("learner_ref", "scope", "subject", "period", "credits")
_TOTAL_COLUMNS = "learner_ref, scope, subject, period, credits"
_READ_SPILL = (
    f"SELECT learner_ref, scope, subject, period, SUM(credits) FROM {_SPILL_TABLE} "  # noqa: S608
    "WHERE learner_ref {refs} GROUP BY learner_ref, scope, subject, period"
)


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (itertools.batched, which Python 3.11 lacks)."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


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

    async def write(self, deltas: Iterable[tuple[TotalKey, int]]) -> None:
        """Spill the deltas, ``drain_rows`` at a time (never all of them in memory at once)."""
        for batch in batched(deltas, drain_rows):
            rows = [(*key, amount) for key, amount in batch if amount]
            if rows:
                await self._write(rows)

    async def _write(self, rows: list[tuple[Any, ...]]) -> None:
        self.learners.update(row[0] for row in rows)
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

    async def drain(self) -> AsyncIterator[list[tuple[TotalKey, int]]]:
        """Every spilled delta, summed per total, in batches of ``drain_rows``; the table is then
        dropped. Streamed, so a million-row import never holds all its deltas at once."""
        if not self._created:
            return
        result = await self._connection.stream(
            sa.text(
                f"SELECT learner_ref, scope, subject, period, SUM(credits) FROM {_SPILL_TABLE} "  # noqa: S608
                "GROUP BY learner_ref, scope, subject, period"
            )
        )
        async for part in result.partitions(drain_rows):
            yield [((row[0], row[1], row[2], row[3]), int(row[4])) for row in part]
        await result.close()
        # PostgreSQL drops it when the reader's transaction ends (and refuses to while the
        # cursor's portal lives); SQLite would keep it in the pooled connection.
        if is_sqlite(self._connection):
            await self._connection.exec_driver_sql(f"DROP TABLE {_SPILL_TABLE}")
        self._created = False
        self.learners.clear()

    async def _create(self) -> None:
        # No key: rows are only appended. The index serves the read-back of learners met again
        # (in a file in no particular order, most of them). PostgreSQL drops the table when the
        # reader's transaction ends; SQLite keeps it in the pooled connection unless ``drain``
        # dropped it (a dry run or rejected batch never drains), so a leftover goes first.
        sqlite = is_sqlite(self._connection)
        schema = "temp" if sqlite else "pg_temp"
        await self._connection.exec_driver_sql(f"DROP TABLE IF EXISTS {schema}.{_SPILL_TABLE}")
        await self._connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {_SPILL_TABLE} (learner_ref TEXT NOT NULL, scope TEXT NOT "
            "NULL, subject TEXT NOT NULL, period TEXT NOT NULL, credits BIGINT NOT NULL)"
            f"{'' if sqlite else ' ON COMMIT DROP'}"
        )
        await self._connection.exec_driver_sql(
            f"CREATE INDEX {_SPILL_TABLE}_learner ON {_SPILL_TABLE} (learner_ref)"
        )
        self._created = True
