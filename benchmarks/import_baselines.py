"""The two yardsticks an import is measured against, fed the rows the import actually wrote.

- bare: every row the import wrote (``log_entry``, ``tile_segment``, ``outcome``, ``person``,
  ``learner_total``) read back from the imported database, inserted into the same tables of a
  fresh database in one transaction: COPY per table per chunk on PostgreSQL (asyncpg
  ``copy_records_to_table``), ``executemany`` of tuples through aiosqlite on SQLite. Only the
  inserts and the commit are timed, per table: the ceiling of what storing the rows costs, and
  what each table costs.
- entries only: the ``log_entry`` rows alone, the same way, into another fresh database: the
  physical limit (the log itself, with nothing derived from it).
- orm: a sample of the same rows as SQLAlchemy ORM objects, ``session.add`` one by one and one
  commit at the end: what the obvious implementation would cost.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from creditbank.storage.engine import create_engine, is_sqlite

# Rows read back and inserted per step; the import itself inserts 8,192-row chunks.
BARE_CHUNK_ROWS = 50_000
# (table, columns) the bare baseline copies, in the order the import writes them.
BARE_TABLES = (
    ("log_entry", ("idx", "body")),
    (
        "outcome",
        (
            "issuer_id",
            "record_id",
            "entry_index",
            "learner_ref",
            "content_sha256",
            "award_credits",
            "award_category",
            "award_standard",
            "completed_ymd",
            "hours_tenths",
            "outcome_type",
            "course_code",
            "age_band",
            "sex",
        ),
    ),
    ("person", ("learner_ref", "id_type", "identifier", "name", "updated_at")),
    ("tile_segment", ("level", "tile_index", "start", "hashes")),
    ("learner_total", ("learner_ref", "scope", "subject", "period", "credits")),
)
ENTRIES_ONLY = BARE_TABLES[:1]
PERSON_UPDATED_AT = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


async def _chunks(
    connection: AsyncConnection, table: str, columns: Sequence[str]
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """The table's rows as plain driver values (no type processing), in storage order."""
    result = await connection.stream(sa.text(f"SELECT {', '.join(columns)} FROM {table}"))
    async for part in result.partitions(BARE_CHUNK_ROWS):
        yield [tuple(row) for row in part]


async def _insert(
    connection: AsyncConnection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    if is_sqlite(connection):
        marks = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        await connection.exec_driver_sql(statement, rows)
        return
    raw = await connection.get_raw_connection()
    assert raw.driver_connection is not None
    await raw.driver_connection.copy_records_to_table(table, records=rows, columns=list(columns))


async def bare_insert_seconds(
    source_url: str, target_url: str, tables: Sequence[tuple[str, Sequence[str]]] = BARE_TABLES
) -> dict[str, float]:
    """Seconds to insert every row of ``tables`` the import wrote into a fresh database, by
    table, plus the commit and the total."""
    source, target = create_engine(source_url), create_engine(target_url)
    spent: dict[str, float] = {}
    try:
        async with source.connect() as reader, target.connect() as writer:
            await writer.begin()
            for table, columns in tables:
                spent[table] = 0.0
                async for rows in _chunks(reader, table, columns):
                    started = time.perf_counter()
                    await _insert(writer, table, columns, rows)
                    spent[table] += time.perf_counter() - started
            started = time.perf_counter()
            await writer.commit()
            spent["commit"] = time.perf_counter() - started
    finally:
        await source.dispose()
        await target.dispose()
    spent["total"] = sum(spent.values())
    return spent


class _Base(DeclarativeBase):
    pass


class LogEntryRow(_Base):
    __tablename__ = "log_entry"
    idx: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)


class OutcomeRow(_Base):
    __tablename__ = "outcome"
    issuer_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    record_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    entry_index: Mapped[int] = mapped_column(sa.BigInteger)
    learner_ref: Mapped[str] = mapped_column(sa.String(64))
    content_sha256: Mapped[bytes] = mapped_column(sa.LargeBinary)
    award_credits: Mapped[int | None] = mapped_column(sa.BigInteger)
    award_category: Mapped[str | None] = mapped_column(sa.String(48))
    award_standard: Mapped[str | None] = mapped_column(sa.String(64))
    completed_ymd: Mapped[int | None] = mapped_column(sa.Integer)
    hours_tenths: Mapped[int | None] = mapped_column(sa.Integer)
    outcome_type: Mapped[str | None] = mapped_column(sa.String(32))
    course_code: Mapped[str | None] = mapped_column(sa.String(64))
    age_band: Mapped[str | None] = mapped_column(sa.String(8))
    sex: Mapped[str | None] = mapped_column(sa.String(8))


class PersonRow(_Base):
    __tablename__ = "person"
    learner_ref: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    id_type: Mapped[str] = mapped_column(sa.String(32))
    identifier: Mapped[str] = mapped_column(sa.String(160))
    name: Mapped[str | None] = mapped_column(sa.String(100))
    updated_at: Mapped[datetime.datetime] = mapped_column(sa.DateTime(timezone=True))


async def orm_sample(source_url: str, first_index: int, entries: int) -> list[_Base]:
    """ORM objects for the log entries ``first_index ..`` (``entries`` of them), their outcome
    rows and their learners' person rows, read back from the imported database."""
    last_index = first_index + entries - 1
    window = {"first": first_index, "last": last_index}
    updated_at = PERSON_UPDATED_AT
    engine = create_engine(source_url)
    try:
        async with engine.connect() as connection:
            bodies = await connection.execute(
                sa.text("SELECT idx, body FROM log_entry WHERE idx BETWEEN :first AND :last"),
                window,
            )
            outcomes = await connection.execute(
                sa.text(
                    f"SELECT {', '.join(BARE_TABLES[1][1])} FROM outcome "
                    "WHERE entry_index BETWEEN :first AND :last"
                ),
                window,
            )
            people = await connection.execute(
                sa.text(
                    "SELECT learner_ref, id_type, identifier, name FROM person "
                    "WHERE learner_ref IN (SELECT learner_ref FROM outcome "
                    "WHERE entry_index BETWEEN :first AND :last)"
                ),
                window,
            )
            objects: list[_Base] = [LogEntryRow(idx=i, body=bytes(b)) for i, b in bodies]
            objects += [
                OutcomeRow(**dict(zip(BARE_TABLES[1][1], row, strict=True))) for row in outcomes
            ]
            objects += [
                PersonRow(learner_ref=r, id_type=t, identifier=i, name=n, updated_at=updated_at)
                for r, t, i, n in people
            ]
    finally:
        await engine.dispose()
    return objects


async def orm_insert_seconds(target_url: str, objects: Sequence[_Base]) -> float:
    """Seconds to ``session.add`` the objects one by one and commit once."""
    engine: AsyncEngine = create_engine(target_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        started = time.perf_counter()
        async with sessions() as session:
            for item in objects:
                session.add(item)
            await session.commit()
        return time.perf_counter() - started
    finally:
        await engine.dispose()
