"""Read tables as projections of the log.

``project`` is called by the append path, in its transaction, with the entries just sequenced.
Every read-table row is derived from one entry, so replaying the log rebuilds the tables exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.ledger.entries import SealedEntry, content_sha256
from creditbank.storage.bulk import bulk_insert
from creditbank.storage.tables import issuer, outcome
from schemas.entries import IssuerRegistered, OutcomeRecorded

__all__ = ["project"]

_OUTCOME_COLUMNS = ("issuer_id", "record_id", "entry_index", "learner_ref", "content_sha256")
_ISSUER_COLUMNS = (
    "issuer_id",
    "name",
    "kind",
    "district",
    "public_key",
    "entry_index",
    "content_sha256",
)


async def project(
    connection: AsyncConnection, first_index: int, entries: Sequence[SealedEntry]
) -> None:
    issuers: list[tuple[Any, ...]] = []
    outcomes: list[tuple[Any, ...]] = []
    for index, sealed in enumerate(entries, start=first_index):
        entry = sealed.entry
        if isinstance(entry, OutcomeRecorded):
            outcomes.append(
                (
                    entry.issuer_id,
                    entry.record_id,
                    index,
                    entry.learner_ref,
                    content_sha256(entry),
                )
            )
        elif isinstance(entry, IssuerRegistered):
            issuers.append(
                (
                    entry.issuer_id,
                    entry.name,
                    entry.issuer_kind,
                    entry.district,
                    entry.public_key,
                    index,
                    content_sha256(entry),
                )
            )
    await bulk_insert(connection, issuer, _ISSUER_COLUMNS, issuers)
    await bulk_insert(connection, outcome, _OUTCOME_COLUMNS, outcomes)
