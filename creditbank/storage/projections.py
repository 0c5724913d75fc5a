"""Read tables as projections of the log.

``project`` is called by the append path, in its transaction, with the entries just sequenced.
Every read-table row is derived from one entry (a retirement updates its standard's row; a grant
or a revocation its outcome's), so replaying the log rebuilds the tables exactly. Learners'
running totals are the sums of the awards' deltas, which the engine computes; ``add_totals``
applies them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.ledger.entries import SealedEntry, content_sha256
from creditbank.rules.engine import TotalKey, parse_credits
from creditbank.statistics.facts import UNKNOWN, Demographic, age_band
from creditbank.storage.bulk import bulk_insert
from creditbank.storage.engine import is_sqlite
from creditbank.storage.tables import (
    issuer,
    learner_total,
    outcome,
    programme,
    recognition,
    recognition_use,
    standard,
)
from schemas.entries import (
    AwardGranted,
    Entry,
    IssuerRegistered,
    OutcomeRecorded,
    OutcomeRevoked,
    ProgrammePublished,
    RecognitionGranted,
    RecognitionReversed,
    StandardPublished,
    StandardRetired,
)

__all__ = [
    "OUTCOME_COLUMNS",
    "Demography",
    "add_totals",
    "copied_facts",
    "load_totals",
    "outcome_row",
    "project",
]

Demography = Mapping[str, Demographic]  # learner_ref -> (birth date, sex)

_TOTAL_ROWS_PER_STATEMENT = 10_000

OUTCOME_COLUMNS = (
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
)
_ISSUER_COLUMNS = (
    "issuer_id",
    "name",
    "kind",
    "district",
    "public_key",
    "entry_index",
    "content_sha256",
)
_PROGRAMME_COLUMNS = ("programme_id", "version", "document", "published_index")
_STANDARD_COLUMNS = (
    "standard_id",
    "version",
    "category",
    "status",
    "document",
    "published_index",
    "retired_index",
)


def copied_facts(entry: OutcomeRecorded) -> tuple[int, int, str, str]:
    """What statistics and the award queue read of an outcome, copied from its entry:
    completion as YYYYMMDD, hours in tenths, outcome type, course code."""
    completed = entry.completed_on
    return (
        completed.year * 10_000 + completed.month * 100 + completed.day,
        int(entry.hours.replace(".", "")),  # scale 1 always: "16.0" is 160 tenths
        entry.outcome_type,
        entry.course_code,
    )


def outcome_row(
    entry: OutcomeRecorded, index: int, digest: bytes, demographic: Demographic | None
) -> tuple[Any, ...]:
    """The outcome's read-table row; ``demographic`` (the learner's birth date and sex, from
    the ID number deposited with it) gives its age band at completion and sex."""
    award, completed = entry.award, entry.completed_on
    born, sex = demographic if demographic is not None else (None, UNKNOWN)
    return (
        entry.issuer_id,
        entry.record_id,
        index,
        entry.learner_ref,
        digest,
        None if award is None else parse_credits(award.credits),
        None if award is None else award.category,
        None if award is None else award.standard,
        *copied_facts(entry),
        age_band(born, completed),
        sex,
    )


def _issuer_row(entry: IssuerRegistered, index: int) -> tuple[Any, ...]:
    return (
        entry.issuer_id,
        entry.name,
        entry.issuer_kind,
        entry.district,
        entry.public_key,
        index,
        content_sha256(entry),
    )


def _standard_row(entry: StandardPublished, index: int) -> tuple[Any, ...]:
    document = entry.standard
    text = msgspec.json.encode(document).decode()
    return (document.id, document.version, document.category, "published", text, index, None)


async def project(
    connection: AsyncConnection,
    first_index: int,
    entries: Sequence[SealedEntry],
    content_digests: Sequence[bytes] | None = None,
    demography: Demography | None = None,
) -> None:
    """Project entries into the read tables; ``content_digests``, when given, are the entries'
    ``content_sha256`` in order (the import computed them already); ``demography`` holds the
    birth date and sex of the learners of the outcomes among them."""
    assert content_digests is None or len(content_digests) == len(entries)
    rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    retirements: list[tuple[StandardRetired, int]] = []
    # Grants, revocations and recognitions change rows earlier entries made: after the inserts.
    later: list[tuple[Entry, int]] = []
    for offset, sealed in enumerate(entries):
        index = first_index + offset
        entry = sealed.entry
        if isinstance(entry, OutcomeRecorded):
            digest = content_sha256(entry) if content_digests is None else content_digests[offset]
            known = None if demography is None else demography.get(entry.learner_ref)
            rows["outcome"].append(outcome_row(entry, index, digest, known))
        elif isinstance(entry, IssuerRegistered):
            rows["issuer"].append(_issuer_row(entry, index))
        elif isinstance(entry, StandardPublished):
            rows["standard"].append(_standard_row(entry, index))
        elif isinstance(entry, StandardRetired):
            retirements.append((entry, index))
        elif isinstance(entry, ProgrammePublished):
            document = msgspec.json.encode(entry.programme).decode()
            rows["programme"].append((entry.programme.id, entry.programme.version, document, index))
        else:
            later.append((entry, index))
    await bulk_insert(connection, issuer, _ISSUER_COLUMNS, rows["issuer"])
    await bulk_insert(connection, programme, _PROGRAMME_COLUMNS, rows["programme"])
    await bulk_insert(connection, standard, _STANDARD_COLUMNS, rows["standard"])
    await bulk_insert(connection, outcome, OUTCOME_COLUMNS, rows["outcome"])
    for retired, index in retirements:
        await connection.execute(
            standard.update()
            .where(
                standard.c.standard_id == retired.standard_id,
                standard.c.version <= retired.version,
                standard.c.status == "published",
            )
            .values(status="retired", retired_index=index)
        )
    for entry, index in later:
        await _project_change(connection, entry, index)


async def _project_change(connection: AsyncConnection, entry: Entry, index: int) -> None:
    """A grant, revocation, recognition or reversal: rows that follow from an earlier entry."""
    if isinstance(entry, AwardGranted):
        await connection.execute(
            outcome.update()
            .where(outcome.c.issuer_id == entry.issuer_id, outcome.c.record_id == entry.record_id)
            .values(
                award_credits=parse_credits(entry.credits),
                award_category=entry.category,
                award_standard=entry.standard,
                award_index=index,
                cap_year=entry.cap_year_start.isoformat(),
            )
        )
    elif isinstance(entry, OutcomeRevoked):
        await connection.execute(
            outcome.update()
            .where(outcome.c.issuer_id == entry.issuer_id, outcome.c.record_id == entry.record_id)
            .values(revoked_index=index)
        )
    elif isinstance(entry, RecognitionGranted):
        await connection.execute(
            recognition.insert().values(
                entry_index=index,
                learner_ref=entry.learner_ref,
                programme_id=entry.programme_id,
                programme_version=entry.programme_version,
                requirement_id=entry.requirement_id,
                credits_granted=parse_credits(entry.credits_granted),
            )
        )
        # The primary key refuses a second use of an outcome for the same requirement.
        await connection.execute(
            recognition_use.insert(),
            [
                {
                    "programme_id": entry.programme_id,
                    "requirement_id": entry.requirement_id,
                    "outcome_index": outcome_index,
                    "recognition_index": index,
                }
                for outcome_index in entry.outcomes
            ],
        )
    elif isinstance(entry, RecognitionReversed):
        await connection.execute(
            recognition.update()
            .where(recognition.c.entry_index == entry.recognition_index)
            .values(reversed_index=index)
        )
        await connection.execute(
            recognition_use.delete().where(
                recognition_use.c.recognition_index == entry.recognition_index
            )
        )


_ADD_TOTALS_SQLITE = (
    "INSERT INTO learner_total (learner_ref, scope, subject, period, credits) "
    "VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (learner_ref, scope, subject, period) "
    "DO UPDATE SET credits = learner_total.credits + excluded.credits"
)
_ADD_TOTALS_POSTGRESQL = (
    "INSERT INTO learner_total (learner_ref, scope, subject, period, credits) "
    "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) "
    "ON CONFLICT (learner_ref, scope, subject, period) "
    "DO UPDATE SET credits = learner_total.credits + excluded.credits"
)


async def add_totals(connection: AsyncConnection, deltas: Iterable[tuple[TotalKey, int]]) -> None:
    """Add each delta to its running total, creating the row on first use.

    An import adds one delta per learner, scope and year: 100,000s of rows, so they go to the
    driver as tuples (SQLite) or arrays (PostgreSQL ``unnest``), not as SQLAlchemy dicts.
    """
    summed: dict[TotalKey, int] = defaultdict(int)
    for key, amount in deltas:
        summed[key] += amount
    rows = [(*key, amount) for key, amount in summed.items() if amount]
    if not rows:
        return
    if is_sqlite(connection):
        await connection.exec_driver_sql(_ADD_TOTALS_SQLITE, rows)
        return
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    for start in range(0, len(rows), _TOTAL_ROWS_PER_STATEMENT):
        part = rows[start : start + _TOTAL_ROWS_PER_STATEMENT]
        await driver.execute(
            _ADD_TOTALS_POSTGRESQL,
            *(list(column) for column in zip(*part, strict=True)),
        )


async def load_totals(
    connection: AsyncConnection, learner_refs: Iterable[str] | None
) -> dict[TotalKey, int]:
    """The running totals of these learners (of everyone, for None), as the engine reads them."""
    query = sa.select(
        learner_total.c.learner_ref,
        learner_total.c.scope,
        learner_total.c.subject,
        learner_total.c.period,
        learner_total.c.credits,
    )
    if learner_refs is not None:
        refs = sorted(set(learner_refs))
        if not refs:
            return {}
        query = query.where(learner_total.c.learner_ref.in_(refs))
    rows = await connection.execute(query)
    return {(ref, scope, subject, period): credits for ref, scope, subject, period, credits in rows}
