"""Read tables as projections of the log.

``project`` is called by the append path, in its transaction, with the entries just sequenced.
Every read-table row is derived from one entry, so replaying the log rebuilds the tables exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.ledger.entries import SealedEntry, content_sha256
from creditbank.storage.tables import issuer, outcome
from schemas.entries import IssuerRegistered, OutcomeRecorded

__all__ = ["project"]


async def project(
    connection: AsyncConnection, first_index: int, entries: Sequence[SealedEntry]
) -> None:
    issuers: list[dict[str, Any]] = []
    outcomes: list[dict[str, Any]] = []
    for offset, sealed in enumerate(entries):
        entry = sealed.entry
        index = first_index + offset
        if isinstance(entry, OutcomeRecorded):
            outcomes.append(
                {
                    "issuer_id": entry.issuer_id,
                    "record_id": entry.record_id,
                    "entry_index": index,
                    "learner_ref": entry.learner_ref,
                    "content_sha256": content_sha256(entry),
                }
            )
        elif isinstance(entry, IssuerRegistered):
            issuers.append(
                {
                    "issuer_id": entry.issuer_id,
                    "name": entry.name,
                    "kind": entry.issuer_kind,
                    "district": entry.district,
                    "public_key": entry.public_key,
                    "entry_index": index,
                    "content_sha256": content_sha256(entry),
                }
            )
    if issuers:
        await connection.execute(issuer.insert(), issuers)
    if outcomes:
        await connection.execute(outcome.insert(), outcomes)
