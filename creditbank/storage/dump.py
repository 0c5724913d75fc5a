"""A portable dump of every table, for ``creditbank backup`` and ``restore``.

Each table becomes one NDJSON file, one row per line, columns by name; bytes are base64 and
times ISO 8601, decided by the column's type. The dump is read in one snapshot (the caller's
transaction), streamed so a log of millions of entries never sits in memory, and restored into
a freshly migrated database of either kind: a SQLite deployment can be restored onto
PostgreSQL. Rows are inserted in the tables' dependency order, in batches.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.storage.engine import is_sqlite
from creditbank.storage.tables import api_token, checkpoint, log_entry, log_state, metadata

__all__ = ["dump_tables", "load_tables", "schema_revision", "table_file", "target_is_empty"]

_BATCH_ROWS = 2_000
_STREAM_ROWS = 5_000


def table_file(directory: Path, table: sa.Table) -> Path:
    return directory / f"{table.name}.ndjson"


def _stored_type(column: sa.Column[Any]) -> Any:
    """The column's own type, under a decorator such as ``tables.Timestamp``."""
    kind = column.type
    return kind.impl_instance if isinstance(kind, sa.types.TypeDecorator) else kind


def _encoder(column: sa.Column[Any]) -> Any:
    kind = _stored_type(column)
    if isinstance(kind, sa.LargeBinary):
        return lambda value: None if value is None else base64.b64encode(bytes(value)).decode()
    if isinstance(kind, sa.DateTime | sa.Date):
        return lambda value: None if value is None else value.isoformat()
    return lambda value: value


def _decoder(column: sa.Column[Any]) -> Any:
    kind = _stored_type(column)
    if isinstance(kind, sa.LargeBinary):
        return lambda value: None if value is None else base64.b64decode(value)
    if isinstance(kind, sa.DateTime):
        # Written from aware times (``tables.Timestamp``), so read back aware.
        return lambda value: None if value is None else datetime.datetime.fromisoformat(value)
    if isinstance(kind, sa.Date):
        return lambda value: None if value is None else datetime.date.fromisoformat(value)
    return lambda value: value


async def dump_tables(connection: AsyncConnection, directory: Path) -> dict[str, int]:
    """Write every table to ``directory`` (which exists); the row count of each."""
    counts = {}
    encoder = msgspec.json.Encoder()
    for table in metadata.sorted_tables:
        columns = list(table.columns)
        encoders = [_encoder(column) for column in columns]
        names = [column.name for column in columns]
        count = 0
        order = list(table.primary_key.columns)
        with table_file(directory, table).open("wb") as handle:
            result = await connection.stream(
                sa.select(table).order_by(*order).execution_options(yield_per=_STREAM_ROWS)
            )
            async for row in result:
                record = {
                    name: encode(value)
                    for name, encode, value in zip(names, encoders, row, strict=True)
                }
                handle.write(encoder.encode(record) + b"\n")
                count += 1
        counts[table.name] = count
    return counts


def _rows(handle: IO[bytes], table: sa.Table) -> Iterator[dict[str, Any]]:
    decoders = {column.name: _decoder(column) for column in table.columns}
    for line in handle:
        record = msgspec.json.decode(line)
        yield {name: decoders[name](value) for name, value in record.items()}


async def schema_revision(connection: AsyncConnection) -> str:
    """The Alembic revision the database is at."""
    return str(
        (await connection.execute(sa.text("SELECT version_num FROM alembic_version"))).scalar()
    )


async def target_is_empty(connection: AsyncConnection) -> bool:
    """A freshly migrated database: no entries, no checkpoint, no token, an empty log state."""
    for table in (log_entry, checkpoint, api_token):
        if (await connection.execute(sa.select(sa.func.count()).select_from(table))).scalar():
            return False
    size = (await connection.execute(sa.select(log_state.c.tree_size))).scalar()
    return not size


async def load_tables(connection: AsyncConnection, directory: Path) -> dict[str, int]:
    """Insert the dumped rows into an empty, migrated database (the caller checked it is);
    the row count of each table."""
    await connection.execute(log_state.delete())  # the migration's empty-log row
    counts = {}
    for table in metadata.sorted_tables:
        count = 0
        with table_file(directory, table).open("rb") as handle:
            batch: list[dict[str, Any]] = []
            for row in _rows(handle, table):
                batch.append(row)
                if len(batch) >= _BATCH_ROWS:
                    await connection.execute(table.insert(), batch)
                    count, batch = count + len(batch), []
            if batch:
                await connection.execute(table.insert(), batch)
                count += len(batch)
        counts[table.name] = count
    if not is_sqlite(connection):
        # The checkpoint ids were inserted as they were: move the sequence past them.
        await connection.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('checkpoint', 'id'), "
                "COALESCE((SELECT max(id) FROM checkpoint), 0) + 1, false)"
            )
        )
    return counts
