"""Read tables as projections of the log.

``project`` is called by the append path, in its transaction, with the entries just sequenced.
Every read-table row is derived from one entry (a retirement updates its standard's row), so
replaying the log rebuilds the tables exactly. Learners' running totals are the sums of the
awards' deltas, which the engine computes; ``add_totals`` applies them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.ledger.entries import SealedEntry, content_sha256
from creditbank.rules.engine import TotalKey, parse_credits
from creditbank.storage.bulk import bulk_insert
from creditbank.storage.engine import is_sqlite
from creditbank.storage.tables import issuer, learner_total, outcome, standard
from schemas.entries import IssuerRegistered, OutcomeRecorded, StandardPublished, StandardRetired

__all__ = ["add_totals", "load_totals", "project"]

_OUTCOME_COLUMNS = (
    "issuer_id",
    "record_id",
    "entry_index",
    "learner_ref",
    "content_sha256",
    "award_credits",
    "award_category",
    "award_standard",
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
_STANDARD_COLUMNS = (
    "standard_id",
    "version",
    "category",
    "status",
    "document",
    "published_index",
    "retired_index",
)


def _outcome_row(entry: OutcomeRecorded, index: int) -> tuple[Any, ...]:
    award = entry.award
    return (
        entry.issuer_id,
        entry.record_id,
        index,
        entry.learner_ref,
        content_sha256(entry),
        None if award is None else parse_credits(award.credits),
        None if award is None else award.category,
        None if award is None else award.standard,
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
    connection: AsyncConnection, first_index: int, entries: Sequence[SealedEntry]
) -> None:
    rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    retirements: list[tuple[StandardRetired, int]] = []
    for index, sealed in enumerate(entries, start=first_index):
        entry = sealed.entry
        if isinstance(entry, OutcomeRecorded):
            rows["outcome"].append(_outcome_row(entry, index))
        elif isinstance(entry, IssuerRegistered):
            rows["issuer"].append(_issuer_row(entry, index))
        elif isinstance(entry, StandardPublished):
            rows["standard"].append(_standard_row(entry, index))
        elif isinstance(entry, StandardRetired):
            retirements.append((entry, index))
    await bulk_insert(connection, issuer, _ISSUER_COLUMNS, rows["issuer"])
    await bulk_insert(connection, standard, _STANDARD_COLUMNS, rows["standard"])
    await bulk_insert(connection, outcome, _OUTCOME_COLUMNS, rows["outcome"])
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


async def add_totals(connection: AsyncConnection, deltas: Iterable[tuple[TotalKey, int]]) -> None:
    """Add each delta to its running total, creating the row on first use."""
    summed: dict[TotalKey, int] = defaultdict(int)
    for key, amount in deltas:
        summed[key] += amount
    if not summed:
        return
    dialect_insert = sqlite.insert if is_sqlite(connection) else postgresql.insert
    statement = dialect_insert(learner_total)
    statement = statement.on_conflict_do_update(
        index_elements=["learner_ref", "scope", "subject", "period"],
        set_={"credits": learner_total.c.credits + statement.excluded.credits},
    )
    await connection.execute(
        statement,
        [
            {"learner_ref": k[0], "scope": k[1], "subject": k[2], "period": k[3], "credits": v}
            for k, v in summed.items()
        ],
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
