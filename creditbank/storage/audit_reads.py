"""Whole-table reads for auditing: the log entry by entry, every checkpoint, and every read-table
row that replay compares with what the log says. These scan; the service's own reads never do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import NamedTuple

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.ledger.entries import open_entry
from creditbank.storage import reads
from creditbank.storage.tables import (
    checkpoint,
    issuer,
    outcome,
    person,
    programme,
    recognition,
    recognition_use,
    standard,
)
from schemas.entries import Entry
from schemas.standards import Programme, Standard

__all__ = [
    "DeploymentState",
    "OutcomeAwardRow",
    "RecognitionStateRow",
    "StandardStateRow",
    "UseKey",
    "all_outcome_awards",
    "all_programmes",
    "all_recognition_uses",
    "all_recognitions",
    "all_signed_notes",
    "all_standards",
    "deployment_state",
    "issuer_kinds",
    "log_entries",
    "recent_signed_notes",
    "signed_notes_of_sizes",
]

# Entries decoded per read while walking the whole log: bounded memory, few round trips.
log_chunk_entries = 10_000


async def log_entries(
    connection: AsyncConnection, tree_size: int
) -> AsyncIterator[tuple[int, Entry]]:
    """Every entry of the log below ``tree_size``, decoded, in index order."""
    for start in range(0, tree_size, log_chunk_entries):
        end = min(tree_size, start + log_chunk_entries)
        for index, body in enumerate(await reads.entries(connection, start, end), start=start):
            yield index, open_entry(body)


async def all_signed_notes(connection: AsyncConnection) -> list[str]:
    """Every checkpoint ever stored, oldest first, as its signed note."""
    rows = await connection.execute(sa.select(checkpoint.c.signed_note).order_by(checkpoint.c.id))
    return [note for (note,) in rows]


async def recent_signed_notes(connection: AsyncConnection, count: int) -> list[str]:
    """The newest ``count`` checkpoints, newest first."""
    rows = await connection.execute(
        sa.select(checkpoint.c.signed_note).order_by(checkpoint.c.id.desc()).limit(count)
    )
    return [note for (note,) in rows]


async def signed_notes_of_sizes(connection: AsyncConnection, sizes: tuple[int, ...]) -> list[str]:
    """A checkpoint signed at each of ``sizes`` (the latest of several at one size)."""
    rows = await connection.execute(
        sa.select(checkpoint.c.signed_note)
        .where(checkpoint.c.tree_size.in_(sizes))
        .order_by(checkpoint.c.id)
    )
    return [note for (note,) in rows]


async def issuer_kinds(connection: AsyncConnection) -> dict[str, str]:
    """Each registered issuer's kind (enterprise, community school, ...)."""
    rows = await connection.execute(sa.select(issuer.c.issuer_id, issuer.c.kind))
    return {str(issuer_id): str(kind) for issuer_id, kind in rows}


@dataclass(frozen=True, slots=True)
class OutcomeAwardRow:
    issuer_id: str
    record_id: str
    entry_index: int
    award_credits: int | None
    award_category: str | None
    award_standard: str | None
    revoked_index: int | None
    award_index: int | None
    cap_year: str | None
    completed_ymd: int | None
    hours_tenths: int | None
    outcome_type: str | None
    course_code: str | None


async def all_outcome_awards(connection: AsyncConnection) -> list[OutcomeAwardRow]:
    rows = await connection.execute(
        sa.select(
            outcome.c.issuer_id,
            outcome.c.record_id,
            outcome.c.entry_index,
            outcome.c.award_credits,
            outcome.c.award_category,
            outcome.c.award_standard,
            outcome.c.revoked_index,
            outcome.c.award_index,
            outcome.c.cap_year,
            outcome.c.completed_ymd,
            outcome.c.hours_tenths,
            outcome.c.outcome_type,
            outcome.c.course_code,
        )
    )
    return [OutcomeAwardRow(*tuple(row)) for row in rows]


@dataclass(frozen=True, slots=True)
class StandardStateRow:
    standard_id: str
    version: int
    status: str  # not narrowed: replay reports whatever the table holds
    document: Standard
    published_index: int


async def all_standards(connection: AsyncConnection) -> list[StandardStateRow]:
    rows = await connection.execute(
        sa.select(
            standard.c.standard_id,
            standard.c.version,
            standard.c.status,
            standard.c.document,
            standard.c.published_index,
        )
    )
    return [
        StandardStateRow(
            standard_id=row.standard_id,
            version=row.version,
            status=row.status,
            document=msgspec.json.decode(row.document, type=Standard),
            published_index=row.published_index,
        )
        for row in rows
    ]


async def all_programmes(connection: AsyncConnection) -> dict[tuple[str, int], Programme]:
    rows = await connection.execute(
        sa.select(programme.c.programme_id, programme.c.version, programme.c.document)
    )
    return {
        (row.programme_id, row.version): msgspec.json.decode(row.document, type=Programme)
        for row in rows
    }


@dataclass(frozen=True, slots=True)
class RecognitionStateRow:
    learner_ref: str
    programme_id: str
    programme_version: int
    requirement_id: str
    credits_granted: int
    reversed_index: int | None


async def all_recognitions(connection: AsyncConnection) -> dict[int, RecognitionStateRow]:
    """Every recognition row by its entry index."""
    rows = await connection.execute(sa.select(recognition))
    return {
        row.entry_index: RecognitionStateRow(
            learner_ref=row.learner_ref,
            programme_id=row.programme_id,
            programme_version=row.programme_version,
            requirement_id=row.requirement_id,
            credits_granted=row.credits_granted,
            reversed_index=row.reversed_index,
        )
        for row in rows
    }


class UseKey(NamedTuple):
    """A named tuple, so it equals the plain (programme, requirement, outcome) keys replay
    keeps."""

    programme_id: str
    requirement_id: str
    outcome_index: int


async def all_recognition_uses(connection: AsyncConnection) -> dict[UseKey, int]:
    """Every live use of an outcome for a requirement, and the recognition that made it."""
    rows = await connection.execute(sa.select(recognition_use))
    return {
        UseKey(row.programme_id, row.requirement_id, row.outcome_index): row.recognition_index
        for row in rows
    }


@dataclass(frozen=True, slots=True)
class DeploymentState:
    """What a database already holds that its secrets must match."""

    has_checkpoints: bool  # signed by the keys on disk: a new key would fork the log
    has_learners: bool  # pseudonymised with the secret on disk: a new one would unlink them


async def deployment_state(connection: AsyncConnection) -> DeploymentState:
    async def has_rows(table: sa.Table) -> bool:
        query = sa.select(sa.literal(1)).select_from(table).limit(1)
        return (await connection.execute(query)).first() is not None

    return DeploymentState(
        has_checkpoints=await has_rows(checkpoint), has_learners=await has_rows(person)
    )
