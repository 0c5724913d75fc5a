"""An import's append, prepared without the log's write lock and placed under it.

A committing import used to hold the write lock from its first row to its last, so every deposit
waited for the whole file. Now the import reads and classifies against a snapshot of the log at
size S0 and stores what it would append (entries numbered from S0, their outcome rows, its
learners' personal data) in temporary tables of its own connection, which no other session sees
and which take no lock on the log. Only then does it take the lock (on that same connection) and:

1. ``changed_since``: read the entries appended after S0 (those that landed while it staged)
   and check that none moved what it decided on: a record id of the file recorded by someone
   else, a learner of the file whose totals changed (an award or a revocation), a standard
   published or retired. If anything did, the staged work is dropped and the import runs
   again the old way, under the lock throughout, so the answer is always that of a serial order.
2. ``place``: integrate the staged leaf hashes at the current size S1 and move the staged rows
   into the log's tables with ``INSERT ... SELECT``, shifted by S1 - S0, on the server.

The entries' bytes do not depend on their index, so nothing staged is re-encoded; the tiles do,
so they are computed at placing, from the leaf hashes kept in memory (32 bytes a row).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank import limits
from creditbank.ledger.entries import SealedEntry, content_sha256, open_entry
from creditbank.outcomes import PersonalData
from creditbank.rules.engine import TotalKey
from creditbank.storage.append import AppendStream
from creditbank.storage.bulk import bulk_insert
from creditbank.storage.engine import is_sqlite
from creditbank.storage.projections import OUTCOME_COLUMNS, Demography, outcome_row
from creditbank.storage.reads import entries
from creditbank.storage.tables import learner_total, log_entry, outcome, person
from schemas.entries import (
    AwardGranted,
    OutcomeRecorded,
    OutcomeRevoked,
    StandardPublished,
    StandardRetired,
)

__all__ = ["StagedAppend", "StagedPlacement"]

_metadata = sa.MetaData()


def _staged(name: str, table: sa.Table, columns: Sequence[str], *extra: sa.Column[Any]) -> sa.Table:
    """A temporary table with ``columns`` of ``table`` (their types, no keys or indexes: rows
    are only appended, then copied once)."""
    copied = [
        sa.Column(column.name, column.type) for column in table.columns if column.name in columns
    ]
    return sa.Table(name, _metadata, *extra, *copied, prefixes=["TEMPORARY"])


_staged_entry = _staged("staged_entry", log_entry, ("idx", "body"))
_staged_outcome = _staged("staged_outcome", outcome, OUTCOME_COLUMNS)
_PERSON_DATA = ("learner_ref", "id_type", "identifier", "name")
# ``seq``: the file's order, which decides whose name is kept.
_staged_person = _staged("staged_person", person, _PERSON_DATA, sa.Column("seq", sa.BigInteger))
_TOTAL_COLUMNS = ("learner_ref", "scope", "subject", "period", "credits")
_staged_total = _staged("staged_total", learner_total, _TOTAL_COLUMNS)
_TABLES = (_staged_entry, _staged_outcome, _staged_person, _staged_total)
_PERSON_COLUMNS = ("seq", *_PERSON_DATA)

# The import's deltas, summed per total, added as ``add_totals`` adds them.
_MOVE_TOTALS = (
    "INSERT INTO learner_total (learner_ref, scope, subject, period, credits) "
    "SELECT learner_ref, scope, subject, period, SUM(credits) FROM staged_total WHERE 1 = 1 "
    "GROUP BY learner_ref, scope, subject, period HAVING SUM(credits) <> 0 "
    "ON CONFLICT (learner_ref, scope, subject, period) "
    "DO UPDATE SET credits = learner_total.credits + excluded.credits"
)

# The first row with a name per learner, else the first row (file order): the rule
# ``upsert_people`` applies, for single deposits and the locked import alike.
_MOVE_PEOPLE = (
    "INSERT INTO person (learner_ref, id_type, identifier, name, updated_at) "
    "SELECT learner_ref, id_type, identifier, name, {now} FROM ("
    " SELECT learner_ref, id_type, identifier, name, ROW_NUMBER() OVER ("
    "  PARTITION BY learner_ref ORDER BY CASE WHEN name IS NULL THEN 1 ELSE 0 END, seq) AS r"
    " FROM staged_person) AS firsts WHERE r = 1 "
    "ON CONFLICT (learner_ref) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at"
    " WHERE person.name IS NULL AND excluded.name IS NOT NULL"
)


class StagedPlacement:
    """A chunk's entries numbered from the snapshot's size, waiting to be staged."""

    def __init__(
        self,
        staged: StagedAppend,
        first_index: int,
        entries: Sequence[SealedEntry],
        digests: Sequence[bytes] | None,
        demography: Demography | None,
    ) -> None:
        self._staged = staged
        self.first_index = first_index
        self._entries = entries
        self._digests = digests
        self._demography = demography or {}

    async def store(self) -> None:
        connection, first = self._staged.connection, self.first_index
        rows = [(first + offset, entry.body) for offset, entry in enumerate(self._entries)]
        await bulk_insert(connection, _staged_entry, ("idx", "body"), rows)
        digests, known = self._digests, self._demography
        outcomes = [
            outcome_row(
                sealed.entry,
                first + offset,
                content_sha256(sealed.entry) if digests is None else digests[offset],
                known.get(sealed.entry.learner_ref),
            )
            for offset, sealed in enumerate(self._entries)
            if isinstance(sealed.entry, OutcomeRecorded)
        ]
        await bulk_insert(connection, _staged_outcome, OUTCOME_COLUMNS, outcomes)


class StagedAppend:
    """What an import would append, numbered from ``snapshot_size``, in temporary tables."""

    def __init__(self, connection: AsyncConnection, snapshot_size: int) -> None:
        self.connection = connection
        self.first_index = snapshot_size
        self.size = snapshot_size
        self._leaf_hashes = bytearray()
        self._people = 0

    async def create(self) -> None:
        """The temporary tables, empty (a connection from the pool may hold an earlier set)."""
        for table in _TABLES:
            await self.connection.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))
            await self.connection.execute(sa.schema.CreateTable(table))
        await self.connection.commit()

    async def drop(self) -> None:
        for table in _TABLES:
            await self.connection.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))
        await self.connection.commit()

    def sequence(
        self,
        entries: Sequence[SealedEntry],
        content_digests: Sequence[bytes] | None = None,
        demography: Demography | None = None,
    ) -> StagedPlacement:
        """Number ``entries`` after those staged before (from the snapshot's size)."""
        first = self.size
        self.size += len(entries)
        for entry in entries:
            self._leaf_hashes += entry.leaf_hash
        return StagedPlacement(self, first, entries, content_digests, demography)

    async def stage_people(self, people: Iterable[PersonalData]) -> None:
        rows = []
        for someone in people:
            rows.append(
                (
                    self._people,
                    someone.learner_ref,
                    someone.id_type,
                    someone.identifier,
                    someone.name,
                )
            )
            self._people += 1
        await bulk_insert(self.connection, _staged_person, _PERSON_COLUMNS, rows)

    async def stage_totals(self, deltas: Iterable[tuple[TotalKey, int]]) -> None:
        """The import's deltas to the learners' totals, added when placed: streaming them to the
        database here, before the lock, keeps that work out of the time the log is held."""
        rows = [(*key, amount) for key, amount in deltas if amount]
        await bulk_insert(self.connection, _staged_total, _TOTAL_COLUMNS, rows)

    async def changed_since(self, connection: AsyncConnection) -> str | None:
        """What moved after the snapshot that this import decided on, or None.

        Only the entries appended since the snapshot are read (those that landed while the
        import staged: few, next to the file), and the staged rows are looked up for what they
        name: a record id of the issuer recorded meanwhile, a learner whose totals changed (an
        outcome with an award, a grant, a revocation), a standard published or retired."""
        since = self.first_index
        size = (await connection.execute(sa.text("SELECT tree_size FROM log_state"))).scalar_one()
        records: set[tuple[str, str]] = set()
        learners: set[str] = set()
        for body in await entries(connection, since, size):
            entry = open_entry(body)
            if isinstance(entry, StandardPublished | StandardRetired):
                return "the standards changed meanwhile"
            if isinstance(entry, OutcomeRecorded):
                records.add((entry.issuer_id, entry.record_id))
                if entry.award is not None:
                    learners.add(entry.learner_ref)
            elif isinstance(entry, OutcomeRevoked | AwardGranted):
                learners.add(entry.learner_ref)
        if records and await _staged_any(
            connection, "issuer_id || '/' || record_id", [f"{i}/{r}" for i, r in records]
        ):
            return "a record id of the file was recorded meanwhile"
        if learners and await _staged_any(connection, "learner_ref", sorted(learners)):
            return "a learner of the file had credits recorded or revoked meanwhile"
        return None

    @property
    def leaf_hashes(self) -> bytes:
        return bytes(self._leaf_hashes)

    @property
    def entries_table(self) -> str:
        return _staged_entry.name

    async def place(self, stream: AppendStream) -> int:
        """Integrate and move everything staged into the log under the lock (the entries by the
        append path, ``AppendStream.add_staged``; their outcome rows and learners here); the
        index the first staged entry got."""
        assert len(self._leaf_hashes) == (self.size - self.first_index) * limits.hash_bytes
        return await stream.add_staged(self, _project_staged)


async def _staged_any(connection: AsyncConnection, expression: str, values: list[str]) -> bool:
    """Whether a staged outcome row's ``expression`` is one of ``values``: one pass over the
    staged rows, the values bound as one array (PostgreSQL) or one JSON list (SQLite)."""
    if is_sqlite(connection):
        result = await connection.exec_driver_sql(
            f"SELECT 1 FROM staged_outcome WHERE {expression} IN "  # noqa: S608 - our own text
            "(SELECT value FROM json_each(?)) LIMIT 1",
            (json.dumps(values),),
        )
        return result.first() is not None
    raw = await connection.get_raw_connection()
    assert raw.driver_connection is not None
    found = await raw.driver_connection.fetchval(
        f"SELECT 1 FROM staged_outcome WHERE {expression} = ANY($1::text[]) LIMIT 1",  # noqa: S608
        values,
    )
    return found is not None


async def _project_staged(connection: AsyncConnection, shift: int) -> None:
    """The staged outcome rows, shifted to their entries' indices, the learners' totals and
    their personal data."""
    columns = ", ".join(OUTCOME_COLUMNS)
    shifted = columns.replace("entry_index", "entry_index + :shift")
    await connection.execute(
        sa.text(f"INSERT INTO outcome ({columns}) SELECT {shifted} FROM staged_outcome"),  # noqa: S608
        {"shift": shift},
    )
    await connection.execute(sa.text(_MOVE_TOTALS))
    now = datetime.datetime.now(datetime.UTC)
    if is_sqlite(connection):
        statement = _MOVE_PEOPLE.format(now="?")
        await connection.exec_driver_sql(statement, (now.strftime("%Y-%m-%d %H:%M:%S.%f"),))
        return
    raw = await connection.get_raw_connection()
    assert raw.driver_connection is not None
    await raw.driver_connection.execute(_MOVE_PEOPLE.format(now="$1"), now)
