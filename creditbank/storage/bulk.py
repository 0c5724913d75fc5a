"""Bulk inserts on the hot path: COPY on PostgreSQL, executemany of tuples on SQLite.

SQLAlchemy Core's executemany builds a parameter dict per row, which cost more than the insert
itself for 10,000-row batches; these paths hand tuples straight to the driver, inside the
transaction SQLAlchemy began on the same connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.storage.engine import is_sqlite

__all__ = ["bulk_insert"]

# Below this many rows a plain INSERT costs fewer round trips than COPY's start/data/end.
copy_rows_min = 64


async def bulk_insert(
    connection: AsyncConnection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    if not rows:
        return
    assert all(name in table.c for name in columns), f"unknown column of {table.name}"
    if is_sqlite(connection):
        placeholders = ", ".join("?" for _ in columns)
        await connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608
            list(rows),
        )
        return
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    if len(rows) < copy_rows_min:
        placeholders = ", ".join(f"${number}" for number in range(1, len(columns) + 1))
        statement = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
        await driver.executemany(statement, rows)
        return
    await driver.copy_records_to_table(table.name, records=rows, columns=list(columns))
