"""Reads behind the award queue: outcomes recorded without an award, not revoked, not granted."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.storage.tables import outcome

__all__ = ["QueueFilter", "awaiting_page"]


@dataclass(frozen=True, kw_only=True)
class QueueFilter:
    issuer_id: str | None = None
    outcome_type: str | None = None
    course_code: str | None = None


def _awaiting(wanted: QueueFilter) -> list[sa.ColumnElement[bool]]:
    # No award decided at deposit (credits NULL), none granted, not withdrawn.
    conditions: list[sa.ColumnElement[bool]] = [
        outcome.c.award_credits.is_(None),
        outcome.c.revoked_index.is_(None),
    ]
    if wanted.issuer_id is not None:
        conditions.append(outcome.c.issuer_id == wanted.issuer_id)
    if wanted.outcome_type is not None:
        conditions.append(outcome.c.outcome_type == wanted.outcome_type)
    if wanted.course_code is not None:
        conditions.append(outcome.c.course_code == wanted.course_code)
    return conditions


async def awaiting_page(
    connection: AsyncConnection, wanted: QueueFilter, offset: int, limit: int
) -> tuple[list[int], int]:
    """The entry indices of a page of awaiting outcomes (oldest first), and how many await."""
    conditions = _awaiting(wanted)
    total = (
        await connection.execute(sa.select(sa.func.count()).select_from(outcome).where(*conditions))
    ).scalar_one()
    rows = await connection.execute(
        sa.select(outcome.c.entry_index)
        .where(*conditions)
        .order_by(outcome.c.entry_index)
        .offset(offset)
        .limit(limit)
    )
    return [index for (index,) in rows], total
