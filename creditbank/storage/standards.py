"""Standards: the published versions (a read table projected from the log) and the drafts
accreditation staff edit outside the log."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from creditbank.storage.tables import standard, standard_draft
from schemas.standards import Standard

__all__ = [
    "PublishedStandard",
    "ValidationContext",
    "delete_draft",
    "find_draft",
    "find_published",
    "in_force_names",
    "insert_draft",
    "list_drafts",
    "list_published",
    "published_documents",
    "update_draft",
    "validation_context",
]

_decoder = msgspec.json.Decoder(Standard)


@dataclass(frozen=True, slots=True)
class PublishedStandard:
    status: Literal["published", "retired"]
    document: Standard
    published_index: int
    retired_index: int | None


@dataclass(frozen=True, slots=True)
class ValidationContext:
    """Every version ever published, and which of them are retired: what a new one is checked
    against (retired versions keep their numbers taken but no longer overlap anything)."""

    published: list[Standard]
    retired: set[tuple[str, int]]


def _published(row: Any) -> PublishedStandard:
    status = row.status
    assert status in ("published", "retired"), status
    return PublishedStandard(
        status=status,
        document=_decoder.decode(row.document),
        published_index=row.published_index,
        retired_index=row.retired_index,
    )


_PUBLISHED_COLUMNS = (
    standard.c.status,
    standard.c.document,
    standard.c.published_index,
    standard.c.retired_index,
)


async def validation_context(connection: AsyncConnection) -> ValidationContext:
    rows = await connection.execute(
        sa.select(standard.c.document, standard.c.status).order_by(standard.c.published_index)
    )
    context = ValidationContext(published=[], retired=set())
    for text, status in rows:
        document = _decoder.decode(text)
        context.published.append(document)
        if status == "retired":
            context.retired.add((document.id, document.version))
    return context


async def published_documents(
    connection: AsyncConnection, *, in_force_only: bool = True
) -> list[Standard]:
    """Published standards in publication order (only the unretired ones by default)."""
    query = sa.select(standard.c.document).order_by(standard.c.published_index)
    if in_force_only:
        query = query.where(standard.c.status == "published")
    return [_decoder.decode(text) for (text,) in await connection.execute(query)]


async def in_force_names(connection: AsyncConnection) -> frozenset[tuple[str, int]]:
    """The (id, version) of every standard in force: the key of the compiled rule book."""
    rows = await connection.execute(
        sa.select(standard.c.standard_id, standard.c.version).where(
            standard.c.status == "published"
        )
    )
    return frozenset((row.standard_id, row.version) for row in rows)


async def find_published(
    connection: AsyncConnection, standard_id: str, version: int
) -> PublishedStandard | None:
    row = (
        await connection.execute(
            sa.select(*_PUBLISHED_COLUMNS).where(
                standard.c.standard_id == standard_id, standard.c.version == version
            )
        )
    ).one_or_none()
    return None if row is None else _published(row)


async def list_published(connection: AsyncConnection) -> list[PublishedStandard]:
    """Every published or retired version, by id then version."""
    rows = await connection.execute(
        sa.select(*_PUBLISHED_COLUMNS).order_by(standard.c.standard_id, standard.c.version)
    )
    return [_published(row) for row in rows]


# Drafts --------------------------------------------------------------------------------------


def _draft_key(standard_id: str, version: int) -> sa.ColumnElement[bool]:
    return sa.and_(standard_draft.c.standard_id == standard_id, standard_draft.c.version == version)


async def find_draft(
    connection: AsyncConnection, standard_id: str, version: int
) -> Standard | None:
    text = (
        await connection.execute(
            sa.select(standard_draft.c.document).where(_draft_key(standard_id, version))
        )
    ).scalar_one_or_none()
    return None if text is None else _decoder.decode(text)


async def list_drafts(connection: AsyncConnection) -> list[Standard]:
    rows = await connection.execute(
        sa.select(standard_draft.c.document).order_by(
            standard_draft.c.standard_id, standard_draft.c.version
        )
    )
    return [_decoder.decode(text) for (text,) in rows]


async def insert_draft(
    connection: AsyncConnection, document: Standard, now: datetime.datetime
) -> None:
    await connection.execute(
        standard_draft.insert().values(
            standard_id=document.id,
            version=document.version,
            document=msgspec.json.encode(document).decode(),
            updated_at=now,
        )
    )


async def update_draft(
    connection: AsyncConnection, document: Standard, now: datetime.datetime
) -> bool:
    """Replace a draft's document; False when there is no such draft."""
    updated = await connection.execute(
        standard_draft.update()
        .where(_draft_key(document.id, document.version))
        .values(document=msgspec.json.encode(document).decode(), updated_at=now)
    )
    return bool(updated.rowcount)


async def delete_draft(connection: AsyncConnection, standard_id: str, version: int) -> None:
    await connection.execute(standard_draft.delete().where(_draft_key(standard_id, version)))
