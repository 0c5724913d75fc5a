"""The import's reads and writes besides the log: banked record ids, learners' data and totals.

Every statement here handles a whole chunk in one round trip with parameters passed as arrays
(PostgreSQL ``unnest``/``ANY``, SQLite ``json_each`` or executemany of tuples): SQLAlchemy's
per-row parameter dicts cost more than the database work at import sizes.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.imports.classify import Banked
from creditbank.outcomes import PersonalData
from creditbank.storage.engine import is_sqlite
from creditbank.storage.tables import outcome

__all__ = [
    "banked_records",
    "driver_connection",
    "has_banked",
    "statement_rows_max",
    "upsert_people",
]

# Rows per statement when a statement's parameters grow with the rows.
statement_rows_max = 10_000


async def driver_connection(connection: AsyncConnection) -> Any:
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    return driver


async def has_banked(connection: AsyncConnection, issuer_id: str) -> bool:
    """Whether the issuer has any outcome in the read tables."""
    query = sa.select(sa.literal(1)).where(outcome.c.issuer_id == issuer_id).limit(1)
    return (await connection.execute(query)).first() is not None


async def banked_records(
    connection: AsyncConnection, issuer_id: str, record_ids: Sequence[str]
) -> dict[str, Banked]:
    """What the outcome table holds for these record ids of the issuer."""
    if not record_ids:
        return {}
    columns = "record_id, content_sha256, entry_index, award_credits, award_standard"
    if is_sqlite(connection):
        result = await connection.exec_driver_sql(
            f"SELECT {columns} FROM outcome WHERE issuer_id = ? "  # noqa: S608
            "AND record_id IN (SELECT value FROM json_each(?))",
            (issuer_id, json.dumps(list(record_ids))),
        )
        rows: Iterable[Any] = result.all()
    else:
        rows = await (await driver_connection(connection)).fetch(
            f"SELECT {columns} FROM outcome "  # noqa: S608
            "WHERE issuer_id = $1 AND record_id = ANY($2::text[])",
            issuer_id,
            list(record_ids),
        )
    return {
        row[0]: Banked(digest=bytes(row[1]), index=row[2], credits=row[3], standard=row[4])
        for row in rows
    }


def _sqlite_time(moment: datetime.datetime) -> str:
    """A time as SQLAlchemy's SQLite DateTime stores it, so reads through it parse."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


# The first name given stays, as for single deposits.
_UPSERT_PERSON_SQLITE = (
    "INSERT INTO person (learner_ref, id_type, identifier, name, updated_at) "
    "VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (learner_ref) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at"
    " WHERE person.name IS NULL AND excluded.name IS NOT NULL"
)
_UPSERT_PEOPLE_POSTGRESQL = (
    "INSERT INTO person (learner_ref, id_type, identifier, name, updated_at) "
    "SELECT r, t, i, n, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) "
    "AS u(r, t, i, n) "
    "ON CONFLICT (learner_ref) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at"
    " WHERE person.name IS NULL AND excluded.name IS NOT NULL"
)


async def upsert_people(connection: AsyncConnection, people: Sequence[PersonalData]) -> None:
    """Keep each learner's personal data; as for single deposits, the first name given stays."""
    first: dict[str, PersonalData] = {}
    for person in people:
        known = first.get(person.learner_ref)
        if known is None or (known.name is None and person.name is not None):
            first[person.learner_ref] = person
    if not first:
        return
    now = datetime.datetime.now(datetime.UTC)
    rows = [(p.learner_ref, p.id_type, p.identifier, p.name) for p in first.values()]
    if is_sqlite(connection):
        await connection.exec_driver_sql(
            _UPSERT_PERSON_SQLITE,
            [(*row, _sqlite_time(now)) for row in rows],
        )
        return
    driver = await driver_connection(connection)
    for start in range(0, len(rows), statement_rows_max):
        part = rows[start : start + statement_rows_max]
        await driver.execute(
            _UPSERT_PEOPLE_POSTGRESQL,
            *(list(column) for column in zip(*part, strict=True)),
            now,
        )
